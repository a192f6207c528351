use super::*;
use crate::text::test_analyzer;

// Two different stories of about 100 characters, sharing the usual news boilerplate
// (date, 时许, 事故, 原因正在调查) as real reports do.
pub(crate) const GAS: &str = "3月12日上午9时许，江北区华新路一居民楼发生燃气泄漏，消防和燃气公司抢修人员迅速赶到现场，疏散居民120余人。目前泄漏点已被封堵，暂无人员伤亡，事故原因正在调查中，相关部门提醒市民注意用气安全。";
pub(crate) const BUS: &str = "3月12日下午5时许，一辆载有30名乘客的15路公交车在滨江大道与人民路交叉口与一辆货车相撞，造成8人受伤，伤者已被送往市第一人民医院救治。交警部门已对事故现场进行勘查，具体原因正在调查。";

/// The way ten sources retell one report: a character or two differs.
pub(crate) const GAS_EDITS: [(&str, &str); 10] = [
    ("9时", "10时"),
    ("华新路", "华兴路"),
    ("120余人", "100余人"),
    ("迅速", "立即"),
    ("居民楼", "住宅楼"),
    ("暂无", "尚无"),
    ("江北区", "江南区"),
    ("封堵", "封闭"),
    ("调查中", "调查"),
    ("余人。", "多人，"),
];

pub(crate) const LEAK_EN: &str = "Breaking: a gas leak was reported in a residential building in Jiangbei District on Tuesday \
    morning. Firefighters evacuated about 120 residents and the leak was sealed within two hours. No injuries were \
    reported, and the cause of the incident is under investigation. The emergency management bureau urged residents \
    to report any smell of gas immediately and to keep windows open.";
pub(crate) const CRASH_EN: &str = "A city bus carrying 30 passengers collided with a heavy truck at the junction of Riverside \
    Avenue and People's Road on Tuesday afternoon, injuring eight people, two of them seriously. The injured were \
    taken to the First People's Hospital. Traffic police are examining the scene and the bus company said it would \
    inspect its whole fleet.";
pub(crate) const LEAK_EN_EDITS: [(&str, &str); 10] = [
    ("Tuesday", "Wednesday"),
    ("about 120", "around 120"),
    ("120", "150"),
    ("two hours", "three hours"),
    ("Breaking: a", "A"),
    ("sealed", "stopped"),
    ("No injuries", "No casualties"),
    ("urged", "asked"),
    ("immediately", "at once"),
    ("morning", "morning local time"),
];

/// Near-duplicate and different-story bounds the tests hold the hash to. A bound of ≤ 3 bits
/// between near-identical ~100-character texts is more than SimHash can promise. Each bit
/// differs with probability θ/π, θ the angle between the texts' term-frequency vectors, and
/// changing one word out of ~47 already gives cos θ = 46/47: ~4 bits expected, with a wide
/// spread, because which bits flip depends on the token hash. Over eight seeded SipHash token
/// hashes the ten retellings below were 4.4–8.7 bits apart on average, 8–15 at most; with this
/// hash 1–13 (up to 8 from the original), against 27–32 for the other story (18–22 in English,
/// which shares more function words). A threshold of ~12–14 bits separates short texts;
/// ≤ 3 holds for articles of a few KB (`near_identical_long_texts_…` below).
const NEAR_ORIGINAL: u32 = 10;
const APART: u32 = 15;

fn hash(text: &str) -> u64 {
    simhash(&test_analyzer().tokens(text))
}

pub(crate) fn variants(base: &str, edits: &[(&str, &str)]) -> Vec<String> {
    edits
        .iter()
        .map(|(from, to)| {
            assert!(base.contains(from), "{from} is in the text");
            base.replacen(from, to, 1)
        })
        .collect()
}

/// All pairwise distances among `texts`, largest last.
fn pairwise(texts: &[String]) -> Vec<u32> {
    let hashes: Vec<u64> = texts.iter().map(|t| hash(t)).collect();
    let mut all: Vec<u32> =
        hashes.iter().enumerate().flat_map(|(i, a)| hashes[i + 1..].iter().map(move |b| hamming(*a, *b))).collect();
    all.sort_unstable();
    all
}

fn check_story(base: &str, edits: &[(&str, &str)], other: &str) {
    let texts = variants(base, edits);
    let from_original: Vec<u32> = texts.iter().map(|t| hamming(hash(t), hash(base))).collect();
    let all: Vec<String> = texts.iter().cloned().chain([base.to_string()]).collect();
    let near = pairwise(&all);
    let mut far: Vec<u32> = all.iter().map(|t| hamming(hash(t), hash(other))).collect();
    far.sort_unstable();
    eprintln!("from the original: {from_original:?}\nbetween retellings: {near:?}\nto the other story: {far:?}");
    assert!(from_original.iter().all(|&d| d <= NEAR_ORIGINAL), "a retelling is too far from the original");
    assert!(near.last() < far.first(), "some retellings are further apart than different stories");
    assert!(far[0] >= APART, "different stories too close");
}

#[test]
fn near_identical_chinese_reports_are_close_and_different_stories_far() {
    check_story(GAS, &GAS_EDITS, BUS);
}

