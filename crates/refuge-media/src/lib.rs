//! Uploads for Refuge, made safe to publish.
//!
//! Owns: recognising a file by its content (never its name), and turning
//! an upload into files that carry no metadata. Images are decoded, turned
//! upright by their EXIF orientation, and encoded afresh — so no EXIF, XMP,
//! IPTC, GPS position, camera serial number or comment survives, whatever
//! segment or chunk it hid in — at a bounded full size plus resized
//! variants. The original upload is never kept. PDFs are parsed and written
//! anew without their document information (author, creator, company,
//! dates…), XMP packets, scripts, actions and attached files, and what was
//! removed is reported; a PDF that cannot be rebuilt is refused.
//!
//! Faces: a photo is decoded into a [`Prepared`] image held in memory,
//! faces are proposed ([`find_faces`], SeetaFace's frontal model embedded
//! in the binary), and the areas the editor chooses are filled with solid
//! colour before any file is encoded.
//!
//! Knows nothing of the database or HTTP; `library` writes cleaned files
//! into the media folder.

mod faces;
mod image_files;
pub mod library;
mod pdf;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use faces::{Area, FILL, cover, find_faces};
pub use image_files::{ImageOutput, MAX_DECODED_BYTES, MAX_PIXELS, MAX_SIDE, Prepared, prepare_image, process_image};
pub use pdf::{PdfOutput, scrub_pdf};

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;

/// What a file really is, by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl FileType {
    /// Recognises a file by its content.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            _ if bytes.starts_with(b"%PDF-") => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// Why an upload was refused; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("this file is not a JPEG, PNG or WebP image or a PDF document (judged by its content, not its name)")]
    UnknownType,
    #[error("the file is larger than {} MB", MAX_UPLOAD / 1024 / 1024)]
    TooLarge,
    #[error("the image could not be read ({0}); export it again as JPEG or PNG and upload that")]
    BadImage(String),
    #[error(
        "the image is too large to process safely ({0}); make it smaller than 40 megapixels (for example 7,000 × 5,000) with 8 bits per channel, and upload that"
    )]
    TooManyPixels(String),
    #[error(
        "the PDF could not be cleaned safely, so it was not published ({0}); print it to a new PDF (or export it again without document properties) and upload that"
    )]
    BadPdf(String),
    #[error(
        "the PDF is protected with a password or encrypted, so its metadata cannot be removed; save it again without protection and upload that"
    )]
    EncryptedPdf,
    #[error("the server's disk is full: nothing was saved")]
    DiskFull,
    #[error("could not save the file: {0}")]
    Write(String),
}

impl MediaError {
    /// A failed write: `DiskFull` when the disk is, so callers can say so.
    pub fn write(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull { Self::DiskFull } else { Self::Write(e.to_string()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(FileType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(FileType::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert_eq!(FileType::sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(b"<html><script>"), None);
        assert_eq!(FileType::sniff(b"GIF89a"), None);
        assert_eq!(FileType::sniff(b""), None);
    }
}
