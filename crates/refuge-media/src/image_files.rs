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

/// Decodes `bytes` (JPEG, PNG or WebP), applies its orientation, and
/// returns fresh files without any metadata.
pub fn process_image(bytes: &[u8]) -> Result<ImageOutput, MediaError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(768 * 1024 * 1024);
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| MediaError::BadImage(e.to_string()))?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(l) => MediaError::TooManyPixels(l.to_string()),
        other => MediaError::BadImage(other.to_string()),
    })?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(l) => MediaError::TooManyPixels(l.to_string()),
        other => MediaError::BadImage(other.to_string()),
    })?;
    image.apply_orientation(orientation);
    let png = image.color().has_alpha();
    if image.width().max(image.height()) > FULL {
        image = image.resize(FULL, FULL, image::imageops::FilterType::Lanczos3);
    }
    let (width, height) = (image.width(), image.height());
    let mut files = vec![(width, encode(&image, png)?)];
    for w in VARIANTS {
        if w < width {
            let smaller = image.resize(w, u32::MAX, image::imageops::FilterType::Lanczos3);
            files.push((w, encode(&smaller, png)?));
        }
    }
    Ok(ImageOutput { extension: if png { "png" } else { "jpg" }, width, height, files })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A JPEG of `w`×`h` with an EXIF block (orientation and a GPS
    /// position), an XMP packet with a GPS position, and a comment.
    pub fn tagged_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
        let img =
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 40, 200])));
        let mut plain = Vec::new();
        JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&img).unwrap();
        let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
        // IFD0: Orientation, GPSInfo pointer.
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]);
        tiff.extend_from_slice(&38u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        // GPS IFD at 38: GPSLatitudeRef = "N", GPSLatitude = 3 rationals at 68.
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
        tiff.extend_from_slice(&[0x02, 0x00, 5, 0, 3, 0, 0, 0]);
        tiff.extend_from_slice(&68u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        for (n, d) in [(35u32, 1u32), (41, 1), (2281, 100)] {
            tiff.extend_from_slice(&n.to_le_bytes());
            tiff.extend_from_slice(&d.to_le_bytes());
        }
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff);
        let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description exif:GPSLatitude='35,41.22N' exif:GPSLongitude='139,41.99E'/></rdf:RDF></x:xmpmeta>".to_vec();
        let comment = b"shot at the safe house".to_vec();
        let mut out = plain[..2].to_vec();
        for (marker, body) in [(0xE1u8, exif), (0xE1, xmp), (0xFE, comment)] {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(&body);
        }
        out.extend_from_slice(&plain[2..]);
        out
    }

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
    fn big_images_are_bounded_and_garbage_refused() {
        let out = process_image(&tagged_jpeg(3000, 300, 1)).unwrap();
        assert_eq!(out.width, FULL);
        assert!(matches!(process_image(b"\xFF\xD8\xFF\xE0 broken"), Err(MediaError::BadImage(_))));
    }
}
