//! The gate in front of a policy's rules: which requests it judges, and the object it judges.

use crate::ingress::Ingress;
use crate::request::{AdmissionRequest, Operation};
use crate::settings::ExemptNamespaces;
use crate::verdict::Verdict;
use crate::workload::{Workload, WorkloadKind};

/// Whether a policy judges the request at all: writes (CREATE, UPDATE) outside the exempt
/// namespaces. DELETE and CONNECT remove or reach an object, they do not install one.
pub fn judges(request: &AdmissionRequest<'_>, exempt: &ExemptNamespaces) -> bool {
    !matches!(request.operation, Operation::Delete | Operation::Connect)
        && !exempt.contains(&request.namespace)
}

/// The Ingress an Ingress policy must judge. `Ok(None)` when the request is not its to judge:
/// DELETE and CONNECT, a request for another kind (the policy's rules select Ingress only), or
/// an exempt namespace. `Err` is the rejection of an object that cannot be read as an Ingress,
/// so a policy fails closed without saying so itself.
pub fn ingress_under_review<'a>(
    request: &AdmissionRequest<'a>,
    exempt: &ExemptNamespaces,
) -> Result<Option<Ingress<'a>>, Verdict> {
    let kind = request.kind.kind.as_ref();
    if !kind.is_empty() && kind != "Ingress" {
        return Ok(None);
    }
    if !judges(request, exempt) {
        return Ok(None);
    }
    let ingress: Ingress = request.view("an Ingress").map_err(Verdict::reject)?;
    of_kind(ingress, "Ingress", |i| i.kind.as_deref()).map(Some)
}

/// A workload a context-aware policy judges, and the namespace its lookups read.
pub struct WorkloadUnderReview<'a> {
    pub workload: Workload<'a>,
    pub namespace: String,
}

/// The workload a policy over pod templates must judge. `Ok(None)` when the request is not its
/// to judge: DELETE and CONNECT, a kind without a pod template, an exempt namespace, or the
/// UPDATE of a terminating object (its updates only remove finalizers, the Job controller's on
/// its Pods for one; refusing them would keep it from ever going away, and only a DELETE sets
/// the timestamp). `Err` rejects a request that names no kind, an object that is no readable
/// workload, or one without a namespace; `lookup` says what the namespace was needed for
/// ("its NetworkPolicies cannot be looked up").
pub fn workload_under_review<'a>(
    request: &AdmissionRequest<'a>,
    exempt: &ExemptNamespaces,
    lookup: &str,
) -> Result<Option<WorkloadUnderReview<'a>>, Verdict> {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Ok(None);
    }
    let kind_name = request.kind.kind.as_ref();
    let Some(kind) = WorkloadKind::from_kind(kind_name) else {
        if kind_name.is_empty() {
            return Err(Verdict::reject(
                "the request names no kind, so its pod template cannot be found; \
                 this policy validates Pods and the workload controllers",
            ));
        }
        return Ok(None);
    };
    // Exemptions come before any parsing or host call: they cost nothing.
    if exempt.contains(&request.namespace) {
        return Ok(None);
    }
    let workload = Workload::from_request(request, kind).map_err(Verdict::reject)?;
    if request.operation == Operation::Update && workload.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    let namespace = match (&*request.namespace, workload.metadata.namespace.as_deref()) {
        ("", Some(ns)) if !ns.is_empty() => ns.to_string(),
        ("", _) => {
            return Err(Verdict::reject(format!(
                "the request for {} names no namespace, so {lookup}",
                workload.describe()
            )));
        }
        (ns, _) => ns.to_string(),
    };
    if exempt.contains(&namespace) {
        return Ok(None);
    }
    Ok(Some(WorkloadUnderReview {
        workload,
        namespace,
    }))
}

