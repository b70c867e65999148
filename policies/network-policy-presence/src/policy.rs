//! The `network-policy-presence` rules: a pure function from the request, the settings and the
//! NetworkPolicies the cluster holds to a verdict.

use netsec_shared::cluster::list_items;
use netsec_shared::cluster::{Cluster, Resource, is_unknown_resource, unreadable};
use netsec_shared::netpol::families::{
    ADMIN_FIELDS, ADMIN_NETWORK_POLICY, Api, BASELINE_ADMIN_NETWORK_POLICY,
    CALICO_CRD_GLOBAL_NETWORK_POLICY, CALICO_CRD_NETWORK_POLICY, CALICO_FIELDS,
    CALICO_GLOBAL_NETWORK_POLICY, CALICO_NETWORK_POLICY, CILIUM_CLUSTERWIDE_NETWORK_POLICY,
    CILIUM_FIELDS, CILIUM_NETWORK_POLICY, Isolation, Pod, PolicyObject, read_list, read_namespace,
};
use netsec_shared::request::StringMap;
use netsec_shared::review::{WorkloadUnderReview, workload_under_review};
use netsec_shared::workload::{Workload, describe_labels};
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::netpol::{Direction, Effect, NETWORK_POLICY, NETWORK_POLICY_FIELDS, NetworkPolicy};
use crate::settings::{OnMissing, PolicyFamily, Settings};

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
    let answer = if settings.counts(PolicyFamily::Kubernetes) {
        match cluster.list_by_namespace(NETWORK_POLICY, namespace, NETWORK_POLICY_FIELDS) {
            Ok(answer) => answer,
            Err(error) => return unreadable(error),
        }
    } else {
        b"{}".to_vec()
    };
    let policies: Vec<NetworkPolicy> = match list_items(&answer) {
        Ok(policies) => policies,
        Err(error) => return unreadable(error),
    };
    let selecting = match selecting(&policies, labels) {
        Ok(selecting) => selecting,
        Err(error) => return unreadable(format!("the answer is not a readable list: {error}")),
    };
    // The other APIs are read only when NetworkPolicies leave a direction uncovered: most
    // requests then cost one host call, as before.
    let mut isolations = netpol_isolations(&selecting);
    if !uncovered(&isolations, settings).0.is_empty() {
        match other_families(namespace, labels, settings, cluster) {
            Ok(others) => isolations.extend(others),
            Err(why) => {
                return Verdict::reject(format!(
                    "{why}; {} is rejected because its isolation cannot be verified",
                    workload.describe()
                ));
            }
        }
    }
    check(
        &workload,
        namespace,
        policies.len(),
        &selecting,
        &isolations,
        settings,
    )
}

/// The NetworkPolicies that select the pods, each with what it does to them; the error names
/// the policy's place in the list and the field that could not be read.
fn selecting<'p, 'a>(
    policies: &'p [NetworkPolicy<'a>],
    labels: &StringMap<'_>,
) -> Result<Vec<(&'p NetworkPolicy<'a>, Effect)>, String> {
    let mut out = Vec::new();
    for (i, p) in policies.iter().enumerate() {
        if p.selects(labels) {
            let effect = p.effect().map_err(|e| format!("items[{i}].{e}"))?;
            out.push((p, effect));
        }
    }
    Ok(out)
}

/// What the NetworkPolicies that select the pods do to them, told as the other APIs' policies
/// are.
fn netpol_isolations(selecting: &[(&NetworkPolicy<'_>, Effect)]) -> Vec<Isolation> {
    selecting
        .iter()
        .map(|(p, effect)| Isolation {
            policy: format!("{:?}", p.name()),
            ingress: effect.covers(Direction::Ingress),
            egress: effect.covers(Direction::Egress),
            allows_all_ingress: effect.allows_all(Direction::Ingress),
            allows_all_egress: effect.allows_all(Direction::Egress),
        })
        .collect()
}

/// The required directions that no counted policy isolates, and the policies not counted for
/// them because they allow all its traffic (ignoreAllowAll).
fn uncovered(isolations: &[Isolation], settings: &Settings) -> (Vec<Direction>, Vec<String>) {
    let mut uncovered = Vec::new();
    let mut allow_all = Vec::new();
    for &direction in &settings.required_directions {
        let mut counted = false;
        let mut skipped = Vec::new();
        for i in isolations.iter().filter(|i| i.covers(direction)) {
            if settings.ignore_allow_all && i.allows_all(direction) {
                skipped.push(format!("{} allows all {direction} traffic", i.policy));
            } else {
                counted = true;
            }
        }
        if !counted {
            uncovered.push(direction);
            allow_all.append(&mut skipped);
        }
    }
    (uncovered, allow_all)
}

/// One read of a family's policies: namespaced ones in the workload's namespace, cluster-wide
/// ones all.
struct Read {
    resource: Resource<'static>,
    api: Api,
    /// How messages name the kind (`Calico NetworkPolicy`, not to be taken for Kubernetes').
    kind: &'static str,
    clusterwide: bool,
    fields: &'static [&'static str],
}

const fn read(
    resource: Resource<'static>,
    api: Api,
    kind: &'static str,
    clusterwide: bool,
    fields: &'static [&'static str],
) -> Read {
    Read {
        resource,
        api,
        kind,
        clusterwide,
        fields,
    }
}

