use leptos::prelude::*;
use leptos_meta::Title;

use crate::context::use_page_context;

#[component]
pub fn HomePage() -> impl IntoView {
    let ctx = use_page_context();
    view! {
        <Title text="" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = ctx.await.ok().and_then(|c| c.me);
                me.map(|me| {
                    let teams = me.teams.clone();
                    let roles = me.role_names().join(", ");
                    view! {
                        <section class="panel">
                            <h1>"Welcome, " {me.name.clone()}</h1>
                            <p>"Signed in as " <code>{me.login.clone()}</code> ". Your roles: " {if roles.is_empty() { "none yet".to_owned() } else { roles }} "."</p>
                            <h2>"Your teams"</h2>
                            {if teams.is_empty() {
                                view! { <p class="empty">"You are not in any team yet, so you cannot make requests. Ask an admin to add you to your team."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="team-list">
                                        {teams.into_iter().map(|t| view! {
                                            <li>
                                                <strong>{t.name}</strong> " " <code>{t.slug}</code>
                                                {t.reviewing.then(|| view! { <span class="badge">"reviewing"</span> })}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}
