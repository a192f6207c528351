//! The specifics of a report — where it happened and what kind of thing happened — for the
//! "possibly the same story" line: two reports that say different words about the same gas
//! leak at the same building (a resident's "my building smells of gas" and a news item) are
//! not joined by the text checks, but they share a named place and a keyword category.
//!
//! Places come in two strengths. *Strong*: a named facility or street (`荷花小区`,
//! `人民医院`, `建国路`, `Elm Street`, `Riverside Hospital`), found as a jieba place or noun
//! followed by a facility word, or one word ending in one. *Weak*: a bare region name (jieba's
//! `ns`: `北京`, `朝阳区`) or a building number (`3栋`, `12号`), which many unrelated reports
//! share. A suggestion needs a strong place or two weak ones, and a keyword category in common
//! ([`Specifics::shared_with`]); it never merges anything by itself.

use super::Analyzer;
use super::analyzer::{HanWord, Pos};
use serde::{Deserialize, Serialize};

/// What one report names, normalised (lowercase Latin), each list sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Specifics {
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "s")]
    pub strong: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "w")]
    pub weak: Vec<String>,
    /// Keyword categories it matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "c")]
    pub categories: Vec<String>,
    /// The keyword terms it matched, as configured (shown on the line: `燃气`).
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "t")]
    pub terms: Vec<String>,
    /// What tells one incident from the next of the same kind, typed: `栋:3`, `号线:2`,
    /// `no:5`, `weekday:tuesday`, `daypart:afternoon`, `hour:7` ([`identifiers`]). Kept for
    /// every signal: two texts whose identifiers of one type are disjoint are not the same story
    /// however alike their words (a template with other numbers).
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "i")]
    pub ids: Vec<String>,
}

/// What two reports have in common, as the card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// Places first (strong, then weak), then the terms (else the categories) in common.
    pub items: Vec<String>,
    /// Strong places count 2, weak 1, then shared terms: for ordering candidates.
    pub strength: usize,
}

/// Chinese words that make the name before them a facility or street (`荷花` + `小区`).
const ZH_FACILITIES: &[&str] = &[
    "小区",
    "社区",
    "花园",
    "公寓",
    "大厦",
    "大楼",
    "广场",
    "商场",
    "超市",
    "市场",
    "医院",
    "诊所",
    "学校",
    "小学",
    "中学",
    "大学",
    "学院",
    "幼儿园",
    "车站",
    "地铁站",
    "火车站",
    "站",
    "机场",
    "码头",
    "公园",
    "路",
    "街",
    "大街",
    "大道",
    "胡同",
    "村",
    "镇",
    "桥",
    "大桥",
    "隧道",
    "工厂",
    "化工厂",
    "厂",
    "园区",
    "酒店",
    "宾馆",
    "体育馆",
    "图书馆",
    "电站",
    "变电站",
];

/// English words that make the capitalised name before them a facility or street.
const EN_FACILITIES: &[&str] = &[
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "lane",
    "boulevard",
    "square",
    "hospital",
    "clinic",
    "school",
    "college",
    "university",
    "station",
    "airport",
    "mall",
    "market",
    "park",
    "bridge",
    "tunnel",
    "plant",
    "factory",
    "tower",
    "building",
    "estate",
    "centre",
    "center",
    "hotel",
    "stadium",
    "library",
    "church",
    "harbour",
    "port",
];

/// Units that make the number before them a building or door number (`3栋`, `12号`).
const ZH_NUMBERED: &[&str] = &["号楼", "号院", "号", "栋", "幢", "单元", "弄"];

impl Analyzer {
    /// The places `text` names (see the module documentation); categories and terms are the
    /// caller's (from [`super::Rules::classify`]), and so are its [`identifiers`] and the
    /// tags of its Chinese words ([`Analyzer::tagged`]) when it has them already (without the
    /// tags, the text is segmented again). With no category, no place is looked for: a
    /// suggestion needs a category in common, so its places could never be used.
    pub fn specifics(
        &self,
        text: &str,
        categories: Vec<String>,
        terms: Vec<String>,
        ids: Option<Vec<String>>,
        han: Option<&[HanWord]>,
    ) -> Specifics {
        let ids = ids.unwrap_or_else(|| identifiers(text));
        let mut s = Specifics { categories, terms, ids, ..Specifics::default() };
        if s.categories.is_empty() {
            return s;
        }
        match han {
            Some(han) => chinese_places(text, han, &mut s),
            None => chinese_places(text, &self.han_words(text), &mut s),
        }
        english_places(text, &mut s);
        numbers(text, &mut s);
        for list in [&mut s.strong, &mut s.weak, &mut s.categories, &mut s.terms] {
            list.sort();
            list.dedup();
        }
        s.weak.retain(|w| !s.strong.contains(w));
        s
    }
}

