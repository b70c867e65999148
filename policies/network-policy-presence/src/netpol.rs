//! A lean view of `networking.k8s.io/v1` NetworkPolicy and the API's rules for what a policy
//! isolates: which pods (`podSelector`), in which directions (`policyTypes`), and whether its
//! rules still let everything through.

use std::borrow::Cow;

use netsec_shared::net::{any_v4, first_uncovered, parse_cidr};
use netsec_shared::netpol::isolates;
pub use netsec_shared::netpol::{Direction, NETWORK_POLICY};

/// What the policy reads of the NetworkPolicies it lists (the field masks of the list): their
/// names for messages, whom they select and in which directions, and of each rule its ports
/// and the `ipBlock`s of its peers (to tell a rule that lets everything through; other peers
/// only count). Not their managedFields, annotations, status or selectors of peers.
pub const NETWORK_POLICY_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.podSelector",
    "spec.policyTypes",
    "spec.ingress.ports",
    "spec.ingress.from.ipBlock",
    "spec.egress.ports",
    "spec.egress.to.ipBlock",
];
use netsec_shared::request::StringMap;
use netsec_shared::selector::LabelSelector;
use serde::Deserialize;
use serde::de::IgnoredAny;

// The list answer is the largest deserialiser of the module, and each struct type costs a few
// KB of wasm. So the levels of a policy (object, metadata, spec) share one type, and so do the
// levels of a rule (rule, peer, ipBlock): each level fills only its own fields. The fields are
// plain `Option`s (absent and null read alike) and stay private behind the accessors below.

/// A NetworkPolicy, its `metadata` or its `spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicy<'a> {
    #[serde(default, borrow)]
    metadata: Option<Box<NetworkPolicy<'a>>>,
    #[serde(default, borrow)]
    spec: Option<Box<Spec<'a>>>,
    /// In `metadata`.
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    /// In `spec`, and the rest below.
    #[serde(default, borrow)]
    pod_selector: Option<LabelSelector<'a>>,
    #[serde(default, borrow)]
    policy_types: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow)]
    ingress: Option<Vec<Rule<'a>>>,
    #[serde(default, borrow)]
    egress: Option<Vec<Rule<'a>>>,
}

/// The `spec` level of a [`NetworkPolicy`].
pub type Spec<'a> = NetworkPolicy<'a>;

/// An ingress rule (`from`) or egress rule (`to`), one of its peers, or a peer's `ipBlock`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule<'a> {
    #[serde(default, borrow, alias = "to")]
    from: Option<Vec<Rule<'a>>>,
    #[serde(default)]
    ports: Option<Vec<IgnoredAny>>,
    /// In a peer.
    #[serde(default, borrow)]
    ip_block: Option<Box<Rule<'a>>>,
    /// In an `ipBlock`.
    #[serde(default, borrow)]
    cidr: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    except: Option<Vec<Cow<'a, str>>>,
}

const NO_SPEC: Spec<'static> = NetworkPolicy {
    metadata: None,
    spec: None,
    name: None,
    pod_selector: None,
    policy_types: None,
    ingress: None,
    egress: None,
};

fn items<T>(list: &Option<Vec<T>>) -> &[T] {
    list.as_deref().unwrap_or_default()
}

impl<'a> NetworkPolicy<'a> {
    pub fn name(&self) -> &str {
        self.metadata
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .unwrap_or("<unnamed>")
    }

    pub fn spec(&self) -> &Spec<'a> {
        self.spec.as_deref().unwrap_or(&NO_SPEC)
    }
}

impl Spec<'_> {
    /// `podSelector` is not a pointer in the API: absent or null is the empty selector, which
    /// selects every pod of the namespace.
    pub fn selects(&self, labels: &StringMap<'_>) -> bool {
        self.pod_selector.as_ref().is_none_or(|s| s.matches(labels))
    }

    fn selects_every_pod(&self) -> bool {
        self.pod_selector
            .as_ref()
            .is_none_or(LabelSelector::is_empty)
    }

    /// Whether the policy isolates its pods in `direction`, `policyTypes` defaulted as the API
    /// server does.
    pub fn covers(&self, direction: Direction) -> bool {
        isolates(
            items(&self.policy_types),
            items(&self.egress).len(),
            direction,
        )
    }

    pub fn rules(&self, direction: Direction) -> &[Rule<'_>] {
        match direction {
            Direction::Ingress => items(&self.ingress),
            Direction::Egress => items(&self.egress),
        }
    }

    /// Some rule of `direction` lets every peer through on every port.
    pub fn allows_all(&self, direction: Direction) -> bool {
        self.rules(direction).iter().any(Rule::allows_all)
    }

    /// A namespace-wide default deny for `direction`: every pod, isolated, nothing allowed.
    pub fn is_default_deny(&self, direction: Direction) -> bool {
        self.selects_every_pod() && self.covers(direction) && self.rules(direction).is_empty()
    }
}

