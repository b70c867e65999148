//! `egress-restrictions`: NetworkPolicy, Cilium and Calico egress stays inside allowed CIDRs,
//! domain names and ports.

pub mod policy;
pub mod ports;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

/// NetworkPolicies and the workload kinds are decoded in the pass that reads the request; Cilium
/// and Calico objects stay raw until the policy reads them (`netsec_shared::netpol::allowance`).
pub type Views = netsec_shared::request::EgressViews;

netsec_shared::register_policy!(Settings, Views, evaluate);
