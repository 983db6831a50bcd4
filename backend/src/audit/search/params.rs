//! The filter as typed: query-string values checked and turned into a [`Filter`], with every
//! problem named for the form.

use serde::{Deserialize, Serialize};

use super::Filter;

/// The filter as typed into the audit page's form or an export link: strings as they come
/// from the query string, checked by [`FilterParams::parse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterParams {
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`, UTC: from the start of it.
    pub from: String,
    /// The same forms, UTC: up to the end of it (a day, a minute or a second), inclusive.
    pub to: String,
    /// `user:alice`, `cli:ops`, `system`, …; a bare login means `user:<login>`.
    pub actor: String,
    pub action: String,
    pub team: String,
    pub environment: String,
    pub module: String,
    /// A request number, `42` or `#42`.
    pub request: String,
}

/// A filter value that cannot be used, for the form to show next to its field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The parameter's name (`from`, `to`, `request`, …).
    pub field: String,
    pub message: String,
}

impl FilterParams {
    /// The non-empty parameters, trimmed, in a fixed order (for links and audit records).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("actor", &self.actor),
            ("action", &self.action),
            ("team", &self.team),
            ("environment", &self.environment),
            ("module", &self.module),
            ("request", &self.request),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect()
    }

    /// Checks every value; all problems are reported at once.
    pub fn parse(&self) -> Result<Filter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut problem = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());

        let from = match parse_time(&self.from) {
            Ok(t) => t.map(|(start, _)| start),
            Err(m) => {
                problem("from", m);
                None
            }
        };
        let until = match parse_time(&self.to) {
            Ok(t) => t.map(|(_, end)| end),
            Err(m) => {
                problem("to", m);
                None
            }
        };
        if let (Some(f), Some(u)) = (from, until)
            && f >= u
        {
            problem("to", "must be after “from”.".into());
        }
        let request = match self.request.trim().trim_start_matches('#') {
            "" => None,
            n => match n.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problem("request", format!("{:?} is not a request number; use a number such as 42.", self.request));
                    None
                }
            },
        };
        let actor = text(&self.actor)
            .map(|a| if a.contains(':') || a == "system" || a == "anonymous" { a } else { format!("user:{a}") });
        for (field, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("team", &self.team),
            ("environment", &self.environment),
            ("module", &self.module),
        ] {
            if value.chars().count() > 200 || value.chars().any(char::is_control) {
                problem(field, "is too long or contains control characters.".into());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            from_ms: from,
            until_ms: until,
            actor,
            action: text(&self.action),
            team: text(&self.team),
            environment: text(&self.environment),
            module: text(&self.module),
            request,
            through_seq: None,
        })
    }
}

/// A UTC date or date-time: `(start, end)` in Unix milliseconds, `end` exclusive (the end
/// of the day, minute or second given). Empty → `None`.
pub fn parse_time(value: &str) -> Result<Option<(i64, i64)>, String> {
    use time::macros::format_description;
    let v = value.trim().trim_end_matches('Z').replace(' ', "T");
    if v.is_empty() {
        return Ok(None);
    }
    let ms = |t: time::PrimitiveDateTime| {
        i64::try_from(t.assume_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    };
    let (start, step_ms) = if let Ok(d) = time::Date::parse(&v, format_description!("[year]-[month]-[day]")) {
        (ms(d.midnight()), 86_400_000)
    } else if let Ok(t) =
        time::PrimitiveDateTime::parse(&v, format_description!("[year]-[month]-[day]T[hour]:[minute]"))
    {
        (ms(t), 60_000)
    } else if let Ok(t) =
        time::PrimitiveDateTime::parse(&v, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
    {
        (ms(t), 1_000)
    } else {
        return Err(format!(
            "{:?} is not a date or time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), e.g. 2025-11-24T16:00.",
            value.trim()
        ));
    };
    Ok(Some((start, start.saturating_add(step_ms))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_cover_their_unit() {
        assert_eq!(parse_time("").unwrap(), None);
        assert_eq!(parse_time("2025-11-24").unwrap(), Some((1_763_942_400_000, 1_764_028_800_000)));
        assert_eq!(parse_time("2025-11-24T16:00").unwrap(), Some((1_764_000_000_000, 1_764_000_060_000)));
        assert_eq!(parse_time("2025-11-24 16:00:05").unwrap(), Some((1_764_000_005_000, 1_764_000_006_000)));
        assert!(parse_time("yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_time("2025-02-30").is_err());
    }

    #[test]
    fn params_parse_with_every_problem_named() {
        let p = FilterParams { actor: "alice".into(), request: "#42".into(), ..FilterParams::default() };
        let f = p.parse().unwrap();
        assert_eq!((f.actor.as_deref(), f.request), (Some("user:alice"), Some(42)));
        assert_eq!(
            FilterParams { actor: "cli:ops".into(), ..Default::default() }.parse().unwrap().actor.unwrap(),
            "cli:ops"
        );
        let bad = FilterParams {
            from: "2025-11-25".into(),
            to: "2025-11-24".into(),
            request: "x".into(),
            ..FilterParams::default()
        };
        let fields: Vec<String> = bad.parse().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["to", "request"]);
    }
}
