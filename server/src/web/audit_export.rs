//! `GET /audit/export.csv` and `GET /audit/export.jsonl`: the audit page's filtered view as a
//! download, for reviewers and admins. The same filters as the page (`FilterParams`), the same
//! events in the same order; streamed page by page (`backend::audit::export`), so an export
//! of millions of events holds one page in memory. The export is a snapshot: it stops at the
//! chain's head as it was when the download started, and the download itself is recorded as
//! an `audit.exported` event (who, which filter, which format, up to which event).

use app::state::RequestContext;
use axum::Extension;
use axum::body::Body;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use backend::audit::export::{self, Format};
use backend::audit::search::FilterParams;
use backend::audit::{self, Entry};
use domain::audit::Actor;
use futures_util::TryStreamExt;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::WebState;
use super::auth::request_id;
use super::pages::{internal_error, simple_page};

pub async fn csv(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    headers: HeaderMap,
    uri: http::Uri,
    Query(params): Query<FilterParams>,
) -> Response {
    export(Format::Csv, web, ctx, &headers, &uri, params).await
}

pub async fn jsonl(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    headers: HeaderMap,
    uri: http::Uri,
    Query(params): Query<FilterParams>,
) -> Response {
    export(Format::JsonLines, web, ctx, &headers, &uri, params).await
}

async fn export(
    format: Format,
    web: WebState,
    ctx: RequestContext,
    headers: &HeaderMap,
    uri: &http::Uri,
    params: FilterParams,
) -> Response {
    let rid = request_id(headers);
    let Some(me) = ctx.me else {
        let here = uri.path_and_query().map_or("/audit", |p| p.as_str());
        let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next}")).into_response();
    };
    if !(me.is_reviewer() || me.is_admin) {
        return simple_page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Only reviewers and admins can read and export the audit trail.",
        );
    }
    let mut filter = match params.parse() {
        Ok(filter) => filter,
        Err(errors) => {
            let problems: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            return simple_page(
                StatusCode::BAD_REQUEST,
                "Cannot export this view",
                &format!("Fix the filter on the audit page and try again. {}", problems.join(" ")),
            );
        }
    };
    let db = &web.app.db;
    let through = match audit::head(db).await {
        Ok((seq, _)) => seq,
        Err(e) => return internal_error(&rid, &e),
    };
    filter.through_seq = Some(through);
    let filter_details: serde_json::Map<String, serde_json::Value> =
        params.pairs().into_iter().map(|(k, v)| (k.to_owned(), serde_json::Value::String(v))).collect();
    let entry = Entry {
        actor: &Actor::User(me.login.clone()),
        action: "audit.exported",
        subject: "audit",
        details: serde_json::json!({
            "format": format.extension(),
            "filter": filter_details,
            "through_seq": through,
        }),
    };
    if let Err(e) = audit::record(db, web.app.clock.now_ms(), entry).await {
        return internal_error(&rid, &e);
    }
    tracing::info!(login = %me.login, format = format.extension(), through_seq = through, "audit trail exported");

    let body = export::encoded(db.clone(), filter, format).inspect_err(move |e| {
        // The response has started: the download ends short, and the log says why.
        tracing::error!(request_id = %rid, error = %e, "audit export stopped by a database error");
    });
    let disposition = format!("attachment; filename=\"infradesk-audit-{through}.{}\"", format.extension());
    let mut response = Body::from_stream(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
