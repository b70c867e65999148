//! What the network-policy APIs other than `networking.k8s.io/v1` say about one pod: whether a
//! policy selects it and which directions it isolates. Each family is read into a lean view,
//! borrowed from the host's answer, and judged per its own upstream semantics:
//!
//! - Cilium (`cilium.io/v2` CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy): a rule
//!   (`spec`, and each of `specs`) isolates a direction when it has a non-empty section of it
//!   (`ingress`/`ingressDeny`, `egress`/`egressDeny`) and `enableDefaultDeny` of that direction is
//!   not false: Cilium's `Rule.Sanitize` defaults `EnableDefaultDeny.Ingress` to
//!   `len(Ingress) > 0 || len(IngressDeny) > 0`, and `computePolicyEnforcementAndRules`
//!   (pkg/policy/repository.go) enters default deny only for rules with such a section and the
//!   flag set. So `ingress: []` isolates nothing and `ingress: [{}]` isolates (allowing nothing).
//!   `endpointSelector` keys carry Cilium's source prefix (`k8s:app`, `any:app`, plain `app` is
//!   `any`); a pod's labels are its Kubernetes labels plus `io.kubernetes.pod.namespace` and
//!   `io.cilium.k8s.namespace.labels.<key>`; other sources (`reserved:`, `cidr:`) never match a
//!   pod. A namespaced policy selects only pods of its namespace; rules with a `nodeSelector`
//!   select nodes, not pods.
//! - Calico (`projectcalico.org/v3`, `crd.projectcalico.org/v1` NetworkPolicy and
//!   GlobalNetworkPolicy): `selector` in Calico's language over the pod's labels plus
//!   `projectcalico.org/namespace` and `projectcalico.org/orchestrator`, ANDed for global policies
//!   with `namespaceSelector` over the namespace's labels plus `projectcalico.org/name`
//!   (libcalico-go `ConvertNetworkPolicyV3ToV1Value`, `ConvertGlobalNetworkPolicyV3ToV1Value`);
//!   directions from `types`, defaulted as `defaultPolicyTypesField` does (no egress rules:
//!   Ingress; egress rules only: Egress; both: both). A `serviceAccountSelector` other than
//!   `all()`, an unparsable selector or one using `global()` (which the API refuses there) is not
//!   counted: what it selects cannot be shown.
//! - AdminNetworkPolicy / BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`): the
//!   `subject` (`namespaces`, or `pods` with a namespace and a pod selector) selects the pod; a
//!   direction counts as isolated when a rule of it has `action: Deny` towards every pod of the
//!   cluster (a peer `namespaces: {}` or `pods: {namespaceSelector: {}, podSelector: {}}`), and
//!   for Egress also towards every address (Deny `networks` covering `0.0.0.0/0`). `Allow` and
//!   `Pass` rules isolate nothing, and rules towards some peers only leave the rest open.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::calico::Selector;
use crate::cluster::Resource;
use crate::netpol::Direction;
use crate::request::{StringMap, null_as_empty};
use crate::selector::LabelSelector;

/// The pod being judged, as the policy engines see it.
pub struct Pod<'p> {
    pub labels: &'p StringMap<'p>,
    pub namespace: &'p str,
    /// The namespace's labels; `None` when they could not be read, in which case selectors
    /// that need them select nothing.
    pub namespace_labels: Option<&'p StringMap<'p>>,
}

/// What one policy does to the pod it selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Isolation {
    /// `CiliumNetworkPolicy "deny-all"`, for messages.
    pub policy: String,
    pub ingress: bool,
    pub egress: bool,
    /// Some rule of the direction lets every peer through on every port.
    pub allows_all_ingress: bool,
    pub allows_all_egress: bool,
}

impl Isolation {
    pub fn covers(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }

    pub fn allows_all(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.allows_all_ingress,
            Direction::Egress => self.allows_all_egress,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Meta<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
}

fn name<'m>(meta: &'m Option<Meta<'_>>) -> &'m str {
    meta.as_ref()
        .and_then(|m| m.name.as_deref())
        .unwrap_or("<unnamed>")
}

// ---------------------------------------------------------------------------------------------
// Cilium

pub const CILIUM_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
};
pub const CILIUM_CLUSTERWIDE_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "cilium.io/v2",
    kind: "CiliumClusterwideNetworkPolicy",
};

