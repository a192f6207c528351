//! Turning text into normalised word tokens.
//!
//! Chinese runs go through jieba-rs (`cut` with the HMM, so unknown names are still joined into
//! words); everything else is split here, on word boundaries. Doing the script split ourselves,
//! rather than handing jieba the whole text, is deliberate: jieba treats only ASCII letters as
//! "word" characters, so `café` or `Ｌｅａｋ` (full-width, common in Chinese posts) would come back
//! as loose characters, and its output keeps spaces and punctuation that we would have to filter
//! again anyway.

use anyhow::{Context, bail};
use jieba_rs::Jieba;
use std::ops::Range;
use std::path::Path;

/// Segments and normalises text. Loading the jieba dictionary takes ~110 ms and ~35 MB, so build
/// one at start and share it (`Arc<Analyzer>`); it is `Send + Sync` and `tokens` takes `&self`.
#[derive(Debug)]
pub struct Analyzer {
    jieba: Jieba,
}

/// A text's tokens with their places in it (see [`Analyzer::tagged`]).
#[derive(Debug, Default)]
pub struct Tagged {
    pub tokens: Vec<String>,
    /// The byte range in the text of each token.
    pub spans: Vec<Range<usize>>,
    /// The Chinese words, with their parts of speech.
    pub han: Vec<HanWord>,
}

impl Tagged {
    /// The tokens of `part`, a slice of `text` (the text these tokens are of), when they are
    /// the ones tokenising `part` alone gives: when it begins and ends at a boundary no token
    /// crosses. `None` otherwise (a part cut out of a word or a run of Chinese, which jieba may
    /// segment differently on its own).
    pub fn within(&self, text: &str, part: &str) -> Option<Vec<String>> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let end = start + part.len();
        if end > text.len() {
            return None;
        }
        let clean =
            |c: Option<char>| c.is_none_or(|c| class(c) == Class::Other && !matches!(c, '.' | ',' | '\'' | '’'));
        if !clean(text[..start].chars().next_back()) || !clean(text[end..].chars().next()) {
            return None;
        }
        let from = self.spans.partition_point(|s| s.start < start);
        let to = self.spans.partition_point(|s| s.start < end);
        Some(self.tokens[from..to].to_vec())
    }
}

/// A Chinese word's byte range in its text and its part of speech.
#[derive(Debug, Clone)]
pub struct HanWord {
    pub range: Range<usize>,
    pub pos: Pos,
}

/// A part of speech, as far as finding places needs one (jieba's tags: `ns` a place name, `n…`
/// other nouns, `j` an abbreviation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    Place,
    Noun,
    Abbreviation,
    Other,
}

impl Pos {
    fn of(tag: &str) -> Pos {
        match tag {
            "ns" => Pos::Place,
            "j" => Pos::Abbreviation,
            t if t.starts_with('n') => Pos::Noun,
            _ => Pos::Other,
        }
    }

    pub fn is_noun(self) -> bool {
        matches!(self, Pos::Place | Pos::Noun)
    }
}

/// How one character takes part in tokenising.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A CJK ideograph: segmented by jieba.
    Han,
    /// A letter, digit or combining mark of any other script: part of a word.
    Word,
    /// Whitespace, punctuation, symbols: a boundary, dropped.
    Other,
}

impl Analyzer {
    /// Loads jieba's built-in dictionary, then the optional user dictionary: one entry per line,
    /// `word [freq] [tag]` as in Python jieba, blank lines and `#` comments skipped. An entry
    /// without a frequency gets the one jieba suggests so that the word is always kept whole.
    /// Entries should be Chinese only: Latin letters and digits are split off before jieba sees
    /// the text (a mixed term such as `5G基站` still matches, as two consecutive tokens).
    pub fn new(user_dict: Option<&Path>) -> anyhow::Result<Analyzer> {
        let mut jieba = Jieba::new();
        if let Some(path) = user_dict {
            load_user_dict(&mut jieba, path)?;
        }
        Ok(Analyzer { jieba })
    }