fn reads(family: PolicyFamily) -> &'static [Read] {
    use Api::{Admin, Calico, Cilium};
    const CILIUM: &[Read] = &[
        read(
            CILIUM_NETWORK_POLICY,
            Cilium,
            "CiliumNetworkPolicy",
            false,
            CILIUM_FIELDS,
        ),
        read(
            CILIUM_CLUSTERWIDE_NETWORK_POLICY,
            Cilium,
            "CiliumClusterwideNetworkPolicy",
            true,
            CILIUM_FIELDS,
        ),
    ];
    const CALICO: &[Read] = &[
        read(
            CALICO_NETWORK_POLICY,
            Calico,
            "Calico NetworkPolicy",
            false,
            CALICO_FIELDS,
        ),
        read(
            CALICO_GLOBAL_NETWORK_POLICY,
            Calico,
            "Calico GlobalNetworkPolicy",
            true,
            CALICO_FIELDS,
        ),
        read(
            CALICO_CRD_NETWORK_POLICY,
            Calico,
            "Calico NetworkPolicy",
            false,
            CALICO_FIELDS,
        ),
        read(
            CALICO_CRD_GLOBAL_NETWORK_POLICY,
            Calico,
            "Calico GlobalNetworkPolicy",
            true,
            CALICO_FIELDS,
        ),
    ];
    const ADMIN: &[Read] = &[
        read(
            ADMIN_NETWORK_POLICY,
            Admin,
            "AdminNetworkPolicy",
            true,
            ADMIN_FIELDS,
        ),
        read(
            BASELINE_ADMIN_NETWORK_POLICY,
            Admin,
            "BaselineAdminNetworkPolicy",
            true,
            ADMIN_FIELDS,
        ),
    ];
    match family {
        PolicyFamily::Kubernetes => &[],
        PolicyFamily::Cilium => CILIUM,
        PolicyFamily::Calico => CALICO,
        PolicyFamily::AdminNetworkPolicy => ADMIN,
    }
}

pub const NAMESPACE: Resource<'static> = Resource {
    api_version: "v1",
    kind: "Namespace",
};

