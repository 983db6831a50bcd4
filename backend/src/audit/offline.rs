//! Checking an export without the database (`infradesk audit verify-export`): every record's
//! hash is recomputed from its own fields (`domain::audit`), consecutive events must link
//! (`prev_hash` of event n+1 = `hash` of event n), and the readable `at` must say the same
//! instant as the hashed `at_ms`. Reads one record at a time, so any size works. The format
//! and a re-implementation in a few lines of Python are in docs/AUDIT.md.

use std::io::BufRead;

use domain::audit::{AuditEvent, ChainBreak, GENESIS_HASH};
use serde::Deserialize;

use super::export::{COLUMNS, Format};

/// Whether the export must be one unbroken run of the chain (an unfiltered export, or a time
/// range), or may skip events (any other filter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Consecutive records must be consecutive events: a gap is a missing event.
    Complete,
    /// Gaps are allowed; links are checked wherever two records are consecutive events.
    Filtered,
}

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportCheck {
    pub events: i64,
    /// The lowest and highest `seq` in the file.
    pub lowest: Option<i64>,
    /// `(seq, hash)` of the newest event: compare with a published head.
    pub newest: Option<(i64, String)>,
    /// Places where the file skips events (only with [`Expect::Filtered`]).
    pub gaps: i64,
    /// The first problem, by event.
    pub broken: Option<ChainBreak>,
    /// Whether the anchor asked for (a published head) was found with its hash.
    pub anchor: Option<AnchorCheck>,
}

/// A published head `(seq, hash)` looked up in the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorCheck {
    Matches,
    /// The export has no event with that number.
    NotInExport,
}

impl ExportCheck {
    /// What `infradesk audit verify-export` prints.
    pub fn summary(&self) -> String {
        if let Some(b) = &self.broken {
            return format!(
                "export BROKEN at event {}: {} ({} record(s) before it verified)",
                b.seq, b.reason, self.events
            );
        }
        let Some((newest, hash)) = &self.newest else {
            return "export intact but empty: it has no events".to_owned();
        };
        let mut text = format!(
            "export intact: {} event(s), {} to {newest}{}\nnewest event {newest} has hash {hash}\n\
             compare it with the head published for event {newest}, or pass --anchor <seq>:<hash> to look a published head up",
            self.events,
            self.lowest.unwrap_or(*newest),
            if self.gaps > 0 { format!(" with {} gap(s) (filtered export)", self.gaps) } else { String::new() },
        );
        match self.anchor {
            Some(AnchorCheck::Matches) => text = format!("{text}\nanchor: the export contains the published head"),
            Some(AnchorCheck::NotInExport) => {
                text = format!("{text}\nanchor: the export does not contain the published event; it cannot be compared")
            }
            None => {}
        }
        text
    }
}

/// The file itself cannot be read as an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("reading the export: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Deserialize)]
struct Record {
    seq: i64,
    at: String,
    at_ms: i64,
    actor: String,
    action: String,
    subject: String,
    details: String,
    prev_hash: String,
    hash: String,
}

impl Record {
    fn into_event(self) -> (AuditEvent, String) {
        let event = AuditEvent {
            seq: self.seq,
            at_ms: self.at_ms,
            actor: self.actor,
            action: self.action,
            subject: self.subject,
            details: self.details,
            prev_hash: self.prev_hash,
            hash: self.hash,
        };
        (event, self.at)
    }
}

/// CSV if the name ends in `.csv`, JSON Lines for `.jsonl`/`.ndjson`/`.json`; otherwise by
/// the first byte (`{` starts a JSON line).
pub fn detect_format(name: &str, first_byte: Option<u8>) -> Format {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        Format::Csv
    } else if [".jsonl", ".ndjson", ".json"].iter().any(|ext| lower.ends_with(ext)) || first_byte == Some(b'{') {
        Format::JsonLines
    } else {
        Format::Csv
    }
}

