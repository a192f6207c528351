//! A report as chat text, Markdown or CSV. Chat text and Markdown speak the reader's language;
//! CSV is for machines: fixed English column names, times in RFC 3339 UTC.

use super::{CaseLine, ClockLine, DraftLine, Report, state_of};
use crate::app::format;
use crate::config::Config;
use crate::domain::clocks::ClockKind;
use crate::domain::{Grade, Locale};
use crate::i18n::{I18n, Text};
use crate::t;

/// A chat message stays readable: each section lists this many lines, then says how many more.
const CHAT_LINES: usize = 25;

struct Words<'a> {
    config: &'a Config,
    i18n: &'a I18n,
    locale: Locale,
    report: &'a Report,
}

impl Words<'_> {
    fn r(&self, text: &Text) -> String {
        self.i18n.render(self.locale, text)
    }

    fn owner(&self, owner: &Option<String>) -> String {
        owner.as_deref().map_or_else(|| self.r(&t!("nobody")), |o| format::person(self.config, o))
    }

    fn clock(&self, clock: &str) -> String {
        self.r(&format::clock(ClockKind::parse(clock).unwrap_or(ClockKind::Resolve)))
    }

    fn state(&self, line: &CaseLine) -> String {
        self.r(&format::state(state_of(line)))
    }

    fn grade(&self, grade: Grade) -> String {
        format::grade(self.config, grade, self.locale)
    }

    fn title(&self, line: &CaseLine) -> String {
        if line.drill { format!("{} {}", self.r(&t!("report-drill")), line.title) } else { line.title.clone() }
    }

    fn head(&self) -> String {
        let r = self.report;
        self.r(&t!("report-head", "team" => r.team.as_str(), "from" => r.local(r.from), "to" => r.local(r.to)))
    }

    fn case_line(&self, l: &CaseLine) -> String {
        self.r(&t!("report-case",
            "emoji" => self.config.grade(l.grade).emoji.as_str(), "case" => format!("#{}", l.case),
            "title" => self.title(l), "state" => self.state(l), "owner" => self.owner(&l.owner)))
    }

    fn overdue_line(&self, l: &ClockLine) -> String {
        self.r(&t!("report-overdue-line",
            "case" => format!("#{}", l.case), "title" => l.title.as_str(), "clock" => self.clock(&l.clock),
            "deadline" => self.report.local(l.deadline), "by" => format::span(l.at - l.deadline),
            "owner" => self.owner(&l.owner)))
    }

    fn published_line(&self, l: &DraftLine) -> String {
        self.r(&t!("report-published-line",
            "case" => format!("#{}", l.case), "title" => l.title.as_str(), "draft" => l.draft.as_str(),
            "time" => self.report.local(l.at), "by" => format::person(self.config, &l.by)))
    }

    fn pending_line(&self, l: &DraftLine) -> String {
        let text = if l.held {
            t!("report-pending-held", "case" => format!("#{}", l.case), "title" => l.title.as_str(),
                "draft" => l.draft.as_str())
        } else {
            t!("report-pending-line", "case" => format!("#{}", l.case), "title" => l.title.as_str(),
                "draft" => l.draft.as_str(), "have" => l.approvals, "needed" => l.needed)
        };
        self.r(&text)
    }

    fn breach_line(&self, l: &ClockLine) -> String {
        self.r(&t!("report-breach-line",
            "case" => format!("#{}", l.case), "title" => l.title.as_str(), "clock" => self.clock(&l.clock),
            "deadline" => self.report.local(l.deadline), "owner" => self.owner(&l.owner)))
    }
}

/// One section of a chat report: its heading with the count, then at most [`CHAT_LINES`].
fn section(w: &Words<'_>, heading: Text, lines: Vec<String>, out: &mut Vec<String>) {
    out.push(String::new());
    out.push(w.r(&heading));
    if lines.is_empty() {
        out.push(format!("  {}", w.r(&t!("report-none"))));
    }
    let more = lines.len().saturating_sub(CHAT_LINES);
    out.extend(lines.into_iter().take(CHAT_LINES).map(|l| format!("  {l}")));
    if more > 0 {
        out.push(format!("  {}", w.r(&t!("report-more", "count" => more))));
    }
}

