//! Line-level layout that hcl-rs' formatter does not do but `terraform fmt` (hclwrite) does.
//!
//! hcl-rs writes one item per line with single spaces around `=`. hclwrite additionally aligns
//! the `=` of consecutive "assignment lines": lines whose first `=` is followed by a complete
//! single-line value (net bracket count zero). A blank line, a line opening a multi-line value
//! (`tags = {`), a closing bracket or any other line ends the run; every line in a run gets
//! its `=` one column after the longest lead (indent + key). hclwrite counts columns in
//! grapheme clusters; our leads are pure ASCII (input names are ASCII identifiers and object
//! keys escape non-ASCII characters), so bytes are columns.
//!
//! This pass only reads the line structure our own rendering produces — a key is either an
//! ASCII identifier or a quoted string whose quotes and backslashes are escaped, and string
//! values never span lines because newlines are escaped — so user text cannot steer it. The
//! conformance test (HashiCorp's formatter must leave every rendered file unchanged) is the
//! judge of whether it matches hclwrite.

/// Aligns `=` in runs of consecutive assignment lines, as `terraform fmt` does.
pub fn align_equals(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let leads: Vec<Option<usize>> = lines.iter().map(|line| assignment_lead(line)).collect();
    // The column width of the run each assignment line belongs to.
    let mut widths = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let end = (start..lines.len()).find(|&j| leads[j].is_none()).unwrap_or(lines.len());
        let width = leads[start..end].iter().flatten().max().copied().unwrap_or(0);
        widths[start..end].fill(width);
        start = end + 1;
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (j, line) in lines.iter().enumerate() {
        if j > 0 {
            out.push('\n');
        }
        match leads[j] {
            // hcl-rs wrote exactly one space before `=`: widen it to reach the column.
            Some(lead) => {
                out.push_str(&line[..lead]);
                out.extend(std::iter::repeat_n(' ', widths[j] - lead));
                out.push_str(&line[lead..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// For an assignment line `<indent><key> = <single-line value>`, the byte length of
/// `<indent><key>`; `None` for every other line (blank lines, brackets, list items, the block
/// header, comments, and `key = {` / `key = [` lines that open a multi-line value).
fn assignment_lead(line: &str) -> Option<usize> {
    let body = line.trim_start_matches(' ');
    let indent = line.len() - body.len();
    let key_len = if body.starts_with('"') {
        quoted_len(body)?
    } else {
        body.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count()
    };
    if key_len == 0 {
        return None;
    }
    let value = body[key_len..].strip_prefix(" = ")?;
    let opens_block = value == "{" || value == "[";
    (!opens_block && !value.is_empty()).then_some(indent + key_len)
}

/// Length of the quoted string at the start of `s`, honouring backslash escapes.
fn quoted_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Inserts a blank line after the first `meta_lines` lines of the block body (`source` and
/// `version`), the conventional separation of meta-arguments from inputs in hand-written
/// Terraform. `terraform fmt` keeps blank lines, and it ends the alignment run, so this must
/// run before [`align_equals`]. Nothing is inserted when the block has no inputs.
pub fn separate_meta_arguments(block: &str, meta_lines: usize) -> String {
    let mut lines: Vec<&str> = block.split('\n').collect();
    // Line 0 is `module "name" {`; lines 1..=meta_lines are the meta-arguments.
    let after = meta_lines + 1;
    if lines.get(after).is_some_and(|line| *line != "}") {
        lines.insert(after, "");
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_runs_and_breaks_on_other_lines() {
        let input = "m \"x\" {\n  a = 1\n  bbb = \"=\"\n  c = {\n    \"k k\" = []\n    z = {}\n  }\n  dd = [\n    \"a = b\",\n    1\n  ]\n\n  e = null\n  ffff = true\n}\n";
        let want = "m \"x\" {\n  a   = 1\n  bbb = \"=\"\n  c = {\n    \"k k\" = []\n    z     = {}\n  }\n  dd = [\n    \"a = b\",\n    1\n  ]\n\n  e    = null\n  ffff = true\n}\n";
        assert_eq!(align_equals(input), want);
    }

    #[test]
    fn quoted_keys_with_escapes() {
        assert_eq!(assignment_lead(r#"  "a\"b = c" = 1"#), Some(12));
        assert_eq!(assignment_lead(r#"  "a\\" = 1"#), Some(7));
        assert_eq!(assignment_lead(r#"  "a = 1",", "#), None);
        assert_eq!(assignment_lead("# comment = 1"), None);
    }

    #[test]
    fn blank_line_after_meta_arguments() {
        assert_eq!(separate_meta_arguments("m {\n  s = 1\n  a = 2\n}\n", 1), "m {\n  s = 1\n\n  a = 2\n}\n");
        assert_eq!(separate_meta_arguments("m {\n  s = 1\n}\n", 1), "m {\n  s = 1\n}\n");
    }
}
