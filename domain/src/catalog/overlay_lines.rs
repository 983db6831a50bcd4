//! Support for overlay parsing: where each TOML key sits (for file:line errors) and the
//! conversion of TOML values into catalog [`Value`]s.
//!
//! serde gives us typed structures but forgets positions; toml's span-keeping `DeTable`
//! remembers them. We parse twice (overlays are a few kilobytes) and look lines up by key
//! path, so the typed structures stay plain.

use super::LineIndex;
use super::value::{Number, Value};
use std::collections::BTreeMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The one-based line of every key path in an overlay, e.g. `fields.instance_class`,
/// `fields.instance_class.environments.prod.allowed`, `…allowed[2]` for array items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyLines {
    lines: BTreeMap<String, usize>,
}

impl KeyLines {
    /// Records every key of a document that toml already parsed successfully.
    pub(crate) fn new(text: &str) -> KeyLines {
        let mut lines = KeyLines::default();
        if let Ok(root) = DeTable::parse(text) {
            let index = LineIndex::new(text);
            lines.table("", root.get_ref(), &index);
        }
        lines
    }

    fn table(&mut self, prefix: &str, table: &DeTable<'_>, index: &LineIndex) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            self.lines.insert(path.clone(), index.line(key.span().start));
            self.value(&path, value, index);
        }
    }

    fn value(&mut self, path: &str, value: &Spanned<DeValue<'_>>, index: &LineIndex) {
        match value.get_ref() {
            DeValue::Table(table) => self.table(path, table, index),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    self.lines.insert(item_path.clone(), index.line(item.span().start));
                    self.value(&item_path, item, index);
                }
            }
            _ => {}
        }
    }

    /// The line of `path`, else of its nearest recorded parent, else 1 (the file itself).
    pub(crate) fn line(&self, path: &str) -> usize {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return *line;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return 1,
            }
        }
    }
}

/// `prefix.key`; keys that are not bare TOML keys are quoted so paths stay unambiguous.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare { key.to_owned() } else { format!("{key:?}") };
    if prefix.is_empty() { key } else { format!("{prefix}.{key}") }
}

/// Converts a TOML value. TOML has no null; dates have no Terraform equivalent and are
/// refused (quote them to get a string). Table keys come out sorted (toml's default map):
/// Terraform maps and objects are unordered, so nothing is lost.
pub(crate) fn to_value(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::Number(number(&i.to_string())?),
        toml::Value::Float(f) if f.is_finite() => Value::Number(number(&f.to_string())?),
        toml::Value::Float(f) => return Err(format!("{f} is not a number Terraform accepts")),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => return Err(format!("{d} is a TOML date; write it as a quoted string")),
        toml::Value::Array(items) => Value::List(items.iter().map(to_value).collect::<Result<_, _>>()?),
        toml::Value::Table(table) => {
            Value::Map(table.iter().map(|(k, v)| Ok((k.clone(), to_value(v)?))).collect::<Result<_, String>>()?)
        }
    })
}

/// A number for `min`/`max`: integers and finite floats.
pub(crate) fn to_number(value: &toml::Value) -> Result<Number, String> {
    match to_value(value)? {
        Value::Number(n) => Ok(n),
        _ => Err(format!("{value} is not a number")),
    }
}

fn number(text: &str) -> Result<Number, String> {
    Number::parse(text).ok_or_else(|| format!("{text} is not a number Terraform accepts"))
}

/// Levenshtein distance, for "did you mean" on misspelled names.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}

/// "did you mean `x`? " for the closest candidate within a small distance, else "".
pub(crate) fn did_you_mean<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| {
            // A truncated name (`retention` for `retention_days`) is as good as a typo.
            let prefix = found.len() >= 4 && (c.starts_with(found) || found.starts_with(c));
            (if prefix { 1 } else { edit_distance(found, c) }, c)
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_headers_and_array_items() {
        let text = "title = \"x\"\n\n[fields.size]\nlabel = \"Size\"\n\n[fields.size.environments.prod]\nallowed = [\n  1,\n  2,\n]\n";
        let lines = KeyLines::new(text);
        assert_eq!(lines.line("title"), 1);
        assert_eq!(lines.line("fields.size"), 3);
        assert_eq!(lines.line("fields.size.label"), 4);
        assert_eq!(lines.line("fields.size.environments.prod"), 6);
        assert_eq!(lines.line("fields.size.environments.prod.allowed"), 7);
        assert_eq!(lines.line("fields.size.environments.prod.allowed[1]"), 9);
        assert_eq!(lines.line("fields.size.environments.prod.default"), 6);
        assert_eq!(lines.line("nothing.here"), 1);
    }

    #[test]
    fn values_convert() {
        let doc: toml::Table =
            toml::from_str("a = [1, 2.5, true, \"s\", { k = 1 }]\nd = 1979-05-27").unwrap_or_default();
        let a = to_value(&doc["a"]).map(|v| v.to_string());
        assert_eq!(a.as_deref(), Ok("[1, 2.5, true, \"s\", { k = 1 }]"));
        assert!(to_value(&doc["d"]).is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("instnce_class", ["instance_class", "engine"]), "did you mean `instance_class`? ");
        assert_eq!(did_you_mean("zzz", ["instance_class"]), "");
    }
}
