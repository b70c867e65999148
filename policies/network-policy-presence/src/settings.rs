//! Settings of `network-policy-presence`.

use netsec_shared::selector::SettingsSelector;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::Deserialize;

use crate::netpol::Direction;

/// What to do with a workload that is not covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    #[default]
    Reject,
    /// Accept with a warning: for GitOps tools that apply workloads before their policies.
    Warn,
}

/// A network-policy API whose policies count as isolation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum PolicyFamily {
    /// `networking.k8s.io/v1` NetworkPolicy.
    Kubernetes,
    /// `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
    Cilium,
    /// Calico NetworkPolicy and GlobalNetworkPolicy (`projectcalico.org/v3`,
    /// `crd.projectcalico.org/v1`).
    Calico,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy and BaselineAdminNetworkPolicy.
    AdminNetworkPolicy,
}

impl PolicyFamily {
    pub const ALL: [PolicyFamily; 4] = [
        PolicyFamily::Kubernetes,
        PolicyFamily::Cilium,
        PolicyFamily::Calico,
        PolicyFamily::AdminNetworkPolicy,
    ];
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Each of these directions must be covered by some NetworkPolicy selecting the pods.
    pub required_directions: Vec<Direction>,
    /// A policy whose rules let all traffic of a direction through does not cover it.
    pub ignore_allow_all: bool,
    /// The namespace must also hold a default deny (`podSelector: {}`, no rules) per direction.
    pub require_default_deny: bool,
    pub exempt_namespaces: ExemptNamespaces,
    /// Workloads whose pod labels this selector matches are accepted.
    pub exempt_workloads: Option<SettingsSelector>,
    pub on_missing: OnMissing,
    /// The policy APIs whose policies count; the others are not read.
    pub count_policy_families: Vec<PolicyFamily>,
}

impl Settings {
    pub fn counts(&self, family: PolicyFamily) -> bool {
        self.count_policy_families.contains(&family)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            required_directions: vec![Direction::Ingress, Direction::Egress],
            ignore_allow_all: true,
            require_default_deny: false,
            exempt_namespaces: ExemptNamespaces::of(&[
                "kube-system",
                "kube-public",
                "kube-node-lease",
            ]),
            exempt_workloads: None,
            on_missing: OnMissing::Reject,
            count_policy_families: PolicyFamily::ALL.to_vec(),
        }
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        if self.required_directions.is_empty() {
            errors.add(
                "requiredDirections",
                "must list Ingress, Egress or both; to check nothing, do not deploy the policy",
            );
        }
        for (i, d) in self.required_directions.iter().enumerate() {
            if self.required_directions[..i].contains(d) {
                errors.add(
                    format!("requiredDirections[{i}]"),
                    format!("{d} is listed twice"),
                );
            }
        }
        if self.count_policy_families.is_empty() {
            errors.add(
                "countPolicyFamilies",
                "must list at least one of Kubernetes, Cilium, Calico, AdminNetworkPolicy",
            );
        }
        for (i, f) in self.count_policy_families.iter().enumerate() {
            if self.count_policy_families[..i].contains(f) {
                errors.add(
                    format!("countPolicyFamilies[{i}]"),
                    format!("{f:?} is listed twice"),
                );
            }
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
        if let Some(selector) = &self.exempt_workloads {
            selector.validate("exemptWorkloads", errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;

    #[test]
    fn defaults() {
        let s: Settings = parse_settings(b"{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(
            s.required_directions,
            [Direction::Ingress, Direction::Egress]
        );
        assert!(s.ignore_allow_all && !s.require_default_deny);
        assert!(s.exempt_namespaces.contains("kube-node-lease"));
        assert_eq!(s.on_missing, OnMissing::Reject);
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"requiredDirections": ["Egress"]}"#, None),
            (r#"{"requiredDirections": ["Egress", "Ingress"]}"#, None),
            (r#"{"onMissing": "warn", "ignoreAllowAll": false}"#, None),
            (
                r#"{"requireDefaultDeny": true, "exemptNamespaces": []}"#,
                None,
            ),
            (r#"{"exemptWorkloads": null}"#, None),
            (r#"{"countPolicyFamilies": ["Cilium"]}"#, None),
            (
                r#"{"countPolicyFamilies": ["Kubernetes", "Calico", "AdminNetworkPolicy"]}"#,
                None,
            ),
            (
                r#"{"countPolicyFamilies": []}"#,
                Some("countPolicyFamilies: must list at least one of"),
            ),
            (
                r#"{"countPolicyFamilies": ["cilium"]}"#,
                Some(
                    "countPolicyFamilies[0]: unknown variant `cilium`, expected one of `Kubernetes`, `Cilium`, `Calico`, `AdminNetworkPolicy`",
                ),
            ),
            (
                r#"{"countPolicyFamilies": ["Calico", "Calico"]}"#,
                Some("countPolicyFamilies[1]: Calico is listed twice"),
            ),
            (
                r#"{"exemptWorkloads": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}}"#,
                None,
            ),
            (
                r#"{"requiredDirections": []}"#,
                Some("requiredDirections: must list Ingress, Egress or both"),
            ),
            (
                r#"{"requiredDirections": ["ingress"]}"#,
                Some(
                    "requiredDirections[0]: unknown variant `ingress`, expected `Ingress` or `Egress`",
                ),
            ),
            (
                r#"{"requiredDirections": "Ingress"}"#,
                Some("requiredDirections: invalid type: string"),
            ),
            (
                r#"{"requiredDirections": ["Egress", "Egress"]}"#,
                Some("requiredDirections[1]: Egress is listed twice"),
            ),
            (
                r#"{"onMissing": "ignore"}"#,
                Some("onMissing: unknown variant `ignore`, expected `reject` or `warn`"),
            ),
            (
                r#"{"ignoreAllowAll": "yes"}"#,
                Some("ignoreAllowAll: invalid type: string"),
            ),
            (
                r#"{"requireDefaultDenies": true}"#,
                Some("unknown field `requireDefaultDenies`"),
            ),
            (
                r#"{"exemptNamespaces": ["Kube-System"]}"#,
                Some("exemptNamespaces[0]: \"Kube-System\" is not a namespace name"),
            ),
            (
                r#"{"exemptWorkloads": {}}"#,
                Some("exemptWorkloads: an empty selector ({}) matches everything"),
            ),
            (
                r#"{"exemptWorkloads": {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}}"#,
                Some(
                    "exemptWorkloads.matchExpressions[0].values: must be empty when the operator is Exists",
                ),
            ),
            (
                r#"{"exemptWorkloads": {"matchLabels": {"app": "web"}, "matchLabel": {}}}"#,
                Some("exemptWorkloads: unknown field `matchLabel`"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
