//! Settings of `mesh-authorization`.

use netsec_shared::mesh::LINKERD_INBOUND_POLICIES;
use netsec_shared::request::StringMap;
use netsec_shared::selector::{check_label_key, check_label_value};
use netsec_shared::settings::check_dns_label;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::Deserialize;

/// Reject, or accept with the same sentence as a warning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Reject,
    Warn,
}

/// Istio's `meshConfig.pathNormalization.normalization`: what the sidecars do to a request's path
/// before any authorization policy matches it (Envoy's `normalize_path`, `merge_slashes` and
/// `path_with_escaped_slashes_action`). The policy cannot read meshConfig, so it is told.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PathNormalization {
    /// The path as the client sent it.
    None,
    /// RFC 3986 normalisation: `.` and `..` segments resolved (Istio's default).
    #[default]
    Base,
    /// BASE, and runs of slashes merged into one.
    MergeSlashes,
    /// MERGE_SLASHES after decoding `%2F` and `%5C` into `/` and `\`.
    DecodeAndMergeSlashes,
}

impl PathNormalization {
    pub fn name(self) -> &'static str {
        match self {
            PathNormalization::None => "NONE",
            PathNormalization::Base => "BASE",
            PathNormalization::MergeSlashes => "MERGE_SLASHES",
            PathNormalization::DecodeAndMergeSlashes => "DECODE_AND_MERGE_SLASHES",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Judge Istio's AuthorizationPolicies and the default deny of Istio-meshed workloads.
    pub istio: bool,
    /// Judge Linkerd's Servers, AuthorizationPolicies and authentications, and the Servers of
    /// Linkerd-meshed workloads.
    pub linkerd: bool,
    /// Judge Consul's ServiceIntentions.
    pub consul: bool,
    pub exempt_namespaces: ExemptNamespaces,
    /// Wildcard identities the cluster accepts as sources: `*` (any mesh identity) in Istio
    /// `principals`/`namespaces`, Linkerd `identities` and Consul `sources[].name`.
    pub allowed_wildcard_principals: Vec<String>,
    /// Labels (`key=value`) of the workloads whose Istio ALLOW rules may name no source: the
    /// entry points that take traffic from outside the mesh, as a policy's `spec.selector`
    /// names them.
    pub public_workload_labels: Vec<String>,
    /// The mesh's `pathNormalization`, which the path checks assume.
    pub path_normalization: PathNormalization,
    /// Paths and hosts a request can spell around: reject or warn.
    pub on_matching_pitfall: Mode,
    /// Every meshed workload must be covered by a default deny (Istio, Linkerd) and every
    /// Consul intention by a `* → *` deny.
    pub require_default_deny: bool,
    /// A workload or intention without that default deny: reject or warn.
    pub on_missing: Mode,
    /// Istio's root namespace (`meshConfig.rootNamespace`): its policies apply mesh-wide.
    pub root_namespace: String,
    /// Linkerd's cluster-wide `proxy.defaultInboundPolicy` (the install's default).
    pub linkerd_cluster_default_policy: String,
    /// Names of Linkerd Servers and routes that serve probes, whose AuthorizationPolicies may
    /// admit unauthenticated clients.
    pub linkerd_probe_targets: Vec<String>,
    /// Consul's ACL default policy is deny, so an intention-less pair is denied already and no
    /// `* → *` deny intention is needed.
    pub consul_acl_default_deny: bool,
    /// The namespace that holds Consul's `* → *` deny intention, besides each intention's own.
    pub consul_default_deny_namespace: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            istio: true,
            linkerd: true,
            consul: true,
            exempt_namespaces: ExemptNamespaces::of(&[
                "kube-system",
                "kube-public",
                "kube-node-lease",
            ]),
            allowed_wildcard_principals: Vec::new(),
            public_workload_labels: vec!["istio=ingressgateway".to_string()],
            path_normalization: PathNormalization::Base,
            on_matching_pitfall: Mode::Warn,
            require_default_deny: true,
            on_missing: Mode::Reject,
            root_namespace: "istio-system".to_string(),
            linkerd_cluster_default_policy: "all-unauthenticated".to_string(),
            linkerd_probe_targets: Vec::new(),
            consul_acl_default_deny: false,
            consul_default_deny_namespace: "consul".to_string(),
        }
    }
}

impl Settings {
    pub fn wildcard_allowed(&self, value: &str) -> bool {
        self.allowed_wildcard_principals.iter().any(|w| w == value)
    }

