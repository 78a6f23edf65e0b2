//! Random secrets from the operating system.

/// A password of `len` characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), about 5.6 bits per character.
pub fn password(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        for b in bytes {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_long_and_different() {
        let a = super::password(20);
        assert_eq!(a.len(), 20);
        assert_ne!(a, super::password(20));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)));
    }
}
