//! The request form as a browser without JavaScript posts it.

pub const MODULE: &str = "rds-postgresql";

/// The form's hidden idempotency key.
pub fn form_key(html: &str) -> String {
    let start = html.find("name=\"#key\" value=\"").expect("the form has a key") + "name=\"#key\" value=\"".len();
    html[start..].split('"').next().expect("a quoted key").to_owned()
}

/// A complete, valid form for [`MODULE`] in dev for team payments.
pub fn valid_form<'a>(key: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("#key", key),
        ("#team", "payments"),
        ("#environment", "dev"),
        ("#instance_name", name),
        ("#justification", "Orders service needs its own database."),
        ("instance_class", "db.t4g.small"),
        ("allocated_storage", "50"),
        ("subnet_group_name", "payments-private"),
        ("master_password_ssm_parameter", "/orders/db/master-password"),
        ("#op", "submit"),
    ]
}
