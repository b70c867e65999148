//! The `network-policy-presence` rules: a pure function from the request, the settings and the
//! NetworkPolicies the cluster holds to a verdict.

use netsec_shared::cluster::{Cluster, list_items, unreadable};
use netsec_shared::request::StringMap;
use netsec_shared::review::{WorkloadUnderReview, workload_under_review};
use netsec_shared::workload::{Workload, describe_labels};
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::netpol::{Direction, NETWORK_POLICY, NETWORK_POLICY_FIELDS, NetworkPolicy};
use crate::settings::{OnMissing, Settings};

pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    let review = workload_under_review(
        request,
        &settings.exempt_namespaces,
        "its NetworkPolicies cannot be looked up",
    );
    let WorkloadUnderReview {
        workload,
        namespace,
    } = match review {
        Ok(Some(review)) => review,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let namespace = namespace.as_str();
    let labels = workload.pod_labels();
    if settings
        .exempt_workloads
        .as_ref()
        .is_some_and(|s| s.matches(labels))
    {
        return Verdict::accept();
    }

    let unreadable = |error: String| {
        Verdict::reject(unreadable(
            format_args!("the NetworkPolicies of namespace {namespace:?}"),
            "the isolation of its pods cannot be verified",
            workload.describe(),
            &error,
        ))
    };
    let answer = match cluster.list_by_namespace(NETWORK_POLICY, namespace, NETWORK_POLICY_FIELDS) {
        Ok(answer) => answer,
        Err(error) => return unreadable(error),
    };
    let policies: Vec<NetworkPolicy> = match list_items(&answer) {
        Ok(policies) => policies,
        Err(error) => return unreadable(error),
    };
    check(&workload, namespace, &policies, settings)
}

