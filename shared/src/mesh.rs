//! What each mesh reads: the switch that enrols a namespace, the pod labels and annotations that
//! opt in or out, and the annotations that let traffic go around the proxy.
//!
//! These are facts about the meshes' injectors (istio/istio `pkg/kube/inject` and its webhook
//! selectors, linkerd2 `pkg/inject`, consul-k8s `connect-inject`), kept apart from the policies'
//! decisions so that each rule says which fact it relies on. `mesh-injection` judges the
//! switches; `mesh-authorization` asks whether a workload's pods are meshed ([`pods_meshed`]
//! over the Namespace that [`read_namespace`] looks up).

use crate::annotations::{BoolSyntax, split_list};
use crate::cluster::{Cluster, Resource};
use crate::request::{ObjectMeta, StringMap};
use serde::Deserialize;

/// The Namespace lookup of the policies that ask whether a namespace is meshed.
pub const NAMESPACE: Resource = Resource {
    api_version: "v1",
    kind: "Namespace",
};

/// What those policies read of the namespace they look up (the field masks of the lookup).
pub const NAMESPACE_FIELDS: &[&str] = &["metadata.name", "metadata.labels", "metadata.annotations"];

/// The parts of a Namespace the mesh switches live in.
#[derive(Debug, Default)]
pub struct Namespace<'a> {
    pub metadata: ObjectMeta<'a>,
}

crate::view_reader!(Namespace {
    "metadata" => metadata: crate::view::object,
});

/// The answer of a Namespace lookup, read as text with the very view (and parser) of a
/// Namespace under admission, which keeps a module from carrying a second one.
pub fn parse_namespace(bytes: &[u8]) -> Result<Namespace<'_>, String> {
    crate::mem::utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(crate::json::from_str::<Namespace>)
        .map_err(|e| format!("the answer cannot be read as a Namespace: {e}"))
}

/// Looks up the Namespace `name` (`get_resource`, masked to its labels and annotations); the
/// bytes are the caller's to parse with [`parse_namespace`].
pub fn read_namespace(cluster: &(impl Cluster + ?Sized), name: &str) -> Result<Vec<u8>, String> {
    if name.is_empty() {
        return Err("the request names no namespace".to_string());
    }
    cluster.get(NAMESPACE, name, None, NAMESPACE_FIELDS)
}

/// The service mesh the cluster runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mesh {
    /// Istio with sidecars injected by istiod's webhook.
    #[default]
    Istio,
    /// Istio ambient mode: ztunnel on each node captures the pods' traffic.
    IstioAmbient,
    Linkerd,
    Consul,
}

impl Mesh {
    /// The setting's value, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Mesh::Istio => "istio",
            Mesh::IstioAmbient => "istio-ambient",
            Mesh::Linkerd => "linkerd",
            Mesh::Consul => "consul",
        }
    }

    /// What users call it, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Mesh::Istio => "Istio",
            Mesh::IstioAmbient => "Istio ambient",
            Mesh::Linkerd => "Linkerd",
            Mesh::Consul => "Consul",
        }
    }

    /// Istio's mTLS resources (PeerAuthentication, DestinationRule) apply in both Istio modes.
    pub fn is_istio(self) -> bool {
        matches!(self, Mesh::Istio | Mesh::IstioAmbient)
    }

    /// The annotations that let a meshed pod's traffic go around its proxy.
    pub fn bypasses(self) -> &'static [Bypass] {
        match self {
            Mesh::Istio => ISTIO_BYPASSES,
            Mesh::IstioAmbient => AMBIENT_BYPASSES,
            Mesh::Linkerd => LINKERD_BYPASSES,
            Mesh::Consul => CONSUL_BYPASSES,
        }
    }

    /// The bypass `key` names, if it is one of this mesh.
    pub fn bypass(self, key: &str) -> Option<&'static Bypass> {
        if let Some(found) = self.bypasses().iter().find(|b| b.key == key) {
            return Some(found);
        }
        // consul-k8s reads every `transparent-proxy-exclude-*` key it knows; a future one is
        // judged like those rather than let through.
        (self == Mesh::Consul
            && key.starts_with(CONSUL_EXCLUDE_PREFIX)
            && key.len() > CONSUL_EXCLUDE_PREFIX.len())
        .then_some(&CONSUL_OTHER_EXCLUDE)
    }

    /// The label or annotation that enrols a namespace, as the policy adds it when mutating.
    pub fn enabling_switch(self, istio_revisions: &[String]) -> Option<Switch> {
        match self {
            Mesh::Istio => Some(match istio_revisions.first() {
                Some(revision) => Switch::label(ISTIO_REV, revision),
                None => Switch::label(ISTIO_INJECTION, "enabled"),
            }),
            Mesh::IstioAmbient => Some(Switch::label(DATAPLANE_MODE, "ambient")),
            Mesh::Linkerd => Some(Switch::annotation(LINKERD_INJECT, "enabled")),
            // consul-k8s selects namespaces with a Helm value, not a namespace label.
            Mesh::Consul => None,
        }
    }
}

