//! `refuge backup FILE` and `refuge restore FILE`: one tar archive holding
//! a consistent snapshot of the database, the media, the theme, the
//! settings and the inbox keys, with a manifest of SHA-256 checksums.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::cli::DataArg;
use crate::cmd::reindex::progress;

/// The first entry of every archive.
const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "refuge-backup-1";
/// Folders and files of the data folder that are backed up (the search
/// index is not: a restore rebuilds it).
const FOLDERS: [&str; 3] = ["media", "theme", "inbox"];
const FILES: [&str; 1] = ["refuge.toml"];

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (a tar file); it must not exist yet.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive written by `refuge backup`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Restore even if the data folder is not empty; what was there is
    /// moved aside to DIR.before-restore-<time>, never deleted.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub data: DataArg,
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

fn sha256_hex(bytes: &[u8]) -> String {
    refuge_core::digest::sha256_hex(bytes)
}

/// Every file under `dir`, as paths relative to `base`, sorted.
fn files_under(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            files_under(base, &path, out)?;
        } else if entry.file_type()?.is_file() {
            out.push(path.strip_prefix(base)?.to_owned());
        }
    }
    Ok(())
}

pub fn run_backup(args: BackupArgs) -> Result<ExitCode> {
    let n = backup(&args.data.data, &args.file)?;
    println!("Backed up {n} files to {}.", args.file.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the archive; how many files it holds. Safe while a server runs.
pub fn backup(data_dir: &Path, file: &Path) -> Result<usize> {
    let db = data_dir.join("refuge.db");
    if !db.is_file() {
        bail!("{} has no database; is --data right?", data_dir.display());
    }
    if file.exists() {
        bail!("{} exists already; choose a new file name (a backup never overwrites one)", file.display());
    }
    let work = tempfile::Builder::new()
        .prefix(".refuge-backup-")
        .tempdir_in(file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
        .context("cannot create a temporary folder beside the archive")?;
    let snapshot = work.path().join("refuge.db");
    refuge_store::snapshot(&db, &snapshot)?;

    let mut paths = Vec::new();
    for folder in FOLDERS {
        files_under(data_dir, &data_dir.join(folder), &mut paths)?;
    }
    // Uploads still being written (`….part`) are not part of the site yet.
    paths.retain(|p| p.extension().is_none_or(|e| e != "part"));
    for name in FILES {
        if data_dir.join(name).is_file() {
            paths.push(PathBuf::from(name));
        }
    }
    let mut sources: Vec<(String, PathBuf)> = vec![("refuge.db".into(), snapshot)];
    sources.extend(paths.into_iter().map(|p| (p.to_string_lossy().replace('\\', "/"), data_dir.join(&p))));

    // Read each file once: checksum it, then write it; the manifest goes
    // first, so it is written from the checksums gathered in a first pass.
    let mut entries = Vec::new();
    let mut tick = progress("checking");
    let total = sources.len() as u64;
    for (i, (name, path)) in sources.iter().enumerate() {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        entries.push(Entry { path: name.clone(), size: bytes.len() as u64, sha256: sha256_hex(&bytes) });
        tick(i as u64 + 1, total);
    }
    let created =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let manifest = Manifest { format: FORMAT.into(), created, files: entries };

    let partial = work.path().join("archive.tar");
    let mut tar = tar::Builder::new(BufWriter::new(File::create(&partial)?));
    append(&mut tar, MANIFEST, &serde_json::to_vec_pretty(&manifest)?)?;
    let mut tick = progress("archiving");
    for (i, ((name, path), entry)) in sources.iter().zip(&manifest.files).enumerate() {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        if sha256_hex(&bytes) != entry.sha256 {
            bail!("{} changed while it was being backed up; run the backup again", path.display());
        }
        append(&mut tar, name, &bytes)?;
        tick(i as u64 + 1, total);
    }
    let mut out = tar.into_inner()?;
    out.flush()?;
    out.get_ref().sync_all()?;
    drop(out);
    // Only a complete archive ever appears under the chosen name.
    std::fs::rename(&partial, file).with_context(|| format!("cannot write {}", file.display()))?;
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

pub fn run_restore(args: RestoreArgs) -> Result<ExitCode> {
    let n = restore(&args.file, &args.data.data, args.force)?;
    println!(
        "Restored {n} files into {}. The search index is rebuilt when the server starts.",
        args.data.data.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A path from an archive, refused if it could leave the data folder.
fn safe_path(name: &str) -> Result<PathBuf> {
    let path = PathBuf::from(name);
    if name.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("the archive holds an unsafe path `{name}`; it was not written by Refuge");
    }
    Ok(path)
}

/// Restores `file` into `data_dir`; how many files. Everything is
/// checked before anything replaces the data folder.
pub fn restore(file: &Path, data_dir: &Path, force: bool) -> Result<usize> {
    let occupied = data_dir.is_dir() && std::fs::read_dir(data_dir)?.next().is_some();
    if occupied && !force {
        bail!(
            "{} is not empty; restore into an empty folder, or add --force to move what is there aside",
            data_dir.display()
        );
    }
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let staging = tempfile::Builder::new().prefix(".refuge-restore-").tempdir_in(parent)?;
    let mut archive = tar::Archive::new(File::open(file).with_context(|| format!("cannot open {}", file.display()))?);
    let mut manifest: Option<Manifest> = None;
    let mut written = std::collections::BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        if name == MANIFEST {
            let m: Manifest = serde_json::from_slice(&bytes).context("the archive's manifest is damaged")?;
            if m.format != FORMAT {
                bail!("this archive is in format `{}`; this Refuge reads `{FORMAT}`", m.format);
            }
            manifest = Some(m);
            continue;
        }
        let path = safe_path(&name)?;
        let target = staging.path().join(&path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&target, &bytes)?;
        written.insert(name, sha256_hex(&bytes));
    }
    let manifest = manifest.context("the archive has no manifest; it was not written by `refuge backup`")?;
    let mut tick = progress("verifying");
    let total = manifest.files.len() as u64;
    for (i, e) in manifest.files.iter().enumerate() {
        match written.get(&e.path) {
            Some(sum) if *sum == e.sha256 => {}
            Some(_) => bail!("{} does not match its checksum; the archive is damaged. Nothing was restored.", e.path),
            None => bail!("{} is missing from the archive. Nothing was restored.", e.path),
        }
        tick(i as u64 + 1, total);
    }
    if written.len() != manifest.files.len() {
        bail!("the archive holds files its manifest does not list. Nothing was restored.");
    }
    if data_dir.exists() {
        if occupied {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let aside = PathBuf::from(format!("{}.before-restore-{stamp}", data_dir.display()));
            std::fs::rename(data_dir, &aside).with_context(|| format!("cannot move {} aside", data_dir.display()))?;
            eprintln!("What was in {} is now in {}.", data_dir.display(), aside.display());
        } else {
            std::fs::remove_dir(data_dir)?;
        }
    }
    let staged = staging.keep();
    std::fs::rename(&staged, data_dir)
        .with_context(|| format!("cannot move the restored files to {}", data_dir.display()))?;
    Ok(manifest.files.len())
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
