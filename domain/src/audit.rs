//! The audit chain format. Each event's hash covers the previous event's hash and the
//! event's canonical bytes, so editing, deleting, inserting or reordering any event
//! breaks every hash after it. The format is documented in docs/AUDIT.md with a test
//! vector; an auditor can recompute it with any JSON library.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that precedes the first event: 32 zero bytes, hex encoded.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something. Stored as text: `user:<login>`, `cli:<login>`, `system`,
/// `github:<delivery id>`, or `anonymous` (for example a failed sign-in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    User(String),
    Cli(String),
    System,
    GitHub { delivery_id: String },
    Anonymous,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(login) => write!(f, "user:{login}"),
            Actor::Cli(login) => write!(f, "cli:{login}"),
            Actor::System => f.write_str("system"),
            Actor::GitHub { delivery_id } => write!(f, "github:{delivery_id}"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// One stored audit event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    /// Milliseconds since the Unix epoch, UTC.
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// Compact JSON with object keys sorted (see [`canonical_details`]); hashed verbatim.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Serializes details the one way the chain accepts: compact JSON, keys sorted
/// (serde_json's map is ordered by key), minimal escaping.
pub fn canonical_details(details: &serde_json::Value) -> String {
    // A `Value` always serializes: its map keys are strings.
    serde_json::to_string(&sort_keys(details)).unwrap_or_else(|_| "{}".to_owned())
}

fn sort_keys(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: std::collections::BTreeMap<_, _> = map.iter().map(|(k, v)| (k.clone(), sort_keys(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// `[seq,at_ms,"actor","action","subject",details]` as UTF-8 bytes, where the strings are
/// JSON-encoded and `details` is spliced in exactly as stored.
pub fn canonical_bytes(seq: i64, at_ms: i64, actor: &str, action: &str, subject: &str, details: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + actor.len() + action.len() + subject.len() + details.len());
    write_canonical_bytes(&mut out, seq, at_ms, actor, action, subject, details);
    out
}

/// [`canonical_bytes`] appended to `out`.
fn write_canonical_bytes(
    out: &mut Vec<u8>,
    seq: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    subject: &str,
    details: &str,
) {
    use std::io::Write;
    // Writing to a Vec cannot fail; a `&str` always serializes (the same escaping as
    // `serde_json::Value::String(…).to_string()`).
    let _ = write!(out, "[{seq},{at_ms},");
    for text in [actor, action, subject] {
        let _ = serde_json::to_writer(&mut *out, text);
        out.push(b',');
    }
    out.extend_from_slice(details.as_bytes());
    out.push(b']');
}

/// `sha256(prev_hash_bytes ‖ canonical_bytes)`, lowercase hex. A `prev_hash` that is not
/// 64 hex digits is hashed as its text bytes, so a damaged link still yields a
/// (mismatching) hash rather than an error.
pub fn chain_hash(prev_hash: &str, canonical: &[u8]) -> String {
    hex::encode(chain_digest(prev_hash, canonical))
}

fn chain_digest(prev_hash: &str, canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut prev = [0_u8; 32];
    match hex::decode_to_slice(prev_hash, &mut prev) {
        Ok(()) => hasher.update(prev),
        Err(_) => hasher.update(prev_hash.as_bytes()),
    }
    hasher.update(canonical);
    hasher.finalize().into()
}

impl AuditEvent {
    /// The hash this event should carry given its own fields and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        let bytes = canonical_bytes(self.seq, self.at_ms, &self.actor, &self.action, &self.subject, &self.details);
        chain_hash(&self.prev_hash, &bytes)
    }

    /// Whether `hash` is [`AuditEvent::expected_hash`], computed in `scratch` (reused from
    /// event to event, so checking millions allocates nothing per event).
    fn hash_matches(&self, scratch: &mut Vec<u8>) -> bool {
        scratch.clear();
        write_canonical_bytes(scratch, self.seq, self.at_ms, &self.actor, &self.action, &self.subject, &self.details);
        let mut expected = [0_u8; 64];
        // 32 bytes always fit 64 hex digits.
        let _ = hex::encode_to_slice(chain_digest(&self.prev_hash, scratch), &mut expected);
        expected == self.hash.as_bytes()
    }
}

/// Where a chain stops being valid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Checks a run of consecutive events that should follow `prev` (seq, hash). Returns the
/// new tail or the first break.
pub fn verify_run(prev: (i64, String), events: &[AuditEvent]) -> Result<(i64, String), ChainBreak> {
    let mut scratch = Vec::with_capacity(1024);
    let (mut seq, mut hash) = (prev.0, prev.1.as_str());
    for event in events {
        if event.seq != seq + 1 {
            return Err(ChainBreak {
                seq: seq + 1,
                reason: format!("expected event {} but found event {}", seq + 1, event.seq),
            });
        }
        if event.prev_hash != hash {
            return Err(ChainBreak {
                seq: event.seq,
                reason: "prev_hash does not match the hash of the event before it".into(),
            });
        }
        if !event.hash_matches(&mut scratch) {
            return Err(ChainBreak { seq: event.seq, reason: "content does not match its hash".into() });
        }
        (seq, hash) = (event.seq, event.hash.as_str());
    }
    Ok((seq, hash.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published in docs/AUDIT.md.
    #[test]
    fn test_vector() {
        let details = canonical_details(&serde_json::json!({"team": "sre", "login": "alice"}));
        assert_eq!(details, r#"{"login":"alice","team":"sre"}"#);
        let bytes = canonical_bytes(1, 1_764_000_000_000, "cli:admin", "user.created", "user:alice", &details);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"[1,1764000000000,"cli:admin","user.created","user:alice",{"login":"alice","team":"sre"}]"#
        );
        assert_eq!(
            chain_hash(GENESIS_HASH, &bytes),
            "0a9a2c6bbb4bb19ab04bf7be4c04f70ed5758b64362d29563036f4385706c879"
        );
    }

    #[test]
    fn nested_keys_are_sorted_and_strings_escaped() {
        let details = canonical_details(&serde_json::json!({"b": {"z": 1, "a": [{"y": 2, "x": 1}]}, "a": "q\"\n"}));
        assert_eq!(details, r#"{"a":"q\"\n","b":{"a":[{"x":1,"y":2}],"z":1}}"#);
    }

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    seq,
                    at_ms: 1000 + seq,
                    actor: "system".into(),
                    action: "test".into(),
                    subject: format!("thing:{seq}"),
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.expected_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn the_quick_check_agrees_with_expected_hash() {
        let mut scratch = Vec::new();
        for (actor, details, prev) in [
            ("user:alice", "{}", GENESIS_HASH.to_owned()),
            ("user:\u{e9}l\u{e8}ne \"q\"\n\t\u{1}", r#"{"a":"\u0001 \" \\"}"#, "f".repeat(64)),
            ("system", "[]", "not hex at all".to_owned()),
            ("system", "{}", "ab".to_owned()),
            ("system", "{}", "G".repeat(64)),
        ] {
            let mut e = AuditEvent {
                seq: 9,
                at_ms: -5,
                actor: actor.into(),
                action: "x.y".into(),
                subject: "request:1".into(),
                details: details.into(),
                prev_hash: prev,
                hash: String::new(),
            };
            assert!(!e.hash_matches(&mut scratch));
            e.hash = e.expected_hash();
            assert!(e.hash_matches(&mut scratch), "{e:?}");
            e.hash = e.hash.to_uppercase();
            assert!(!e.hash_matches(&mut scratch));
        }
    }

    #[test]
    fn verify_finds_each_kind_of_tampering() {
        let good = chain(5);
        assert_eq!(verify_run((0, GENESIS_HASH.into()), &good).unwrap().0, 5);

        let mut edited = good.clone();
        edited[2].subject.push('x');
        assert_eq!(verify_run((0, GENESIS_HASH.into()), &edited).unwrap_err().seq, 3);

        let mut deleted = good.clone();
        deleted.remove(1);
        assert_eq!(verify_run((0, GENESIS_HASH.into()), &deleted).unwrap_err().seq, 2);

        let mut swapped = good.clone();
        swapped.swap(1, 2);
        assert_eq!(verify_run((0, GENESIS_HASH.into()), &swapped).unwrap_err().seq, 2);
    }
}
