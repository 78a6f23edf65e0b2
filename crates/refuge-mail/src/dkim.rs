//! DKIM signing (RFC 6376): RSA-SHA256, relaxed canonicalization of
//! headers and body. Written here rather than taken from lettre so that
//! `From` and `Subject` are over-signed (a second one added on the way
//! breaks the signature) and the signature's header is folded at 78
//! columns like every other.

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

/// The headers signed when present, in this order; those listed twice
/// are over-signed (their second mention covers an instance that must not
/// exist).
pub const SIGNED: [&str; 14] = [
    "From",
    "From",
    "To",
    "Subject",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
];

/// SHA-256's DigestInfo prefix (RFC 8017, 9.2): what PKCS#1 v1.5 signs
/// before the hash itself.
const SHA256_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/// A DKIM private key, read from PEM (PKCS#1 or PKCS#8).
pub fn read_key(pem: &str) -> Result<RsaPrivateKey, String> {
    RsaPrivateKey::from_pkcs1_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
        .map_err(|e| format!("not an RSA private key in PEM: {e}"))
}

/// One header field as written: its name and the whole field (name,
/// colon, value, folding included, no final CRLF).
fn fields(head: &str) -> Vec<(String, &str)> {
    let mut out: Vec<(String, &str)> = Vec::new();
    let mut start = 0;
    let bytes = head.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A field ends at a CRLF not followed by whitespace.
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            let next = bytes.get(i + 2);
            if !matches!(next, Some(b' ' | b'\t')) {
                let field = &head[start..i];
                if let Some((name, _)) = field.split_once(':') {
                    out.push((name.trim().to_ascii_lowercase(), field));
                }
                start = i + 2;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    if start < head.len() {
        let field = &head[start..];
        if let Some((name, _)) = field.split_once(':') {
            out.push((name.trim().to_ascii_lowercase(), field));
        }
    }
    out
}

/// Relaxed canonicalization of one field (RFC 6376, 3.4.2), with CRLF.
fn relaxed_field(field: &str) -> String {
    let (name, value) = field.split_once(':').unwrap_or((field, ""));
    let unfolded = value.replace("\r\n", "");
    let mut collapsed = String::with_capacity(unfolded.len());
    let mut space = false;
    for c in unfolded.chars() {
        if c == ' ' || c == '\t' {
            space = true;
        } else {
            if space && !collapsed.is_empty() {
                collapsed.push(' ');
            }
            space = false;
            collapsed.push(c);
        }
    }
    format!("{}:{collapsed}\r\n", name.trim().to_ascii_lowercase())
}

/// Relaxed canonicalization of the body (RFC 6376, 3.4.4).
fn relaxed_body(body: &str) -> String {
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            let mut space = false;
            for c in line.chars() {
                if c == ' ' || c == '\t' {
                    space = true;
                } else {
                    if space {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

/// `raw` (a whole message, CRLF lines) with a `DKIM-Signature` header
/// first, signed at Unix time `now`.
pub fn sign(raw: &[u8], key: &RsaPrivateKey, domain: &str, selector: &str, now: u64) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(raw).map_err(|e| format!("the message is not text: {e}"))?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let body_hash = crate::base64(&Sha256::digest(relaxed_body(body).as_bytes()));
    let present = fields(head);
    // Each name takes its instances from the bottom up; a name listed
    // more often than it occurs signs nothing for the extra mention.
    let listed: Vec<&str> =
        SIGNED.iter().copied().filter(|name| present.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))).collect();
    let mut used: std::collections::HashMap<String, usize> = Default::default();
    let mut signed = String::new();
    for name in &listed {
        let lower = name.to_ascii_lowercase();
        let taken = used.entry(lower.clone()).or_default();
        let instances: Vec<&str> = present.iter().filter(|(n, _)| *n == lower).map(|(_, f)| *f).collect();
        if let Some(field) = instances.iter().rev().nth(*taken) {
            signed.push_str(&relaxed_field(field));
        }
        *taken += 1;
    }
    let h = listed.iter().map(|n| n.to_ascii_lowercase()).collect::<Vec<_>>().join(":");
    // Folded at 78 columns: one tag or two per line, the list and the
    // signature broken where a tag's value may be (h= at colons, b=
    // anywhere: whitespace in them is ignored).
    let mut header = format!(
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};\r\n\ts={selector}; t={now};\r\n\th="
    );
    let mut width = 3;
    for (i, name) in h.split(':').enumerate() {
        let piece = if i == 0 { name.to_owned() } else { format!(":{name}") };
        if width + piece.len() > 72 {
            header.push_str("\r\n\t");
            width = 1;
        }
        header.push_str(&piece);
        width += piece.len();
    }
    header.push_str(&format!(";\r\n\tbh={body_hash};\r\n\tb="));
    signed.push_str(relaxed_field(&header).trim_end_matches("\r\n"));
    let hash = Sha256::digest(signed.as_bytes());
    let mut info = SHA256_INFO.to_vec();
    info.extend_from_slice(&hash);
    let signature = key.sign(Pkcs1v15Sign::new_unprefixed(), &info).map_err(|e| format!("DKIM signing: {e}"))?;
    let b = crate::base64(&signature);
    for (i, chunk) in b.as_bytes().chunks(70).enumerate() {
        if i > 0 {
            header.push_str("\r\n\t");
        }
        header.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    header.push_str("\r\n");
    let mut out = header.into_bytes();
    out.extend_from_slice(raw);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_follow_rfc_6376() {
        // The examples of RFC 6376, 3.4.5.
        assert_eq!(relaxed_field("A: X"), "a:X\r\n");
        assert_eq!(relaxed_field("B : Y\t\r\n\tZ  "), "b:Y Z\r\n");
        assert_eq!(relaxed_body(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
        let head = "From: a@example.org\r\nSubject: one\r\n two\r\nTo: b@example.org";
        let found: Vec<String> = fields(head).into_iter().map(|(n, _)| n).collect();
        assert_eq!(found, ["from", "subject", "to"]);
    }
}
