//! What every policy fuzz target does with its input: the bytes are the whole `validate` payload
//! (`{"request": ..., "settings": ...}`) and, separately, a `validate_settings` payload. Both go
//! through the same entry points as the wasm module; a panic here is a trap in policy-server.

use netsec_shared::cluster::MemoryCluster;
use netsec_shared::verdict::Verdict;
use serde_json::json;

pub use libfuzzer_sys;
pub use netsec_shared;

/// A small namespace for the context-aware policies to read: a default-deny NetworkPolicy, an
/// allow rule selecting `app: web`, labelled and unlabelled Namespaces, and a LoadBalancer
/// exposing `app: web` with an HPA that scales another Deployment.
pub fn cluster() -> MemoryCluster {
    MemoryCluster::new(vec![
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "deny", "namespace": "team-a"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "web", "namespace": "team-a"},
               "spec": {"podSelector": {"matchExpressions": [
                   {"key": "app", "operator": "In", "values": ["web"]}]},
                        "ingress": [{}]}}),
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "team-a", "labels": {"istio-injection": "enabled"}}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-b"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "team-a"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "api", "namespace": "team-a"},
               "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "maxReplicas": 5}}),
    ])
}

/// Checks the invariants of a verdict: a rejection always says why.
pub fn check(verdict: Verdict) {
    if !verdict.is_accepted() {
        let message = verdict.message().unwrap_or_default();
        assert!(!message.trim().is_empty(), "a rejection without a message");
    }
    // The encoded response must be valid JSON.
    let bytes = verdict.to_bytes();
    serde_json::from_slice::<serde_json::Value>(&bytes).expect("a well-formed response");
}

/// `fuzz_policy!(crate_name)` for a policy whose `evaluate(request, settings)` is pure, or
/// `fuzz_policy!(crate_name, cluster)` for one that also reads the cluster.
#[macro_export]
macro_rules! fuzz_policy {
    ($policy:ident) => {
        $crate::libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            let verdict = $crate::netsec_shared::guest::verdict::<$policy::Settings, $policy::Views, _>(
                data,
                $policy::evaluate,
            );
            $crate::check(verdict);
            let _ = $crate::netsec_shared::guest::validate_settings::<$policy::Settings>(data);
        });
    };
    ($policy:ident, cluster) => {
        $crate::libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            let cluster = $crate::cluster();
            let verdict = $crate::netsec_shared::guest::verdict::<$policy::Settings, $policy::Views, _>(
                data,
                |request, settings| $policy::evaluate(request, settings, &cluster),
            );
            $crate::check(verdict);
            let _ = $crate::netsec_shared::guest::validate_settings::<$policy::Settings>(data);
        });
    };
}
