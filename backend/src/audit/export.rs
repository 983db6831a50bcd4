//! Exports of a filtered view: the same events as the audit page lists, in the same order
//! (newest first), as CSV or JSON Lines, streamed in keyset pages of [`EXPORT_PAGE`] events
//! so memory stays flat however many millions there are. Each record carries everything
//! needed to check it offline (docs/AUDIT.md, [`super::offline`]): `seq`, `at_ms` (and `at`,
//! the same instant readable), `actor`, `action`, `subject`, `details` (the exact stored JSON
//! text, which is what is hashed), `prev_hash` and `hash`.

use domain::audit::AuditEvent;
use futures_util::Stream;
use serde::Serialize;

use super::rows::Reader;
use super::search::{self, Filter};
use crate::db::{Db, DbError};

/// Events read per query. Large enough that per-query overhead vanishes, small enough that
/// a chunk of output stays around a megabyte.
pub const EXPORT_PAGE: i64 = 4_000;

/// The record layout, in column order (CSV header, JSON keys).
pub const COLUMNS: [&str; 9] = ["seq", "at", "at_ms", "actor", "action", "subject", "details", "prev_hash", "hash"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonLines => "application/jsonl; charset=utf-8",
        }
    }
}

/// Pages read ahead of the consumer. While one page is encoded and sent, the next is read
/// (about twice the throughput of reading only when asked on two cores); at most this many
/// pages plus the one being encoded are held.
const READ_AHEAD: usize = 2;

/// Pages of events matching `filter`, newest first, up to `filter.through_seq` if set (set
/// it to the head at the time of the request, so the export is a snapshot). Each item is one
/// page of at most [`EXPORT_PAGE`] events, read through the native driver ([`Db::bulk`]). A
/// task reads them ahead into a bounded channel and stops when the stream is dropped (a
/// download cancelled half way stops reading).
pub fn pages(db: Db, filter: Filter) -> impl Stream<Item = Result<Vec<AuditEvent>, DbError>> + Send + 'static {
    read_pages(db, filter, EXPORT_PAGE)
}

/// [`pages`] of at most `page` events each: tests cross page boundaries with a small chain.
#[cfg(feature = "testing")]
pub fn pages_in(
    db: Db,
    filter: Filter,
    page: i64,
) -> impl Stream<Item = Result<Vec<AuditEvent>, DbError>> + Send + 'static {
    read_pages(db, filter, page.max(1))
}

fn read_pages(
    db: Db,
    filter: Filter,
    page_size: i64,
) -> impl Stream<Item = Result<Vec<AuditEvent>, DbError>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        let mut before = None;
        loop {
            let page = search::page_through(&db, Reader::Bulk, &filter, before, page_size).await;
            let (events, next) = match page {
                Ok(p) if p.events.is_empty() => return,
                Ok(p) => (p.events, p.next_before),
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            if tx.send(Ok(events)).await.is_err() {
                return;
            }
            match next {
                Some(n) => before = Some(n),
                None => return,
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|page| (page, rx)) })
}

/// The encoded export: the header (CSV) first, then one chunk per page.
pub fn encoded(
    db: Db,
    filter: Filter,
    format: Format,
) -> impl Stream<Item = Result<Vec<u8>, DbError>> + Send + 'static {
    use futures_util::StreamExt;
    let header = futures_util::stream::iter(match format {
        Format::Csv => Some(Ok(csv_header())),
        Format::JsonLines => None,
    });
    header.chain(pages(db, filter).map(move |page| page.map(|events| encode(format, &events))))
}

/// The CSV header line.
pub fn csv_header() -> Vec<u8> {
    let mut out = COLUMNS.join(",").into_bytes();
    out.push(b'\n');
    out
}

#[derive(Serialize)]
struct Record<'a> {
    seq: i64,
    at: &'a str,
    at_ms: i64,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    details: &'a str,
    prev_hash: &'a str,
    hash: &'a str,
}

/// Encodes events as CSV rows (RFC 4180 quoting, `\n` line ends) or JSON Lines.
pub fn encode(format: Format, events: &[AuditEvent]) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.len() * 400);
    match format {
        Format::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(&mut out);
            for e in events {
                let at = domain::utc::rfc3339_ms(e.at_ms);
                let (seq, at_ms) = (e.seq.to_string(), e.at_ms.to_string());
                let row = [&seq, &at, &at_ms, &e.actor, &e.action, &e.subject, &e.details, &e.prev_hash, &e.hash];
                // Writing to a Vec cannot fail.
                let _ = writer.write_record(row);
            }
            let _ = writer.flush();
        }
        Format::JsonLines => {
            for e in events {
                let at = domain::utc::rfc3339_ms(e.at_ms);
                let record = Record {
                    seq: e.seq,
                    at: &at,
                    at_ms: e.at_ms,
                    actor: &e.actor,
                    action: &e.action,
                    subject: &e.subject,
                    details: &e.details,
                    prev_hash: &e.prev_hash,
                    hash: &e.hash,
                };
                // Serializing strings and integers cannot fail.
                let _ = serde_json::to_writer(&mut out, &record);
                out.push(b'\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            seq: 7,
            at_ms: 1_764_000_000_123,
            actor: "user:alice".into(),
            action: "request.submitted".into(),
            subject: "request:3".into(),
            details: r#"{"note":"a, \"b\"\nc"}"#.into(),
            prev_hash: "0".repeat(64),
            hash: "f".repeat(64),
        }
    }

    #[test]
    fn csv_quotes_and_json_lines_keep_details_verbatim() {
        let csv = String::from_utf8(encode(Format::Csv, &[event()])).unwrap_or_default();
        assert!(
            csv.starts_with("7,2025-11-24T16:00:00.123Z,1764000000123,user:alice,request.submitted,request:3,"),
            "{csv}"
        );
        assert!(csv.contains(r#""{""note"":""a, \""b\""\nc""}""#), "{csv}");
        let line = String::from_utf8(encode(Format::JsonLines, &[event()])).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap_or_default();
        assert_eq!(value["details"], r#"{"note":"a, \"b\"\nc"}"#);
        assert_eq!(value["seq"], 7);
    }
}
