//! The sign-in page. The form posts to the server's `/login` handler (not a server
//! function) so it works the same with JavaScript off.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::context::use_page_context;

#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_page_context();
    view! {
        <Title text="Sign in" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let ctx = ctx.await.unwrap_or_default();
                let hint = ctx.login_hint.clone().unwrap_or_default();
                let has_error = ctx.flash.as_ref().is_some_and(|f| f.kind == crate::context::FlashKind::Error);
                view! {
                    <section class="panel narrow">
                        <h1>"Sign in to Infradesk"</h1>
                        <form method="post" action="/login" class="stack">
                            <label for="login">"Login"</label>
                            <input id="login" name="login" type="text" autocomplete="username" required autofocus value=hint
                                aria-describedby=has_error.then_some("login-error") />
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="current-password" required />
                            {has_error.then(|| view! { <span id="login-error" class="visually-hidden">"The last sign-in failed."</span> })}
                            <button type="submit">"Sign in"</button>
                        </form>
                    </section>
                    {(!ctx.demo_accounts.is_empty()).then(|| view! {
                        <section class="panel narrow">
                            <h2>"Demo accounts"</h2>
                            <p>"This server runs in demo mode. Every demo account uses the password "
                                <code>{ctx.demo_password.clone().unwrap_or_default()}</code> "."</p>
                            <table data-testid="demo-accounts">
                                <thead><tr><th scope="col">"Login"</th><th scope="col">"Name"</th><th scope="col">"Roles"</th></tr></thead>
                                <tbody>
                                    {ctx.demo_accounts.iter().map(|a| view! {
                                        <tr><td><code>{a.login.clone()}</code></td><td>{a.name.clone()}</td><td>{a.roles.clone()}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    })}
                }
            })}
        </Suspense>
    }
}
