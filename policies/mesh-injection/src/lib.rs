//! `mesh-injection`: every workload in the service mesh, with strict mTLS.

pub mod istio;
pub use netsec_shared::mesh;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// The workload kinds are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::WorkloadViews;

/// `evaluate` reading Namespaces through the Kubewarden host capability `get_resource`.
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &HostCluster)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