impl Rule<'_> {
    /// No ports means every port; no peers means every peer. Peers are ORed, so one set of
    /// `ipBlock`s that together span the whole IPv4 space (`0.0.0.0/0`, `::/0`, which reaches
    /// IPv4 too, or halves of it) lets everything through as well. A block with `except`
    /// holes is not counted: it leaves something out.
    pub fn allows_all(&self) -> bool {
        if !items(&self.ports).is_empty() {
            return false;
        }
        let peers = items(&self.from);
        if peers.is_empty() {
            return true;
        }
        let blocks: Vec<_> = peers
            .iter()
            .filter_map(|p| p.ip_block.as_deref())
            .filter(|b| items(&b.except).is_empty())
            .filter_map(|b| parse_cidr(b.cidr.as_deref()?).ok())
            .collect();
        !blocks.is_empty() && first_uncovered(&any_v4(), &blocks).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Spec<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn directions_covered() {
        use Direction::{Egress, Ingress};
        // (spec, covers Ingress, covers Egress)
        let cases: &[(&str, bool, bool)] = &[
            ("{}", true, false),
            (r#"{"policyTypes":null}"#, true, false),
            (r#"{"policyTypes":[]}"#, true, false),
            (r#"{"egress":[{}]}"#, true, true),
            (r#"{"egress":[]}"#, true, false),
            (r#"{"egress":null}"#, true, false),
            (r#"{"ingress":[{}]}"#, true, false),
            (r#"{"policyTypes":["Egress"]}"#, false, true),
            (r#"{"policyTypes":["Egress"],"ingress":[{}]}"#, false, true),
            (r#"{"policyTypes":["Ingress"],"egress":[{}]}"#, true, false),
            (r#"{"policyTypes":["Ingress","Egress"]}"#, true, true),
            (r#"{"policyTypes":["ingress"]}"#, false, false),
        ];
        for (json, ingress, egress) in cases {
            let s = spec(json);
            assert_eq!(s.covers(Ingress), *ingress, "{json} Ingress");
            assert_eq!(s.covers(Egress), *egress, "{json} Egress");
        }
    }

    #[test]
    fn allow_all_rules() {
        let cases: &[(&str, bool)] = &[
            ("{}", true),
            (r#"{"from":[]}"#, true),
            (r#"{"from":null,"ports":null}"#, true),
            (r#"{"ports":[{"port":80}]}"#, false),
            (r#"{"from":[{"podSelector":{}}]}"#, false),
            (r#"{"from":[{"namespaceSelector":{}}]}"#, false),
            (r#"{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}"#, true),
            (r#"{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}"#, true),
            (r#"{"to":[{"ipBlock":{"cidr":"::/0"}}]}"#, true),
            (
                r#"{"to":[{"ipBlock":{"cidr":"0.0.0.0/1"}},{"ipBlock":{"cidr":"128.0.0.0/1"}}]}"#,
                true,
            ),
            (r#"{"to":[{"ipBlock":{"cidr":"0.0.0.0/1"}}]}"#, false),
            (
                r#"{"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["169.254.169.254/32"]}}]}"#,
                false,
            ),
            (
                r#"{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":443}]}"#,
                false,
            ),
            (
                r#"{"to":[{"podSelector":{}},{"ipBlock":{"cidr":"0.0.0.0/0"}}]}"#,
                true,
            ),
            (r#"{"to":[{"ipBlock":{"cidr":"not a cidr"}}]}"#, false),
            (r#"{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}"#, false),
        ];
        for (json, want) in cases {
            let rule: Rule = serde_json::from_str(json).unwrap();
            assert_eq!(rule.allows_all(), *want, "{json}");
        }
    }

    #[test]
    fn default_deny() {
        use Direction::{Egress, Ingress};
        let cases: &[(&str, bool, bool)] = &[
            (r#"{"podSelector":{}}"#, true, false),
            (r#"{}"#, true, false),
            (
                r#"{"podSelector":null,"policyTypes":["Ingress","Egress"]}"#,
                true,
                true,
            ),
            (
                r#"{"podSelector":{},"policyTypes":["Egress"]}"#,
                false,
                true,
            ),
            (
                r#"{"podSelector":{},"policyTypes":["Ingress","Egress"],"egress":[{"ports":[{"port":53}]}]}"#,
                true,
                false,
            ),
            (r#"{"podSelector":{},"ingress":[{}]}"#, false, false),
            (
                r#"{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"]}"#,
                false,
                false,
            ),
            (
                r#"{"podSelector":{"matchExpressions":[{"key":"x","operator":"DoesNotExist"}]}}"#,
                false,
                false,
            ),
        ];
        for (json, ingress, egress) in cases {
            let s = spec(json);
            assert_eq!(s.is_default_deny(Ingress), *ingress, "{json} Ingress");
            assert_eq!(s.is_default_deny(Egress), *egress, "{json} Egress");
        }
    }

    #[test]
    fn reads_a_full_api_object() {
        let json = r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
            "metadata":{"name":"web","namespace":"shop","managedFields":[{"manager":"kubectl"}]},
            "spec":{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],
                    "ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"a":"b"}},
                    "podSelector":{}}],"ports":[{"protocol":"TCP","port":"http","endPort":90}]}]}}"#;
        let np: NetworkPolicy = serde_json::from_str(json).unwrap();
        assert_eq!(np.name(), "web");
        let spec = np.spec();
        assert_eq!(spec.rules(Direction::Ingress).len(), 1);
        assert!(spec.covers(Direction::Ingress) && !spec.covers(Direction::Egress));
        assert!(!spec.allows_all(Direction::Ingress));
        let web: StringMap = [("app".into(), "web".into())].into();
        assert!(spec.selects(&web) && !spec.selects(&StringMap::new()));
        let nulls: NetworkPolicy =
            serde_json::from_str(r#"{"metadata":null,"spec":null}"#).unwrap();
        assert_eq!(nulls.name(), "<unnamed>");
        assert!(nulls.spec().selects(&StringMap::new()));
        assert!(nulls.spec().is_default_deny(Direction::Ingress));
    }
}
