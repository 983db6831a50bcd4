//! The page frame: header with navigation by role, the sign-out button, flash messages.

use domain::identity::Me;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::context::{FlashKind, use_page_context};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let ctx = use_page_context();
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/">"Infradesk"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let me = ctx.await.ok().and_then(|c| c.me);
                    me.map(|me| view! { <MainNav me /> })
                })}
            </Suspense>
        </header>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                ctx.await.ok().and_then(|c| c.flash).map(|flash| {
                    let (class, role) = match flash.kind {
                        FlashKind::Success => ("flash flash-success", "status"),
                        FlashKind::Error => ("flash flash-error", "alert"),
                    };
                    view! { <p class=class role=role>{flash.text}</p> }
                })
            })}
        </Suspense>
        <main id="content" tabindex="-1">{children()}</main>
        <footer class="site-footer">"Infradesk — self-service infrastructure, reviewed."</footer>
    }
}

#[component]
fn MainNav(me: Me) -> impl IntoView {
    let location = use_location();
    let link = move |href: &'static str, label: &'static str| {
        let current = move || {
            let path = location.pathname.get();
            let new_request = path.starts_with("/requests/new");
            let here = match href {
                "/" => path == "/",
                "/requests" => path.starts_with("/requests") && !new_request,
                "/requests/new" => new_request,
                _ => path.starts_with(href),
            };
            here.then_some("page")
        };
        view! { <li><a href=href aria-current=current>{label}</a></li> }
    };
    let roles = me.role_names().join(", ");
    view! {
        <nav aria-label="Main">
            <ul>
                {link("/", "Home")}
                {me.can_request().then(|| link("/requests/new", "New request"))}
                {link("/requests", "Requests")}
                {me.is_reviewer().then(|| link("/queue", "Queue"))}
                {(me.is_reviewer() || me.is_admin).then(|| link("/audit", "Audit"))}
                {me.is_admin.then(|| link("/admin", "Admin"))}
                {link("/account", "Account")}
            </ul>
        </nav>
        <div class="whoami">
            <span title=roles>{me.name.clone()}</span>
            <form method="post" action="/logout">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </div>
    }
}
