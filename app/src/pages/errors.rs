//! 404 and 403 pages. On the server they also set the HTTP status.

use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::state::set_status;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_status(http::StatusCode::NOT_FOUND);
    view! {
        <Title text="Page not found" />
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or start again from the "<a href="/">"home page"</a>"."</p>
        </section>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_status(http::StatusCode::FORBIDDEN);
    view! {
        <Title text="Forbidden" />
        <section class="panel">
            <h1>"Forbidden"</h1>
            <p>"Your account does not have access to this page. If you need it, ask an Infradesk admin to add you to the right team."</p>
        </section>
    }
}

/// Shown when a page's data could not be loaded; the reference matches a server log line.
#[component]
pub fn LoadError(error: crate::error::AppError) -> impl IntoView {
    view! {
        <section class="panel">
            <h1>"Something went wrong"</h1>
            <p role="alert">{error.to_string()}</p>
        </section>
    }
}
