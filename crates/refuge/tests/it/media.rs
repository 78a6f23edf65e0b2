//! The media library: what is served carries no metadata.

use std::io::Cursor;

use refuge_core::Role;
use reqwest::multipart::{Form, Part};

use crate::admin::{Staff, sign_in};
use crate::helpers::*;

pub const GPS_JPEG: &[u8] = include_bytes!("../fixtures/gps-tagged.jpg");
pub const PDF: &[u8] = include_bytes!("../fixtures/report-with-author.pdf");

pub async fn upload(staff: &Staff, name: &str, bytes: &[u8], alt_en: &str, alt_ja: &str) -> Page {
    let form = Form::new()
        .text("csrf", staff.csrf.clone())
        .text("alt_en", alt_en.to_owned())
        .text("alt_ja", alt_ja.to_owned())
        .part("file", Part::bytes(bytes.to_vec()).file_name(name.to_owned()));
    let r = staff
        .client
        .post(format!("{}/admin/media", staff.base))
        .header("origin", &staff.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page { status, headers, body: r.text().await.unwrap() }
}

#[test]
fn the_fixture_really_has_gps_and_a_rotation() {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(GPS_JPEG)).unwrap();
    assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
    assert_eq!(exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY).unwrap().value.get_uint(0), Some(6));
    assert!(GPS_JPEG.windows(7).any(|w| w == b"xmpmeta"));
}

#[tokio::test]
async fn uploaded_photos_are_served_without_metadata() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let page = upload(&ed, "IMG_0042 (safe house).JPG", GPS_JPEG, "A frozen river at night", "夜の凍った川").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Metadata was removed"));
    let images: Vec<String> = attrs(&page.body, "section.media-item img", "src");
    assert_eq!(images.len(), 1);
    let full =
        attrs(&page.body, "section.media-item a", "href").into_iter().find(|h| h.starts_with("/media/")).unwrap();
    assert!(full.ends_with(".jpg"));
    for path in [full.clone(), images[0].clone()] {
        let (status, headers, bytes) = app.get_bytes(&path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(headers["cache-control"].to_str().unwrap().contains("immutable"));
        assert_eq!(headers["content-disposition"], "inline; filename=\"IMG_0042--safe-house.jpg\"");
        assert!(exif::Reader::new().read_from_container(&mut Cursor::new(&bytes)).is_err(), "{path}: EXIF left");
        for needle in [&b"GPS"[..], b"xmpmeta", b"Exif", b"adobe", b"safe house"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{path}: {} left",
                String::from_utf8_lossy(needle)
            );
        }
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert!(
            decoded.height() > decoded.width(),
            "{path}: turned upright ({}×{})",
            decoded.width(),
            decoded.height()
        );
    }
    // Nothing of the original is on disk.
    for entry in std::fs::read_dir(app.data_dir.join("media")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(3).any(|w| w == b"GPS"));
    }
    app.stop().await;
}

#[tokio::test]
async fn lying_files_missing_alt_text_and_translators_are_refused() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let fake = upload(&ed, "photo.jpg", b"<html><script>alert(1)</script></html>", "x", "x").await;
    assert_eq!(fake.status, 422);
    assert!(fake.body.contains("not a JPEG, PNG or WebP image or a PDF"));
    let no_alt = upload(&ed, "river.jpg", GPS_JPEG, " ", "  ").await;
    assert_eq!(no_alt.status, 422);
    assert!(no_alt.body.contains("Describe the file in one language at least"), "says what is missing");
    assert!(std::fs::read_dir(app.data_dir.join("media")).unwrap().next().is_none(), "nothing stored");
    let tr = sign_in(&app, "tr@example.org", Role::Translator, &["ja"]).await;
    assert_eq!(upload(&tr, "river.jpg", GPS_JPEG, "A river", "川").await.status, 403);
    assert_eq!(app.get("/media/../refuge.db").await.status, 404);
    assert_eq!(app.get("/media/0123456789abcdef0123456789abcdef.jpg").await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn pdfs_lose_their_author() {
    let app = spawn_app().await;
    let ed = sign_in(&app, "ed@example.org", Role::Editor, &[]).await;
    let page = upload(&ed, "annual report.pdf", PDF, "Annual report 2025", "2025年度年次報告").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("document information (Title, Author, Producer): removed"), "{}", page.body);
    let link = attrs(&page.body, "section.media-item a", "href").into_iter().find(|h| h.ends_with(".pdf")).unwrap();
    let (status, headers, bytes) = app.get_bytes(&link, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"annual-report.pdf\"");
    assert!(!bytes.windows(8).any(|w| w == b"Kim Minj"));
    assert!(!bytes.windows(5).any(|w| w == b"/Info"));
    assert!(lopdf::Document::load_mem(&bytes).is_ok(), "a valid PDF, rebuilt");
    app.stop().await;
}
