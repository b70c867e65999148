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

pub use policy::{Own, evaluate, evaluate_own};
pub use settings::Settings;

/// The workload kinds are decoded in the pass that reads the request; the meshes' objects are
/// read by the checks from the raw object.
pub type Views = netsec_shared::request::NoViews;

/// `evaluate_own` reading the cluster through the Kubewarden host capabilities.
fn evaluate_on_host<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<object::MeshObject<'a>>,
    settings: &Settings,
) -> Verdict {
    evaluate_own(request, object, settings, &HostCluster)
}

netsec_shared::register_policy!(own Settings, Views, Own, evaluate_on_host);
