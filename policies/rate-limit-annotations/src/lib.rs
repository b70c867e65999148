//! `rate-limit-annotations`: every exposed Ingress carries a per-client rate limit its
//! controller understands, within bounds, with no allow-list that exempts everyone.

pub mod controllers;
pub mod gateway;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::Granted;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// Ingresses are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::IngressViews;

/// `evaluate` listing BackendTrafficPolicies and reading ListenerSets through the Kubewarden
/// host capabilities its metadata declares (`get_resource`, `list_resources_by_namespace`).
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &Granted::<true, true, false>)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
