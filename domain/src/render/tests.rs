use super::*;
use crate::catalog::Number;

fn input(inputs: Vec<(&str, Value)>) -> RenderInput {
    RenderInput {
        request_number: 7,
        request_url: "https://infradesk.test/requests/7".to_owned(),
        instance_name: "orders".to_owned(),
        module_source: ModuleSource { source: "./modules/queue".to_owned(), version: None },
        inputs: inputs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        tags: None,
    }
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

#[test]
fn renders_a_minimal_block() {
    let text = render_module(&input(vec![])).expect("renders");
    assert_eq!(
        text,
        "# Managed by Infradesk — request #7: https://infradesk.test/requests/7\n\n\
         module \"orders\" {\n  source = \"./modules/queue\"\n}\n"
    );
}

#[test]
fn tags_are_merged_sorted_and_injected_keys_win() {
    let mut request = input(vec![("tags", Value::Map(vec![("team".into(), s("mine")), ("Zone".into(), s("a"))]))]);
    request.tags =
        Some(("tags".into(), vec![("team".into(), "payments".into()), ("infradesk-request".into(), "7".into())]));
    let text = render_module(&request).expect("renders");
    assert!(text.contains("  tags = {\n    Zone              = \"a\"\n    infradesk-request = \"7\"\n    team              = \"payments\"\n  }\n"), "{text}");
}

#[test]
fn tags_input_is_added_when_absent_and_refused_when_not_a_map() {
    let mut request = input(vec![("name", s("q"))]);
    request.tags = Some(("tags".into(), vec![("team".into(), "payments".into())]));
    let text = render_module(&request).expect("renders");
    assert!(text.ends_with("  name = \"q\"\n  tags = {\n    team = \"payments\"\n  }\n}\n"), "{text}");
    request.inputs.push(("tags".into(), s("x")));
    assert_eq!(render_module(&request), Err(RenderError::TagsNotAMap { path: "tags".into() }));
}

/// A request and a check on the error it must produce.
type RefusalCase = (RenderInput, fn(&RenderError) -> bool);

#[test]
fn bad_names_and_values_are_refused() {
    let cases: Vec<RefusalCase> = vec![
        (input(vec![("count", Value::Bool(true))]), |e| matches!(e, RenderError::ReservedInputName { .. })),
        (input(vec![("a b", Value::Bool(true))]), |e| matches!(e, RenderError::InvalidInputName { .. })),
        (input(vec![("a", Value::Null), ("a", Value::Null)]), |e| matches!(e, RenderError::DuplicateInput { .. })),
        (input(vec![("n", Value::Number(Number::parse("12345678901234567890123").expect("number")))]), |e| {
            matches!(e, RenderError::InexactNumber { .. })
        }),
    ];
    for (request, expected) in cases {
        let error = render_module(&request).expect_err("refused");
        assert!(expected(&error), "{error}");
    }
    let mut request = input(vec![]);
    request.request_url = "https://x\n}\nresource".into();
    assert!(matches!(render_module(&request), Err(RenderError::InvalidRequestUrl { .. })));
    request = input(vec![]);
    request.instance_name = "Orders".into();
    assert!(matches!(render_module(&request), Err(RenderError::InvalidInstanceName { .. })));
}

#[test]
fn too_deep_values_are_refused() {
    let mut value = Value::Null;
    for _ in 0..40 {
        value = Value::List(vec![value]);
    }
    assert!(matches!(render_module(&input(vec![("deep", value)])), Err(RenderError::TooDeep { .. })));
}
