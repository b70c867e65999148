//! `egress-restrictions`: NetworkPolicy egress stays inside allowed CIDRs and ports.

pub mod netpol;
pub mod policy;
pub mod ports;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

netsec_shared::register_policy!(Settings, evaluate);
