//! `coredns-config`: the CoreDNS Corefile, parsed and checked for DNS spoofing and abuse.

pub mod checks;
pub mod corefile;
pub mod hostsfile;
pub mod pattern;
pub mod plugins;
pub mod policy;
pub mod rewrite;
pub mod server;
pub mod settings;
pub mod upstream;
pub mod zone;

pub use policy::evaluate;
pub use settings::Settings;

/// The ConfigMap is read by the policy itself, after the request.
pub type Views = netsec_shared::request::NoViews;

netsec_shared::register_policy!(Settings, Views, evaluate);
