//! The review part of a request's page: approvals as counted (per routed team, and which do
//! not count and why), the conversation, and — for reviewers of a routed team who are neither
//! the requester nor an editor of any revision, as the server decides — the decision forms.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub revision: i64,
    /// (team, approvals needed, logins counted)
    pub teams: Vec<(String, u32, Vec<String>)>,
    /// (login, why it does not count)
    pub not_counted: Vec<(String, String)>,
    /// The conversation, oldest first: Infradesk's comments and the pull request's on GitHub.
    pub comments: Vec<ConversationEntry>,
    /// A member of a routed team who is neither the requester nor an editor.
    pub can_decide: bool,
    /// Why a reviewer cannot decide (the server's refusal, in its words).
    pub decide_refusal: Option<String>,
    pub can_comment: bool,
    pub in_review: bool,
}

/// One entry of the conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationEntry {
    pub author: String,
    /// comment | approved | changes_requested | rejected; from GitHub also file_comment,
    /// commented (a review) and dismissed.
    pub kind: String,
    /// Plain text (shown as text, never as HTML).
    pub body: String,
    pub revision: i64,
    pub at_ms: i64,
    /// Written on the pull request on GitHub.
    pub from_github: bool,
    /// The author's GitHub login (GitHub entries).
    pub github_login: Option<String>,
    /// The file a GitHub comment is on.
    pub path: Option<String>,
    pub url: Option<String>,
    /// Why a GitHub review counts for nothing.
    pub note: Option<String>,
    pub edited: bool,
    /// Deleted on GitHub: its text is not shown.
    pub removed: bool,
}

impl ConversationEntry {
    /// "(comment, revision 2)", "(on GitHub: review, changes requested, revision 1)".
    fn label(&self) -> String {
        let kind = match (self.from_github, self.kind.as_str()) {
            (true, "comment") => "comment".to_owned(),
            (true, "file_comment") => match &self.path {
                Some(path) => format!("comment on {path}"),
                None => "comment on a file".to_owned(),
            },
            (true, "commented") => "review".to_owned(),
            (true, state) => format!("review, {}", state.replace('_', " ")),
            (false, kind) => kind.replace('_', " "),
        };
        let place = if self.from_github { "on GitHub: " } else { "" };
        format!(" ({place}{kind}, revision {})", self.revision)
    }

    /// A link to the entry on GitHub, when it is one (never another scheme).
    fn link(&self) -> Option<String> {
        self.url.clone().filter(|u| u.starts_with("https://"))
    }
}

/// Loads the review of request `detail` for `me`.
#[cfg(feature = "ssr")]
pub async fn load(
    db: &backend::Db,
    me: &domain::identity::Me,
    detail: &backend::requests::RequestDetail,
) -> Result<ReviewView, crate::error::AppError> {
    use crate::error::AppError;
    let state = backend::requests::review_state(db, detail.summary.number).await.map_err(AppError::internal)?;
    let member = me.teams.iter().any(|t| t.slug == detail.summary.team);
    let routing: Option<domain::routing::RoutingOutcome> = serde_json::from_value(detail.revision.routing.clone()).ok();
    let refusal = decision_refusal(me, routing.as_ref(), &detail.summary.requester, &state.editors);
    Ok(ReviewView {
        revision: state.revision,
        teams: state.tally.teams.iter().map(|t| (t.team.clone(), t.needed, t.counted.clone())).collect(),
        not_counted: state.tally.not_counted.iter().map(|(l, why)| (l.clone(), why.to_string())).collect(),
        comments: state
            .comments
            .into_iter()
            .map(|c| ConversationEntry {
                author: c.author,
                kind: c.kind,
                body: c.body,
                revision: c.revision,
                at_ms: c.at_ms,
                from_github: c.from_github,
                github_login: c.github_login,
                path: c.path,
                url: c.url,
                note: c.note,
                edited: c.edited,
                removed: c.removed,
            })
            .collect(),
        can_decide: refusal.is_none(),
        decide_refusal: refusal.filter(|_| me.is_reviewer()),
        can_comment: member || me.is_reviewer() || me.is_admin,
        in_review: matches!(
            detail.summary.status,
            domain::request::Status::InReview | domain::request::Status::ChangesRequested
        ),
    })
}

