//! The media library's files: cleaned uploads written under random names,
//! with their resized variants, in a [`MediaFiles`] store (the data
//! folder's `media/`, [`MediaFolder`], or a bucket). Nothing of the
//! original upload is kept.

use std::path::Path;
use std::time::Duration;

pub use refuge_core::media_files::MediaFolder;
use refuge_core::{Media, MediaFileError, MediaFiles};

use crate::{FileType, MediaError};

/// A new random file name stem: 32 hex digits.
fn random_stem() -> String {
    refuge_core::secret::random_hex(16)
}

/// The name of a stored upload's file, or of one of its variants.
pub fn file_name(stored: &str, width: Option<u32>, extension: &str) -> String {
    match width {
        Some(w) => format!("{stored}-{w}.{extension}"),
        None => format!("{stored}.{extension}"),
    }
}

/// The names of every file of a stored upload.
pub fn file_names(m: &Media) -> Vec<String> {
    std::iter::once(file_name(&m.stored, None, &m.extension))
        .chain(m.variants.iter().map(|w| file_name(&m.stored, Some(*w), &m.extension)))
        .collect()
}

impl From<MediaFileError> for MediaError {
    fn from(e: MediaFileError) -> Self {
        match e {
            MediaFileError::Full => MediaError::DiskFull,
            MediaFileError::Failed(text) => MediaError::Write(text),
        }
    }
}

/// An upload's cleaned files, written and waiting for their database row.
/// Dropped without [`Staged::commit`], they are removed, so an upload that
/// fails or is abandoned half-way leaves nothing in the library (and a
/// crash in between leaves files no row names, which the sweep removes).
pub struct Staged<'a> {
    pub media: Media,
    /// Possible faces found in a photo and not covered (imports).
    pub faces: usize,
    files: &'a dyn MediaFiles,
    names: Vec<String>,
    committed: bool,
}

impl std::fmt::Debug for Staged<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged").field("media", &self.media).field("names", &self.names).finish()
    }
}

impl Staged<'_> {
    /// Keeps the files, once the row is committed.
    pub fn commit(mut self) -> Result<Media, MediaError> {
        self.committed = true;
        Ok(self.media.clone())
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if !self.committed {
            for name in &self.names {
                if let Err(e) = self.files.remove(name) {
                    tracing::warn!(name, error = %e, "an abandoned upload's file stays until the sweep");
                }
            }
        }
    }
}

/// Cleans the upload and writes its files; nothing of the original is
/// kept. Record the returned `media`, then `commit`.
pub fn stage_files<'a>(
    files: &'a dyn MediaFiles,
    file_name_given: &str,
    bytes: &[u8],
) -> Result<Staged<'a>, MediaError> {
    if FileType::sniff(bytes).ok_or(MediaError::UnknownType)? != FileType::Pdf {
        let prepared = crate::prepare_image(bytes)?;
        let faces = prepared.faces().len();
        let mut report = String::from(METADATA_REMOVED);
        match faces {
            0 => {}
            1 => report.push_str("; 1 possible face, not covered: check the photo"),
            n => report.push_str(&format!("; {n} possible faces, not covered: check the photo")),
        }
        let mut staged = stage_image(files, file_name_given, &prepared, report)?;
        staged.faces = faces;
        return Ok(staged);
    }
    let out = crate::scrub_pdf(bytes)?;
    let stored = random_stem();
    let name = file_name(&stored, None, "pdf");
    // Registered first, so a half-sent file is removed too.
    let mut staged = Staged { media: Media::default(), faces: 0, files, names: vec![name.clone()], committed: false };
    files.put(&name, &out.bytes)?;
    staged.media = Media {
        id: 0,
        kind: "pdf".into(),
        name: safe_name(file_name_given, "pdf"),
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
    };
    Ok(staged)
}

/// What the report of every image says.
pub const METADATA_REMOVED: &str = "metadata removed (EXIF, XMP, IPTC, GPS, comments)";