/// The object of a request for `kind`, read as `T`; unreadable, or of another kind than the
/// request says, is a rejection.
pub fn object_of_kind<'a, T: serde::Deserialize<'a>>(
    request: &AdmissionRequest<'a>,
    kind: &str,
    object_kind: impl FnOnce(&T) -> Option<&str>,
) -> Result<T, Verdict> {
    let what = format!("{} {kind}", article(kind));
    let object: T = request.object(&what).map_err(Verdict::reject)?;
    of_kind(object, kind, object_kind)
}

/// `object`, unless it says it is of another kind than the request's `kind`: what
/// [`object_of_kind`] checks of an object already read.
pub fn of_kind<T>(
    object: T,
    kind: &str,
    object_kind: impl FnOnce(&T) -> Option<&str>,
) -> Result<T, Verdict> {
    if let Some(other) = object_kind(&object).filter(|k| *k != kind) {
        let what = format!("{} {kind}", article(kind));
        return Err(Verdict::reject(format!(
            "the object is {} {other}, not {what}; this policy validates the object the request \
             names as {kind} only",
            article(other)
        )));
    }
    Ok(object)
}

fn article(word: &str) -> &'static str {
    // Said letter by letter, HTTP starts with a vowel sound.
    if word.starts_with(['A', 'E', 'I', 'O', 'U']) || word.starts_with("HTTP") {
        "an"
    } else {
        "a"
    }
}

/// The waPC `validate` payload of an Ingress admission request in namespace `team-a`: what the
/// Ingress policies' native tests feed their `evaluate`.
pub fn ingress_payload(
    object: &serde_json::Value,
    settings: &serde_json::Value,
    operation: &str,
) -> String {
    serde_json::json!({
        "request": {"uid": "1", "kind": {"group": "networking.k8s.io", "version": "v1", "kind": "Ingress"},
                    "operation": operation, "namespace": "team-a", "object": object},
        "settings": settings,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    fn review(request: &str, exempt: &[&str]) -> Result<bool, String> {
        let payload = format!(r#"{{"request":{request}}}"#);
        let p = Payload::<crate::ExemptNamespaces>::parse(payload.as_bytes()).unwrap();
        ingress_under_review(&p.request, &ExemptNamespaces::of(exempt))
            .map(|found| found.is_some())
            .map_err(|v| v.message().unwrap_or_default())
    }

    #[test]
    fn gate_table() {
        let ingress =
            r#""kind":{"kind":"Ingress"},"namespace":"a","object":{"kind":"Ingress","spec":{}}"#;
        assert_eq!(
            review(&format!(r#"{{"operation":"CREATE",{ingress}}}"#), &[]),
            Ok(true)
        );
        assert_eq!(
            review(&format!(r#"{{"operation":"UPDATE",{ingress}}}"#), &[]),
            Ok(true)
        );
        assert_eq!(
            review(&format!(r#"{{"operation":"DELETE",{ingress}}}"#), &[]),
            Ok(false)
        );
        assert_eq!(
            review(&format!(r#"{{"operation":"CONNECT",{ingress}}}"#), &[]),
            Ok(false)
        );
        assert_eq!(
            review(&format!(r#"{{"operation":"CREATE",{ingress}}}"#), &["a"]),
            Ok(false)
        );
        assert_eq!(
            review(
                r#"{"kind":{"kind":"Service"},"object":{"kind":"Service"}}"#,
                &[]
            ),
            Ok(false)
        );
        let pod = review(
            r#"{"kind":{"kind":"Ingress"},"object":{"kind":"Pod"}}"#,
            &[],
        );
        assert!(pod.unwrap_err().contains("is a Pod, not an Ingress"));
        let broken = review(r#"{"kind":{"kind":"Ingress"},"object":{"spec":"x"}}"#, &[]);
        assert!(
            broken
                .unwrap_err()
                .contains("cannot be read as an Ingress: spec")
        );
        let missing = review(r#"{"kind":{"kind":"Ingress"}}"#, &[]);
        assert!(missing.unwrap_err().contains("no object"));
    }
}
