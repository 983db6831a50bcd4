//! The Terraform functions Infradesk evaluates in validation conditions.
//!
//! - Errors and checks: `can`, `try`.
//! - Strings: `length`, `lower`, `upper`, `trimspace`, `trim`, `trimprefix`, `trimsuffix`,
//!   `startswith`, `endswith`, `strcontains`, `substr`, `replace`, `split`, `join`, `regex`,
//!   `regexall`.
//! - Numbers: `min`, `max`, `abs`, `floor`, `ceil`, `signum`, `pow`, `sum`.
//! - Collections: `contains`, `alltrue`, `anytrue`, `keys`, `values`, `lookup`, `element`,
//!   `index`, `concat`, `flatten`, `distinct`, `compact`, `reverse`, `sort`, `slice`, `one`,
//!   `range`, `merge`, `setunion`, `setintersection`, `setsubtract`, `coalesce`,
//!   `coalescelist`.
//! - Conversions: `tostring`, `tonumber`, `tobool`, `tolist`, `toset`, `tomap`.
//!
//! Every other function — the network ones (`cidrhost`, `cidrnetmask`, `cidrsubnet`, …),
//! `format`, encodings, file, time and hash functions, provider functions — makes the check
//! "not checked", with the function's name in the reason.

use super::Ctx;
use super::collections;
use super::re2;
use super::val::{Halt, R, V, error, fmt_num, not_checked};
use hcl::edit::expr::FuncCall;

