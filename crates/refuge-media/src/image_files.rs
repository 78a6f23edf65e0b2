//! Images: decode, turn upright, re-encode without metadata, resize.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::MediaError;

/// The longest side of the full-size image kept.
pub const FULL: u32 = 2400;
/// Widths of the smaller variants made when the image is wider.
pub const VARIANTS: [u32; 3] = [480, 960, 1600];

/// A processed image: encoded files by width, none carrying metadata.
#[derive(Debug)]
pub struct ImageOutput {
    /// `jpg` or `png` (PNG when the image has transparency).
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
    /// (width, bytes), the full size first.
    pub files: Vec<(u32, Vec<u8>)>,
}

fn encode(image: &DynamicImage, png: bool) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    if png {
        image
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| MediaError::BadImage(e.to_string()))?;
    } else {
        let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
        JpegEncoder::new_with_quality(&mut out, 84)
            .encode_image(&rgb)
            .map_err(|e| MediaError::BadImage(e.to_string()))?;
    }
    Ok(out)
}

/// The longest side accepted.
pub const MAX_SIDE: u32 = 12_000;
/// The most pixels accepted (about 7,700 × 5,200).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most memory the decoded image may take (16-bit and alpha
/// channels count): with one decode at a time, an upload of any size
/// stays within a few hundred megabytes.
pub const MAX_DECODED_BYTES: u64 = 160 * 1024 * 1024;

fn limit_error(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(l) => MediaError::TooManyPixels(l.to_string()),
        other => MediaError::BadImage(other.to_string()),
    }
}

/// Reads only the header: refuses what would take too much memory to
/// decode, before a byte of pixels is allocated.
fn check_header(decoder: &impl ImageDecoder) -> Result<(), MediaError> {
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    let depth = decoder.color_type().bits_per_pixel();
    let described = format!("{w} × {h} pixels, {depth} bits per pixel");
    if w == 0 || h == 0 {
        return Err(MediaError::BadImage(format!("it declares {described}")));
    }
    if w > MAX_SIDE || h > MAX_SIDE || pixels > MAX_PIXELS || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(MediaError::TooManyPixels(described));
    }
    Ok(())
}

/// A decoded upload, upright and at most [`FULL`] pixels on its longest
/// side, held in memory only: what the editor reviews before anything is
/// written. Its metadata is already gone (only pixels were kept).
#[derive(Clone)]
pub struct Prepared {
    image: DynamicImage,
    png: bool,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Prepared({} × {}, png: {})", self.image.width(), self.image.height(), self.png)
    }
}

impl Prepared {
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// The faces the detector finds, largest margin included.
    pub fn faces(&self) -> Vec<crate::Area> {
        crate::faces::find_faces(&self.image)
    }

    /// Fills `areas` with solid colour: done before any file is encoded,
    /// so no variant holds what was under them.
    pub fn cover(&mut self, areas: &[crate::Area]) {
        crate::faces::cover(&mut self.image, areas);
    }

    /// The photo as the editor reviews it (see [`crate::faces::review_image`]),
    /// as a JPEG (not stored).
    pub fn review(&self, side: u32, grid: u32, areas: &[(crate::Area, bool)]) -> Result<Vec<u8>, MediaError> {
        let marked = crate::faces::review_image(&self.image, side, grid, areas);
        encode(&DynamicImage::ImageRgb8(marked), false)
    }

    /// The files to publish: the full size, then the smaller variants.
    pub fn encode(&self) -> Result<ImageOutput, MediaError> {
        let (image, png) = (&self.image, self.png);
        let (width, height) = (image.width(), image.height());
        let mut files = vec![(width, encode(image, png)?)];
        for w in VARIANTS {
            if w < width {
                let smaller = image.resize(w, u32::MAX, image::imageops::FilterType::Lanczos3);
                files.push((w, encode(&smaller, png)?));
            }
        }
        Ok(ImageOutput { extension: if png { "png" } else { "jpg" }, width, height, files })
    }
}

