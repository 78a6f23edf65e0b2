//! PDFs: blank the document information and XMP packet in place.
//!
//! Values are overwritten with spaces of the same length, so every byte
//! offset (and the cross-reference table) stays valid. Metadata inside
//! compressed object streams cannot be seen this way: the report says so.

/// A cleaned PDF and what was found in it.
#[derive(Debug)]
pub struct PdfOutput {
    pub bytes: Vec<u8>,
    /// Human-readable findings, e.g. `Author: removed`.
    pub report: Vec<String>,
}

const INFO_KEYS: [&str; 6] = ["Author", "Creator", "Producer", "Title", "Subject", "Keywords"];

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// Blanks the literal or hex string value that starts at or after `i`
/// (only whitespace may come before it); returns whether one was found.
fn blank_value(bytes: &mut [u8], mut i: usize) -> bool {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'(') => {
            let mut depth = 0;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' => {
                        bytes[j] = b' ';
                        if j + 1 < bytes.len() {
                            bytes[j + 1] = b' ';
                        }
                        j += 2;
                        continue;
                    }
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return true;
                        }
                    }
                    _ => {}
                }
                if j > i {
                    bytes[j] = b' ';
                }
                j += 1;
            }
            true
        }
        Some(b'<') if bytes.get(i + 1) != Some(&b'<') => {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'>' {
                if bytes[j].is_ascii_hexdigit() {
                    bytes[j] = b'0';
                }
                j += 1;
            }
            true
        }
        _ => false,
    }
}

/// Cleans a PDF's document information and XMP metadata in place.
pub fn scrub_pdf(input: &[u8]) -> PdfOutput {
    let mut bytes = input.to_vec();
    let mut report = Vec::new();
    for key in INFO_KEYS {
        let needle = format!("/{key}");
        let mut from = 0;
        let mut removed = false;
        while let Some(at) = find(&bytes, needle.as_bytes(), from) {
            from = at + needle.len();
            // `/Author` but not `/AuthorSomething`.
            if bytes.get(from).is_some_and(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            removed |= blank_value(&mut bytes, from);
        }
        if removed {
            report.push(format!("{key}: removed"));
        }
    }
    let mut from = 0;
    let mut xmp = false;
    while let Some(start) = find(&bytes, b"<x:xmpmeta", from) {
        let end = find(&bytes, b"</x:xmpmeta>", start).map_or(bytes.len(), |e| e + b"</x:xmpmeta>".len());
        for b in &mut bytes[start..end] {
            if !matches!(*b, b'\n' | b'\r') {
                *b = b' ';
            }
        }
        xmp = true;
        from = end;
    }
    if xmp {
        report.push("XMP metadata: removed".into());
    }
    if find(&bytes, b"/ObjStm", 0).is_some() {
        report.push("compressed object streams present: metadata inside them could not be checked; save the PDF again without document properties to be sure".into());
    }
    PdfOutput { bytes, report }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_info_and_xmp_keeping_length() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Title (Report \\(draft\\)) /Author (Jane Doe) /Producer <4A616E65> /AuthorX (keep) >> endobj\n<x:xmpmeta><dc:creator>Jane</dc:creator></x:xmpmeta>\n%%EOF";
        let out = scrub_pdf(pdf);
        assert_eq!(out.bytes.len(), pdf.len(), "offsets unchanged");
        let text = String::from_utf8_lossy(&out.bytes);
        assert!(!text.contains("Jane") && !text.contains("Report") && !text.contains("4A616E65"), "{text}");
        assert!(text.contains("(keep)"), "other keys untouched");
        assert!(text.contains("/Author (") && text.contains("%%EOF"));
        assert!(out.report.iter().any(|r| r.starts_with("Author")) && out.report.iter().any(|r| r.starts_with("XMP")));
    }

    #[test]
    fn clean_pdf_reports_nothing() {
        let out = scrub_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF");
        assert!(out.report.is_empty());
    }
}
