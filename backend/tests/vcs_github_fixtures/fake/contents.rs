//! The fake's contents API: reading, writing and deleting one file on a branch.

use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::respond::{error, message, query};
use super::*;

pub(super) fn contents(st: &mut State, req: &Request, method: &str, file: &str, body: &Value) -> ResponseTemplate {
    let branch = match method {
        "GET" => query(req, "ref").unwrap_or_else(|| "main".into()),
        _ => body["branch"].as_str().unwrap_or("main").to_string(),
    };
    if !st.branches.contains_key(&branch) {
        return message(404, &format!("No commit found for the ref {branch}"));
    }
    let key = (branch.clone(), file.to_string());
    let current = st.files.get(&key).cloned();
    let name = file.rsplit('/').next().unwrap_or(file).to_string();
    match method {
        "GET" => match current {
            None => error(404, "not-found-404.json"),
            Some(text) => {
                let mut c = fixture("content-file.json");
                c["name"] = json!(name);
                c["path"] = json!(file);
                c["sha"] = json!(blob_sha(text.as_bytes()));
                c["size"] = json!(text.len());
                c["content"] = json!(base64::engine::general_purpose::STANDARD.encode(text.as_bytes()));
                ResponseTemplate::new(200).set_body_json(c)
            }
        },
        "PUT" => {
            let given = body["sha"].as_str().map(str::to_string);
            if let Some(cur) = &current {
                let cur_sha = blob_sha(cur.as_bytes());
                match &given {
                    None => return error(422, "sha-not-supplied-422.json"),
                    Some(g) if *g != cur_sha => return message(409, &format!("{file} does not match {g}")),
                    _ => {}
                }
            }
            let encoded = body["content"].as_str().unwrap_or("");
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
                return message(422, "content is not valid Base64");
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let msg = body["message"].as_str().unwrap_or("").to_string();
            let sha = st.commit(&branch, &msg, body["author"].clone());
            st.files.insert(key, text.clone());
            let (status, fixture_name) =
                if current.is_some() { (200, "file-commit-update.json") } else { (201, "file-commit-create.json") };
            let mut c = fixture(fixture_name);
            c["content"]["name"] = json!(name);
            c["content"]["path"] = json!(file);
            c["content"]["sha"] = json!(blob_sha(text.as_bytes()));
            c["commit"]["sha"] = json!(sha);
            c["commit"]["message"] = json!(msg);
            ResponseTemplate::new(status).set_body_json(c)
        }
        "DELETE" => {
            let Some(cur) = current else { return error(404, "not-found-404.json") };
            if body["sha"].as_str() != Some(blob_sha(cur.as_bytes()).as_str()) {
                return message(409, &format!("{file} does not match"));
            }
            let msg = body["message"].as_str().unwrap_or("").to_string();
            let sha = st.commit(&branch, &msg, body["author"].clone());
            st.files.remove(&key);
            let mut c = fixture("file-commit-delete.json");
            c["commit"]["sha"] = json!(sha);
            c["commit"]["message"] = json!(msg);
            ResponseTemplate::new(200).set_body_json(c)
        }
        _ => error(404, "not-found-404.json"),
    }
}
