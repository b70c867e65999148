//! `host-ownership`: a hostname is claimed by the claimants (Ingress, HTTPRoute, GRPCRoute,
//! TLSRoute, gateway-bound VirtualService) of one namespace only, by the namespaces
//! `hostOwners` names, and shared listeners do not overlap across namespaces on one port.

pub mod objects;
pub mod pattern;
pub mod policy;
pub mod settings;

use netsec_shared::cluster::HostCluster;
use netsec_shared::{AdmissionRequest, Verdict};

pub use policy::evaluate;
pub use settings::Settings;

/// Every object is read through this policy's own view.
pub type Views = netsec_shared::request::NoViews;

/// `evaluate` listing the cluster's claims through the Kubewarden host capabilities.
fn evaluate_on_host(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate(request, settings, &HostCluster)
}

netsec_shared::register_policy!(Settings, Views, evaluate_on_host);
