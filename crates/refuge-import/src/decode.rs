//! Bytes to text: from a byte-order mark, the page's own `<meta>`
//! declaration, or — for pages that declare nothing — by trying the
//! encodings such sites used and keeping the one that reads as text.

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8, WINDOWS_1252};

/// Where the encoding came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodingSource {
    Bom,
    Meta,
    Detected,
}

/// A page as text.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    /// The WHATWG name, e.g. `Shift_JIS`.
    pub encoding: &'static str,
    pub source: EncodingSource,
    /// Some bytes were not valid in that encoding (replaced by U+FFFD).
    pub had_errors: bool,
}

/// Decodes one page.
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return finish(encoding, &bytes[bom..], EncodingSource::Bom);
    }
    if let Some(encoding) = declared(bytes) {
        return finish(encoding, bytes, EncodingSource::Meta);
    }
    finish(detect(bytes), bytes, EncodingSource::Detected)
}

fn finish(encoding: &'static Encoding, bytes: &[u8], source: EncodingSource) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded { text: text.into_owned(), encoding: encoding.name(), source, had_errors }
}

/// The encoding named by `<meta charset>` or `http-equiv` in the first
/// 4 KB, as browsers look for it.
fn declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"charset") {
        let mut i = from + at + 7;
        from = i;
        while i < lower.len() && matches!(lower[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        if lower.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < lower.len() && matches!(lower[i], b' ' | b'"' | b'\'') {
            i += 1;
        }
        let end = lower[i..]
            .iter()
            .position(|b| matches!(b, b'"' | b'\'' | b';' | b'>' | b' ' | b'/' | b'\n'))
            .map_or(lower.len(), |p| i + p);
        let encoding = Encoding::for_label(&lower[i..end])?;
        // A page cannot really be UTF-16 if it says so in ASCII.
        return Some(if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            encoding
        });
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Guesses for an undeclared page: UTF-8 if valid, ISO-2022-JP if it has
/// its escapes, then Shift_JIS or EUC-JP if either decodes cleanly into
/// Japanese-looking text, else Windows-1252 (what browsers do for
/// Latin-1).
fn detect(bytes: &[u8]) -> &'static Encoding {
    // ISO-2022-JP is 7-bit, so valid UTF-8 too: look for its escapes first.
    if find(bytes, b"\x1b$B").is_some() || find(bytes, b"\x1b$@").is_some() {
        return ISO_2022_JP;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let score = |encoding: &'static Encoding| -> Option<usize> {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if had_errors {
            return None;
        }
        Some(text.chars().filter(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3000}'..='\u{303f}')).count())
    };
    match (score(SHIFT_JIS), score(EUC_JP)) {
        (Some(s), Some(e)) if s == 0 && e == 0 => WINDOWS_1252,
        (Some(s), Some(e)) => {
            if s >= e {
                SHIFT_JIS
            } else {
                EUC_JP
            }
        }
        (Some(s), None) if s > 0 => SHIFT_JIS,
        (None, Some(e)) if e > 0 => EUC_JP,
        _ => WINDOWS_1252,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JA: &str = "<p>北朝鮮難民の強制送還に反対します。ご支援をお願いします。</p>";

    fn encoded(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        encoding.encode(text).0.into_owned()
    }

    #[test]
    fn declared_encodings_are_used() {
        let page =
            format!("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=x-sjis\"></head>{JA}");
        let d = decode(&encoded(SHIFT_JIS, &page));
        assert_eq!((d.encoding, d.source, d.had_errors), ("Shift_JIS", EncodingSource::Meta, false));
        assert!(d.text.contains("強制送還"));
        let page = format!("<meta charset='EUC-JP'>{JA}");
        let d = decode(&encoded(EUC_JP, &page));
        assert_eq!((d.encoding, d.source), ("EUC-JP", EncodingSource::Meta));
        assert!(d.text.contains("強制送還"));
        let d = decode(b"<meta charset=iso-8859-1><p>caf\xe9 \x93quoted\x94</p>");
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("café “quoted”"));
        let d = decode(b"\xef\xbb\xbf<p>\xe6\x97\xa5\xe6\x9c\xac</p>");
        assert_eq!((d.encoding, d.source, d.text.as_str()), ("UTF-8", EncodingSource::Bom, "<p>日本</p>"));
    }

    #[test]
    fn undeclared_encodings_are_detected() {
        for encoding in [SHIFT_JIS, EUC_JP, ISO_2022_JP, UTF_8] {
            let d = decode(&encoded(encoding, JA));
            assert_eq!(d.encoding, encoding.name());
            assert_eq!(d.source, EncodingSource::Detected);
            assert_eq!(d.text, JA, "{}", encoding.name());
        }
        assert_eq!(decode(b"<p>na\xefve</p>").encoding, "windows-1252");
    }
}