/// Writes the files of an image already decoded (and covered where the
/// editor chose); `report` is kept with it.
pub fn stage_image<'a>(
    files: &'a dyn MediaFiles,
    file_name_given: &str,
    prepared: &crate::Prepared,
    report: String,
) -> Result<Staged<'a>, MediaError> {
    let stored = random_stem();
    let out = prepared.encode()?;
    let mut staged = Staged { media: Media::default(), faces: 0, files, names: Vec::new(), committed: false };
    let mut variants = Vec::new();
    for (i, (width, data)) in out.files.iter().enumerate() {
        let name = if i == 0 {
            file_name(&stored, None, out.extension)
        } else {
            file_name(&stored, Some(*width), out.extension)
        };
        // Registered first, so a half-sent file is removed too.
        staged.names.push(name.clone());
        files.put(&name, data)?;
        if i > 0 {
            variants.push(*width);
        }
    }
    staged.media = Media {
        id: 0,
        kind: "image".into(),
        name: safe_name(file_name_given, out.extension),
        stored,
        extension: out.extension.into(),
        width: Some(out.width),
        height: Some(out.height),
        bytes: out.files.first().map_or(0, |f| f.1.len() as u64),
        variants,
        report,
        alt: Vec::new(),
    };
    Ok(staged)
}

/// Removes from the library what no database row refers to: files left
/// by an upload interrupted by a crash, and temporary `.part` files.
/// `known` holds the stored names (random stems) of every row; files
/// younger than `min_age` are left alone (an upload may be between writing
/// its files and recording them). Returns how many were removed.
pub fn sweep(
    files: &dyn MediaFiles,
    known: &std::collections::HashSet<String>,
    min_age: Duration,
) -> Result<usize, MediaFileError> {
    let mut removed = 0;
    for (name, age) in files.list()? {
        let stem = name.split(['.', '-']).next().unwrap_or_default();
        let ours = stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ours && age >= min_age && (name.ends_with(".part") || !known.contains(stem)) {
            files.remove(&name)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes the files of a stored upload.
pub fn remove_files(files: &dyn MediaFiles, m: &Media) {
    for name in file_names(m) {
        if let Err(e) = files.remove(&name) {
            tracing::warn!(name, error = %e, "a deleted upload's file stays until the sweep");
        }
    }
}

/// The media folder of a data folder, as a [`MediaFiles`] store.
pub fn folder(dir: &Path) -> MediaFolder {
    MediaFolder(dir.to_owned())
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
    fn an_upload_not_committed_leaves_nothing_and_orphans_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let files = MediaFolder(dir.path().to_owned());
        let jpeg = crate::testing::tagged_jpeg(1000, 500, 1);
        let listing = || {
            let mut names: Vec<String> =
                std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
            names.sort();
            names
        };
        let staged = stage_files(&files, "a.jpg", &jpeg).unwrap();
        assert!(!listing().is_empty());
        drop(staged);
        assert!(listing().is_empty(), "abandoned: removed");

        let media = stage_files(&files, "a.jpg", &jpeg).unwrap().commit().unwrap();
        assert_eq!(listing().len(), 1 + media.variants.len());
        assert_eq!(listing(), {
            let mut n = file_names(&media);
            n.sort();
            n
        });
        assert!(files.get(&file_names(&media)[0]).unwrap().is_some());
        assert!(files.get("../etc/passwd").is_err(), "names stay in the folder");

        // A crash between writing and recording: swept at the next start.
        let orphan = stage_files(&files, "b.jpg", &jpeg).unwrap().commit().unwrap();
        std::fs::write(dir.path().join(format!("{}.jpg.part", "f".repeat(32))), b"half").unwrap();
        std::fs::write(dir.path().join("README.txt"), b"not ours").unwrap();
        let known = std::collections::HashSet::from([media.stored.clone()]);
        let hour = Duration::from_secs(3600);
        assert_eq!(sweep(&files, &known, hour).unwrap(), 0, "too young: maybe an upload in progress");
        assert_eq!(sweep(&files, &known, Duration::ZERO).unwrap(), 1 + orphan.variants.len() + 1);
        assert!(listing().iter().all(|n| n.starts_with(&media.stored) || n == "README.txt"), "{:?}", listing());
        remove_files(&files, &media);
        assert_eq!(listing(), ["README.txt"]);
    }

    #[test]
    fn photos_staged_without_review_say_how_many_faces_they_show() {
        let dir = tempfile::tempdir().unwrap();
        let files = MediaFolder(dir.path().to_owned());
        let photo = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../refuge/tests/fixtures/faces/astronaut.jpg"),
        )
        .unwrap();
        let staged = stage_files(&files, "collins.jpg", &photo).unwrap();
        assert_eq!(staged.faces, 1);
        assert!(
            staged.media.report.ends_with("1 possible face, not covered: check the photo"),
            "{}",
            staged.media.report
        );
        let river = stage_files(&files, "river.jpg", &crate::testing::tagged_jpeg(300, 200, 1)).unwrap();
        assert_eq!((river.faces, river.media.report.as_str()), (0, METADATA_REMOVED));
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
