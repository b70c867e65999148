//! A lean view of `networking.k8s.io/v1` NetworkPolicy: what egress-restrictions reads. It
//! lives here so that the request's reader can decode it in its own pass
//! ([`crate::request::Views`]); only the module that names the view carries its decoder.

use std::borrow::Cow;

use crate::ObjectMeta;
use crate::netpol::{Direction, isolates};
use crate::selector::LabelSelector;
use crate::view::{list, object, optional_string, string, strings};
use crate::view_reader;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Default)]
pub struct NetworkPolicy<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub spec: NetworkPolicySpec<'a>,
}

view_reader!(NetworkPolicy {
    "kind" => kind: optional_string,
    "metadata" => metadata: object,
    "spec" => spec: object,
});

#[derive(Debug, Default)]
pub struct NetworkPolicySpec<'a> {
    pub policy_types: Option<Vec<Cow<'a, str>>>,
    pub egress: Vec<EgressRule<'a>>,
}

view_reader!(NetworkPolicySpec {
    "policyTypes" => policy_types,
    "egress" => egress: list,
});

impl NetworkPolicySpec<'_> {
    /// Whether the policy isolates its pods for egress, `policyTypes` defaulted as the API
    /// server does.
    pub fn affects_egress(&self) -> bool {
        let types = self.policy_types.as_deref().unwrap_or_default();
        isolates(types, self.egress.len(), Direction::Egress)
    }
}

#[derive(Debug, Default)]
pub struct EgressRule<'a> {
    pub to: Vec<Peer<'a>>,
    pub ports: Vec<Port<'a>>,
}

view_reader!(EgressRule {
    "to" => to: list,
    "ports" => ports: list,
});

#[derive(Debug, Default)]
pub struct Peer<'a> {
    pub ip_block: Option<IpBlock<'a>>,
    pub namespace_selector: Option<LabelSelector<'a>>,
    /// Only its presence matters here.
    pub pod_selector: Option<&'a RawValue>,
}

view_reader!(Peer {
    "ipBlock" => ip_block,
    "namespaceSelector" => namespace_selector,
    "podSelector" => pod_selector,
});

#[derive(Debug, Default)]
pub struct IpBlock<'a> {
    pub cidr: Cow<'a, str>,
    pub except: Vec<Cow<'a, str>>,
}

view_reader!(IpBlock {
    "cidr" => cidr: string,
    "except" => except: strings,
});

#[derive(Debug, Default)]
pub struct Port<'a> {
    pub protocol: Option<Cow<'a, str>>,
    pub port: Option<IntOrString<'a>>,
    pub end_port: Option<i64>,
}

view_reader!(Port {
    "protocol" => protocol: optional_string,
    "port" => port,
    "endPort" => end_port,
});

/// A port number or a named port.
#[derive(Debug)]
pub enum IntOrString<'a> {
    Int(i64),
    Str(Cow<'a, str>),
}

/// By hand rather than `#[serde(untagged)]`: a wrong type is then reported at the `port` field
/// with what was expected, instead of "did not match any variant" at the enclosing entry.
impl<'de: 'a, 'a> Deserialize<'de> for IntOrString<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = IntOrString<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a port number or a port name")
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(IntOrString::Int(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                i64::try_from(n)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(IntOrString::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(IntOrString::Str(Cow::Owned(s.to_owned())))
            }
        }
        de.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egress_defaults() {
        let cases = [
            (r#"{"spec":{"policyTypes":["Egress"]}}"#, true),
            (
                r#"{"spec":{"policyTypes":["Ingress"],"egress":[{}]}}"#,
                false,
            ),
            (r#"{"spec":{"egress":[{}]}}"#, true),
            (r#"{"spec":{"egress":[]}}"#, false),
            (r#"{"spec":{"policyTypes":[],"egress":[{}]}}"#, true),
            (r#"{"spec":{"policyTypes":null,"egress":[{}]}}"#, true),
            (r#"{"spec":{}}"#, false),
            (r#"{"spec":null}"#, false),
        ];
        for (json, want) in cases {
            let p: NetworkPolicy = serde_json::from_str(json).unwrap();
            assert_eq!(p.spec.affects_egress(), want, "{json}");
        }
    }

    #[test]
    fn peers_and_ports() {
        let json = r#"{"spec":{"egress":[{"to":[{"ipBlock":{"cidr":"10.0.0.0/8","except":null},
            "namespaceSelector":{}}],"ports":[{"port":53,"protocol":"UDP"},{"port":"dns"},
            {"port":8000,"endPort":8100}]}]}}"#;
        let p: NetworkPolicy = serde_json::from_str(json).unwrap();
        let rule = &p.spec.egress[0];
        assert_eq!(rule.to[0].ip_block.as_ref().unwrap().cidr, "10.0.0.0/8");
        assert!(rule.to[0].namespace_selector.is_some());
        assert!(matches!(rule.ports[0].port, Some(IntOrString::Int(53))));
        assert!(matches!(rule.ports[1].port, Some(IntOrString::Str(ref s)) if s == "dns"));
        assert_eq!(rule.ports[2].end_port, Some(8100));
        assert!(
            serde_json::from_str::<NetworkPolicy>(
                r#"{"spec":{"egress":[{"ports":[{"port":true}]}]}}"#
            )
            .is_err()
        );
    }
}
