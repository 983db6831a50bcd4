//! An audit chain to work on: events appended through the real writer, and one read back.

use backend::Db;
use backend::audit::{self, Entry};
use domain::audit::{Actor, AuditEvent};
use serde_json::json;

use super::T0;

/// Records `n` events with subjects `thing:1` .. `thing:n`.
pub async fn chain(db: &Db, n: i64) {
    for i in 1..=n {
        let entry = Entry {
            actor: &Actor::System,
            action: "test.event",
            subject: &format!("thing:{i}"),
            details: json!({"i": i}),
        };
        audit::record(db, T0 + i, entry).await.unwrap();
    }
}

pub async fn event(db: &Db, seq: i64) -> AuditEvent {
    audit::recent(db, 1, Some(seq + 1)).await.unwrap().into_iter().next().filter(|e| e.seq == seq).unwrap()
}