pub const ISTIO_INJECTION: &str = "istio-injection";
pub const ISTIO_REV: &str = "istio.io/rev";
pub const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";
pub const DATAPLANE_MODE: &str = "istio.io/dataplane-mode";
pub const LINKERD_INJECT: &str = "linkerd.io/inject";
pub const LINKERD_INBOUND_POLICY: &str = "config.linkerd.io/default-inbound-policy";
pub const CONSUL_INJECT: &str = "consul.hashicorp.com/connect-inject";
const CONSUL_EXCLUDE_PREFIX: &str = "consul.hashicorp.com/transparent-proxy-exclude-";

/// Linkerd's `default-inbound-policy` values.
pub const LINKERD_INBOUND_POLICIES: [&str; 6] = [
    "all-unauthenticated",
    "all-authenticated",
    "cluster-authenticated",
    "cluster-unauthenticated",
    "deny",
    "audit",
];

/// What a Linkerd inbound policy lets in, for messages.
pub fn inbound_policy_effect(policy: &str) -> &'static str {
    match policy {
        "all-unauthenticated" => "admits any client, meshed or not, without mTLS",
        "cluster-unauthenticated" => {
            "admits any client from the cluster's networks, meshed or not, without mTLS"
        }
        "audit" => "admits every client and only logs the ones a deny policy would refuse",
        "all-authenticated" => "admits any meshed client with an mTLS identity",
        "cluster-authenticated" => "admits meshed clients of this cluster only",
        "deny" => "refuses every connection no Server authorises",
        _ => "is not a Linkerd inbound policy",
    }
}

/// Labels or annotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Label,
    Annotation,
}

impl Form {
    /// The metadata field: `labels` or `annotations`.
    pub fn field(self) -> &'static str {
        match self {
            Form::Label => "labels",
            Form::Annotation => "annotations",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Form::Label => "label",
            Form::Annotation => "annotation",
        }
    }
}

/// One label or annotation with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switch {
    pub form: Form,
    pub key: &'static str,
    pub value: String,
}

impl Switch {
    fn label(key: &'static str, value: &str) -> Switch {
        Switch {
            form: Form::Label,
            key,
            value: value.to_string(),
        }
    }

    fn annotation(key: &'static str, value: &str) -> Switch {
        Switch {
            form: Form::Annotation,
            key,
            value: value.to_string(),
        }
    }
}

impl std::fmt::Display for Switch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.form {
            Form::Label => write!(f, "the label {}={}", self.key, self.value),
            Form::Annotation => write!(f, "the annotation {}: {:?}", self.key, self.value),
        }
    }
}

/// How a bypass annotation's value turns the bypass on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A list with at least one item: each item escapes the proxy.
    AnyItem,
    /// A list without `*`: whatever it does not list escapes (an empty list, everything).
    AllButWildcard,
    /// Any value but a false one (Go `strconv.ParseBool`).
    NotFalse,
    /// A false value (Go `strconv.ParseBool`); a value that is no boolean fails injection.
    False,
}

