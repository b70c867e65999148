//! Which policies an object goes to: the webhook rules, `namespaceSelector` and `objectSelector`
//! of the webhook each policy is registered as, matched the way the API server matches them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use netsec_shared::request::StringMap;
use netsec_shared::selector::LabelSelector;
use serde::Deserialize;
use serde_json::Value;

/// A `RuleWithOperations` of `admissionregistration.k8s.io/v1`, as a policy's metadata or its
/// ClusterAdmissionPolicy's `spec.rules` write it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub api_groups: Vec<String>,
    #[serde(default)]
    pub api_versions: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub operations: Vec<String>,
    /// `Cluster`, `Namespaced` or `*`; absent means `*`.
    #[serde(default)]
    pub scope: Option<String>,
}

impl From<&crate::metadata::Rule> for Rule {
    fn from(rule: &crate::metadata::Rule) -> Rule {
        Rule {
            api_groups: rule.api_groups.clone(),
            api_versions: rule.api_versions.clone(),
            resources: rule.resources.clone(),
            operations: rule.operations.clone(),
            scope: None,
        }
    }
}

/// What the API server knows of a request when it matches webhooks (`admission.Attributes`).
#[derive(Clone, Copy, Debug)]
pub struct Attributes<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub operation: &'a str,
    /// Empty for cluster-scoped objects; the namespace's own name for a Namespace.
    pub namespace: &'a str,
}

impl Attributes<'_> {
    fn is_namespace_object(&self) -> bool {
        self.group.is_empty() && self.version == "v1" && self.resource == "namespaces"
    }
}

/// Whether one rule matches, following the API server's `rules.Matcher.Matches`
/// (k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules/rules.go): scope, operation,
/// group, version and resource must all match; `*` in a list matches anything; a resource entry
/// `res/sub` splits at the first `/`, each side matching exactly or by `*` (so `pods` does not
/// match `pods/status`, `*` matches only main resources, `*/*` everything).
pub fn rule_matches(rule: &Rule, attrs: &Attributes<'_>) -> bool {
    scope_matches(rule, attrs)
        && rule
            .operations
            .iter()
            .any(|op| op == "*" || op == attrs.operation)
        && exact_or_wildcard(&rule.api_groups, attrs.group)
        && exact_or_wildcard(&rule.api_versions, attrs.version)
        && rule.resources.iter().any(|entry| {
            let (res, sub) = entry.split_once('/').unwrap_or((entry, ""));
            (res == "*" || res == attrs.resource) && (sub == "*" || sub == attrs.subresource)
        })
}

fn exact_or_wildcard(items: &[String], requested: &str) -> bool {
    items.iter().any(|item| item == "*" || item == requested)
}

/// `scope()` of the Matcher: a Namespace object counts as cluster-scoped even though its
/// attributes carry its own name as namespace; an unknown scope value matches nothing.
fn scope_matches(rule: &Rule, attrs: &Attributes<'_>) -> bool {
    match rule.scope.as_deref() {
        None | Some("*") => true,
        Some("Namespaced") => !attrs.is_namespace_object() && !attrs.namespace.is_empty(),
        Some("Cluster") => attrs.is_namespace_object() || attrs.namespace.is_empty(),
        Some(_) => false,
    }
}

/// Requests for these never reach webhooks, so that admission cannot lock itself out
/// (`IsExemptAdmissionConfigurationResource` in the same file).
pub fn is_exempt(group: &str, kind: &str) -> bool {
    group == "admissionregistration.k8s.io"
        && matches!(
            kind,
            "ValidatingWebhookConfiguration"
                | "MutatingWebhookConfiguration"
                | "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        )
}

/// A webhook's `namespaceSelector` (documented on `ValidatingWebhook.namespaceSelector`): a
/// namespaced object is matched by its namespace's labels, a Namespace by its own labels, and any
/// other cluster-scoped object is never excluded by it.
pub fn namespace_selected(
    selector: Option<&Value>,
    attrs: &Attributes<'_>,
    object_labels: &Value,
    namespaces: &Namespaces,
) -> bool {
    let Some(selector) = selector else {
        return true;
    };
    if attrs.is_namespace_object() {
        let mut labels = labels_of(object_labels);
        // The API server sets this label on every Namespace (NamespaceDefaultLabelName).
        labels.insert(
            Cow::Borrowed("kubernetes.io/metadata.name"),
            Cow::Borrowed(attrs.namespace),
        );
        return selects(selector, &labels);
    }
    if attrs.namespace.is_empty() {
        return true;
    }
    selects(selector, &namespaces.labels(attrs.namespace))
}

/// A webhook's `objectSelector`, on the object's labels.
pub fn object_selected(selector: Option<&Value>, object_labels: &Value) -> bool {
    selector.is_none_or(|s| selects(s, &labels_of(object_labels)))
}

fn selects(selector: &Value, labels: &StringMap<'_>) -> bool {
    // A selector the API server would refuse selects nothing (LabelSelector::matches).
    LabelSelector::deserialize(selector).is_ok_and(|s| s.matches(labels))
}

fn labels_of(labels: &Value) -> StringMap<'_> {
    labels
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str()?))))
        .collect()
}

