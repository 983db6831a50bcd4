//! Escaping of user text into HCL quoted-string source.
//!
//! We do this ourselves instead of relying on hcl-rs' `Expression::String`: hcl-rs 0.20.0
//! (`hcl_primitives::template::escape_markers`, shared by hcl-edit 0.10) consumes characters in
//! pairs after the first marker it finds, so a `$`/`%` that follows another `$`/`%` is skipped
//! and `"${%${x}"` is written as `"$${%${x}"` — a live interpolation. Escaping here is one
//! left-to-right pass with one character of look-ahead, which is exactly how HashiCorp's
//! scanner reads a template (`$${` is an escaped `${` wherever it starts).

/// Characters written as `\uXXXX` / `\UXXXXXXXX` even though HCL would accept them raw.
///
/// C0/C1 controls and DEL (the HCL spec only requires escaping newlines, but raw controls are
/// unreadable in review), plus invisible and direction-changing characters: soft hyphen,
/// Arabic letter mark, Mongolian vowel separator, zero-width space/joiners and LRM/RLM,
/// line/paragraph separators (U+2028/U+2029, which some tools treat as line breaks), the bidi
/// embeddings/overrides/isolates ("Trojan Source"), word joiner and invisible operators, Hangul
/// fillers, the BOM, interlinear annotations and Unicode tag characters. A reviewer reading the
/// pull request then sees every character that Terraform will see. Values are unchanged:
/// Terraform decodes the escapes back to the same characters.
pub fn needs_unicode_escape(c: char) -> bool {
    matches!(
        c as u32,
        0x00..=0x1f
            | 0x7f..=0x9f
            | 0xad
            | 0x061c
            | 0x115f..=0x1160
            | 0x180e
            | 0x200b..=0x200f
            | 0x2028..=0x202e
            | 0x2060..=0x206f
            | 0x3164
            | 0xfeff
            | 0xffa0
            | 0xfff9..=0xfffb
            | 0xe0000..=0xe007f
    )
}

/// Escapes `s` for use between the quotes of an HCL quoted template so that HashiCorp's parser
/// reads back exactly `s` as a literal (never an interpolation or directive).
///
/// `"` `\` newline, CR and tab get their short escapes; `${` and `%{` become `$${` and `%%{`;
/// characters selected by [`needs_unicode_escape`] (and, when `ascii_only`, every non-ASCII
/// character) become `\uXXXX` or `\UXXXXXXXX`. `ascii_only` is used for object keys: terraform
/// fmt aligns `=` by counting grapheme clusters of the key, which we do not want to
/// reimplement; an ASCII-only key is one column per byte.
pub fn escape_template_literal(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Doubling the introducer is the HCL escape; a `{` is never produced by any other
            // branch, so this look-ahead sees exactly what the parser will see.
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if needs_unicode_escape(c) || (ascii_only && !c.is_ascii()) => push_unicode_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Whether `key` may be written bare as an object key: ASCII `[A-Za-z_][A-Za-z0-9_-]*` and not
/// one of the keywords that HCL would read as a value (`true`, `false`, `null`, `for`).
/// Terraform reads a bare key as the literal string, so this changes presentation only.
pub fn is_bare_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !matches!(key, "true" | "false" | "null" | "for")
}

fn push_unicode_escape(out: &mut String, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let code = c as u32;
    let (prefix, digits) = if code <= 0xffff { ("\\u", 4) } else { ("\\U", 8) };
    out.push_str(prefix);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((code >> (shift * 4)) & 0xf) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_escaped_left_to_right() {
        assert_eq!(escape_template_literal("${x}", false), "$${x}");
        assert_eq!(escape_template_literal("$${x}", false), "$$${x}");
        assert_eq!(escape_template_literal("${%${x}", false), "$${%$${x}");
        assert_eq!(escape_template_literal("%%{", false), "%%%{");
        assert_eq!(escape_template_literal("$", false), "$");
        assert_eq!(escape_template_literal("a%", false), "a%");
    }

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(escape_template_literal("a\"b\\c\r\n\t", false), "a\\\"b\\\\c\\r\\n\\t");
        assert_eq!(escape_template_literal("\0\u{7f}\u{2028}\u{202e}", false), "\\u0000\\u007f\\u2028\\u202e");
        assert_eq!(escape_template_literal("\u{e0041}", false), "\\U000e0041");
        assert_eq!(escape_template_literal("é😀", false), "é😀");
        assert_eq!(escape_template_literal("é😀", true), "\\u00e9\\U0001f600");
    }

    #[test]
    fn bare_keys() {
        assert!(is_bare_key("Name") && is_bare_key("_x") && is_bare_key("a-b_1"));
        for key in ["", "1a", "-a", "a b", "a.b", "true", "null", "for", "é", "a$"] {
            assert!(!is_bare_key(key), "{key:?}");
        }
    }
}