/// An annotation that lets traffic go around the mesh's proxy.
#[derive(Debug)]
pub struct Bypass {
    pub key: &'static str,
    pub trigger: Trigger,
    /// What the pods' traffic does with it, to follow "the pods of X ...".
    pub effect: &'static str,
    /// The safe value, when there is one besides removing it.
    pub safe_value: Option<&'static str>,
    /// List items that take no application traffic around the proxy: the proxy's own ports.
    pub inert_items: &'static [&'static str],
}

/// What a bypass annotation's value does.
#[derive(Debug, PartialEq, Eq)]
pub enum BypassUse {
    Inert,
    Active,
    /// consul-k8s refuses to inject a pod whose value it cannot read.
    Unreadable,
}

/// istiod's injector writes `excludeInboundPorts` on every pod it injects when Istio CNI is on,
/// listing the sidecar's status port (15020 unless `status.sidecar.istio.io/port` moves it);
/// istio-init excludes 15020, 15021 (health) and 15090 (Envoy metrics) anyway.
pub const ISTIO_STATUS_PORT: &str = "status.sidecar.istio.io/port";
const ISTIO_PROXY_PORTS: &[&str] = &["15020", "15021", "15090"];

impl Bypass {
    /// `own_port` is one more port of the proxy, for lists with proxy ports in `inert_items`.
    pub fn judge(&self, value: &str, own_port: Option<&str>) -> BypassUse {
        let inert = |item: &str| {
            self.inert_items.contains(&item)
                || (!self.inert_items.is_empty() && own_port.is_some_and(|p| p.trim() == item))
        };
        let active = match self.trigger {
            Trigger::AnyItem => split_list(value).any(|item| !inert(item)),
            Trigger::AllButWildcard => !split_list(value).any(|item| item == "*"),
            Trigger::NotFalse => BoolSyntax::Go.parse(value.trim()) != Some(false),
            Trigger::False => match BoolSyntax::Go.parse(value) {
                Some(on) => !on,
                None => return BypassUse::Unreadable,
            },
        };
        if active {
            BypassUse::Active
        } else {
            BypassUse::Inert
        }
    }
}

const ISTIO_BYPASSES: &[Bypass] = &[
    Bypass {
        key: "traffic.sidecar.istio.io/excludeInboundPorts",
        trigger: Trigger::AnyItem,
        effect: "accept connections on these ports without the sidecar, so without mTLS",
        safe_value: None,
        inert_items: ISTIO_PROXY_PORTS,
    },
    Bypass {
        key: "traffic.sidecar.istio.io/excludeOutboundPorts",
        trigger: Trigger::AnyItem,
        effect: "connect to these ports around the sidecar, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "traffic.sidecar.istio.io/excludeOutboundIPRanges",
        trigger: Trigger::AnyItem,
        effect: "send traffic to these addresses around the sidecar, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "traffic.sidecar.istio.io/includeOutboundIPRanges",
        trigger: Trigger::AllButWildcard,
        effect: "send traffic to every address it does not list around the sidecar, without mTLS",
        safe_value: Some("*"),
        inert_items: &[],
    },
    Bypass {
        key: "traffic.sidecar.istio.io/includeInboundPorts",
        trigger: Trigger::AllButWildcard,
        effect: "accept connections on every port it does not list without the sidecar, so \
                 without mTLS",
        safe_value: Some("*"),
        inert_items: &[],
    },
];

const AMBIENT_BYPASSES: &[Bypass] = &[Bypass {
    key: "ambient.istio.io/bypass-inbound-capture",
    trigger: Trigger::NotFalse,
    effect: "accept connections that ztunnel does not capture, so without mTLS",
    safe_value: Some("false"),
    inert_items: &[],
}];

