//! The reviewers' approval queue. Requests arrive with the request workflow; until then
//! the queue is truthfully empty.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::context::use_page_context;
use crate::pages::errors::Forbidden;

#[component]
pub fn QueuePage() -> impl IntoView {
    let ctx = use_page_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let me = ctx.await.ok().and_then(|c| c.me);
                match me {
                    Some(me) if me.is_reviewer() => {
                        let teams = me.teams.iter().filter(|t| t.reviewing).map(|t| t.slug.clone()).collect::<Vec<_>>().join(", ");
                        view! {
                            <Title text="Approval queue" />
                            <section class="panel">
                                <h1>"Approval queue"</h1>
                                <p>"Requests routed to your reviewing teams (" {teams} ") appear here, oldest first."</p>
                                <p class="empty">"Nothing is waiting for your teams."</p>
                            </section>
                        }.into_any()
                    }
                    _ => view! { <Forbidden /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
