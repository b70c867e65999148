//! `rate-limit-annotations`: every exposed Ingress carries a per-client rate limit its
//! controller understands, within bounds, with no allow-list that exempts everyone.

pub mod controllers;
pub mod policy;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

netsec_shared::register_policy!(Settings, evaluate);
