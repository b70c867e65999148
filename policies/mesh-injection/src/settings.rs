//! Settings of `mesh-injection`.

use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::Deserialize;

use crate::mesh::{LINKERD_INBOUND_POLICIES, Mesh};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    pub mesh: Mesh,
    /// Accepted values of `istio.io/rev`; empty accepts any non-empty revision.
    pub istio_revisions: Vec<String>,
    pub exempt_namespaces: ExemptNamespaces,
    /// Add the mesh's switch to a Namespace that lacks it instead of rejecting it.
    pub mutate: bool,
    /// Bypass annotation keys that are allowed on pods.
    pub allowed_bypass_annotations: Vec<String>,
    /// Allowed values of Linkerd's `config.linkerd.io/default-inbound-policy`.
    pub linkerd_allowed_inbound_policies: Vec<String>,
    /// Reject workloads whose namespace does not enrol them (reads the Namespace).
    pub require_meshed_namespace: bool,
}

/// The namespaces of Kubernetes itself and of the meshes' control planes.
pub const DEFAULT_EXEMPT_NAMESPACES: [&str; 6] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "istio-system",
    "linkerd",
    "consul",
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mesh: Mesh::Istio,
            istio_revisions: Vec::new(),
            exempt_namespaces: ExemptNamespaces::of(&DEFAULT_EXEMPT_NAMESPACES),
            mutate: false,
            allowed_bypass_annotations: Vec::new(),
            linkerd_allowed_inbound_policies: [
                "all-authenticated",
                "cluster-authenticated",
                "deny",
            ]
            .map(String::from)
            .to_vec(),
            require_meshed_namespace: true,
        }
    }
}

impl Settings {
    pub fn bypass_allowed(&self, key: &str) -> bool {
        self.allowed_bypass_annotations.iter().any(|k| k == key)
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        let mesh = self.mesh;
        if !self.istio_revisions.is_empty() && mesh != Mesh::Istio {
            errors.add(
                "istioRevisions",
                format!(
                    "selects sidecar injection revisions, which mesh: {} does not use; remove it \
                     or set mesh: istio",
                    mesh.name()
                ),
            );
        }
        for (i, revision) in self.istio_revisions.iter().enumerate() {
            if let Err(why) = check_label_value(revision) {
                errors.add(
                    format!("istioRevisions[{i}]"),
                    format!("{revision:?} cannot be an istio.io/rev label value: {why}"),
                );
            }
        }
        if self.mutate && mesh.enabling_switch(&[]).is_none() {
            errors.add(
                "mutate",
                format!(
                    "mesh: {} has no namespace label or annotation to add; set mutate: false",
                    mesh.name()
                ),
            );
        }
        for (i, key) in self.allowed_bypass_annotations.iter().enumerate() {
            if mesh.bypass(key).is_none() {
                let known: Vec<&str> = mesh.bypasses().iter().map(|b| b.key).collect();
                errors.add(
                    format!("allowedBypassAnnotations[{i}]"),
                    format!(
                        "{key:?} is not a bypass annotation of mesh: {}; the known ones are {}",
                        mesh.name(),
                        known.join(", ")
                    ),
                );
            }
        }
        for (i, policy) in self.linkerd_allowed_inbound_policies.iter().enumerate() {
            if !LINKERD_INBOUND_POLICIES.contains(&policy.as_str()) {
                errors.add(
                    format!("linkerdAllowedInboundPolicies[{i}]"),
                    format!(
                        "{policy:?} is not a Linkerd default inbound policy; use some of {}",
                        LINKERD_INBOUND_POLICIES.join(", ")
                    ),
                );
            }
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
    }
}

/// A Kubernetes label value: at most 63 characters, alphanumerics at both ends, `-_.` inside.
/// An empty value is valid for Kubernetes but selects no revision.
fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".into());
    }
    if value.len() > 63 {
        return Err("it is longer than 63 characters".into());
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!("{c:?} is not allowed"));
    }
    let ends = [value.chars().next(), value.chars().last()];
    if ends.iter().flatten().any(|c| !c.is_ascii_alphanumeric()) {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;

    #[test]
    fn defaults() {
        let s: Settings = parse_settings(b"{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.mesh, Mesh::Istio);
        assert!(s.require_meshed_namespace);
        assert!(!s.mutate);
        assert!(s.exempt_namespaces.contains("istio-system"));
        assert!(s.exempt_namespaces.contains("consul"));
        assert_eq!(
            s.linkerd_allowed_inbound_policies,
            ["all-authenticated", "cluster-authenticated", "deny"]
        );
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"mesh": "istio-ambient"}"#, None),
            (r#"{"mesh": "linkerd", "mutate": true}"#, None),
            (
                r#"{"istioRevisions": ["canary", "1-24-0", "prod_a.b"]}"#,
                None,
            ),
            (
                r#"{"mesh": "consul", "allowedBypassAnnotations": ["consul.hashicorp.com/transparent-proxy-exclude-uids"]}"#,
                None,
            ),
            (r#"{"exemptNamespaces": []}"#, None),
            (r#"{"linkerdAllowedInboundPolicies": []}"#, None),
            (
                r#"{"mesh": "kuma"}"#,
                Some(
                    "mesh: unknown variant `kuma`, expected one of `istio`, `istio-ambient`, `linkerd`, `consul`",
                ),
            ),
            (
                r#"{"mesh": "Istio"}"#,
                Some("mesh: unknown variant `Istio`"),
            ),
            (r#"{"revisions": []}"#, Some("unknown field `revisions`")),
            (
                r#"{"istioRevisions": ["canary", ""]}"#,
                Some("istioRevisions[1]: \"\" cannot be an istio.io/rev label value: it is empty"),
            ),
            (
                r#"{"istioRevisions": ["-canary"]}"#,
                Some("istioRevisions[0]"),
            ),
            (
                r#"{"istioRevisions": ["a/b"]}"#,
                Some(
                    "istioRevisions[0]: \"a/b\" cannot be an istio.io/rev label value: '/' is not allowed",
                ),
            ),
            (
                r#"{"mesh": "linkerd", "istioRevisions": ["canary"]}"#,
                Some(
                    "istioRevisions: selects sidecar injection revisions, which mesh: linkerd does not use",
                ),
            ),
            (
                r#"{"mesh": "consul", "mutate": true}"#,
                Some("mutate: mesh: consul has no namespace label or annotation to add"),
            ),
            (
                r#"{"mesh": "linkerd", "allowedBypassAnnotations": ["traffic.sidecar.istio.io/excludeInboundPorts"]}"#,
                Some(
                    "allowedBypassAnnotations[0]: \"traffic.sidecar.istio.io/excludeInboundPorts\" is not a bypass annotation of mesh: linkerd; the known ones are config.linkerd.io/skip-inbound-ports",
                ),
            ),
            (
                r#"{"linkerdAllowedInboundPolicies": ["deny", "allow-all"]}"#,
                Some(
                    "linkerdAllowedInboundPolicies[1]: \"allow-all\" is not a Linkerd default inbound policy",
                ),
            ),
            (r#"{"mutate": "yes"}"#, Some("mutate: invalid type")),
            (
                r#"{"exemptNamespaces": ["Istio System"]}"#,
                Some("exemptNamespaces[0]"),
            ),
            (
                r#"{"requireMeshedNamespace": null}"#,
                Some("requireMeshedNamespace: invalid type: null"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
