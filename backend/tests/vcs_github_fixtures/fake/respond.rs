//! How the fake answers: authentication, then one route per GitHub endpoint.

use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::contents::contents;
use super::merges::{compare, merge_branches, merge_pull};
use super::*;

pub(super) fn error(status: u16, fixture_name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(fixture(fixture_name))
}

pub(super) fn message(status: u16, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({ "message": text, "documentation_url": "https://docs.github.com/rest" }))
}

pub(super) fn query(req: &Request, key: &str) -> Option<String> {
    req.url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.lock();
        let method = req.method.as_str().to_string();
        let path = req.url.path().to_string();

        if let Some(refusal) = check_auth(&mut st, req, &path) {
            return refusal;
        }
        let mut delay = None;
        if let Some(i) = st.scripts.iter().position(|(m, p, _)| *m == method && *p == path) {
            match st.scripts.remove(i).map(|(_, _, s)| s) {
                Some(Script::Answer(t)) => return t,
                Some(Script::ApplyThenDelay(d)) => delay = Some(d),
                None => {}
            }
        }
        let answer = route(&mut st, req, &method, &path);
        match delay {
            Some(d) => answer.set_delay(d),
            None => answer,
        }
    }
}

fn check_auth(st: &mut State, req: &Request, path: &str) -> Option<ResponseTemplate> {
    let auth = req.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let bearer = auth.strip_prefix("Bearer ").unwrap_or("");
    match st.auth {
        Auth::Token => (bearer != TOKEN).then(|| error(401, "bad-credentials-401.json")),
        Auth::App => {
            if path == format!("/app/installations/{INSTALLATION_ID}/access_tokens") {
                // A JWT: three base64url parts; the middle one names the app.
                let claims = bearer.split('.').nth(1).and_then(|p| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()
                });
                let iss =
                    claims.and_then(|c| serde_json::from_slice::<Value>(&c).ok()).and_then(|c| c.get("iss").cloned());
                if iss != Some(json!(7)) && iss != Some(json!("7")) {
                    return Some(error(401, "bad-credentials-401.json"));
                }
                return None;
            }
            let known = st.tokens.iter().any(|t| t == bearer);
            (!known || st.revoked.contains(bearer)).then(|| error(401, "bad-credentials-401.json"))
        }
    }
}

