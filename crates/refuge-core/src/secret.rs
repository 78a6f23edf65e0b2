//! Random secrets from the operating system, in one place: session ids,
//! form keys, subscription tokens, file names, first passwords.

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// `len` random bytes as hex (`2 × len` digits).
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    crate::digest::hex(&bytes)
}

/// 128 random bits in 22 URL-safe characters (links in mail stay on one line).
pub fn url_token() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = u128::from_be_bytes(random_bytes::<16>());
    (0..22)
        .map(|_| {
            let c = ALPHABET[(bits & 63) as usize];
            bits >>= 6;
            char::from(c)
        })
        .collect()
}

/// A password of `len` characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), about 5.6 bits per character.
pub fn password(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        for b in random_bytes::<64>() {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_different() {
        assert_eq!(random_hex(32).len(), 64);
        assert_ne!(random_hex(16), random_hex(16));
        let t = url_token();
        assert_eq!(t.len(), 22);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let a = password(20);
        assert_eq!(a.len(), 20);
        assert_ne!(a, password(20));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)));
    }
}
