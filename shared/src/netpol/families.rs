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
//!   direction counts as isolated when a rule of it has `action: Deny` and no `ports` towards
//!   every pod of the cluster (a peer `namespaces: {}` or `pods: {namespaceSelector: {},
//!   podSelector: {}}`), and for Egress also towards every address (Deny `networks` covering
//!   `0.0.0.0/0`). `Allow` and `Pass` rules isolate nothing, and rules towards some peers or
//!   ports only leave the rest open.

use std::borrow::Cow;

use std::fmt;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::calico::Selector;
use crate::cluster::Resource;
use crate::netpol::Direction;
use crate::request::{Borrowed, StringMap};
use crate::selector::LabelSelector;
use crate::view::optional_string as text;

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

/// The policy API an object was listed from, which says how its fields are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Cilium,
    Calico,
    Admin,
}

// The views. Each type read costs a few KB of wasm (its Deserialize impl and the generic code it
// instantiates), so every API these policies read only when Kubernetes' NetworkPolicies leave a
// direction open shares two: [`PolicyObject`] for the object-like levels (a `List` answer,
// object, metadata, a Cilium rule, a Calico or AdminNetworkPolicy spec, a Namespace's
// metadata) and [`PolicyRule`] for the rule-like ones (a rule of any API, an
// AdminNetworkPolicy subject, peer or `pods`, Cilium's `enableDefaultDeny`). Kubernetes'
// NetworkPolicies, listed on every request, have a view of their own that keeps nothing per
// rule (network-policy-presence's `netpol`). Each level fills only its own fields, and no two
// levels give one name different types. Their readers are written out, as `shared::request`'s
// are: serde's derive would add a field enum, duplicate-field errors and readers of arrays per
// type. A key given twice keeps its last value, as Go's `encoding/json` (which Cilium and
// Calico decode with) does; unknown keys are skipped.

/// An object of any of the families, or one of its object-like levels.
#[derive(Debug, Default)]
pub struct PolicyObject<'a> {
    metadata: Option<Box<PolicyObject<'a>>>,
    spec: Option<Box<PolicyObject<'a>>>,
    /// Cilium's list of rules besides `spec`.
    specs: Option<Vec<PolicyObject<'a>>>,
    /// The objects of a `List` answer.
    items: Option<Vec<PolicyObject<'a>>>,
    /// In `metadata`.
    name: Option<Cow<'a, str>>,
    /// In a Namespace's `metadata`.
    labels: StringMap<'a>,
    /// A Cilium rule.
    endpoint_selector: Option<LabelSelector<'a>>,
    node_selector: bool,
    enable_default_deny: Option<Box<PolicyRule<'a>>>,
    ingress_deny: usize,
    egress_deny: usize,
    /// Rules of every family.
    ingress: Option<Vec<PolicyRule<'a>>>,
    egress: Option<Vec<PolicyRule<'a>>>,
    /// A Calico spec.
    selector: Option<Cow<'a, str>>,
    namespace_selector: Option<Cow<'a, str>>,
    service_account_selector: Option<Cow<'a, str>>,
    types: Option<Vec<Cow<'a, str>>>,
    /// An AdminNetworkPolicy spec.
    subject: Option<Box<PolicyRule<'a>>>,
}

