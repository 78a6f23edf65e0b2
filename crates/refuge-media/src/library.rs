//! The media folder: cleaned uploads written under random names, with
//! their resized variants. Nothing of the original upload is kept.

use std::path::{Path, PathBuf};

use refuge_core::Media;

use crate::{FileType, MediaError};

/// A new random file name stem: 32 hex digits.
fn random_stem() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file of a stored upload, or of one of its variants.
pub fn file_path(dir: &Path, stored: &str, width: Option<u32>, extension: &str) -> PathBuf {
    match width {
        Some(w) => dir.join(format!("{stored}-{w}.{extension}")),
        None => dir.join(format!("{stored}.{extension}")),
    }
}

/// Cleans the upload and writes its files; nothing of the original is kept.
pub fn store_files(dir: &Path, file_name: &str, bytes: &[u8]) -> Result<Media, MediaError> {
    let kind = FileType::sniff(bytes).ok_or(MediaError::UnknownType)?;
    let stored = random_stem();
    std::fs::create_dir_all(dir).map_err(MediaError::write)?;
    let written = std::cell::RefCell::new(Vec::new());
    let write = |path: PathBuf, data: &[u8]| -> Result<(), MediaError> {
        let tmp = path.with_extension("part");
        let result = std::fs::write(&tmp, data).and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            // Nothing half-written stays behind, in this file or the
            // variants before it.
            let _ = std::fs::remove_file(&tmp);
            for done in written.borrow().iter() {
                let _ = std::fs::remove_file(done);
            }
            return Err(MediaError::write(e));
        }
        written.borrow_mut().push(path);
        Ok(())
    };
    match kind {
        FileType::Pdf => {
            let out = crate::scrub_pdf(bytes);
            write(file_path(dir, &stored, None, "pdf"), &out.bytes)?;
            Ok(Media {
                id: 0,
                kind: "pdf".into(),
                name: safe_name(file_name, "pdf"),
                stored,
                extension: "pdf".into(),
                width: None,
                height: None,
                bytes: out.bytes.len() as u64,
                variants: Vec::new(),
                report: out.report.join("; "),
                alt: Vec::new(),
            })
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
            Ok(Media {
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
            })
        }
    }
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
