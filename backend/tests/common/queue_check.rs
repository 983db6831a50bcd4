//! The approval queue's own table against the truth: `review_queue` as the services keep it
//! must equal what a rebuild from the stored requests, routing and approvals computes.

use backend::Db;
use backend::requests::queue_rows;
use sqlx::Row;

/// `review_queue` as stored, sorted.
pub async fn rows(db: &Db, tx: Option<&mut sqlx::Transaction<'static, sqlx::Any>>) -> Vec<String> {
    let sql = "SELECT request_id, team_slug, status, environment, module_id, created_at_ms, needed, done_by \
               FROM review_queue ORDER BY request_id, team_slug";
    let found = match tx {
        Some(tx) => sqlx::query(sql).fetch_all(&mut **tx).await.unwrap(),
        None => sqlx::query(sql).fetch_all(db.pool()).await.unwrap(),
    };
    found
        .iter()
        .map(|r| {
            format!(
                "#{} {} {} {} {} {} needs {} done_by {}",
                r.try_get::<i64, _>(0).unwrap(),
                r.try_get::<String, _>(1).unwrap(),
                r.try_get::<String, _>(2).unwrap(),
                r.try_get::<String, _>(3).unwrap(),
                r.try_get::<String, _>(4).unwrap(),
                r.try_get::<i64, _>(5).unwrap(),
                r.try_get::<i64, _>(6).unwrap(),
                r.try_get::<String, _>(7).unwrap(),
            )
        })
        .collect()
}

/// What the services keep equals a rebuild from the stored requests, routing and approvals.
pub async fn assert_same_as_rebuilt(db: &Db, when: &str) {
    let kept = rows(db, None).await;
    let mut tx = db.begin_write().await.unwrap();
    queue_rows::rebuild(&mut tx).await.unwrap();
    let rebuilt = rows(db, Some(&mut tx)).await;
    tx.rollback().await.unwrap();
    assert_eq!(kept, rebuilt, "{when}");
}
