//! `egress-restrictions`: NetworkPolicy egress stays inside allowed CIDRs and ports.

pub mod policy;
pub mod ports;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

/// NetworkPolicies and the workload kinds are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::EgressViews;

netsec_shared::register_policy!(Settings, Views, evaluate);