/// The report as a chat message in `locale`.
pub fn text(report: &Report, config: &Config, i18n: &I18n, locale: Locale) -> String {
    let w = Words { config, i18n, locale, report };
    let mut out = vec![w.head()];
    let new = report.new.iter().map(|l| w.case_line(l)).collect();
    section(&w, t!("report-new", "count" => report.new.len()), new, &mut out);
    let mut open = vec![];
    for grade in Grade::ALL {
        let of_grade: Vec<_> = report.open.iter().filter(|l| l.grade == grade).collect();
        if !of_grade.is_empty() {
            open.push(w.r(&t!("report-grade", "grade" => w.grade(grade), "count" => of_grade.len())));
            open.extend(of_grade.into_iter().map(|l| format!("  {}", w.case_line(l))));
        }
    }
    section(&w, t!("report-open", "count" => report.open.len()), open, &mut out);
    let overdue = report.overdue.iter().map(|l| w.overdue_line(l)).collect();
    section(&w, t!("report-overdue", "count" => report.overdue.len()), overdue, &mut out);
    let breaches = report.breaches.iter().map(|l| w.breach_line(l)).collect();
    section(&w, t!("report-breaches", "count" => report.breaches.len()), breaches, &mut out);
    let published = report.published.iter().map(|l| w.published_line(l)).collect();
    section(&w, t!("report-published", "count" => report.published.len()), published, &mut out);
    let pending = report.pending.iter().map(|l| w.pending_line(l)).collect();
    section(&w, t!("report-pending", "count" => report.pending.len()), pending, &mut out);
    out.join("\n")
}