/// The Cilium, Calico and AdminNetworkPolicy policies that select the pods, with what they
/// isolate. A kind whose CRD is not installed has no policies; any other failed read is an
/// error naming the kind.
fn other_families(
    namespace: &str,
    labels: &StringMap<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Vec<Isolation>, String> {
    let mut answers: Vec<(&Read, Vec<u8>)> = Vec::new();
    for family in &settings.count_policy_families {
        for r in reads(*family) {
            let answer = if r.clusterwide {
                cluster.list_all(r.resource, r.fields)
            } else {
                cluster.list_by_namespace(r.resource, namespace, r.fields)
            };
            match answer {
                Ok(bytes) => answers.push((r, bytes)),
                Err(why) if is_unknown_resource(&why) => {}
                Err(why) => return Err(unreadable_kind(r, namespace, &why)),
            }
        }
    }
    let mut lists: Vec<(&Read, Vec<PolicyObject>)> = Vec::new();
    for (r, bytes) in &answers {
        let items = read_list(bytes).map_err(|why| unreadable_kind(r, namespace, &why))?;
        if !items.is_empty() {
            lists.push((r, items));
        }
    }
    if lists.is_empty() {
        return Ok(Vec::new());
    }
    // Namespace labels are read once, only when some policy exists; unreadable, the selectors
    // that need them select nothing.
    let namespace_json = cluster
        .get(NAMESPACE, namespace, None, &["metadata.labels"])
        .ok();
    let namespace_object = namespace_json.as_deref().and_then(read_namespace);
    let pod = Pod {
        labels,
        namespace,
        namespace_labels: namespace_object.as_ref().and_then(PolicyObject::labels),
    };
    let mut out = Vec::new();
    for (r, items) in &lists {
        out.extend(
            items
                .iter()
                .filter_map(|p| p.isolation(r.api, r.kind, r.clusterwide, &pod)),
        );
    }
    Ok(out)
}

fn unreadable_kind(r: &Read, namespace: &str, why: &str) -> String {
    if r.clusterwide {
        format!("the {} objects could not be read: {why}", r.resource)
    } else {
        format!(
            "the {} objects of namespace {namespace:?} could not be read: {why}",
            r.resource
        )
    }
}

/// The rules over a parsed workload, the number of NetworkPolicies of its namespace, those
/// that select its pods and what the policies that select them (of every API read) do to them.
/// A namespace's default deny selects every pod, so it is among `selecting` when there is one.
pub fn check(
    workload: &Workload<'_>,
    namespace: &str,
    policy_count: usize,
    selecting: &[(&NetworkPolicy<'_>, Effect)],
    isolations: &[Isolation],
    settings: &Settings,
) -> Verdict {
    let labels = workload.pod_labels();
    let mut problems = Vec::new();

    let (uncovered, allow_all) = uncovered(isolations, settings);
    if !uncovered.is_empty() {
        problems.push(uncovered_message(
            workload,
            labels,
            namespace,
            policy_count,
            &uncovered,
            &allow_all,
            settings,
        ));
    }

    if settings.require_default_deny {
        let missing: Vec<Direction> = settings
            .required_directions
            .iter()
            .copied()
            .filter(|&d| !selecting.iter().any(|(_, e)| e.is_default_deny(d)))
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
    settings: &Settings,
) -> String {
    let (directions, types) = (join(uncovered), policy_types(uncovered));
    let none = match policy_count {
        _ if !settings.counts(PolicyFamily::Kubernetes) => {
            "NetworkPolicies are not counted (countPolicyFamilies)".to_string()
        }
        0 => format!("namespace {namespace:?} has no NetworkPolicy"),
        1 => format!("the 1 NetworkPolicy of namespace {namespace:?} does not select them"),
        n => format!("none of the {n} NetworkPolicies of namespace {namespace:?} selects them"),
    };
    let families: Vec<&str> = settings
        .count_policy_families
        .iter()
        .filter_map(|f| match f {
            PolicyFamily::Kubernetes => None,
            PolicyFamily::Cilium => Some("Cilium"),
            PolicyFamily::Calico => Some("Calico"),
            PolicyFamily::AdminNetworkPolicy => Some("AdminNetworkPolicy"),
        })
        .collect();
    let families = match families.as_slice() {
        [] => String::new(),
        [one] => format!(", and no {one} policy isolates them"),
        [rest @ .., last] => format!(
            ", and no {} or {last} policy isolates them",
            rest.join(", ")
        ),
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
         by a NetworkPolicy covering {directions}; {none} {for_that}{families}{skipped}. Add a \
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
                "(fail closed) [the answer is not a readable list: items[0].spec.podSelector: invalid type: integer `7`, expected an object"
            ),
            "{message}"
        );
        // Rules are read of the policies that select the pods: broken ones there fail closed,
        // and the rules of a policy selecting other pods say nothing about these.
        let rules = json!([{"ports": {"port": 80}}]);
        let deny = json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]});
        let other = json!({"podSelector": {"matchLabels": {"app": "db"}}, "ingress": rules});
        let cluster = MemoryCluster::new(vec![np("db", "shop", other), np("deny", "shop", deny)]);
        assert!(run(&object, "{}", &cluster).is_accepted());
        let mine = json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": rules});
        let cluster = MemoryCluster::new(vec![
            np("other", "shop", json!({})),
            np("web", "shop", mine),
        ]);
        let message = run(&object, "{}", &cluster).message().unwrap();
        assert!(
            message.contains(
                "(fail closed) [the answer is not a readable list: items[1].spec.ingress[0].ports: invalid type: map, expected a sequence]"
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

    fn obj(api: &str, kind: &str, name: &str, namespace: Option<&str>, spec: Value) -> Value {
        let mut o =
            json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec});
        if let Some(ns) = namespace {
            o["metadata"]["namespace"] = json!(ns);
        }
        o
    }

    fn shop_namespace() -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop", "env": "prod"}}})
    }

    /// (policy objects, pod labels, settings, accepted)
    fn family_table() -> Vec<(&'static str, Vec<Value>, Value, &'static str, bool)> {
        let cnp = |name, spec| {
            obj(
                "cilium.io/v2",
                "CiliumNetworkPolicy",
                name,
                Some("shop"),
                spec,
            )
        };
        let ccnp = |name, spec| {
            obj(
                "cilium.io/v2",
                "CiliumClusterwideNetworkPolicy",
                name,
                None,
                spec,
            )
        };
        let cal = |name, spec| {
            obj(
                "projectcalico.org/v3",
                "NetworkPolicy",
                name,
                Some("shop"),
                spec,
            )
        };
        let gnp = |name, spec| {
            obj(
                "crd.projectcalico.org/v1",
                "GlobalNetworkPolicy",
                name,
                None,
                spec,
            )
        };
        let anp = |name, spec| {
            obj(
                "policy.networking.k8s.io/v1alpha1",
                "AdminNetworkPolicy",
                name,
                None,
                spec,
            )
        };
        let banp = |spec| {
            obj(
                "policy.networking.k8s.io/v1alpha1",
                "BaselineAdminNetworkPolicy",
                "default",
                None,
                spec,
            )
        };
        let web = json!({"app": "web"});
        vec![
            ("cilium both sections", vec![cnp("d", json!({"endpointSelector": {}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", true),
            ("cilium ingress only", vec![cnp("d", json!({"endpointSelector": {}, "ingress": [{}]}))], web.clone(), "{}", false),
            ("cilium empty sections isolate nothing", vec![cnp("d", json!({"endpointSelector": {}, "ingress": [], "egress": []}))], web.clone(), "{}", false),
            ("cilium deny sections", vec![cnp("d", json!({"endpointSelector": {"matchLabels": {"k8s:app": "web"}}, "ingressDeny": [{}], "egressDeny": [{}]}))], web.clone(), "{}", true),
            ("cilium selector misses", vec![cnp("d", json!({"endpointSelector": {"matchLabels": {"app": "db"}}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", false),
            ("cilium reserved source never a pod's", vec![cnp("d", json!({"endpointSelector": {"matchLabels": {"reserved:app": "web"}}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", false),
            ("cilium enableDefaultDeny false", vec![cnp("d", json!({"endpointSelector": {}, "enableDefaultDeny": {"egress": false}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", false),
            ("cilium specs list", vec![cnp("d", json!(null)), cnp("s", json!(null))].into_iter().take(0).chain([json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "s", "namespace": "shop"}, "specs": [{"endpointSelector": {}, "ingress": [{}]}, {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}]})]).collect(), web.clone(), "{}", true),
            ("cilium allow-all entity not counted", vec![cnp("d", json!({"endpointSelector": {}, "ingress": [{}], "egress": [{"toEntities": ["all"]}]}))], web.clone(), "{}", false),
            ("cilium allow-all counted when told", vec![cnp("d", json!({"endpointSelector": {}, "ingress": [{}], "egress": [{"toEntities": ["all"]}]}))], web.clone(), r#"{"ignoreAllowAll":false}"#, true),
            ("cilium policy of another namespace", vec![obj("cilium.io/v2", "CiliumNetworkPolicy", "d", Some("other"), json!({"endpointSelector": {}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", false),
            ("clusterwide by namespace label", vec![ccnp("d", json!({"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "shop"}}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", true),
            ("clusterwide for another namespace", vec![ccnp("d", json!({"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", false),
            ("clusterwide by namespace labels", vec![ccnp("d", json!({"endpointSelector": {"matchExpressions": [{"key": "io.cilium.k8s.namespace.labels.env", "operator": "In", "values": ["prod"]}]}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", true),
            ("clusterwide node selector", vec![ccnp("d", json!({"nodeSelector": {}, "ingress": [{}], "egress": [{}]}))], web.clone(), "{}", false),
            ("calico default types", vec![cal("i", json!({"selector": "app == 'web'"})), cal("e", json!({"selector": "all()", "egress": [{"action": "Allow", "destination": {"ports": [53]}}]}))], web.clone(), "{}", true),
            ("calico ingress rules only", vec![cal("i", json!({"selector": "has(app)", "ingress": [{"action": "Deny"}]}))], web.clone(), "{}", false),
            ("calico types both", vec![cal("d", json!({"selector": "app in {'web', 'api'} && !has(legacy)", "types": ["Ingress", "Egress"]}))], web.clone(), "{}", true),
            ("calico selector misses", vec![cal("d", json!({"selector": "app starts with 'we' && tier == 'x'", "types": ["Ingress", "Egress"]}))], web.clone(), "{}", false),
            ("calico unparsable selector", vec![cal("d", json!({"selector": "app = 'web'", "types": ["Ingress", "Egress"]}))], web.clone(), "{}", false),
            ("calico allow-all not counted", vec![cal("d", json!({"types": ["Ingress", "Egress"], "ingress": [{"action": "Allow"}]}))], web.clone(), "{}", false),
            ("calico global by namespace", vec![gnp("d", json!({"selector": "all()", "namespaceSelector": "env == 'prod'", "types": ["Ingress", "Egress"]}))], web.clone(), "{}", true),
            ("calico global other namespaces", vec![gnp("d", json!({"namespaceSelector": "projectcalico.org/name != 'shop'", "types": ["Ingress", "Egress"]}))], web.clone(), "{}", false),
            ("calico global service accounts", vec![gnp("d", json!({"serviceAccountSelector": "role == 'x'", "types": ["Ingress", "Egress"]}))], web.clone(), "{}", false),
            ("anp deny all", vec![anp("d", json!({"priority": 10, "subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}], "egress": [{"action": "Deny", "to": [{"namespaces": {}}, {"networks": ["0.0.0.0/0", "::/0"]}]}]}))], web.clone(), "{}", true),
            ("anp egress to pods only", vec![anp("d", json!({"subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}], "egress": [{"action": "Deny", "to": [{"namespaces": {}}]}]}))], web.clone(), "{}", false),
            ("anp pass is not isolation", vec![anp("d", json!({"subject": {"namespaces": {}}, "ingress": [{"action": "Pass", "from": [{"namespaces": {}}]}]}))], web.clone(), r#"{"requiredDirections":["Ingress"]}"#, false),
            ("banp by pod subject", vec![banp(json!({"subject": {"pods": {"namespaceSelector": {"matchLabels": {"env": "prod"}}, "podSelector": {"matchLabels": {"app": "web"}}}}, "ingress": [{"action": "Deny", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {}}}]}]}))], web.clone(), r#"{"requiredDirections":["Ingress"]}"#, true),
            ("banp subject misses", vec![banp(json!({"subject": {"namespaces": {"matchLabels": {"env": "dev"}}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}))], web.clone(), r#"{"requiredDirections":["Ingress"]}"#, false),
            ("family not counted", vec![cnp("d", json!({"endpointSelector": {}, "ingress": [{}], "egress": [{}]}))], web.clone(), r#"{"countPolicyFamilies":["Kubernetes","Calico"]}"#, false),
        ]
    }

    #[test]
    fn other_families_table() {
        for (why, objects, labels, settings, accepted) in family_table() {
            let mut objects = objects;
            objects.push(shop_namespace());
            let cluster = MemoryCluster::new(objects);
            let v = run(&deployment(labels), settings, &cluster);
            assert_eq!(v.is_accepted(), accepted, "{why}: {v:?}");
        }
    }

    #[test]
    fn clusters_without_the_crds() {
        use netsec_shared::netpol::families::*;
        let cluster = MemoryCluster::new(vec![np(
            "all",
            "shop",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        )])
        .without(CILIUM_NETWORK_POLICY)
        .without(CILIUM_CLUSTERWIDE_NETWORK_POLICY)
        .without(CALICO_NETWORK_POLICY)
        .without(CALICO_GLOBAL_NETWORK_POLICY)
        .without(CALICO_CRD_NETWORK_POLICY)
        .without(CALICO_CRD_GLOBAL_NETWORK_POLICY)
        .without(ADMIN_NETWORK_POLICY)
        .without(BASELINE_ADMIN_NETWORK_POLICY);
        let object = deployment(json!({"app": "web"}));
        assert!(run(&object, "{}", &cluster).is_accepted());
        let v = run(
            &deployment(json!({"app": "web"})),
            r#"{"requiredDirections":["Ingress"],"countPolicyFamilies":["Cilium"]}"#,
            &cluster,
        );
        let m = v.message().unwrap();
        assert!(m.contains("NetworkPolicies are not counted (countPolicyFamilies) for that direction, and no Cilium policy isolates them"), "{m}");
        // A failure other than an unknown resource is not "none".
        let broken = MemoryCluster::failing("host call failed: connection refused");
        let m = run(&object, r#"{"countPolicyFamilies":["Calico"]}"#, &broken)
            .message()
            .unwrap();
        assert!(m.contains("the projectcalico.org/v3/NetworkPolicy objects of namespace \"shop\" could not be read: host call failed"), "{m}");
    }
}
