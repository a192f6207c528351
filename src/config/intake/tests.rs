use super::duration;
use crate::config::Config;
use std::time::Duration;

#[test]
fn the_token_overlap_defaults_to_the_measured_share_and_must_be_a_share() {
    let committed = include_str!("../../../bot.toml");
    let with = |value: &str| Config::parse(&format!("{committed}\n[grading]\ntoken_overlap = {value}\n"));
    let overlap = |c: Config| c.grading.token_overlap;
    assert_eq!(Config::parse(committed).map(overlap).unwrap(), crate::text::DEFAULT_OVERLAP);
    assert_eq!(with("0.0").map(overlap).unwrap(), 0.0);
    assert_eq!(with("0.75").map(overlap).unwrap(), 0.75);
    for bad in ["-0.1", "1.5", "nan"] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains("grading.token_overlap"), "{bad}: {err}");
    }
}

#[test]
fn the_attention_ceiling_defaults_to_a_million_engagements_and_must_be_a_number() {
    let committed = include_str!("../../../bot.toml");
    let with = |value: &str| Config::parse(&format!("{committed}\n[grading]\nmax_attention = {value}\n"));
    assert_eq!(Config::parse(committed).unwrap().grading.max_attention, 6.0);
    assert_eq!(with("3.5").unwrap().grading.max_attention, 3.5);
    for bad in ["-1.0", "nan", "inf"] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains("grading.max_attention"), "{bad}: {err}");
    }
}

#[test]
fn a_feed_may_not_share_its_name_with_a_source_or_another_feed() {
    let committed = include_str!("../../../bot.toml");
    let intake =
        "\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"T\"\n";
    let feed = |name: &str| format!("\n[[feeds]]\nname = \"{name}\"\nurl = \"https://news.example/rss\"\n");
    let err = Config::parse(&format!("{committed}{intake}{}", feed("wire"))).unwrap_err().to_string();
    assert!(err.contains("feeds[0].name: \"wire\" is already a source"), "{err}");
    let err = Config::parse(&format!("{committed}{intake}{}{}", feed("news"), feed("news"))).unwrap_err().to_string();
    assert!(err.contains("feeds[1].name: \"news\" is already a feed"), "{err}");
    assert!(Config::parse(&format!("{committed}{intake}{}", feed("news"))).is_ok());
}

#[test]
fn the_metrics_token_is_named_by_an_environment_variable_never_given_itself() {
    let committed = include_str!("../../../bot.toml");
    let with = |line: &str| Config::parse(&format!("{committed}\n[http]\nlisten = \"127.0.0.1:0\"\n{line}\n"));
    assert_eq!(with("").unwrap().http.unwrap().metrics_token_env, None);
    let named = with("metrics_token_env = \"TOCSIN_METRICS_TOKEN\"").unwrap();
    assert_eq!(named.http.unwrap().metrics_token_env.as_deref(), Some("TOCSIN_METRICS_TOKEN"));
    let err = with("metrics_token_env = \"s3cr3t token!\"").unwrap_err().to_string();
    assert!(err.contains("http.metrics_token_env"), "{err}");
    let err = with("metrics_token = \"x\"").unwrap_err().to_string();
    assert!(err.contains("metrics_token"), "unknown keys are refused: {err}");
}

#[test]
fn the_listener_limits_have_defaults_and_are_checked() {
    let committed = include_str!("../../../bot.toml");
    let with = |lines: &str| Config::parse(&format!("{committed}\n[http]\nlisten = \"127.0.0.1:0\"\n{lines}\n"));
    let limits = with("").unwrap().http.unwrap().limits;
    assert_eq!((limits.max_connections, limits.max_in_flight, limits.header_limit), (512, 64, 16384));
    assert_eq!(limits.header_timeout, Duration::from_secs(10));
    let set = with("max_in_flight = 16\nbody_timeout = \"30s\"").unwrap().http.unwrap().limits;
    assert_eq!((set.max_in_flight, set.body_timeout), (16, Duration::from_secs(30)));
    for (bad, key) in [
        ("max_in_flight = 0", "http.max_in_flight"),
        ("max_connections = 1", "http.max_connections"),
        ("header_timeout = \"soon\"", "http.header_timeout"),
        ("header_limit = 10", "http.header_limit"),
        ("uri_limit = 100000", "http.uri_limit"),
    ] {
        let err = with(bad).unwrap_err().to_string();
        assert!(err.contains(key), "{bad}: {err}");
    }
}

