//! `service-exposure`: what reaches a workload from outside the cluster. Services of type
//! LoadBalancer and NodePort, external IPs (CVE-2020-8554), ExternalName Services, and
//! Endpoints and EndpointSlices written by users that point at places a workload must not reach
//! (CVE-2021-25740, cloud metadata services).

pub mod address;
pub mod endpoints;
pub mod internal;
pub mod names;
pub mod objects;
pub mod policy;
pub mod service;
pub mod settings;

pub use policy::{Own, evaluate, evaluate_own};
pub use settings::Settings;

/// Services, Endpoints and EndpointSlices are read with the policy's own lean views; Services
/// in the pass that reads the request (see [`Own`]).
pub type Views = netsec_shared::request::NoViews;

netsec_shared::register_policy!(own Settings, Views, Own, evaluate_own);
