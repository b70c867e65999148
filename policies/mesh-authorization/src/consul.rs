//! Consul `ServiceIntentions` (`consul.hashicorp.com/v1alpha1`).
//!
//! Semantics from hashicorp/consul-k8s `control-plane/api/v1alpha1/serviceintentions_types.go`
//! (`Validate`: at least one source; `action` and `permissions` exclusive, one of them given;
//! actions `allow` or `deny`) and Consul's intentions: `destination.name: "*"` applies to every
//! service without intentions of its own, a source named `*` is every service, and a pair no
//! intention matches gets the ACL default policy, so without ACLs in default-deny a `* → *` deny
//! intention is what makes the mesh default-deny.

use crate::object::Value;
use netsec_shared::cluster::{Cluster, Resource, list_items};
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::object::{MeshObject, is_set, items, not_a_list, strings, text};
use crate::settings::{Mode, Settings};

pub const SERVICE_INTENTIONS: Resource = Resource {
    api_version: "consul.hashicorp.com/v1alpha1",
    kind: "ServiceIntentions",
};

/// What the default-deny lookup reads of the listed intentions.
pub const SERVICE_INTENTIONS_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.destination.name",
    "spec.sources.name",
    "spec.sources.action",
];

/// ServiceIntentions, admitted or listed.
pub type ServiceIntentions<'a> = MeshObject<'a>;

/// An L7 permission's `http` that matches every request: no path, header or method criterion
/// (a `/` prefix is every path).
fn matches_all(http: &Value) -> bool {
    text(&http["pathExact"]).is_empty()
        && text(&http["pathRegex"]).is_empty()
        && matches!(text(&http["pathPrefix"]), "" | "/")
        && !is_set(&http["header"])
        && strings(&http["methods"]).is_empty()
}

fn destination<'v>(intentions: &'v ServiceIntentions<'_>) -> &'v str {
    text(&intentions.spec().destination["name"])
}

/// `destination: *` with a `*` source that denies: the mesh's default deny.
pub fn is_default_deny(intentions: &ServiceIntentions<'_>) -> bool {
    destination(intentions) == "*"
        && items(&intentions.spec().sources)
            .iter()
            .any(|s| s["name"] == "*" && s["action"] == "deny")
}

/// Judges ServiceIntentions under admission in `namespace`.
pub fn check(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    namespace: &str,
    cluster: &dyn Cluster,
) -> Verdict {
    let intentions: ServiceIntentions = match request.object("Consul ServiceIntentions") {
        Ok(object) => object,
        Err(message) => return Verdict::reject(message),
    };
    let mut findings = Findings::new();
    check_sources(&intentions, settings, &mut findings);
    if settings.require_default_deny
        && !settings.consul_acl_default_deny
        && !is_default_deny(&intentions)
    {
        require_default_deny(&intentions, settings, namespace, cluster, &mut findings);
    }
    findings.into_verdict()
}

fn check_sources(intentions: &ServiceIntentions<'_>, settings: &Settings, findings: &mut Findings) {
    let destination = destination(intentions);
    let sources = &intentions.spec().sources;
    if let Some(why) = not_a_list(sources) {
        findings.violation("spec.sources", format!("{why}, which consul-k8s refuses"));
        return;
    }
    let sources = items(sources);
    if sources.is_empty() {
        findings.violation(
            "spec.sources",
            "is empty, which consul-k8s refuses; list at least one source",
        );
    }
    let target = if destination == "*" {
        "every service".to_string()
    } else {
        format!("{destination:?}")
    };
    let everyone = |findings: &mut Findings, at: String| {
        let pair = if destination == "*" {
            " (* → * allow: the whole mesh may call the whole mesh)"
        } else {
            ""
        };
        findings.violation(
            at,
            format!(
                "allows every service (name \"*\") to call {target}{pair}, so mTLS identifies \
                 callers but nothing restricts them; name the source services allowed, or list \
                 \"*\" in allowedWildcardPrincipals"
            ),
        );
    };
    for (i, source) in sources.iter().enumerate() {
        let path = format!("spec.sources[{i}]");
        if !source.is_object() {
            findings.violation(path, "is not a source object; remove it");
            continue;
        }
        let action = text(&source["action"]);
        let permissions = items(&source["permissions"]);
        let open = source["name"] == "*" && !settings.wildcard_allowed("*");
        if !permissions.is_empty() {
            if !action.is_empty() {
                findings.violation(
                    format!("{path}.action"),
                    "is set beside permissions, which consul-k8s refuses: they are exclusive; \
                     keep the permissions and remove the action",
                );
            }
            for (k, permission) in permissions.iter().enumerate() {
                let at = format!("{path}.permissions[{k}]");
                let action = text(&permission["action"]);
                if !matches!(action, "allow" | "deny") {
                    findings.violation(
                        format!("{at}.action"),
                        format!("is {action:?}, which consul-k8s refuses; use allow or deny"),
                    );
                } else if action == "allow" && open && matches_all(&permission["http"]) {
                    everyone(findings, at);
                }
            }
            continue;
        }
        match action {
            "allow" if open => everyone(findings, path),
            "allow" | "deny" => {}
            other => findings.violation(
                format!("{path}.action"),
                format!(
                    "is {other:?}, which consul-k8s refuses; an L4 intention needs action allow \
                     or deny (or give L7 permissions instead)"
                ),
            ),
        }
    }
}