/// What is read of a Cilium policy: the items of a section are kept (as `{}`) so that they
/// count, with only the fields that can make a rule allow everything.
pub const CILIUM_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.endpointSelector",
    "spec.nodeSelector",
    "spec.enableDefaultDeny",
    "spec.ingress.fromEntities",
    "spec.ingress.toPorts",
    "spec.ingressDeny.toPorts",
    "spec.egress.toEntities",
    "spec.egress.toPorts",
    "spec.egressDeny.toPorts",
    "specs.endpointSelector",
    "specs.nodeSelector",
    "specs.enableDefaultDeny",
    "specs.ingress.fromEntities",
    "specs.ingress.toPorts",
    "specs.ingressDeny.toPorts",
    "specs.egress.toEntities",
    "specs.egress.toPorts",
    "specs.egressDeny.toPorts",
];

#[derive(Debug, Default, Deserialize)]
pub struct CiliumPolicy<'a> {
    #[serde(default, borrow)]
    pub metadata: Option<Meta<'a>>,
    #[serde(default, borrow)]
    pub spec: Option<CiliumRule<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub specs: Vec<CiliumRule<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumRule<'a> {
    #[serde(default, borrow)]
    pub endpoint_selector: Option<LabelSelector<'a>>,
    #[serde(default)]
    pub node_selector: Option<IgnoredAny>,
    #[serde(default)]
    pub enable_default_deny: Option<DefaultDeny>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub ingress: Vec<CiliumPeers<'a>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ingress_deny: Vec<IgnoredAny>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub egress: Vec<CiliumPeers<'a>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub egress_deny: Vec<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DefaultDeny {
    #[serde(default)]
    pub ingress: Option<bool>,
    #[serde(default)]
    pub egress: Option<bool>,
}

/// One allow rule, read for whether it allows everything.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumPeers<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub from_entities: Vec<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub to_entities: Vec<Cow<'a, str>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub to_ports: Vec<IgnoredAny>,
}

impl CiliumPeers<'_> {
    /// The entity `all` on every port. Peers of a rule are ORed, ports ANDed with them.
    fn allows_all(&self) -> bool {
        self.to_ports.is_empty()
            && self
                .from_entities
                .iter()
                .chain(&self.to_entities)
                .any(|e| e == "all")
    }
}

/// A selector key's label on the pod: `k8s:` and `any:` (and no prefix) read the pod's
/// Kubernetes labels and the ones Cilium derives from them; any other source is not a pod's.
fn cilium_label<'p>(pod: &Pod<'p>, key: &str) -> Option<&'p str> {
    let key = match key.split_once(':') {
        Some(("k8s" | "any", key)) => key,
        Some(_) => return None,
        None => key,
    };
    if key == "io.kubernetes.pod.namespace" {
        return Some(pod.namespace);
    }
    if let Some(ns_key) = key.strip_prefix("io.cilium.k8s.namespace.labels.") {
        return pod.namespace_labels?.get(ns_key).map(|v| v.as_ref());
    }
    pod.labels.get(key).map(|v| v.as_ref())
}

impl<'a> CiliumPolicy<'a> {
    pub fn name(&self) -> &str {
        name(&self.metadata)
    }

    pub fn rules(&self) -> impl Iterator<Item = &CiliumRule<'a>> {
        self.spec.iter().chain(&self.specs)
    }

    /// What the rules that select `pod` do to it; `None` when none selects it. `kind` names the
    /// policy in messages. A namespaced policy is only listed for its own namespace.
    pub fn isolation(&self, kind: &str, pod: &Pod<'_>) -> Option<Isolation> {
        let mut out: Option<Isolation> = None;
        for rule in self.rules().filter(|r| r.selects(pod)) {
            let o = out.get_or_insert_with(|| Isolation {
                policy: format!("{kind} {:?}", self.name()),
                ingress: false,
                egress: false,
                allows_all_ingress: false,
                allows_all_egress: false,
            });
            o.ingress |= rule.isolates(Direction::Ingress);
            o.egress |= rule.isolates(Direction::Egress);
            o.allows_all_ingress |= rule.ingress.iter().any(CiliumPeers::allows_all);
            o.allows_all_egress |= rule.egress.iter().any(CiliumPeers::allows_all);
        }
        out
    }
}