const LINKERD_BYPASSES: &[Bypass] = &[
    Bypass {
        key: "config.linkerd.io/skip-inbound-ports",
        trigger: Trigger::AnyItem,
        effect: "accept connections on these ports around the Linkerd proxy, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "config.linkerd.io/skip-outbound-ports",
        trigger: Trigger::AnyItem,
        effect: "connect to these ports around the Linkerd proxy, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "config.linkerd.io/skip-subnets",
        trigger: Trigger::AnyItem,
        effect: "send traffic to these subnets around the Linkerd proxy, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
];

const CONSUL_BYPASSES: &[Bypass] = &[
    Bypass {
        key: "consul.hashicorp.com/transparent-proxy",
        trigger: Trigger::False,
        effect: "run without transparent proxying, so the application's port is reachable \
                 directly, without mTLS",
        safe_value: Some("true"),
        inert_items: &[],
    },
    Bypass {
        key: "consul.hashicorp.com/transparent-proxy-exclude-inbound-ports",
        trigger: Trigger::AnyItem,
        effect: "accept connections on these ports around the Envoy sidecar, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "consul.hashicorp.com/transparent-proxy-exclude-outbound-ports",
        trigger: Trigger::AnyItem,
        effect: "connect to these ports around the Envoy sidecar, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs",
        trigger: Trigger::AnyItem,
        effect: "send traffic to these addresses around the Envoy sidecar, without mTLS",
        safe_value: None,
        inert_items: &[],
    },
    Bypass {
        key: "consul.hashicorp.com/transparent-proxy-exclude-uids",
        trigger: Trigger::AnyItem,
        effect: "let processes of these user IDs send traffic around the Envoy sidecar, \
                 without mTLS",
        safe_value: None,
        inert_items: &[],
    },
];

static CONSUL_OTHER_EXCLUDE: Bypass = Bypass {
    key: "consul.hashicorp.com/transparent-proxy-exclude-*",
    trigger: Trigger::AnyItem,
    effect: "exclude this traffic from transparent proxying, so it goes around the Envoy \
             sidecar without mTLS",
    safe_value: None,
    inert_items: &[],
};

/// Whether a namespace's own switch enrols its pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enrolment {
    Meshed,
    /// No switch at all: adding the enabling one is all it takes.
    Missing,
    /// A switch whose value keeps the pods out; `why` follows the value in a sentence.
    Refused {
        switch: Switch,
        why: String,
        fix: String,
    },
}

/// Whether `revision` is one the settings accept (any non-empty one when none are listed).
pub fn revision_accepted(revision: &str, accepted: &[String]) -> bool {
    !revision.is_empty() && (accepted.is_empty() || accepted.iter().any(|r| r == revision))
}

/// The enrolment of a namespace with these labels and annotations.
pub fn namespace_enrolment(
    mesh: Mesh,
    labels: &StringMap<'_>,
    annotations: &StringMap<'_>,
    revisions: &[String],
) -> Enrolment {
    let refused =
        |form, key: &'static str, value: &str, why: String, fix: String| Enrolment::Refused {
            switch: Switch {
                form,
                key,
                value: value.to_string(),
            },
            why,
            fix,
        };
    match mesh {
        Mesh::Istio => {
            let rev = labels.get(ISTIO_REV).map(|r| r.as_ref());
            // istiod's webhooks: `istio-injection In [enabled]` for the default revision, and
            // `istio.io/rev In [rev]` only where `istio-injection` does not exist at all.
            match (labels.get(ISTIO_INJECTION).map(|v| v.as_ref()), rev) {
                (Some("enabled"), _) => Enrolment::Meshed,
                (Some(value), Some(rev)) => refused(
                    Form::Label,
                    ISTIO_INJECTION,
                    value,
                    format!("which turns sidecar injection off and overrides istio.io/rev {rev:?}"),
                    "set it to \"enabled\", or remove it so that istio.io/rev selects the \
                     revision"
                        .to_string(),
                ),
                (Some(value), None) => refused(
                    Form::Label,
                    ISTIO_INJECTION,
                    value,
                    "which turns sidecar injection off (only \"enabled\" turns it on)".to_string(),
                    "set it to \"enabled\"".to_string(),
                ),
                (None, Some(rev)) if revision_accepted(rev, revisions) => Enrolment::Meshed,
                (None, Some(rev)) => refused(
                    Form::Label,
                    ISTIO_REV,
                    rev,
                    if rev.is_empty() {
                        "which selects no revision, so no sidecar is injected".to_string()
                    } else {
                        format!(
                            "which is not an accepted Istio revision ({})",
                            revisions.join(", ")
                        )
                    },
                    revision_fix(revisions),
                ),
                (None, None) => Enrolment::Missing,
            }
        }
        Mesh::IstioAmbient => match labels.get(DATAPLANE_MODE).map(|v| v.as_ref()) {
            Some("ambient") => Enrolment::Meshed,
            Some(value) => refused(
                Form::Label,
                DATAPLANE_MODE,
                value,
                "which keeps its pods out of the ambient mesh".to_string(),
                "set it to \"ambient\"".to_string(),
            ),
            None => Enrolment::Missing,
        },
        Mesh::Linkerd => match annotations.get(LINKERD_INJECT).map(|v| v.as_ref()) {
            Some("enabled") => Enrolment::Meshed,
            Some(value) => refused(
                Form::Annotation,
                LINKERD_INJECT,
                value,
                if value == "ingress" {
                    "which injects every pod in ingress mode, meant for ingress controllers only"
                        .to_string()
                } else {
                    "which keeps its pods out of the Linkerd mesh".to_string()
                },
                "set it to \"enabled\" (and annotate ingress controller pods with \"ingress\")"
                    .to_string(),
            ),
            None => Enrolment::Missing,
        },
        Mesh::Consul => Enrolment::Meshed,
    }
}