/// Why `me` may not approve, request changes or reject, in the server's words: the rule of
/// `backend::requests::decide`, [`domain::approval::may_decide`] (a member of a team the
/// request is routed to with approvals to give, never the requester, never anyone who authored
/// any revision; a member of the requesting team who is a routed reviewer may decide). `None`:
/// the decision buttons show.
#[cfg(feature = "ssr")]
pub fn decision_refusal(
    me: &domain::identity::Me,
    routing: Option<&domain::routing::RoutingOutcome>,
    requester: &str,
    editors: &std::collections::BTreeSet<String>,
) -> Option<String> {
    use domain::approval::{Decider, may_decide};
    let Some(routing) = routing else {
        return Some(backend::requests::DecideError::Routing("unreadable".into()).to_string());
    };
    may_decide(&Decider::of(me), &routing.reviewers, requester, editors).err().map(|refusal| refusal.to_string())
}

#[component]
pub fn ReviewPanel(number: i64, version: i64, review: ReviewView) -> impl IntoView {
    let decide_forms = (review.can_decide && review.in_review).then(|| {
        view! {
            <form method="post" action=format!("/requests/{number}/decide") class="decision" data-testid="decision-form">
                <input type="hidden" name="version" value=version.to_string() />
                <label for="decision-comment">"Comment (required to request changes or reject)"</label>
                <textarea id="decision-comment" name="comment" rows="3" maxlength="10000"></textarea>
                <div class="actions">
                    <button type="submit" name="decision" value="approve" data-testid="approve">{format!("Approve revision {}", review.revision)}</button>
                    <button type="submit" name="decision" value="request_changes" class="secondary" data-testid="request-changes">"Request changes"</button>
                    <button type="submit" name="decision" value="reject" class="danger" data-testid="reject">"Reject"</button>
                    <button type="submit" name="decision" value="comment" class="secondary">"Comment"</button>
                </div>
            </form>
        }
        .into_any()
    });
    let refusal = review.decide_refusal.clone().filter(|_| review.in_review).map(|why| {
        let mut why = why;
        if let Some(first) = why.get(..1) {
            why = first.to_uppercase() + &why[1..];
        }
        view! { <p class="muted" data-testid="decide-refusal">{format!("{why}.")}</p> }
    });
    let comment_only = (!review.can_decide && review.can_comment).then(|| {
        view! {
            <form method="post" action=format!("/requests/{number}/decide") class="decision">
                <input type="hidden" name="version" value=version.to_string() />
                <label for="comment-only">"Comment"</label>
                <textarea id="comment-only" name="comment" rows="2" maxlength="10000" required=true></textarea>
                <button type="submit" name="decision" value="comment" class="secondary">"Comment"</button>
            </form>
        }
        .into_any()
    });
    view! {
        <h2>"Approvals"</h2>
        <div data-testid="approvals">
            {if review.teams.is_empty() {
                view! { <p class="muted">"No reviewers are routed for this request."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {review.teams.iter().map(|(team, needed, counted)| {
                            let who = if counted.is_empty() { "none yet".to_owned() } else { counted.join(", ") };
                            view! { <li><strong>{team.clone()}</strong> {format!(": {} of {needed} — {who}", counted.len())}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!review.not_counted.is_empty()).then(|| view! {
                <p class="muted">"Not counted: "
                    {review.not_counted.iter().map(|(l, why)| format!("{l} ({why})")).collect::<Vec<_>>().join("; ")}
                </p>
            })}
        </div>
        {decide_forms}
        {refusal}
        <h2>"Conversation"</h2>
        {if review.comments.is_empty() {
            view! { <p class="muted" data-testid="conversation-empty">"No comments yet."</p> }.into_any()
        } else {
            view! {
                <ol class="timeline" data-testid="conversation">
                    {review.comments.iter().map(|c| {
                        let github_login = c.github_login.clone().filter(|l| *l != c.author);
                        view! {
                            <li data-source=if c.from_github { "github" } else { "infradesk" }>
                                <time>{crate::pages::format_time(c.at_ms)}</time> " " <strong>{c.author.clone()}</strong>
                                {github_login.map(|l| format!(" (GitHub {l})"))}
                                {format!("{}: ", c.label())}
                                {if c.removed {
                                    view! { <em class="muted">"deleted on GitHub"</em> }.into_any()
                                } else {
                                    view! { <span class="pre-wrap">{c.body.clone()}</span> }.into_any()
                                }}
                                {(c.edited && !c.removed).then(|| view! { <span class="muted">" (edited)"</span> })}
                                {c.note.clone().map(|n| view! { <span class="muted">{format!(" — {n}")}</span> })}
                                {c.link().map(|href| view! { " " <a href=href rel="noopener noreferrer">"on GitHub"</a> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
        {comment_only}
    }
}
