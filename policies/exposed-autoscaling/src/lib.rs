//! `exposed-autoscaling`: workloads that take external traffic scale horizontally, and their
//! autoscalers have a ceiling that bounds what a flood costs.

pub mod autoscaler;
pub mod exposure;
pub mod object;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::{Own, evaluate, evaluate_own};
pub use settings::Settings;

/// Every object is decoded by the policy, as an [`object::Object`] (in the pass that reads the
/// request, see [`Own`]) or an [`exposure::Exposer`].
pub type Views = netsec_shared::request::NoViews;

/// `evaluate_own` reading the cluster through the Kubewarden host capabilities.
fn evaluate_on_host<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<object::Object<'a>>,
    settings: &Settings,
) -> Verdict {
    evaluate_own(request, object, settings, &HostCluster)
}

netsec_shared::register_policy!(own Settings, Views, Own, evaluate_on_host);
