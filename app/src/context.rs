//! What every page needs to know about the request: who is signed in, the one-time flash
//! message, and (in demo mode) the demo accounts. Loaded once per full page load by a
//! blocking resource, so the server renders the right navigation and status code.

use domain::identity::Me;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlashKind {
    Success,
    Error,
}

/// A message shown once on the next page (post/redirect/get).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoAccount {
    pub login: String,
    pub name: String,
    pub roles: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContext {
    pub me: Option<Me>,
    pub flash: Option<Flash>,
    /// The login typed into a failed sign-in, put back into the form.
    pub login_hint: Option<String>,
    pub demo_accounts: Vec<DemoAccount>,
    pub demo_password: Option<String>,
}

pub type PageContextResource = Resource<Result<PageContext, AppError>>;

pub fn provide_page_context() {
    let resource: PageContextResource = Resource::new_blocking(|| (), |_| get_page_context());
    provide_context(resource);
}

pub fn use_page_context() -> PageContextResource {
    expect_context::<PageContextResource>()
}

#[server(prefix = "/api", endpoint = "page_context")]
pub async fn get_page_context() -> Result<PageContext, AppError> {
    let state = crate::state::app_state()?;
    let request = crate::state::request_context();
    Ok(PageContext {
        me: request.me,
        flash: request.flash,
        login_hint: request.login_hint,
        demo_accounts: if state.demo_mode { state.demo_accounts.clone() } else { Vec::new() },
        demo_password: state.demo_mode.then(|| state.demo_password.clone()),
    })
}