fn chinese_places(text: &str, han: &[HanWord], s: &mut Specifics) {
    for (i, HanWord { range, pos }) in han.iter().enumerate() {
        let word = &text[range.clone()];
        let chars = word.chars().count();
        if ZH_FACILITIES.contains(&word) {
            // The name right before it, if any: `荷花` `小区` → 荷花小区.
            if let Some(prev) = i.checked_sub(1).map(|p| &han[p])
                && prev.range.end == range.start
                && (prev.pos.is_noun() || prev.pos == Pos::Abbreviation)
                && !ZH_FACILITIES.contains(&&text[prev.range.clone()])
            {
                s.strong.push(format!("{}{word}", &text[prev.range.clone()]));
            }
        } else if chars >= 3 && ZH_FACILITIES.iter().any(|f| word.ends_with(f)) && pos.is_noun() {
            s.strong.push(word.to_string());
        } else if *pos == Pos::Place && chars >= 2 {
            s.weak.push(word.to_string());
        }
    }
}

/// Capitalised words that name nothing in particular.
const EN_NOT_NAMES: &[&str] =
    &["I", "RT", "The", "A", "An", "At", "In", "On", "Near", "Stay", "This", "It", "My", "No"];

fn english_places(text: &str, s: &mut Specifics) {
    // Words with whether they start a sentence (a capital there says nothing).
    let mut words: Vec<&str> = Vec::new();
    let mut initial: Vec<bool> = Vec::new();
    let mut start = None;
    let mut after_stop = true;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let in_word = c.is_alphanumeric() || c == '\'';
        match (start, in_word) {
            (None, true) => start = Some(i),
            (Some(b), false) => {
                words.push(&text[b..i]);
                initial.push(after_stop);
                after_stop = false;
                start = None;
            }
            _ => {}
        }
        if !in_word && matches!(c, '.' | '!' | '?' | '\n' | ':' | '"' | '“' | '>') {
            after_stop = true;
        }
    }
    // A run of capitalised words inside a sentence is a name (`Westfield`, `City General`):
    // strong when it is also the name part of a facility in the other text (`Westfield Mall`).
    let mut i = 0;
    while i < words.len() {
        let name =
            |w: &str| starts_upper(w) && !EN_NOT_NAMES.contains(&w) && !WEEKDAYS.contains(&w.to_lowercase().as_str());
        if initial[i] || !name(words[i]) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end + 1 < words.len() && end - i < 2 && name(words[end + 1]) && !initial[end + 1] {
            end += 1;
        }
        let mut last = end;
        if EN_FACILITIES.contains(&words[end].to_lowercase().as_str()) && end > i {
            last = end - 1;
        }
        s.strong.push(format!("name:{}", words[i..=last].join(" ").to_lowercase()));
        i = end + 1;
    }
    for (i, word) in words.iter().enumerate() {
        // Capitalised first: lowercasing every word (each Chinese run is one here) cost more
        // than the rest of this function.
        if i == 0 || !starts_upper(word) || !EN_FACILITIES.contains(&word.to_lowercase().as_str()) {
            continue;
        }
        // Up to three capitalised words before it: `Riverside Chemical Plant`.
        let mut first = i;
        while first > 0
            && i - first < 3
            && starts_upper(words[first - 1])
            && !matches!(words[first - 1], "The" | "A" | "At" | "In" | "On" | "Near")
        {
            first -= 1;
        }
        if first < i {
            s.strong.push(words[first..=i].join(" ").to_lowercase());
        }
    }
}