fn revision_fix(revisions: &[String]) -> String {
    if revisions.is_empty() {
        "set it to the revision (or tag) of your control plane".to_string()
    } else {
        format!("use one of: {}", revisions.join(", "))
    }
}

/// What to write instead of nothing, for a namespace that lacks its switch.
pub fn missing_switch(mesh: Mesh, labels: &StringMap<'_>) -> String {
    match mesh {
        Mesh::Istio => "has neither the label istio-injection=enabled nor an istio.io/rev label",
        Mesh::IstioAmbient => "has no istio.io/dataplane-mode=ambient label",
        // A label of the same name does nothing: Linkerd reads only the annotation.
        Mesh::Linkerd if labels.contains_key(LINKERD_INJECT) => {
            "has linkerd.io/inject as a label, which Linkerd does not read (it reads the \
             annotation)"
        }
        Mesh::Linkerd => "has no linkerd.io/inject annotation",
        Mesh::Consul => "needs no switch",
    }
    .to_string()
}

/// Whether pods with these labels and annotations enrol themselves whatever their namespace
/// says, so that the namespace need not be read. Istio's own opt-in depends on the namespace
/// (its webhooks require the namespace labels to be absent), so it never does.
pub fn pods_enrol_themselves(
    mesh: Mesh,
    labels: &StringMap<'_>,
    annotations: &StringMap<'_>,
) -> bool {
    match mesh {
        Mesh::Istio => false,
        Mesh::IstioAmbient => labels.get(DATAPLANE_MODE).is_some_and(|v| v == "ambient"),
        // linkerd2 ShouldInjectWebhook: a pod's `enabled` (or `ingress`) injects anywhere.
        Mesh::Linkerd => annotations
            .get(LINKERD_INJECT)
            .is_some_and(|v| v == "enabled" || v == "ingress"),
        Mesh::Consul => true,
    }
}

