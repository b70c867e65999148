//! The `mesh-authorization` rules: a pure function from the request, the settings and the
//! cluster reads to a verdict. Each mesh's objects go to their own module; workloads to the
//! default-deny coverage.

use netsec_shared::cluster::Cluster;
use netsec_shared::request::{GroupVersionKind, OwnObject};
use netsec_shared::workload::WorkloadKind;
use netsec_shared::{AdmissionRequest, Operation, Verdict};

use crate::object::MeshObject;
use crate::settings::Settings;
use crate::{consul, coverage, istio, linkerd};

/// Istio AuthorizationPolicies are read as a [`MeshObject`] in the pass that reads the request.
pub struct Own;

impl OwnObject for Own {
    type Of<'a> = MeshObject<'a>;

    fn wanted(kind: &GroupVersionKind<'_>) -> bool {
        kind.group == "security.istio.io" && kind.kind == "AuthorizationPolicy"
    }
}

pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    evaluate_own(request, None, settings, cluster)
}

/// [`evaluate`], with the object already read when [`Own`] wants its kind; `None` reads it from
/// the request.
pub fn evaluate_own<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<MeshObject<'a>>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Verdict::accept();
    }
    let kind = request.kind.kind.as_ref();
    let mesh_object = match (request.kind.group.as_ref(), kind) {
        (_, "") => {
            return Verdict::reject(
                "the request names no kind, so the policy cannot tell which rules apply; it \
                 validates Istio AuthorizationPolicies, Linkerd Servers, AuthorizationPolicies \
                 and authentications, Consul ServiceIntentions and the workload kinds",
            );
        }
        ("security.istio.io", "AuthorizationPolicy") => settings.istio,
        (
            linkerd::GROUP,
            "Server" | "AuthorizationPolicy" | "MeshTLSAuthentication" | "NetworkAuthentication",
        ) => settings.linkerd,
        ("consul.hashicorp.com", "ServiceIntentions") => settings.consul,
        (group, _) => {
            return match WorkloadKind::from_kind(kind) {
                Some(workload) if workload.group() == group => {
                    coverage::check_workload(request, settings, cluster)
                }
                // Not one of this policy's kinds: its rules select none of them.
                _ => Verdict::accept(),
            };
        }
    };
    if !mesh_object {
        return Verdict::accept();
    }
    // A terminating object's updates only remove finalizers (consul-k8s puts one on every
    // intention); refusing them would keep it from ever going away.
    if request.operation == Operation::Update && request.is_terminating() {
        return Verdict::accept();
    }
    let namespace = match object_namespace(request) {
        Ok(namespace) => namespace,
        Err(rejection) => return rejection,
    };
    if settings.exempt_namespaces.contains(&namespace) {
        return Verdict::accept();
    }
    match request.kind.group.as_ref() {
        "security.istio.io" => istio::check_policy(request, object, settings, &namespace),
        "consul.hashicorp.com" => consul::check(request, settings, &namespace, cluster),
        _ => linkerd::check(request, settings, kind, &namespace),
    }
}

/// The namespace of the object under admission: the request's, else the object's own.
fn object_namespace(request: &AdmissionRequest<'_>) -> Result<String, Verdict> {
    if !request.namespace.is_empty() {
        return Ok(request.namespace.to_string());
    }
    let object: crate::object::MeshObject = request.object("an object").map_err(Verdict::reject)?;
    match object.name_and_namespace().1 {
        ns if !ns.is_empty() => Ok(ns.to_string()),
        _ => Err(Verdict::reject(format!(
            "the request for {} {:?} names no namespace, and the mesh's authorization objects \
             are namespaced; the policy cannot tell where it applies",
            request.kind.kind, request.name
        ))),
    }
}
