//! Each policy's `validate` entry point, natively: the same payload parsing, `evaluate` and
//! response encoding as in its module.

use netsec_shared::cluster::MemoryCluster;
use netsec_shared::guest::{validate, validate_own};

/// `validate(payload)` of a policy, reading `cluster` if it is context-aware.
pub type Entry = fn(&[u8], &MemoryCluster) -> Vec<u8>;

macro_rules! pure {
    ($policy:ident) => {
        |payload: &[u8], _: &MemoryCluster| {
            validate::<$policy::Settings, $policy::Views, _>(payload, $policy::evaluate)
        }
    };
}

macro_rules! context_aware {
    ($policy:ident) => {
        |payload: &[u8], cluster: &MemoryCluster| {
            validate::<$policy::Settings, $policy::Views, _>(payload, |request, settings| {
                $policy::evaluate(request, settings, cluster)
            })
        }
    };
}

/// A policy that reads its object in the request's pass (`validate_own`).
macro_rules! pure_own {
    ($policy:ident) => {
        |payload: &[u8], _: &MemoryCluster| {
            validate_own::<$policy::Settings, $policy::Views, $policy::Own, _>(
                payload,
                $policy::evaluate_own,
            )
        }
    };
}

/// A context-aware policy that reads its objects in the request's pass (`validate_own`).
macro_rules! context_aware_own {
    ($policy:ident) => {
        |payload: &[u8], cluster: &MemoryCluster| {
            validate_own::<$policy::Settings, $policy::Views, $policy::Own, _>(
                payload,
                |request, object, settings| {
                    $policy::evaluate_own(request, object, settings, cluster)
                },
            )
        }
    };
}

/// The native entry point of a policy, by its directory name under `policies/`.
pub fn entry(policy: &str) -> Option<Entry> {
    Some(match policy {
        "coredns-config" => pure_own!(coredns_config),
        "egress-restrictions" => pure!(egress_restrictions),
        "exposed-autoscaling" => context_aware_own!(exposed_autoscaling),
        "host-ownership" => context_aware_own!(host_ownership),
        "ingress-hardening" => pure!(ingress_hardening),
        "ingress-tls" => context_aware!(ingress_tls),
        "mesh-authorization" => context_aware_own!(mesh_authorization),
        "mesh-injection" => context_aware!(mesh_injection),
        "network-policy-presence" => context_aware!(network_policy_presence),
        "rate-limit-annotations" => context_aware!(rate_limit_annotations),
        "service-exposure" => pure_own!(service_exposure),
        _ => return None,
    })
}
