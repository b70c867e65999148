//! `host-ownership`: a hostname is claimed by the claimants (Ingress, HTTPRoute, GRPCRoute,
//! TLSRoute, gateway-bound VirtualService) of one namespace only, by the namespaces
//! `hostOwners` names, and shared listeners do not overlap across namespaces on one port.

pub mod objects;
pub mod pattern;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::{Own, evaluate, evaluate_own};
pub use settings::Settings;

/// Every object is read through this policy's own view, in the pass that reads the request
/// (see [`Own`]).
pub type Views = netsec_shared::request::NoViews;

/// `evaluate_own` listing the cluster's claims through the Kubewarden host capabilities.
fn evaluate_on_host<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<objects::Object<'a>>,
    settings: &Settings,
) -> Verdict {
    evaluate_own(request, object, settings, &HostCluster)
}

netsec_shared::register_policy!(own Settings, Views, Own, evaluate_on_host);