/// Network functions get their own wording: they are the most common reason a check is not
/// evaluated, and reviewers should know that the CIDR itself was not verified.
const NETWORK: [&str; 5] = ["cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "cidrcontains"];

/// Functions whose arguments may hold an unknown bool (from `can`) without making the
/// result unknown: they only count or pass elements through, or decide on known ones.
const UNKNOWN_TOLERANT: [&str; 6] = ["alltrue", "anytrue", "length", "concat", "flatten", "contains"];

pub(super) fn call(ctx: &mut Ctx<'_>, call: &FuncCall) -> R<V> {
    let name = call.name.name.value().as_str();
    if call.name.is_namespaced() {
        return not_checked(format!("provider function `{}` is not evaluated by Infradesk", function_name(call)));
    }
    let args: Vec<_> = call.args.iter().collect();
    match name {
        "can" => {
            let [arg] = args.as_slice() else { return arity(name, "1") };
            return Ok(match ctx.eval(arg) {
                Ok(_) => V::Bool(true),
                Err(Halt::Error(_)) => V::Bool(false),
                Err(Halt::NotChecked(reason)) => V::Unknown(reason),
            });
        }
        "try" => {
            let mut last = String::from("try() needs at least one argument");
            for arg in args {
                match ctx.eval(arg) {
                    Ok(v) => return Ok(v),
                    Err(Halt::Error(e)) => last = e,
                    // It might have failed in Terraform and let a later argument win: unknowable.
                    Err(halt @ Halt::NotChecked(_)) => return Err(halt),
                }
            }
            return error(format!("no argument of try() could be evaluated; the last error: {last}"));
        }
        n if NETWORK.contains(&n) => {
            return not_checked(format!("network function `{n}` is not evaluated by Infradesk"));
        }
        n if !is_supported(n) => return not_checked(format!("function `{n}` is not evaluated by Infradesk")),
        _ => {}
    }
    let mut values = args.iter().map(|a| ctx.eval(a)).collect::<R<Vec<V>>>()?;
    ctx.charge(values.iter().map(V::size).fold(0, usize::saturating_add))?;
    if call.args.expand_final() {
        match values.pop() {
            Some(V::List(items)) => values.extend(items),
            Some(other) => return other.known().and_then(|_| error(format!("`...` in {name}() needs a list"))),
            None => return arity(name, "at least 1"),
        }
    }
    if !UNKNOWN_TOLERANT.contains(&name) {
        values = values.into_iter().map(V::known).collect::<R<_>>()?;
    }
    if matches!(name, "regex" | "regexall" | "replace") {
        return re2::call(ctx, name, &values);
    }
    dispatch(name, &values)
}

fn function_name(call: &FuncCall) -> String {
    let mut parts: Vec<&str> = call.name.namespace.iter().map(|n| n.value().as_str()).collect();
    parts.push(call.name.name.value().as_str());
    parts.join("::")
}

/// Whether Infradesk evaluates the function `name` (without provider namespace); lets the
/// form tell ahead of time which conditions may end up "not checked".
pub fn is_evaluated(name: &str) -> bool {
    matches!(name, "can" | "try") || is_supported(name)
}

fn is_supported(name: &str) -> bool {
    const OWN: [&str; 28] = [
        "length",
        "lower",
        "upper",
        "trimspace",
        "trim",
        "trimprefix",
        "trimsuffix",
        "startswith",
        "endswith",
        "strcontains",
        "substr",
        "replace",
        "split",
        "join",
        "regex",
        "regexall",
        "min",
        "max",
        "abs",
        "floor",
        "ceil",
        "signum",
        "pow",
        "tostring",
        "tonumber",
        "tobool",
        "sum",
        "coalesce",
    ];
    OWN.contains(&name) || collections::NAMES.contains(&name)
}

pub(super) fn arity<T>(name: &str, expected: &str) -> R<T> {
    error(format!("{name}() takes {expected} argument(s)"))
}

fn dispatch(name: &str, args: &[V]) -> R<V> {
    match (name, args) {
        ("length", [v]) => match v {
            V::Str(s) => Ok(V::Num(s.chars().count() as f64)),
            V::List(items) => Ok(V::Num(items.len() as f64)),
            V::Map(entries) => Ok(V::Num(entries.len() as f64)),
            V::Null => error("length() of a null value"),
            other => other.clone().known().and_then(|o| error(format!("length() of a {}", o.type_name()))),
        },
        ("lower", [s]) => string(s, |s| s.to_lowercase()),
        ("upper", [s]) => string(s, |s| s.to_uppercase()),
        ("trimspace", [s]) => string(s, |s| s.trim().to_owned()),
        ("trim", [s, cut]) => {
            let cut: Vec<char> = text(cut)?.chars().collect();
            string(s, |s| s.trim_matches(|c| cut.contains(&c)).to_owned())
        }
        ("trimprefix", [s, p]) => {
            let p = text(p)?;
            string(s, |s| s.strip_prefix(p.as_str()).unwrap_or(s).to_owned())
        }
        ("trimsuffix", [s, p]) => {
            let p = text(p)?;
            string(s, |s| s.strip_suffix(p.as_str()).unwrap_or(s).to_owned())
        }
        ("startswith", [s, p]) => Ok(V::Bool(text(s)?.starts_with(&text(p)?))),
        ("endswith", [s, p]) => Ok(V::Bool(text(s)?.ends_with(&text(p)?))),
        ("strcontains", [s, p]) => Ok(V::Bool(text(s)?.contains(&text(p)?))),
        ("substr", [s, offset, length]) => substr(&text(s)?, number(offset)?, number(length)?),
        ("split", [sep, s]) => {
            let (sep, s) = (text(sep)?, text(s)?);
            let parts: Vec<V> = if sep.is_empty() {
                s.chars().map(|c| V::Str(c.to_string())).collect()
            } else {
                s.split(sep.as_str()).map(|p| V::Str(p.to_owned())).collect()
            };
            Ok(V::List(parts))
        }
        ("join", [sep, lists @ ..]) if !lists.is_empty() => {
            let mut parts = Vec::new();
            for list in lists {
                for item in nonnull(list)?.list()? {
                    parts.push(text(item)?);
                }
            }
            Ok(V::Str(parts.join(&text(sep)?)))
        }
        ("min" | "max", nums) if !nums.is_empty() => {
            let nums = nums.iter().map(number).collect::<R<Vec<f64>>>()?;
            let pick = if name == "min" { f64::min } else { f64::max };
            Ok(V::Num(nums.into_iter().reduce(pick).unwrap_or_default()))
        }
        ("abs", [n]) => Ok(V::Num(number(n)?.abs())),
        ("floor", [n]) => Ok(V::Num(number(n)?.floor())),
        ("ceil", [n]) => Ok(V::Num(number(n)?.ceil())),
        ("signum", [n]) => Ok(V::Num(match number(n)? {
            0.0 => 0.0,
            n => n.signum(),
        })),
        ("pow", [a, b]) => match number(a)?.powf(number(b)?) {
            r if r.is_finite() => Ok(V::Num(r)),
            _ => not_checked("a number is out of Infradesk's range"),
        },
        ("sum", [list]) => {
            let items = nonnull(list)?.list()?;
            if items.is_empty() {
                return error("sum() of an empty list");
            }
            Ok(V::Num(items.iter().map(number).sum::<R<f64>>()?))
        }
        ("tostring", [v]) => match v {
            V::Null => Ok(V::Null),
            V::List(_) | V::Map(_) => error(format!("cannot convert a {} to a string", v.type_name())),
            v => v.str().map(V::Str),
        },
        ("tonumber", [v]) => match v {
            V::Null => Ok(V::Null),
            v => v.num().map(V::Num),
        },
        ("tobool", [v]) => match v {
            V::Null => Ok(V::Null),
            v => v.bool().map(V::Bool),
        },
        ("coalesce", args) => coalesce(args),
        (name, args) if collections::NAMES.contains(&name) => collections::call(name, args),
        (name, args) => error(format!("{name}() does not accept {} argument(s)", args.len())),
    }
}

/// Terraform's functions refuse null arguments unless documented otherwise.
pub(super) fn nonnull(v: &V) -> R<&V> {
    match v {
        V::Null => error("an argument is null; Terraform requires a value"),
        v => Ok(v),
    }
}

pub(super) fn text(v: &V) -> R<String> {
    nonnull(v)?.str()
}

pub(super) fn number(v: &V) -> R<f64> {
    nonnull(v)?.num()
}

fn string(v: &V, f: impl FnOnce(&str) -> String) -> R<V> {
    Ok(V::Str(f(&text(v)?)))
}

/// `substr` counts characters; a negative offset counts from the end, length -1 means "to
/// the end", and ranges past the end are clipped, as in Terraform.
fn substr(s: &str, offset: f64, length: f64) -> R<V> {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let (offset, length) = (offset as i64, length as i64);
    let start = if offset < 0 { len + offset } else { offset };
    if start < 0 || start > len {
        return error(format!("substr() offset {offset} is outside a string of {len} character(s)"));
    }
    let end = if length == -1 { len } else { start.saturating_add(length.max(0)).min(len) };
    Ok(V::Str(chars[start as usize..end as usize].iter().collect()))
}

/// The first argument that is not null (nor `""` when the result is a string); Terraform
/// first converts all arguments to one type, so mixed primitives compare as strings.
fn coalesce(args: &[V]) -> R<V> {
    let primitives: Vec<&V> = args.iter().filter(|v| !matches!(v, V::Null)).collect();
    let same_type = primitives.windows(2).all(|w| w[0].type_name() == w[1].type_name());
    let as_string = primitives.iter().any(|v| matches!(v, V::Str(_))) || !same_type;
    for v in primitives {
        let v = if as_string && !matches!(v, V::List(_) | V::Map(_)) { V::Str(v.str()?) } else { v.clone() };
        if v != V::Str(String::new()) {
            return Ok(v);
        }
    }
    error("coalesce() found no argument that is not null or an empty string")
}

/// Used by collections for messages.
pub(super) fn show(v: &V) -> String {
    match v {
        V::Num(n) => fmt_num(*n),
        V::Str(s) => super::val::quote(s),
        other => other.type_name().to_owned(),
    }
}
