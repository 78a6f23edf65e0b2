//! Which parts of a name identify the person, per script.
//!
//! The guard looks for the whole name and for the part that identifies
//! the person beyond the family name — the given name — because a family
//! name alone (Kim, Lee, 李, 김, 山田) is ordinary text: an article about
//! Kim Jong-un must publish.
//!
//! * **Written with separators** (spaces, middle dots): the family name
//!   is the part found in the lists below, first or last; when none is,
//!   it is the first part for Han and Hangul names (East Asian order) and
//!   the last for Latin, Cyrillic and katakana names (given name first).
//!   Everything else is the given name.
//! * **Han, Hangul or kana written together** (`김민지`, `李明华`,
//!   `山田花子`): a known family name at the start (compound ones such as
//!   남궁, 欧阳 and Japanese ones such as 山田 first) is split off; when
//!   the start is not a known multi-character family name, every ending
//!   of two characters or more after the first character is searched
//!   (`山田花子` → `田花子`, `花子`), which errs on the side of finding.
//! * A given name of one character (李明's 明) is not searched alone: it
//!   is in too many words. The whole name is.
//! * A name that is only a family name (`[[name:Kim]]`) is hidden where it
//!   is marked, but not searched for.

use super::fold::fold_text;
use super::is_name_separator;

/// One thing the guard searches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Folded (see the guard), without separators.
    pub folded: String,
    /// Found only as whole words (names in Latin and similar letters).
    pub whole_words: bool,
    /// As the name writes it, for the editor's message.
    pub shown: String,
}

/// Han, Hangul or kana.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3006 | 0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0x20000..=0x3FFFF | 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F
        | 0xA960..=0xA97F | 0xD7B0..=0xD7FF | 0xFF66..=0xFF9F | 0xFFA0..=0xFFDC)
}

fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

/// Common family names in Latin letters: Korean, Chinese (pinyin and
/// older spellings), Japanese and Vietnamese.
const LATIN_FAMILY: &str = "kim gim lee yi rhee ri rhie park pak bak choi choe chwe jung jeong chung cheong kang gang \
    cho jo yoon yun jang chang lim im rim han oh o seo suh so shin sin kwon gwon hwang ahn an song yoo yu ryu \
    jeon jun chun hong ko go koh moon mun yang son sohn bae pae baek paek back heo hur huh nam noh roh no ha \
    kwak gwak sung seong cha joo ju chu woo wu u min jin chin ji chi um eom pyo chae choo won kook \
    wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie \
    tang feng deng cao peng zeng xiao tian dong pan yuan cai jiang du ye cheng wei su lu ding ren shen yao \
    cui tan fan fang shi jia xia fu zou xiong qiu qin meng tao bai mao hao kong wan gu lai hou shao long \
    duan lei qian tang yin yi chang wong cheung lau chan leung ng tse tsang chow kwok lam \
    sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada sasaki \
    yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto ishikawa yamashita \
    ogawa ishii hasegawa okada maeda fujita goto kondo murakami endo aoki sakamoto saito fukuda ota nishimura \
    fujii okamoto fujiwara miura nakano nakagawa harada matsuda takeuchi ono tamura nakayama wada ishida \
    ueda morita hara shibata sakai kudo yokoyama miyazaki miyamoto uchida takagi ando shimada \
    nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly trinh dinh";

/// Common single-character Han family names (Chinese, Korean and
/// Japanese, simplified and traditional).
const HAN_FAMILY: &str = "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何林高罗羅郑鄭梁谢謝宋唐韩韓冯馮邓鄧\
    曹彭曾萧蕭田董潘袁蔡蒋蔣余于杜叶葉程魏苏蘇吕呂丁任沈姚卢盧金崔朴姜尹申权權安柳洪全文孙裴裵白许許\
    南盧河成车車具禹严嚴元千方孔玄咸卞廉吕呂秋都石薛马魯鲁池陆陸邱秦孟陶毛郝龚龔万萬顾顧赖賴侯邵龙龍\
    段雷钱錢汤湯尹黎易常武乔喬贺賀温溫施柴牛洪谭譚廖邹鄒熊金陆范方石姚谭森原";

/// Compound Han family names.
const HAN_COMPOUND: &str = "欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 长孙 長孫 \
    宇文 夏侯 令狐 澹台 轩辕 軒轅 西门 西門 南宫 南宮 独孤 獨孤 端木 申屠 钟离 鍾離 鲜于 鮮于";

/// Common Japanese family names in kanji.
const JA_FAMILY: &str = "佐藤 鈴木 高橋 田中 渡辺 渡邊 渡邉 伊藤 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 \
    井上 木村 清水 山崎 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 \
    青木 坂本 斉藤 斎藤 齋藤 福田 太田 西村 藤井 金子 岡本 藤原 三浦 中野 中川 原田 松田 竹内 小野 田村 \
    中山 和田 石田 森田 上田 柴田 酒井 工藤 横山 宮崎 宮本 内田 高木 安藤 島田 谷口 大野 高田 丸山 今井 \
    河野 藤本 村田 武田 上野 杉山 増田 小山 大塚 平野 菅原 久保 松井 千葉 岩崎 桜井 木下 野口 松尾 菊地 \
    野村 新井 渡部 佐野 杉本 大西 古川 浜田 市川 小島 水野 北村 望月 荒木 林 森 原";

/// Common Hangul family names.
const HANGUL_FAMILY: &str = "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채\
    원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부";

