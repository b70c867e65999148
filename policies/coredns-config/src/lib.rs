//! `coredns-config`: the CoreDNS Corefile, parsed and checked for DNS spoofing and abuse.

pub mod checks;
pub mod corefile;
pub mod pattern;
pub mod policy;
pub mod settings;
pub mod upstream;
pub mod zone;

pub use policy::evaluate;
pub use settings::Settings;

netsec_shared::register_policy!(Settings, evaluate);