    /// Normalised word tokens: Chinese segmented by jieba (cut with HMM), Latin words split on
    /// word boundaries and lowercased (Unicode-aware), digits kept; whitespace and punctuation
    /// dropped. Full-width letters and digits are folded to ASCII first, `3.5` and `don't` stay
    /// one token each.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        // Chinese averages ~4 bytes per token (1.5 characters of 3 bytes); Latin more.
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        self.walk(text, false, |_, word, _| out.push(word));
        out
    }

    /// The same tokens with where each lies in `text`, and jieba's part of speech of each
    /// Chinese word, from the one segmentation: what needs both (intake: the tokens, the quoted
    /// parts' tokens and the places) segments once instead of three times.
    pub fn tagged(&self, text: &str) -> Tagged {
        let mut t = Tagged { tokens: Vec::with_capacity(text.len() / 4 + 1), ..Tagged::default() };
        self.walk(text, true, |range, word, tag| {
            if let Some(tag) = tag {
                t.han.push(HanWord { range: range.clone(), pos: Pos::of(tag) });
            }
            t.tokens.push(word);
            t.spans.push(range);
        });
        t
    }

    /// jieba's part-of-speech tags for the Chinese words of `text`.
    pub(crate) fn han_words(&self, text: &str) -> Vec<HanWord> {
        self.tagged(text).han
    }

    /// Hands each token to `emit` with its byte range in `text` and, when `tag` is asked for,
    /// jieba's tag of a Chinese word (jieba's `tag` is its `cut` plus a dictionary look-up per
    /// word: the same words).
    fn walk(&self, text: &str, tag: bool, mut emit: impl FnMut(Range<usize>, String, Option<&str>)) {
        let mut chars = text.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            match class(c) {
                Class::Other => {}
                Class::Han => {
                    let end = han_run_end(&mut chars, start, c);
                    // The run is Han only, so every token jieba returns is a word: no filtering.
                    let run = &text[start..end];
                    if tag {
                        for t in self.jieba.tag(run, true) {
                            emit(start + t.byte_start..start + t.byte_end, t.word.to_owned(), Some(t.tag));
                        }
                    } else {
                        for t in self.jieba.cut(run, true) {
                            emit(start + t.byte_start..start + t.byte_end, t.word.to_owned(), None);
                        }
                    }
                }
                Class::Word => {
                    let mut word = String::new();
                    push_folded(&mut word, c);
                    let mut prev = c;
                    while let Some(&(_, c)) = chars.peek() {
                        match class(c) {
                            Class::Word => push_folded(&mut word, c),
                            // `3.5`, `1,000` and `don't` are one word each (UAX #29's MidNum and
                            // MidLetter), but only with a word character on both sides.
                            Class::Other if matches!(c, '.' | ',' | '\'' | '’') => {
                                let next = chars.clone().nth(1).map(|(_, next)| next);
                                match next {
                                    Some(next) if joins(prev, c, next) => push_folded(&mut word, c),
                                    _ => break,
                                }
                            }
                            _ => break,
                        }
                        prev = c;
                        chars.next();
                    }
                    let end = chars.peek().map_or(text.len(), |&(i, _)| i);
                    emit(start..end, word, None);
                }
            }
        }
    }

    /// Whether `word` is in the dictionary (built-in or user), as one entry.
    pub(crate) fn is_dict_word(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }
}

/// Where the run of Han characters that `first` (at `start`) begins ends, taking the rest of it
/// from `chars`.
fn han_run_end(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, start: usize, first: char) -> usize {
    let mut end = start + first.len_utf8();
    while let Some(&(i, c)) = chars.peek() {
        if class(c) != Class::Han {
            break;
        }
        end = i + c.len_utf8();
        chars.next();
    }
    end
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if c.is_alphanumeric() || ('\u{300}'..='\u{36F}').contains(&c) {
        // Combining accents keep a decomposed `é` (e + U+0301) inside its word.
        Class::Word
    } else {
        Class::Other
    }
}

/// The CJK ideograph blocks jieba segments (the same set as jieba-rs's own `is_cjk`).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// Whether `mid` joins the word characters `prev` and `next` into one word.
fn joins(prev: char, mid: char, next: char) -> bool {
    match mid {
        '.' | ',' => prev.is_numeric() && next.is_numeric(),
        '\'' | '’' => prev.is_alphabetic() && next.is_alphabetic(),
        _ => false,
    }
}

/// Appends `c` lowercased, with full-width ASCII (U+FF01..U+FF5E) folded to ASCII and the
/// typographic apostrophe to `'`, so `ＬＥＡＫ`, `Leak` and `leak` are one token.
fn push_folded(word: &mut String, c: char) {
    if c.is_ascii() {
        word.push(c.to_ascii_lowercase());
        return;
    }
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '’' => '\'',
        _ => c,
    };
    word.extend(c.to_lowercase());
}