/// Compound Hangul family names.
const HANGUL_COMPOUND: &str = "남궁 황보 제갈 선우 독고 사공 서문 동방";

/// Whether `part` (one part of a name) is a common family name.
fn is_family(part: &str) -> bool {
    let part = part.trim();
    let folded = fold_text(part);
    if folded.is_empty() {
        return false;
    }
    if part.chars().any(is_cjk) {
        let count = part.chars().count();
        return (count == 1 && (HAN_FAMILY.contains(part) || HANGUL_FAMILY.contains(part)))
            || HAN_COMPOUND.split_whitespace().any(|f| f == part)
            || HANGUL_COMPOUND.split_whitespace().any(|f| f == part)
            || JA_FAMILY.split_whitespace().any(|f| f == part);
    }
    LATIN_FAMILY.split_whitespace().any(|f| f == folded)
}

/// How many characters at the start of a name written together are a
/// known family name of two characters or more.
fn long_family_prefix(chars: &[char]) -> Option<usize> {
    (2..=3.min(chars.len().saturating_sub(1))).rev().find(|&k| {
        let prefix: String = chars[..k].iter().collect();
        HAN_COMPOUND.split_whitespace().any(|f| f == prefix)
            || HANGUL_COMPOUND.split_whitespace().any(|f| f == prefix)
            || JA_FAMILY.split_whitespace().any(|f| f == prefix)
    })
}

/// What the guard searches for to find the person named `name` (as
/// written inside `[[name:…]]`): the whole name and the given name, in
/// the module's rules.
pub fn identifying_parts(name: &str) -> Vec<Part> {
    let name = name.trim();
    let cjk = name.chars().any(is_cjk);
    let mut out: Vec<Part> = Vec::new();
    let mut add = |shown: &str, folded: String| {
        if folded.chars().count() >= 2 && !out.iter().any(|p| p.folded == folded) {
            out.push(Part { folded, whole_words: !cjk, shown: shown.trim().to_owned() });
        }
    };
    let parts: Vec<&str> = name.split(is_name_separator).filter(|p| !fold_text(p).is_empty()).collect();
    match parts.as_slice() {
        [] => {}
        [one] if is_family(one) => {}
        [one] => {
            add(one, fold_text(one));
            let chars: Vec<char> = one.chars().collect();
            if cjk && chars.len() >= 3 {
                match long_family_prefix(&chars) {
                    Some(k) => {
                        let given: String = chars[k..].iter().collect();
                        add(&given, fold_text(&given));
                    }
                    None => {
                        for i in 1..=chars.len() - 2 {
                            let ending: String = chars[i..].iter().collect();
                            add(&ending, fold_text(&ending));
                        }
                    }
                }
            }
        }
        many => {
            add(name, fold_text(name));
            let last = many.len() - 1;
            // Names in kana joined by a middle dot are foreign names, given
            // name first (マリア・イワノワ); with a space, Japanese (スズキ タロウ).
            let foreign_kana =
                name.chars().filter(|c| c.is_alphabetic()).all(is_kana) && name.contains(['・', '･', '·']);
            let family = if is_family(many[0]) {
                0
            } else if is_family(many[last]) || !cjk || foreign_kana {
                last
            } else {
                0
            };
            let given: Vec<&str> = many.iter().enumerate().filter(|(i, _)| *i != family).map(|(_, p)| *p).collect();
            add(&given.join(" "), fold_text(&given.concat()));
            if given.len() > 1 {
                for part in &given {
                    let folded = fold_text(part);
                    if folded.chars().count() >= if cjk { 2 } else { 4 } {
                        add(part, folded);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(name: &str) -> Vec<String> {
        identifying_parts(name).into_iter().map(|p| p.folded).collect()
    }

    #[test]
    fn latin_names_identify_by_the_given_name() {
        assert_eq!(folded("Park Ji-hoon"), ["parkjihoon", "jihoon"]);
        assert_eq!(folded("Ji-hoon Park"), ["jihoonpark", "jihoon"]);
        assert_eq!(folded("Maria Ivanova"), ["mariaivanova", "maria"]);
        assert_eq!(folded("Мария Иванова"), ["марияиванова", "мария"]);
        assert_eq!(folded("Maria del Carmen Lopez"), ["mariadelcarmenlopez", "mariadelcarmen", "maria", "carmen"]);
        assert!(folded("Kim").is_empty(), "a family name alone is not searched");
    }

    #[test]
    fn cjk_names_identify_by_the_given_name() {
        assert_eq!(folded("김민지"), ["김민지", "민지"]);
        assert_eq!(folded("김 민지"), ["김민지", "민지"]);
        assert_eq!(folded("남궁민수"), ["남궁민수", "민수"]);
        assert_eq!(folded("李明"), ["李明"]);
        assert_eq!(folded("李 明"), ["李明"]);
        assert_eq!(folded("欧阳明华"), ["欧阳明华", "明华"]);
        assert_eq!(folded("山田花子"), ["山田花子", "花子"]);
        assert_eq!(folded("山田・花子"), ["山田花子", "花子"]);
        assert_eq!(folded("大谷翔平"), ["大谷翔平", "谷翔平", "翔平"]);
        assert_eq!(folded("マリア・イワノワ"), ["まりあいわのわ", "まりあ"]);
        assert_eq!(folded("スズキ タロウ"), ["すずきたろう", "たろう"]);
        assert_eq!(folded("ﾀｶﾊｼ ﾐｻｷ"), ["たかはしみさき", "みさき"]);
        assert!(folded("李").is_empty() && folded("김").is_empty());
    }
}