    /// Whether a policy selecting pods by `match_labels` selects an entry point: its labels
    /// include one of `publicWorkloadLabels`.
    pub fn public(&self, match_labels: &StringMap<'_>) -> bool {
        self.public_workload_labels.iter().any(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| match_labels.get(k).is_some_and(|l| l == v))
        })
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        if !(self.istio || self.linkerd || self.consul) {
            errors.add(
                "istio",
                "istio, linkerd and consul are all false, so nothing is checked; turn one on or \
                 do not deploy the policy",
            );
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
        for (i, value) in self.allowed_wildcard_principals.iter().enumerate() {
            if value.trim().is_empty() {
                errors.add(
                    format!("allowedWildcardPrincipals[{i}]"),
                    "is empty; list wildcard identities such as \"*\"",
                );
            }
        }
        for (i, pair) in self.public_workload_labels.iter().enumerate() {
            let valid = pair
                .split_once('=')
                .ok_or_else(|| "it has no \"=\"".to_string())
                .and_then(|(k, v)| check_label_key(k).and_then(|()| check_label_value(v)));
            if let Err(why) = valid {
                errors.add(
                    format!("publicWorkloadLabels[{i}]"),
                    format!("{pair:?} is not a label key=value: {why}"),
                );
            }
        }
        for (setting, name) in [
            ("rootNamespace", &self.root_namespace),
            (
                "consulDefaultDenyNamespace",
                &self.consul_default_deny_namespace,
            ),
        ] {
            if let Err(why) = check_dns_label(name) {
                errors.add(setting, format!("{name:?} is not a namespace name: {why}"));
            }
        }
        let policy = self.linkerd_cluster_default_policy.as_str();
        if !LINKERD_INBOUND_POLICIES.contains(&policy) {
            errors.add(
                "linkerdClusterDefaultPolicy",
                format!(
                    "{policy:?} is not a Linkerd default inbound policy; use one of {}",
                    LINKERD_INBOUND_POLICIES.join(", ")
                ),
            );
        }
        for (i, name) in self.linkerd_probe_targets.iter().enumerate() {
            if name.trim().is_empty() {
                errors.add(
                    format!("linkerdProbeTargets[{i}]"),
                    "is empty; list the names of the Servers or HTTPRoutes that serve probes",
                );
            }
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
        assert!(s.istio && s.linkerd && s.consul && s.require_default_deny);
        assert_eq!(s.path_normalization, PathNormalization::Base);
        assert_eq!(s.on_matching_pitfall, Mode::Warn);
        assert_eq!(s.on_missing, Mode::Reject);
        assert_eq!(s.root_namespace, "istio-system");
        let gateway: StringMap = [("istio".into(), "ingressgateway".into())].into();
        assert!(s.public(&gateway) && !s.public(&StringMap::new()));
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"linkerd": false, "consul": false}"#, None),
            (r#"{"pathNormalization": "DECODE_AND_MERGE_SLASHES"}"#, None),
            (
                r#"{"pathNormalization": "NONE", "onMatchingPitfall": "reject"}"#,
                None,
            ),
            (r#"{"publicWorkloadLabels": []}"#, None),
            (r#"{"publicWorkloadLabels": ["app=edge"]}"#, None),
            (r#"{"allowedWildcardPrincipals": ["*"]}"#, None),
            (r#"{"linkerdClusterDefaultPolicy": "deny"}"#, None),
            (
                r#"{"consulAclDefaultDeny": true, "onMissing": "warn"}"#,
                None,
            ),
            (
                r#"{"istio": false, "linkerd": false, "consul": false}"#,
                Some("istio: istio, linkerd and consul are all false"),
            ),
            (
                r#"{"pathNormalization": "base"}"#,
                Some("pathNormalization: unknown variant `base`"),
            ),
            (
                r#"{"onMatchingPitfall": "ignore"}"#,
                Some("onMatchingPitfall: unknown variant `ignore`, expected `reject` or `warn`"),
            ),
            (
                r#"{"rootNamespace": "Istio-System"}"#,
                Some("rootNamespace: \"Istio-System\" is not a namespace name"),
            ),
            (
                r#"{"linkerdClusterDefaultPolicy": "allow"}"#,
                Some(
                    "linkerdClusterDefaultPolicy: \"allow\" is not a Linkerd default inbound policy",
                ),
            ),
            (
                r#"{"allowedWildcardPrincipals": [""]}"#,
                Some("allowedWildcardPrincipals[0]: is empty"),
            ),
            (
                r#"{"publicWorkloadLabels": ["edge"]}"#,
                Some("publicWorkloadLabels[0]: \"edge\" is not a label key=value: it has no \"=\""),
            ),
            (
                r#"{"requireDefaultDenies": true}"#,
                Some("unknown field `requireDefaultDenies`"),
            ),
            (r#"{"istio": "yes"}"#, Some("istio: invalid type: string")),
            (
                r#"{"linkerdProbeTargets": "probes"}"#,
                Some("linkerdProbeTargets: invalid type: string"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
