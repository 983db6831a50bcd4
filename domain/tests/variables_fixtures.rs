//! Loads the three large `variables.tf` fixtures (written for these tests, shaped like the
//! biggest public AWS modules) and a few deliberately broken files.

use domain::catalog::{ParsedVariables, TypeConstraint, Value, Variable, parse_variables};

const STORAGE: &str = include_str!("fixtures/large_storage_variables.tf");
const COMPUTE: &str = include_str!("fixtures/large_compute_variables.tf");
const NETWORK: &str = include_str!("fixtures/large_network_variables.tf");

fn load(file: &str, source: &str) -> ParsedVariables {
    let parsed = parse_variables(file, source);
    let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{file}: {errors:#?}");
    parsed
}

fn var<'a>(parsed: &'a ParsedVariables, name: &str) -> &'a Variable {
    parsed.get(name).unwrap_or_else(|| panic!("no variable {name}"))
}

/// The default as compact JSON (keys in source order).
fn default_json(v: &Variable) -> String {
    serde_json::to_string(v.default.as_ref().expect("has a default")).expect("serializes")
}

#[test]
fn storage_fixture() {
    let p = load("large_storage_variables.tf", STORAGE);
    assert_eq!(p.variables.len(), 111);
    assert_eq!(p.variables.first().unwrap().name, "create");
    assert_eq!(p.variables.last().unwrap().name, "timeouts");

    let name = var(&p, "name");
    assert!(name.is_required() && name.type_ == TypeConstraint::String);
    assert_eq!(name.validations.len(), 2);
    assert_eq!(name.validations[0].condition_source, r#"can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))"#);

    let force = var(&p, "force_destroy");
    assert_eq!(
        force.description.as_deref(),
        Some(
            "Allow the bucket to be destroyed even when it still holds objects.\nNever enable this for production data: deleted objects cannot be recovered.\n"
        )
    );
    let sse = var(&p, "server_side_encryption");
    assert!(
        sse.description.as_deref().unwrap().starts_with("Default encryption for new objects.\n\n* `sse_algorithm`")
    );
    assert!(!sse.nullable);

    assert_eq!(
        var(&p, "website").type_.to_string(),
        "object({ index_document = optional(string, \"index.html\"), error_document = optional(string), \
         redirect_all_requests_to = optional(object({ host_name = string, protocol = optional(string, \"https\") })), \
         routing_rules = optional(list(object({ condition = optional(object({ http_error_code_returned_equals = optional(string), \
         key_prefix_equals = optional(string) })), redirect = object({ host_name = optional(string), \
         http_redirect_code = optional(string, \"301\"), protocol = optional(string), replace_key_prefix_with = optional(string) }) })), []) })"
    );
    assert_eq!(var(&p, "dashboard").type_.to_string(), "tuple([number, list(tuple([string, string, number]))])");
    assert_eq!(var(&p, "legacy_cors_allowed_origins").type_.to_string(), "list(any)");
    assert_eq!(var(&p, "legacy_bucket_tags").type_.to_string(), "map(any)");
    assert_eq!(var(&p, "legacy_name_suffix").type_, TypeConstraint::String);
    assert!(!var(&p, "extra_arguments").type_declared);

    assert_eq!(
        default_json(var(&p, "object_key_template")),
        r#""uploads/${team}/${date}/%{if compressed}gz/%{endif}""#
    );
    assert_eq!(
        var(&p, "welcome_object").default.as_ref().unwrap().get("content"),
        Some(&Value::String("Données de l'équipe — ne pas supprimer. データを削除しないでください。 ✅".into()))
    );
    assert_eq!(default_json(var(&p, "clock_skew_tolerance_seconds")), "[-300,300]");
    assert_eq!(default_json(var(&p, "retention_by_prefix")), r#"{"tmp/":1,"logs/":400,"keep/":null}"#);
    assert_eq!(
        default_json(var(&p, "sample_manifest")),
        r#"{"version":2,"exports":{"daily":[{"table":"orders","columns":["id","amount","currency"],"nullable":null,"weight":-0.25},{"table":"refunds","columns":[],"nullable":true,"weight":0.001}],"hourly":[]},"owners":{"équipe-données":["ana@example.com"]}}"#
    );
    let signing = var(&p, "presign_signing_key");
    assert!(signing.sensitive && signing.ephemeral && !signing.nullable && signing.is_required());
}

#[test]
fn compute_fixture() {
    let p = load("large_compute_variables.tf", COMPUTE);
    assert_eq!(p.variables.len(), 105);

    let groups = var(&p, "eks_managed_node_groups");
    assert_eq!(groups.validations.len(), 3);
    assert_eq!(
        groups.validations[0].condition_source,
        "alltrue([for k, g in var.eks_managed_node_groups : g.min_size <= g.desired_size && g.desired_size <= g.max_size])"
    );
    let TypeConstraint::Map(group) = &groups.type_ else { panic!("not a map: {}", groups.type_) };
    let TypeConstraint::Object(attrs) = group.as_ref() else { panic!("not an object") };
    let bdm = attrs.iter().find(|a| a.name == "block_device_mappings").unwrap();
    assert!(bdm.optional && bdm.default == Some(Value::Map(vec![])));
    assert_eq!(
        bdm.type_.to_string(),
        "map(object({ device_name = string, ebs = object({ volume_size = optional(number, 50), volume_type = optional(string, \"gp3\"), \
         iops = optional(number, 3000), throughput = optional(number, 125), encrypted = optional(bool, true), \
         kms_key_id = optional(string), delete_on_termination = optional(bool, true) }) }))"
    );
    assert_eq!(
        default_json(groups),
        r#"{"general":{"instance_types":["m6i.large","m6a.large"],"min_size":2,"max_size":6,"labels":{"workload":"general"}},"spot":{"capacity_type":"SPOT","instance_types":["c6i.xlarge","c6a.xlarge","c5.xlarge"],"taints":{"spot":{"key":"spot","value":"true","effect":"NO_SCHEDULE"}}}}"#
    );
    // Referring to another variable: validated against a sibling input.
    assert!(
        var(&p, "node_group_max_total_nodes").validations[0].condition_source.contains("var.eks_managed_node_groups")
    );

    assert_eq!(
        var(&p, "user_data_template").default,
        Some(Value::String(
            "#!/bin/bash\nset -euo pipefail\necho \"cluster=${CLUSTER_NAME} node=${NODE_NAME}\" >> /etc/motd\n%{ not a directive }%%\n".into()
        ))
    );
    let weights = var(&p, "cost_weights").default.clone().unwrap();
    assert_eq!(weights.get("credits").unwrap().to_string(), "-0.012");
    assert_eq!(weights.get("big").unwrap().to_string(), "12345678901234567890");
    assert_eq!(weights.get("tiny").unwrap().to_string(), "1.5e-7");
    assert_eq!(var(&p, "node_taints").type_.to_string(), "list(tuple([string, string, string]))");
    assert_eq!(var(&p, "upgrade_waves").type_.to_string(), "list(set(string))");
    assert_eq!(var(&p, "worker_groups").type_.to_string(), "list(any)");
    assert_eq!(var(&p, "kubeconfig_aws_authenticator_env_variables").type_.to_string(), "map(any)");
    let token = var(&p, "cluster_admin_token");
    assert!(token.sensitive && token.ephemeral && !token.nullable);
    let secret = var(&p, "bootstrap_webhook_secret");
    assert!(secret.ephemeral && !secret.sensitive && secret.default == Some(Value::Null));
}

#[test]
fn network_fixture() {
    let p = load("large_network_variables.tf", NETWORK);
    assert_eq!(p.variables.len(), 105);
    assert_eq!(
        var(&p, "subnet_layout").type_.to_string(),
        "map(map(object({ cidr = optional(string), newbits = optional(number, 4), netnum = optional(number), ipv6_prefix = optional(number), map_public_ip_on_launch = optional(bool, false), tags = optional(map(string), {}) })))"
    );
    assert_eq!(
        var(&p, "resolver_rules").type_.to_string(),
        "map(object({ target_ips = list(tuple([string, number])), rule_type = optional(string, \"FORWARD\") }))"
    );
    assert_eq!(
        default_json(var(&p, "resolver_rules")),
        r#"{"corp.example.internal":{"target_ips":[["10.10.0.2",53],["10.10.1.2",53]]}}"#
    );
    assert_eq!(
        var(&p, "flow_log_log_format").default.as_ref().and_then(Value::as_str).unwrap(),
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${action}"
    );
    assert_eq!(
        default_json(var(&p, "address_plan")),
        r#"{"reserved":[{"cidr":"10.0.240.0/20","purpose":"future expansion","owner":null},{"cidr":"10.0.224.0/20","purpose":"réseau de laboratoire","owner":"équipe-réseau"}],"per_az_weights":{"a":0.5,"b":0.25,"c":0.25},"offsets":[-1,0,1],"nested":{"level1":{"level2":[{"level3":{"values":[1.5,-2.25,null,true,"x"]}}]}}}"#
    );
    let env = var(&p, "environment");
    assert_eq!(env.validations[1].condition_source, r#"var.environment != "prod" || var.enable_flow_log"#);
    assert_eq!(env.validations[1].error_message, "Flow logs are mandatory in prod.");
    let listeners = var(&p, "listeners");
    assert!(listeners.description.as_deref().unwrap().ends_with("rules are matched by priority.\n"));
    assert_eq!(
        listeners
            .default
            .as_ref()
            .unwrap()
            .get("https")
            .and_then(|h| h.get("fixed_response"))
            .and_then(|f| f.get("message_body")),
        Some(&Value::String("Not found — introuvable — 見つかりません".into()))
    );
    assert!(var(&p, "legacy_anything").default == Some(Value::Null) && !var(&p, "legacy_anything").type_declared);
}

/// Together the three fixtures must exercise every construct the parser supports; this
/// guards the fixtures themselves against losing coverage in later edits.
#[test]
fn fixtures_cover_every_construct() {
    let all: Vec<Variable> = [("s", STORAGE), ("c", COMPUTE), ("n", NETWORK)]
        .into_iter()
        .flat_map(|(f, src)| load(f, src).variables)
        .collect();
    let sources = [STORAGE, COMPUTE, NETWORK].concat();
    let types: Vec<String> = all.iter().map(|v| v.type_.to_string()).collect();
    let defaults: Vec<String> =
        all.iter().filter_map(|v| v.default.as_ref()).map(|d| serde_json::to_string(d).unwrap()).collect();
    let conditions: Vec<(&str, &str)> =
        all.iter().flat_map(|v| v.validations.iter().map(|c| (v.name.as_str(), c.condition_source.as_str()))).collect();
    let any_type = |needle: &str| types.iter().any(|t| t.contains(needle));
    let any_default = |pred: &dyn Fn(&str) -> bool| defaults.iter().any(|d| pred(d));
    let any_condition = |needle: &str| conditions.iter().any(|(_, c)| c.contains(needle));
    let checks: Vec<(&str, bool)> = vec![
        ("<<EOT heredoc", sources.contains("= <<EOT\n")),
        ("<<-EOT heredoc", sources.contains("= <<-EOT\n")),
        ("multi-line description", all.iter().any(|v| v.description.as_deref().is_some_and(|d| d.contains('\n')))),
        ("string", types.iter().any(|t| t == "string")),
        ("number", types.iter().any(|t| t == "number")),
        ("bool", types.iter().any(|t| t == "bool")),
        ("any", types.iter().any(|t| t == "any")),
        ("no type", all.iter().any(|v| !v.type_declared)),
        ("set(string)", any_type("set(string)")),
        ("list(object", any_type("list(object(")),
        ("map(object", any_type("map(object(")),
        ("tuple", any_type("tuple([")),
        ("legacy list", all.iter().any(|v| v.type_.to_string() == "list(any)")),
        ("legacy map", all.iter().any(|v| v.type_.to_string() == "map(any)")),
        ("optional(T)", any_type("= optional(string)")),
        ("optional(T, default)", any_type("= optional(number, ")),
        ("optional(object) with default", any_type("= optional(object({") && any_type("}), {})")),
        ("defaults three objects deep", all.iter().any(|v| optional_default_depth(&v.type_, 0) >= 3)),
        ("ephemeral", all.iter().any(|v| v.ephemeral)),
        ("sensitive", all.iter().any(|v| v.sensitive)),
        ("nullable = false", all.iter().any(|v| !v.nullable)),
        ("regex", any_condition("regex(")),
        ("can(regex", any_condition("can(regex(")),
        ("contains", any_condition("contains(")),
        ("length", any_condition("length(")),
        ("range", any_condition(" >= ") && any_condition(" <= ")),
        ("refers to another variable", conditions.iter().any(|(name, c)| refers_to_other(name, c))),
        ("negative number", any_default(&|d| d.contains(":-") || d.contains("[-"))),
        ("float", any_default(&|d| d.contains("0.5"))),
        ("null inside a default", any_default(&|d| d.contains(":null"))),
        ("unicode", any_default(&|d| d.contains('é') && d.contains('—'))),
        ("escaped ${", any_default(&|d| d.contains("${"))),
        ("escaped %{", any_default(&|d| d.contains("%{"))),
        ("nested maps of lists of objects", any_default(&|d| d.contains(":[{"))),
    ];
    let missing: Vec<&str> = checks.iter().filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
    assert!(missing.is_empty(), "fixtures no longer cover: {missing:?}");
    assert!(all.len() >= 300);
}

/// How many nested objects deep an `optional(..., default)` occurs.
fn optional_default_depth(t: &TypeConstraint, depth: usize) -> usize {
    match t {
        TypeConstraint::List(e) | TypeConstraint::Set(e) | TypeConstraint::Map(e) => optional_default_depth(e, depth),
        TypeConstraint::Tuple(items) => items.iter().map(|i| optional_default_depth(i, depth)).max().unwrap_or(0),
        TypeConstraint::Object(attrs) => attrs
            .iter()
            .map(|a| {
                let here = if a.default.is_some() { depth + 1 } else { 0 };
                here.max(optional_default_depth(&a.type_, depth + 1))
            })
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

fn refers_to_other(name: &str, condition: &str) -> bool {
    condition.match_indices("var.").any(|(i, _)| {
        let rest = &condition[i + 4..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        &rest[..end] != name
    })
}

#[test]
fn syntax_error_names_file_and_line() {
    let parsed = parse_variables("broken/syntax_error.tf", include_str!("fixtures/broken/syntax_error.tf"));
    assert!(parsed.variables.is_empty());
    let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    // hcl-edit backtracks to the start of the attribute whose value it cannot read (line 7),
    // not to the unterminated string on line 9; the fix says where to look.
    assert_eq!(
        errors[0],
        "broken/syntax_error.tf:7: HCL syntax error at column 3: invalid block body; expected `}`, newline or identifier \
         (the argument `default = {` could not be read: look inside its value for an unclosed quote, bracket or brace)"
    );
}

#[test]
fn bad_variables_are_reported_and_the_rest_loads() {
    let parsed = parse_variables("broken/bad_variables.tf", include_str!("fixtures/broken/bad_variables.tf"));
    let names: Vec<&str> = parsed.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["good_first", "good_second", "good_third", "good_fourth", "good_fifth"]);
    let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    let expected = [
        "broken/bad_variables.tf:8: variable \"typo_type\": unknown type `strng` (did you mean `string`? valid types: ",
        "broken/bad_variables.tf:18: variable \"reference_default\": default: `${var.good_first}` is an interpolation, not a literal value (",
        "broken/bad_variables.tf:24: variable \"nested_bad_type\": unknown type `numbr` (did you mean `number`? ",
        "broken/bad_variables.tf:36: variable \"misplaced_optional\": optional() is only allowed directly on an attribute of object({ ... }) (",
        "broken/bad_variables.tf:42: variable \"null_not_allowed\": has `nullable = false` but `default = null` (",
        "broken/bad_variables.tf:53: variable \"good_first\": declared twice (first on line 3) (",
    ];
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    for (error, prefix) in errors.iter().zip(expected) {
        assert!(error.starts_with(prefix), "\n got: {error}\nwant: {prefix}…");
    }
    assert!(errors[0].contains("object({ name = T, ... })"));
}
