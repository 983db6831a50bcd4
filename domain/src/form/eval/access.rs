//! Reaching into values: attribute and index access, splats, and `for` expressions.

use super::Ctx;
use super::val::{self, R, V, error};
use hcl::edit::Decorated;
use hcl::edit::expr::{ForExpr, TraversalOperator};
use std::collections::BTreeMap;

impl Ctx<'_> {
    pub(super) fn traverse(&mut self, mut current: V, ops: &[Decorated<TraversalOperator>]) -> R<V> {
        let mut i = 0;
        while let Some(op) = ops.get(i) {
            current = match op.value() {
                TraversalOperator::GetAttr(name) => get_attr(current, name.value().as_str())?,
                TraversalOperator::Index(e) => {
                    let key = self.eval(e)?;
                    index(current, &key)?
                }
                TraversalOperator::LegacyIndex(n) => index(current, &V::Num(*n.value() as f64))?,
                TraversalOperator::FullSplat(_) => {
                    // `[*]` applies every following operator to each element.
                    let rest = &ops[i + 1..];
                    let items = splat_items(current);
                    return items.into_iter().map(|item| self.traverse(item, rest)).collect::<R<_>>().map(V::List);
                }
                TraversalOperator::AttrSplat(_) => {
                    // The legacy `.*` applies only the attribute accesses right after it.
                    let n = ops[i + 1..]
                        .iter()
                        .take_while(|o| {
                            matches!(o.value(), TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_))
                        })
                        .count();
                    let segment = &ops[i + 1..i + 1 + n];
                    i += n;
                    let items = splat_items(current);
                    V::List(items.into_iter().map(|item| self.traverse(item, segment)).collect::<R<_>>()?)
                }
            };
            i += 1;
        }
        Ok(current)
    }

    pub(super) fn for_expr(&mut self, f: &ForExpr) -> R<V> {
        let pairs: Vec<(V, V)> = match self.eval(&f.intro.collection_expr)? {
            V::List(items) => items.into_iter().enumerate().map(|(i, v)| (V::Num(i as f64), v)).collect(),
            V::Map(entries) => entries.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
            V::Null => return error("a `for` expression cannot iterate over a null value"),
            other => {
                return other
                    .known()
                    .and_then(|o| error(format!("a `for` expression cannot iterate over a {}", o.type_name())));
            }
        };
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<V>> = BTreeMap::new();
        for (k, v) in pairs {
            let depth = self.scope.len();
            if let Some(key_var) = &f.intro.key_var {
                self.scope.push((key_var.value().as_str().to_owned(), k));
            }
            self.scope.push((f.intro.value_var.value().as_str().to_owned(), v));
            let item = self.for_item(f);
            self.scope.truncate(depth);
            match item? {
                None => {}
                Some((None, value)) => list.push(value),
                Some((Some(key), value)) if f.grouping => groups.entry(key).or_default().push(value),
                Some((Some(key), _)) if map.contains_key(&key) => {
                    return error(format!(
                        "duplicate key {} in a `for` expression (use `...` to group)",
                        val::quote(&key)
                    ));
                }
                Some((Some(key), value)) => {
                    map.insert(key, value);
                }
            }
        }
        Ok(match (&f.key_expr, f.grouping) {
            (None, _) => V::List(list),
            (Some(_), false) => V::Map(map),
            (Some(_), true) => V::Map(groups.into_iter().map(|(k, vs)| (k, V::List(vs))).collect()),
        })
    }

    /// One iteration: `None` when the `if` filters it out.
    fn for_item(&mut self, f: &ForExpr) -> R<Option<(Option<String>, V)>> {
        if let Some(cond) = &f.cond {
            match self.eval(&cond.expr)?.known()? {
                V::Null => return error("the `if` of a `for` expression is null"),
                v if !v.bool()? => return Ok(None),
                _ => {}
            }
        }
        let key = match &f.key_expr {
            Some(k) => match self.eval(k)?.known()? {
                V::Null => return error("a `for` expression produced a null key"),
                v => Some(v.str()?),
            },
            None => None,
        };
        Ok(Some((key, self.eval(&f.value_expr)?)))
    }
}

fn get_attr(v: V, name: &str) -> R<V> {
    match v {
        V::Map(mut entries) => match entries.remove(name) {
            Some(value) => Ok(value),
            None => error(format!("this object has no attribute \"{name}\"")),
        },
        V::Null => error(format!("cannot get attribute \"{name}\" from a null value")),
        other => {
            other.known().and_then(|o| error(format!("a {} has no attributes (reading \"{name}\")", o.type_name())))
        }
    }
}

fn index(v: V, key: &V) -> R<V> {
    let key = key.clone().known()?;
    match v {
        V::List(items) => {
            let i = key.int()?;
            let len = items.len();
            usize::try_from(i)
                .ok()
                .and_then(|i| items.into_iter().nth(i))
                .map_or_else(|| error(format!("index {i} is out of range for a list of {len} element(s)")), Ok)
        }
        V::Map(mut entries) => {
            let k = key.str()?;
            entries.remove(&k).map_or_else(|| error(format!("the key {} does not exist", val::quote(&k))), Ok)
        }
        V::Null => error("cannot index a null value"),
        other => other.known().and_then(|o| error(format!("a {} cannot be indexed", o.type_name()))),
    }
}

/// What a splat iterates: null is no elements, a non-list value is one.
fn splat_items(v: V) -> Vec<V> {
    match v {
        V::Null => Vec::new(),
        V::List(items) => items,
        other => vec![other],
    }
}
