//! Prometheus metrics (`/metrics`, text format): version-control calls (count by operation
//! and outcome, latency), webhook deliveries by outcome, and the outbox queue (jobs and the
//! age of the oldest per state, read from the database at scrape time so every replica
//! reports the same queue), and the last scheduled audit chain verification.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::db::{Db, DbError};

type Labels = Vec<(String, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~41 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

pub struct Metrics {
    registry: Registry,
    vcs_calls: Family<Labels, Counter>,
    vcs_seconds: HistogramFamily,
    webhooks: Family<Labels, Counter>,
    jobs: Family<Labels, Gauge>,
    oldest_job_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    deliveries: Family<Labels, Gauge>,
    /// Absent until the first verification has finished (so an alert on `== 0` never fires
    /// on a server that has only just started).
    audit_intact: Family<Labels, Gauge>,
    audit_events: Family<Labels, Gauge>,
    audit_verified_at: Family<Labels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("infradesk");
        let vcs_calls = Family::<Labels, Counter>::default();
        registry.register(
            "vcs_calls",
            "Calls to the infra repository's host by operation and outcome",
            vcs_calls.clone(),
        );
        let vcs_seconds = HistogramFamily::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "vcs_call_duration_seconds",
            "Latency of calls to the infra repository's host",
            vcs_seconds.clone(),
        );
        let webhooks = Family::<Labels, Counter>::default();
        registry.register("webhook_requests", "Webhook requests received, by how they were answered", webhooks.clone());
        let jobs = Family::<Labels, Gauge>::default();
        registry.register("outbox_jobs", "Outbox jobs waiting (pending) or given up (failed)", jobs.clone());
        let oldest_job_seconds = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "outbox_oldest_job_age_seconds",
            "Age of the oldest outbox job per state",
            oldest_job_seconds.clone(),
        );
        let deliveries = Family::<Labels, Gauge>::default();
        registry.register("webhook_deliveries", "Stored webhook deliveries by processing outcome", deliveries.clone());
        let audit_intact = Family::<Labels, Gauge>::default();
        registry.register(
            "audit_chain_intact",
            "1 if the last scheduled audit chain verification found the chain intact, 0 if broken or it could not run",
            audit_intact.clone(),
        );
        let audit_events = Family::<Labels, Gauge>::default();
        registry.register("audit_chain_events", "Audit events walked by the last verification", audit_events.clone());
        let audit_verified_at = Family::<Labels, Gauge>::default();
        registry.register(
            "audit_chain_last_verification_timestamp_seconds",
            "When the last audit chain verification started (Unix time)",
            audit_verified_at.clone(),
        );
        Self {
            registry,
            vcs_calls,
            vcs_seconds,
            webhooks,
            jobs,
            oldest_job_seconds,
            deliveries,
            audit_intact,
            audit_events,
            audit_verified_at,
        }
    }

    pub fn vcs_call(&self, host: &str, operation: &str, outcome: &str, took: Duration) {
        self.vcs_calls.get_or_create(&labels(&[("host", host), ("operation", operation), ("outcome", outcome)])).inc();
        self.vcs_seconds
            .get_or_create(&labels(&[("host", host), ("operation", operation)]))
            .observe(took.as_secs_f64());
    }

    /// `outcome`: accepted, duplicate, bad_signature, wrong_repository, bad_request, ping.
    pub fn webhook(&self, outcome: &str) {
        self.webhooks.get_or_create(&labels(&[("outcome", outcome)])).inc();
    }

    /// Records the outcome of a scheduled audit chain verification.
    pub fn audit_verification(&self, last: &crate::audit::monitor::LastVerification) {
        let none = Labels::new();
        self.audit_intact.get_or_create(&none).set(i64::from(last.intact()));
        if let Ok(v) = &last.outcome {
            self.audit_events.get_or_create(&none).set(v.events);
        }
        self.audit_verified_at.get_or_create(&none).set(last.at_ms / 1000);
    }

    /// Reads the queue from the database and renders everything.
    pub async fn render(&self, db: &Db, now_ms: i64) -> Result<String, DbError> {
        let stats = crate::outbox::stats(db).await?;
        let deliveries = crate::webhooks::outcome_counts(db).await?;
        self.jobs.clear();
        self.oldest_job_seconds.clear();
        for state in ["pending", "failed"] {
            let found = stats.iter().find(|(s, _, _)| s == state);
            let (n, oldest) = found.map_or((0, None), |(_, n, oldest)| (*n, *oldest));
            self.jobs.get_or_create(&labels(&[("state", state)])).set(n);
            let age = oldest.map_or(0.0, |at| (now_ms - at).max(0) as f64 / 1000.0);
            self.oldest_job_seconds.get_or_create(&labels(&[("state", state)])).set(age);
        }
        self.deliveries.clear();
        for (outcome, n) in deliveries {
            self.deliveries.get_or_create(&labels(&[("outcome", &outcome)])).set(n);
        }
        let mut out = String::new();
        encode(&mut out, &self.registry).map_err(|e| DbError::Sql(sqlx::Error::Protocol(e.to_string())))?;
        Ok(out)
    }
}
