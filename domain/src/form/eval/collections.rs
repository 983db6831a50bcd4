//! Collection functions (see [`functions`](super::functions) for the full list).

use super::functions::{arity, nonnull, number, show, text};
use super::val::{R, V, equals, error};
use std::collections::{BTreeMap, HashSet};

pub(super) const NAMES: [&str; 25] = [
    "contains",
    "alltrue",
    "anytrue",
    "keys",
    "values",
    "lookup",
    "element",
    "index",
    "concat",
    "flatten",
    "distinct",
    "compact",
    "reverse",
    "sort",
    "slice",
    "one",
    "range",
    "merge",
    "setunion",
    "setintersection",
    "setsubtract",
    "coalescelist",
    "tolist",
    "toset",
    "tomap",
];

/// Terraform refuses to build a `range()` longer than this.
const MAX_RANGE: usize = 1024;

pub(super) fn call(name: &str, args: &[V]) -> R<V> {
    match (name, args) {
        ("contains", [list, value]) => {
            nonnull(value)?;
            let mut undecided = None;
            for item in list_of(list)? {
                match equals(item, value) {
                    Some(true) => return Ok(V::Bool(true)),
                    Some(false) => {}
                    None => undecided = item.unknown_reason().or(value.unknown_reason()).map(str::to_owned),
                }
            }
            Ok(undecided.map_or(V::Bool(false), V::Unknown))
        }
        ("alltrue" | "anytrue", [list]) => {
            let all = name == "alltrue";
            let mut undecided = None;
            for item in list_of(list)? {
                match item {
                    // Terraform: a null element makes alltrue false and is skipped by anytrue.
                    V::Null if all => return Ok(V::Bool(false)),
                    V::Null => {}
                    V::Unknown(reason) => undecided = Some(reason.clone()),
                    v if v.bool()? != all => return Ok(V::Bool(!all)),
                    _ => {}
                }
            }
            Ok(undecided.map_or(V::Bool(all), V::Unknown))
        }
        ("keys", [map]) => Ok(V::List(map_of(map)?.keys().map(|k| V::Str(k.clone())).collect())),
        ("values", [map]) => Ok(V::List(map_of(map)?.values().cloned().collect())),
        ("lookup", [map, key, rest @ ..]) if rest.len() <= 1 => {
            let key = text(key)?;
            match (map_of(map)?.get(&key), rest.first()) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => error(format!("lookup() found no key {}", show(&V::Str(key)))),
            }
        }
        ("element", [list, i]) => {
            let items = list_of(list)?;
            let i = nonnull(i)?.int()?;
            if items.is_empty() {
                return error("element() of an empty list");
            }
            // Wraps around in both directions: -1 is the last element.
            Ok(items[i.rem_euclid(items.len() as i64) as usize].clone())
        }
        ("index", [list, value]) => match list_of(list)?.iter().position(|v| equals(v, value) == Some(true)) {
            Some(i) => Ok(V::Num(i as f64)),
            None => error(format!("index() did not find {}", show(value))),
        },
        ("concat", lists) => {
            let mut out = Vec::new();
            for list in lists {
                out.extend(list_of(list)?.iter().cloned());
            }
            Ok(V::List(out))
        }
        ("flatten", [list]) => {
            fn flat(items: &[V], out: &mut Vec<V>) {
                for item in items {
                    match item {
                        V::List(inner) => flat(inner, out),
                        other => out.push(other.clone()),
                    }
                }
            }
            let mut out = Vec::new();
            flat(list_of(list)?, &mut out);
            Ok(V::List(out))
        }
        ("distinct" | "toset", [list]) if !(name == "toset" && *list == V::Null) => Ok(V::List(unique(list_of(list)?))),
        ("compact", [list]) => {
            let mut out = Vec::new();
            for item in list_of(list)? {
                if *item != V::Null {
                    let s = text(item)?;
                    if !s.is_empty() {
                        out.push(V::Str(s));
                    }
                }
            }
            Ok(V::List(out))
        }
        ("reverse", [list]) => Ok(V::List(list_of(list)?.iter().rev().cloned().collect())),
        ("sort", [list]) => {
            let mut items = list_of(list)?.iter().map(text).collect::<R<Vec<String>>>()?;
            items.sort();
            Ok(V::List(items.into_iter().map(V::Str).collect()))
        }
        ("slice", [list, start, end]) => {
            let items = list_of(list)?;
            let (start, end) = (nonnull(start)?.int()?, nonnull(end)?.int()?);
            if start < 0 || end < start || end as usize > items.len() {
                return error(format!("slice() range {start}..{end} is invalid for a list of {}", items.len()));
            }
            Ok(V::List(items[start as usize..end as usize].to_vec()))
        }
        ("one", [list]) => match list_of(list)? {
            [] => Ok(V::Null),
            [only] => Ok(only.clone()),
            more => error(format!("one() needs at most one element, got {}", more.len())),
        },
        ("range", bounds) if (1..=3).contains(&bounds.len()) => {
            let nums = bounds.iter().map(number).collect::<R<Vec<f64>>>()?;
            let (start, end, step) = match nums.as_slice() {
                [end] => (0.0, *end, 1.0),
                [start, end] => (*start, *end, if start <= end { 1.0 } else { -1.0 }),
                [start, end, step] => (*start, *end, *step),
                _ => return arity(name, "1 to 3"),
            };
            if step == 0.0 || (start < end && step < 0.0) || (start > end && step > 0.0) {
                return error("range() step must move from start towards end");
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() == MAX_RANGE {
                    return error(format!("range() would produce more than {MAX_RANGE} elements"));
                }
                out.push(V::Num(x));
                x += step;
            }
            Ok(V::List(out))
        }
        ("merge", maps) => {
            let mut out = BTreeMap::new();
            for map in maps.iter().filter(|m| **m != V::Null) {
                out.extend(map.map()?.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(V::Map(out))
        }
        ("setunion", sets) if !sets.is_empty() => {
            let all: Vec<V> = sets.iter().map(list_of).collect::<R<Vec<_>>>()?.concat();
            Ok(V::List(unique(&all)))
        }
        ("setintersection" | "setsubtract", [first, rest @ ..]) if !rest.is_empty() => {
            let others = rest
                .iter()
                .map(|o| Ok(list_of(o)?.iter().map(V::key).collect::<HashSet<String>>()))
                .collect::<R<Vec<_>>>()?;
            let keep_common = name == "setintersection";
            let items = unique(list_of(first)?).into_iter().filter(|v| {
                let key = v.key();
                let mut found = others.iter().map(|o| o.contains(&key));
                if keep_common { found.all(|f| f) } else { !found.any(|f| f) }
            });
            Ok(V::List(items.collect()))
        }
        ("coalescelist", lists) => {
            lists.iter().filter(|l| **l != V::Null).map(|l| l.list()).find(|l| !matches!(l, Ok([]))).map_or_else(
                || error("coalescelist() found no non-empty list"),
                |l| l.map(|items| V::List(items.to_vec())),
            )
        }
        ("tolist" | "toset" | "tomap", [V::Null]) => Ok(V::Null),
        ("tolist", [list]) => Ok(V::List(list_of(list)?.to_vec())),
        ("tomap", [map]) => Ok(V::Map(map_of(map)?.clone())),
        (name, args) => error(format!("{name}() does not accept {} argument(s)", args.len())),
    }
}

fn list_of(v: &V) -> R<&[V]> {
    nonnull(v)?.list()
}

fn map_of(v: &V) -> R<&BTreeMap<String, V>> {
    nonnull(v)?.map()
}

/// First occurrences, by Terraform equality (arguments here never hold unknown values).
fn unique(items: &[V]) -> Vec<V> {
    let mut seen = HashSet::new();
    items.iter().filter(|v| seen.insert(v.key())).cloned().collect()
}
