//! Writing the copy so that a failed export never leaves a half-written
//! one in place.
//!
//! A first export is written into a folder beside OUT_DIR and renamed to
//! it at the end. A later export compares every file with the copy in
//! place and writes only new and changed files, into a staging folder;
//! once every page has rendered, they are renamed into place (each rename
//! is atomic) and files no longer part of the site are removed. A render
//! error, a full disk or Ctrl-C before that point leaves the copy as it
//! was.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use refuge_render::CachedPage;

use crate::error::{ExportError, file_error};
use crate::{MARKER, PRECOMPRESSED, Report, lock};

type Result<T> = std::result::Result<T, ExportError>;

/// One file of the copy.
pub enum Body {
    Bytes { bytes: Vec<u8>, compressible: bool },
}

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    Written,
    Unchanged,
    /// Already in the copy (two paths for one file).
    Again,
}

const SIBLINGS: [&str; 2] = [".gz", ".br"];

pub struct Tree {
    out: PathBuf,
    /// Where new and changed files are written before they go into place.
    staging: PathBuf,
    /// Whether OUT_DIR holds an earlier copy to update.
    update: bool,
    precompress: bool,
    /// Whether the copy in place has compressed siblings.
    precompressed_before: bool,
    /// Every file of the new copy (siblings included), relative.
    files: Mutex<HashSet<String>>,
    /// Files written to staging, relative.
    staged: Mutex<Vec<String>>,
    committed: bool,
}

impl Tree {
    pub fn prepare(out: &Path, precompress: bool) -> Result<Self> {
        let mut update = false;
        if out.exists() {
            let empty = std::fs::read_dir(out).map_err(file_error("read", out))?.next().is_none();
            update = out.join(MARKER).is_file();
            if !empty && !update {
                return Err(ExportError::NotAnExport(out.to_owned()));
            }
        }
        let name = out.file_name().and_then(|n| n.to_str()).ok_or(ExportError::NoFolderName)?;
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(file_error("create", parent))?;
        let staging = parent.join(format!(".{name}.export-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(file_error("remove", &staging))?;
        }
        std::fs::create_dir(&staging).map_err(file_error("create", &staging))?;
        let precompressed_before =
            std::fs::read_to_string(out.join(MARKER)).is_ok_and(|m| m.lines().any(|l| l == PRECOMPRESSED));
        Ok(Self {
            out: out.to_owned(),
            staging,
            update,
            precompress,
            precompressed_before,
            files: Mutex::default(),
            staged: Mutex::default(),
            committed: false,
        })
    }

    /// Adds `file` to the copy: staged if new or changed.
    pub fn put(&self, file: &str, body: Body) -> Result<Put> {
        if !lock(&self.files).insert(file.to_owned()) {
            return Ok(Put::Again);
        }
        let old = self.out.join(file);
        match body {
            Body::Bytes { bytes, compressible } => {
                let compress = self.precompress && compressible;
                let same = self.update && std::fs::read(&old).is_ok_and(|previous| previous == bytes);
                // The same bytes compress the same: siblings in place are
                // kept (a file too small to gain from compression has none).
                if same && (!compress || self.precompressed_before) {
                    if compress {
                        let mut files = lock(&self.files);
                        for s in SIBLINGS {
                            if sibling(&old, s).is_file() {
                                files.insert(format!("{file}{s}"));
                            }
                        }
                    }
                    return Ok(Put::Unchanged);
                }
                if compress {
                    let page = CachedPage::new(200, "", bytes.clone(), false);
                    for (s, z) in SIBLINGS.iter().zip([&page.gzip, &page.brotli]) {
                        if let Some(z) = z {
                            let name = format!("{file}{s}");
                            write(&self.stage_path(&name)?, z)?;
                            lock(&self.files).insert(name.clone());
                            lock(&self.staged).push(name);
                        }
                    }
                }
                if same {
                    return Ok(Put::Unchanged);
                }
                write(&self.stage_path(file)?, &bytes)?;
                lock(&self.staged).push(file.to_owned());
                Ok(Put::Written)
            }
        }
    }

    /// Whether this export updates an earlier copy.
    pub fn updating(&self) -> bool {
        self.update
    }

    /// Keeps `file` of the copy in place as it is (with its compressed
    /// siblings); false on a first export. The manifest says it is there.
    pub fn keep(&self, file: &str) -> bool {
        if !self.update {
            return false;
        }
        let old = self.out.join(file);
        let mut files = lock(&self.files);
        files.insert(file.to_owned());
        if self.precompress && self.precompressed_before {
            for s in SIBLINGS {
                if sibling(&old, s).is_file() {
                    files.insert(format!("{file}{s}"));
                }
            }
        }
        true
    }

    fn stage_path(&self, file: &str) -> Result<PathBuf> {
        let target = self.staging.join(file);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(file_error("create", dir))?;
        }
        Ok(target)
    }

