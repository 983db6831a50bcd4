//! The Infradesk user interface: Leptos components rendered on the server and hydrated in
//! the browser, and the server functions they call. Server-only code sits behind the
//! `ssr` feature; it reaches the services through [`state::AppState`] in context.

#![recursion_limit = "256"]

pub mod context;
pub mod error;
pub mod layout;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod requesting;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::context::provide_page_context;
use crate::layout::Layout;
use crate::pages::{
    account::AccountPage,
    admin::AdminPage,
    audit::AuditPage,
    catalog::CatalogPage,
    errors::NotFound,
    home::HomePage,
    login::LoginPage,
    new_request::{EditRequestPage, NewRequestPage},
    queue::QueuePage,
    request::RequestPage,
    requests::RequestsPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_page_context();
    // Runs in the browser only, once hydration has finished: browser tests wait for it.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/infradesk.css" />
        <Title formatter=|page: String| if page.is_empty() { "Infradesk".to_owned() } else { format!("{page} · Infradesk") } />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/queue") view=QueuePage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/requests") view=RequestsPage ssr=SsrMode::Async />
                    <Route path=path!("/requests/new") view=CatalogPage ssr=SsrMode::Async />
                    <Route path=path!("/requests/new/:module") view=NewRequestPage ssr=SsrMode::Async />
                    <Route path=path!("/requests/:number") view=RequestPage ssr=SsrMode::Async />
                    <Route path=path!("/requests/:number/edit") view=EditRequestPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
