//! Minimal server-rendered pages for responses produced outside the Leptos app (origin
//! refusals, rate limits, internal errors). They share the app's stylesheet.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn simple_page(status: StatusCode, title: &str, message: &str) -> Response {
    let (title, message) = (escape(title), escape(message));
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Infradesk</title><link rel=\"stylesheet\" href=\"/pkg/infradesk.css\"></head>\
         <body><header class=\"site-header\"><a class=\"brand\" href=\"/\">Infradesk</a></header>\
         <main id=\"content\"><section class=\"panel\"><h1>{title}</h1><p role=\"alert\">{message}</p>\
         <p><a href=\"/\">Back to Infradesk</a></p></section></main></body></html>"
    );
    (status, Html(body)).into_response()
}

/// An internal error: the detail goes to the log with the request id; the user sees only
/// the id to quote.
pub fn internal_error(request_id: &str, err: &dyn std::fmt::Display) -> Response {
    tracing::error!(request_id, error = %err, "internal error");
    simple_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &format!(
            "Infradesk could not complete this request. If it keeps happening, give your admin this reference: {request_id}."
        ),
    )
}

/// A handler panicked: log it with a fresh reference and show the generic error page.
pub fn panic_page(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    let reference = uuid::Uuid::new_v4().to_string();
    internal_error(&reference, &format!("handler panicked: {detail}"))
}