fn route(st: &mut State, req: &Request, method: &str, path: &str) -> ResponseTemplate {
    if method == "POST" && path == format!("/app/installations/{INSTALLATION_ID}/access_tokens") {
        let token = format!("ghs_fake_installation_token_{}", st.tokens.len() + 1);
        st.tokens.push(token.clone());
        let expires = time::OffsetDateTime::now_utc() + st.token_lifetime;
        let mut body = fixture("installation-token.json");
        body["token"] = json!(token);
        body["expires_at"] = json!(expires.format(&time::format_description::well_known::Rfc3339).unwrap_or_default());
        return ResponseTemplate::new(201).set_body_json(body);
    }
    let prefix = format!("/repos/{OWNER}/{REPO}");
    let Some(rest) = path.strip_prefix(&prefix) else {
        return error(404, "not-found-404.json");
    };
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["git", "ref", "heads", branch @ ..]) => {
            let branch = decode(&branch.join("/"));
            match st.branches.get(&branch) {
                Some(sha) => ResponseTemplate::new(200).set_body_json(git_ref(&branch, sha)),
                None => error(404, "not-found-404.json"),
            }
        }
        ("POST", ["git", "refs"]) => {
            let name = body["ref"].as_str().unwrap_or("").trim_start_matches("refs/heads/").to_string();
            let sha = body["sha"].as_str().unwrap_or("").to_string();
            if st.branches.contains_key(&name) {
                return error(422, "reference-already-exists-422.json");
            }
            if !st.contains.iter().any(|(_, known)| *known == sha) {
                return error(422, "object-does-not-exist-422.json");
            }
            // The new branch has the files of the branch whose head it starts at.
            if let Some(from) = st.branches.iter().find(|(_, head)| **head == sha).map(|(b, _)| b.clone()) {
                let copied: Vec<_> = st
                    .files
                    .iter()
                    .filter(|((b, _), _)| *b == from)
                    .map(|((_, p), c)| ((name.clone(), p.clone()), c.clone()))
                    .collect();
                st.files.extend(copied);
            }
            st.branches.insert(name.clone(), sha.clone());
            st.contains.insert((name.clone(), sha.clone()));
            ResponseTemplate::new(201).set_body_json(git_ref(&name, &sha))
        }
        ("DELETE", ["git", "refs", "heads", branch @ ..]) => {
            let branch = decode(&branch.join("/"));
            match st.branches.remove(&branch) {
                Some(_) => ResponseTemplate::new(204),
                None => error(422, "reference-does-not-exist-422.json"),
            }
        }
        (_, ["contents", file @ ..]) => contents(st, req, method, &decode(&file.join("/")), &body),
        ("GET", ["pulls"]) => list_pulls(st, req),
        ("GET", ["compare", range @ ..]) => compare(st, &decode(&range.join("/"))),
        ("POST", ["pulls"]) => create_pull(st, &body),
        ("GET", ["pulls", n]) => with_pr(st, n, |st, i| ResponseTemplate::new(200).set_body_json(pr_json(st, i, true))),
        ("PATCH", ["pulls", n]) => with_pr(st, n, |st, i| {
            if let Some(t) = body["title"].as_str() {
                st.prs[i].title = t.to_string();
            }
            if let Some(b) = body["body"].as_str() {
                st.prs[i].body = b.to_string();
            }
            if let Some(s) = body["state"].as_str()
                && st.prs[i].merge_commit.is_none()
            {
                st.prs[i].state = s.to_string();
            }
            ResponseTemplate::new(200).set_body_json(pr_json(st, i, true))
        }),
        ("POST", ["issues", n, "labels"]) => with_pr(st, n, |st, i| {
            let mut items = Vec::new();
            for label in body["labels"].as_array().cloned().unwrap_or_default() {
                let name = label.as_str().unwrap_or("").to_string();
                if !st.prs[i].labels.contains(&name) {
                    st.prs[i].labels.push(name);
                }
            }
            let template = fixture("label-items.json")[0].clone();
            for name in &st.prs[i].labels {
                let mut l = template.clone();
                l["name"] = json!(name);
                items.push(l);
            }
            ResponseTemplate::new(200).set_body_json(items)
        }),
        ("POST", ["pulls", n, "requested_reviewers"]) => with_pr(st, n, |st, i| {
            for team in body["team_reviewers"].as_array().cloned().unwrap_or_default() {
                let slug = team.as_str().unwrap_or("").to_string();
                if !st.prs[i].team_reviewers.contains(&slug) {
                    st.prs[i].team_reviewers.push(slug);
                }
            }
            let mut answer = fixture("pull-request-review-request.json");
            patch_pr(&mut answer, st, i);
            ResponseTemplate::new(201).set_body_json(answer)
        }),
        ("POST", ["issues", n, "comments"]) => with_pr(st, n, |st, i| {
            let text = body["body"].as_str().unwrap_or("").to_string();
            let number = st.prs[i].number;
            st.comments.push((number, text.clone()));
            let mut answer = fixture("issue-comment.json");
            answer["body"] = json!(text);
            ResponseTemplate::new(201).set_body_json(answer)
        }),
        ("GET", ["issues", n, "comments"]) => with_pr(st, n, |st, i| {
            let number = st.prs[i].number;
            let listed: Vec<Value> = st
                .comments
                .iter()
                .filter(|(n, _)| *n == number)
                .map(|(_, text)| {
                    let mut c = fixture("issue-comment.json");
                    c["body"] = json!(text);
                    c
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(listed)
        }),
        ("PUT", ["pulls", n, "merge"]) => with_pr(st, n, |st, i| merge_pull(st, i, &body)),
        ("POST", ["merges"]) => merge_branches(st, &body),
        _ => error(404, "not-found-404.json"),
    }
}

fn git_ref(branch: &str, sha: &str) -> Value {
    let mut r = fixture("git-ref.json");
    r["ref"] = json!(format!("refs/heads/{branch}"));
    r["url"] = json!(format!("https://api.github.com/repos/{OWNER}/{REPO}/git/refs/heads/{branch}"));
    r["object"]["sha"] = json!(sha);
    r["object"]["url"] = json!(format!("https://api.github.com/repos/{OWNER}/{REPO}/git/commits/{sha}"));
    r
}

fn with_pr(st: &mut State, n: &str, f: impl FnOnce(&mut State, usize) -> ResponseTemplate) -> ResponseTemplate {
    let number: u64 = n.parse().unwrap_or(0);
    match st.prs.iter().position(|p| p.number == number) {
        Some(i) => f(st, i),
        None => error(404, "not-found-404.json"),
    }
}

