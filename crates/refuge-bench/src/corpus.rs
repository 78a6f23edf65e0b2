//! A deterministic synthetic corpus: half English, half Japanese articles
//! of about 600 words, with a skewed (Zipf-like) word distribution so some
//! words are common and most are rare, as in real text.

/// SplitMix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub use crate::words::*;

/// A vocabulary of `n` words: the real words first (most frequent), then
/// invented ones, so ranks follow a long Zipf tail like real text.
pub fn vocabulary(real: &[&str], n: usize, japanese: bool) -> Vec<String> {
    let mut rng = Rng::new(if japanese { 0x4A41 } else { 0x454E });
    let mut words: Vec<String> = real.iter().map(|w| (*w).to_owned()).collect();
    let kanji: Vec<char> = KANJI.chars().collect();
    let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
    while words.len() < n {
        let word: String = if japanese {
            (0..2 + rng.below(2)).map(|_| kanji[rng.below(kanji.len())]).collect()
        } else {
            (0..2 + rng.below(3)).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect()
        };
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

/// Rank sampled from a Zipf-like (log-uniform) distribution over `n`.
fn zipf(rng: &mut Rng, n: usize) -> usize {
    let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
}

/// The vocabularies, built once.
pub struct Vocab {
    pub en: Vec<String>,
    pub ja: Vec<String>,
}

impl Vocab {
    pub fn new() -> Self {
        Self { en: vocabulary(EN_WORDS, 30_000, false), ja: vocabulary(JA_WORDS, 30_000, true) }
    }
}

impl Default for Vocab {
    fn default() -> Self {
        Self::new()
    }
}

/// One generated article.
pub struct Article {
    pub lang: &'static str,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub year: i32,
}

fn english(rng: &mut Rng, vocab: &[String], words: usize) -> String {
    let mut out = String::with_capacity(words * 7);
    let mut sentence = 0;
    for i in 0..words {
        let w = vocab[zipf(rng, vocab.len())].as_str();
        if sentence == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                out.extend(first.to_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push_str(w);
        }
        sentence += 1;
        if sentence > 8 + rng.below(12) {
            out.push_str(if i.is_multiple_of(40) { ".\n\n" } else { ". " });
            sentence = 0;
        } else {
            out.push(' ');
        }
    }
    out.push('.');
    out
}

fn japanese(rng: &mut Rng, vocab: &[String], words: usize) -> String {
    let mut out = String::with_capacity(words * 9);
    let mut clause = 0;
    for i in 0..words {
        out.push_str(&vocab[zipf(rng, vocab.len())]);
        clause += 1;
        if clause > 4 + rng.below(5) {
            out.push_str(JA_ENDINGS[rng.below(JA_ENDINGS.len())]);
            if i.is_multiple_of(50) {
                out.push_str("\n\n");
            }
            clause = 0;
        } else {
            out.push_str(JA_PARTICLES[rng.below(JA_PARTICLES.len())]);
        }
    }
    out
}

/// Article `i` of the corpus (even: English, odd: Japanese).
pub fn article(vocab: &Vocab, seed: u64, i: usize) -> Article {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let lang = if i.is_multiple_of(2) { "en" } else { "ja" };
    let year = 2000 + rng.below(26) as i32;
    let title_words = 4 + rng.below(6);
    let body_words = 560 + rng.below(80);
    let (title, body) = if lang == "en" {
        (english(&mut rng, &vocab.en, title_words), english(&mut rng, &vocab.en, body_words))
    } else {
        (japanese(&mut rng, &vocab.ja, title_words.min(5)), japanese(&mut rng, &vocab.ja, body_words))
    };
    // One article in twenty names someone hidden with [[name:…]], as this
    // site's reports do: the name guard then searches every page for
    // every one of those names.
    let body = if i.is_multiple_of(20) { format!("{} {body}", hidden_name(i / 20, lang)) } else { body };
    Article { lang, slug: format!("article-{i}"), title: title.trim_end_matches(['.', '。']).to_owned(), body, year }
}

/// The `n`-th name of the corpus, marked: in Latin letters for English
/// articles, in Hangul for Japanese ones (so none is a word of the text).
fn hidden_name(n: usize, lang: &str) -> String {
    const FAMILY: [&str; 8] = ["Kim", "Ri", "Pak", "Choe", "Jong", "Kang", "Han", "O"];
    const SYLLABLES: [&str; 10] = ["chol", "hyok", "ryong", "gyu", "jae", "sook", "hwa", "ung", "chun", "myong"];
    const HANGUL: [char; 10] = ['철', '혁', '룡', '규', '재', '숙', '화', '웅', '춘', '명'];
    let (a, b, c) = (n % 10, (n / 10) % 10, (n / 100) % 10);
    if lang == "en" {
        let given = format!("{}{}-{}", SYLLABLES[a][..1].to_uppercase(), &SYLLABLES[a][1..], SYLLABLES[b]);
        format!("[[name:{} {given}{}]]", FAMILY[c % 8], if c >= 8 { "a" } else { "" })
    } else {
        format!("[[name:김{}{}{}]]", HANGUL[a], HANGUL[b], HANGUL[c])
    }
}

/// Mixed queries drawn like real ones: content words (not the most
/// common few dozen) with the corpus's own frequencies, single words, two
/// words, quoted phrases, Japanese words and two-character substrings.
pub fn queries(vocab: &Vocab, seed: u64, n: usize) -> Vec<(String, &'static str)> {
    let mut rng = Rng::new(seed ^ 0xABCD);
    let word = |rng: &mut Rng, v: &[String]| loop {
        let r = zipf(rng, v.len());
        if r >= 30 {
            return v[r].clone();
        }
    };
    (0..n)
        .map(|i| match i % 6 {
            0 => (word(&mut rng, &vocab.en), "en"),
            1 => (format!("{} {}", word(&mut rng, &vocab.en), word(&mut rng, &vocab.en)), "en"),
            2 => (format!("\"{} {}\"", word(&mut rng, &vocab.en), word(&mut rng, &vocab.en)), "all"),
            3 => (word(&mut rng, &vocab.ja), "ja"),
            4 => (format!("{} {}", word(&mut rng, &vocab.ja), word(&mut rng, &vocab.ja)), "ja"),
            _ => {
                let w: Vec<char> = word(&mut rng, &vocab.ja).chars().collect();
                (w[..w.len().min(2)].iter().collect(), "all")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_about_600_words() {
        let v = Vocab::new();
        let a = article(&v, 7, 10);
        let b = article(&v, 7, 10);
        assert_eq!(a.body, b.body);
        let words = a.body.split_whitespace().count();
        assert!((500..700).contains(&words), "{words}");
        let ja = article(&v, 7, 11);
        assert_eq!(ja.lang, "ja");
        assert!(ja.body.chars().count() > 1500, "{}", ja.body.chars().count());
        assert_eq!(queries(&v, 1, 12), queries(&v, 1, 12));
    }
}