/// Adds the user dictionary's entries to `jieba`. Errors name the file and the line, because
/// the file is written by hand by the team.
fn load_user_dict(jieba: &mut Jieba, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read jieba user dictionary {}", path.display()))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{FEFF}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (word, freq, tag) = match fields[..] {
            [word] => (word, None, None),
            [word, second] => match second.parse::<usize>() {
                Ok(freq) => (word, Some(freq), None),
                // Python jieba accepts `word tag` without a frequency too.
                Err(_) if second.chars().all(|c| c.is_ascii_alphabetic()) => (word, None, Some(second)),
                Err(_) => bail!("{}: `{second}` is neither a frequency nor a part-of-speech tag", at()),
            },
            [word, freq, tag] => match freq.parse::<usize>() {
                Ok(freq) => (word, Some(freq), Some(tag)),
                Err(_) => bail!("{}: frequency `{freq}` is not a whole number", at()),
            },
            _ => bail!("{}: expected `word [freq] [tag]`, found {} fields", at(), fields.len()),
        };
        jieba.add_word(word, freq, tag);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn toks(text: &str) -> Vec<String> {
        crate::text::test_analyzer().tokens(text)
    }

    #[test]
    fn tagging_gives_the_same_tokens_with_their_places_in_the_text() {
        let text = "转发：荷花小区3栋燃气泄漏，Gas LEAK at 3.5 Main St. “居民已疏散”";
        let a = crate::text::test_analyzer();
        let t = a.tagged(text);
        assert_eq!(t.tokens, a.tokens(text));
        assert_eq!(t.spans.len(), t.tokens.len());
        // Each span holds its token (before folding) and they come in order.
        assert_eq!(&text[t.spans[0].clone()], "转发");
        assert!(t.spans.windows(2).all(|w| w[0].end <= w[1].start));
        assert!(t.spans.iter().zip(&t.tokens).all(|(s, tok)| text[s.clone()].to_lowercase() == *tok));
        // The words and tags jieba gives each Chinese run on its own, in order.
        let han: Vec<(&str, Pos)> = t.han.iter().map(|h| (&text[h.range.clone()], h.pos)).collect();
        let runs = ["转发", "荷花小区", "栋燃气泄漏", "居民已疏散"];
        let jieba: Vec<(&str, Pos)> =
            runs.iter().flat_map(|r| a.jieba.tag(r, true)).map(|t| (t.word, Pos::of(t.tag))).collect();
        assert_eq!(han, jieba);
    }

    #[test]
    fn a_part_between_boundaries_takes_its_tokens_from_the_whole_text_and_others_are_segmented_again() {
        let text = "评论一句 “荷花小区燃气泄漏，居民已疏散” //@张三: Gas leak at 3.5 Main St.";
        let a = crate::text::test_analyzer();
        let t = a.tagged(text);
        for part in ["荷花小区燃气泄漏，居民已疏散", "Gas leak at 3.5 Main St.", "评论一句", text] {
            let start = text.find(part).unwrap();
            assert_eq!(t.within(text, &text[start..start + part.len()]), Some(a.tokens(part)), "{part}");
        }
        // Cut out of a Chinese run or a word: jieba may segment it differently alone.
        for part in ["小区燃气泄漏", "ak at 3.5", "3.5 Main St"] {
            let start = text.find(part).unwrap();
            assert_eq!(t.within(text, &text[start..start + part.len()]), None, "{part}");
        }
        // A string from elsewhere is never taken for a part.
        assert_eq!(t.within(text, "荷花小区"), None);
    }

    #[test]
    fn segments_chinese_with_jieba() {
        assert_eq!(toks("南京市长江大桥"), ["南京市", "长江大桥"]);
    }

    #[test]
    fn empty_and_punctuation_only_input_give_no_tokens() {
        assert!(toks("").is_empty());
        assert!(toks("  ，。！？…… --- \n\t").is_empty());
    }

    #[test]
    fn latin_words_are_lowercased_on_word_boundaries() {
        assert_eq!(toks("Gas LEAK. gas-leak, Leaky!"), ["gas", "leak", "gas", "leak", "leaky"]);
        assert_eq!(toks("ÉCOLE Straße ΣΟΦΙΑ"), ["école", "straße", "σοφια"]);
        // Full-width forms, frequent in Chinese posts, fold to ASCII.
        assert_eq!(toks("ＬＥＡＫ２０２４"), ["leak2024"]);
    }

    #[test]
    fn numbers_and_apostrophes_stay_inside_words() {
        assert_eq!(
            toks("3.5 级, 1,000 people; don’t panic. end."),
            ["3.5", "级", "1,000", "people", "don't", "panic", "end"]
        );
    }

    #[test]
    fn mixed_chinese_and_english_split_at_the_script_boundary() {
        assert_eq!(
            toks("5G基站Power Outage，影响3个小区"),
            ["5g", "基站", "power", "outage", "影响", "3", "个", "小区"]
        );
    }

    #[test]
    fn user_dictionary_makes_a_domain_word_one_token() {
        let text = "今晨发生燃气管网泄漏";
        assert!(toks(text).iter().all(|t| t != "燃气管网"), "the built-in dictionary splits it");
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "# domain words\n燃气管网\n\n调压箱 50 n").unwrap();
        let analyzer = Analyzer::new(Some(file.path())).unwrap();
        assert_eq!(analyzer.tokens(text), ["今晨", "发生", "燃气管网", "泄漏"]);
        assert_eq!(analyzer.tokens("调压箱"), ["调压箱"]);
    }

    #[test]
    fn user_dictionary_errors_name_the_file_and_line() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "燃气管网 10\n调压箱 lots n").unwrap();
        let err = Analyzer::new(Some(file.path())).unwrap_err().to_string();
        assert!(err.contains(&format!("{}:2", file.path().display())), "{err}");
        assert!(err.contains("lots"), "{err}");

        let missing = Path::new("/nonexistent/user.dict");
        let err = format!("{:#}", Analyzer::new(Some(missing)).unwrap_err());
        assert!(err.contains("/nonexistent/user.dict"), "{err}");
    }
}
