//! Hostile and tagged files for tests (this crate's and the integration
//! tests', through the `testing` feature): built in code, so what each
//! carries is visible here.

use std::io::Write;

use image::DynamicImage;
use image::codecs::jpeg::JpegEncoder;

/// A JPEG of `w`×`h` with an EXIF block (orientation and a GPS
/// position), an XMP packet with a GPS position, and a comment.
pub fn tagged_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 40, 200])));
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

/// A tiny PNG whose header declares `w`×`h` pixels of 16-bit RGBA
/// (the pixel data is one compressed row repeated: a few kilobytes).
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + w as usize * 8];
    for _ in 0..h.min(64) {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG header declaring `w`×`h` pixels, with almost no data.
pub fn jpeg_bomb(w: u16, h: u16) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(image::RgbImage::new(16, 16));
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 50).encode_image(&img).unwrap();
    // Rewrite the frame header's size (SOF0: FF C0, length, precision, height, width).
    let sof = out.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    out[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    out
}

/// Writes a PDF from object bodies (numbered from 1), with a
/// classic cross-reference table and `trailer` (without /Size).
pub fn raw_pdf(objects: &[&[u8]], trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} {trailer} >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A one-page PDF carrying metadata every way the probe found, and
/// scripts, a launch action and an attached file.
pub fn hostile_pdf() -> Vec<u8> {
    let xmp = deflate(
        b"<?xpacket begin=''?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description \
          exif:GPSLatitude='35,41.22N' dc:creator='Jane Roe'/></rdf:RDF></x:xmpmeta><?xpacket end='w'?>",
    );
    let content = b"BT /F1 18 Tf 72 720 Td (Annual report) Tj ET";
    let mut xmp_obj =
        format!("<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length {} >>\nstream\n", xmp.len())
            .into_bytes();
    xmp_obj.extend_from_slice(&xmp);
    xmp_obj.extend_from_slice(b"\nendstream");
    let mut content_obj = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    content_obj.extend_from_slice(content);
    content_obj.extend_from_slice(b"\nendstream");
    raw_pdf(
        &[
            b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R /OpenAction 8 0 R \
              /Names << /JavaScript << /Names [(x) 8 0 R] >> /EmbeddedFiles << /Names [(a.txt) 10 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
              /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> \
              /Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A 9 0 R >>] \
              /PieceInfo << /Illustrator << /Private (Jane Roe's laptop) >> >> >>",
            &content_obj,
            b"(Jane Roe)",
            &xmp_obj,
            b"<< /Author 5 0 R /Auth#6Fr (Jane Roe) /Cr#65ator <4A616E6520526F65> /Company (Safe House Ltd) \
              /AuthorEmail (jane@example.org) /CreationDate (D:20250314092653+09'00') /Producer (Word) >>",
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hi'\\)) >>",
            b"<< /Type /Action /S /Launch /F (cmd.exe) >>",
            b"<< /Type /Filespec /F (a.txt) /EF << /F 11 0 R >> >>",
            b"<< /Type /EmbeddedFile /Length 14 >>\nstream\nJane Roe notes\nendstream",
        ],
        "/Root 1 0 R /Info 7 0 R /ID [<0102> <0304>]",
    )
}