#[test]
fn alert_sources_map_severity_to_grade_by_default_and_may_replace_the_map_and_grouping() {
    use super::{Grouping, SourceKind};
    use crate::domain::Grade;
    let committed = include_str!("../../../bot.toml");
    let source = |kind: &str, keys: &str| {
        let intake = format!(
            "\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"am\"\nkind = \"{kind}\"\ntoken_env = \"T\"\n{keys}\n"
        );
        Config::parse(&format!("{committed}{intake}")).map(|c| c.sources[0].clone())
    };
    let am = source("alertmanager", "").unwrap();
    assert_eq!(am.kind, SourceKind::Alertmanager);
    let labels = |value: &str| [("severity".to_string(), value.to_string())].into_iter().collect();
    assert_eq!(am.alerts.floor(&labels("critical")), Some(("critical".into(), Grade::I)));
    assert_eq!(am.alerts.floor(&labels("Warning")), Some(("Warning".into(), Grade::III)), "any case");
    assert_eq!(am.alerts.floor(&labels("page")), None);
    assert_eq!(am.alerts.group, Grouping::Alert, "today's behaviour unless asked");
    let custom =
        source("grafana", "severity_label = \"priority\"\nseverity = { P1 = \"I\" }\ngroup = \"notification\"")
            .unwrap();
    let priority = [("priority".to_string(), "p1".to_string())].into_iter().collect();
    assert_eq!(custom.alerts.floor(&priority), Some(("p1".into(), Grade::I)));
    assert_eq!(custom.alerts.floor(&labels("critical")), None, "a given map replaces the default one");
    assert_eq!(custom.alerts.group, Grouping::Notification);
    for (kind, keys, path) in [
        ("alertmanager", "severity = { critical = \"1\" }", "sources[0].severity.critical"),
        ("alertmanager", "group = \"folder\"", "sources[0].group"),
        ("alertmanager", "severity_label = \" \"", "sources[0].severity_label"),
        ("generic", "group = \"notification\"", "sources[0].group"),
        ("generic", "severity = { critical = \"I\" }", "sources[0].severity"),
    ] {
        let err = source(kind, keys).unwrap_err().to_string();
        assert!(err.contains(path), "{keys}: {err}");
    }
}

#[test]
fn a_source_rate_is_a_count_per_unit_of_time() {
    let committed = include_str!("../../../bot.toml");
    let with = |rate: &str| {
        Config::parse(&format!(
            "{committed}\n[http]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"wire\"\nkind = \"generic\"\ntoken_env = \"T\"\n{rate}\n"
        ))
    };
    assert_eq!(with("").unwrap().sources[0].rate, None);
    let rate = with("rate = \"60/min\"").unwrap().sources[0].rate.unwrap();
    assert_eq!((rate.count, rate.per), (60, Duration::from_secs(60)));
    let err = with("rate = \"lots\"").unwrap_err().to_string();
    assert!(err.contains("sources[0].rate"), "{err}");
}

#[test]
fn durations_are_read_with_their_unit() {
    assert_eq!(duration("30s"), Some(Duration::from_secs(30)));
    assert_eq!(duration("5m"), Some(Duration::from_secs(300)));
    assert_eq!(duration("2h"), Some(Duration::from_secs(7200)));
    assert_eq!(duration("1d"), Some(Duration::from_secs(86_400)));
    for bad in ["", "m", "5", "0m", "5 m", "-5m", "5w", "99999999999999999999d"] {
        assert_eq!(duration(bad), None, "{bad}");
    }
}
