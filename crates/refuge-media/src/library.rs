//! The media folder: cleaned uploads written under random names, with
//! their resized variants. Nothing of the original upload is kept.

use std::path::{Path, PathBuf};

use refuge_core::Media;

use crate::{FileType, MediaError};

/// A new random file name stem: 32 hex digits.
fn random_stem() -> String {
    refuge_core::secret::random_hex(16)
}

/// The file of a stored upload, or of one of its variants.
pub fn file_path(dir: &Path, stored: &str, width: Option<u32>, extension: &str) -> PathBuf {
    match width {
        Some(w) => dir.join(format!("{stored}-{w}.{extension}")),
        None => dir.join(format!("{stored}.{extension}")),
    }
}

/// Cleaned files written under temporary names (`….part`), waiting for
/// their database row. `commit` gives them their real names; dropped
/// without a commit, they are removed. So an upload that fails or is
/// abandoned half-way leaves nothing in the media folder.
#[derive(Debug)]
pub struct Staged {
    pub media: Media,
    /// (temporary, final) paths.
    files: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl Staged {
    /// Renames the files to their real names, once the row is committed.
    /// On failure nothing of this upload is left in the folder.
    pub fn commit(mut self) -> Result<Media, MediaError> {
        for (i, (tmp, path)) in self.files.iter().enumerate() {
            if let Err(e) = std::fs::rename(tmp, path) {
                for (_, done) in &self.files[..i] {
                    let _ = std::fs::remove_file(done);
                }
                return Err(MediaError::write(e));
            }
        }
        self.committed = true;
        Ok(self.media.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.files {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// Cleans the upload and writes its files under temporary names; nothing
/// of the original is kept. Record the returned `media`, then `commit`.
pub fn stage_files(dir: &Path, file_name: &str, bytes: &[u8]) -> Result<Staged, MediaError> {
    let kind = FileType::sniff(bytes).ok_or(MediaError::UnknownType)?;
    let stored = random_stem();
    std::fs::create_dir_all(dir).map_err(MediaError::write)?;
    let mut staged = Staged { media: Media::default(), files: Vec::new(), committed: false };
    let mut write = |path: PathBuf, data: &[u8]| -> Result<(), MediaError> {
        let tmp = part_path(&path);
        // Registered first, so a half-written file is removed too.
        staged.files.push((tmp.clone(), path));
        std::fs::write(&tmp, data).map_err(MediaError::write)
    };
    let media = match kind {
        FileType::Pdf => {
            let out = crate::scrub_pdf(bytes)?;
            write(file_path(dir, &stored, None, "pdf"), &out.bytes)?;
            Media {
                id: 0,
                kind: "pdf".into(),
                name: safe_name(file_name, "pdf"),
                stored,
                extension: "pdf".into(),
                width: None,
                height: None,
                bytes: out.bytes.len() as u64,
                variants: Vec::new(),
                report: if out.report.is_empty() {
                    "no metadata found; the file was rebuilt".into()
                } else {
                    out.report.join("; ")
                },
                alt: Vec::new(),
            }
        }
        FileType::Jpeg | FileType::Png | FileType::Webp => {
            let out = crate::process_image(bytes)?;
            let mut variants = Vec::new();
            for (i, (width, data)) in out.files.iter().enumerate() {
                let path = if i == 0 {
                    file_path(dir, &stored, None, out.extension)
                } else {
                    file_path(dir, &stored, Some(*width), out.extension)
                };
                write(path, data)?;
                if i > 0 {
                    variants.push(*width);
                }
            }
            Media {
                id: 0,
                kind: "image".into(),
                name: safe_name(file_name, out.extension),
                stored,
                extension: out.extension.into(),
                width: Some(out.width),
                height: Some(out.height),
                bytes: out.files.first().map_or(0, |f| f.1.len() as u64),
                variants,
                report: "metadata removed (EXIF, XMP, IPTC, GPS, comments)".into(),
                alt: Vec::new(),
            }
        }
    };
    staged.media = media;
    Ok(staged)
}

/// Removes from the media folder what no database row refers to: files
/// left by an upload interrupted by a crash, and temporary `.part`
/// files. `known` holds the stored names (random stems) of every row;
/// files younger than `min_age` are left alone (an upload may be between
/// writing its files and recording them). Returns how many were removed.
pub fn sweep(
    dir: &Path,
    known: &std::collections::HashSet<String>,
    min_age: std::time::Duration,
) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.split(['.', '-']).next().unwrap_or_default();
        let ours = stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let old_enough = entry.metadata()?.modified()?.elapsed().is_ok_and(|age| age >= min_age);
        if ours && old_enough && (name.ends_with(".part") || !known.contains(stem)) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes the files of a stored upload.
pub fn remove_files(dir: &Path, m: &Media) {
    let _ = std::fs::remove_file(file_path(dir, &m.stored, None, &m.extension));
    for w in &m.variants {
        let _ = std::fs::remove_file(file_path(dir, &m.stored, Some(*w), &m.extension));
    }
}

/// A download name made from the uploaded one: ASCII letters, digits,
/// `-` and `_` only.
pub fn safe_name(uploaded: &str, extension: &str) -> String {
    let base = uploaded.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let mut clean: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(60)
        .collect();
    clean = clean.trim_matches(['-', '.']).to_owned();
    if clean.is_empty() {
        clean = "file".into();
    }
    format!("{clean}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit_and_leave_nothing_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let jpeg = crate::testing::tagged_jpeg(1000, 500, 1);
        let listing = || {
            let mut names: Vec<String> =
                std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
            names.sort();
            names
        };
        let staged = stage_files(dir.path(), "a.jpg", &jpeg).unwrap();
        assert!(listing().iter().all(|n| n.ends_with(".part")), "{:?}", listing());
        drop(staged);
        assert!(listing().is_empty(), "abandoned: removed");

        let media = stage_files(dir.path(), "a.jpg", &jpeg).unwrap().commit().unwrap();
        assert_eq!(listing().len(), 1 + media.variants.len());
        assert!(listing().iter().all(|n| n.starts_with(&media.stored) && n.ends_with(".jpg")));

        // A crash between writing and recording: swept at the next start.
        let orphan = stage_files(dir.path(), "b.jpg", &jpeg).unwrap().commit().unwrap();
        std::fs::write(dir.path().join(format!("{}.jpg.part", "f".repeat(32))), b"half").unwrap();
        std::fs::write(dir.path().join("README.txt"), b"not ours").unwrap();
        let known = std::collections::HashSet::from([media.stored.clone()]);
        let hour = std::time::Duration::from_secs(3600);
        assert_eq!(sweep(dir.path(), &known, hour).unwrap(), 0, "too young: maybe an upload in progress");
        assert_eq!(sweep(dir.path(), &known, std::time::Duration::ZERO).unwrap(), 1 + orphan.variants.len() + 1);
        assert!(listing().iter().all(|n| n.starts_with(&media.stored) || n == "README.txt"), "{:?}", listing());
    }

    #[test]
    fn download_names_are_safe() {
        assert_eq!(safe_name("Report 2025.PDF", "pdf"), "Report-2025.pdf");
        assert_eq!(safe_name("../../etc/passwd", "jpg"), "passwd.jpg");
        assert_eq!(safe_name("C:\\Users\\写真.jpg", "jpg"), "file.jpg");
        assert_eq!(safe_name("\"; rm -rf /.png", "png"), "file.png");
        assert_eq!(safe_name("a\"b;c.jpg", "jpg"), "a-b-c.jpg");
        assert_eq!(safe_name("", "png"), "file.png");
        assert_eq!(safe_name("x.html", "jpg"), "x.jpg", "the real type decides the extension");
    }
}
