use super::*;
use crate::catalog::{Number, build_module, parse_overlay, parse_variables};
use crate::form::CheckStatus;
use crate::render::render_module;

fn module(id: &str) -> Module {
    let (vars, overlay) = match id {
        "rds-postgresql" => (
            include_str!("../../../catalog/rds-postgresql/variables.tf"),
            include_str!("../../../catalog/rds-postgresql/overlay.toml"),
        ),
        "s3-bucket" => (
            include_str!("../../../catalog/s3-bucket/variables.tf"),
            include_str!("../../../catalog/s3-bucket/overlay.toml"),
        ),
        other => panic!("no fixture {other}"),
    };
    let parsed = parse_variables("variables.tf", vars);
    let overlay = parse_overlay("overlay.toml", overlay).expect("overlay");
    let envs = ["dev".to_owned(), "staging".to_owned(), "prod".to_owned()];
    build_module(id, vec![("variables.tf".to_owned(), parsed)], &overlay, &envs).expect("module")
}

fn draft(env: &str, name: &str, inputs: &[(&str, &str)]) -> Draft {
    Draft {
        environment: env.to_owned(),
        team: "payments".to_owned(),
        instance_name: name.to_owned(),
        justification: "needed".to_owned(),
        inputs: FormState::from_pairs(inputs.iter().map(|(k, v)| (*k, *v))),
    }
}

fn input<'a>(e: &'a Evaluation, name: &str) -> Option<&'a Value> {
    e.inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

#[test]
fn a_valid_form_gives_typed_inputs_in_declaration_order() {
    let m = module("rds-postgresql");
    let e = evaluate(
        &m,
        &draft(
            "dev",
            "orders-db",
            &[
                ("instance_class", "db.t4g.small"),
                ("allocated_storage", " 50 "),
                ("master_password_ssm_parameter", "/orders/db"),
                ("subnet_group_name", "payments-private"),
            ],
        ),
    );
    assert_eq!(e.errors, vec![], "{e:#?}");
    assert_eq!(input(&e, "identifier"), Some(&s("orders-db")));
    assert_eq!(input(&e, "instance_class"), Some(&s("db.t4g.small")));
    assert_eq!(input(&e, "allocated_storage"), Some(&Value::Number(Number::parse("50").unwrap())));
    // Left blank: engine_version keeps the module default and is not written out.
    assert_eq!(input(&e, "engine_version"), None);
    // The sensitive password is never an input; its reference is.
    assert_eq!(input(&e, "master_password"), None);
    assert_eq!(input(&e, "master_password_ssm_parameter"), Some(&s("/orders/db")));
    let order: Vec<&str> = e.inputs.iter().map(|(n, _)| n.as_str()).collect();
    let declared: Vec<&str> = m.fields.iter().map(|f| f.name.as_str()).filter(|n| order.contains(n)).collect();
    assert_eq!(order, declared);
}

#[test]
fn overlay_limits_depend_on_the_environment() {
    let m = module("rds-postgresql");
    let dev = evaluate(&m, &draft("dev", "orders-db", &[("instance_class", "db.r6g.large")]));
    let errors: Vec<&FieldError> = dev.errors_for("instance_class").collect();
    assert_eq!(errors.len(), 1, "{dev:#?}");
    assert!(errors[0].message.contains("is not allowed") && errors[0].message.contains("in dev"), "{errors:?}");
    assert!(
        dev.checks.iter().any(|c| c.source == OVERLAY_LIMIT && c.field == "instance_class" && c.status.is_failed())
    );

    let prod =
        evaluate(&m, &draft("prod", "orders-db", &[("instance_class", "db.r6g.large"), ("allocated_storage", "50")]));
    assert_eq!(prod.errors_for("instance_class").count(), 0, "{prod:#?}");
    let storage: Vec<&FieldError> = prod.errors_for("allocated_storage").collect();
    assert!(storage[0].message.contains("below the minimum 100"), "{storage:?}");
}

#[test]
fn module_validations_fail_with_the_modules_message_and_unknown_ones_are_listed() {
    let m = module("rds-postgresql");
    let e = evaluate(&m, &draft("dev", "orders-db", &[("instance_class", "db.t4g.micro"), ("engine_version", "13.2")]));
    let errors: Vec<&FieldError> = e.errors_for("engine_version").collect();
    // 13.2 is not among the overlay's choices: the overlay limit speaks, the validation is skipped.
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("13.2"));
    let e =
        evaluate(&m, &draft("dev", "orders-db", &[("instance_class", "db.t4g.micro"), ("allocated_storage", "10")]));
    let errors: Vec<&FieldError> = e.errors_for("allocated_storage").collect();
    assert_eq!(errors[0].message, "Allocated storage must be between 20 and 65536 GiB.");
    assert!(e.checks.iter().all(|c| !c.status.is_passed() || c.status == CheckStatus::Passed));
}

#[test]
fn instance_names_follow_the_naming_rule() {
    let m = module("rds-postgresql");
    for (name, expected) in
        [("", "is required"), ("Orders", "uppercase letter"), ("orders-", "must match"), ("оrders", "ASCII")]
    {
        let e = evaluate(&m, &draft("dev", name, &[("instance_class", "db.t4g.micro")]));
        let errors: Vec<&FieldError> = e.errors_for(INSTANCE_NAME).collect();
        assert_eq!(errors.len(), 1, "{name:?}: {e:#?}");
        assert!(errors[0].message.contains(expected), "{name:?}: {}", errors[0].message);
    }
}