impl CiliumRule<'_> {
    fn selects(&self, pod: &Pod<'_>) -> bool {
        if self.node_selector.is_some() {
            return false;
        }
        // A rule needs an endpoint or a node selector; without either Cilium refuses it.
        self.endpoint_selector
            .as_ref()
            .is_some_and(|s| s.matches_by(&|k| cilium_label(pod, k)))
    }

    pub fn isolates(&self, direction: Direction) -> bool {
        let deny = self.enable_default_deny.as_ref();
        let (sections, flag) = match direction {
            Direction::Ingress => (
                self.ingress.len() + self.ingress_deny.len(),
                deny.and_then(|d| d.ingress),
            ),
            Direction::Egress => (
                self.egress.len() + self.egress_deny.len(),
                deny.and_then(|d| d.egress),
            ),
        };
        sections > 0 && flag != Some(false)
    }
}

// ---------------------------------------------------------------------------------------------
// Calico

pub const CALICO_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "projectcalico.org/v3",
    kind: "NetworkPolicy",
};
pub const CALICO_GLOBAL_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "projectcalico.org/v3",
    kind: "GlobalNetworkPolicy",
};
pub const CALICO_CRD_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "crd.projectcalico.org/v1",
    kind: "NetworkPolicy",
};
pub const CALICO_CRD_GLOBAL_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "crd.projectcalico.org/v1",
    kind: "GlobalNetworkPolicy",
};

pub const CALICO_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.selector",
    "spec.namespaceSelector",
    "spec.serviceAccountSelector",
    "spec.types",
    "spec.ingress",
    "spec.egress",
];

#[derive(Debug, Default, Deserialize)]
pub struct CalicoPolicy<'a> {
    #[serde(default, borrow)]
    pub metadata: Option<Meta<'a>>,
    #[serde(default, borrow)]
    pub spec: Option<CalicoSpec<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalicoSpec<'a> {
    #[serde(default, borrow)]
    pub selector: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub namespace_selector: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub service_account_selector: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub types: Vec<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub ingress: Vec<CalicoRule<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub egress: Vec<CalicoRule<'a>>,
}

/// A Calico rule, read for whether it allows everything: each field that narrows it is only
/// noted as present (`Rule` and `EntityRule` of projectcalico.org/v3).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalicoRule<'a> {
    #[serde(default, borrow)]
    pub action: Cow<'a, str>,
    #[serde(default)]
    protocol: Option<IgnoredAny>,
    #[serde(default)]
    not_protocol: Option<IgnoredAny>,
    #[serde(default)]
    icmp: Option<IgnoredAny>,
    #[serde(default, rename = "notICMP")]
    not_icmp: Option<IgnoredAny>,
    #[serde(default)]
    ip_version: Option<IgnoredAny>,
    #[serde(default)]
    http: Option<IgnoredAny>,
    #[serde(default)]
    source: Option<CalicoEntity>,
    #[serde(default)]
    destination: Option<CalicoEntity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalicoEntity {
    #[serde(default)]
    nets: Option<IgnoredAny>,
    #[serde(default)]
    not_nets: Option<IgnoredAny>,
    #[serde(default)]
    selector: Option<IgnoredAny>,
    #[serde(default)]
    not_selector: Option<IgnoredAny>,
    #[serde(default)]
    namespace_selector: Option<IgnoredAny>,
    #[serde(default)]
    ports: Option<IgnoredAny>,
    #[serde(default)]
    not_ports: Option<IgnoredAny>,
    #[serde(default)]
    service_accounts: Option<IgnoredAny>,
    #[serde(default)]
    services: Option<IgnoredAny>,
    #[serde(default)]
    domains: Option<IgnoredAny>,
}

impl CalicoEntity {
    fn is_open(&self) -> bool {
        [
            &self.nets,
            &self.not_nets,
            &self.selector,
            &self.not_selector,
            &self.namespace_selector,
            &self.ports,
            &self.not_ports,
            &self.service_accounts,
            &self.services,
            &self.domains,
        ]
        .iter()
        .all(|f| f.is_none())
    }
}

