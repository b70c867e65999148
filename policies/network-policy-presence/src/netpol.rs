//! A lean view of `networking.k8s.io/v1` NetworkPolicy and the API's rules for what a policy
//! isolates: which pods (`podSelector`), in which directions (`policyTypes`), and whether its
//! rules still let everything through.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use ipnet::IpNet;
use netsec_shared::net::{any_v4, first_uncovered, parse_cidr};
use netsec_shared::netpol::PolicyTypes;
use netsec_shared::netpol::families::count;
use netsec_shared::request::{Borrowed, StringMap};
use netsec_shared::selector::LabelSelector;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

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

/// A listed NetworkPolicy: its name, whom it selects and its `policyTypes` are read; its rules
/// are kept as the JSON they are (checked to be well-formed JSON, as any skipped value is) and
/// read by [`Self::effect`] only for the policies a check needs: those that select the pod.
/// Every request lists every NetworkPolicy of its namespace and, in most namespaces, few of
/// them select the workload; reading the rules of all of them was more than a quarter of the
/// cost of a listed policy. A NetworkPolicy the API server stored has rules of the right types, so the
/// rules of a policy that does not select the pod are not looked into; the rules of one that
/// does are read whole, and a type error there makes the list unreadable (the policy fails
/// closed).
///
/// Its readers are written by hand rather than with `view_reader!`: the object's levels share one
/// reader and rules are folded as they are read. As there, a key given twice keeps its last
/// value, unknown keys are skipped, and every field read keeps its API type.
#[derive(Debug, Default)]
pub struct NetworkPolicy<'a> {
    name: Option<Cow<'a, str>>,
    pod_selector: Option<LabelSelector<'a>>,
    policy_types: PolicyTypes,
    ingress: Option<&'a RawValue>,
    egress: Option<&'a RawValue>,
}

impl<'a> NetworkPolicy<'a> {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("<unnamed>")
    }

    /// `podSelector` is not a pointer in the API: absent or null is the empty selector, which
    /// selects every pod of the namespace.
    pub fn selects(&self, labels: &StringMap<'_>) -> bool {
        self.pod_selector.as_ref().is_none_or(|s| s.matches(labels))
    }

    /// What the policy does to the pods it selects, its rules read; the error names the
    /// field (`spec.egress[0].ports: invalid type: ...`).
    pub fn effect(&self) -> Result<Effect, String> {
        let read = |field: &str, raw: Option<&RawValue>| -> Result<Rules, String> {
            let Some(raw) = raw else {
                return Ok(Rules::default());
            };
            netsec_shared::json::from_str::<Nodes>(raw.get())
                .map(Rules::from)
                .map_err(|e| match e.starts_with('[') {
                    true => format!("spec.{field}{e}"),
                    false => format!("spec.{field}: {e}"),
                })
        };
        Ok(Effect {
            every_pod: self
                .pod_selector
                .as_ref()
                .is_none_or(LabelSelector::is_empty),
            policy_types: self.policy_types,
            ingress: read("ingress", self.ingress)?,
            egress: read("egress", self.egress)?,
        })
    }
}

/// What a NetworkPolicy does to the pods it selects.
#[derive(Clone, Copy, Debug)]
pub struct Effect {
    /// Its `podSelector` is empty: it selects every pod of the namespace.
    every_pod: bool,
    policy_types: PolicyTypes,
    ingress: Rules,
    egress: Rules,
}

/// The rules of one direction, folded.
#[derive(Clone, Copy, Debug, Default)]
struct Rules {
    count: usize,
    /// Some rule lets every peer through on every port.
    allows_all: bool,
}

impl Effect {
    /// Whether the policy isolates its pods in `direction`, `policyTypes` defaulted as the API
    /// server does.
    pub fn covers(&self, direction: Direction) -> bool {
        self.policy_types.isolate(self.egress.count, direction)
    }

    pub fn rule_count(&self, direction: Direction) -> usize {
        self.rules(direction).count
    }

    /// Some rule of `direction` lets every peer through on every port.
    pub fn allows_all(&self, direction: Direction) -> bool {
        self.rules(direction).allows_all
    }

    /// A namespace-wide default deny for `direction`: every pod, isolated, nothing allowed.
    pub fn is_default_deny(&self, direction: Direction) -> bool {
        self.every_pod && self.covers(direction) && self.rules(direction).count == 0
    }

