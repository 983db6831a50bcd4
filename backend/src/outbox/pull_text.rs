//! What a request's pull request says: branch, title, body. User text only ever appears
//! escaped in Markdown, never as anything GitHub would act on (mentions, links, HTML).

use crate::requests::RequestDetail;

/// `infradesk/<number>-<instance>`, the instance reduced to `[a-z0-9-]`. The number makes it
/// unique, so it is also the key that finds an existing pull request again.
pub fn branch_name(number: i64, instance_name: &str) -> String {
    let mut slug: String = instance_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .take(60)
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() { format!("infradesk/{number}") } else { format!("infradesk/{number}-{slug}") }
}

pub fn pull_request_title(detail: &RequestDetail) -> String {
    let s = &detail.summary;
    format!("[Infradesk #{}] {} {} in {} for {}", s.number, s.module_id, s.instance_name, s.environment, s.team)
}

/// Markdown-escapes text for a table cell or a line: no HTML, no mentions, no links (GitHub
/// also links bare `https://…` and `www.…`: a zero-width space breaks those up).
fn escape(text: &str) -> String {
    let text = text.replace("://", ":\u{200B}//").replace("www.", "www\u{200B}.");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // `@` followed by a zero-width joiner-free space would still mention: use the
            // HTML entity, which GitHub renders as "@" without notifying anyone.
            '@' => out.push_str("&#64;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The body: who and why, where, the inputs, routing and a link back to Infradesk.
pub fn pull_request_body(detail: &RequestDetail, request_url: &str, environment_line: &str) -> String {
    let s = &detail.summary;
    let r = &detail.revision;
    let mut body = format!(
        "Requested through Infradesk: [request #{}]({request_url})\n\n\
         | | |\n| --- | --- |\n\
         | Requester | {} |\n| Team | {} |\n| Module | `{}` |\n| Environment | {} |\n| File | `{}` |\n| Revision | {} |\n\n",
        s.number,
        escape(&s.requester),
        escape(&s.team),
        escape(&s.module_id),
        escape(environment_line),
        escape(&r.path),
        r.number,
    );
    body.push_str("### Justification\n\n");
    body.push_str(&escape(r.justification.trim()));
    body.push_str("\n\n### Inputs\n\n| Input | Value |\n| --- | --- |\n");
    for (name, value) in &r.inputs {
        let shown = serde_json::to_string(value).unwrap_or_default();
        body.push_str(&format!("| `{}` | {} |\n", escape(name), escape(&shown)));
    }
    body.push_str("\n### Routing\n\n");
    let routing: Option<domain::routing::RoutingOutcome> = serde_json::from_value(r.routing.clone()).ok();
    body.push_str(&match routing {
        Some(outcome) => escape(&outcome.summary()),
        None => "no routing recorded".to_owned(),
    });
    body.push_str(
        "\n\n---\nThis pull request is managed by Infradesk: change the request there, not here. \
                   A push to this branch marks the request as changed outside Infradesk.\n",
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_are_safe_and_unique_by_number() {
        assert_eq!(branch_name(12, "orders-db"), "infradesk/12-orders-db");
        assert_eq!(branch_name(3, "Orders DB ../x"), "infradesk/3-orders-db-x");
        assert_eq!(branch_name(4, "---"), "infradesk/4");
        assert!(branch_name(5, &"a".repeat(300)).len() < 80);
    }

    #[test]
    fn user_text_cannot_mention_link_or_break_the_table() {
        let e = escape("@sre-team please [click](http://x) <b>|</b>\nnext https://evil.example www.evil.example");
        assert!(!e.contains('@') && !e.contains('\n'), "{e}");
        assert!(!e.contains("://") && !e.contains("www."), "no bare links: {e}");
        assert!(e.contains("\\[click\\]") && e.contains("\\<b\\>") && e.contains("\\|"), "{e}");
    }
}
