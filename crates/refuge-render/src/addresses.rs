//! Where else readers find the site: its main address, mirrors and onion
//! address, as the site's settings give them and as pages link to them.

use serde::Serialize;

/// Where else readers find the site.
#[derive(Clone, Debug, Default)]
pub struct Addresses {
    /// The main site's address (its `base_url`); a copy names it among
    /// the others.
    pub main: String,
    pub mirrors: Vec<MirrorAddress>,
    /// The onion service's address, e.g. `http://….onion`.
    pub onion: Option<String>,
    /// On a static copy: the day it was made (said on its home pages and
    /// its list of addresses).
    pub copy_made: Option<time::Date>,
}

/// One mirror as readers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorAddress {
    /// Where the copy is served (its base URL, without trailing slash).
    pub url: String,
    /// Where its search and forms go (the main site unless set).
    pub forms_url: Option<String>,
    /// Served from a bucket's plain address, where `/` is not `/index.html`.
    pub index_links: bool,
}

impl MirrorAddress {
    /// The address to give readers: the copy's home.
    pub fn link(&self) -> String {
        if self.index_links { format!("{}/index.html", self.url) } else { format!("{}/", self.url) }
    }
}

/// One address as a page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct AddressLink {
    pub href: String,
    /// What readers see: the host and path, or "onion address (Tor)".
    pub label: String,
    pub onion: bool,
}

impl Addresses {
    /// Every address of the site but `here` (the one this page is served
    /// from): the main site, the mirrors, the onion address.
    pub fn others(&self, here: &str) -> Vec<AddressLink> {
        let mut out = Vec::new();
        let plain = |url: &str, href: String| AddressLink { label: label(url), href, onion: false };
        if !self.main.is_empty() && self.main != here {
            out.push(plain(&self.main, format!("{}/", self.main)));
        }
        for mirror in self.mirrors.iter().filter(|m| m.url != here) {
            out.push(plain(&mirror.url, mirror.link()));
        }
        if let Some(onion) = self.onion.as_deref().map(|o| o.trim_end_matches('/')).filter(|o| *o != here) {
            out.push(AddressLink { href: format!("{onion}/"), label: label(onion), onion: true });
        }
        out
    }
}

/// `mirror.example.net/site` for `https://mirror.example.net/site`.
pub(crate) fn label(url: &str) -> String {
    url.split_once("://").map_or(url, |(_, rest)| rest).trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_names_every_address_but_its_own() {
        let addresses = Addresses {
            main: "https://example.org".into(),
            mirrors: vec![
                MirrorAddress { url: "https://m1.example.net/site".into(), forms_url: None, index_links: true },
                MirrorAddress { url: "https://m2.example.com".into(), forms_url: None, index_links: false },
            ],
            onion: Some("http://abc.onion/".into()),
            copy_made: None,
        };
        let hrefs = |here: &str| addresses.others(here).into_iter().map(|a| a.href).collect::<Vec<_>>();
        assert_eq!(
            hrefs("https://example.org"),
            ["https://m1.example.net/site/index.html", "https://m2.example.com/", "http://abc.onion/"]
        );
        assert_eq!(
            hrefs("https://m2.example.com"),
            ["https://example.org/", "https://m1.example.net/site/index.html", "http://abc.onion/"]
        );
        let labels: Vec<String> = addresses.others("http://abc.onion").into_iter().map(|a| a.label).collect();
        assert_eq!(labels, ["example.org", "m1.example.net/site", "m2.example.com"]);
    }
}
