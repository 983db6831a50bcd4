//! Pure Infradesk domain logic. Nothing here does I/O, so the same code runs on the
//! server and in the browser (wasm): identities and roles, the audit chain format, the
//! module catalog (variables.tf, overlays, module schemas), typed form values and the module validations
//! Infradesk can evaluate, rendering of module calls to HCL, review routing with its SLA clock, and UTC times as text.

pub mod approval;
pub mod audit;
pub mod catalog;
pub mod form;
pub mod identity;
pub mod render;
pub mod request;
pub mod routing;
pub mod utc;