impl CalicoRule<'_> {
    /// `action: Allow` and nothing that narrows it: no protocol, ICMP, IP version or HTTP
    /// match, and `source` and `destination` without any field.
    fn allows_all(&self) -> bool {
        let narrowed = [
            &self.protocol,
            &self.not_protocol,
            &self.icmp,
            &self.not_icmp,
            &self.ip_version,
            &self.http,
        ]
        .iter()
        .any(|f| f.is_some());
        let open = |e: &Option<CalicoEntity>| e.as_ref().is_none_or(CalicoEntity::is_open);
        self.action == "Allow" && !narrowed && open(&self.source) && open(&self.destination)
    }
}

/// The labels Calico gives a Kubernetes pod's workload endpoint on top of its own
/// (libcalico-go `conversion` of pods: `projectcalico.org/namespace`, `.../orchestrator`).
fn calico_label<'p>(pod: &Pod<'p>, key: &str) -> Option<&'p str> {
    match key {
        "projectcalico.org/namespace" => Some(pod.namespace),
        "projectcalico.org/orchestrator" => Some("k8s"),
        _ => pod.labels.get(key).map(|v| v.as_ref()),
    }
}

/// A Calico selector field: absent or empty is `all()`; `None` for one that cannot be counted.
fn calico_selector(text: Option<&str>) -> Option<Selector> {
    let selector = Selector::parse(text.unwrap_or_default()).ok()?;
    (!selector.uses_global()).then_some(selector)
}

impl<'a> CalicoPolicy<'a> {
    pub fn name(&self) -> &str {
        name(&self.metadata)
    }

    pub fn spec(&self) -> Option<&CalicoSpec<'a>> {
        self.spec.as_ref()
    }

    /// What the policy does to `pod`; `None` when it does not select it. `global` policies also
    /// read `namespaceSelector`; a namespaced one is only listed for its own namespace.
    pub fn isolation(&self, kind: &str, global: bool, pod: &Pod<'_>) -> Option<Isolation> {
        let spec = self.spec()?;
        if !spec.selects(global, pod) {
            return None;
        }
        Some(Isolation {
            policy: format!("{kind} {:?}", self.name()),
            ingress: spec.isolates(Direction::Ingress),
            egress: spec.isolates(Direction::Egress),
            allows_all_ingress: spec.ingress.iter().any(CalicoRule::allows_all),
            allows_all_egress: spec.egress.iter().any(CalicoRule::allows_all),
        })
    }
}

impl CalicoSpec<'_> {
    pub fn selects(&self, global: bool, pod: &Pod<'_>) -> bool {
        let Some(selector) = calico_selector(self.selector.as_deref()) else {
            return false;
        };
        let accounts = calico_selector(self.service_account_selector.as_deref());
        if !accounts.is_some_and(|s| s.is_all()) {
            return false;
        }
        if !selector.matches(&|k| calico_label(pod, k)) {
            return false;
        }
        let namespaces = self.namespace_selector.as_deref().unwrap_or_default();
        if !global || namespaces.trim_matches([' ', '\t']).is_empty() {
            return true;
        }
        let Some(selector) = calico_selector(Some(namespaces)) else {
            return false;
        };
        if selector.is_all() {
            return true;
        }
        let Some(labels) = pod.namespace_labels else {
            return false;
        };
        selector.matches(&|k| match k {
            "projectcalico.org/name" => Some(pod.namespace),
            _ => labels.get(k).map(|v| v.as_ref()),
        })
    }

    /// `types`, or what `defaultPolicyTypesField` makes of an empty one.
    pub fn isolates(&self, direction: Direction) -> bool {
        if !self.types.is_empty() {
            return self.types.iter().any(|t| t == direction.name());
        }
        match direction {
            Direction::Ingress => self.egress.is_empty() || !self.ingress.is_empty(),
            Direction::Egress => !self.egress.is_empty(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AdminNetworkPolicy

pub const ADMIN_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "policy.networking.k8s.io/v1alpha1",
    kind: "AdminNetworkPolicy",
};
pub const BASELINE_ADMIN_NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "policy.networking.k8s.io/v1alpha1",
    kind: "BaselineAdminNetworkPolicy",
};

pub const ADMIN_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.subject",
    "spec.ingress.action",
    "spec.ingress.from",
    "spec.egress.action",
    "spec.egress.to",
];

