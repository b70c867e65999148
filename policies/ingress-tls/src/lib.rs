//! `ingress-tls`: Ingress and Gateway API traffic is TLS-only, every host covered by a
//! certificate.

pub mod gateway;
pub mod policy;
pub mod redirect;
pub mod settings;

use netsec_shared::cluster::Granted;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// Ingresses are decoded in the pass that reads the request.
pub type Views = netsec_shared::request::IngressViews;

/// `evaluate` reading Gateways and ListenerSets through the Kubewarden host capability its
/// metadata declares (`get_resource`).
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &Granted::<true, false, false>)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
