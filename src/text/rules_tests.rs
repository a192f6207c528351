use super::*;
use crate::text::test_analyzer;

fn category(name: &str, weight: f64, terms: &[&str], exclude: &[&str]) -> Category {
    Category {
        name: name.into(),
        weight,
        terms: terms.iter().map(|t| t.to_string()).collect(),
        exclude: exclude.iter().map(|t| t.to_string()).collect(),
    }
}

fn rules() -> Rules {
    Rules::new(
        test_analyzer(),
        &[
            category(
                "safety",
                2.0,
                &["燃气泄漏", "燃气", "泄漏", "爆炸", "Gas Leak", "leak", "explosion"],
                &["演习", "drill"],
            ),
            category("outage", 1.5, &["停电", "断电", "Power Outage", "blackout"], &[]),
            category("officials", 1.0, &["市长"], &[]),
            category("traffic", 1.0, &["事故", "相撞", "crash"], &["模拟"]),
        ],
    )
}

fn classify(text: &str) -> Vec<Hit> {
    rules().classify(&test_analyzer().tokens(text))
}

fn names(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.category.as_str()).collect()
}

fn owned(tokens: &[&str]) -> Vec<String> {
    tokens.iter().map(|t| t.to_string()).collect()
}

#[test]
fn a_term_never_matches_across_word_boundaries() {
    // jieba: 南京市 | 长江大桥. A substring search would report 市长 (mayor) here.
    assert_eq!(classify("南京市长江大桥今日通车"), []);
    let hits = classify("市长表示将彻查此事");
    assert_eq!(names(&hits), ["officials"]);
    assert_eq!(hits[0].terms, ["市长"]);
}

#[test]
fn a_short_dictionary_word_matches_inside_a_longer_word() {
    // Like jieba's search mode: 交通事故 is one token, 事故 one of its dictionary sub-words.
    assert_eq!(test_analyzer().tokens("交通事故"), ["交通事故"]);
    assert_eq!(names(&classify("发生一起交通事故")), ["traffic"]);
    // Inside one token only: 大桥 is in 长江大桥, 市长 straddles 南京市 | 长江大桥.
    let rules = Rules::new(
        test_analyzer(),
        &[category("officials", 1.0, &["市长"], &[]), category("bridges", 1.0, &["大桥"], &[])],
    );
    let hits = rules.classify(&test_analyzer().tokens("南京市长江大桥"));
    assert_eq!(names(&hits), ["bridges"]);
}

#[test]
fn a_compound_term_matches_whole_or_split() {
    let rules = Rules::new(test_analyzer(), &[category("safety", 1.0, &["燃气泄漏"], &[])]);
    for tokens in [owned(&["发生", "燃气泄漏"]), owned(&["发生", "燃气", "泄漏"])] {
        let hits = rules.classify(&tokens);
        assert_eq!(hits.len(), 1, "{tokens:?}");
        assert_eq!((hits[0].count, hits[0].terms.clone()), (1, vec!["燃气泄漏".to_string()]));
    }
    // Split differently, the text is not the term on word boundaries: 天然 | 气泄 | 漏.
    assert_eq!(rules.classify(&owned(&["天然", "气泄", "漏"])), []);
}

#[test]
fn english_matches_whole_words_case_insensitively() {
    let hits = classify("Gas LEAK. Residents evacuated");
    assert_eq!(names(&hits), ["safety"]);
    // The two-word term wins over the one-word term it contains: one occurrence.
    assert_eq!((hits[0].count, hits[0].terms.clone()), (1, vec!["Gas Leak".to_string()]));
    assert_eq!(classify("a leaky tap and a bleak outlook"), []);
    assert_eq!(classify("LEAKS"), [], "no stemming: plural forms need their own term");
}

#[test]
fn multi_word_terms_need_the_words_in_order_and_apart() {
    assert_eq!(names(&classify("Major power outage downtown")), ["outage"]);
    assert_eq!(names(&classify("POWER-OUTAGE reported")), ["outage"]);
    assert_eq!(classify("outage of power"), []);
    assert_eq!(classify("poweroutage"), []);
}