/// The rules over a parsed workload and the NetworkPolicies of its namespace.
pub fn check(
    workload: &Workload<'_>,
    namespace: &str,
    policies: &[NetworkPolicy<'_>],
    settings: &Settings,
) -> Verdict {
    let labels = workload.pod_labels();
    let mut problems = Vec::new();

    let mut uncovered = Vec::new();
    let mut allow_all = Vec::new();
    for &direction in &settings.required_directions {
        let selecting: Vec<&NetworkPolicy> = policies
            .iter()
            .filter(|p| p.spec().covers(direction) && p.spec().selects(labels))
            .collect();
        let counted = selecting
            .iter()
            .filter(|p| !(settings.ignore_allow_all && p.spec().allows_all(direction)))
            .count();
        if counted == 0 {
            uncovered.push(direction);
            allow_all.extend(
                selecting
                    .iter()
                    .map(|p| format!("{:?} allows all {direction} traffic", p.name())),
            );
        }
    }
    if !uncovered.is_empty() {
        problems.push(uncovered_message(
            workload,
            labels,
            namespace,
            policies.len(),
            &uncovered,
            &allow_all,
        ));
    }

    if settings.require_default_deny {
        let missing: Vec<Direction> = settings
            .required_directions
            .iter()
            .copied()
            .filter(|&d| !policies.iter().any(|p| p.spec().is_default_deny(d)))
            .collect();
        if !missing.is_empty() {
            problems.push(default_deny_message(workload, namespace, &missing));
        }
    }

    let mut findings = Findings::new();
    if workload.pod_spec.host_network {
        findings.warn(format!(
            "{} runs its pods with hostNetwork: true; NetworkPolicies do not apply to pods on \
             the node's network, so whatever policies select them, their traffic is not isolated",
            workload.describe()
        ));
    }
    for problem in problems {
        match settings.on_missing {
            OnMissing::Reject => findings.violation("", problem),
            OnMissing::Warn => findings.warn(format!(
                "{problem} (accepted because onMissing is warn; the pods run unisolated until \
                 such a policy exists)"
            )),
        }
    }
    findings.into_verdict()
}

fn uncovered_message(
    workload: &Workload<'_>,
    labels: &StringMap<'_>,
    namespace: &str,
    policy_count: usize,
    uncovered: &[Direction],
    allow_all: &[String],
) -> String {
    let (directions, types) = (join(uncovered), policy_types(uncovered));
    let none = match policy_count {
        0 => format!("namespace {namespace:?} has no NetworkPolicy"),
        1 => format!("the 1 NetworkPolicy of namespace {namespace:?} does not select them"),
        n => format!("none of the {n} NetworkPolicies of namespace {namespace:?} selects them"),
    };
    let for_that = if uncovered.len() == 1 {
        "for that direction"
    } else {
        "for those directions"
    };
    let skipped = if allow_all.is_empty() {
        String::new()
    } else {
        format!(
            " (not counted, as ignoreAllowAll is set: {})",
            allow_all.join(", ")
        )
    };
    let labels = if labels.is_empty() {
        "no labels".to_string()
    } else {
        format!("labels {{{}}}", describe_labels(labels))
    };
    format!(
        "{} is not isolated for {directions}: its pods, with {labels} at {}, are not selected \
         by a NetworkPolicy covering {directions}; {none} {for_that}{skipped}. Add a \
         NetworkPolicy whose spec.podSelector matches these labels with policyTypes [{types}], \
         or a default deny for the namespace (podSelector: {{}}), which covers every pod",
        workload.describe(),
        workload.kind.labels_path(),
    )
}

fn default_deny_message(workload: &Workload<'_>, namespace: &str, missing: &[Direction]) -> String {
    let (directions, types) = (join(missing), policy_types(missing));
    let fields = missing
        .iter()
        .map(|d| d.field())
        .collect::<Vec<_>>()
        .join(" and ");
    format!(
        "namespace {namespace:?} of {} has no default-deny NetworkPolicy for {directions}, \
         which requireDefaultDeny asks for; add one with podSelector: {{}}, policyTypes \
         [{types}] and no {fields} rules",
        workload.describe()
    )
}

/// `Ingress`, `Ingress and Egress`, for sentences.
fn join(directions: &[Direction]) -> String {
    let names: Vec<&str> = directions.iter().map(|d| d.name()).collect();
    names.join(" and ")
}

/// `Ingress, Egress`, as a `policyTypes` list is written.
fn policy_types(directions: &[Direction]) -> String {
    let names: Vec<&str> = directions.iter().map(|d| d.name()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use netsec_shared::settings::parse_settings;
    use serde_json::{Value, json};

    fn np(name: &str, namespace: &str, spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": name, "namespace": namespace}, "spec": spec})
    }

    fn deployment(labels: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"template": {"metadata": {"labels": labels}, "spec": {}}}})
    }

    fn run(object: &Value, settings: &str, cluster: &MemoryCluster) -> Verdict {
        run_op(object, "CREATE", settings, cluster)
    }

    fn run_op(object: &Value, op: &str, settings: &str, cluster: &MemoryCluster) -> Verdict {
        let kind = object["kind"].as_str().unwrap_or_default();
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
        let body = if op == "DELETE" {
            "oldObject"
        } else {
            "object"
        };
        let payload = json!({"request": {"operation": op, "kind": {"kind": kind},
                                          "namespace": namespace, body: object},
                             "settings": {}})
        .to_string();
        let p = Payload::<Value>::parse(payload.as_bytes()).unwrap();
        let settings: Settings = parse_settings(settings.as_bytes()).unwrap();
        evaluate(&p.request, &settings, cluster)
    }

    fn web_policies() -> MemoryCluster {
        MemoryCluster::new(vec![
            np(
                "web-in",
                "shop",
                json!({"podSelector": {"matchLabels": {"app": "web"}},
                                           "ingress": [{"from": [{"podSelector": {}}]}]}),
            ),
            np(
                "all-out",
                "shop",
                json!({"podSelector": {}, "policyTypes": ["Egress"],
                                           "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}),
            ),
            np(
                "elsewhere",
                "other",
                json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            ),
        ])
    }

    #[test]
    fn coverage_table() {
        // (labels, settings, accepted, message substrings)
        let cases: &[(Value, &str, bool, &[&str])] = &[
            (json!({"app": "web"}), "{}", true, &[]),
            (
                json!({"app": "db"}),
                "{}",
                false,
                &[
                    "Deployment \"web\" is not isolated for Ingress:",
                    "labels {app=db} at spec.template.metadata.labels",
                    "none of the 2 NetworkPolicies of namespace \"shop\" selects them for that direction",
                    "policyTypes [Ingress]",
                ],
            ),
            (
                json!({"app": "db"}),
                r#"{"requiredDirections":["Egress"]}"#,
                true,
                &[],
            ),
            (
                json!(null),
                "{}",
                false,
                &[
                    "with no labels at spec.template.metadata.labels",
                    "not isolated for Ingress:",
                ],
            ),
            (
                json!({"app": "web"}),
                r#"{"requireDefaultDeny":true}"#,
                false,
                &[
                    // "all-out" selects every pod but allows DNS: not a default deny.
                    "namespace \"shop\" of Deployment \"web\" has no default-deny NetworkPolicy for Ingress and Egress,",
                    "policyTypes [Ingress, Egress] and no ingress and egress rules",
                ],
            ),
            (
                json!({"app": "web"}),
                r#"{"requireDefaultDeny":true,"requiredDirections":["Egress"]}"#,
                false,
                &["has no default-deny NetworkPolicy for Egress,"],
            ),
        ];
        for (labels, settings, accepted, messages) in cases {
            let v = run(&deployment(labels.clone()), settings, &web_policies());
            assert_eq!(v.is_accepted(), *accepted, "{labels} {settings}: {v:?}");
            let message = v.message().unwrap_or_default();
            for m in *messages {
                assert!(message.contains(m), "{labels} {settings}: {message}");
            }
        }
    }

    #[test]
    fn default_deny_satisfies_both_requirements() {
        let cluster = MemoryCluster::new(vec![
            np(
                "deny-in",
                "shop",
                json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []}),
            ),
            np(
                "deny-out",
                "shop",
                json!({"podSelector": null, "policyTypes": ["Egress"]}),
            ),
        ]);
        let object = deployment(json!({"app": "web"}));
        assert!(run(&object, r#"{"requireDefaultDeny":true}"#, &cluster).is_accepted());
        let half = MemoryCluster::new(vec![np(
            "deny-in",
            "shop",
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        )]);
        let v = run(&object, r#"{"requireDefaultDeny":true}"#, &half);
        let message = v.message().unwrap();
        assert!(message.contains("not isolated for Egress:"), "{message}");
        assert!(
            message.contains("default-deny NetworkPolicy for Egress,"),
            "{message}"
        );
    }

    #[test]
    fn allow_all_is_not_coverage_unless_told() {
        let cluster = MemoryCluster::new(vec![np(
            "open",
            "shop",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                   "ingress": [{}], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
        )]);
        let object = deployment(json!({"app": "web"}));
        let v = run(&object, "{}", &cluster);
        let message = v.message().unwrap();
        assert!(
            message.contains("not isolated for Ingress and Egress"),
            "{message}"
        );
        assert!(
            message.contains(
                "not counted, as ignoreAllowAll is set: \"open\" allows all Ingress traffic, \"open\" allows all Egress traffic"
            ),
            "{message}"
        );
        assert!(
            message.contains("the 1 NetworkPolicy of namespace"),
            "{message}"
        );
        assert!(run(&object, r#"{"ignoreAllowAll":false}"#, &cluster).is_accepted());
    }

    #[test]
    fn warn_mode_accepts_with_the_same_advice() {
        let v = run(
            &deployment(json!({"app": "web"})),
            r#"{"onMissing":"warn"}"#,
            &MemoryCluster::default(),
        );
        assert!(v.is_accepted());
        let w = v.warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("namespace \"shop\" has no NetworkPolicy for those directions"));
        assert!(w[0].contains("accepted because onMissing is warn"));
    }

    #[test]
    fn failed_reads_reject() {
        let object = deployment(json!({"app": "web"}));
        let v = run(
            &object,
            r#"{"onMissing":"warn"}"#,
            &MemoryCluster::failing("  refused\n\nStack backtrace:\n  0: x"),
        );
        assert_eq!(
            v.message().unwrap(),
            "the NetworkPolicies of namespace \"shop\" could not be read, so the isolation of \
             its pods cannot be verified; Deployment \"web\" is rejected (fail closed) [refused]"
        );
        let broken = MemoryCluster::new(vec![np("bad", "shop", json!({"podSelector": 7}))]);
        let message = run(&object, "{}", &broken).message().unwrap();
        assert!(
            message.contains(
                "(fail closed) [the answer is not a readable list: items[0].spec.podSelector: invalid type: integer `7`, expected struct LabelSelector"
            ),
            "{message}"
        );
    }

    #[test]
    fn exemptions_and_operations() {
        let empty = MemoryCluster::failing("must not be called");
        let object = deployment(json!({"app": "web", "team": "infra"}));
        let exempt_ns = json!({"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "p", "namespace": "kube-system"}});
        assert!(run(&exempt_ns, "{}", &empty).is_accepted());
        let exempt = r#"{"exemptWorkloads":{"matchExpressions":[{"key":"team","operator":"In","values":["infra"]}]}}"#;
        assert!(run(&object, exempt, &empty).is_accepted());
        assert!(run_op(&object, "DELETE", "{}", &empty).is_accepted());
        assert!(!run_op(&object, "UPDATE", "{}", &empty).is_accepted());
        let mut terminating = object.clone();
        terminating["metadata"]["deletionTimestamp"] = json!("2026-11-26T10:00:00Z");
        assert!(run_op(&terminating, "UPDATE", "{}", &empty).is_accepted());
        let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "shop"}});
        assert!(run(&service, "{}", &empty).is_accepted());
    }

    #[test]
    fn host_network_warns() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "p", "namespace": "shop", "labels": {"app": "web"}},
                         "spec": {"hostNetwork": true}});
        let cluster = MemoryCluster::new(vec![np(
            "deny",
            "shop",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        )]);
        let v = run(&pod, "{}", &cluster);
        assert!(v.is_accepted());
        assert!(v.warnings()[0].contains("Pod \"p\" runs its pods with hostNetwork: true"));
    }

    #[test]
    fn unreadable_objects_and_requests_reject() {
        let cluster = MemoryCluster::default();
        let no_template = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                 "metadata": {"name": "web", "namespace": "shop"}, "spec": {}});
        let m = run(&no_template, "{}", &cluster).message().unwrap();
        assert!(m.contains("it has no spec.template"), "{m}");
        let no_ns = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        let m = run(&no_ns, "{}", &cluster).message().unwrap();
        assert!(m.contains("names no namespace"), "{m}");
        let no_kind = json!({"metadata": {"name": "p", "namespace": "shop"}});
        let m = run(&no_kind, "{}", &cluster).message().unwrap();
        assert!(m.contains("names no kind"), "{m}");
    }
}
