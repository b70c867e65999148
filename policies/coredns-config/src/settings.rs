//! Settings of `coredns-config`.

use netsec_shared::net::parse_ip_or_cidr;
use netsec_shared::settings::check_dns_label;
use netsec_shared::{SettingsErrors, Validate};
use serde::{Deserialize, Serialize};

use crate::corefile::is_plugin_name;
use crate::zone::normalize_zone;

/// A ConfigMap whose keys CoreDNS loads, and which keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigMapRef {
    pub namespace: String,
    pub name: String,
    /// Key names or `*` patterns; a key ending in `.override` holds plugin lines for the main
    /// server block, any other key whole server blocks.
    pub keys: Vec<String>,
    /// The directory the ConfigMap is mounted at in the CoreDNS pod: a `hosts` plugin that
    /// reads a file there reads a key of this ConfigMap, which is then checked as a hosts file.
    #[serde(default = "default_mount_path")]
    pub mount_path: String,
}

fn default_mount_path() -> String {
    "/etc/coredns".into()
}

pub const POD_MODES: [&str; 3] = ["disabled", "verified", "insecure"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    pub config_maps: Vec<ConfigMapRef>,
    pub allowed_pods_modes: Vec<String>,
    /// IPs, CIDRs, or absolute paths of resolv.conf-style files.
    pub allowed_upstreams: Vec<String>,
    #[serde(rename = "requireTLSUpstreams")]
    pub require_tls_upstreams: bool,
    pub required_plugins: Vec<String>,
    #[serde(rename = "maxCacheTTL")]
    pub max_cache_ttl: u32,
    pub require_max_concurrent: bool,
    pub protect_cluster_domain: bool,
    /// Protected with the zones of any `kubernetes` plugin in sight; all there is to go on
    /// for a `coredns-custom` file.
    pub cluster_domains: Vec<String>,
    pub allow_zone_transfers: bool,
    pub allowed_imports: Vec<String>,
    /// Plugins of a custom CoreDNS build, accepted besides the in-tree ones.
    pub external_plugins: Vec<String>,
}