/// A rule of any of the families, or one of its rule-like levels.
#[derive(Debug, Default)]
pub struct PolicyRule<'a> {
    /// Cilium's `enableDefaultDeny`.
    ingress: Option<bool>,
    egress: Option<bool>,
    /// A Cilium rule, read for whether it allows everything: `fromEntities` of an ingress
    /// rule, `toEntities` of an egress one.
    entities: Option<Vec<Cow<'a, str>>>,
    to_ports: usize,
    /// A Calico or AdminNetworkPolicy rule.
    action: Option<Cow<'a, str>>,
    /// A Calico rule: some field other than `action` and `metadata` says something. Every
    /// other field of its `Rule` (projectcalico.org/v3) narrows it: `protocol`,
    /// `notProtocol`, `icmp`, `notICMP`, `ipVersion`, `http`, and `source` and `destination`
    /// (`EntityRule`s, every field of which narrows). Empty values narrow nothing
    /// (`nets: []`), as in libcalico-go's conversion to the dataplane's rules.
    narrowed: bool,
    /// An AdminNetworkPolicy rule's peers (`from`, `to`) and the number of its `ports`
    /// (`None`: not given).
    peers: Option<Vec<PolicyRule<'a>>>,
    ports: Option<usize>,
    /// An AdminNetworkPolicy subject or peer.
    namespaces: Option<LabelSelector<'a>>,
    pods: Option<Box<PolicyRule<'a>>>,
    networks: Option<Vec<Cow<'a, str>>>,
    /// An AdminNetworkPolicy `pods`.
    namespace_selector: Option<LabelSelector<'a>>,
    pod_selector: Option<LabelSelector<'a>>,
}

/// The length of a list whose items are not read (skipped, as any JSON); `None` for null.
pub fn count<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<usize>, A::Error> {
    Ok(map
        .next_value::<Option<Vec<IgnoredAny>>>()?
        .map(|l| l.len()))
}

impl<'de: 'a, 'a> Deserialize<'de> for PolicyObject<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<PolicyObject<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = PolicyObject<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut o = PolicyObject::default();
                while let Some(key) = map.next_key::<Borrowed<'de>>()? {
                    match &*key {
                        "metadata" => o.metadata = map.next_value()?,
                        "spec" => o.spec = map.next_value()?,
                        "specs" => o.specs = map.next_value()?,
                        "items" => o.items = map.next_value()?,
                        "name" => o.name = text(&mut map)?,
                        "labels" => o.labels = crate::view::string_map(&mut map)?,
                        "endpointSelector" => o.endpoint_selector = map.next_value()?,
                        "nodeSelector" => {
                            o.node_selector = map.next_value::<Option<IgnoredAny>>()?.is_some()
                        }
                        "enableDefaultDeny" => o.enable_default_deny = map.next_value()?,
                        "ingressDeny" => o.ingress_deny = count(&mut map)?.unwrap_or(0),
                        "egressDeny" => o.egress_deny = count(&mut map)?.unwrap_or(0),
                        "ingress" => o.ingress = map.next_value()?,
                        "egress" => o.egress = map.next_value()?,
                        "selector" => o.selector = text(&mut map)?,
                        "namespaceSelector" => o.namespace_selector = text(&mut map)?,
                        "serviceAccountSelector" => o.service_account_selector = text(&mut map)?,
                        "types" => o.types = map.next_value()?,
                        "subject" => o.subject = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(o)
            }
        }
        de.deserialize_map(V(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for PolicyRule<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<PolicyRule<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = PolicyRule<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut r = PolicyRule::default();
                while let Some(key) = map.next_key::<Borrowed<'de>>()? {
                    match &*key {
                        "ingress" => r.ingress = map.next_value()?,
                        "egress" => r.egress = map.next_value()?,
                        "fromEntities" | "toEntities" => r.entities = map.next_value()?,
                        "toPorts" => r.to_ports = count(&mut map)?.unwrap_or(0),
                        "action" => r.action = text(&mut map)?,
                        "from" | "to" => r.peers = map.next_value()?,
                        "ports" => r.ports = count(&mut map)?,
                        "namespaces" => r.namespaces = map.next_value()?,
                        "pods" => r.pods = map.next_value()?,
                        "networks" => r.networks = map.next_value()?,
                        "namespaceSelector" => r.namespace_selector = map.next_value()?,
                        "podSelector" => r.pod_selector = map.next_value()?,
                        "metadata" => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => r.narrowed |= has_content(map.next_value()?),
                    }
                }
                Ok(r)
            }
        }
        de.deserialize_map(V(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// What is listed

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
    "spec.ingress.ports",
    "spec.egress.action",
    "spec.egress.to",
    "spec.egress.ports",
];

fn items<T>(list: &Option<Vec<T>>) -> &[T] {
    list.as_deref().unwrap_or_default()
}

/// Whether a JSON value says anything: not null, and not only empty strings, lists and objects.
/// `text` is valid JSON (serde read it), so a string is a key exactly when a `:` follows it.
fn has_content(raw: Option<&RawValue>) -> bool {
    let Some(raw) = raw else { return false };
    let bytes = raw.get().as_bytes();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        i += 1;
        match c {
            b'"' => {
                let start = i;
                while let Some(&c) = bytes.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
                let empty = i == start + 1;
                let rest = bytes.get(i..).unwrap_or_default();
                let key = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':');
                if !key && !empty {
                    return true;
                }
            }
            b'{' | b'}' | b'[' | b']' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => {}
            b'n' => i += 3,
            _ => return true,
        }
    }
    false
}