/// The documented pull request with this one's number, branches, head, state and labels.
fn patch_pr(v: &mut Value, st: &State, i: usize) {
    let pr = &st.prs[i];
    let head_sha = st.branches.get(&pr.head).cloned().unwrap_or_default();
    let base_sha = st.branches.get(&pr.base).cloned().unwrap_or_default();
    v["number"] = json!(pr.number);
    v["id"] = json!(1000 + pr.number);
    v["url"] = json!(format!("https://api.github.com/repos/{OWNER}/{REPO}/pulls/{}", pr.number));
    v["html_url"] = json!(format!("https://github.com/{OWNER}/{REPO}/pull/{}", pr.number));
    v["title"] = json!(pr.title);
    v["body"] = json!(pr.body);
    v["state"] = json!(if pr.state == "open" { "open" } else { "closed" });
    v["head"]["ref"] = json!(pr.head);
    v["head"]["label"] = json!(format!("{OWNER}:{}", pr.head));
    v["head"]["sha"] = json!(head_sha);
    v["base"]["ref"] = json!(pr.base);
    v["base"]["label"] = json!(format!("{OWNER}:{}", pr.base));
    v["base"]["sha"] = json!(base_sha);
    let merged = pr.merge_commit.is_some();
    v["merged_at"] = if merged { json!("2026-11-24T23:00:00Z") } else { Value::Null };
    v["closed_at"] = if pr.state == "open" { Value::Null } else { json!("2026-11-24T23:00:00Z") };
    v["merge_commit_sha"] =
        json!(pr.merge_commit.clone().unwrap_or_else(|| "e5bd3914e2e596debea16f433f57875b5b90bcd6".into()));
    let label_template = v["labels"][0].clone();
    v["labels"] = json!(
        pr.labels
            .iter()
            .map(|name| {
                let mut l = label_template.clone();
                l["name"] = json!(name);
                l
            })
            .collect::<Vec<_>>()
    );
}

pub(super) fn pr_json(st: &State, i: usize, full: bool) -> Value {
    let mut v = if full { fixture("pull-request.json") } else { fixture("pull-request-simple-items.json")[0].clone() };
    patch_pr(&mut v, st, i);
    if full {
        v["merged"] = json!(st.prs[i].merge_commit.is_some());
    }
    v
}

fn list_pulls(st: &State, req: &Request) -> ResponseTemplate {
    let state = query(req, "state").unwrap_or_else(|| "open".into());
    let head = query(req, "head");
    let per_page: usize = query(req, "per_page").and_then(|p| p.parse().ok()).unwrap_or(30).min(st.page_size);
    let page: usize = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let mut matching: Vec<usize> = (0..st.prs.len())
        .filter(|&i| {
            let pr = &st.prs[i];
            let state_ok = match state.as_str() {
                "all" => true,
                "open" => pr.state == "open",
                _ => pr.state != "open",
            };
            let head_ok = head.as_ref().is_none_or(|h| *h == format!("{OWNER}:{}", pr.head));
            state_ok && head_ok
        })
        .collect();
    matching.sort_by_key(|&i| std::cmp::Reverse(st.prs[i].number));
    let items: Vec<Value> =
        matching.iter().skip((page - 1) * per_page).take(per_page).map(|&i| pr_json(st, i, false)).collect();
    let mut answer = ResponseTemplate::new(200).set_body_json(items);
    if page * per_page < matching.len() {
        let link = format!(
            "<https://api.github.com/repositories/1/pulls?state={state}&per_page={per_page}&page={}>; rel=\"next\"",
            page + 1
        );
        answer = answer.insert_header("link", link.as_str());
    }
    answer
}

fn create_pull(st: &mut State, body: &Value) -> ResponseTemplate {
    let head = body["head"].as_str().unwrap_or("").to_string();
    let base = body["base"].as_str().unwrap_or("").to_string();
    if !st.branches.contains_key(&head) || !st.branches.contains_key(&base) {
        return ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "PullRequest", "field": "head", "code": "invalid" }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        }));
    }
    if st.prs.iter().any(|p| p.head == head && p.state == "open") {
        let mut e = fixture("pull-request-already-exists-422.json");
        e["errors"][0]["message"] = json!(format!("A pull request already exists for {OWNER}:{head}."));
        return ResponseTemplate::new(422).set_body_json(e);
    }
    let number = 1347 + st.prs.len() as u64;
    st.prs.push(FakePr {
        number,
        head,
        base,
        title: body["title"].as_str().unwrap_or("").to_string(),
        body: body["body"].as_str().unwrap_or("").to_string(),
        state: "open".into(),
        merge_commit: None,
        labels: Vec::new(),
        team_reviewers: Vec::new(),
    });
    let i = st.prs.len() - 1;
    ResponseTemplate::new(201).set_body_json(pr_json(st, i, true))
}
