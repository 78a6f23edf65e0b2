//! What can stop an export, said so that the person running it knows what
//! to do. Nothing is changed in the copy when an export stops.

use std::path::{Path, PathBuf};

use refuge_core::{DataDir, StoreError};
use refuge_render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("there is no site in {0}: start one with `refuge serve --data {0}`, or name its folder with --data")]
    NoSite(DataDir),
    #[error("{what} {url:?} is not a web address: give one like https://mirror.example.org")]
    NotAnAddress { what: &'static str, url: String },
    #[error("language {asked}: the site's languages are {site}")]
    UnknownLanguage { asked: String, site: String },
    #[error("{} is not empty and is not an earlier export; name an empty or new folder (nothing was changed)", .0.display())]
    NotAnExport(PathBuf),
    #[error("name a folder to export to, like ./mirror")]
    NoFolderName,
    #[error("cannot {action} {}", .path.display())]
    Files {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot render {path}")]
    Render {
        path: String,
        #[source]
        source: RenderError,
    },
    #[error("the site's pages cannot be prepared")]
    Site(#[from] RenderError),
    #[error(transparent)]
    Open(#[from] refuge_store::OpenError),
    #[error("the site's database cannot be read")]
    Store(#[from] StoreError),
    #[error("cannot read the media file {name}: {detail}")]
    Media { name: String, detail: String },
    #[error("the export's manifest cannot be written")]
    Manifest(#[from] serde_json::Error),
}

/// For `map_err`: a file operation on `path` failed.
pub(crate) fn file_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ExportError {
    let path = path.to_owned();
    move |source| ExportError::Files { action, path, source }
}
