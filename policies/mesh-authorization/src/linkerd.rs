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

use std::borrow::Cow;

use netsec_shared::cluster::Resource;
use netsec_shared::net::{contains, first_uncovered, parse_cidr};
use netsec_shared::request::ObjectMeta;
use netsec_shared::selector::LabelSelector;
use netsec_shared::{AdmissionRequest, Findings, Verdict};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::settings::Settings;

pub const GROUP: &str = "policy.linkerd.io";

/// Servers, as listed for the workload check: v1beta1 is served by every Linkerd since 2.12,
/// and `podSelector` is the same in every version.
pub const SERVER: Resource = Resource {
    api_version: "policy.linkerd.io/v1beta1",
    kind: "Server",
};

pub const SERVER_FIELDS: &[&str] = &["metadata.name", "spec.podSelector"];

/// Any of the four kinds: they share one type, each filling its own fields, so the module
/// carries one deserialiser.
#[derive(Debug, Default, Deserialize)]
pub struct Object<'a> {
    #[serde(default, borrow)]
    pub metadata: Option<ObjectMeta<'a>>,
    #[serde(default, borrow)]
    pub spec: Option<Spec<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec<'a> {
    /// Server.
    #[serde(default, borrow)]
    pub pod_selector: Option<LabelSelector<'a>>,
    #[serde(default)]
    pub port: Option<IgnoredAny>,
    #[serde(default, borrow)]
    pub access_policy: Option<Cow<'a, str>>,
    /// AuthorizationPolicy.
    #[serde(default, borrow)]
    pub target_ref: Option<Ref<'a>>,
    #[serde(default, borrow)]
    pub required_authentication_refs: Option<Vec<Ref<'a>>>,
    /// MeshTLSAuthentication.
    #[serde(default, borrow)]
    pub identities: Option<Vec<Cow<'a, str>>>,
    /// NetworkAuthentication.
    #[serde(default, borrow)]
    pub networks: Option<Vec<Network<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Ref<'a> {
    #[serde(default, borrow)]
    pub group: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Network<'a> {
    #[serde(default, borrow)]
    pub cidr: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub except: Option<Vec<Cow<'a, str>>>,
}

impl Ref<'_> {
    /// policy-controller `targets_kind`: kinds and groups compare ignoring case, and no group
    /// is the core group.
    fn is(&self, group: &str, kind: &str) -> bool {
        let own = self
            .group
            .as_deref()
            .filter(|g| !g.is_empty())
            .unwrap_or("core");
        own.eq_ignore_ascii_case(group)
            && self
                .kind
                .as_deref()
                .unwrap_or_default()
                .eq_ignore_ascii_case(kind)
    }

    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    /// `Kind.group`, as Linkerd names kinds in its errors.
    fn canonical(&self) -> String {
        let kind = self.kind.as_deref().unwrap_or_default();
        match self.group.as_deref() {
            Some(g) if !g.is_empty() => format!("{kind}.{g}"),
            _ => kind.to_string(),
        }
    }
}