#[test]
fn near_identical_english_reports_are_close_and_different_stories_far() {
    check_story(LEAK_EN, &LEAK_EN_EDITS, CRASH_EN);
}

#[test]
fn near_identical_long_texts_are_within_three_bits_of_the_original() {
    // A full ~4 KB article: one or two changed characters are a much smaller share of it.
    let article = include_str!("testdata/news_zh.txt");
    let texts = variants(article, &GAS_EDITS);
    let from_original: Vec<u32> = texts.iter().map(|t| hamming(hash(t), hash(article))).collect();
    let near = pairwise(&texts);
    eprintln!("long texts, from the original: {from_original:?}; pairwise: {near:?}");
    assert!(from_original.iter().all(|&d| d <= 3), "{from_original:?}");
    // Two retellings each differ from the original, so their distances add up to twice that.
    assert!(near.iter().all(|&d| d <= 6), "{near:?}");
}

#[test]
fn the_hash_is_stable_across_runs_and_platforms() {
    // Stored hashes are compared with new ones after restarts and upgrades: these values must
    // never change. If this fails, the hash function changed and stored hashes are void.
    assert_eq!(token_hash(b""), 0);
    // One vector per tail length class: 1–3, 4–7 and 8 bytes, and a chunk plus a tail.
    assert_eq!(token_hash(b"a"), 0x9319_0fe0_ac70_8b6c);
    assert_eq!(token_hash(b"abcd"), 0xe041_660d_4b14_0cd2);
    assert_eq!(token_hash("燃气".as_bytes()), 0x53a5_9209_9350_3b30);
    assert_eq!(token_hash(b"abcdefgh"), 0x5ffc_8a6f_480b_8edc);
    assert_eq!(token_hash(b"abcdefghijk"), 0x0693_0f37_109d_b84c);
    assert_eq!(hash(GAS), 0x0349_e625_b76c_9b16);
    // Two tokens: a bit is set only where both tokens' hashes have it (ties vote 0).
    assert_eq!(hash("Gas leak"), 0x0520_4e98_09c4_2406);
}

#[test]
fn term_frequency_and_token_identity_decide_the_hash() {
    let tokens = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(simhash(&[]), 0);
    assert_eq!(simhash(&tokens(&["", ""])), 0, "empty tokens carry nothing");
    // A single token's SimHash is its own hash; order does not matter; frequency does.
    assert_eq!(simhash(&tokens(&["泄漏"])), token_hash("泄漏".as_bytes()));
    assert_eq!(simhash(&tokens(&["a", "b", "c"])), simhash(&tokens(&["c", "a", "b"])));
    assert_eq!(simhash(&tokens(&["a", "a", "a", "b"])), token_hash(b"a"));
    // Tallies drain every 255 tokens: a long run must not overflow a lane.
    let many = vec!["x".to_string(); 1000];
    assert_eq!(simhash(&many), token_hash(b"x"));
}

/// The textbook form: one signed tally per bit.
fn naive_simhash(tokens: &[String]) -> u64 {
    let mut tally = [0i64; 64];
    for token in tokens.iter().filter(|t| !t.is_empty()) {
        let h = token_hash(token.as_bytes());
        for (i, t) in tally.iter_mut().enumerate() {
            *t += if h >> i & 1 == 1 { 1 } else { -1 };
        }
    }
    tally.iter().enumerate().fold(0, |acc, (i, &t)| if t > 0 { acc | 1 << i } else { acc })
}

#[test]
fn the_bit_sliced_tally_agrees_with_the_textbook_one() {
    let article = test_analyzer().tokens(include_str!("testdata/news_zh.txt"));
    assert!(article.len() > 600, "long enough to drain the counters twice");
    for n in [0, 1, 2, 7, 254, 255, 256, 511, article.len()] {
        assert_eq!(simhash(&article[..n]), naive_simhash(&article[..n]), "first {n} tokens");
    }
    // Skewed frequencies: one token 700 times among others.
    let mut skewed = vec!["的".to_string(); 700];
    skewed.extend(article.iter().take(300).cloned());
    assert_eq!(simhash(&skewed), naive_simhash(&skewed));
}

#[test]
fn hamming_counts_differing_bits() {
    assert_eq!(hamming(0, 0), 0);
    assert_eq!(hamming(0, u64::MAX), 64);
    assert_eq!(hamming(0b1011, 0b0110), 3);
}

#[test]
fn near_finds_every_hash_within_the_distance_in_order() {
    let hashes: Vec<u64> = (0..1000u64).map(|i| token_hash(&i.to_le_bytes())).collect();
    let query = hashes[500] ^ 0b111;
    for max in [0, 3, 12, 32, 64] {
        let mut found = vec![7, 7];
        near(&hashes, query, max, 100, &mut found);
        let want: Vec<usize> = [7, 7]
            .into_iter()
            .chain((0..hashes.len()).filter(|&i| hamming(hashes[i], query) <= max).map(|i| i + 100))
            .collect();
        assert_eq!(found, want, "within {max}: appended, offset, in order");
    }
    let mut found = vec![];
    near(&hashes, query, 3, 0, &mut found);
    assert_eq!(found, [500]);
    near_portable(&hashes, query, 3, 0, &mut found);
    assert_eq!(found, [500, 500], "the portable loop agrees");
}