#[test]
fn fixed_values_win_over_what_the_form_sent() {
    let m = module("s3-bucket");
    let e = evaluate(&m, &draft("prod", "exports", &[("force_destroy", "true")]));
    assert_eq!(e.errors, vec![], "{e:#?}");
    assert_eq!(input(&e, "force_destroy"), Some(&Value::Bool(false)));
    assert_eq!(input(&e, "bucket"), Some(&s("acme-prod-exports")));
    let dev = evaluate(&m, &draft("dev", "exports", &[("force_destroy", "false"), ("force_destroy", "true")]));
    assert_eq!(input(&dev, "force_destroy"), Some(&Value::Bool(true)));
}

#[test]
fn bad_rows_name_the_row() {
    let m = module("s3-bucket");
    let mut d = draft("dev", "exports", &[]);
    d.inputs.set("#rows:tags", "2");
    d.inputs.set("tags[0].key", "cost-center");
    d.inputs.set("tags[0].value", "42");
    d.inputs.set("tags[1].value", "orphan");
    let e = evaluate(&m, &d);
    let errors: Vec<&FieldError> = e.errors_for("tags").collect();
    assert_eq!(errors.len(), 1, "{e:#?}");
    assert_eq!(errors[0].path, "tags[1]");
}

#[test]
fn the_evaluation_renders_with_injected_tags() {
    let m = module("s3-bucket");
    let mut d = draft("dev", "exports", &[]);
    d.inputs.set("#rows:tags", "1");
    d.inputs.set("tags[0].key", "team");
    d.inputs.set("tags[0].value", "spoofed");
    let e = evaluate(&m, &d);
    assert!(e.is_valid(), "{e:#?}");
    let ctx =
        RenderContext { request_number: 7, request_url: "https://infradesk.example/requests/7", requester: "dev" };
    let text = render_module(&render_input(&m, &d, &e, &ctx)).expect("render");
    assert!(text.contains("module \"exports\""), "{text}");
    assert!(text.contains("team ") && text.contains("\"payments\"") && !text.contains("spoofed"), "{text}");
    assert!(text.contains("infradesk-request = \"7\""), "{text}");
}

#[test]
fn initial_state_round_trips_through_the_form() {
    let m = module("s3-bucket");
    let state = initial_state(&m, "prod");
    let d = Draft { inputs: state, ..draft("prod", "exports", &[]) };
    let e = evaluate(&m, &d);
    assert!(e.is_valid(), "{e:#?}");
    // Defaults equal the module's: nothing but fixed values and the name is written out.
    for (name, _) in &e.inputs {
        let field = m.field(name).expect("field");
        assert!(field.fixed_in("prod").is_some() || field.presence != Presence::Input, "{name} written out");
    }
}

#[test]
fn row_operations_keep_the_other_rows() {
    let mut state = FormState::default();
    state.set("#rows:lifecycle_rules", "3");
    for i in 0..3 {
        state.set(format!("lifecycle_rules[{i}].id"), format!("rule-{i}"));
    }
    state.set("#rows:lifecycle_rules[2].transitions", "1");
    state.set("lifecycle_rules[2].transitions[0].days", "30");
    assert!(state.apply("remove:lifecycle_rules[1]"));
    assert_eq!(state.rows("lifecycle_rules"), 2);
    assert_eq!(state.get("lifecycle_rules[1].id"), Some("rule-2"));
    assert_eq!(state.rows("lifecycle_rules[1].transitions"), 1);
    assert_eq!(state.get("lifecycle_rules[1].transitions[0].days"), Some("30"));
    assert_eq!(state.get("lifecycle_rules[2].id"), None);
    assert!(state.apply("add:lifecycle_rules"));
    assert_eq!(state.rows("lifecycle_rules"), 3);
    assert!(!state.apply("delete everything"));
    state.set("#rows:huge", "999999");
    assert_eq!(state.rows("huge"), crate::form::state::MAX_ROWS);
}

#[test]
fn modules_survive_a_json_round_trip_with_null_defaults() {
    // Requests store the module they were made with as JSON; `default = null` must come back
    // as an explicit null default, not as "required".
    for id in ["rds-postgresql", "s3-bucket"] {
        let m = module(id);
        assert!(m.fields.iter().any(|f| f.module_default == Some(Value::Null)), "{id} has a null default");
        let json = serde_json::to_string(&m).expect("serialize");
        let back: Module = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, m, "{id}");
    }
}

#[test]
fn every_demo_form_is_valid_as_first_shown_in_every_environment() {
    for id in ["rds-postgresql", "s3-bucket"] {
        let m = module(id);
        for env in ["dev", "staging", "prod"] {
            let mut d = Draft { inputs: initial_state(&m, env), ..draft(env, "orders", &[]) };
            // A browser posts every text box, empty or not.
            for (name, value) in [("object_lock.mode", ""), ("object_lock.days", " "), ("intelligent_tiering_days", "")]
            {
                if d.inputs.get(name).is_none() {
                    d.inputs.set(name, value);
                }
            }
            if id == "rds-postgresql" {
                d.inputs.set("subnet_group_name", "payments-private");
                d.inputs.set("master_password_ssm_parameter", "/orders/db");
                d.inputs.set("instance_class", if env == "prod" { "db.r6g.large" } else { "db.t4g.micro" });
                d.inputs.set("#rows:allowed_security_group_ids", "1");
                d.inputs.set("allowed_security_group_ids[0]", "sg-0123456789abcdef0");
            }
            let e = evaluate(&m, &d);
            assert!(e.is_valid(), "{id} in {env}: {:#?}", e.errors);
        }
    }
}
