//! `exposed-autoscaling`: workloads that take external traffic scale horizontally, and their
//! autoscalers have a ceiling that bounds what a flood costs.

pub mod autoscaler;
pub mod exposure;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// Deployments and StatefulSets are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::WorkloadViews;

/// `evaluate` reading the cluster through the Kubewarden host capabilities.
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &HostCluster)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
