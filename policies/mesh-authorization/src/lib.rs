//! `mesh-authorization`: zero trust inside the mesh. mTLS says who is calling; this policy
//! checks that the meshes' authorization objects then say who may call, and that no meshed
//! workload is left open to every caller.

pub mod consul;
pub mod coverage;
pub mod istio;
pub mod linkerd;
pub mod matching;
pub mod object;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// The workload kinds are decoded in the pass that reads the request; the meshes' objects are
/// read by the checks from the raw object.
pub type Views = netsec_shared::request::NoViews;

/// `evaluate` reading the cluster through the Kubewarden host capabilities.
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &HostCluster)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
