//! The default deny of meshed workloads: a workload whose pods join the mesh must not be open to
//! every caller because nothing authorizes anything for it.
//!
//! - Istio: a workload that no ALLOW policy applies to accepts every request
//!   (istio/istio `pilot/pkg/security/authz/builder`: with no ALLOW policy no ALLOW RBAC filter is
//!   built). It is covered by an allow-nothing policy (`spec: {}`) or by ALLOW policies that
//!   apply to it, in its namespace or in the root namespace, as long as none of those has a
//!   rule matching every request; a DENY policy with such a rule covers it too. Dry-run
//!   policies and policies attached by `targetRef` do not count.
//! - Linkerd: a port no Server selects follows the default inbound policy (the pod's
//!   `config.linkerd.io/default-inbound-policy`, else its namespace's, else the cluster's). When
//!   that admits unauthenticated clients, a Server must select the pods.
//!
//! Whether the pods are meshed is the shared notion of `mesh-injection`
//! ([`netsec_shared::mesh::pods_meshed`]), over the Namespace read once.

use netsec_shared::cluster::{Cluster, Resource, list_items};
use netsec_shared::mesh::{self, LINKERD_INBOUND_POLICY, Mesh, Namespace};
use netsec_shared::request::StringMap;
use netsec_shared::review::{WorkloadUnderReview, workload_under_review};
use netsec_shared::workload::{Workload, describe_labels};
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::istio::{self, Action, AuthorizationPolicy};
use crate::linkerd::{self, SERVER, SERVER_FIELDS};
use crate::object::MeshObject;
use crate::settings::{Mode, Settings};

/// AuthorizationPolicies, as listed: v1beta1 is served by every Istio that has the kind.
pub const AUTHORIZATION_POLICY: Resource = Resource {
    api_version: "security.istio.io/v1beta1",
    kind: "AuthorizationPolicy",
};

/// What the coverage reads of the listed policies: names for messages, the dry-run annotation,
/// what they attach to, their action and the shape of their rules.
pub const AUTHORIZATION_POLICY_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.annotations",
    "spec.selector",
    "spec.targetRef",
    "spec.targetRefs",
    "spec.action",
    "spec.rules",
];

pub fn check_workload(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    if !settings.require_default_deny || !(settings.istio || settings.linkerd) {
        return Verdict::accept();
    }
    let review = workload_under_review(
        request,
        &settings.exempt_namespaces,
        "its authorization policies cannot be looked up",
    );
    let WorkloadUnderReview {
        workload,
        namespace,
    } = match review {
        Ok(Some(review)) => review,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let unreadable = |what: &str, why: String| {
        Verdict::reject(format!(
            "{what} could not be read ({why}), so the default deny of {} cannot be verified; it \
             is rejected until it can be",
            workload.describe()
        ))
    };
    let bytes = match mesh::read_namespace(cluster, &namespace) {
        Ok(bytes) => bytes,
        Err(why) => return unreadable(&format!("the Namespace {namespace:?}"), why),
    };
    let ns = match mesh::parse_namespace(&bytes) {
        Ok(ns) => ns,
        Err(why) => return unreadable(&format!("the Namespace {namespace:?}"), why),
    };
    let labels = workload.pod_labels();
    let annotations = workload.pod_annotations();
    let meshed = |m: Mesh| {
        mesh::pods_meshed(
            m,
            &ns.metadata.labels,
            &ns.metadata.annotations,
            labels,
            annotations,
            &[],
        )
    };
    let mut findings = Findings::new();
    if settings.istio && (meshed(Mesh::Istio) || meshed(Mesh::IstioAmbient)) {
        match istio_gap(&workload, &namespace, settings, cluster) {
            Ok(None) => {}
            Ok(Some(gap)) => missing(&mut findings, settings, gap),
            Err((what, why)) => return unreadable(&what, why),
        }
    }
    if settings.linkerd && meshed(Mesh::Linkerd) {
        match linkerd_gap(&workload, &namespace, &ns, settings, cluster) {
            Ok(None) => {}
            Ok(Some(gap)) => missing(&mut findings, settings, gap),
            Err((what, why)) => return unreadable(&what, why),
        }
    }
    findings.into_verdict()
}

fn missing(findings: &mut Findings, settings: &Settings, gap: String) {
    match settings.on_missing {
        Mode::Reject => findings.violation("", gap),
        Mode::Warn => findings.warn(format!(
            "{gap} (accepted because onMissing is warn; every caller reaches the pods until \
             then)"
        )),
    }
}

type Unreadable = (String, String);

/// The AuthorizationPolicies of `namespace` as the host answers them.
fn list_policies(cluster: &dyn Cluster, namespace: &str) -> Result<Vec<u8>, Unreadable> {
    cluster
        .list_by_namespace(AUTHORIZATION_POLICY, namespace, AUTHORIZATION_POLICY_FIELDS)
        .map_err(|why| (policies_of(namespace), why))
}

fn read_policies<'b>(
    bytes: &'b [u8],
    namespace: &str,
) -> Result<Vec<AuthorizationPolicy<'b>>, Unreadable> {
    list_items(bytes).map_err(|why| (policies_of(namespace), why))
}

