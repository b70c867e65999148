//! `ingress-hardening`: Ingresses carry no configuration snippets or values that inject nginx
//! directives, and have the authentication, WAF and source ranges their controller applies.

pub mod guards;
pub mod policy;
pub mod ranges;
pub mod risky;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

netsec_shared::register_policy!(Settings, evaluate);