fn starts_upper(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// An ASCII or full-width digit, as ASCII.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

/// Each run of digits (as ASCII) with the text right after it; a run that ends the text is left
/// out (nothing follows to say what it counts).
fn digit_runs(text: &str) -> Vec<(String, &str)> {
    let mut runs = Vec::new();
    let mut digits = String::new();
    for (i, c) in text.char_indices() {
        match digit(c) {
            Some(d) => digits.push(d),
            None if !digits.is_empty() => runs.push((std::mem::take(&mut digits), &text[i..])),
            None => {}
        }
    }
    runs
}

/// `3栋`, `12号`, `5单元`: ASCII or full-width digits followed by a building unit.
fn numbers(text: &str, s: &mut Specifics) {
    for (digits, rest) in digit_runs(text) {
        if let Some(unit) = ZH_NUMBERED.iter().find(|u| rest.starts_with(*u)) {
            s.weak.push(format!("{digits}{unit}"));
        }
    }
}

/// Chinese units that make the number before them identify a thing (checked longest first).
const ZH_ID_UNITS: &[&str] = &["号楼", "号院", "号线", "号桥墩", "车间", "号", "栋", "幢", "单元", "弄", "期"];
/// English words that make the number after them identify a thing (`Highway 9`, `No. 5`).
const EN_ID_WORDS: &[&str] =
    &["no", "highway", "route", "line", "platform", "gate", "exit", "building", "block", "unit"];
const WEEKDAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
/// Parts of the day, Chinese and English, as one vocabulary (`今晨` and `morning` agree).
const DAYPARTS: &[(&str, &str)] = &[
    ("凌晨", "night"),
    ("今晨", "morning"),
    ("今早", "morning"),
    ("早上", "morning"),
    ("上午", "morning"),
    ("清晨", "morning"),
    ("中午", "noon"),
    ("下午", "afternoon"),
    ("傍晚", "evening"),
    ("晚上", "evening"),
    ("今晚", "evening"),
    ("深夜", "night"),
    ("morning", "morning"),
    ("noon", "noon"),
    ("afternoon", "afternoon"),
    ("evening", "evening"),
    ("night", "night"),
];
const ZH_HOURS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"];

/// The typed identifiers of `text` (see [`Specifics::ids`]), sorted, without repeats. Pure
/// string scanning, no segmentation: it runs for every signal.
pub fn identifiers(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    // Digits followed by a Chinese unit: `3栋`, `2号线`; followed by `点`: an hour.
    for (digits, rest) in digit_runs(text) {
        if let Some(unit) = ZH_ID_UNITS.iter().find(|u| rest.starts_with(*u)) {
            ids.push(format!("{unit}:{}", digits.trim_start_matches('0')));
        } else if rest.starts_with('点') {
            ids.push(format!("hour:{}", digits.trim_start_matches('0')));
        }
    }
    // Chinese numerals before 点: `七点`.
    for (i, _) in text.match_indices('点') {
        let before = &text[..i];
        if let Some(n) = (0..ZH_HOURS.len()).rev().find(|&n| before.ends_with(ZH_HOURS[n])) {
            ids.push(format!("hour:{}", n + 1));
        }
    }
    for (word, part) in DAYPARTS {
        if word.is_ascii() {
            continue;
        }
        if text.contains(word) {
            ids.push(format!("daypart:{part}"));
        }
    }
    // Slices, compared without regard to case: most words are none of these, and lowercasing
    // each into a string of its own was most of this function's time.
    let words: Vec<&str> = text.split(|c: char| !(c.is_ascii_alphanumeric())).filter(|w| !w.is_empty()).collect();
    let is = |w: &str, list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(w));
    let number = |w: &str| w.bytes().all(|b| b.is_ascii_digit());
    for (n, w) in words.iter().enumerate() {
        if is(w, WEEKDAYS) {
            ids.push(format!("weekday:{}", w.to_ascii_lowercase()));
        }
        if let Some((_, part)) = DAYPARTS.iter().find(|(word, _)| word.is_ascii() && word.eq_ignore_ascii_case(w)) {
            ids.push(format!("daypart:{part}"));
        }
        if is(w, EN_ID_WORDS) && words.get(n + 1).is_some_and(|x| number(x)) {
            ids.push(format!("{}:{}", w.to_ascii_lowercase(), words[n + 1]));
        }
        // `5 Elm Street`: a house number before a street.
        if number(w)
            && let Some(k) =
                (n + 1..(n + 4).min(words.len())).find(|&k| is(words[k], &["street", "road", "avenue", "lane"]))
        {
            ids.push(format!("no-{}:{w}", words[n + 1..k].join("-").to_ascii_lowercase()));
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Whether two texts' identifiers disagree: some type both have, with no value in common
/// (`栋:3` against `栋:9`; `weekday:tuesday` against `weekday:thursday`).
pub fn ids_conflict(a: &[String], b: &[String]) -> bool {
    // Asked of every near signal in the story index for each signal taken in: no allocation.
    fn kind(id: &str) -> &str {
        id.rsplit_once(':').map_or("", |(k, _)| k)
    }
    a.iter().enumerate().any(|(i, id)| {
        let k = kind(id);
        // Each kind once, at its first id in `a`. An id of `b` equal to one of `a` is of the
        // same kind: a value in common.
        !a[..i].iter().any(|earlier| kind(earlier) == k)
            && b.iter().any(|theirs| kind(theirs) == k)
            && !b.iter().any(|theirs| kind(theirs) == k && a.contains(theirs))
    })
}

impl Specifics {
    /// What `self` and `other` have in common, if it is enough to say "possibly the same
    /// story": a category in common, and a strong place or two weak ones.
    pub fn shared_with(&self, other: &Specifics) -> Option<Shared> {
        let strength = self.strength_with(other)?;
        let both = |a: &[String], b: &[String]| a.iter().filter(|x| b.contains(x)).cloned().collect::<Vec<_>>();
        let categories = both(&self.categories, &other.categories);
        let strong = both(&self.strong, &other.strong);
        let weak = both(&self.weak, &other.weak);
        let terms = both(&self.terms, &other.terms);
        // A facility's full name says more than its name alone: `westfield mall` before `westfield`.
        let mut items: Vec<String> = strong.iter().filter(|p| !p.starts_with("name:")).cloned().collect();
        if items.is_empty() {
            items.extend(strong.iter().map(|p| p.trim_start_matches("name:").to_string()));
        }
        items.extend(weak);
        items.extend(if terms.is_empty() { categories } else { terms });
        Some(Shared { items, strength })
    }

    /// How strongly `self` and `other` look like one story, if enough for
    /// [`Specifics::shared_with`] (the same figure as its `strength`), without building what
    /// they share: asked of every open case naming one of a new case's places.
    pub fn strength_with(&self, other: &Specifics) -> Option<usize> {
        let common = |a: &[String], b: &[String]| a.iter().filter(|x| b.contains(x)).count();
        if common(&self.categories, &other.categories) == 0 {
            return None;
        }
        let places = 2 * common(&self.strong, &other.strong) + common(&self.weak, &other.weak);
        (places >= 2).then(|| places * 4 + common(&self.terms, &other.terms))
    }

    /// Every place, strong and weak: the keys it is looked up by.
    pub fn places(&self) -> impl Iterator<Item = &String> {
        self.strong.iter().chain(&self.weak)
    }

    /// Names no place.
    pub fn is_empty(&self) -> bool {
        self.strong.is_empty() && self.weak.is_empty()
    }

    /// As stored with the signal (`signals.specifics`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings always serialise")
    }

    pub fn from_json(text: &str) -> Option<Specifics> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str, category: &str) -> Specifics {
        crate::text::test_analyzer().specifics(text, vec![category.into()], vec![], None, None)
    }

    #[test]
    fn chinese_facilities_streets_and_building_numbers_are_found() {
        let s = of("荷花小区3栋今天下午发生燃气泄漏，朝阳区人民医院已接收伤员", "safety");
        assert!(s.strong.contains(&"荷花小区".to_string()), "{s:?}");
        assert!(s.strong.iter().any(|p| p.ends_with("医院")), "{s:?}");
        assert!(s.weak.contains(&"3栋".to_string()), "{s:?}");
        assert!(s.weak.contains(&"朝阳区".to_string()), "{s:?}");
        let street = of("建国路12号一家餐馆起火", "fire");
        assert!(street.strong.contains(&"建国路".to_string()), "{street:?}");
        assert!(street.weak.contains(&"12号".to_string()), "{street:?}");
    }

    #[test]
    fn english_named_places_are_found() {
        let s = of("Gas leak reported at No. 5 Elm Street near Riverside Hospital this morning", "safety");
        assert_eq!(s.strong, ["elm street", "name:elm", "name:riverside", "riverside hospital"]);
        let colloquial = of("the escalator at Westfield just started going backwards", "safety");
        assert_eq!(colloquial.strong, ["name:westfield"]);
        let named = of("An escalator at Westfield Mall suddenly reversed", "safety");
        assert_eq!(named.shared_with(&colloquial).map(|s| s.items), Some(vec!["westfield".into(), "safety".into()]));
        assert!(of("the street was quiet", "safety").is_empty());
        let uncategorised = crate::text::test_analyzer().specifics("荷花小区3栋有人吵架", vec![], vec![], None, None);
        assert!(uncategorised.is_empty(), "no category: no place is of use");
        assert_eq!(uncategorised.ids, ["栋:3"], "identifiers are kept all the same");
    }

    #[test]
    fn a_suggestion_needs_a_category_and_a_strong_place_or_two_weak_ones() {
        let news = of("荷花小区3栋发生燃气泄漏，消防到场", "safety");
        let resident = of("我住荷花小区，楼道里一股煤气味", "safety");
        let shared = news.shared_with(&resident).expect("same facility, same category");
        assert_eq!(shared.items, ["荷花小区", "safety"]);
        assert_eq!(news.strength_with(&resident), Some(shared.strength), "the index's figure is the card's");
        let fire = of("荷花小区3栋发生火灾", "fire");
        assert_eq!(news.shared_with(&fire), None, "same place, other kind of event");
        assert_eq!(news.strength_with(&fire), None);
        let elsewhere = of("牡丹小区发生燃气泄漏", "safety");
        assert_eq!(news.shared_with(&elsewhere), None, "same event, other place");
        let unit = of("朝阳区3栋燃气泄漏", "safety");
        let other_unit = of("朝阳区5栋燃气泄漏", "safety");
        assert_eq!(unit.shared_with(&other_unit), None, "one weak place is not enough");
        assert!(unit.shared_with(&of("朝阳区3栋有燃气味", "safety")).is_some(), "two weak ones are");
    }

    #[test]
    fn identifiers_are_typed_and_disagree_only_within_a_type() {
        let a = identifiers("荷花小区3栋今天下午发生燃气泄漏，地铁2号线停运");
        assert_eq!(a, ["daypart:afternoon", "号线:2", "栋:3"]);
        assert!(ids_conflict(&a, &identifiers("荷花小区9栋今天下午发生燃气泄漏")));
        assert!(!ids_conflict(&a, &identifiers("荷花小区3栋下午燃气泄漏，网友评论：第二次了")));
        assert!(!ids_conflict(&a, &identifiers("荷花小区燃气泄漏")), "no building number: no disagreement");
        let both = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!ids_conflict(&both(&["栋:3", "栋:5"]), &both(&["栋:5", "栋:7"])), "one value in common");
        assert!(ids_conflict(&both(&["栋:3", "day:6"]), &both(&["栋:3", "day:7"])), "one kind disagrees");
        assert_eq!(identifiers("今天早上七点，公交车相撞"), ["daypart:morning", "hour:7"]);
        let en = identifiers("Gas leak at 5 Elm Street on Tuesday afternoon; Highway 9 closed");
        assert_eq!(en, ["daypart:afternoon", "highway:9", "no-elm:5", "weekday:tuesday"]);
        assert!(ids_conflict(&en, &identifiers("Gas leak at 17 Elm Street on Tuesday afternoon")));
        assert!(ids_conflict(&en, &identifiers("Gas leak on Thursday")));
        assert!(!ids_conflict(&en, &identifiers("Stay safe! RT @x: Gas leak at 5 Elm Street on Tuesday afternoon")));
    }

    #[test]
    fn specifics_survive_storage() {
        let s = of("荷花小区3栋发生燃气泄漏", "safety");
        assert_eq!(Specifics::from_json(&s.to_json()), Some(s));
        assert_eq!(Specifics::from_json("not json"), None);
    }
}