impl Settings {
    /// The ConfigMap entry naming `namespace`/`name`, if it is one CoreDNS loads.
    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&ConfigMapRef> {
        self.config_maps
            .iter()
            .find(|c| c.namespace == namespace && c.name == name)
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            config_maps: vec![
                ConfigMapRef {
                    namespace: "kube-system".into(),
                    name: "coredns".into(),
                    keys: strings(&["Corefile"]),
                    mount_path: default_mount_path(),
                },
                ConfigMapRef {
                    namespace: "kube-system".into(),
                    name: "coredns-custom".into(),
                    keys: strings(&["*.server", "*.override"]),
                    mount_path: "/etc/coredns/custom".into(),
                },
            ],
            allowed_pods_modes: strings(&["verified", "disabled"]),
            allowed_upstreams: strings(&["/etc/resolv.conf"]),
            require_tls_upstreams: false,
            required_plugins: strings(&["errors", "health", "ready", "cache", "loop"]),
            max_cache_ttl: 300,
            require_max_concurrent: true,
            protect_cluster_domain: true,
            cluster_domains: strings(&["cluster.local"]),
            allow_zone_transfers: false,
            allowed_imports: strings(&[
                "/etc/coredns/custom/*.override",
                "/etc/coredns/custom/*.server",
            ]),
            external_plugins: Vec::new(),
        }
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        for (i, cm) in self.config_maps.iter().enumerate() {
            if let Err(why) = check_dns_label(&cm.namespace) {
                errors.add(
                    format!("configMaps[{i}].namespace"),
                    format!("{:?} is not a namespace name: {why}", cm.namespace),
                );
            }
            if cm.name.is_empty() || cm.name.len() > 253 {
                errors.add(format!("configMaps[{i}].name"), "must be a ConfigMap name");
            }
            if cm.keys.is_empty() {
                errors.add(
                    format!("configMaps[{i}].keys"),
                    "lists no key, so nothing of this ConfigMap would be checked",
                );
            }
            if !cm.mount_path.starts_with('/') {
                errors.add(
                    format!("configMaps[{i}].mountPath"),
                    format!(
                        "{:?} must be an absolute directory, such as /etc/coredns",
                        cm.mount_path
                    ),
                );
            }
            for (j, key) in cm.keys.iter().enumerate() {
                if key.is_empty() || key.contains('/') {
                    errors.add(
                        format!("configMaps[{i}].keys[{j}]"),
                        format!("{key:?} is not a ConfigMap key or key pattern"),
                    );
                }
            }
        }
        for (i, mode) in self.allowed_pods_modes.iter().enumerate() {
            if !POD_MODES.contains(&mode.as_str()) {
                errors.add(
                    format!("allowedPodsModes[{i}]"),
                    format!("{mode:?} is not a pods mode (disabled, verified or insecure)"),
                );
            }
        }
        for (i, upstream) in self.allowed_upstreams.iter().enumerate() {
            if !upstream.starts_with('/')
                && let Err(why) = parse_ip_or_cidr(upstream)
            {
                errors.add(
                    format!("allowedUpstreams[{i}]"),
                    format!("{why}; write an IP, a CIDR block or the absolute path of a resolv.conf file"),
                );
            }
        }
        for (i, plugin) in self.required_plugins.iter().enumerate() {
            if !is_plugin_name(plugin) {
                errors.add(
                    format!("requiredPlugins[{i}]"),
                    format!("{plugin:?} is not a plugin name"),
                );
            }
        }
        for (i, plugin) in self.external_plugins.iter().enumerate() {
            if !is_plugin_name(plugin) {
                errors.add(
                    format!("externalPlugins[{i}]"),
                    format!("{plugin:?} is not a plugin name (lower-case letters, digits and '_', as in plugin.cfg)"),
                );
            }
        }
        if self.max_cache_ttl == 0 {
            errors.add(
                "maxCacheTTL",
                "must be at least 1 second (CoreDNS's own cap is 3600 for answers, 1800 for denials)",
            );
        }
        for (i, domain) in self.cluster_domains.iter().enumerate() {
            let problem = match normalize_zone(domain) {
                Ok(zones) if zones.iter().any(|z| z == ".") => {
                    Some("the root zone is not a cluster domain".to_string())
                }
                Ok(_) if domain.contains('/') => {
                    Some("write a domain, not a CIDR block".to_string())
                }
                Ok(_) => None,
                Err(why) => Some(why),
            };
            if let Some(why) = problem {
                errors.add(format!("clusterDomains[{i}]"), format!("{domain:?}: {why}"));
            }
        }
        for (i, pattern) in self.allowed_imports.iter().enumerate() {
            if !pattern.starts_with('/') {
                errors.add(
                    format!("allowedImports[{i}]"),
                    format!("{pattern:?} must be an absolute path or pattern (relative imports are resolved against /etc/coredns)"),
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
        assert_eq!(s.max_cache_ttl, 300);
        assert!(s.require_max_concurrent && s.protect_cluster_domain && !s.allow_zone_transfers);
        assert_eq!(s.config_maps[1].keys, ["*.server", "*.override"]);
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"allowedPodsModes": ["verified", "disabled", "insecure"]}"#,
                None,
            ),
            (
                r#"{"allowedUpstreams": ["10.0.0.10", "1.1.1.1/32", "2606:4700::/32", "/etc/resolv.conf"]}"#,
                None,
            ),
            (r#"{"maxCacheTTL": 30, "requireTLSUpstreams": true}"#, None),
            (
                r#"{"configMaps": [{"namespace": "dns", "name": "coredns", "keys": ["Corefile", "*.server"]}]}"#,
                None,
            ),
            (
                r#"{"clusterDomains": ["cluster.local", "k8s.example.org."]}"#,
                None,
            ),
            (
                r#"{"allowedPodsModes": ["secure"]}"#,
                Some("allowedPodsModes[0]: \"secure\" is not a pods mode"),
            ),
            (
                r#"{"allowedUpstreams": ["8.8.8"]}"#,
                Some("allowedUpstreams[0]"),
            ),
            (
                r#"{"allowedUpstreams": ["resolv.conf"]}"#,
                Some("allowedUpstreams[0]"),
            ),
            (
                r#"{"maxCacheTTL": 0}"#,
                Some("maxCacheTTL: must be at least 1"),
            ),
            (r#"{"maxCacheTTL": -5}"#, Some("maxCacheTTL: invalid value")),
            (
                r#"{"maxCacheTtl": 30}"#,
                Some("unknown field `maxCacheTtl`"),
            ),
            (
                r#"{"requireTlsUpstreams": true}"#,
                Some("unknown field `requireTlsUpstreams`"),
            ),
            (
                r#"{"requiredPlugins": ["Cache"]}"#,
                Some("requiredPlugins[0]"),
            ),
            (
                r#"{"configMaps": [{"namespace": "Kube System", "name": "coredns", "keys": ["Corefile"]}]}"#,
                Some("configMaps[0].namespace"),
            ),
            (
                r#"{"configMaps": [{"namespace": "kube-system", "name": "coredns", "keys": []}]}"#,
                Some("configMaps[0].keys: lists no key"),
            ),
            (
                r#"{"configMaps": [{"namespace": "kube-system", "name": "coredns"}]}"#,
                Some("missing field `keys`"),
            ),
            (
                r#"{"configMaps": [{"namespace": "kube-system", "name": "coredns", "keys": ["a"], "key": "b"}]}"#,
                Some("unknown field `key`"),
            ),
            (
                r#"{"externalPlugins": ["unbound", "ocp_dnsnameresolver"]}"#,
                None,
            ),
            (
                r#"{"externalPlugins": ["Unbound"]}"#,
                Some("externalPlugins[0]: \"Unbound\" is not a plugin name"),
            ),
            (
                r#"{"configMaps": [{"namespace": "kube-system", "name": "coredns", "keys": ["Corefile"], "mountPath": "etc/coredns"}]}"#,
                Some("configMaps[0].mountPath"),
            ),
            (r#"{"clusterDomains": ["."]}"#, Some("clusterDomains[0]")),
            (r#"{"clusterDomains": ["a..b"]}"#, Some("clusterDomains[0]")),
            (
                r#"{"allowedImports": ["custom/*.server"]}"#,
                Some("allowedImports[0]"),
            ),
            (
                r#"{"protectClusterDomain": "yes"}"#,
                Some("protectClusterDomain: invalid type"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