/// Reads and checks an export file; the format comes from its name or first byte.
/// `anchor`: a published head `(seq, hash)` the export must agree with if it contains that
/// event.
pub fn verify_file(
    path: &std::path::Path,
    expect: Expect,
    anchor: Option<(i64, String)>,
) -> Result<ExportCheck, ExportError> {
    let mut input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let first = input.fill_buf()?.first().copied();
    let format = detect_format(&path.to_string_lossy(), first);
    verify_export(input, format, expect, anchor)
}

/// Checks an export read from `input`. Stops at the first broken event (reported in
/// [`ExportCheck::broken`]); a record that cannot be parsed is an [`ExportError`]. An
/// `anchor` whose hash differs from the export's event with that number is a break there.
pub fn verify_export(
    input: impl BufRead,
    format: Format,
    expect: Expect,
    anchor: Option<(i64, String)>,
) -> Result<ExportCheck, ExportError> {
    let mut checker = Checker { expect, check: ExportCheck::default(), previous: None, descending: None, anchor };
    match format {
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
            let header = reader.headers().map_err(|e| malformed(1, e))?.clone();
            if header.iter().collect::<Vec<_>>() != COLUMNS {
                return Err(ExportError::Malformed {
                    line: 1,
                    message: format!("the header must be {}", COLUMNS.join(",")),
                });
            }
            for record in reader.deserialize::<Record>() {
                let record = record.map_err(|e| {
                    let line = e.position().map_or(0, csv::Position::line);
                    malformed(line, e)
                })?;
                if !checker.next(record) {
                    break;
                }
            }
        }
        Format::JsonLines => {
            for (i, line) in input.lines().enumerate() {
                let line = line?;
                let number = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
                if line.trim().is_empty() {
                    continue;
                }
                let record: Record = serde_json::from_str(&line).map_err(|e| malformed(number, e))?;
                if !checker.next(record) {
                    break;
                }
            }
        }
    }
    let mut check = checker.check;
    if check.broken.is_none() && checker.anchor.is_some() {
        check.anchor = Some(AnchorCheck::NotInExport);
    }
    Ok(check)
}

fn malformed(line: u64, e: impl std::fmt::Display) -> ExportError {
    ExportError::Malformed { line, message: format!("not an audit export record: {e}") }
}

struct Checker {
    expect: Expect,
    check: ExportCheck,
    previous: Option<AuditEvent>,
    /// Set by the first two records: exports are newest first, but an auditor may sort.
    descending: Option<bool>,
    /// Taken (set to `None`) once the anchor's event has been seen.
    anchor: Option<(i64, String)>,
}

impl Checker {
    /// Takes one record; false once the export is broken.
    fn next(&mut self, record: Record) -> bool {
        let (event, at) = record.into_event();
        match self.problem(&event, &at) {
            Some(broken) => {
                self.check.broken = Some(broken);
                false
            }
            None => {
                let c = &mut self.check;
                c.events += 1;
                c.lowest = Some(c.lowest.map_or(event.seq, |l| l.min(event.seq)));
                if c.newest.as_ref().is_none_or(|(seq, _)| event.seq > *seq) {
                    c.newest = Some((event.seq, event.hash.clone()));
                }
                self.previous = Some(event);
                true
            }
        }
    }

