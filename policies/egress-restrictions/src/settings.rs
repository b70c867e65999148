//! Settings of `egress-restrictions`.

use std::fmt;

use netsec_shared::net::{IpNet, parse_cidr};
use netsec_shared::selector::SettingsSelector;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::{Deserialize, Serialize};

use crate::ports::PortRange;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Accept egress rules without `to` (they allow every destination).
    pub allow_unrestricted_peers: bool,
    /// The broadest `ipBlock.cidr` accepted, per family.
    pub min_prefix_length: MinPrefixLength,
    /// When non-empty, every `ipBlock.cidr` must lie inside one of these.
    #[serde(rename = "allowedCIDRs")]
    pub allowed_cidrs: Vec<Cidr>,
    /// Ranges no `ipBlock` may reach unless its `except` list carves them out.
    #[serde(rename = "deniedCIDRs")]
    pub denied_cidrs: Vec<Cidr>,
    /// When non-empty, every DNS name of an egress rule (Cilium `toFQDNs`, Calico `domains`)
    /// must be covered by one of these patterns (Cilium's `matchPattern` syntax). When empty,
    /// names are not restricted unless `allowedCIDRs` is set: then a name, whose addresses
    /// cannot be checked against it, is refused.
    #[serde(rename = "allowedFQDNs")]
    pub allowed_fqdns: Vec<String>,
    /// Every egress rule must list ports.
    pub require_ports: bool,
    /// When non-empty, every port of every egress rule must be inside these.
    pub allowed_ports: Vec<PortRange>,
    /// When set, a peer's `namespaceSelector` must equal one of these.
    pub allowed_namespace_selectors: Option<Vec<SettingsSelector>>,
    /// Reject workloads with `hostNetwork: true`: no NetworkPolicy governs them.
    pub deny_host_network: bool,
    pub exempt_namespaces: ExemptNamespaces,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinPrefixLength {
    pub ipv4: u8,
    pub ipv6: u8,
}

impl Default for MinPrefixLength {
    fn default() -> Self {
        MinPrefixLength { ipv4: 8, ipv6: 32 }
    }
}

/// A CIDR block as written in the settings, parsed when the settings are read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    pub text: String,
    pub net: IpNet,
}

impl Cidr {
    pub fn is_metadata_endpoint(&self) -> bool {
        METADATA_ENDPOINTS
            .iter()
            .any(|m| parse_cidr(m).is_ok_and(|n| n == self.net))
    }
}

impl TryFrom<String> for Cidr {
    type Error = String;
    fn try_from(text: String) -> Result<Cidr, String> {
        let net = parse_cidr(&text)?;
        Ok(Cidr { text, net })
    }
}

impl From<Cidr> for String {
    fn from(cidr: Cidr) -> String {
        cidr.text
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The cloud metadata endpoints (AWS, GCP, Azure, OpenStack at 169.254.169.254; AWS over IPv6).
pub const METADATA_ENDPOINTS: [&str; 2] = ["169.254.169.254/32", "fd00:ec2::254/128"];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_unrestricted_peers: false,
            min_prefix_length: MinPrefixLength::default(),
            allowed_cidrs: Vec::new(),
            denied_cidrs: METADATA_ENDPOINTS
                .iter()
                .filter_map(|c| Cidr::try_from(c.to_string()).ok())
                .collect(),
            allowed_fqdns: Vec::new(),
            require_ports: false,
            allowed_ports: Vec::new(),
            allowed_namespace_selectors: None,
            deny_host_network: true,
            exempt_namespaces: ExemptNamespaces::of(&["kube-system"]),
        }
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        if self.min_prefix_length.ipv4 > 32 {
            errors.add(
                "minPrefixLength.ipv4",
                format!(
                    "{} is not a prefix length from 0 to 32",
                    self.min_prefix_length.ipv4
                ),
            );
        }
        if self.min_prefix_length.ipv6 > 128 {
            errors.add(
                "minPrefixLength.ipv6",
                format!(
                    "{} is not a prefix length from 0 to 128",
                    self.min_prefix_length.ipv6
                ),
            );
        }
        for (i, pattern) in self.allowed_fqdns.iter().enumerate() {
            let valid = |b: u8| b.is_ascii_alphanumeric() || b"-._*".contains(&b);
            if pattern.trim().is_empty() || !pattern.trim().bytes().all(valid) {
                errors.add(
                    format!("allowedFQDNs[{i}]"),
                    format!(
                        "{pattern:?} is not a DNS name pattern: use letters, digits, \"-\", \"_\", \
                         \".\" and \"*\" (e.g. \"*.example.com\")"
                    ),
                );
            }
        }
        for (i, selector) in self
            .allowed_namespace_selectors
            .iter()
            .flatten()
            .enumerate()
        {
            // `{}` is a legitimate entry here: it lets peers select every namespace explicitly.
            for e in selector.0.check() {
                errors.add(
                    format!("allowedNamespaceSelectors[{i}].{}", e.path),
                    e.message,
                );
            }
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
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
        assert_eq!(s.denied_cidrs.len(), 2);
        assert_eq!(s.min_prefix_length, MinPrefixLength { ipv4: 8, ipv6: 32 });
        assert!(s.exempt_namespaces.contains("kube-system"));
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"allowedCIDRs": ["10.0.0.0/8", "2001:db8::/32"], "allowedPorts": ["53/UDP", "8000-8100/TCP"]}"#,
                None,
            ),
            (r#"{"minPrefixLength": {"ipv4": 16}}"#, None),
            (r#"{"deniedCIDRs": []}"#, None),
            (
                r#"{"allowedFQDNs": ["*.example.com", "api.example.org"]}"#,
                None,
            ),
            (
                r#"{"allowedFQDNs": ["exa mple.com"]}"#,
                Some("allowedFQDNs[0]: \"exa mple.com\" is not a DNS name pattern"),
            ),
            (r#"{"allowedFQDNs": [""]}"#, Some("allowedFQDNs[0]")),
            (
                r#"{"allowedFqdns": []}"#,
                Some("unknown field `allowedFqdns`"),
            ),
            (
                r#"{"allowedCidrs": []}"#,
                Some("unknown field `allowedCidrs`"),
            ),
            (
                r#"{"allowedCIDRs": ["10.0.0.0"]}"#,
                Some("allowedCIDRs: \"10.0.0.0\" is not a CIDR block"),
            ),
            (
                r#"{"deniedCIDRs": ["10.0.0.0/33"]}"#,
                Some("deniedCIDRs: \"10.0.0.0/33\" is not a valid CIDR block"),
            ),
            (
                r#"{"minPrefixLength": {"ipv4": 33}}"#,
                Some("minPrefixLength.ipv4: 33 is not a prefix length from 0 to 32"),
            ),
            (
                r#"{"minPrefixLength": {"ipv6": 129}}"#,
                Some("minPrefixLength.ipv6"),
            ),
            (
                r#"{"minPrefixLength": {"ipv4": -1}}"#,
                Some("minPrefixLength.ipv4: invalid value"),
            ),
            (
                r#"{"minPrefixLength": {"v4": 8}}"#,
                Some("unknown field `v4`"),
            ),
            (
                r#"{"allowedPorts": ["443"]}"#,
                Some("allowedPorts: \"443\" has no protocol"),
            ),
            (
                r#"{"allowedPorts": ["70000/TCP"]}"#,
                Some("allowedPorts: \"70000/TCP\""),
            ),
            (
                r#"{"allowedPorts": [443]}"#,
                Some("allowedPorts[0]: invalid type: integer"),
            ),
            (
                r#"{"requirePorts": "yes"}"#,
                Some("requirePorts: invalid type"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