#[test]
fn mixed_chinese_and_english_text() {
    let hits = classify("Breaking：江北区燃气管道爆炸，约3000户停电 (power outage), 市长赶赴现场");
    assert_eq!(names(&hits), ["safety", "outage", "officials"], "config order");
    assert_eq!(hits[0].terms, ["燃气", "爆炸"]);
    assert_eq!(hits[1].terms, ["停电", "Power Outage"], "as written in the config");
    assert_eq!(hits[1].weight, 1.5);
}

#[test]
fn an_exclusion_term_vetoes_its_category_only() {
    assert_eq!(names(&classify("燃气泄漏应急演习，一车辆相撞")), ["traffic"]);
    assert_eq!(classify("gas leak drill at the plant"), []);
    assert_eq!(names(&classify("模拟燃气泄漏")), ["safety"]);
}

#[test]
fn counts_occurrences_and_lists_distinct_terms_in_first_seen_order() {
    let hits = classify("泄漏！江北区发生燃气泄漏。燃气公司称泄漏已控制，未发生爆炸。另一处泄漏");
    assert_eq!(names(&hits), ["safety"]);
    // 泄漏, 燃气泄漏 (one occurrence, not three), 燃气 inside 燃气公司, 泄漏, 爆炸, 泄漏.
    assert_eq!(hits[0].count, 6);
    assert_eq!(hits[0].terms, ["泄漏", "燃气泄漏", "燃气", "爆炸"]);
}

#[test]
fn a_term_shared_by_two_categories_counts_in_both() {
    let rules = Rules::new(
        test_analyzer(),
        &[category("a", 1.0, &["爆炸", "fire"], &[]), category("b", 3.0, &["Explosion", "爆炸"], &[])],
    );
    let hits = rules.classify(&test_analyzer().tokens("仓库爆炸 explosion"));
    assert_eq!(names(&hits), ["a", "b"]);
    assert_eq!((hits[0].count, hits[1].count), (1, 2));
    assert_eq!(hits[1].terms, ["爆炸", "Explosion"]);
}

#[test]
fn empty_input_and_empty_rules_match_nothing() {
    assert_eq!(classify(""), []);
    assert_eq!(rules().classify(&[]), []);
    assert_eq!(rules().classify(&owned(&["", ""])), []);
    let none = Rules::new(test_analyzer(), &[]);
    assert_eq!(none.classify(&owned(&["燃气", "泄漏"])), []);
    // A term with no word in it is dropped rather than matching everything.
    let blank = Rules::new(test_analyzer(), &[category("blank", 1.0, &["", "！？"], &[])]);
    assert_eq!(blank.classify(&test_analyzer().tokens("燃气泄漏！？")), []);
}

#[test]
fn user_dictionary_words_are_matched_as_one_token() {
    use std::io::Write;
    let mut dict = tempfile::NamedTempFile::new().unwrap();
    writeln!(dict, "燃气管网").unwrap();
    let analyzer = Analyzer::new(Some(dict.path())).unwrap();
    let rules = Rules::new(&analyzer, &[category("network", 1.0, &["燃气管网"], &["管网图"])]);
    let hits = rules.classify(&analyzer.tokens("今晨发生燃气管网泄漏"));
    assert_eq!(names(&hits), ["network"]);
}

#[test]
fn calls_on_one_thread_share_nothing_but_scratch_space() {
    // The working space is kept per thread: rules of another size in between, a text with only
    // an exclusion, then the first rules again must each start from nothing.
    let big = rules();
    let small = Rules::new(test_analyzer(), &[category("bridges", 1.0, &["大桥"], &["演习"])]);
    let text = test_analyzer().tokens("江北区燃气泄漏，交通事故，长江大桥停电");
    let first = big.classify(&text);
    assert_eq!(names(&first), ["safety", "outage", "traffic"]);
    assert_eq!(names(&small.classify(&text)), ["bridges"]);
    assert_eq!(small.classify(&test_analyzer().tokens("长江大桥演习")), []);
    assert_eq!(big.classify(&text), first);
    let on_another_thread = std::thread::scope(|s| s.spawn(|| big.classify(&text)).join().unwrap());
    assert_eq!(on_another_thread, first);
}
