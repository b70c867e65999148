//! Linkerd's policy resources (`policy.linkerd.io`): Server, AuthorizationPolicy,
//! MeshTLSAuthentication and NetworkAuthentication.
//!
//! Semantics from linkerd/linkerd2 `policy-controller`: `src/admission.rs` (what its webhook
//! refuses: targets other than Server, HTTPRoute, GRPCRoute and the policy's own Namespace; more
//! than one MeshTLSAuthentication, ServiceAccount or NetworkAuthentication ref; a mesh identity
//! and a ServiceAccount together; NetworkAuthentications without networks or with exceptions
//! outside their CIDR; unknown `accessPolicy` values), and `k8s/index` `inbound` (an
//! AuthorizationPolicy without MeshTLSAuthentication or ServiceAccount ref authorizes
//! unauthenticated clients, without NetworkAuthentication ref from every network; a port that a
//! Server selects denies what no authorization admits unless the Server's `accessPolicy` says
//! otherwise; a port no Server selects follows the default inbound policy).

use crate::object::Value;
use netsec_shared::cluster::Resource;
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::object::{MeshObject, MeshSpec, items, not_a_list, strings, text};
use crate::settings::Settings;

pub const GROUP: &str = "policy.linkerd.io";

/// Servers, as listed for the workload check: v1beta1 is served by every Linkerd since 2.12,
/// and `podSelector` is the same in every version.
pub const SERVER: Resource = Resource {
    api_version: "policy.linkerd.io/v1beta1",
    kind: "Server",
};

pub const SERVER_FIELDS: &[&str] = &["metadata.name", "spec.podSelector"];

/// A reference (`targetRef`, `requiredAuthenticationRefs[]`): policy-controller
/// `targets_kind` compares kinds and groups ignoring case, and no group is the core group.
fn is(reference: &Value, group: &str, kind: &str) -> bool {
    let own = match text(&reference["group"]) {
        "" => "core",
        g => g,
    };
    own.eq_ignore_ascii_case(group) && text(&reference["kind"]).eq_ignore_ascii_case(kind)
}

/// `Kind.group`, as Linkerd names kinds in its errors.
fn canonical(reference: &Value) -> String {
    let kind = text(&reference["kind"]);
    match text(&reference["group"]) {
        "" => kind.to_string(),
        g => format!("{kind}.{g}"),
    }
}

/// What a default (or access) policy admits, if it admits clients the mesh has not
/// authenticated: `None` for `deny` and the authenticated ones.
pub fn admits_unauthenticated(policy: &str) -> bool {
    matches!(
        policy,
        "all-unauthenticated" | "cluster-unauthenticated" | "audit"
    )
}

/// Whether a MeshTLSAuthentication identity admits every meshed workload: `*`, or a `*.` suffix
/// that does not reach down to a namespace (Linkerd identities are
/// `<account>.<namespace>.serviceaccount.identity.<control-plane-ns>.<trust-domain>`).
pub fn identity_is_everyone(identity: &str) -> bool {
    match identity.strip_prefix("*.") {
        Some(rest) => !rest.contains(".serviceaccount."),
        None => identity == "*",
    }
}

/// Judges a Linkerd object of `kind` under admission in `namespace`.
pub fn check(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    kind: &str,
    namespace: &str,
) -> Verdict {
    let object: MeshObject = match request.object(format_args!("a Linkerd {kind}")) {
        Ok(object) => object,
        Err(message) => return Verdict::reject(message),
    };
    let mut findings = Findings::new();
    let spec = object.spec();
    match kind {
        "Server" => check_server(spec, &object.name(), settings, &mut findings),
        "AuthorizationPolicy" => check_authorization(spec, namespace, settings, &mut findings),
        "MeshTLSAuthentication" => check_mesh_tls(spec, settings, &mut findings),
        "NetworkAuthentication" => check_networks(spec, &object.name(), &mut findings),
        _ => {}
    }
    findings.into_verdict()
}