/// Decodes `bytes` (JPEG, PNG or WebP) and applies its orientation,
/// keeping nothing but the pixels.
///
/// Memory: the header is checked first (`MAX_SIDE`, `MAX_PIXELS`,
/// `MAX_DECODED_BYTES`), the decoder runs with the same allocation limit,
/// and the decoded image is first reduced with a cheap box filter to at
/// most one and a half times the kept size, in its own depth, before
/// anything else is allocated; rotation, 8-bit conversion and the
/// Lanczos resize work on that smaller copy.
pub fn prepare_image(bytes: &[u8]) -> Result<Prepared, MediaError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES + 16 * 1024 * 1024);
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| MediaError::BadImage(e.to_string()))?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(limit_error)?;
    check_header(&decoder)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(limit_error)?;
    // Reduce first (the box filter needs no more memory than its result),
    // so the decoded buffer is freed before anything large is made.
    let step = FULL + FULL / 2;
    let mut image = if decoded.width().max(decoded.height()) > step {
        let smaller = decoded.thumbnail(step, step);
        drop(decoded);
        smaller
    } else {
        decoded
    };
    let png = image.color().has_alpha();
    image = if png { DynamicImage::ImageRgba8(image.to_rgba8()) } else { DynamicImage::ImageRgb8(image.to_rgb8()) };
    image.apply_orientation(orientation);
    if image.width().max(image.height()) > FULL {
        image = image.resize(FULL, FULL, image::imageops::FilterType::Lanczos3);
    }
    Ok(Prepared { image, png })
}

/// Decodes `bytes` (JPEG, PNG or WebP), applies its orientation, and
/// returns fresh files without any metadata (nothing covered).
pub fn process_image(bytes: &[u8]) -> Result<ImageOutput, MediaError> {
    prepare_image(bytes)?.encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{jpeg_bomb, png_bomb, tagged_jpeg};

    /// Writes the integration tests' fixture when asked:
    /// `REFUGE_WRITE_FIXTURES=1 cargo test -p refuge-media`.
    #[test]
    fn write_fixture_when_asked() {
        if std::env::var_os("REFUGE_WRITE_FIXTURES").is_some() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../refuge/tests/fixtures/gps-tagged.jpg");
            std::fs::write(path, tagged_jpeg(1200, 600, 6)).unwrap();
        }
    }

    #[test]
    fn the_fixture_really_carries_gps() {
        let jpeg = tagged_jpeg(64, 32, 1);
        let exif = exif::Reader::new().read_from_container(&mut Cursor::new(&jpeg)).unwrap();
        assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
    }

    #[test]
    fn metadata_is_gone_and_orientation_applied() {
        let jpeg = tagged_jpeg(2000, 1000, 6);
        let out = process_image(&jpeg).unwrap();
        assert_eq!((out.width, out.height), (1000, 2000), "rotated upright (orientation 6)");
        assert_eq!(out.extension, "jpg");
        assert_eq!(out.files.iter().map(|f| f.0).collect::<Vec<_>>(), vec![1000, 480, 960]);
        for (_, bytes) in &out.files {
            assert!(exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).is_err(), "no EXIF left");
            for needle in [&b"Exif"[..], b"GPS", b"xmpmeta", b"safe house", b"adobe"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{:?} left",
                    String::from_utf8_lossy(needle)
                );
            }
            // Only the segments an encoder writes: no APP1–APP15, no COM.
            let mut i = 2;
            while i + 4 < bytes.len() && bytes[i] == 0xFF && bytes[i + 1] != 0xDA {
                let marker = bytes[i + 1];
                assert!(!(0xE1..=0xEF).contains(&marker) && marker != 0xFE, "segment {marker:#x} kept");
                i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            }
        }
    }

    #[test]
    fn bombs_are_refused_from_their_header() {
        for (name, bomb) in [("jpeg", jpeg_bomb(11_999, 11_999)), ("png", png_bomb(8_000, 8_000))] {
            assert!(bomb.len() < 100_000, "{name}: {} bytes", bomb.len());
            match process_image(&bomb) {
                Err(MediaError::TooManyPixels(text)) => assert!(text.contains("pixels"), "{text}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        // 16 bits and alpha count: 4,000 × 4,000 RGBA16 is 128 MB, allowed;
        // 5,000 × 5,000 (200 MB) is not, though it has fewer than 40 megapixels.
        assert!(matches!(process_image(&png_bomb(5_000, 5_000)), Err(MediaError::TooManyPixels(_))));
    }

    #[test]
    fn big_images_are_bounded_and_garbage_refused() {
        let out = process_image(&tagged_jpeg(3000, 300, 1)).unwrap();
        assert_eq!(out.width, FULL);
        assert!(matches!(process_image(b"\xFF\xD8\xFF\xE0 broken"), Err(MediaError::BadImage(_))));
    }
}
