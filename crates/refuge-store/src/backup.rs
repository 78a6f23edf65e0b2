//! The data folder as one tar archive (`refuge backup FILE` and
//! `refuge restore FILE`): a consistent snapshot of the database, the
//! media, the theme, the settings and the inbox keys, with a manifest of
//! SHA-256 checksums. A backup never overwrites a file; a restore checks
//! everything before anything replaces the data folder.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use refuge_core::DataDir;
use refuge_core::digest::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::OpenError;

/// The first entry of every archive.
const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "refuge-backup-1";
/// Folders and files of the data folder that are backed up (the search
/// index is not: a restore rebuilds it).
const FOLDERS: [&str; 3] = ["media", "theme", "inbox"];
const FILES: [&str; 2] = [DataDir::CONFIG_FILE, DataDir::DKIM_KEY];

/// Why a backup or a restore stopped; nothing was replaced.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} has no database; is --data right?", .0.display())]
    NoSite(PathBuf),
    #[error("{} exists already; choose a new file name (a backup never overwrites one)", .0.display())]
    Exists(PathBuf),
    #[error("{} changed while it was being backed up; run the backup again", .0.display())]
    Changed(PathBuf),
    #[error("{} is not empty; restore into an empty folder, or add --force to move what is there aside", .0.display())]
    Occupied(PathBuf),
    #[error("the archive holds an unsafe path `{0}`; it was not written by Refuge")]
    UnsafePath(String),
    #[error("this archive is not a Refuge backup as this version reads it: {0}. Nothing was restored.")]
    NotABackup(String),
    #[error("the archive is damaged: {0}. Nothing was restored.")]
    Damaged(String),
    #[error("cannot {action} {}", .path.display())]
    Files {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the media files cannot be fetched for the archive: {0}")]
    Media(String),
    #[error("the archive cannot be read or written")]
    Archive(#[from] std::io::Error),
    #[error(transparent)]
    Snapshot(#[from] OpenError),
}

type Result<T> = std::result::Result<T, BackupError>;

fn files(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_owned();
    move |source| BackupError::Files { action, path, source }
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    created: String,
    files: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    path: String,
    size: u64,
    sha256: String,
}

/// Every file under `dir`, as paths relative to `base`, sorted.
fn files_under(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let read = std::fs::read_dir(dir).map_err(files("read", dir))?;
    let mut entries: Vec<_> = read.collect::<std::result::Result<_, _>>().map_err(files("read", dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(files("read", &path))?;
        if kind.is_dir() {
            files_under(base, &path, out)?;
        } else if kind.is_file()
            && let Ok(relative) = path.strip_prefix(base)
        {
            out.push(relative.to_owned());
        }
    }
    Ok(())
}

/// What the backup will hold: its name in the archive and where to read
/// it. `media`: a folder holding the media files fetched from elsewhere (a
/// bucket), read instead of the data folder's.
fn sources(
    data: &DataDir,
    snapshot: PathBuf,
    media: Option<&Path>,
    settings: Option<&Path>,
) -> Result<Vec<(String, PathBuf)>> {
    let mut paths = Vec::new();
    for folder in FOLDERS {
        if folder == "media" && media.is_some() {
            continue;
        }
        files_under(data, &data.join(folder), &mut paths)?;
    }
    // Uploads still being written (`….part`) are not part of the site yet.
    paths.retain(|p| p.extension().is_none_or(|e| e != "part"));
    // Settings kept outside the data folder (--config) go in as the
    // folder's refuge.toml, so a restored folder has them.
    let settings = settings.filter(|s| *s != data.config_file() && s.is_file());
    for name in FILES {
        if data.join(name).is_file() && !(name == DataDir::CONFIG_FILE && settings.is_some()) {
            paths.push(PathBuf::from(name));
        }
    }
    let mut sources: Vec<(String, PathBuf)> = vec![(DataDir::DATABASE.into(), snapshot)];
    sources.extend(paths.into_iter().map(|p| (p.to_string_lossy().replace('\\', "/"), data.join(&p))));
    if let Some(settings) = settings {
        sources.push((DataDir::CONFIG_FILE.into(), settings.to_owned()));
    }
    if let Some(dir) = media {
        let mut fetched = Vec::new();
        files_under(Path::new(dir), dir, &mut fetched)?;
        sources.extend(fetched.into_iter().map(|p| (format!("media/{}", p.to_string_lossy()), dir.join(&p))));
    }
    Ok(sources)
}

/// Writes the archive of `data` to `file`; how many files it holds. Safe
/// while a server runs. `database` is the site's PostgreSQL database, if
/// it has one: the archive then holds a SQLite copy of it (checked table
/// by table), so every backup restores onto either engine. `media` is
/// where the media library's files are when not in the data folder (a
/// bucket): they are fetched into the archive's `media/`. `settings` is
/// the settings file when it is not the data folder's (`--config`): it is
/// stored as the archive's `refuge.toml`. `progress` hears (stage, done,
/// total).
pub fn backup(
    data: &DataDir,
    database: Option<&crate::SqlStore>,
    media: Option<&dyn refuge_core::MediaFiles>,
    settings: Option<&Path>,
    file: &Path,
    progress: &mut dyn FnMut(&'static str, u64, u64),
) -> Result<usize> {
    let database = database.filter(|d| d.is_postgres());
    if database.is_none() && !data.has_site() {
        return Err(BackupError::NoSite(data.to_path_buf()));
    }
    if file.exists() {
        return Err(BackupError::Exists(file.to_owned()));
    }
    let beside = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let work = tempfile::Builder::new()
        .prefix(".refuge-backup-")
        .tempdir_in(beside)
        .map_err(files("create a temporary folder in", beside))?;
    let snapshot = work.path().join(DataDir::DATABASE);
    match database {
        Some(postgres) => {
            let copy = crate::SqlStore::open(&snapshot)?;
            crate::copy::copy(postgres, &copy, &mut |_, _, _| {})
                .map_err(|e| BackupError::Damaged(format!("the copy of the PostgreSQL database: {e}")))?;
        }
        None => crate::snapshot(&data.database(), &snapshot)?,
    }
    let fetched = match media {
        Some(store) => {
            let dir = work.path().join("media");
            std::fs::create_dir_all(&dir).map_err(files("create", &dir))?;
            let names: Vec<String> = store
                .list()
                .map_err(|e| BackupError::Media(e.to_string()))?
                .into_iter()
                .map(|(name, _)| name)
                .filter(|name| !name.ends_with(".part") && !name.contains(['/', '\\']) && !name.starts_with('.'))
                .collect();
            for (i, name) in names.iter().enumerate() {
                // Gone since the listing (deleted meanwhile): not part of the site.
                if let Some(bytes) = store.get(name).map_err(|e| BackupError::Media(e.to_string()))? {
                    let path = dir.join(name);
                    std::fs::write(&path, bytes).map_err(files("write", &path))?;
                }
                progress("fetching media", i as u64 + 1, names.len() as u64);
            }
            Some(dir)
        }
        None => None,
    };
    let sources = sources(data, snapshot, fetched.as_deref(), settings)?;

    // Read each file once: checksum it, then write it; the manifest goes
    // first, so it is written from the checksums gathered in a first pass.
    let mut entries = Vec::new();
    let total = sources.len() as u64;
    for (i, (name, path)) in sources.iter().enumerate() {
        let bytes = std::fs::read(path).map_err(files("read", path))?;
        entries.push(Entry { path: name.clone(), size: bytes.len() as u64, sha256: sha256_hex(&bytes) });
        progress("checking", i as u64 + 1, total);
    }
    let created =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let manifest = Manifest { format: FORMAT.into(), created, files: entries };

    let partial = work.path().join("archive.tar");
    // The archive holds the database and the keys: this account's only.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let archive = options.open(&partial).map_err(files("create", &partial))?;
    refuge_core::data_dir::make_private(&partial).map_err(files("protect", &partial))?;
    let mut tar = tar::Builder::new(BufWriter::new(archive));
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Damaged(e.to_string()))?;
    append(&mut tar, MANIFEST, &manifest_bytes)?;
    for (i, ((name, path), entry)) in sources.iter().zip(&manifest.files).enumerate() {
        let bytes = std::fs::read(path).map_err(files("read", path))?;
        if sha256_hex(&bytes) != entry.sha256 {
            return Err(BackupError::Changed(path.clone()));
        }
        append(&mut tar, name, &bytes)?;
        progress("archiving", i as u64 + 1, total);
    }
    let mut out = tar.into_inner()?;
    out.flush()?;
    out.get_ref().sync_all()?;
    drop(out);
    // Only a complete archive ever appears under the chosen name.
    std::fs::rename(&partial, file).map_err(files("write", file))?;
    Ok(sources.len())
}

fn append(tar: &mut tar::Builder<impl Write>, name: &str, bytes: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, bytes)?;
    Ok(())
}

/// A path from an archive, refused if it could leave the data folder.
fn safe_path(name: &str) -> Result<PathBuf> {
    let path = PathBuf::from(name);
    if name.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(BackupError::UnsafePath(name.to_owned()));
    }
    Ok(path)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// Files restored.
    pub files: usize,
    /// Where what was in the data folder went (with `force`).
    pub moved_aside: Option<PathBuf>,
}

/// Restores `file` into `data`. Everything is checked before anything
/// replaces the data folder; with `force`, what was there is moved aside,
/// never deleted.
pub fn restore(
    file: &Path,
    data: &DataDir,
    force: bool,
    progress: &mut dyn FnMut(&'static str, u64, u64),
) -> Result<Restored> {
    let occupied = data.is_dir() && std::fs::read_dir(data).map_err(files("read", data))?.next().is_some();
    if occupied && !force {
        return Err(BackupError::Occupied(data.to_path_buf()));
    }
    let parent = data.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(files("create", parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".refuge-restore-")
        .tempdir_in(parent)
        .map_err(files("create a folder in", parent))?;
    let manifest = unpack(file, staging.path(), progress)?;
    let mut moved_aside = None;
    if data.exists() {
        if occupied {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let aside = PathBuf::from(format!("{}.before-restore-{stamp}", data.display()));
            std::fs::rename(data, &aside).map_err(files("move aside", data))?;
            moved_aside = Some(aside);
        } else {
            std::fs::remove_dir(data).map_err(files("replace", data))?;
        }
    }
    let staged = staging.keep();
    refuge_core::data_dir::make_private(&staged).map_err(files("protect", &staged))?;
    std::fs::rename(&staged, data).map_err(files("move the restored files to", data))?;
    Ok(Restored { files: manifest.files.len(), moved_aside })
}

/// Writes the archive's files under `into` and checks them against its
/// manifest; the manifest.
fn unpack(file: &Path, into: &Path, progress: &mut dyn FnMut(&'static str, u64, u64)) -> Result<Manifest> {
    let mut archive = tar::Archive::new(File::open(file).map_err(files("open", file))?);
    let mut manifest: Option<Manifest> = None;
    let mut written = std::collections::BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        if name == MANIFEST {
            let m: Manifest = serde_json::from_slice(&bytes)
                .map_err(|e| BackupError::NotABackup(format!("its manifest cannot be read ({e})")))?;
            if m.format != FORMAT {
                return Err(BackupError::NotABackup(format!(
                    "it is in format `{}`; this Refuge reads `{FORMAT}`",
                    m.format
                )));
            }
            manifest = Some(m);
            continue;
        }
        let target = into.join(safe_path(&name)?);
        if let Some(dir) = target.parent() {
            refuge_core::data_dir::create_private_dir(dir).map_err(files("create", dir))?;
        }
        // Every file as `refuge backup` stored it: this account's only.
        refuge_core::data_dir::write_private(&target, &bytes).map_err(files("write", &target))?;
        written.insert(name, sha256_hex(&bytes));
    }
    let manifest = manifest
        .ok_or_else(|| BackupError::NotABackup("it has no manifest (not written by `refuge backup`)".into()))?;
    let total = manifest.files.len() as u64;
    for (i, e) in manifest.files.iter().enumerate() {
        match written.get(&e.path) {
            Some(sum) if *sum == e.sha256 => {}
            Some(_) => return Err(BackupError::Damaged(format!("{} does not match its checksum", e.path))),
            None => return Err(BackupError::Damaged(format!("{} is missing", e.path))),
        }
        progress("verifying", i as u64 + 1, total);
    }
    if written.len() != manifest.files.len() {
        return Err(BackupError::Damaged("it holds files its manifest does not list".into()));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(safe_path("media/a.webp").is_ok());
        for bad in ["../etc/passwd", "/etc/passwd", "media/../../x", ""] {
            assert!(safe_path(bad).is_err(), "{bad}");
        }
    }
}
