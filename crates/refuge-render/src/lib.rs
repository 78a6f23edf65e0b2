//! Rendering for Refuge: templates, interface strings, public routes and
//! the rendered-page cache.
//!
//! One renderer, two outputs: the web server answers from [`PageCache`]
//! filled by [`Site::resolve`], and static export writes the same bytes.
//! Nothing here knows about HTTP: pages are bytes, a status code and the
//! things they depend on ([`Dep`]).

mod addresses;
mod appeals;
mod cache;
pub mod contact;
mod dates;
mod feeds;
mod guard;
mod locale;
mod mirrors;
mod pages;
pub mod routes;
pub mod search_page;
mod site;
mod templates;

pub use addresses::{AddressLink, Addresses, MirrorAddress};
pub use cache::{CachedPage, Dep, PageCache, deps_of_facts, deps_of_item};
pub use locale::{Locales, Strings, sort_names};
pub use search_page::SearchQuery;
pub use site::{Message, Outcome, Rendered, Site, SiteConfig};

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Store(#[from] refuge_core::StoreError),
    #[error("template error: {0}")]
    Template(String),
    #[error("interface strings: {0}")]
    Locale(String),
    #[error("theme file {path}: {detail}")]
    Theme { path: String, detail: String },
    /// The page would show a protected name (see `refuge_core::redaction`):
    /// it is not sent, exported or published. `path` has every segment
    /// that holds a name replaced by `…`; the name itself is never logged.
    #[error(
        "{path} was withheld: it would show a name marked [[name:…]] elsewhere on the site. \
         Open the item in the back office and save it: the save names the field"
    )]
    Withheld { path: String },
}

impl From<minijinja::Error> for RenderError {
    fn from(e: minijinja::Error) -> Self {
        // Include the template name and line, and the chain of causes.
        let mut text = format!("{e:#}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        RenderError::Template(text)
    }
}
