//! Signals made from templates: the story generator and the random numbers behind it. The word
//! pools of each language are in `stories/zh.rs` and `stories/en.rs`.

mod en;
mod zh;

use en::EN;
use serde_json::json;
use zh::ZH;

pub fn signal_json(seed: u64, n: u64, rng: &mut Rng) -> Vec<u8> {
    let story = story(seed);
    let source = SOURCES[rng.below(SOURCES.len() as u64) as usize];
    serde_json::to_vec(&json!({
        "source": source,
        "title": story.title,
        "body": story.body,
        "url": format!("https://news.example.org/s/{seed}/{n}"),
        "language": if story.zh { "zh" } else { "en" },
        "metrics": { "views": rng.below(50_000), "comments": rng.below(300), "shares": rng.below(100) },
        "tags": [if rng.below(2) == 0 { "north" } else { "south" }],
    }))
    .expect("a signal serialises")
}

pub struct Story {
    pub zh: bool,
    /// Which kind of incident (index into the language's kinds).
    pub kind: usize,
    pub title: String,
    pub body: String,
}

/// The story numbered `seed`: always the same text for the same number. Four sentences: what
/// happened where, who responded how, a witness quoted, where things stand; every part drawn
/// from its own pool, so two stories share few words beyond the language's common ones.
pub fn story(seed: u64) -> Story {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_5A5A);
    let zh = r.below(10) < 7;
    let lang = if zh { &ZH } else { &EN };
    let kind = r.below(lang.kinds.len() as u64) as usize;
    let k = &lang.kinds[kind];
    let slots = Slots {
        district: r.pick(lang.districts),
        place: r.pick(lang.places),
        org: r.pick(lang.orgs),
        who: lang.who(&mut r),
    };
    let (title, what, impact, action) = (r.pick(&k.titles), r.pick(&k.what), r.pick(&k.impact), r.pick(&k.action));
    let (site, response, said) = (r.pick(lang.sites), r.pick(lang.responses), r.pick(lang.said));
    let (quote, status) = (r.pick(lang.quotes), r.pick(lang.status));
    let frame = r.below(3) as usize;
    let first = if zh {
        [
            format!("{{t}}，{{d}}{{p}}{site}{what}，{impact}。"),
            format!("据{{d}}方面消息，{{t}}{{p}}附近{site}{what}，目前{impact}。"),
            format!("记者从{{o}}获悉，{{t}}在{{d}}{{p}}{site}{what}，{impact}。"),
        ]
    } else {
        [
            format!("{{T}}, {what} at {site} on {{p}} in {{d}}, and {impact}."),
            format!("In {{d}}, {what} near {site} on {{p}} {{t}}; {impact}."),
            format!("Reports from {{p}}, {{d}}: {what} {{t}}, so {impact}."),
        ]
    };
    let second = if zh {
        [
            format!("{{o}}{response}，{action}。"),
            format!("事发后，{{o}}{response}，并{action}。"),
            format!("{{d}}相关部门{response}，随后{action}。"),
        ]
    } else {
        [
            format!("{{O}} {response} and {action}."),
            format!("Responding, {{o}} {response}; it {action}."),
            format!("According to {{o}}, staff {response}, then {action}."),
        ]
    };
    let (first, second) = (&first[frame], &second[r.below(3) as usize]);
    let body = if zh {
        format!("{first}{second}{{w}}{said}：“{quote}。”{status}")
    } else {
        format!("{first} {second} {{w}} {said}: \"{quote}.\" {status}")
    };
    Story { zh, kind, title: fill(title, &slots, lang, &mut r), body: fill(&body, &slots, lang, &mut r) }
}

struct Slots {
    district: &'static str,
    place: &'static str,
    org: &'static str,
    who: String,
}

fn fill(template: &str, s: &Slots, lang: &Lang, r: &mut Rng) -> String {
    let mut out = String::with_capacity(template.len() + 40);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = i + rest[i..].find('}').expect("a closed slot");
        match &rest[i + 1..end] {
            "d" => out.push_str(s.district),
            "p" => out.push_str(s.place),
            "o" => out.push_str(s.org),
            "O" => out.push_str(&capitalised(s.org)),
            "w" => out.push_str(&s.who),
            "n" => out.push_str(&(2 + r.below(998)).to_string()),
            "t" => out.push_str(&lang.time(r)),
            "T" => out.push_str(&capitalised(&lang.time(r))),
            other => panic!("unknown slot {other}"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// What one kind of incident is said with: 3 titles and 4 phrasings of each part.
struct Kind {
    titles: [&'static str; 3],
    what: [&'static str; 4],
    impact: [&'static str; 4],
    action: [&'static str; 4],
}

struct Lang {
    zh: bool,
    kinds: &'static [Kind],
    districts: &'static [&'static str],
    places: &'static [&'static str],
    orgs: &'static [&'static str],
    names: &'static [&'static str],
    sites: &'static [&'static str],
    responses: &'static [&'static str],
    said: &'static [&'static str],
    quotes: &'static [&'static str],
    status: &'static [&'static str],
}

impl Lang {
    fn who(&self, r: &mut Rng) -> String {
        let name = r.pick(self.names);
        if self.zh { format!("{name}{}", if r.below(2) == 0 { "先生" } else { "女士" }) } else { name.to_string() }
    }

    fn time(&self, r: &mut Rng) -> String {
        let (month, day, hour, minute) = (r.below(12), 1 + r.below(28), r.below(24), r.below(60));
        if self.zh {
            let part = ["凌晨", "上午", "中午", "下午", "晚上"][(hour / 5).min(4) as usize];
            format!("{}月{day}日{part}{hour}时{minute}分", month + 1)
        } else {
            format!("at {hour}:{minute:02} on {} {day}", EN_MONTHS[month as usize])
        }
    }
}

const SOURCES: &[&str] = &[
    "city-hotline",
    "weibo-monitor",
    "news-wire",
    "radio-traffic",
    "district-office",
    "wechat-groups",
    "tv-news",
    "forum-watch",
    "police-feed",
    "citizen-app",
];

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// splitmix64: small, fast, and the same numbers on every machine.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}
