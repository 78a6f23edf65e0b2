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

pub const EN_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "that",
    "were",
    "was",
    "for",
    "on",
    "with",
    "by",
    "as",
    "from",
    "their",
    "they",
    "at",
    "have",
    "been",
    "refugees",
    "border",
    "china",
    "north",
    "korea",
    "korean",
    "people",
    "government",
    "detained",
    "families",
    "authorities",
    "returned",
    "forced",
    "repatriation",
    "asylum",
    "embassy",
    "letter",
    "appeal",
    "urgent",
    "human",
    "rights",
    "camp",
    "prison",
    "labour",
    "women",
    "children",
    "shelter",
    "food",
    "rice",
    "coal",
    "winter",
    "cold",
    "river",
    "crossing",
    "night",
    "guards",
    "police",
    "arrest",
    "arrested",
    "interrogation",
    "torture",
    "hunger",
    "famine",
    "escape",
    "escaped",
    "route",
    "thailand",
    "laos",
    "mongolia",
    "vietnam",
    "seoul",
    "tokyo",
    "beijing",
    "united",
    "nations",
    "report",
    "review",
    "council",
    "resolution",
    "statement",
    "partners",
    "volunteers",
    "translators",
    "donations",
    "rent",
    "medicine",
    "doctor",
    "tuberculosis",
    "lawyer",
    "court",
    "detention",
    "centre",
    "cell",
    "visit",
    "released",
    "release",
    "safety",
    "safe",
    "house",
    "houses",
    "hiding",
    "hidden",
    "village",
    "town",
    "city",
    "province",
    "province's",
    "church",
    "missionary",
    "broker",
    "guide",
    "price",
    "journey",
    "bus",
    "train",
    "station",
    "checkpoint",
    "camera",
    "cameras",
    "fence",
    "fences",
    "informer",
    "reward",
    "trafficking",
    "trafficked",
    "bride",
    "farmers",
    "sold",
    "testimony",
    "survivor",
    "survivors",
    "witness",
    "journalists",
    "press",
    "conference",
    "newsletter",
    "subscribers",
    "annual",
    "accounts",
    "audit",
    "auditor",
    "scholarship",
    "school",
    "students",
    "teacher",
    "classes",
    "japanese",
    "language",
    "employment",
    "work",
    "job",
    "resettled",
    "resettlement",
    "citizens",
    "abducted",
    "abduction",
    "relatives",
    "mother",
    "father",
    "daughter",
    "son",
    "brother",
    "sister",
    "grandmother",
    "husband",
    "wife",
    "baby",
    "born",
    "died",
    "death",
    "executions",
    "public",
    "fear",
    "hope",
    "courage",
    "freedom",
    "law",
    "international",
    "principle",
    "non-refoulement",
    "persecution",
    "protection",
    "status",
    "application",
    "recognised",
    "years",
    "months",
    "weeks",
    "days",
    "spring",
    "summer",
    "autumn",
    "december",
    "january",
    "march",
    "july",
    "policy",
    "double",
    "standard",
    "crackdown",
    "humanitarian",
    "ministry",
    "foreign",
    "minister",
    "diplomats",
    "delegation",
    "meeting",
    "talks",
    "sources",
    "confirmed",
    "reported",
    "according",
    "agency",
    "wire",
    "dispatch",
    "information",
    "update",
    "further",
    "moved",
    "transferred",
    "facility",
    "larger",
    "smaller",
    "eleven",
    "thirteen",
    "four",
    "two",
    "three",
    "hundred",
    "thousand",
    "million",
    "yen",
    "dollars",
    "cost",
    "paid",
    "bicycle",
    "clothes",
    "blankets",
    "stove",
    "kitchen",
    "garden",
    "field",
    "mountain",
    "desert",
    "gobi",
    "tumen",
    "yalu",
    "yanbian",
    "shenyang",
    "dandong",
    "kunming",
    "bangkok",
    "vientiane",
    "ulaanbaatar",
    "quietly",
    "secretly",
    "openly",
    "again",
    "never",
    "always",
    "often",
    "sometimes",
    "many",
    "few",
    "most",
    "some",
    "every",
    "each",
    "other",
    "another",
    "new",
    "old",
    "young",
    "elderly",
];

