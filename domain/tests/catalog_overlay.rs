//! `parse_overlay`: the TOML shape and the checks that need only the overlay itself.

use domain::catalog::{Choice, Overlay, RiskTier, Value, Widget, parse_overlay};

const HEAD: &str = r#"title = "Queue"
category = "Messaging"
owner_team = "sre"
risk_tier = "low"
source = "acme/sqs-queue/aws"
version = "1.2.3"
"#;

fn ok(text: &str) -> Overlay {
    parse_overlay("q/overlay.toml", text).unwrap_or_else(|e| panic!("{e:#?}"))
}

/// The errors, displayed, of an overlay that must fail.
fn errors(text: &str) -> Vec<String> {
    match parse_overlay("q/overlay.toml", text) {
        Ok(o) => panic!("expected errors, parsed {o:#?}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

fn one_error(text: &str) -> String {
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:#?}");
    e.into_iter().next().unwrap_or_default()
}

#[test]
fn minimal_overlay_gets_defaults() {
    let o = ok(HEAD);
    assert_eq!(o.title, "Queue");
    assert_eq!(o.description, "");
    assert_eq!(o.risk_tier, RiskTier::Low);
    assert_eq!(o.source.version.as_deref(), Some("1.2.3"));
    assert_eq!(o.naming.max_length, 63);
    assert_eq!(o.naming.value, "{name}");
    assert!(o.naming.check("orders").is_ok());
    assert!(o.tags.is_none() && o.fields.is_empty());
}

#[test]
fn fields_choices_and_environment_rules() {
    let o = ok(&format!(
        "{HEAD}\n[fields.size]\nlabel = \"Size\"\nwidget = \"select\"\nchoices = [\"s\", {{ value = \"m\", label = \"Medium\" }}, 3]\n\
         min = 1\nmax = 2.5\n\n[fields.size.environments.prod]\nallowed = [\"m\"]\ndefault = \"m\"\nmin_length = 1\n\
         fixed = {{ a = [1, true] }}\n"
    ));
    let f = &o.fields[0];
    assert_eq!(f.name, "size");
    assert_eq!(f.widget, Some(Widget::Select));
    let choices = f.choices.as_ref().expect("choices");
    assert_eq!(choices[0], Choice { value: Value::String("s".into()), label: "s".into() });
    assert_eq!(choices[1].label, "Medium");
    assert_eq!(choices[2].label, "3");
    assert_eq!(f.rules.max.as_ref().map(|n| n.as_str()), Some("2.5"));
    let prod = &f.environments["prod"];
    assert_eq!(prod.allowed, Some(vec![Value::String("m".into())]));
    assert_eq!(prod.min_length, Some(1));
    assert_eq!(prod.fixed.as_ref().map(ToString::to_string).as_deref(), Some("{ a = [1, true] }"));
    assert_eq!(f.rules.merged(prod).min.map(|n| n.as_str().to_owned()).as_deref(), Some("1"));
    assert_eq!(o.line("fields.size.environments.prod.allowed"), 16);
}

#[test]
fn toml_syntax_error_has_its_line() {
    let e = one_error(&format!("{HEAD}\n[fields.size]\nlabel = \"unclosed\n"));
    assert!(e.starts_with("q/overlay.toml:9: overlay:"), "{e}");
}

#[test]
fn unknown_key_is_reported_at_the_key() {
    let e = one_error(&format!("{HEAD}\n[fields.size]\nlable = \"Size\"\n"));
    assert!(e.starts_with("q/overlay.toml:9: overlay: unknown field `lable`"), "{e}");
    assert!(e.contains("check the spelling"), "{e}");
    let e = one_error(&format!("{HEAD}risk = \"low\"\n"));
    assert!(e.contains(":7: overlay: unknown field `risk`"), "{e}");
}

#[test]
fn missing_and_mistyped_keys() {
    let e = one_error("title = \"x\"\n");
    assert!(e.contains("missing field `category`") && e.contains("add the key"), "{e}");
    let e = one_error(&HEAD.replace("\"low\"", "\"extreme\""));
    assert!(e.starts_with("q/overlay.toml:4:") && e.contains("unknown variant `extreme`"), "{e}");
    let e = one_error(&format!("{HEAD}[fields.size]\nwidget = \"slider\"\n"));
    assert!(e.contains(":8:") && e.contains("unknown variant `slider`"), "{e}");
}

#[test]
fn sources_must_be_registry_or_git_and_pinned() {
    let with = |source: &str, version: &str| {
        HEAD.replace("acme/sqs-queue/aws", source).replace("version = \"1.2.3\"", &format!("version = \"{version}\""))
    };
    let e = one_error(&with("acme/sqs-queue/aws", "~> 1.2"));
    assert!(e.starts_with("q/overlay.toml:6: version \"~> 1.2\" is not an exact version"), "{e}");
    let e = one_error(&with("./modules/sqs", "1.0.0"));
    assert!(e.starts_with("q/overlay.toml:5: source \"./modules/sqs\" is neither"), "{e}");
    let e = one_error(&with("git::https://git.example.com/sqs.git?ref=v1", "v2"));
    assert!(e.contains("already pins a ref"), "{e}");
    let e = one_error(&with("git::https://git.example.com/sqs.git", "v1;rm"));
    assert!(e.contains("git ref may only contain"), "{e}");
    let o = ok(&with("git::https://git.example.com/sqs.git", "v1.4.0"));
    assert_eq!(
        o.source.attributes().map(|a| a[0].1.clone()).as_deref(),
        Ok("git::https://git.example.com/sqs.git?ref=v1.4.0")
    );
    ok(&with("app.terraform.io/acme/sqs/aws", "2.0.0-rc.1"));
}

#[test]
fn naming_rule_is_checked() {
    let naming = |body: &str| format!("{HEAD}\n[naming]\n{body}\n");
    let e = one_error(&naming("pattern = \"[a-z\""));
    assert!(e.starts_with("q/overlay.toml:9: naming pattern \"[a-z\" is not a valid regex"), "{e}");
    let e = one_error(&naming("pattern = \"[a-z]+\"\nexample = \"a1\""));
    assert!(
        e.starts_with("q/overlay.toml:10: the example name \"a1\" fails the naming rule: the name must match"),
        "{e}"
    );
    let e = one_error(&naming("max_length = 64"));
    assert!(e.contains("max_length 64 is out of range"), "{e}");
    let e = one_error(&naming("value = \"{name}-{region}\""));
    assert!(e.contains("unknown placeholder"), "{e}");

    let o = ok(&naming(
        "pattern = \"[a-z]+(-[a-z]+)*\"\nmax_length = 10\nvariable = \"name\"\nvalue = \"{team}-{name}-{environment}\"",
    ));
    let rule = &o.naming;
    assert!(rule.check("orders-db").is_ok());
    assert!(rule.check("orders-db2").unwrap_err().contains("must match"));
    assert!(rule.check("abcdefghijk").unwrap_err().contains("at most 10"));
    // The identifier rule comes first, whatever the pattern says.
    assert!(rule.check("Orders").unwrap_err().contains("uppercase"));
    assert!(rule.check("оrders").unwrap_err().contains("not an ASCII character"));
    assert_eq!(rule.value_for("orders", "prod", "payments"), "payments-orders-prod");
}

#[test]
fn team_tags_and_values_are_checked() {
    let e = one_error(&HEAD.replace("owner_team = \"sre\"", "owner_team = \"SRE Team\""));
    assert!(e.starts_with("q/overlay.toml:3: owner_team \"SRE Team\" is not a team slug"), "{e}");
    let e = one_error(&format!("{HEAD}[tags]\nvariable = \"tags\"\nteam = \"owner\"\nrequester = \"owner\"\n"));
    assert!(e.starts_with("q/overlay.toml:10: tag key \"owner\" is used twice"), "{e}");
    let e = one_error(&format!("{HEAD}[tags]\nvariable = \"tags\"\n"));
    assert!(e.contains("injects no tag"), "{e}");
    let e = one_error(&format!("{HEAD}[fields.when]\ndefault = 2024-01-01\n"));
    assert!(e.starts_with("q/overlay.toml:8: 2024-01-01 is a TOML date"), "{e}");

    let o = ok(&format!("{HEAD}[tags]\nvariable = \"tags\"\nteam = \"team\"\nrequest_id = \"request\"\n"));
    let tags = o.tags.expect("tags");
    assert_eq!(
        tags.entries("payments", "alice", "42", "prod"),
        vec![("team".to_owned(), "payments".to_owned()), ("request".to_owned(), "42".to_owned())]
    );
}

#[test]
fn several_problems_are_reported_together_in_line_order() {
    let text = HEAD.replace("owner_team = \"sre\"", "owner_team = \"\"").replace("\"1.2.3\"", "\"latest\"")
        + "[naming]\npattern = \"(\"\n";
    let e = errors(&text);
    let lines: Vec<&str> = e.iter().map(|e| e.split(':').nth(1).unwrap_or_default()).collect();
    assert_eq!(lines, ["3", "6", "8"], "{e:#?}");
}
