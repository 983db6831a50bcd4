//! The controls of one module input, generated from its type (see `domain::form::state` for
//! the control names): text, number, checkbox, select, repeatable rows, key/value entries,
//! nested groups, and JSON for what a form cannot lay out. Row buttons are submit buttons,
//! so adding and removing rows works without JavaScript and keeps every value typed.

use domain::catalog::{Attribute, Field, TypeConstraint, Value, Widget};
use domain::form::state::ROWS;
use domain::form::{FormState, Shape, shape};
use domain::request::control;
use leptos::prelude::*;

/// A control id from a path: `tags[0].key` → `f-tags-0-key`.
pub fn control_id(path: &str) -> String {
    let mut id = String::from("f-");
    for c in path.chars() {
        id.push(if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' });
    }
    id.trim_end_matches('-').to_owned()
}

/// The choices offered in `environment`: the overlay's choices, narrowed to the allowed ones.
fn choices_in(field: &Field, environment: &str) -> Vec<(String, String)> {
    let allowed = field.rules_in(environment).allowed;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut out: Vec<(String, String)> = field
        .choices
        .iter()
        .filter(|c| allowed.as_ref().is_none_or(|a| a.contains(&c.value)))
        .map(|c| (text(&c.value), c.label.clone()))
        .collect();
    if out.is_empty()
        && let Some(allowed) = allowed
    {
        out = allowed.iter().map(|v| (text(v), text(v))).collect();
    }
    out
}

/// The controls for a top-level input.
pub fn input_controls(field: &Field, environment: &str, state: &FormState, described_by: String) -> AnyView {
    let path = field.name.clone();
    let choices = choices_in(field, environment);
    match shape(&field.type_) {
        Shape::Scalar if field.widget == Widget::Select || !choices.is_empty() => {
            select(&path, state.get(&path).unwrap_or(""), choices, !field.required, described_by)
        }
        Shape::Scalar if field.widget == Widget::Textarea => {
            let value = state.get(&path).unwrap_or("").to_owned();
            view! { <textarea id=control_id(&path) name=path.clone() rows="4" aria-describedby=described_by>{value}</textarea> }
                .into_any()
        }
        _ => controls(&field.type_, &path, state, described_by),
    }
}

fn select(path: &str, current: &str, choices: Vec<(String, String)>, optional: bool, described_by: String) -> AnyView {
    let current = current.to_owned();
    let none_selected = current.is_empty();
    view! {
        <select id=control_id(path) name=path.to_owned() aria-describedby=described_by>
            {optional.then(|| view! { <option value="" selected=none_selected>"— default —"</option> })}
            {(!optional && none_selected).then(|| view! { <option value="" selected=true disabled=true>"Choose…"</option> })}
            {choices.into_iter().map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            }).collect_view()}
        </select>
    }
    .into_any()
}

/// The controls for a value of type `t` at `path`.
fn controls(t: &TypeConstraint, path: &str, state: &FormState, described_by: String) -> AnyView {
    let id = control_id(path);
    let name = path.to_owned();
    let value = state.get(path).unwrap_or("").to_owned();
    match shape(t) {
        Shape::Scalar => match t {
            TypeConstraint::Bool => {
                let checked = value == "true";
                view! {
                    <span class="checkbox">
                        <input type="hidden" name=name.clone() value="false" />
                        <input type="checkbox" id=id name=name value="true" checked=checked aria-describedby=described_by />
                    </span>
                }
                .into_any()
            }
            TypeConstraint::Number => view! {
                <input type="text" inputmode="decimal" id=id name=name value=value aria-describedby=described_by class="number" />
            }
            .into_any(),
            _ => view! { <input type="text" id=id name=name value=value aria-describedby=described_by /> }.into_any(),
        },
        Shape::Json => view! {
            <textarea id=id name=name rows="5" class="code" aria-describedby=described_by placeholder="JSON, e.g. [\"a\", 1]">{value}</textarea>
        }
        .into_any(),
        Shape::Group(attributes) => group(attributes, path, state),
        Shape::Rows(inner) => rows(inner, path, state, false),
        Shape::Entries(inner) => rows(inner, path, state, true),
    }
}

fn group(attributes: &[Attribute], path: &str, state: &FormState) -> AnyView {
    let items = attributes
        .iter()
        .map(|a| {
            let sub = format!("{path}.{}", a.name);
            let hint = match (&a.default, a.optional) {
                (Some(d), _) => format!("optional, default {d}"),
                (None, true) => "optional".to_owned(),
                (None, false) => "required".to_owned(),
            };
            let label = a.name.replace('_', " ");
            let is_group = matches!(shape(&a.type_), Shape::Group(_) | Shape::Rows(_) | Shape::Entries(_));
            let hint_id = format!("{}-hint", control_id(&sub));
            let control = controls(&a.type_, &sub, state, hint_id.clone());
            if is_group {
                view! {
                    <fieldset class="nested">
                        <legend>{label} " " <small id=hint_id>{hint}</small></legend>
                        {control}
                    </fieldset>
                }
                .into_any()
            } else {
                view! {
                    <div class="attr">
                        <label for=control_id(&sub)>{label}</label>
                        {control}
                        <small id=hint_id>{hint}</small>
                    </div>
                }
                .into_any()
            }
        })
        .collect_view();
    view! { <div class="group">{items}</div> }.into_any()
}

fn rows(inner: &TypeConstraint, path: &str, state: &FormState, entries: bool) -> AnyView {
    let n = state.rows(path);
    let items = (0..n)
        .map(|i| {
            let row = format!("{path}[{i}]");
            let body = if entries {
                let key = format!("{row}.key");
                let value = format!("{row}.value");
                view! {
                    <label class="visually-hidden" for=control_id(&key)>{format!("{path} entry {} key", i + 1)}</label>
                    <input type="text" id=control_id(&key) name=key.clone() value=state.get(&key).unwrap_or("").to_owned()
                        placeholder="key" class="key" />
                    {controls(inner, &value, state, String::new())}
                }
                .into_any()
            } else {
                controls(inner, &row, state, String::new())
            };
            view! {
                <li class="row" data-row=row.clone()>
                    {body}
                    <button type="submit" name=control::OP value=format!("remove:{row}") class="secondary small"
                        formnovalidate=true aria-label=format!("Remove row {} of {path}", i + 1)>"Remove"</button>
                </li>
            }
        })
        .collect_view();
    let what = if entries { "entry" } else { "row" };
    view! {
        <input type="hidden" name=format!("{ROWS}{path}") value=n.to_string() />
        <ol class="rows">{items}</ol>
        {(n == 0).then(|| view! { <p class="muted">"None yet."</p> })}
        <button type="submit" name=control::OP value=format!("add:{path}") class="secondary small" formnovalidate=true>
            {format!("Add {what}")}
        </button>
    }
    .into_any()
}