/// The labels of the namespaces the scan knows (scanned or from `--cluster`); a namespace it does
/// not know has only the label the API server gives every namespace.
#[derive(Clone, Debug, Default)]
pub struct Namespaces(HashMap<String, BTreeMap<String, String>>);

impl Namespaces {
    pub fn add(&mut self, namespace: &Value) {
        let Some(name) = namespace["metadata"]["name"].as_str() else {
            return;
        };
        let labels = namespace["metadata"]["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        self.0.insert(name.to_string(), labels);
    }

    pub fn labels<'a>(&'a self, name: &'a str) -> StringMap<'a> {
        let mut labels: StringMap<'a> = self
            .0
            .get(name)
            .into_iter()
            .flatten()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str())))
            .collect();
        labels.insert(
            Cow::Borrowed("kubernetes.io/metadata.name"),
            Cow::Borrowed(name),
        );
        labels
    }
}

/// Kinds the API server serves cluster-scoped: the built-in ones, then those of the
/// CustomResourceDefinitions the scan sees, which also give their plural resource names.
#[derive(Clone, Debug, Default)]
pub struct Kinds {
    /// (group, kind) -> (plural, cluster-scoped)
    custom: HashMap<(String, String), (String, bool)>,
}

/// Cluster-scoped kinds of Kubernetes and of the projects our policies read.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("cert-manager.io", "ClusterIssuer"),
    ("policies.kubewarden.io", "ClusterAdmissionPolicy"),
    ("policies.kubewarden.io", "ClusterAdmissionPolicyGroup"),
    ("policies.kubewarden.io", "PolicyServer"),
    ("wgpolicyk8s.io", "ClusterPolicyReport"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
];

impl Kinds {
    /// Learns a CustomResourceDefinition's kind, plural and scope.
    pub fn add_crd(&mut self, crd: &Value) {
        let spec = &crd["spec"];
        let (Some(group), Some(kind), Some(plural)) = (
            spec["group"].as_str(),
            spec["names"]["kind"].as_str(),
            spec["names"]["plural"].as_str(),
        ) else {
            return;
        };
        let cluster = spec["scope"] == "Cluster";
        self.custom
            .insert((group.into(), kind.into()), (plural.into(), cluster));
    }