impl Object<'_> {
    pub fn name(&self) -> String {
        self.metadata
            .as_ref()
            .map_or_else(|| "<unnamed>".to_string(), ObjectMeta::display_name)
    }

    pub fn spec(&self) -> &Spec<'_> {
        const NONE: &Spec<'static> = &Spec {
            pod_selector: None,
            port: None,
            access_policy: None,
            target_ref: None,
            required_authentication_refs: None,
            identities: None,
            networks: None,
        };
        self.spec.as_ref().unwrap_or(NONE)
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
    let object: Object = match request.object(format_args!("a Linkerd {kind}")) {
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

fn check_server(spec: &Spec<'_>, name: &str, settings: &Settings, findings: &mut Findings) {
    let Some(policy) = spec.access_policy.as_deref() else {
        return;
    };
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
    spec: &Spec<'_>,
    namespace: &str,
    settings: &Settings,
    findings: &mut Findings,
) {
    let Some(target) = &spec.target_ref else {
        findings.violation(
            "spec.targetRef",
            "is missing, which Linkerd refuses; name the Server, HTTPRoute or Namespace to \
             authorize",
        );
        return;
    };
    let route = target.is(GROUP, "HTTPRoute")
        || target.is("gateway.networking.k8s.io", "HTTPRoute")
        || target.is("gateway.networking.k8s.io", "GRPCRoute");
    let server = target.is(GROUP, "Server");
    let own_namespace = target.is("core", "Namespace");
    if !(route || server || own_namespace) {
        findings.violation(
            "spec.targetRef",
            format!(
                "is a {}, which Linkerd refuses; target a Server or HTTPRoute of group {GROUP}, \
                 a Gateway API HTTPRoute or GRPCRoute, or the policy's own Namespace",
                target.canonical()
            ),
        );
        return;
    }
    if own_namespace && target.name() != namespace {
        findings.violation(
            "spec.targetRef.name",
            format!(
                "is {:?}, another namespace than the policy's own ({namespace:?}), which Linkerd \
                 refuses",
                target.name()
            ),
        );
    }
    let refs = spec
        .required_authentication_refs
        .as_deref()
        .unwrap_or_default();
    let count = |group: &str, kind: &str| refs.iter().filter(|r| r.is(group, kind)).count();
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
            !r.is(GROUP, "MeshTLSAuthentication")
                && !r.is(GROUP, "NetworkAuthentication")
                && !r.is("core", "ServiceAccount")
        })
        .map(Ref::canonical)
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
    let target_name = target.name();
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
    let what = format!(
        "{} {target_name:?}",
        target.kind.as_deref().unwrap_or_default()
    );
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

fn check_mesh_tls(spec: &Spec<'_>, settings: &Settings, findings: &mut Findings) {
    for (i, identity) in spec.identities.iter().flatten().enumerate() {
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

fn check_networks(spec: &Spec<'_>, name: &str, findings: &mut Findings) {
    let networks = spec.networks.as_deref().unwrap_or_default();
    if networks.is_empty() {
        findings.violation(
            "spec.networks",
            "is empty, which Linkerd refuses; list at least one network",
        );
        return;
    }
    let mut open = Vec::new();
    for (i, network) in networks.iter().enumerate() {
        let cidr_text = network.cidr.as_deref().unwrap_or_default();
        let cidr = match parse_cidr(cidr_text) {
            Ok(cidr) => cidr,
            Err(why) => {
                findings.violation(format!("spec.networks[{i}].cidr"), why);
                continue;
            }
        };
        let except = network.except.as_deref().unwrap_or_default();
        for (j, hole) in except.iter().enumerate() {
            let at = format!("spec.networks[{i}].except[{j}]");
            match parse_cidr(hole) {
                Err(why) => findings.violation(at, why),
                Ok(h) if contains(&h, &cidr) => findings.violation(
                    at,
                    format!("{hole:?} negates the whole of {cidr_text:?}, which Linkerd refuses"),
                ),
                Ok(h) if !contains(&cidr, &h) => findings.violation(
                    at,
                    format!("{hole:?} is not inside {cidr_text:?}, which Linkerd refuses"),
                ),
                Ok(_) => {}
            }
        }
        if except.is_empty() {
            open.push(cidr);
        }
    }
    let everywhere = [netsec_shared::net::any_v4(), netsec_shared::net::any_v6()]
        .iter()
        .any(|all| first_uncovered(all, &open).is_none());
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
        let m = judge(
            "NetworkAuthentication",
            nets(json!([{"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24", "10.0.0.0/8"]}])),
            "{}",
        )
        .message()
        .unwrap();
        assert!(
            m.contains("except[0] \"10.1.0.0/24\" is not inside \"10.0.0.0/16\""),
            "{m}"
        );
        assert!(
            m.contains("except[1] \"10.0.0.0/8\" negates the whole of \"10.0.0.0/16\""),
            "{m}"
        );
        assert!(
            !judge(
                "NetworkAuthentication",
                nets(json!([{"cidr": "10.0.0.0/33"}])),
                "{}"
            )
            .is_accepted()
        );
    }
}
