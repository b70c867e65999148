//! `network-policy-presence`: every workload's pods are isolated by NetworkPolicies.

pub mod netpol;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// The workload kinds are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::WorkloadViews;

/// `evaluate` reading the cluster through the Kubewarden host capabilities.
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &HostCluster)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
