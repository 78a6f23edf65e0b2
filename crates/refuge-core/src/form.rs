//! Form bodies and query strings (`application/x-www-form-urlencoded`),
//! decoded without ever failing: invalid escapes and UTF-8 are replaced.

use percent_encoding::percent_decode;

/// Decoded name/value pairs, at most `max` of them.
pub fn pairs(raw: &str, max: usize) -> Vec<(String, String)> {
    raw.split('&')
        .take(max)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode(s.replace('+', " ").as_bytes()).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_without_failing() {
        assert_eq!(
            pairs("a=1&b=x+y&c=%E6%97%A5&&d", 10),
            [
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "日".into()),
                ("d".into(), String::new())
            ]
        );
        assert_eq!(pairs("x=%ZZ%&y=%FF", 10), [("x".into(), "%ZZ%".into()), ("y".into(), "\u{fffd}".into())]);
        assert_eq!(pairs("a&b&c", 2).len(), 2);
    }
}
