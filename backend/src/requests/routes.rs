//! `request_routes`: the teams a request's current revision is routed to, kept beside the
//! routing JSON so the approval queue is an indexed join, not a scan of every revision.

use domain::routing::RoutingOutcome;
use sqlx::{Any, Transaction};

use crate::db::DbError;

/// Replaces request `number`'s routes with those of `routing` (a stored routing outcome;
/// anything unreadable routes nowhere, and the request page shows the stored JSON).
pub(crate) async fn replace(
    tx: &mut Transaction<'static, Any>,
    number: i64,
    routing: &serde_json::Value,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM request_routes WHERE request_id = $1").bind(number).execute(&mut **tx).await?;
    let Ok(outcome) = serde_json::from_value::<RoutingOutcome>(routing.clone()) else { return Ok(()) };
    for r in outcome.reviewers.iter().filter(|r| r.approvals > 0) {
        sqlx::query(
            "INSERT INTO request_routes (request_id, team_slug, approvals) VALUES ($1, $2, $3) \
             ON CONFLICT (request_id, team_slug) DO UPDATE SET approvals = excluded.approvals",
        )
        .bind(number)
        .bind(&r.team)
        .bind(i64::from(r.approvals))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
