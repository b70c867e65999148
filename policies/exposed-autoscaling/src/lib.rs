//! `exposed-autoscaling`: workloads that take external traffic scale horizontally, and their
//! autoscalers have a ceiling that bounds what a flood costs.

pub mod autoscaler;
pub mod exposure;
pub mod object;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// Every object is decoded by the policy, as an [`object::Object`] or an
/// [`exposure::Exposer`].
pub type Views = netsec_shared::request::NoViews;

/// `evaluate` reading the cluster through the Kubewarden host capabilities.
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &HostCluster)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
