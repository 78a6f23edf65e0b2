//! The data folder's layout, named once.
//!
//! Every part of Refuge that reads or writes the data folder asks this
//! type where a thing lives, so the layout is written down in one place
//! (and a backup, an export or a second server cannot disagree with the
//! server about it).

use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A site's data folder: the database, media, search index, sealed inbox,
/// theme and settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(PathBuf);

impl DataDir {
    /// The settings file's name inside the folder.
    pub const CONFIG_FILE: &'static str = "refuge.toml";
    /// The database's name inside the folder.
    pub const DATABASE: &'static str = "refuge.db";
    /// The DKIM private key's usual name inside the folder.
    pub const DKIM_KEY: &'static str = "dkim.pem";

    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.0.join(Self::DATABASE)
    }

    /// Whether a site lives here (its database exists).
    pub fn has_site(&self) -> bool {
        self.database().is_file()
    }

    /// Uploaded files, cleaned, under their stored names.
    pub fn media(&self) -> PathBuf {
        self.0.join("media")
    }

    /// The search index.
    pub fn search(&self) -> PathBuf {
        self.0.join("search")
    }

    /// The sealed contact inbox and its keys.
    pub fn inbox(&self) -> PathBuf {
        self.0.join("inbox")
    }

    /// Templates, locales and static files that override the built-in ones.
    pub fn theme(&self) -> PathBuf {
        self.0.join("theme")
    }

    /// The settings file.
    pub fn config_file(&self) -> PathBuf {
        self.0.join(Self::CONFIG_FILE)
    }
}

impl Deref for DataDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for DataDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl fmt::Display for DataDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

impl From<&Path> for DataDir {
    fn from(path: &Path) -> Self {
        Self(path.to_owned())
    }
}

impl From<PathBuf> for DataDir {
    fn from(path: PathBuf) -> Self {
        Self(path)
    }
}

/// Creates `dir` and any missing parents; every folder made is readable by
/// this account only (0700). An existing folder keeps its mode.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `path` readable and writable by this account only (0600 for a
/// file, 0700 for a folder).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path`, readable and writable by this account only.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    make_private(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_named_once() {
        let dir = DataDir::new("/srv/refuge");
        assert_eq!(dir.database(), Path::new("/srv/refuge/refuge.db"));
        assert_eq!(dir.media(), Path::new("/srv/refuge/media"));
        assert_eq!(dir.search(), Path::new("/srv/refuge/search"));
        assert_eq!(dir.inbox(), Path::new("/srv/refuge/inbox"));
        assert_eq!(dir.theme(), Path::new("/srv/refuge/theme"));
        assert_eq!(dir.config_file(), Path::new("/srv/refuge/refuge.toml"));
        assert_eq!(dir.to_string(), "/srv/refuge");
        assert!(!dir.has_site());
    }
}