fn check_server(spec: &MeshSpec<'_>, name: &str, settings: &Settings, findings: &mut Findings) {
    if spec.access_policy.is_null() {
        return;
    }
    let policy = text(&spec.access_policy);
    let path = "spec.accessPolicy";
    if admits_unauthenticated(policy) {
        findings.violation(
            path,
            format!(
                "is {policy:?}, so Server {name:?} admits clients without a mesh identity on \
                 its port whatever its AuthorizationPolicies say; remove it (the default, deny, \
                 admits only what AuthorizationPolicies authorize)"
            ),
        );
    } else if matches!(policy, "all-authenticated" | "cluster-authenticated") {
        if !settings.wildcard_allowed("*") {
            findings.violation(
                path,
                format!(
                    "is {policy:?}, so Server {name:?} admits every meshed workload on its \
                     port, which is mTLS without authorization; remove it and authorize the \
                     clients with AuthorizationPolicies, or list \"*\" in \
                     allowedWildcardPrincipals"
                ),
            );
        }
    } else if policy != "deny" {
        findings.violation(
            path,
            format!(
                "is {policy:?}, which Linkerd refuses; use deny (or remove it), or one of \
                 {}",
                netsec_shared::mesh::LINKERD_INBOUND_POLICIES.join(", ")
            ),
        );
    }
}

fn check_authorization(
    spec: &MeshSpec<'_>,
    namespace: &str,
    settings: &Settings,
    findings: &mut Findings,
) {
    let target = &spec.target_ref;
    if !target.is_object() {
        findings.violation(
            "spec.targetRef",
            "is missing, which Linkerd refuses; name the Server, HTTPRoute or Namespace to \
             authorize",
        );
        return;
    }
    let route = is(target, GROUP, "HTTPRoute")
        || is(target, "gateway.networking.k8s.io", "HTTPRoute")
        || is(target, "gateway.networking.k8s.io", "GRPCRoute");
    let server = is(target, GROUP, "Server");
    let own_namespace = is(target, "core", "Namespace");
    if !(route || server || own_namespace) {
        findings.violation(
            "spec.targetRef",
            format!(
                "is a {}, which Linkerd refuses; target a Server or HTTPRoute of group {GROUP}, \
                 a Gateway API HTTPRoute or GRPCRoute, or the policy's own Namespace",
                canonical(target)
            ),
        );
        return;
    }
    let target_name = text(&target["name"]);
    if own_namespace && target_name != namespace {
        findings.violation(
            "spec.targetRef.name",
            format!(
                "is {:?}, another namespace than the policy's own ({namespace:?}), which Linkerd \
                 refuses",
                target_name
            ),
        );
    }
    let refs = items(&spec.required_authentication_refs);
    let count = |group: &str, kind: &str| refs.iter().filter(|r| is(r, group, kind)).count();
    let mesh_tls = count(GROUP, "MeshTLSAuthentication");
    let accounts = count("core", "ServiceAccount");
    let networks = count(GROUP, "NetworkAuthentication");
    let path = "spec.requiredAuthenticationRefs";
    for (n, what) in [
        (mesh_tls, "MeshTLSAuthentication"),
        (accounts, "ServiceAccount"),
        (networks, "NetworkAuthentication"),
    ] {
        if n > 1 {
            findings.violation(
                path,
                format!("names {n} {what}s, which Linkerd refuses; keep one"),
            );
        }
    }
    if mesh_tls > 0 && accounts > 0 {
        findings.violation(
            path,
            "names a MeshTLSAuthentication and a ServiceAccount together, which Linkerd refuses; \
             keep one",
        );
    }
    let unsupported: Vec<String> = refs
        .iter()
        .filter(|r| {
            !is(r, GROUP, "MeshTLSAuthentication")
                && !is(r, GROUP, "NetworkAuthentication")
                && !is(r, "core", "ServiceAccount")
        })
        .map(canonical)
        .collect();
    if !unsupported.is_empty() {
        findings.violation(
            path,
            format!(
                "names {}, which Linkerd refuses; refer to a MeshTLSAuthentication, a \
                 NetworkAuthentication or a ServiceAccount",
                unsupported.join(", ")
            ),
        );
    }
    if mesh_tls + accounts > 0 {
        return;
    }
    if settings
        .linkerd_probe_targets
        .iter()
        .any(|t| t == target_name)
    {
        return;
    }
    let from = if networks > 0 {
        "from the networks of its NetworkAuthentication"
    } else {
        "from every network"
    };
    let what = format!("{} {target_name:?}", text(&target["kind"]));
    if route {
        findings.warn(format!(
            "{path} names no MeshTLSAuthentication or ServiceAccount, so {what} admits clients \
             without a mesh identity {from}; that is right for probe routes only (list \
             {target_name:?} in linkerdProbeTargets to say so), otherwise require a mesh identity"
        ));
    } else {
        findings.violation(
            path,
            format!(
                "names no MeshTLSAuthentication or ServiceAccount, so {what} admits clients \
                 without a mesh identity {from}; add a MeshTLSAuthentication (or ServiceAccount) \
                 ref naming the clients, or list {target_name:?} in linkerdProbeTargets if it \
                 serves only probes"
            ),
        );
    }
}

