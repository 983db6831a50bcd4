//! `regex`, `regexall` and `replace` with Terraform's RE2 semantics on the Rust `regex`
//! crate, which implements nearly the same syntax (both guarantee linear-time matching, no
//! backreferences or look-around).
//!
//! Differences handled here: RE2's `\d \w \s \b` (and their negations) are ASCII-only, the
//! Rust crate's are Unicode, so they are rewritten to ASCII classes; inside a character class
//! RE2 takes `[`, `&&` and `~~` literally, so they are escaped.
//!
//! Differences left: syntax only RE2 accepts (`\Q…\E`, `\C`, a bare `{` such as `a{`, octal
//! escapes) does not compile here, and the check becomes "not checked" rather than guessing;
//! Rust accepts a little more (e.g. `(?<name>…)`, class set operations), which Terraform would
//! reject at plan time. `\s` inside a negated class `[^\s]` also excludes vertical tab.
//!
//! Terraform's results: `regex()` fails when nothing matches (so `can(regex(...))` is the
//! usual boolean test); with no capture groups it returns the match, with unnamed groups a
//! list of them, with named groups an object (groups that did not take part are null); mixing
//! named and unnamed groups is an error. `regexall()` returns a list of those results.

use super::Ctx;
use super::functions::text;
use super::val::{R, V, error, not_checked, quote};
use regex::{Captures, Regex, RegexBuilder};

/// Compiled-size limits: a pattern comes from the module author, the text from the user.
const SIZE_LIMIT: usize = 1 << 20;

pub(super) fn call(ctx: &mut Ctx<'_>, name: &str, args: &[V]) -> R<V> {
    match (name, args) {
        ("regex", [pattern, s]) => {
            let re = compile(ctx, &text(pattern)?)?;
            let s = text(s)?;
            match re.captures(&s) {
                Some(caps) => result(&re, &caps),
                None => error(format!("regex() found no match for {} in {}", quote(re.as_str()), quote(&s))),
            }
        }
        ("regexall", [pattern, s]) => {
            let re = compile(ctx, &text(pattern)?)?;
            let s = text(s)?;
            re.captures_iter(&s).map(|caps| result(&re, &caps)).collect::<R<_>>().map(V::List)
        }
        ("replace", [s, search, replacement]) => {
            let (s, search, replacement) = (text(s)?, text(search)?, text(replacement)?);
            match search.strip_prefix('/').and_then(|p| p.strip_suffix('/')) {
                Some(pattern) if search.len() > 1 => {
                    let re = compile(ctx, pattern)?;
                    Ok(V::Str(re.replace_all(&s, replacement.as_str()).into_owned()))
                }
                _ if search.is_empty() => error("replace() cannot search for an empty string"),
                _ => Ok(V::Str(s.replace(&search, &replacement))),
            }
        }
        _ => error(format!("{name}() does not accept {} argument(s)", args.len())),
    }
}

fn compile(ctx: &mut Ctx<'_>, pattern: &str) -> R<Regex> {
    let compiled = ctx.regexes.entry(pattern.to_owned()).or_insert_with(|| {
        RegexBuilder::new(&translate(pattern))
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| e.to_string().lines().last().unwrap_or_default().trim().to_owned())
    });
    match compiled {
        Ok(re) => Ok(re.clone()),
        Err(e) => not_checked(format!(
            "the regular expression {} is not understood by Infradesk's regex engine ({e})",
            quote(pattern)
        )),
    }
}

fn result(re: &Regex, caps: &Captures<'_>) -> R<V> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let group = |i: usize| caps.get(i + 1).map_or(V::Null, |m| V::Str(m.as_str().to_owned()));
    if names.is_empty() {
        return Ok(V::Str(caps.get(0).map_or("", |m| m.as_str()).to_owned()));
    }
    if names.iter().all(Option::is_none) {
        return Ok(V::List((0..names.len()).map(group).collect()));
    }
    if names.iter().all(Option::is_some) {
        return Ok(V::Map(
            names.iter().enumerate().map(|(i, n)| (n.unwrap_or_default().to_owned(), group(i))).collect(),
        ));
    }
    error("a regular expression must use either only named or only unnamed capture groups")
}

/// Rewrites RE2 syntax where the Rust crate would read it differently (see the module doc).
pub(super) fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Inside `[...]`; `class_start` while a `]` would still be a literal (`[]a]`, `[^]a]`).
    let (mut in_class, mut class_start) = (false, false);
    while let Some(c) = chars.next() {
        let was_start = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (n, in_class) {
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('W', false) => "[^0-9A-Za-z_]",
                    ('s', false) => r"[\t\n\f\r ]",
                    ('S', false) => r"[^\t\n\f\r ]",
                    ('b', false) => r"(?-u:\b)",
                    ('B', false) => r"(?-u:\B)",
                    ('d', true) => "[:digit:]",
                    ('D', true) => "[:^digit:]",
                    ('w', true) => "[:word:]",
                    ('W', true) => "[:^word:]",
                    ('s', true) => r"\t\n\f\r ",
                    ('S', true) => "[:^space:]",
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(replacement);
            }
            '[' if !in_class => {
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                in_class = true;
                class_start = true;
            }
            ']' if in_class && was_start => out.push_str(r"\]"),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' if chars.peek() == Some(&':') => {
                // An ASCII class such as `[:alpha:]`: copy it whole.
                out.push('[');
                for c in chars.by_ref() {
                    out.push(c);
                    if c == ']' {
                        break;
                    }
                }
            }
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn perl_classes_become_ascii() {
        assert_eq!(translate(r"^\d+\.\w\s\b$"), r"^[0-9]+\.[0-9A-Za-z_][\t\n\f\r ](?-u:\b)$");
        assert_eq!(translate(r"\D\W\S\B"), r"[^0-9][^0-9A-Za-z_][^\t\n\f\r ](?-u:\B)");
        assert_eq!(translate(r"[\d.\w-]"), r"[[:digit:].[:word:]-]");
        assert_eq!(translate(r"[^\D\s]"), r"[^[:^digit:]\t\n\f\r ]");
    }

    #[test]
    fn class_literals_that_rust_would_read_as_syntax() {
        assert_eq!(translate("[]a]"), r"[\]a]");
        assert_eq!(translate("[^]a]"), r"[^\]a]");
        assert_eq!(translate("[a[b]"), r"[a\[b]");
        assert_eq!(translate("[a&&b~~c]"), r"[a\&\&b\~\~c]");
        assert_eq!(translate("[[:alpha:]_]"), "[[:alpha:]_]");
        // Outside classes everything else is kept as written, escapes included.
        assert_eq!(translate(r"a\[b\]&&~(?i)x{2}\\d"), r"a\[b\]&&~(?i)x{2}\\d");
        assert_eq!(translate("trailing\\"), "trailing\\");
    }
}
