//! A lean view of `networking.k8s.io/v1` NetworkPolicy: what egress checks read.

use std::borrow::Cow;

use netsec_shared::ObjectMeta;
use netsec_shared::request::null_as_empty;
use netsec_shared::selector::LabelSelector;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicy<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub spec: NetworkPolicySpec<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec<'a> {
    #[serde(default, borrow)]
    pub policy_types: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub egress: Vec<EgressRule<'a>>,
}

impl NetworkPolicySpec<'_> {
    /// Does the policy govern egress? Listed types decide; without them, the API server
    /// defaults to Egress only when the policy has egress rules.
    pub fn affects_egress(&self) -> bool {
        match &self.policy_types {
            Some(types) => types.iter().any(|t| t == "Egress"),
            None => !self.egress.is_empty(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub to: Vec<Peer<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub ports: Vec<Port<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer<'a> {
    #[serde(default, borrow)]
    pub ip_block: Option<IpBlock<'a>>,
    #[serde(default, borrow)]
    pub namespace_selector: Option<LabelSelector<'a>>,
    /// Only its presence matters here.
    #[serde(default, borrow)]
    pub pod_selector: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
pub struct IpBlock<'a> {
    #[serde(default, borrow)]
    pub cidr: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub except: Vec<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Port<'a> {
    #[serde(default, borrow)]
    pub protocol: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub port: Option<IntOrString<'a>>,
    #[serde(default)]
    pub end_port: Option<i64>,
}

/// A port number or a named port.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum IntOrString<'a> {
    Int(i64),
    #[serde(borrow)]
    Str(Cow<'a, str>),
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