pub const JA_WORDS: &[&str] = &[
    "北朝鮮",
    "中国",
    "難民",
    "脱北者",
    "国境",
    "当局",
    "拘束",
    "強制送還",
    "送還",
    "強制",
    "人権",
    "政府",
    "大使館",
    "手紙",
    "緊急",
    "アピール",
    "収容所",
    "刑務所",
    "労働",
    "女性",
    "子ども",
    "家族",
    "隠れ家",
    "食料",
    "米",
    "石炭",
    "冬",
    "寒さ",
    "川",
    "豆満江",
    "鴨緑江",
    "夜",
    "警備",
    "警察",
    "逮捕",
    "尋問",
    "拷問",
    "飢え",
    "飢饉",
    "脱出",
    "経路",
    "タイ",
    "ラオス",
    "モンゴル",
    "ベトナム",
    "ソウル",
    "東京",
    "北京",
    "国連",
    "報告書",
    "審査",
    "決議",
    "声明",
    "協力者",
    "ボランティア",
    "翻訳",
    "寄付",
    "家賃",
    "医薬品",
    "医師",
    "結核",
    "弁護士",
    "裁判所",
    "収容施設",
    "面会",
    "釈放",
    "安全",
    "村",
    "町",
    "都市",
    "省",
    "教会",
    "宣教師",
    "ブローカー",
    "案内人",
    "値段",
    "旅",
    "バス",
    "列車",
    "駅",
    "検問所",
    "監視カメラ",
    "フェンス",
    "密告者",
    "報奨金",
    "人身売買",
    "花嫁",
    "農民",
    "証言",
    "生存者",
    "目撃者",
    "記者",
    "記者会見",
    "会報",
    "購読者",
    "年次報告",
    "会計",
    "監査",
    "奨学金",
    "学校",
    "学生",
    "教師",
    "日本語教室",
    "就職",
    "仕事",
    "定住",
    "市民",
    "拉致",
    "親族",
    "母",
    "父",
    "娘",
    "息子",
    "兄",
    "姉",
    "祖母",
    "夫",
    "妻",
    "赤ちゃん",
    "処刑",
    "恐怖",
    "希望",
    "勇気",
    "自由",
    "法律",
    "国際法",
    "原則",
    "ノン・ルフールマン",
    "迫害",
    "保護",
    "在留資格",
    "申請",
    "認定",
    "二重基準",
    "取り締まり",
    "人道",
    "外務省",
    "外交官",
    "代表団",
    "会議",
    "協議",
    "関係者",
    "確認",
    "報道",
    "通信社",
    "情報",
    "続報",
    "移送",
    "施設",
    "十一人",
    "十三人",
    "四人",
    "自転車",
    "衣類",
    "毛布",
    "ストーブ",
    "山",
    "砂漠",
    "ゴビ砂漠",
    "延辺",
    "瀋陽",
    "丹東",
    "昆明",
    "バンコク",
    "ビエンチャン",
    "ウランバートル",
    "新幹線",
    "大阪",
    "関西",
    "東北部",
    "朝鮮族",
    "支援",
    "活動",
    "集会",
    "参加者",
    "署名",
    "請願",
    "署名活動",
    "抗議",
    "要請",
    "調査",
    "聞き取り",
    "記録",
    "公開",
];

pub const JA_PARTICLES: &[&str] = &["は", "が", "を", "に", "で", "と", "の", "から", "まで", "へ", "も"];
pub const JA_ENDINGS: &[&str] =
    &["された。", "している。", "した。", "である。", "と述べた。", "を求めた。", "が確認された。", "という。"];

const SYLLABLES: &[&str] = &[
    "ka", "ren", "tol", "mi", "sa", "dor", "vel", "an", "ko", "ru", "tis", "pe", "lan", "mor", "ga", "shi", "ten",
    "bu", "ro", "ne", "sil", "qua", "ber", "lo", "fi", "ham", "tro", "del", "vi", "nak",
];

/// Kanji used for invented Japanese compounds (common ones first).
const KANJI: &str = "人国日年大中出本事生学会自前長地市方手意家気成員部問業者明理発対開合全思今高使見主立信最外内政同関連経現法定経資議通報的動権力情画度重分自強制送還拘束支援難民境警備収容施設家族女性子供食料安全社会政府記者活動活用調査公開取材要請請願署名保護申請";

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
    Article { lang, slug: format!("article-{i}"), title: title.trim_end_matches(['.', '。']).to_owned(), body, year }
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
