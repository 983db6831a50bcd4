//! A small stateful GitHub for `vcs_github.rs`: a wiremock server whose one responder keeps
//! branches, files, commits and pull requests, answers with GitHub's documented example
//! payloads (patched with the numbers, names and shas of the moment), and can be told to
//! fail or delay the next matching call.

mod contents;
mod merges;
mod respond;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use sha1::{Digest, Sha1};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

pub const OWNER: &str = "octocat";
pub const REPO: &str = "infra";
pub const TOKEN: &str = "github_pat_test_0123456789abcdef";
pub const INSTALLATION_ID: u64 = 42;

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/vcs_github_fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn blob_sha(content: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Debug)]
pub struct FakeCommit {
    pub sha: String,
    pub branch: String,
    pub message: String,
    pub author: Value,
}

#[derive(Clone, Debug)]
pub struct FakePr {
    pub number: u64,
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: String,
    pub state: String,
    pub merge_commit: Option<String>,
    pub labels: Vec<String>,
    pub team_reviewers: Vec<String>,
}

/// What to do with the next call matching a method and path.
pub enum Script {
    /// Answer this and change nothing.
    Answer(ResponseTemplate),
    /// Do the call, then answer late (a response lost to a read timeout).
    ApplyThenDelay(Duration),
}

pub enum Auth {
    Token,
    App,
}

pub struct State {
    pub auth: Auth,
    pub branches: BTreeMap<String, String>,
    /// Commits each branch contains (for `POST /merges` answering 204).
    pub contains: BTreeSet<(String, String)>,
    pub files: BTreeMap<(String, String), String>,
    pub commits: Vec<FakeCommit>,
    pub prs: Vec<FakePr>,
    pub comments: Vec<(u64, String)>,
    pub scripts: VecDeque<(String, String, Script)>,
    /// Installation tokens issued, and those the fake now refuses with 401.
    pub tokens: Vec<String>,
    pub revoked: BTreeSet<String>,
    pub token_lifetime: time::Duration,
    /// Most items per page of `GET /pulls`.
    pub page_size: usize,
    /// `POST /merges` and `PUT /merge` answer a conflict.
    pub conflicting: bool,
    counter: u64,
}

impl State {
    fn new_sha(&mut self) -> String {
        self.counter += 1;
        let mut h = Sha1::new();
        h.update(format!("fake commit {}", self.counter).as_bytes());
        hex(&h.finalize())
    }

    fn commit(&mut self, branch: &str, message: &str, author: Value) -> String {
        let sha = self.new_sha();
        self.commits.push(FakeCommit {
            sha: sha.clone(),
            branch: branch.to_string(),
            message: message.to_string(),
            author,
        });
        self.branches.insert(branch.to_string(), sha.clone());
        self.contains.insert((branch.to_string(), sha.clone()));
        sha
    }

    pub fn open_prs(&self) -> usize {
        self.prs.iter().filter(|p| p.state == "open").count()
    }
}

#[derive(Clone)]
pub struct Fake {
    pub state: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start(auth: Auth) -> (MockServer, Fake) {
        let server = MockServer::start().await;
        let mut state = State {
            auth,
            branches: BTreeMap::new(),
            contains: BTreeSet::new(),
            files: BTreeMap::new(),
            commits: Vec::new(),
            prs: Vec::new(),
            comments: Vec::new(),
            scripts: VecDeque::new(),
            tokens: Vec::new(),
            revoked: BTreeSet::new(),
            token_lifetime: time::Duration::hours(1),
            page_size: 100,
            conflicting: false,
            counter: 0,
        };
        let main = state.new_sha();
        state.branches.insert("main".into(), main.clone());
        state.contains.insert(("main".into(), main));
        let fake = Fake { state: Arc::new(Mutex::new(state)) };
        Mock::given(any()).respond_with(fake.clone()).mount(&server).await;
        (server, fake)
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next `method path` (path without query) gets `script`.
    pub fn script(&self, method: &str, path: &str, script: Script) {
        self.lock().scripts.push_back((method.to_string(), path.to_string(), script));
    }
}
