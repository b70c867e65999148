//! `ingress-hardening`: Ingresses carry no configuration snippets or values that inject nginx
//! directives, and have the authentication, WAF and source ranges their controller applies.

pub mod directives;
pub mod guards;
pub mod policy;
pub mod ranges;
pub mod risky;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

/// Ingresses are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::IngressViews;

netsec_shared::register_policy!(Settings, Views, evaluate);
