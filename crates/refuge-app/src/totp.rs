//! Time-based one-time passwords (RFC 6238 over RFC 4226, HMAC-SHA1,
//! 6 digits, 30-second steps), and the base32 their secrets travel in.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32, ignoring spaces, hyphens, padding and case.
pub fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.chars().filter(|c| !matches!(c, ' ' | '-' | '=')) {
        let v = ALPHABET.iter().position(|a| char::from(*a) == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The HOTP value of `counter`, `digits` long.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(key) else { return 0 };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let code = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    code % 10u32.pow(digits)
}

/// Whether `code` is right for `secret` (base32) at Unix time `now`,
/// allowing one step of clock difference either way.
pub fn verify(secret: &str, code: &str, now: u64) -> bool {
    matching_step(secret, code, now).is_some()
}

/// The time step whose code `code` is, if it is right for `secret` at
/// Unix time `now` (one step of clock difference either way). Callers
/// record the step, so that a code is accepted once only.
pub fn matching_step(secret: &str, code: &str, now: u64) -> Option<u64> {
    let key = unbase32(secret)?;
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    let given = code.parse::<u32>().ok()?;
    if code.len() != 6 {
        return None;
    }
    let step = now / 30;
    [step.saturating_sub(1), step, step + 1].into_iter().find(|s| hotp(&key, *s, 6) == given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vectors() {
        let key = b"12345678901234567890";
        assert_eq!(hotp(key, 59 / 30, 8), 94_287_082);
        assert_eq!(hotp(key, 1_111_111_109 / 30, 8), 7_081_804);
        assert_eq!(hotp(key, 20_000_000_000 / 30, 8), 65_353_130);
    }

    #[test]
    fn base32_round_trip_and_verify() {
        let key = b"12345678901234567890";
        let secret = base32(key);
        assert_eq!(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(unbase32(&secret.to_lowercase()).unwrap(), key);
        let code = format!("{:06}", hotp(key, 1000, 6));
        assert!(verify(&secret, &code, 30_000));
        assert!(verify(&secret, &code, 30_029 + 30), "one step of drift");
        assert!(!verify(&secret, &code, 30_000 + 120));
        assert!(!verify(&secret, "12345", 30_000));
        assert!(!verify("not base32!", &code, 30_000));
    }
}
