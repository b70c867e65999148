//! A lean view of `networking.k8s.io/v1` NetworkPolicy and the API's rules for what a policy
//! isolates: which pods (`podSelector`), in which directions (`policyTypes`), and whether its
//! rules still let everything through.

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
/// A NetworkPolicy, its `spec`, a rule: read by the view every policy API shares, whose
/// methods hold the API's rules.
pub use netsec_shared::netpol::families::{
    PolicyObject as NetworkPolicy, PolicyObject as Spec, PolicyRule as Rule,
};

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::request::StringMap;

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