/// Whether pods with these labels and annotations join the mesh in a namespace with these
/// (opt-outs aside, which the policy reports on their own).
pub fn pods_meshed(
    mesh: Mesh,
    namespace_labels: &StringMap<'_>,
    namespace_annotations: &StringMap<'_>,
    pod_labels: &StringMap<'_>,
    pod_annotations: &StringMap<'_>,
    revisions: &[String],
) -> bool {
    if pods_enrol_themselves(mesh, pod_labels, pod_annotations) {
        return true;
    }
    if namespace_enrolment(mesh, namespace_labels, namespace_annotations, revisions)
        == Enrolment::Meshed
    {
        return true;
    }
    if mesh != Mesh::Istio
        || namespace_labels.contains_key(ISTIO_INJECTION)
        || namespace_labels.contains_key(ISTIO_REV)
    {
        return false;
    }
    // istiod's object webhooks, for namespaces without either label: a pod `istio.io/rev`
    // label selects its revision, else a pod label `sidecar.istio.io/inject: "true"` the
    // default one. Both match labels, never annotations.
    match pod_labels.get(ISTIO_REV) {
        Some(rev) => revision_accepted(rev, revisions),
        None => pod_labels.get(SIDECAR_INJECT).is_some_and(|v| v == "true"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::string_map as map;
    use std::borrow::Cow;

    fn revs(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn istio_namespace_enrolment() {
        let none = map(&[]);
        type Labels<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Labels, &[&str], &str)] = &[
            (&[("istio-injection", "enabled")], &[], "meshed"),
            (&[("istio-injection", "enabled")], &["canary"], "meshed"),
            (&[("istio.io/rev", "canary")], &[], "meshed"),
            (
                &[("istio.io/rev", "canary")],
                &["stable", "canary"],
                "meshed",
            ),
            (&[("istio.io/rev", "old")], &["canary"], "refused"),
            (&[("istio.io/rev", "")], &[], "refused"),
            (
                &[("istio-injection", "disabled"), ("istio.io/rev", "canary")],
                &[],
                "refused",
            ),
            (&[("istio-injection", "true")], &[], "refused"),
            (&[("istio-injection", "Enabled")], &[], "refused"),
            (&[("team", "a")], &[], "missing"),
        ];
        for (labels, accepted, want) in cases {
            let labels: StringMap = labels
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
                .collect();
            let got = match namespace_enrolment(Mesh::Istio, &labels, &none, &revs(accepted)) {
                Enrolment::Meshed => "meshed",
                Enrolment::Missing => "missing",
                Enrolment::Refused { .. } => "refused",
            };
            assert_eq!(got, *want, "{labels:?} {accepted:?}");
        }
    }

    #[test]
    fn other_meshes_namespace_enrolment() {
        let none = map(&[]);
        let ambient = map(&[("istio.io/dataplane-mode", "ambient")]);
        assert_eq!(
            namespace_enrolment(Mesh::IstioAmbient, &ambient, &none, &[]),
            Enrolment::Meshed
        );
        assert!(matches!(
            namespace_enrolment(
                Mesh::IstioAmbient,
                &map(&[("istio.io/dataplane-mode", "none")]),
                &none,
                &[]
            ),
            Enrolment::Refused { .. }
        ));
        // Linkerd reads the annotation only.
        let linkerd = map(&[("linkerd.io/inject", "enabled")]);
        assert_eq!(
            namespace_enrolment(Mesh::Linkerd, &none, &linkerd, &[]),
            Enrolment::Meshed
        );
        assert_eq!(
            namespace_enrolment(Mesh::Linkerd, &linkerd, &none, &[]),
            Enrolment::Missing
        );
        assert!(missing_switch(Mesh::Linkerd, &linkerd).contains("as a label"));
        assert_eq!(
            namespace_enrolment(Mesh::Consul, &none, &none, &[]),
            Enrolment::Meshed
        );
    }

    #[test]
    fn istio_pods_enrol_through_webhook_selectors() {
        let none = map(&[]);
        let pod_rev = map(&[("istio.io/rev", "canary")]);
        let pod_true = map(&[("sidecar.istio.io/inject", "true")]);
        let meshed = |ns: &StringMap, pod_labels: &StringMap, pod_annotations: &StringMap| {
            pods_meshed(
                Mesh::Istio,
                ns,
                &none,
                pod_labels,
                pod_annotations,
                &revs(&["canary"]),
            )
        };
        assert!(meshed(&none, &pod_rev, &none));
        assert!(meshed(&none, &pod_true, &none));
        // The annotation form is not matched by the webhook's objectSelector.
        assert!(!meshed(&none, &none, &pod_true));
        assert!(!meshed(&none, &map(&[("istio.io/rev", "old")]), &none));
        // A namespace that says disabled wins over any pod label.
        let disabled = map(&[("istio-injection", "disabled")]);
        assert!(!meshed(&disabled, &pod_true, &none));
        assert!(!meshed(&disabled, &pod_rev, &none));
        assert!(meshed(
            &map(&[("istio-injection", "enabled")]),
            &none,
            &none
        ));
    }

    #[test]
    fn other_pods_enrol_themselves() {
        let none = map(&[]);
        assert!(pods_enrol_themselves(
            Mesh::IstioAmbient,
            &map(&[("istio.io/dataplane-mode", "ambient")]),
            &none
        ));
        assert!(pods_enrol_themselves(
            Mesh::Linkerd,
            &none,
            &map(&[("linkerd.io/inject", "ingress")])
        ));
        assert!(!pods_enrol_themselves(
            Mesh::Linkerd,
            &map(&[("linkerd.io/inject", "enabled")]),
            &none
        ));
        assert!(!pods_enrol_themselves(Mesh::Istio, &none, &none));
    }

    #[test]
    fn bypass_values() {
        let b = |mesh: Mesh, key: &str| mesh.bypass(key).unwrap();
        let exclude = b(Mesh::Istio, "traffic.sidecar.istio.io/excludeInboundPorts");
        assert_eq!(exclude.judge("8080", None), BypassUse::Active);
        assert_eq!(exclude.judge(" , ", None), BypassUse::Inert);
        // What istiod writes on the pods it injects: the sidecar's own ports only.
        assert_eq!(exclude.judge("15020", None), BypassUse::Inert);
        assert_eq!(exclude.judge("15020,15021,15090", None), BypassUse::Inert);
        assert_eq!(exclude.judge("15020,8080", None), BypassUse::Active);
        assert_eq!(exclude.judge("15030", Some("15030")), BypassUse::Inert);
        assert_eq!(exclude.judge("15030", None), BypassUse::Active);
        let outbound = b(Mesh::Istio, "traffic.sidecar.istio.io/excludeOutboundPorts");
        assert_eq!(outbound.judge("15020", Some("15020")), BypassUse::Active);
        let include = b(
            Mesh::Istio,
            "traffic.sidecar.istio.io/includeOutboundIPRanges",
        );
        assert_eq!(include.judge("*", None), BypassUse::Inert);
        assert_eq!(include.judge("10.0.0.0/8, *", None), BypassUse::Inert);
        assert_eq!(include.judge("10.0.0.0/8", None), BypassUse::Active);
        assert_eq!(include.judge("", None), BypassUse::Active);
        let tproxy = b(Mesh::Consul, "consul.hashicorp.com/transparent-proxy");
        assert_eq!(tproxy.judge("false", None), BypassUse::Active);
        assert_eq!(tproxy.judge("0", None), BypassUse::Active);
        assert_eq!(tproxy.judge("true", None), BypassUse::Inert);
        assert_eq!(tproxy.judge("no", None), BypassUse::Unreadable);
        let capture = b(
            Mesh::IstioAmbient,
            "ambient.istio.io/bypass-inbound-capture",
        );
        assert_eq!(capture.judge("true", None), BypassUse::Active);
        assert_eq!(capture.judge("yes", None), BypassUse::Active);
        assert_eq!(capture.judge("false", None), BypassUse::Inert);
        assert!(
            Mesh::Consul
                .bypass("consul.hashicorp.com/transparent-proxy-exclude-everything")
                .is_some()
        );
        assert!(
            Mesh::Consul
                .bypass("consul.hashicorp.com/transparent-proxy-exclude-")
                .is_none()
        );
        assert!(
            Mesh::Istio
                .bypass("config.linkerd.io/skip-inbound-ports")
                .is_none()
        );
    }

    #[test]
    fn enabling_switches() {
        assert_eq!(
            Mesh::Istio.enabling_switch(&[]).unwrap().to_string(),
            "the label istio-injection=enabled"
        );
        assert_eq!(
            Mesh::Istio
                .enabling_switch(&revs(&["canary", "stable"]))
                .unwrap()
                .to_string(),
            "the label istio.io/rev=canary"
        );
        assert_eq!(
            Mesh::Linkerd.enabling_switch(&[]).unwrap().to_string(),
            "the annotation linkerd.io/inject: \"enabled\""
        );
        assert!(Mesh::Consul.enabling_switch(&[]).is_none());
    }
}