fn require_default_deny(
    intentions: &ServiceIntentions<'_>,
    settings: &Settings,
    namespace: &str,
    cluster: &dyn Cluster,
    findings: &mut Findings,
) {
    let own = intentions.name_and_namespace();
    let mut namespaces = vec![namespace];
    if settings.consul_default_deny_namespace != namespace {
        namespaces.push(&settings.consul_default_deny_namespace);
    }
    for ns in &namespaces {
        let answer = cluster
            .list_by_namespace(SERVICE_INTENTIONS, ns, SERVICE_INTENTIONS_FIELDS)
            .and_then(|bytes| {
                let listed: Vec<ServiceIntentions> = list_items(&bytes)?;
                // The stored version of the object under admission is about to be replaced.
                Ok(listed
                    .iter()
                    .any(|i| i.name_and_namespace() != (own.0, *ns) && is_default_deny(i)))
            });
        match answer {
            Ok(true) => return,
            Ok(false) => {}
            Err(why) => {
                findings.violation(
                    "",
                    format!(
                        "the ServiceIntentions of namespace {ns:?} could not be read ({why}), so \
                         the default deny cannot be verified; the intention is rejected until \
                         they can be"
                    ),
                );
                return;
            }
        }
    }
    let message = format!(
        "no ServiceIntentions of namespace {} has destination \"*\" with a source \"*\" that \
         denies, so services without intentions of their own accept every caller unless \
         Consul's ACL default policy is deny; add that default deny (or set consulAclDefaultDeny \
         if the ACLs deny by default)",
        namespaces
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    match settings.on_missing {
        Mode::Reject => findings.violation("", message),
        Mode::Warn => findings.warn(format!("{message} (accepted because onMissing is warn)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::cluster::MemoryCluster;
    use netsec_shared::settings::parse_settings;
    use serde_json::{Value, json};

    fn intention(name: &str, namespace: &str, spec: Value) -> Value {
        json!({"apiVersion": "consul.hashicorp.com/v1alpha1", "kind": "ServiceIntentions",
               "metadata": {"name": name, "namespace": namespace}, "spec": spec})
    }

    fn default_deny(namespace: &str) -> Value {
        intention(
            "deny-all",
            namespace,
            json!({"destination": {"name": "*"}, "sources": [{"name": "*", "action": "deny"}]}),
        )
    }

    fn judge(spec: Value, settings: &str, cluster: &MemoryCluster) -> Verdict {
        let object = intention("web", "shop", spec);
        let payload = json!({"request": {"kind": {"group": "consul.hashicorp.com", "kind": "ServiceIntentions"},
                                         "namespace": "shop", "object": object}});
        let text = payload.to_string();
        let p = netsec_shared::Payload::<Value>::parse(text.as_bytes()).unwrap();
        let settings: Settings = parse_settings(settings.as_bytes()).unwrap();
        check(&p.request, &settings, "shop", cluster)
    }

    #[test]
    fn sources() {
        let covered = MemoryCluster::new(vec![default_deny("consul")]);
        let cases: &[(Value, bool, &str)] = &[
            (
                json!({"destination": {"name": "db"}, "sources": [{"name": "web", "action": "allow"}]}),
                true,
                "",
            ),
            (
                json!({"destination": {"name": "db"}, "sources": [{"name": "*", "action": "allow"}]}),
                false,
                "spec.sources[0] allows every service (name \"*\") to call \"db\"",
            ),
            (
                json!({"destination": {"name": "*"}, "sources": [{"name": "*", "action": "allow"}]}),
                false,
                "(* → * allow: the whole mesh may call the whole mesh)",
            ),
            (
                json!({"destination": {"name": "db"}, "sources": [{"name": "*", "action": "deny"}, {"name": "web", "action": "allow"}]}),
                true,
                "",
            ),
            (
                json!({"destination": {"name": "api"}, "sources": [{"name": "*", "permissions": [
                {"action": "allow", "http": {"pathPrefix": "/public", "methods": ["GET"]}}]}]}),
                true,
                "",
            ),
            (
                json!({"destination": {"name": "api"}, "sources": [{"name": "*", "permissions": [
                {"action": "allow", "http": {"pathPrefix": "/"}}]}]}),
                false,
                "spec.sources[0].permissions[0] allows every service",
            ),
            (
                json!({"destination": {"name": "api"}, "sources": [{"name": "web", "action": "allow", "permissions": [{"action": "allow"}]}]}),
                false,
                "spec.sources[0].action is set beside permissions",
            ),
            (
                json!({"destination": {"name": "api"}, "sources": [{"name": "web"}]}),
                false,
                "spec.sources[0].action is \"\"",
            ),
            (
                json!({"destination": {"name": "api"}, "sources": [{"name": "web", "action": "Allow"}]}),
                false,
                "is \"Allow\", which consul-k8s refuses",
            ),
            (
                json!({"destination": {"name": "api"}, "sources": []}),
                false,
                "spec.sources is empty",
            ),
        ];
        for (spec, accepted, text) in cases {
            let v = judge(spec.clone(), "{}", &covered);
            assert_eq!(v.is_accepted(), *accepted, "{spec}: {v:?}");
            assert!(
                v.message().unwrap_or_default().contains(text),
                "{spec}: {v:?}"
            );
        }
        let wildcard =
            json!({"destination": {"name": "db"}, "sources": [{"name": "*", "action": "allow"}]});
        assert!(
            judge(
                wildcard,
                r#"{"allowedWildcardPrincipals": ["*"]}"#,
                &covered
            )
            .is_accepted()
        );
    }

    #[test]
    fn default_deny_lookup() {
        let spec =
            json!({"destination": {"name": "db"}, "sources": [{"name": "web", "action": "allow"}]});
        let m = judge(spec.clone(), "{}", &MemoryCluster::default())
            .message()
            .unwrap();
        assert!(
            m.contains(
                "no ServiceIntentions of namespace \"shop\" or \"consul\" has destination \"*\""
            ),
            "{m}"
        );
        assert!(
            judge(
                spec.clone(),
                "{}",
                &MemoryCluster::new(vec![default_deny("shop")])
            )
            .is_accepted()
        );
        // Elsewhere than the two namespaces read: not seen.
        assert!(
            !judge(
                spec.clone(),
                "{}",
                &MemoryCluster::new(vec![default_deny("other")])
            )
            .is_accepted()
        );
        let v = judge(
            spec.clone(),
            r#"{"onMissing": "warn"}"#,
            &MemoryCluster::default(),
        );
        assert!(v.is_accepted() && v.warnings()[0].contains("accepted because onMissing is warn"));
        let failing = MemoryCluster::failing("forbidden");
        assert!(judge(spec.clone(), r#"{"consulAclDefaultDeny": true}"#, &failing).is_accepted());
        assert!(judge(spec.clone(), r#"{"requireDefaultDeny": false}"#, &failing).is_accepted());
        assert!(
            judge(spec, "{}", &failing)
                .message()
                .unwrap()
                .contains("could not be read (forbidden)")
        );
        // The default deny itself needs no other.
        let own =
            json!({"destination": {"name": "*"}, "sources": [{"name": "*", "action": "deny"}]});
        assert!(judge(own, "{}", &failing).is_accepted());
        // A stored default deny of the same name is being replaced by this object.
        let replaced = MemoryCluster::new(vec![intention(
            "web",
            "shop",
            json!({"destination": {"name": "*"}, "sources": [{"name": "*", "action": "deny"}]}),
        )]);
        let allow =
            json!({"destination": {"name": "*"}, "sources": [{"name": "web", "action": "allow"}]});
        assert!(!judge(allow, "{}", &replaced).is_accepted());
    }
}
