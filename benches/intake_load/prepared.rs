//! A story prepared as the pipeline would commit it, so the store can be timed alone.

use crate::stories::story;
use chrono::Utc;
use serde_json::json;
use tocsin::app::Notice;
use tocsin::domain::grading::{self, CategoryHit, Weights};
use tocsin::domain::{EventAction, Grade, NewCase, NewEvent};
use tocsin::platform::Platform;
use tocsin::store::{CaseWrite, Commit, NewOutbox, NewSignal};
use tocsin::text::{Analyzer, Rules, Sketch, simhash, sketch};

pub struct Prepared {
    /// The notice the team chat would be sent, serialised.
    payload: String,
    title: String,
    body: String,
    source: String,
    simhash: u64,
    sketch: Sketch,
    score: f64,
    grade: Grade,
    explanation: String,
}

pub fn prepare(seed: u64, analyzer: &Analyzer, rules: &Rules) -> Prepared {
    let s = story(seed);
    let tokens = analyzer.tokens(&format!("{}\n{}", s.title, s.body));
    let hits: Vec<CategoryHit> = rules
        .classify(&tokens)
        .into_iter()
        .map(|h| CategoryHit { name: h.category, weight: h.weight, count: h.count, terms: h.terms })
        .collect();
    let weights = Weights {
        thresholds: [12.0, 8.0, 4.0],
        attention_weight: 1.0,
        diffusion_weight: 2.0,
        max_attention: grading::DEFAULT_MAX_ATTENTION,
    };
    let e = grading::assess(hits, grading::attention(1200, 30, 5), 1.0, 1, 3600, &weights);
    let notice = Notice::Opened {
        title: s.title.clone(),
        summary: Some(s.body.clone()),
        grade: e.grade,
        by: "news-wire".into(),
        similar: None,
    };
    Prepared {
        payload: notice.to_payload(),
        source: format!("https://news.example.org/s/{seed}/0"),
        simhash: simhash(&tokens),
        sketch: sketch(&tokens),
        score: e.score,
        grade: e.grade,
        explanation: serde_json::to_string(&e).expect("an explanation serialises"),
        title: s.title,
        body: s.body,
    }
}

impl Prepared {
    pub fn commit(&self) -> Commit {
        let now = Utc::now();
        let case = CaseWrite::Insert(NewCase {
            team: "city-desk".into(),
            title: self.title.clone(),
            summary: Some(self.body.clone()),
            source: self.source.clone(),
            grade: self.grade,
            owner: None,
            leader: Some("alice".into()),
            opened_by: "tocsin".into(),
            drill: false,
            opened_at: now,
        });
        Commit {
            events: vec![NewEvent {
                actor: "tocsin".into(),
                action: EventAction::Opened,
                details: json!({ "title": self.title, "grade": self.grade.as_str(), "source": "news-wire", "score": self.score }),
                platform: "intake".into(),
                at: now,
            }],
            outbox: vec![NewOutbox { chat: "ops".into(), platform: Platform::Discord, payload: self.payload.clone() }],
            signals: vec![NewSignal {
                source: "news-wire".into(),
                title: self.title.clone(),
                url: Some(self.source.clone()),
                fingerprint: None,
                simhash: self.simhash,
                sketch: Some(self.sketch.clone()),
                score: self.score,
                explanation: self.explanation.clone(),
                received_at: now,
                specifics: None,
            }],
            ..Commit::new(case, now)
        }
    }
}

/// What `write_commit` (src/store/queries.rs) does to open a case: case, event, notice, signal.
pub async fn raw_commit(pool: &sqlx::SqlitePool, p: &Prepared) -> Result<(), sqlx::Error> {
    let now = Utc::now().timestamp_millis();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (team, title, summary, source, grade, state, leader, opened_by, drill, \
         opened_ms, updated_ms, version) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $9, 1) RETURNING id",
    )
    .bind("city-desk")
    .bind(&p.title)
    .bind(&p.body)
    .bind(&p.source)
    .bind(p.grade.as_str())
    .bind("alice")
    .bind("tocsin")
    .bind(false)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO events (case_id, actor, action, details, platform, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind("tocsin")
    .bind(EventAction::Opened.as_str())
    .bind(json!({ "title": p.title, "grade": p.grade.as_str(), "source": "news-wire", "score": p.score }).to_string())
    .bind("intake")
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO outbox (chat, platform, case_id, payload, created_ms, next_attempt_ms) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind("ops")
    .bind(Platform::Discord.as_str())
    .bind(id)
    .bind(&p.payload)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO signals (case_id, source, title, url, fingerprint, simhash, sketch, score, explanation, \
         received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind("news-wire")
    .bind(&p.title)
    .bind(&p.source)
    .bind(None::<String>)
    .bind(p.simhash as i64)
    .bind(p.sketch.to_bytes())
    .bind(p.score)
    .bind(&p.explanation)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