fn check_mesh_tls(spec: &MeshSpec<'_>, settings: &Settings, findings: &mut Findings) {
    for (i, identity) in strings(&spec.identities).into_iter().enumerate() {
        if identity_is_everyone(identity) && !settings.wildcard_allowed(identity) {
            findings.violation(
                format!("spec.identities[{i}]"),
                format!(
                    "is {identity:?}, which every meshed workload's identity matches, so the \
                     policies that require this authentication admit the whole mesh (mTLS \
                     without authorization); name the service accounts (identityRefs) or \
                     identities allowed, or list {identity:?} in allowedWildcardPrincipals"
                ),
            );
        }
    }
}

fn check_networks(spec: &MeshSpec<'_>, name: &str, findings: &mut Findings) {
    if let Some(why) = not_a_list(&spec.networks) {
        findings.violation("spec.networks", format!("{why}, which Linkerd refuses"));
        return;
    }
    let networks = items(&spec.networks);
    if networks.is_empty() {
        findings.violation(
            "spec.networks",
            "is empty, which Linkerd refuses; list at least one network",
        );
        return;
    }
    // The CIDRs themselves are Linkerd's webhook's to validate (`validate_networks`); what
    // matters here is a whole address family without exceptions.
    let everywhere = networks.iter().any(|n| {
        strings(&n["except"]).is_empty() && matches!(text(&n["cidr"]).trim(), "0.0.0.0/0" | "::/0")
    });
    if everywhere {
        findings.warn(format!(
            "NetworkAuthentication {name:?} covers every address, so an AuthorizationPolicy \
             that requires only it admits any client that can reach the pods, meshed or not"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;
    use serde_json::{Value, json};

    fn judge(kind: &str, spec: Value, settings: &str) -> Verdict {
        let object = json!({"apiVersion": "policy.linkerd.io/v1alpha1", "kind": kind,
                            "metadata": {"name": "x", "namespace": "shop"}, "spec": spec});
        let payload = json!({"request": {"kind": {"group": GROUP, "kind": kind},
                                         "namespace": "shop", "object": object}});
        let text = payload.to_string();
        let p = netsec_shared::Payload::<Value>::parse(text.as_bytes()).unwrap();
        let settings: Settings = parse_settings(settings.as_bytes()).unwrap();
        check(&p.request, &settings, kind, "shop")
    }

    fn server_ref() -> Value {
        json!({"group": GROUP, "kind": "Server", "name": "web-http"})
    }

    #[test]
    fn authorization_policies() {
        let mtls = json!({"group": GROUP, "kind": "MeshTLSAuthentication", "name": "clients"});
        let net = json!({"group": GROUP, "kind": "NetworkAuthentication", "name": "cluster"});
        let sa = json!({"kind": "ServiceAccount", "name": "front"});
        let cases: &[(Value, &str, bool, &str)] = &[
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [mtls.clone()]}),
                "{}",
                true,
                "",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [sa.clone(), net.clone()]}),
                "{}",
                true,
                "",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": []}),
                "{}",
                false,
                "spec.requiredAuthenticationRefs names no MeshTLSAuthentication or ServiceAccount, so Server \"web-http\" admits clients without a mesh identity from every network",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [net.clone()]}),
                "{}",
                false,
                "from the networks of its NetworkAuthentication",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [net.clone()]}),
                r#"{"linkerdProbeTargets": ["web-http"]}"#,
                true,
                "",
            ),
            (
                json!({"targetRef": {"kind": "Namespace", "name": "shop"}, "requiredAuthenticationRefs": [net.clone()]}),
                "{}",
                false,
                "Namespace \"shop\" admits",
            ),
            (
                json!({"targetRef": {"kind": "Namespace", "name": "other"}, "requiredAuthenticationRefs": [mtls.clone()]}),
                "{}",
                false,
                "another namespace than the policy's own",
            ),
            (
                json!({"targetRef": {"group": "apps", "kind": "Deployment", "name": "web"}}),
                "{}",
                false,
                "spec.targetRef is a Deployment.apps, which Linkerd refuses",
            ),
            (
                json!({"targetRef": {"kind": "Server", "name": "web"}, "requiredAuthenticationRefs": [mtls.clone()]}),
                "{}",
                false,
                "spec.targetRef is a Server, which Linkerd refuses",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [mtls.clone(), sa.clone()]}),
                "{}",
                false,
                "a MeshTLSAuthentication and a ServiceAccount together",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [net.clone(), net.clone(), mtls.clone()]}),
                "{}",
                false,
                "names 2 NetworkAuthentications",
            ),
            (
                json!({"targetRef": server_ref(), "requiredAuthenticationRefs": [mtls.clone(), {"kind": "Secret", "name": "x"}]}),
                "{}",
                false,
                "names Secret, which Linkerd refuses",
            ),
            (json!({}), "{}", false, "spec.targetRef is missing"),
        ];
        for (spec, settings, accepted, text) in cases {
            let v = judge("AuthorizationPolicy", spec.clone(), settings);
            assert_eq!(v.is_accepted(), *accepted, "{spec}: {v:?}");
            assert!(
                v.message().unwrap_or_default().contains(text),
                "{spec}: {v:?}"
            );
        }
        // Routes may serve probes: a warning.
        let route = json!({"targetRef": {"group": GROUP, "kind": "HTTPRoute", "name": "probes"},
                           "requiredAuthenticationRefs": [net]});
        let v = judge("AuthorizationPolicy", route, "{}");
        assert!(
            v.is_accepted() && v.warnings()[0].contains("HTTPRoute \"probes\" admits clients"),
            "{v:?}"
        );
    }

    #[test]
    fn servers_identities_and_networks() {
        let server =
            |policy: Value| json!({"podSelector": {}, "port": 8080, "accessPolicy": policy});
        assert!(judge("Server", server(Value::Null), "{}").is_accepted());
        assert!(judge("Server", server(json!("deny")), "{}").is_accepted());
        let m = judge("Server", server(json!("all-unauthenticated")), "{}")
            .message()
            .unwrap();
        assert!(m.contains("spec.accessPolicy is \"all-unauthenticated\", so Server \"x\" admits clients without a mesh identity"), "{m}");
        assert!(!judge("Server", server(json!("audit")), "{}").is_accepted());
        assert!(!judge("Server", server(json!("all-authenticated")), "{}").is_accepted());
        assert!(
            judge(
                "Server",
                server(json!("all-authenticated")),
                r#"{"allowedWildcardPrincipals": ["*"]}"#
            )
            .is_accepted()
        );
        assert!(
            judge("Server", server(json!("allow")), "{}")
                .message()
                .unwrap()
                .contains("which Linkerd refuses")
        );

        let ids = |ids: Value| json!({"identities": ids});
        assert!(
            judge(
                "MeshTLSAuthentication",
                ids(json!([
                    "web.shop.serviceaccount.identity.linkerd.cluster.local"
                ])),
                "{}"
            )
            .is_accepted()
        );
        assert!(
            judge(
                "MeshTLSAuthentication",
                ids(json!([
                    "*.shop.serviceaccount.identity.linkerd.cluster.local"
                ])),
                "{}"
            )
            .is_accepted()
        );
        let m = judge("MeshTLSAuthentication", ids(json!(["a", "*"])), "{}")
            .message()
            .unwrap();
        assert!(
            m.contains(
                "spec.identities[1] is \"*\", which every meshed workload's identity matches"
            ),
            "{m}"
        );
        assert!(
            !judge(
                "MeshTLSAuthentication",
                ids(json!(["*.cluster.local"])),
                "{}"
            )
            .is_accepted()
        );
        assert!(
            judge(
                "MeshTLSAuthentication",
                ids(json!(["*"])),
                r#"{"allowedWildcardPrincipals": ["*"]}"#
            )
            .is_accepted()
        );

        let nets = |n: Value| json!({"networks": n});
        let v = judge(
            "NetworkAuthentication",
            nets(json!([{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}])),
            "{}",
        );
        assert!(
            v.is_accepted() && v.warnings()[0].contains("covers every address"),
            "{v:?}"
        );
        let v = judge(
            "NetworkAuthentication",
            nets(json!([{"cidr": "10.0.0.0/8"}])),
            "{}",
        );
        assert!(v.is_accepted() && v.warnings().is_empty());
        let v = judge(
            "NetworkAuthentication",
            nets(json!([{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}])),
            "{}",
        );
        assert!(v.is_accepted() && v.warnings().is_empty(), "{v:?}");
        assert!(
            judge("NetworkAuthentication", nets(json!([])), "{}")
                .message()
                .unwrap()
                .contains("spec.networks is empty")
        );
        assert!(
            !judge(
                "NetworkAuthentication",
                nets(json!({"cidr": "10.0.0.0/8"})),
                "{}"
            )
            .is_accepted()
        );
    }
}
