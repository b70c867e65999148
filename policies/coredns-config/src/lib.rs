//! `coredns-config`: the CoreDNS Corefile, parsed and checked for DNS spoofing and abuse.

pub mod checks;
pub mod corefile;
pub mod forward;
pub mod gostd;
pub mod hostsfile;
pub mod pattern;
pub mod plugins;
pub mod policy;
pub mod rewrite;
pub mod server;
pub mod settings;
pub mod upstream;
pub mod zone;

pub use policy::{ConfigMap, Own, evaluate, evaluate_own};
pub use settings::Settings;

/// The ConfigMap is read through the policy's own view, in the pass that reads the request
/// (see [`Own`]).
pub type Views = netsec_shared::request::NoViews;

netsec_shared::register_policy!(own Settings, Views, Own, evaluate_own);