/// The objects of a `List` answer of the host.
pub fn read_list(bytes: &[u8]) -> Result<Vec<PolicyObject<'_>>, String> {
    crate::json::from_slice::<PolicyObject>(bytes)
        .map(|list| list.items.unwrap_or_default())
        .map_err(|e| format!("the answer is not a readable list: {e}"))
}

/// A Namespace's labels, from the host's answer; `None` when it cannot be read.
pub fn read_namespace(bytes: &[u8]) -> Option<PolicyObject<'_>> {
    crate::json::from_slice::<PolicyObject>(bytes).ok()
}

impl<'a> PolicyObject<'a> {
    pub fn name(&self) -> &str {
        self.metadata
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .unwrap_or("<unnamed>")
    }

    /// A Namespace's labels.
    pub fn labels(&self) -> Option<&StringMap<'a>> {
        self.metadata.as_ref().map(|m| &m.labels)
    }

    /// What the policy does to `pod`; `None` when it does not select it. `kind` names the
    /// policy in messages. A namespaced policy is only listed for its own namespace;
    /// `clusterwide` policies of Calico also read `namespaceSelector`.
    pub fn isolation(
        &self,
        api: Api,
        kind: &str,
        clusterwide: bool,
        pod: &Pod<'_>,
    ) -> Option<Isolation> {
        let mut out = [false; 4];
        let mut selected = false;
        match api {
            Api::Cilium => {
                let rules = self.spec.as_deref().into_iter().chain(items(&self.specs));
                for rule in rules.filter(|r| r.cilium_selects(pod)) {
                    selected = true;
                    let allows_all = |rules: &Option<Vec<PolicyRule>>| {
                        items(rules).iter().any(PolicyRule::cilium_allows_all)
                    };
                    out[0] |= rule.cilium_isolates(Direction::Ingress);
                    out[1] |= rule.cilium_isolates(Direction::Egress);
                    out[2] |= allows_all(&rule.ingress);
                    out[3] |= allows_all(&rule.egress);
                }
            }
            Api::Calico => {
                let spec = self.spec.as_deref()?;
                selected = spec.calico_selects(clusterwide, pod);
                let allows_all = |rules: &Option<Vec<PolicyRule>>| {
                    items(rules).iter().any(PolicyRule::calico_allows_all)
                };
                out = [
                    spec.calico_isolates(Direction::Ingress),
                    spec.calico_isolates(Direction::Egress),
                    allows_all(&spec.ingress),
                    allows_all(&spec.egress),
                ];
            }
            Api::Admin => {
                let spec = self.spec.as_deref()?;
                selected = spec.subject.as_ref().is_some_and(|s| s.admin_selects(pod));
                // A Deny-all is judged here; Allow rules never make a Deny-all count less.
                out = [
                    spec.admin_isolates(Direction::Ingress),
                    spec.admin_isolates(Direction::Egress),
                    false,
                    false,
                ];
            }
        }
        let [ingress, egress, allows_all_ingress, allows_all_egress] = out;
        selected.then(|| Isolation {
            policy: format!("{kind} {:?}", self.name()),
            ingress,
            egress,
            allows_all_ingress,
            allows_all_egress,
        })
    }

    pub fn rules(&self, direction: Direction) -> &[PolicyRule<'a>] {
        match direction {
            Direction::Ingress => items(&self.ingress),
            Direction::Egress => items(&self.egress),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Cilium: a rule (`spec` or an item of `specs`)

    fn cilium_selects(&self, pod: &Pod<'_>) -> bool {
        // Rules with a node selector select nodes; a rule needs an endpoint or a node selector,
        // without either Cilium refuses it.
        !self.node_selector
            && self
                .endpoint_selector
                .as_ref()
                .is_some_and(|s| s.matches_by(&|k| cilium_label(pod, k)))
    }

    pub fn cilium_isolates(&self, direction: Direction) -> bool {
        let deny = self.enable_default_deny.as_deref();
        let (denies, flag) = match direction {
            Direction::Ingress => (self.ingress_deny, deny.and_then(|d| d.ingress)),
            Direction::Egress => (self.egress_deny, deny.and_then(|d| d.egress)),
        };
        let sections = self.rules(direction).len() + denies;
        sections > 0 && flag != Some(false)
    }

    // -----------------------------------------------------------------------------------------
    // Calico: the spec

    fn calico_selects(&self, global: bool, pod: &Pod<'_>) -> bool {
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
        if !global || namespaces.bytes().all(|b| b == b' ' || b == b'\t') {
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
    pub fn calico_isolates(&self, direction: Direction) -> bool {
        let types = items(&self.types);
        if !types.is_empty() {
            return types.iter().any(|t| t == direction.name());
        }
        let egress = !items(&self.egress).is_empty();
        match direction {
            Direction::Ingress => !egress || !items(&self.ingress).is_empty(),
            Direction::Egress => egress,
        }
    }

    // -----------------------------------------------------------------------------------------
    // AdminNetworkPolicy: the spec

    pub fn admin_isolates(&self, direction: Direction) -> bool {
        // A rule with `ports` given only matches those ports (kube-network-policies'
        // `evaluateAdminEgress` filters by them whenever the field is set, even empty).
        let deny = || {
            self.rules(direction)
                .iter()
                .filter(|r| r.action.as_deref() == Some("Deny") && r.ports.is_none())
                .flat_map(|r| items(&r.peers))
        };
        let pods = deny().any(PolicyRule::every_pod);
        if direction == Direction::Ingress {
            return pods;
        }
        let networks: Vec<_> = deny()
            .flat_map(|p| items(&p.networks))
            .filter_map(|n| crate::net::parse_cidr(n).ok())
            .collect();
        pods && !networks.is_empty()
            && crate::net::first_uncovered(&crate::net::any_v4(), &networks).is_none()
    }
}

impl PolicyRule<'_> {
    /// Cilium: the entity `all` on every port. Peers of a rule are ORed, ports ANDed with them.
    fn cilium_allows_all(&self) -> bool {
        self.to_ports == 0 && items(&self.entities).iter().any(|e| e == "all")
    }

    /// Calico: `action: Allow` and nothing that narrows it.
    fn calico_allows_all(&self) -> bool {
        self.action.as_deref() == Some("Allow") && !self.narrowed
    }

    /// AdminNetworkPolicy: exactly one of `namespaces` and `pods` is set (the API's
    /// validation); a subject with neither or both selects nothing here.
    fn admin_selects(&self, pod: &Pod<'_>) -> bool {
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

    /// An AdminNetworkPolicy peer naming every pod of the cluster.
    fn every_pod(&self) -> bool {
        let empty = |s: &Option<LabelSelector<'_>>| s.as_ref().is_some_and(LabelSelector::is_empty);
        empty(&self.namespaces)
            || self
                .pods
                .as_ref()
                .is_some_and(|p| empty(&p.namespace_selector) && empty(&p.pod_selector))
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
