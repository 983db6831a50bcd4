//! The server's scheduled chain verification: [`VerificationStatus::run`] walks the chain
//! with [`super::verify`], logs the outcome (a broken chain loudly, at `error`), and keeps the
//! last result in memory for the admin page and `/metrics`.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use super::Verification;
use crate::db::Db;

/// One run of the verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastVerification {
    /// When it started (Unix milliseconds, the server's clock).
    pub at_ms: i64,
    pub took_ms: i64,
    /// What the walk found, or why it could not run (the database was unreachable).
    pub outcome: Result<Verification, String>,
}

impl LastVerification {
    /// True when the walk ran and found the chain intact.
    pub fn intact(&self) -> bool {
        matches!(&self.outcome, Ok(v) if v.broken.is_none())
    }
}

/// The last result, shared by the background task that writes it and the pages that read
/// it. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct VerificationStatus {
    last: Arc<RwLock<Option<LastVerification>>>,
}

impl VerificationStatus {
    /// The last finished run; `None` until the first one ends.
    pub fn last(&self) -> Option<LastVerification> {
        self.last.read().map(|g| g.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Verifies the whole chain now, logs and keeps the result.
    pub async fn run(&self, db: &Db, now_ms: i64) -> LastVerification {
        let started = Instant::now();
        let outcome = super::verify(db).await.map_err(|e| e.to_string());
        let last = LastVerification {
            at_ms: now_ms,
            took_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            outcome,
        };
        match &last.outcome {
            Ok(Verification { broken: None, events, head_seq, head_hash }) => tracing::info!(
                events,
                head_seq,
                head_hash = %head_hash,
                took_ms = last.took_ms,
                "audit chain verified: intact"
            ),
            Ok(Verification { broken: Some(b), events, head_seq, .. }) => tracing::error!(
                broken_at = b.seq,
                reason = %b.reason,
                events,
                head_seq,
                "AUDIT CHAIN BROKEN: the audit trail was altered outside Infradesk; \
                 keep the database as it is and compare it with a backup and the published head"
            ),
            Err(e) => tracing::error!(error = %e, "audit chain verification could not run"),
        }
        match self.last.write() {
            Ok(mut slot) => *slot = Some(last.clone()),
            Err(poisoned) => *poisoned.into_inner() = Some(last.clone()),
        }
        last
    }
}