#[derive(Debug, Default, Deserialize)]
pub struct AdminPolicy<'a> {
    #[serde(default, borrow)]
    pub metadata: Option<Meta<'a>>,
    #[serde(default, borrow)]
    pub spec: Option<AdminSpec<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminSpec<'a> {
    #[serde(default, borrow)]
    pub subject: Option<AdminSubject<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub ingress: Vec<AdminRule<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub egress: Vec<AdminRule<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminSubject<'a> {
    #[serde(default, borrow)]
    pub namespaces: Option<LabelSelector<'a>>,
    #[serde(default, borrow)]
    pub pods: Option<NamespacedPods<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedPods<'a> {
    #[serde(default, borrow)]
    pub namespace_selector: Option<LabelSelector<'a>>,
    #[serde(default, borrow)]
    pub pod_selector: Option<LabelSelector<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminRule<'a> {
    #[serde(default, borrow)]
    pub action: Cow<'a, str>,
    #[serde(default, borrow, alias = "to", deserialize_with = "null_as_empty")]
    pub from: Vec<AdminPeer<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminPeer<'a> {
    #[serde(default, borrow)]
    pub namespaces: Option<LabelSelector<'a>>,
    #[serde(default, borrow)]
    pub pods: Option<NamespacedPods<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub networks: Vec<Cow<'a, str>>,
}

impl AdminPeer<'_> {
    fn every_pod(&self) -> bool {
        let empty = |s: &Option<LabelSelector<'_>>| s.as_ref().is_some_and(LabelSelector::is_empty);
        empty(&self.namespaces)
            || self
                .pods
                .as_ref()
                .is_some_and(|p| empty(&p.namespace_selector) && empty(&p.pod_selector))
    }
}

impl<'a> AdminPolicy<'a> {
    pub fn name(&self) -> &str {
        name(&self.metadata)
    }

    pub fn isolation(&self, kind: &str, pod: &Pod<'_>) -> Option<Isolation> {
        let spec = self.spec.as_ref()?;
        if !spec.subject.as_ref().is_some_and(|s| s.selects(pod)) {
            return None;
        }
        Some(Isolation {
            policy: format!("{kind} {:?}", self.name()),
            ingress: spec.isolates(Direction::Ingress),
            egress: spec.isolates(Direction::Egress),
            // A Deny-all is judged above; Allow rules never make a Deny-all count less.
            allows_all_ingress: false,
            allows_all_egress: false,
        })
    }
}

impl AdminSubject<'_> {
    /// Exactly one of `namespaces` and `pods` is set (the API's validation); a subject with
    /// neither or both selects nothing here.
    fn selects(&self, pod: &Pod<'_>) -> bool {
        let namespace = |s: &LabelSelector<'_>| {
            s.is_empty() || pod.namespace_labels.is_some_and(|l| s.matches(l))
        };
        match (&self.namespaces, &self.pods) {
            (Some(ns), None) => namespace(ns),
            (None, Some(pods)) => {
                pods.namespace_selector.as_ref().is_some_and(namespace)
                    && pods
                        .pod_selector
                        .as_ref()
                        .is_some_and(|s| s.matches(pod.labels))
            }
            _ => false,
        }
    }
}

impl AdminSpec<'_> {
    pub fn isolates(&self, direction: Direction) -> bool {
        let rules = match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        };
        let deny = || rules.iter().filter(|r| r.action == "Deny");
        let pods = deny().any(|r| r.from.iter().any(AdminPeer::every_pod));
        if direction == Direction::Ingress {
            return pods;
        }
        let networks: Vec<_> = deny()
            .flat_map(|r| &r.from)
            .flat_map(|p| &p.networks)
            .filter_map(|n| crate::net::parse_cidr(n).ok())
            .collect();
        pods && !networks.is_empty()
            && crate::net::first_uncovered(&crate::net::any_v4(), &networks).is_none()
    }
}