    fn rules(&self, direction: Direction) -> Rules {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

impl From<Nodes> for Rules {
    fn from(rules: Nodes) -> Rules {
        Rules {
            count: rules.count,
            allows_all: rules.allows_all,
        }
    }
}

/// The levels of the object one reader walks: the object, its `metadata`, its `spec`.
#[derive(Clone, Copy)]
enum Level {
    Object,
    Metadata,
    Spec,
}

impl<'de: 'a, 'a> Deserialize<'de> for NetworkPolicy<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(Part(Level::Object, PhantomData))
    }
}

/// Reads one level into a [`NetworkPolicy`]; null reads as an empty level (absent `metadata`
/// and `spec` are the API's zero values).
struct Part<'a>(Level, PhantomData<NetworkPolicy<'a>>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Part<'a> {
    type Value = NetworkPolicy<'a>;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Part<'a> {
    type Value = NetworkPolicy<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(NetworkPolicy::default())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NetworkPolicy::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = NetworkPolicy::default();
        while let Some(key) = map.next_key::<Borrowed<'de>>()? {
            match (self.0, &*key) {
                (Level::Object, "metadata") => {
                    p.name = map
                        .next_value_seed(Part(Level::Metadata, PhantomData))?
                        .name;
                }
                (Level::Object, "spec") => {
                    let spec = map.next_value_seed(Part(Level::Spec, PhantomData))?;
                    p = NetworkPolicy {
                        name: p.name,
                        ..spec
                    };
                }
                (Level::Metadata, "name") => {
                    p.name = netsec_shared::view::optional_string(&mut map)?;
                }
                (Level::Spec, "podSelector") => p.pod_selector = map.next_value()?,
                (Level::Spec, "policyTypes") => {
                    let names: Option<Vec<Borrowed>> = map.next_value()?;
                    p.policy_types = PolicyTypes::of(names.iter().flatten().map(|n| &**n));
                }
                (Level::Spec, "ingress") => p.ingress = map.next_value()?,
                (Level::Spec, "egress") => p.egress = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(p)
    }
}

/// A list of rule-like levels (null or absent: empty), folded as it is read: how many, whether
/// one lets everything through (for rules), and the blocks among them that cover every address
/// they name (for peers).
#[derive(Default)]
struct Nodes {
    count: usize,
    allows_all: bool,
    blocks: Vec<IpNet>,
}

