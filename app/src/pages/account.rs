//! The signed-in user's own account: who they are and changing their password. The form
//! posts to the server's `/account/password` handler.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::context::use_page_context;

#[component]
pub fn AccountPage() -> impl IntoView {
    let ctx = use_page_context();
    view! {
        <Title text="Account" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let me = ctx.await.ok().and_then(|c| c.me);
                me.map(|me| view! {
                    <section class="panel narrow">
                        <h1>"Account"</h1>
                        <dl class="facts">
                            <dt>"Login"</dt><dd><code>{me.login.clone()}</code></dd>
                            <dt>"Name"</dt><dd>{me.name.clone()}</dd>
                            <dt>"Teams"</dt><dd>{if me.teams.is_empty() { "none".to_owned() } else { me.teams.iter().map(|t| t.slug.clone()).collect::<Vec<_>>().join(", ") }}</dd>
                        </dl>
                        <h2>"Change password"</h2>
                        <form method="post" action="/account/password" class="stack">
                            <label for="current_password">"Current password"</label>
                            <input id="current_password" name="current_password" type="password" autocomplete="current-password" required />
                            <label for="new_password">"New password"</label>
                            <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="12"
                                aria-describedby="new-password-help" />
                            <small id="new-password-help">"At least 12 characters. Your other sessions are signed out."</small>
                            <label for="confirm_password">"Repeat new password"</label>
                            <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required minlength="12" />
                            <button type="submit">"Change password"</button>
                        </form>
                    </section>
                })
            })}
        </Suspense>
    }
}
