use super::*;

#[test]
fn addresses_and_languages_are_checked_before_anything_is_written() {
    assert_eq!(web_address("https://mirror.example/refuge/", "x").unwrap(), "https://mirror.example/refuge");
    for bad in ["mirror.example", "https://", "ftp://x.org", "https://x.org/?a", "https:///path"] {
        let e = web_address(bad, "--base-url").unwrap_err().to_string();
        assert!(e.starts_with("--base-url") && e.contains("https://mirror.example.org"), "{bad}: {e}");
    }
    assert_eq!(base_path("https://x.org/mirror"), "/mirror");
    assert_eq!(base_path("https://x.org"), "");
    let site = [Language::parse("en").unwrap(), Language::parse("ja").unwrap()];
    assert_eq!(choose_languages(&site, &[]).unwrap(), site);
    assert_eq!(choose_languages(&site, &["ja".into()]).unwrap(), [site[1].clone()]);
    let e = choose_languages(&site, &["ko".into()]).unwrap_err().to_string();
    assert_eq!(e, "language ko: the site's languages are en, ja");
}

#[test]
fn a_folder_without_a_site_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let site = SiteConfig {
        base_url: String::new(),
        languages: vec![Language::parse("en").unwrap()],
        theme_dir: None,
        page_size: 10,
        addresses: Default::default(),
    };
    let options = ExportOptions {
        out: dir.path().join("out"),
        base_url: "https://x.org".into(),
        forms_url: "https://x.org".into(),
        languages: site.languages.clone(),
        precompress: false,
        index_links: false,
        media: None,
    };
    let e = export(&data, None, site, &options, &mut |_, _| {}).unwrap_err();
    assert!(matches!(e, ExportError::NoSite(_)));
    assert!(e.to_string().contains("refuge serve --data"), "{e}");
    assert!(!options.out.exists(), "nothing is written");
}
