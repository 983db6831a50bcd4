//! What a revision changes, on the request's page: the inputs as a table with the settings
//! changed since the previous revision highlighted (and their old values), and the rendered
//! file as a unified diff — against the previous revision, or the whole new file for the
//! first (what the pull request's commit adds).

use domain::request::changes::{Hunk, InputChange, InputRow, LineKind};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesView {
    /// The revision compared with, `None` for the first.
    pub previous: Option<i64>,
    /// (label, input row)
    pub inputs: Vec<(String, InputRow)>,
    pub diff: Vec<Hunk>,
    pub path: String,
}

/// Compares the current revision of `detail` with the one before it.
#[cfg(feature = "ssr")]
pub async fn load(
    db: &backend::Db,
    detail: &backend::requests::RequestDetail,
) -> Result<ChangesView, crate::error::AppError> {
    use domain::request::changes::{file_diff, input_changes};

    let revision = &detail.revision;
    let previous = if revision.number > 1 {
        backend::requests::revision_content(db, detail.summary.number, revision.number - 1)
            .await
            .map_err(crate::error::AppError::internal)?
    } else {
        None
    };
    let rows = input_changes(previous.as_ref().map(|(inputs, _)| inputs.as_slice()), &revision.inputs);
    let label = |name: &str| revision.module.field(name).map_or_else(|| name.to_owned(), |f| f.label.clone());
    Ok(ChangesView {
        previous: previous.is_some().then(|| revision.number - 1),
        inputs: rows.into_iter().map(|row| (label(&row.name), row)).collect(),
        diff: file_diff(previous.as_ref().map_or("", |(_, file)| file.as_str()), &revision.rendered, 3),
        path: revision.path.clone(),
    })
}

#[component]
pub fn RevisionChanges(changes: ChangesView) -> impl IntoView {
    let compared = changes.previous.map(|p| {
        let changed = changes.inputs.iter().filter(|(_, r)| r.change != InputChange::Unchanged).count();
        let text = match changed {
            0 => format!("No setting changed since revision {p}."),
            1 => format!("1 setting changed since revision {p} (highlighted)."),
            n => format!("{n} settings changed since revision {p} (highlighted)."),
        };
        view! { <p class="muted" data-testid="inputs-compared">{text}</p> }
    });
    let rows = changes
        .inputs
        .iter()
        .map(|(label, row)| {
            let (class, note) = match &row.change {
                InputChange::Unchanged => ("", String::new()),
                InputChange::Changed { before } => ("changed", format!("was {before}")),
                InputChange::Added => ("changed", "new in this revision".to_owned()),
                InputChange::Removed => ("removed", "removed in this revision".to_owned()),
            };
            view! {
                <tr class=class>
                    <td>{label.clone()}</td>
                    <td><code>{row.name.clone()}</code></td>
                    <td><code>{row.value.clone()}</code></td>
                    <td class="muted">{note}</td>
                </tr>
            }
        })
        .collect_view();
    let diff_title = match changes.previous {
        Some(p) => format!("Changes to {} since revision {p}", changes.path),
        None => format!("New file {}", changes.path),
    };
    let diff = if changes.diff.is_empty() {
        view! { <p class="muted">"The file is the same as in the previous revision."</p> }.into_any()
    } else {
        view! { <DiffView hunks=changes.diff.clone() /> }.into_any()
    };
    view! {
        <h2>"Inputs"</h2>
        {compared}
        <div class="table-wrap">
            <table data-testid="inputs-table">
                <thead><tr><th scope="col">"Setting"</th><th scope="col">"Variable"</th><th scope="col">"Value"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <h2>"Rendered diff"</h2>
        <p class="muted">{diff_title}</p>
        {diff}
    }
}

#[component]
fn DiffView(hunks: Vec<Hunk>) -> impl IntoView {
    let number = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    view! {
        <div class="table-wrap">
            <table class="diff" data-testid="rendered-diff">
                {hunks.into_iter().map(|hunk| view! {
                    <tbody>
                        <tr class="diff-hunk"><td colspan="3"><code>{hunk.header}</code></td></tr>
                        {hunk.lines.into_iter().map(|line| {
                            let (class, sign) = match line.kind {
                                LineKind::Added => ("diff-add", "+"),
                                LineKind::Removed => ("diff-del", "-"),
                                LineKind::Context => ("", " "),
                            };
                            view! {
                                <tr class=class>
                                    <td class="diff-no">{number(line.old_line)}</td>
                                    <td class="diff-no">{number(line.new_line)}</td>
                                    <td><code>{format!("{sign}{}", line.text)}</code></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                }).collect_view()}
            </table>
        </div>
    }
}