    fn problem(&mut self, event: &AuditEvent, at: &str) -> Option<ChainBreak> {
        let at_fault = |seq: i64, reason: String| Some(ChainBreak { seq, reason });
        if event.seq < 1 {
            return at_fault(event.seq, "an event number must be 1 or more".into());
        }
        if at != domain::utc::rfc3339_ms(event.at_ms) {
            return at_fault(event.seq, format!("`at` {at:?} does not say the same time as at_ms {}", event.at_ms));
        }
        if event.seq == 1 && event.prev_hash != GENESIS_HASH {
            return at_fault(1, "the first event's prev_hash must be 64 zeros".into());
        }
        if event.expected_hash() != event.hash {
            return at_fault(event.seq, "content does not match its hash".into());
        }
        if self.anchor.as_ref().is_some_and(|(seq, _)| *seq == event.seq) {
            let (_, hash) = self.anchor.take().unwrap_or_default();
            if !hash.eq_ignore_ascii_case(&event.hash) {
                return at_fault(event.seq, format!("hash {} differs from the published head {hash}", event.hash));
            }
            self.check.anchor = Some(AnchorCheck::Matches);
        }
        let Some(prev) = &self.previous else { return None };
        if prev.seq == event.seq {
            return at_fault(event.seq, format!("event {} appears twice", event.seq));
        }
        let descending = *self.descending.get_or_insert(event.seq < prev.seq);
        if descending != (event.seq < prev.seq) {
            return at_fault(
                event.seq,
                format!(
                    "event {} is out of order (the export runs {})",
                    event.seq,
                    if descending { "newest first" } else { "oldest first" }
                ),
            );
        }
        let (older, newer) = if descending { (event, prev) } else { (prev, event) };
        if newer.seq - older.seq > 1 {
            if self.expect == Expect::Complete {
                let missing = if descending { prev.seq - 1 } else { prev.seq + 1 };
                return at_fault(
                    missing,
                    format!("event {missing} is missing (the export goes from event {} to {})", prev.seq, event.seq),
                );
            }
            self.check.gaps += 1;
            return None;
        }
        if newer.prev_hash != older.hash {
            return at_fault(newer.seq, "prev_hash does not match the hash of the event before it".into());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::export::encode;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    seq,
                    at_ms: 1_764_000_000_000 + seq,
                    actor: "system".into(),
                    action: "test".into(),
                    subject: format!("thing:{seq}"),
                    details: r#"{"a":"x,y"}"#.into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.expected_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(bytes: &[u8], format: Format, expect: Expect) -> ExportCheck {
        verify_export(bytes, format, expect, None).unwrap()
    }

    fn export(format: Format, events: &[AuditEvent]) -> Vec<u8> {
        let mut out = if format == Format::Csv { super::super::export::csv_header() } else { Vec::new() };
        out.extend(encode(format, events));
        out
    }

    #[test]
    fn untouched_exports_verify_in_either_order() {
        for format in [Format::Csv, Format::JsonLines] {
            let mut events = chain(5);
            events.reverse();
            let c = check(&export(format, &events), format, Expect::Complete);
            assert_eq!(c.broken, None);
            assert_eq!((c.events, c.lowest, c.newest.map(|n| n.0)), (5, Some(1), Some(5)));
            events.reverse();
            assert_eq!(check(&export(format, &events), format, Expect::Complete).broken, None);
        }
    }

    #[test]
    fn an_edited_or_missing_record_is_reported_at_its_event() {
        let mut events = chain(6);
        events.reverse();
        let mut edited = events.clone();
        edited[2].subject = "thing:x".into(); // event 4
        let broken = check(&export(Format::Csv, &edited), Format::Csv, Expect::Complete).broken.unwrap();
        assert_eq!((broken.seq, broken.reason.as_str()), (4, "content does not match its hash"));

        let mut missing = events.clone();
        missing.remove(3); // event 3
        let broken = check(&export(Format::JsonLines, &missing), Format::JsonLines, Expect::Complete).broken.unwrap();
        assert_eq!(broken.seq, 3, "{}", broken.reason);
        let filtered = check(&export(Format::JsonLines, &missing), Format::JsonLines, Expect::Filtered);
        assert_eq!((filtered.broken, filtered.gaps, filtered.events), (None, 1, 5));
    }

    #[test]
    fn a_published_head_is_looked_up() {
        let events = chain(4);
        let bytes = export(Format::JsonLines, &events);
        let head = (3, events[2].hash.clone());
        let c = verify_export(&bytes[..], Format::JsonLines, Expect::Complete, Some(head)).unwrap();
        assert_eq!((c.broken, c.anchor), (None, Some(AnchorCheck::Matches)));
        let wrong = (3, events[1].hash.clone());
        let c = verify_export(&bytes[..], Format::JsonLines, Expect::Complete, Some(wrong)).unwrap();
        assert_eq!(c.broken.unwrap().seq, 3);
        let c = verify_export(&bytes[..], Format::JsonLines, Expect::Complete, Some((9, "x".into()))).unwrap();
        assert_eq!(c.anchor, Some(AnchorCheck::NotInExport));
    }
}
