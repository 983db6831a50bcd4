//! Branch heads Infradesk read recently, so that opening a pull request needs no read of the
//! base branch of its own: a new pull request is then five calls (branch, file, pull request,
//! labels, reviewers). The base's head is read at start and every ten minutes by reconcile
//! ([`crate::vcs::Vcs::refresh_branch_head`]) and whenever a remembered head is older than
//! [`MAX_AGE_MS`].
//!
//! A remembered head may be behind the base. That is harmless: the branch starts at an
//! older commit of the base, the pull request still shows only Infradesk's file, and the
//! merge job merges the moved base in first. A head GitHub no longer has (the base was
//! force-pushed) is refused when the branch is created; the caller forgets it and reads
//! the base again.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long a remembered head is used without reading the branch again: longer than the
/// reconcile interval (10 min), so a running server keeps it warm.
pub const MAX_AGE_MS: i64 = 15 * 60 * 1000;

#[derive(Default)]
pub(crate) struct KnownHeads {
    heads: Mutex<HashMap<String, (String, i64)>>,
}

impl KnownHeads {
    /// The head read less than [`MAX_AGE_MS`] before `now_ms`.
    pub fn fresh(&self, branch: &str, now_ms: i64) -> Option<String> {
        let heads = self.heads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        heads.get(branch).filter(|(_, at)| now_ms - at < MAX_AGE_MS).map(|(sha, _)| sha.clone())
    }

    pub fn remember(&self, branch: &str, sha: &str, now_ms: i64) {
        let mut heads = self.heads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        heads.insert(branch.to_owned(), (sha.to_owned(), now_ms));
    }

    pub fn forget(&self, branch: &str) {
        self.heads.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(branch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_used_until_it_is_too_old_or_forgotten() {
        let heads = KnownHeads::default();
        assert_eq!(heads.fresh("main", 0), None);
        heads.remember("main", "abc", 1_000);
        assert_eq!(heads.fresh("main", 1_000 + MAX_AGE_MS - 1).as_deref(), Some("abc"));
        assert_eq!(heads.fresh("main", 1_000 + MAX_AGE_MS), None);
        assert_eq!(heads.fresh("other", 1_000), None);
        heads.forget("main");
        assert_eq!(heads.fresh("main", 1_000), None);
    }
}