impl<'de> Deserialize<'de> for Nodes {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Nodes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_none<E>(self) -> Result<Nodes, E> {
                Ok(Nodes::default())
            }
            fn visit_unit<E>(self) -> Result<Nodes, E> {
                Ok(Nodes::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Nodes, D::Error> {
                de.deserialize_seq(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nodes, A::Error> {
                let mut nodes = Nodes::default();
                while let Some(node) = seq.next_element::<Node>()? {
                    nodes.count += 1;
                    nodes.allows_all |= node.allows_all();
                    nodes.blocks.extend(node.block);
                }
                Ok(nodes)
            }
        }
        de.deserialize_option(V)
    }
}

/// One reader for the rule-like levels, each filling its own fields, as the other APIs' shared
/// view does (one reader costs its code once in the module): a rule (`ports`, `from`/`to`), a
/// peer (`ipBlock`) and an `ipBlock` (`cidr`, `except`).
#[derive(Default)]
struct Node<'a> {
    ports: usize,
    peers: Nodes,
    /// A peer's `ipBlock` CIDR, when it parses and `except` leaves no hole in it.
    block: Option<IpNet>,
    cidr: Option<Borrowed<'a>>,
    holes: usize,
}

impl Node<'_> {
    /// A rule that lets everything through. No ports means every port; no peers means every
    /// peer. Peers are ORed, so one set of `ipBlock`s that together span the whole IPv4 space
    /// (`0.0.0.0/0`, `::/0`, which reaches IPv4 too, or halves of it) lets everything through
    /// as well. A block with `except` holes is not counted: it leaves something out.
    fn allows_all(&self) -> bool {
        let blocks = &self.peers.blocks;
        self.ports == 0
            && (self.peers.count == 0
                || (!blocks.is_empty() && first_uncovered(&any_v4(), blocks).is_none()))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Node<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<Node<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Node<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'a>, A::Error> {
                let mut n = Node::default();
                while let Some(key) = map.next_key::<Borrowed<'de>>()? {
                    match &*key {
                        "ports" => n.ports = count(&mut map)?.unwrap_or(0),
                        "from" | "to" => n.peers = map.next_value()?,
                        "ipBlock" => {
                            let block = map.next_value::<Option<Node>>()?.unwrap_or_default();
                            let net = block.cidr.and_then(|c| parse_cidr(&c).ok());
                            n.block = net.filter(|_| block.holes == 0);
                        }
                        "cidr" => n.cidr = map.next_value()?,
                        "except" => n.holes = count(&mut map)?.unwrap_or(0),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(n)
            }
        }
        de.deserialize_map(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::request::StringMap;

    /// A policy of this spec, read as a listed one is.
    fn policy(json: &str) -> NetworkPolicy<'static> {
        let object = format!(r#"{{"spec":{json}}}"#);
        serde_json::from_str(Box::leak(object.into_boxed_str())).unwrap()
    }

    /// What a policy of this spec does, its rules read.
    fn spec(json: &str) -> Effect {
        policy(json).effect().unwrap()
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
            // A rule reads the same in either direction; a second rule that allows less does
            // not take away what the first allows.
            let s = spec(&format!(
                r#"{{"ingress":[{json}],"egress":[{json},{{"ports":[{{}}]}}]}}"#
            ));
            assert_eq!(s.allows_all(Direction::Ingress), *want, "{json}");
            assert_eq!(s.allows_all(Direction::Egress), *want, "{json}");
            assert_eq!(s.rule_count(Direction::Egress), 2, "{json}");
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
        let effect = np.effect().unwrap();
        assert_eq!(effect.rule_count(Direction::Ingress), 1);
        assert!(effect.covers(Direction::Ingress) && !effect.covers(Direction::Egress));
        assert!(!effect.allows_all(Direction::Ingress));
        let web: StringMap = [("app".into(), "web".into())].into();
        assert!(np.selects(&web) && !np.selects(&StringMap::new()));
        let nulls: NetworkPolicy =
            serde_json::from_str(r#"{"metadata":null,"spec":null}"#).unwrap();
        assert_eq!(nulls.name(), "<unnamed>");
        assert!(nulls.selects(&StringMap::new()));
        assert!(nulls.effect().unwrap().is_default_deny(Direction::Ingress));
        // The last of a key given twice counts, as in Go's decoder; the name is kept whatever
        // the order of metadata and spec.
        let twice: NetworkPolicy = serde_json::from_str(
            r#"{"spec":{"policyTypes":["Egress"],"policyTypes":["Ingress"]},"metadata":{"name":"a"}}"#,
        )
        .unwrap();
        assert_eq!(twice.name(), "a");
        let effect = twice.effect().unwrap();
        assert!(effect.covers(Direction::Ingress) && !effect.covers(Direction::Egress));
    }

    #[test]
    fn fields_read_keep_their_types() {
        // Read with the list: a type error makes it unreadable.
        let bad = [
            r#"{"spec":{"podSelector":7}}"#,
            r#"{"spec":{"policyTypes":"Ingress"}}"#,
            r#"{"spec":{"policyTypes":[1]}}"#,
            r#"{"metadata":{"name":["web"]}}"#,
            r#"{"metadata":[]}"#,
            r#"{"spec":{"ingress":[}}"#,
            r#"[]"#,
        ];
        for json in bad {
            assert!(
                serde_json::from_str::<NetworkPolicy>(json).is_err(),
                "{json}"
            );
        }
        // Rules are read when the policy's effect is: an error names the field.
        let bad_rules = [
            (
                r#"{"ingress":{}}"#,
                "spec.ingress: invalid type: map, expected a list",
            ),
            (
                r#"{"ingress":[null]}"#,
                "spec.ingress[0]: invalid type: null, expected an object",
            ),
            (
                r#"{"egress":[{"ports":{}}]}"#,
                "spec.egress[0].ports: invalid type: map, expected a sequence",
            ),
            (
                r#"{"egress":[{"to":[7]}]}"#,
                "spec.egress[0].to[0]: invalid type: integer `7`, expected an object",
            ),
            (
                r#"{"egress":[{"to":[{"ipBlock":{"cidr":1}}]}]}"#,
                "spec.egress[0].to[0].ipBlock.cidr: invalid type: integer `1`, expected a string",
            ),
            (
                r#"{"egress":[{"to":[{"ipBlock":{"except":"10.0.0.0/8"}}]}]}"#,
                "spec.egress[0].to[0].ipBlock.except: invalid type: string \"10.0.0.0/8\", expected a sequence",
            ),
        ];
        for (json, want) in bad_rules {
            assert_eq!(policy(json).effect().unwrap_err(), want, "{json}");
        }
        // Fields the policy does not read are skipped whatever they hold.
        let other: NetworkPolicy = serde_json::from_str(
            r#"{"status":7,"metadata":{"labels":1},"spec":{"x":[],"ingress":[{"from":[{"podSelector":3}]}]}}"#,
        )
        .unwrap();
        assert_eq!(other.effect().unwrap().rule_count(Direction::Ingress), 1);
    }
}