    pub fn is_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        match self.custom.get(&(group.to_string(), kind.to_string())) {
            Some((_, cluster)) => *cluster,
            None => CLUSTER_SCOPED.contains(&(group, kind)),
        }
    }

    /// The plural resource name, from a scanned CRD when there is one.
    pub fn plural(&self, group: &str, kind: &str) -> Option<String> {
        self.custom
            .get(&(group.to_string(), kind.to_string()))
            .map(|(plural, _)| plural.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> Rule {
        serde_json::from_value(v).unwrap()
    }

    fn attrs<'a>(
        group: &'a str,
        resource: &'a str,
        sub: &'a str,
        op: &'a str,
        ns: &'a str,
    ) -> Attributes<'a> {
        Attributes {
            group,
            version: "v1",
            resource,
            subresource: sub,
            operation: op,
            namespace: ns,
        }
    }

    #[test]
    fn groups_versions_resources_and_wildcards() {
        let ing = rule(
            json!({"apiGroups": ["networking.k8s.io"], "apiVersions": ["v1"],
            "resources": ["ingresses"], "operations": ["CREATE", "UPDATE"]}),
        );
        assert!(rule_matches(
            &ing,
            &attrs("networking.k8s.io", "ingresses", "", "CREATE", "a")
        ));
        assert!(!rule_matches(
            &ing,
            &attrs("networking.k8s.io", "ingresses", "", "DELETE", "a")
        ));
        assert!(!rule_matches(
            &ing,
            &attrs("extensions", "ingresses", "", "CREATE", "a")
        ));
        assert!(
            !rule_matches(
                &ing,
                &attrs("networking.k8s.io", "ingresses", "status", "CREATE", "a")
            ),
            "a main resource does not match its subresources"
        );
        let v1beta1 = Attributes {
            version: "v1beta1",
            ..attrs("networking.k8s.io", "ingresses", "", "CREATE", "a")
        };
        assert!(!rule_matches(&ing, &v1beta1));

        let all = rule(
            json!({"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "operations": ["*"]}),
        );
        assert!(rule_matches(
            &all,
            &attrs("apps", "deployments", "", "CONNECT", "a")
        ));
        assert!(
            !rule_matches(&all, &attrs("", "pods", "exec", "CONNECT", "a")),
            "* is main resources only"
        );
        let everything = rule(
            json!({"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"], "operations": ["*"]}),
        );
        assert!(rule_matches(
            &everything,
            &attrs("", "pods", "exec", "CONNECT", "a")
        ));
        assert!(
            rule_matches(&everything, &attrs("", "pods", "", "CREATE", "a")),
            "*/* matches \"\" subresource too"
        );
        let status = rule(
            json!({"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/status"], "operations": ["UPDATE"]}),
        );
        assert!(rule_matches(
            &status,
            &attrs("", "pods", "status", "UPDATE", "a")
        ));
        assert!(!rule_matches(
            &status,
            &attrs("", "pods", "", "UPDATE", "a")
        ));
        let any_status = rule(
            json!({"apiGroups": [""], "apiVersions": ["v1"], "resources": ["*/status"], "operations": ["UPDATE"]}),
        );
        assert!(rule_matches(
            &any_status,
            &attrs("", "services", "status", "UPDATE", "a")
        ));
        let empty = rule(
            json!({"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "operations": []}),
        );
        assert!(!rule_matches(&empty, &attrs("", "pods", "", "CREATE", "a")));
    }

    #[test]
    fn scopes() {
        let scoped = |s: &str| {
            rule(
                json!({"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "operations": ["*"], "scope": s}),
            )
        };
        let pod = attrs("", "pods", "", "CREATE", "team");
        let ns = attrs("", "namespaces", "", "CREATE", "team");
        let class = attrs("networking.k8s.io", "ingressclasses", "", "CREATE", "");
        assert!(rule_matches(&scoped("Namespaced"), &pod));
        assert!(
            !rule_matches(&scoped("Namespaced"), &ns),
            "a Namespace is cluster-scoped"
        );
        assert!(!rule_matches(&scoped("Namespaced"), &class));
        assert!(rule_matches(&scoped("Cluster"), &ns));
        assert!(rule_matches(&scoped("Cluster"), &class));
        assert!(!rule_matches(&scoped("Cluster"), &pod));
        assert!(rule_matches(&scoped("*"), &pod));
        assert!(
            !rule_matches(&scoped("Namespace"), &pod),
            "a misspelt scope matches nothing"
        );
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]});
        let mut known = Namespaces::default();
        known.add(&json!({"metadata": {"name": "prod", "labels": {"env": "prod"}}}));
        let pod = |ns| attrs("", "pods", "", "CREATE", ns);
        assert!(namespace_selected(
            Some(&sel),
            &pod("team"),
            &json!({}),
            &known
        ));
        assert!(!namespace_selected(
            Some(&sel),
            &pod("kube-system"),
            &json!({}),
            &known
        ));
        let env = json!({"matchLabels": {"env": "prod"}});
        assert!(namespace_selected(
            Some(&env),
            &pod("prod"),
            &json!({}),
            &known
        ));
        assert!(!namespace_selected(
            Some(&env),
            &pod("dev"),
            &json!({}),
            &known
        ));
        let ns = attrs("", "namespaces", "", "CREATE", "prod2");
        assert!(
            namespace_selected(Some(&env), &ns, &json!({"env": "prod"}), &known),
            "a Namespace by its own labels"
        );
        let class = attrs("networking.k8s.io", "ingressclasses", "", "CREATE", "");
        assert!(namespace_selected(Some(&env), &class, &json!({}), &known));
        let bad = json!({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]});
        assert!(!namespace_selected(
            Some(&bad),
            &pod("team"),
            &json!({}),
            &known
        ));
        assert!(object_selected(
            Some(&json!({"matchLabels": {"app": "web"}})),
            &json!({"app": "web"})
        ));
        assert!(!object_selected(
            Some(&json!({"matchLabels": {"app": "web"}})),
            &json!({})
        ));
        assert!(object_selected(Some(&json!({})), &json!({})));
    }

    #[test]
    fn kinds() {
        let mut kinds = Kinds::default();
        assert!(kinds.is_cluster_scoped("", "Namespace"));
        assert!(kinds.is_cluster_scoped("gateway.networking.k8s.io", "GatewayClass"));
        assert!(!kinds.is_cluster_scoped("gateway.networking.k8s.io", "Gateway"));
        kinds.add_crd(&json!({"spec": {"group": "example.com", "scope": "Cluster",
            "names": {"kind": "Widget", "plural": "widgetz"}}}));
        assert!(kinds.is_cluster_scoped("example.com", "Widget"));
        assert_eq!(
            kinds.plural("example.com", "Widget").as_deref(),
            Some("widgetz")
        );
        assert!(is_exempt(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration"
        ));
        assert!(!is_exempt("apps", "Deployment"));
    }
}