/// Text from outside (titles come from the public) set inside a Markdown table cell.
fn md(s: &str) -> String {
    let s = crate::domain::untrusted::shown(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn table(out: &mut Vec<String>, heading: String, columns: &[String], rows: Vec<Vec<String>>) {
    out.push(String::new());
    out.push(format!("## {heading}"));
    out.push(String::new());
    if rows.is_empty() {
        return;
    }
    out.push(format!("| {} |", columns.join(" | ")));
    out.push(format!("|{}", "---|".repeat(columns.len())));
    for row in rows {
        out.push(format!("| {} |", row.join(" | ")));
    }
}

/// The report as a Markdown document in `locale`, every section a table.
pub fn markdown(report: &Report, config: &Config, i18n: &I18n, locale: Locale) -> String {
    let w = Words { config, i18n, locale, report };
    let col = |key: &'static str| w.r(&Text::new(key));
    let case_cols =
        ["report-col-case", "report-col-grade", "report-col-state", "report-col-owner", "report-col-title"].map(col);
    let clock_cols =
        ["report-col-case", "report-col-clock", "report-col-deadline", "report-col-owner", "report-col-title"].map(col);
    let case_row = |l: &CaseLine| {
        vec![format!("#{}", l.case), md(&w.grade(l.grade)), md(&w.state(l)), md(&w.owner(&l.owner)), md(&w.title(l))]
    };
    let clock_row = |l: &ClockLine, extra: String| {
        vec![
            format!("#{}", l.case),
            md(&w.clock(&l.clock)),
            format!("{}{extra}", report.local(l.deadline)),
            md(&w.owner(&l.owner)),
            md(&l.title),
        ]
    };
    let mut out = vec![format!("# {}", md(&w.head()))];
    let head = |text: Text| md(&w.r(&text)).trim_end_matches(':').trim_end_matches('：').to_string();
    table(
        &mut out,
        head(t!("report-new", "count" => report.new.len())),
        &case_cols,
        report.new.iter().map(case_row).collect(),
    );
    table(
        &mut out,
        head(t!("report-open", "count" => report.open.len())),
        &case_cols,
        report.open.iter().map(case_row).collect(),
    );
    let overdue = report.overdue.iter().map(|l| clock_row(l, format!(" (+{})", format::span(l.at - l.deadline))));
    table(&mut out, head(t!("report-overdue", "count" => report.overdue.len())), &clock_cols, overdue.collect());
    let breaches = report.breaches.iter().map(|l| clock_row(l, String::new()));
    table(&mut out, head(t!("report-breaches", "count" => report.breaches.len())), &clock_cols, breaches.collect());
    let draft_cols =
        ["report-col-case", "report-col-draft", "report-col-time", "report-col-by", "report-col-title"].map(col);
    let draft_row = |l: &DraftLine| {
        vec![
            format!("#{}", l.case),
            l.draft.clone(),
            report.local(l.at),
            md(&format::person(config, &l.by)),
            md(&l.title),
        ]
    };
    let rows = report.published.iter().map(draft_row).collect();
    table(&mut out, head(t!("report-published", "count" => report.published.len())), &draft_cols, rows);
    let rows = report.pending.iter().map(draft_row).collect();
    table(&mut out, head(t!("report-pending", "count" => report.pending.len())), &draft_cols, rows);
    out.push(String::new());
    out.join("\n")
}

/// A CSV field: quoted when it must be, and a leading `=`, `+`, `-` or `@` defused, since
/// titles come from the public and spreadsheets run such cells as formulas.
/// Control and bidirectional characters are neutralised: the CSV is printed to a terminal.
fn field(s: &str) -> String {
    let s = crate::domain::untrusted::shown(s);
    let s = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

pub const CSV_HEADER: &str = "team,section,case,grade,state,owner,clock,deadline,overdue_seconds,at,drill,title";

/// The report as CSV rows (without the header, so several teams' reports can follow one
/// [`CSV_HEADER`]).
pub fn csv(report: &Report) -> String {
    let mut rows = vec![];
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let owner = |o: &Option<String>| o.clone().unwrap_or_default();
    for (section, lines) in [("new", &report.new), ("open", &report.open)] {
        for l in lines {
            rows.push([
                report.team.clone(),
                section.into(),
                l.case.to_string(),
                l.grade.as_str().into(),
                l.state.clone(),
                owner(&l.owner),
                String::new(),
                String::new(),
                String::new(),
                time(l.opened_at),
                l.drill.to_string(),
                l.title.clone(),
            ]);
        }
    }
    for (section, lines) in [("overdue", &report.overdue), ("breach", &report.breaches)] {
        for l in lines {
            let overdue =
                if section == "overdue" { (l.at - l.deadline).num_seconds().to_string() } else { String::new() };
            rows.push([
                report.team.clone(),
                section.into(),
                l.case.to_string(),
                l.grade.as_str().into(),
                String::new(),
                owner(&l.owner),
                l.clock.clone(),
                time(l.deadline),
                overdue,
                time(l.at),
                String::new(),
                l.title.clone(),
            ]);
        }
    }
    for (section, lines) in [("published", &report.published), ("pending", &report.pending)] {
        for l in lines {
            rows.push([
                report.team.clone(),
                section.into(),
                l.case.to_string(),
                String::new(),
                if l.held { "held".into() } else { String::new() },
                l.by.clone(),
                l.draft.clone(),
                String::new(),
                String::new(),
                time(l.at),
                String::new(),
                l.title.clone(),
            ]);
        }
    }
    rows.iter().map(|r| r.iter().map(|f| field(f)).collect::<Vec<_>>().join(",") + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("燃气泄漏"), "燃气泄漏");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_markup() {
        assert_eq!(md("a | b\n<script>"), "a \\| b \\<script\\>");
        assert_eq!(md("[link](x)"), "\\[link\\](x)");
    }

    #[test]
    fn escapes_and_bidi_controls_never_reach_a_report() {
        assert_eq!(md("a\u{1b}[2Kb\u{202E}c"), "a\u{FFFD}\\[2Kb\u{FFFD}c");
        assert_eq!(field("a\u{1b}[31m\u{2067}"), "a\u{FFFD}[31m\u{FFFD}");
    }
}
