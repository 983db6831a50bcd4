//! The fake's merges: merging a pull request, merging one branch into another, comparing.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::respond::{error, message};
use super::*;

pub(super) fn merge_pull(st: &mut State, i: usize, body: &Value) -> ResponseTemplate {
    if st.prs[i].merge_commit.is_some() || st.prs[i].state != "open" || st.conflicting {
        return error(405, "merge-405.json");
    }
    let head_sha = st.branches.get(&st.prs[i].head).cloned().unwrap_or_default();
    if body["sha"].as_str().is_some_and(|s| s != head_sha) {
        return error(409, "merge-409.json");
    }
    let base = st.prs[i].base.clone();
    let title = body["commit_title"].as_str().unwrap_or("Merge").to_string();
    let sha = st.commit(&base, &title, json!(null));
    st.contains.insert((base, head_sha));
    st.prs[i].merge_commit = Some(sha.clone());
    st.prs[i].state = "closed".into();
    let mut r = fixture("pull-request-merge-result.json");
    r["sha"] = json!(sha);
    ResponseTemplate::new(200).set_body_json(r)
}

pub(super) fn merge_branches(st: &mut State, body: &Value) -> ResponseTemplate {
    let base = body["base"].as_str().unwrap_or("").to_string();
    let head = body["head"].as_str().unwrap_or("").to_string();
    let (Some(_), Some(head_sha)) = (st.branches.get(&base).cloned(), st.branches.get(&head).cloned()) else {
        return message(404, "Base does not exist");
    };
    if st.conflicting {
        return error(409, "merge-conflict-409.json");
    }
    if st.contains.contains(&(base.clone(), head_sha.clone())) {
        return ResponseTemplate::new(204);
    }
    let msg = body["commit_message"].as_str().unwrap_or("").to_string();
    let sha = st.commit(&base, &msg, json!(null));
    st.contains.insert((base, head_sha));
    let mut c = fixture("commit.json");
    c["sha"] = json!(sha);
    c["commit"]["message"] = json!(msg);
    ResponseTemplate::new(201).set_body_json(c)
}

/// `GET /compare/{base}...{head}` on branch names: the files whose content differs (the
/// fake keeps files per branch, which stands in for the merge base).
pub(super) fn compare(st: &State, range: &str) -> ResponseTemplate {
    let Some((base, head)) = range.split_once("...") else { return error(404, "not-found-404.json") };
    let paths: BTreeSet<&String> = st.files.keys().filter(|(b, _)| b == base || b == head).map(|(_, p)| p).collect();
    let files: Vec<Value> = paths
        .into_iter()
        .filter(|p| st.files.get(&(base.to_string(), (*p).clone())) != st.files.get(&(head.to_string(), (*p).clone())))
        .map(|p| json!({ "filename": p, "status": "modified" }))
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({ "status": "ahead", "files": files }))
}