fn policies_of(namespace: &str) -> String {
    format!("the AuthorizationPolicies of namespace {namespace:?}")
}

/// Why an Istio-meshed workload has no default deny, if it has none.
fn istio_gap(
    workload: &Workload<'_>,
    namespace: &str,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Option<String>, Unreadable> {
    let root = settings.root_namespace.as_str();
    let own_bytes = list_policies(cluster, namespace)?;
    let own = read_policies(&own_bytes, namespace)?;
    let root_bytes = if root == namespace {
        Vec::new()
    } else {
        list_policies(cluster, root)?
    };
    let rooted = if root_bytes.is_empty() {
        Vec::new()
    } else {
        read_policies(&root_bytes, root)?
    };
    let labels = workload.pod_labels();
    let mut allowing = 0;
    let mut allow_all = Vec::new();
    for (ns, policy) in own
        .iter()
        .map(|p| (namespace, p))
        .chain(rooted.iter().map(|p| (root, p)))
    {
        let spec = policy.spec();
        if istio::dry_run(policy) || !istio::selects(spec, labels) {
            continue;
        }
        let match_all = istio::has_match_all_rule(spec);
        match istio::action(spec) {
            Ok(Action::Allow) if match_all => allow_all.push(format!("{ns}/{}", policy.name())),
            Ok(Action::Allow) => allowing += 1,
            Ok(Action::Deny) if match_all => return Ok(None),
            _ => {}
        }
    }
    if allowing > 0 && allow_all.is_empty() {
        return Ok(None);
    }
    let why = if allow_all.is_empty() {
        format!(
            "no ALLOW AuthorizationPolicy of namespace {namespace:?} or of the root namespace \
             {root:?} applies to its pods, so Istio lets every caller in"
        )
    } else {
        format!(
            "the ALLOW AuthorizationPolicies {} that apply to its pods have a rule that matches \
             every request, so Istio lets every caller in",
            allow_all.join(", ")
        )
    };
    Ok(Some(format!(
        "{} is in the Istio mesh without a default deny: {why}; add an allow-nothing \
         AuthorizationPolicy (spec: {{}}) to namespace {namespace:?} or {root:?}, or ALLOW \
         policies whose spec.selector matches its pod labels ({} at {})",
        workload.describe(),
        describe_labels(labels),
        workload.kind.labels_path()
    )))
}

/// Why a Linkerd-meshed workload is open to unauthenticated clients, if it is.
fn linkerd_gap(
    workload: &Workload<'_>,
    namespace: &str,
    ns: &Namespace<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Option<String>, Unreadable> {
    let pod_policy = workload.pod_annotations().get(LINKERD_INBOUND_POLICY);
    let ns_policy = ns.metadata.annotations.get(LINKERD_INBOUND_POLICY);
    let (policy, from) = match (pod_policy, ns_policy) {
        (Some(p), _) => (p.as_ref(), "its pods' annotation"),
        (None, Some(p)) => (p.as_ref(), "its Namespace's annotation"),
        (None, None) => (
            settings.linkerd_cluster_default_policy.as_str(),
            "the cluster default (linkerdClusterDefaultPolicy)",
        ),
    };
    if !linkerd::admits_unauthenticated(policy) {
        return Ok(None);
    }
    let what = || format!("the Servers of namespace {namespace:?}");
    let bytes = cluster
        .list_by_namespace(SERVER, namespace, SERVER_FIELDS)
        .map_err(|why| (what(), why))?;
    let servers: Vec<MeshObject> = list_items(&bytes).map_err(|why| (what(), why))?;
    let labels: &StringMap = workload.pod_labels();
    let selected = servers.iter().any(|s| {
        s.spec()
            .pod_selector
            .as_ref()
            .is_some_and(|sel| sel.matches(labels))
    });
    if selected {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} is in the Linkerd mesh with the default inbound policy {policy:?} (from {from}), \
         which admits clients without a mesh identity, and no Server of namespace \
         {namespace:?} selects its pods ({}); add Servers with AuthorizationPolicies for its \
         ports, or set {LINKERD_INBOUND_POLICY} to \"deny\"",
        workload.describe(),
        describe_labels(labels)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use netsec_shared::settings::parse_settings;
    use serde_json::{Value, json};

    fn namespace(name: &str, labels: Value, annotations: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": labels, "annotations": annotations}})
    }

    fn ap(name: &str, ns: &str, spec: Value) -> Value {
        json!({"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    }

    fn deployment(labels: Value, annotations: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"template": {"metadata": {"labels": labels, "annotations": annotations},
                                     "spec": {}}}})
    }

    fn run(object: &Value, settings: &str, cluster: Vec<Value>) -> Verdict {
        let payload = json!({"request": {"operation": "CREATE",
            "kind": {"group": "apps", "kind": "Deployment"}, "namespace": "shop", "object": object}})
        .to_string();
        let p = Payload::<Value>::parse(payload.as_bytes()).unwrap();
        let settings: Settings = parse_settings(settings.as_bytes()).unwrap();
        check_workload(&p.request, &settings, &MemoryCluster::new(cluster))
    }

    fn istio_ns() -> Value {
        namespace("shop", json!({"istio-injection": "enabled"}), json!({}))
    }

    #[test]
    fn istio_coverage_table() {
        let web = deployment(json!({"app": "web"}), json!({}));
        let cases: Vec<(Vec<Value>, bool, &str)> = vec![
            (
                vec![istio_ns()],
                false,
                "Deployment \"web\" is in the Istio mesh without a default deny: no ALLOW AuthorizationPolicy of namespace \"shop\" or of the root namespace \"istio-system\" applies to its pods",
            ),
            (
                vec![istio_ns(), ap("allow-nothing", "shop", json!({}))],
                true,
                "",
            ),
            (
                vec![istio_ns(), ap("allow-nothing", "istio-system", json!({}))],
                true,
                "",
            ),
            (
                vec![istio_ns(), ap("allow-nothing", "other", json!({}))],
                false,
                "no ALLOW",
            ),
            (
                vec![
                    istio_ns(),
                    ap(
                        "web",
                        "shop",
                        json!({"selector": {"matchLabels": {"app": "web"}},
                "rules": [{"from": [{"source": {"namespaces": ["front"]}}]}]}),
                    ),
                ],
                true,
                "",
            ),
            (
                vec![
                    istio_ns(),
                    ap(
                        "db",
                        "shop",
                        json!({"selector": {"matchLabels": {"app": "db"}}}),
                    ),
                ],
                false,
                "no ALLOW",
            ),
            (
                vec![
                    istio_ns(),
                    ap("allow-nothing", "shop", json!({})),
                    ap("open", "shop", json!({"rules": [{}]})),
                ],
                false,
                "the ALLOW AuthorizationPolicies shop/open that apply to its pods have a rule that matches every request",
            ),
            (
                vec![
                    istio_ns(),
                    ap(
                        "deny-all",
                        "istio-system",
                        json!({"action": "DENY", "rules": [{}]}),
                    ),
                ],
                true,
                "",
            ),
            (
                vec![
                    istio_ns(),
                    ap(
                        "deny-some",
                        "shop",
                        json!({"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/a"]}}]}]}),
                    ),
                ],
                false,
                "no ALLOW",
            ),
            (
                vec![
                    istio_ns(),
                    json!({"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
                "metadata": {"name": "dry", "namespace": "shop", "annotations": {"istio.io/dry-run": "true"}}, "spec": {}}),
                ],
                false,
                "no ALLOW",
            ),
            (
                vec![
                    istio_ns(),
                    ap(
                        "gw",
                        "shop",
                        json!({"targetRefs": [{"kind": "Gateway", "name": "x"}]}),
                    ),
                ],
                false,
                "no ALLOW",
            ),
            (
                vec![
                    istio_ns(),
                    ap("audit", "shop", json!({"action": "AUDIT", "rules": [{}]})),
                ],
                false,
                "no ALLOW",
            ),
            // Not meshed: nothing to require.
            (vec![namespace("shop", json!({}), json!({}))], true, ""),
            (
                vec![namespace(
                    "shop",
                    json!({"istio.io/dataplane-mode": "ambient"}),
                    json!({}),
                )],
                false,
                "in the Istio mesh",
            ),
            (
                vec![namespace(
                    "shop",
                    json!({"istio.io/rev": "canary"}),
                    json!({}),
                )],
                false,
                "in the Istio mesh",
            ),
        ];
        for (cluster, accepted, text) in cases {
            let v = run(&web, "{}", cluster.clone());
            assert_eq!(v.is_accepted(), accepted, "{cluster:?}: {v:?}");
            assert!(
                v.message().unwrap_or_default().contains(text),
                "{cluster:?}: {v:?}"
            );
        }
        // Pods that opt in on their own, in a namespace without labels.
        let opted = deployment(
            json!({"app": "web", "sidecar.istio.io/inject": "true"}),
            json!({}),
        );
        assert!(!run(&opted, "{}", vec![namespace("shop", json!({}), json!({}))]).is_accepted());
    }

    #[test]
    fn istio_settings_and_failures() {
        let web = deployment(json!({"app": "web"}), json!({}));
        let v = run(&web, r#"{"onMissing": "warn"}"#, vec![istio_ns()]);
        assert!(v.is_accepted() && v.warnings()[0].contains("accepted because onMissing is warn"));
        assert!(run(&web, r#"{"requireDefaultDeny": false}"#, vec![]).is_accepted());
        assert!(run(&web, r#"{"istio": false}"#, vec![istio_ns()]).is_accepted());
        assert!(
            run(
                &web,
                r#"{"rootNamespace": "mesh-root"}"#,
                vec![istio_ns(), ap("allow-nothing", "mesh-root", json!({}))]
            )
            .is_accepted()
        );
        let m = run(&web, "{}", vec![]).message().unwrap();
        assert!(
            m.contains("the Namespace \"shop\" could not be read"),
            "{m}"
        );
        let bad = ap("bad", "shop", json!({"selector": 7}));
        let m = run(&web, "{}", vec![istio_ns(), bad]).message().unwrap();
        assert!(
            m.contains("the AuthorizationPolicies of namespace \"shop\" could not be read"),
            "{m}"
        );
    }

    fn server(name: &str, selector: Value) -> Value {
        json!({"apiVersion": "policy.linkerd.io/v1beta1", "kind": "Server",
               "metadata": {"name": name, "namespace": "shop"},
               "spec": {"podSelector": selector, "port": 8080}})
    }

    #[test]
    fn linkerd_servers() {
        let linkerd_ns = |policy: Option<&str>| {
            let mut annotations = json!({"linkerd.io/inject": "enabled"});
            if let Some(p) = policy {
                annotations["config.linkerd.io/default-inbound-policy"] = json!(p);
            }
            namespace("shop", json!({}), annotations)
        };
        let web = deployment(json!({"app": "web"}), json!({}));
        let m = run(&web, "{}", vec![linkerd_ns(None)]).message().unwrap();
        assert!(m.contains("Deployment \"web\" is in the Linkerd mesh with the default inbound policy \"all-unauthenticated\" (from the cluster default (linkerdClusterDefaultPolicy))"), "{m}");
        assert!(
            run(
                &web,
                "{}",
                vec![
                    linkerd_ns(None),
                    server("web", json!({"matchLabels": {"app": "web"}}))
                ]
            )
            .is_accepted()
        );
        assert!(
            !run(
                &web,
                "{}",
                vec![
                    linkerd_ns(None),
                    server("db", json!({"matchLabels": {"app": "db"}}))
                ]
            )
            .is_accepted()
        );
        assert!(run(&web, "{}", vec![linkerd_ns(Some("deny"))]).is_accepted());
        assert!(run(&web, "{}", vec![linkerd_ns(Some("all-authenticated"))]).is_accepted());
        assert!(
            run(
                &web,
                r#"{"linkerdClusterDefaultPolicy": "deny"}"#,
                vec![linkerd_ns(None)]
            )
            .is_accepted()
        );
        let m = run(
            &web,
            "{}",
            vec![linkerd_ns(Some("cluster-unauthenticated"))],
        )
        .message()
        .unwrap();
        assert!(m.contains("(from its Namespace's annotation)"), "{m}");
        let opened = deployment(
            json!({"app": "web"}),
            json!({"config.linkerd.io/default-inbound-policy": "audit"}),
        );
        let m = run(&opened, "{}", vec![linkerd_ns(Some("deny"))])
            .message()
            .unwrap();
        assert!(m.contains("\"audit\" (from its pods' annotation)"), "{m}");
        assert!(run(&web, r#"{"linkerd": false}"#, vec![linkerd_ns(None)]).is_accepted());
    }
}
