//! What changed from one revision of a request to the next, as a reviewer reads it: the
//! inputs field by field, and the rendered file as a unified diff (what the pull request's
//! commit changes). Pure, so it is tested here and shown by the request page.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use crate::catalog::Value;

/// How one input compares with the previous revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputChange {
    Unchanged,
    /// The value the previous revision had.
    Changed {
        before: String,
    },
    /// Not set in the previous revision.
    Added,
    /// Set in the previous revision, not in this one (shown with its old value).
    Removed,
}

/// One input of the current revision (or one the previous revision had and this one drops).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRow {
    pub name: String,
    /// The current value; for [`InputChange::Removed`], the old one.
    pub value: String,
    pub change: InputChange,
}

/// The current inputs in order, each compared with `previous` (all unchanged when there is
/// no previous revision), then any input only the previous revision had.
pub fn input_changes(previous: Option<&[(String, Value)]>, current: &[(String, Value)]) -> Vec<InputRow> {
    let before = |name: &str| previous.and_then(|p| p.iter().find(|(n, _)| n == name)).map(|(_, v)| v);
    let mut rows: Vec<InputRow> = current
        .iter()
        .map(|(name, value)| {
            let change = match (previous, before(name)) {
                (None, _) => InputChange::Unchanged,
                (Some(_), None) => InputChange::Added,
                (Some(_), Some(old)) if old == value => InputChange::Unchanged,
                (Some(_), Some(old)) => InputChange::Changed { before: old.to_string() },
            };
            InputRow { name: name.clone(), value: value.to_string(), change }
        })
        .collect();
    for (name, old) in previous.unwrap_or_default() {
        if !current.iter().any(|(n, _)| n == name) {
            rows.push(InputRow { name: name.clone(), value: old.to_string(), change: InputChange::Removed });
        }
    }
    rows
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: LineKind,
    /// The line without its newline.
    pub text: String,
    /// 1-based line numbers in the old and new file.
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
}

/// A unified-diff hunk: `@@ -a,b +c,d @@` and its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<DiffLine>,
}

/// The unified diff from `before` to `after` with `context` lines around each change; empty
/// when the files are equal. A new file is `before = ""`.
pub fn file_diff(before: &str, after: &str, context: usize) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(before, after);
    diff.unified_diff()
        .context_radius(context)
        .iter_hunks()
        .map(|hunk| {
            let lines = hunk
                .iter_changes()
                .map(|change| DiffLine {
                    kind: match change.tag() {
                        ChangeTag::Equal => LineKind::Context,
                        ChangeTag::Insert => LineKind::Added,
                        ChangeTag::Delete => LineKind::Removed,
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                    old_line: change.old_index().map(|i| i + 1),
                    new_line: change.new_index().map(|i| i + 1),
                })
                .collect();
            Hunk { header: hunk.header().to_string(), lines }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Number;

    fn num(text: &str) -> Value {
        Value::Number(Number::parse(text).expect("a number"))
    }

    fn inputs(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect()
    }

    #[test]
    fn inputs_are_compared_field_by_field() {
        let old = inputs(&[("size", num("20")), ("engine", Value::String("postgres".into()))]);
        let new = inputs(&[("size", num("50")), ("multi_az", Value::Bool(true))]);
        let rows = input_changes(Some(&old), &new);
        assert_eq!(
            rows,
            [
                InputRow {
                    name: "size".into(),
                    value: "50".into(),
                    change: InputChange::Changed { before: "20".into() }
                },
                InputRow { name: "multi_az".into(), value: "true".into(), change: InputChange::Added },
                InputRow {
                    name: "engine".into(),
                    value: Value::String("postgres".into()).to_string(),
                    change: InputChange::Removed
                },
            ]
        );
        assert!(input_changes(None, &new).iter().all(|r| r.change == InputChange::Unchanged));
        assert!(input_changes(Some(&new), &new).iter().all(|r| r.change == InputChange::Unchanged));
    }

    #[test]
    fn the_file_diff_is_unified_with_line_numbers() {
        let before = "a = 1\nb = 2\nc = 3\n";
        let after = "a = 1\nb = 5\nc = 3\nd = 4\n";
        let hunks = file_diff(before, after, 3);
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].header, "@@ -1,3 +1,4 @@");
        let shown: Vec<(LineKind, &str, Option<usize>, Option<usize>)> =
            hunks[0].lines.iter().map(|l| (l.kind, l.text.as_str(), l.old_line, l.new_line)).collect();
        assert_eq!(
            shown,
            [
                (LineKind::Context, "a = 1", Some(1), Some(1)),
                (LineKind::Removed, "b = 2", Some(2), None),
                (LineKind::Added, "b = 5", None, Some(2)),
                (LineKind::Context, "c = 3", Some(3), Some(3)),
                (LineKind::Added, "d = 4", None, Some(4)),
            ]
        );
        assert!(file_diff(after, after, 3).is_empty());
        let new_file = file_diff("", "x = 1\n", 3);
        assert_eq!(new_file[0].header, "@@ -0,0 +1 @@");
        assert_eq!(new_file[0].lines[0].kind, LineKind::Added);
    }
}