    /// Puts the new copy in place.
    /// `candidates`: the files that may no longer belong (from the
    /// manifest); `None` looks through the whole copy.
    pub fn commit(mut self, report: &mut Report, candidates: Option<Vec<String>>) -> Result<()> {
        let mut marker = "written by refuge export; a later export replaces this folder\n".to_owned();
        if self.precompress {
            marker.push_str(PRECOMPRESSED);
            marker.push('\n');
        }
        write(&self.staging.join(MARKER), marker.as_bytes())?;
        let mut files = std::mem::take(&mut *lock(&self.files));
        files.insert(MARKER.to_owned());
        if !self.update {
            if self.out.exists() {
                // Empty (checked at the start).
                std::fs::remove_dir(&self.out).map_err(file_error("replace", &self.out))?;
            }
            std::fs::rename(&self.staging, &self.out).map_err(file_error("move the new copy to", &self.out))?;
            self.committed = true;
            return Ok(());
        }
        let mut staged = std::mem::take(&mut *lock(&self.staged));
        staged.push(MARKER.to_owned());
        for file in &staged {
            let target = self.out.join(file);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(file_error("create", dir))?;
            }
            std::fs::rename(self.staging.join(file), &target).map_err(file_error("move a new file into", &target))?;
        }
        report.removed = match candidates {
            None => remove_missing(&self.out, &self.out, &files)?,
            Some(candidates) => {
                let mut n = 0;
                for file in candidates.iter().filter(|f| !files.contains(*f)) {
                    let path = self.out.join(file);
                    if std::fs::remove_file(&path).is_ok() {
                        n += 1;
                    }
                    for s in SIBLINGS {
                        // A page has a compressed sibling only when precompressed.
                        let _ = std::fs::remove_file(sibling(&path, s));
                    }
                    if let Some(dir) = path.parent().filter(|d| *d != self.out.as_path()) {
                        // Only succeeds when empty.
                        let _ = std::fs::remove_dir(dir);
                    }
                }
                n
            }
        };
        Ok(())
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        if !self.committed {
            // Dropped without commit: the copy in use is untouched; a
            // staging folder left over is replaced by the next export.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(file_error("write", path))
}

/// Removes files under `dir` not in `kept` (and folders left empty);
/// how many, compressed siblings not counted.
fn remove_missing(root: &Path, dir: &Path, kept: &HashSet<String>) -> Result<usize> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).map_err(file_error("read", dir))? {
        let entry = entry.map_err(file_error("read", dir))?;
        let path = entry.path();
        if entry.file_type().map_err(file_error("read", &path))?.is_dir() {
            let removed = remove_missing(root, &path, kept)?;
            if removed > 0 && std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none()) {
                // Only an empty folder goes; one filled meanwhile stays.
                let _ = std::fs::remove_dir(&path);
            }
            n += removed;
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else { continue };
        let rel = rel.to_string_lossy();
        if !kept.contains(rel.as_ref()) {
            std::fs::remove_file(&path).map_err(file_error("remove", &path))?;
            if !SIBLINGS.iter().any(|s| rel.ends_with(s)) {
                n += 1;
            }
        }
    }
    Ok(n)
}
