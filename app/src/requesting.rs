//! Server side of requesting: checking a draft, building its preview and routing, submitting
//! it. The form page, the preview server function and the plain form post all go through
//! [`prepare`], so what the user saw is exactly what is stored.

use std::sync::Arc;

use domain::catalog::Module;
use domain::form::FieldError;
use domain::identity::Me;
use domain::render::{render_module, target_path};
use domain::request::{self, Draft, RenderContext, evaluate, render_input};
use domain::routing::{RoutingFacts, changed_inputs};

use crate::pages::new_request::model::{Prepared, Preview};
use crate::state::Settings;

/// The longest idempotency key accepted from a form.
const MAX_KEY_LEN: usize = 100;

pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Checks `draft` for `me` and renders it as request `number` (`None`: a preview before the
/// request has a number).
pub fn prepare(settings: &Settings, module: &Module, draft: &Draft, me: &Me, number: Option<i64>) -> Prepared {
    prepare_with(settings, module, draft, me, number, None)
}

/// What an edit starts from: the stored request.
#[derive(Clone, Debug)]
pub struct EditBase {
    pub number: i64,
    pub version: i64,
    pub revision: i64,
    /// The original requester (the file's header keeps naming them).
    pub requester: String,
    /// The module version the request was made with (a catalog reload never changes it).
    pub module: Arc<Module>,
    pub team: String,
    pub environment: String,
    pub instance_name: String,
    pub justification: String,
    pub form: domain::form::FormState,
}

impl EditBase {
    /// Team, environment and instance name are the request's: a change of any of them is a
    /// new request, whatever the form posted.
    pub fn fix(&self, draft: &mut Draft) {
        draft.team = self.team.clone();
        draft.environment = self.environment.clone();
        draft.instance_name = self.instance_name.clone();
    }

    /// The stored revision as a form.
    pub fn draft(&self) -> Draft {
        Draft {
            environment: self.environment.clone(),
            team: self.team.clone(),
            instance_name: self.instance_name.clone(),
            justification: self.justification.clone(),
            inputs: self.form.clone(),
        }
    }

    /// Where drafts of this edit are kept in the session (never mistaken for a new request's).
    pub fn session_module(&self) -> String {
        format!("edit:{}", self.number)
    }
}

/// Loads request `number` for editing by `me`: members of the requesting team only, while it
/// is in review or changes were requested. Errors are for people to read.
#[cfg(feature = "ssr")]
pub async fn edit_base(db: &backend::Db, me: &Me, number: i64) -> Result<Option<EditBase>, String> {
    use domain::request::Status;
    let Some(detail) = backend::requests::get(db, number).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    if !me.teams.iter().any(|t| t.slug == detail.summary.team) {
        return Ok(None);
    }
    if !matches!(detail.summary.status, Status::InReview | Status::ChangesRequested) {
        return Err(format!(
            "Request #{number} is {}; it can be edited while in review or when changes were requested.",
            detail.summary.status.label()
        ));
    }
    let r = detail.revision;
    Ok(Some(EditBase {
        number,
        version: detail.version,
        revision: r.number,
        requester: detail.summary.requester,
        module: Arc::new(r.module),
        team: detail.summary.team,
        environment: detail.summary.environment,
        instance_name: detail.summary.instance_name,
        justification: r.justification,
        form: r.form,
    }))
}

/// [`prepare`] for an edit of `base` (the header keeps the original requester), or a new
/// request when `base` is `None`.
pub fn prepare_with(
    settings: &Settings,
    module: &Module,
    draft: &Draft,
    me: &Me,
    number: Option<i64>,
    base: Option<&EditBase>,
) -> Prepared {
    let mut evaluation = evaluate(module, draft);
    let environment = settings.environment(&draft.environment).cloned();
    if environment.is_none() {
        let known: Vec<&str> = settings.environments.iter().map(|e| e.name.as_str()).collect();
        evaluation.errors.insert(
            0,
            FieldError {
                path: request::ENVIRONMENT.to_owned(),
                message: format!("choose one of {}", known.join(", ")),
            },
        );
    }
    if !me.teams.iter().any(|t| t.slug == draft.team) {
        evaluation.errors.insert(
            0,
            FieldError {
                path: request::TEAM.to_owned(),
                message: "choose one of your teams: only a team's members may request for it".to_owned(),
            },
        );
    }
    let routing = environment.as_ref().map(|env| {
        // Nothing of a request is in the infra repository until it is merged, so every input
        // is new to the reviewers, for an edit as for the first revision: routing on what
        // changed since the previous revision would let an edit drop a team a setting needs.
        let changed = changed_inputs(None, &evaluation.inputs);
        settings.routing.route(&RoutingFacts {
            environment: &env.name,
            module: &module.id,
            risk_tier: module.risk_tier,
            team: &draft.team,
            changed_inputs: &changed,
        })
    });
    let mut preview = Preview { environment: environment.clone(), routing, ..Preview::default() };
    if let Some(env) = &environment
        && !draft.instance_name.is_empty()
    {
        match target_path(&settings.path_template, &env.directory, &draft.instance_name, &module.id) {
            Ok(path) => preview.path = Some(path),
            Err(e) => preview.problem = Some(e.to_string()),
        }
    }
    if evaluation.is_valid() && preview.problem.is_none() {
        let number = number.unwrap_or(0);
        let url =
            if number == 0 { format!("{}/requests/new", settings.base_url) } else { settings.request_url(number) };
        let ctx = RenderContext {
            request_number: u64::try_from(number).unwrap_or(0),
            request_url: &url,
            requester: base.map_or(me.login.as_str(), |b| b.requester.as_str()),
        };
        match render_module(&render_input(module, draft, &evaluation, &ctx)) {
            Ok(content) => preview.content = Some(content),
            Err(e) => preview.problem = Some(e.to_string()),
        }
    } else if !evaluation.is_valid() {
        let n = evaluation.errors.len();
        preview.problem = Some(format!("Fix {} in the form to see the module call.", plural(n, "error")));
    }
    Prepared { evaluation, preview }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// A module of the current catalog.
pub fn module(state: &crate::state::AppState, id: &str) -> Option<Arc<Module>> {
    state.catalog.current().catalog.modules.get(id).cloned().map(Arc::new)
}

/// Who may accept a push made outside Infradesk: a member of a team the current revision is
/// routed to who is not in the requesting team (nobody accepts changes to their own team's
/// request).
#[cfg(feature = "ssr")]
pub fn may_accept_outside_change(me: &Me, detail: &backend::requests::RequestDetail) -> bool {
    let routing: Option<domain::routing::RoutingOutcome> = serde_json::from_value(detail.revision.routing.clone()).ok();
    let routed = routing.map(|r| r.reviewers.into_iter().map(|req| req.team).collect::<Vec<_>>()).unwrap_or_default();
    let in_requesting_team = me.teams.iter().any(|t| t.slug == detail.summary.team);
    !in_requesting_team && me.teams.iter().any(|t| routed.contains(&t.slug))
}
