//! Where the media library's files live: the data folder's `media/`, or a
//! bucket (`media_url = "s3://…"`), which several servers on one database
//! can share. Files are written once under random names and never
//! replaced; a file no database row names is removed by the sweep.

use std::path::PathBuf;
use std::time::Duration;

/// Why a media file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum MediaFileError {
    #[error("the disk is full")]
    Full,
    #[error("{0}")]
    Failed(String),
}

/// The files of the media library, by name (`STEM.ext`, `STEM-480.ext`).
pub trait MediaFiles: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` as `name`, all or nothing: a reader never meets a
    /// half-written file.
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), MediaFileError>;
    /// The file `name`, or `None` if there is none.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaFileError>;
    /// Removes `name`; one already gone is not an error.
    fn remove(&self, name: &str) -> Result<(), MediaFileError>;
    /// Every file, with how long ago it was written.
    fn list(&self) -> Result<Vec<(String, Duration)>, MediaFileError>;
    /// Where the files are, for messages (`media/ in DIR`, `s3://…`).
    fn describe(&self) -> String;
}

/// The data folder's `media/`: each file is written as `NAME.part` and
/// renamed, so it appears whole or not at all.
#[derive(Debug, Clone)]
pub struct MediaFolder(pub PathBuf);

fn io_error(e: std::io::Error) -> MediaFileError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        MediaFileError::Full
    } else {
        MediaFileError::Failed(e.to_string())
    }
}

/// A name the library could have given: no folder, no dot-dot.
fn plain(name: &str) -> Result<&str, MediaFileError> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name.starts_with('.') {
        return Err(MediaFileError::Failed(format!("not a media file name: {name:?}")));
    }
    Ok(name)
}

impl MediaFiles for MediaFolder {
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), MediaFileError> {
        let path = self.0.join(plain(name)?);
        std::fs::create_dir_all(&self.0).map_err(io_error)?;
        let part = self.0.join(format!("{name}.part"));
        let written = std::fs::write(&part, bytes).and_then(|()| std::fs::rename(&part, &path));
        if let Err(e) = written {
            // The partial file, if the write got that far; the write's
            // error is what the caller hears.
            let _ = std::fs::remove_file(&part);
            return Err(io_error(e));
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaFileError> {
        match std::fs::read(self.0.join(plain(name)?)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    fn remove(&self, name: &str) -> Result<(), MediaFileError> {
        match std::fs::remove_file(self.0.join(plain(name)?)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }

    fn list(&self) -> Result<Vec<(String, Duration)>, MediaFileError> {
        let entries = match std::fs::read_dir(&self.0) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error)?;
            if !entry.file_type().map_err(io_error)?.is_file() {
                continue;
            }
            let age = entry.metadata().and_then(|m| m.modified()).map_err(io_error)?.elapsed().unwrap_or_default();
            out.push((entry.file_name().to_string_lossy().into_owned(), age));
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        self.0.display().to_string()
    }
}
