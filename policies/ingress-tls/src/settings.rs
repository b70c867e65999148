//! Settings of `ingress-tls`.

use netsec_shared::host::check_domain;
use netsec_shared::settings::check_dns_label;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Accept rules without a host and `spec.defaultBackend` (they answer every Host header).
    pub allow_hostless_rules: bool,
    /// Accept TLS entries without `secretName` (served with the controller's default certificate).
    pub allow_default_certificate: bool,
    /// Accept wildcard rule hosts such as `*.example.com`.
    pub allow_wildcard_hosts: bool,
    /// When non-empty, every rule and TLS host must be one of these domains or a subdomain.
    pub allowed_host_suffixes: Vec<String>,
    /// When non-empty, the Ingress must name one of these classes.
    pub allowed_ingress_classes: Vec<String>,
    /// Reject annotations that turn off the controller's HTTP-to-HTTPS redirect or allow HTTP.
    #[serde(rename = "requireHTTPSRedirect")]
    pub require_https_redirect: bool,
    pub exempt_namespaces: ExemptNamespaces,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_hostless_rules: false,
            allow_default_certificate: false,
            allow_wildcard_hosts: false,
            allowed_host_suffixes: Vec::new(),
            allowed_ingress_classes: Vec::new(),
            require_https_redirect: true,
            exempt_namespaces: ExemptNamespaces::default(),
        }
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        for (i, suffix) in self.allowed_host_suffixes.iter().enumerate() {
            let setting = format!("allowedHostSuffixes[{i}]");
            if suffix.starts_with('.') {
                errors.add(
                    setting,
                    format!(
                        "{suffix:?} starts with a dot; write the domain itself ({:?}), it admits its subdomains too",
                        suffix.trim_start_matches('.')
                    ),
                );
            } else if let Err(why) = check_domain(suffix) {
                errors.add(setting, format!("{suffix:?} is not a domain name: {why}"));
            }
        }
        for (i, class) in self.allowed_ingress_classes.iter().enumerate() {
            // IngressClass names are DNS subdomains; labels are checked one by one.
            let bad = class.is_empty()
                || class.len() > 253
                || class.split('.').map(check_dns_label).any(|r| r.is_err());
            if bad {
                errors.add(
                    format!("allowedIngressClasses[{i}]"),
                    format!("{class:?} is not an IngressClass name (lower-case DNS name)"),
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
        assert!(s.require_https_redirect);
        assert!(!s.allow_hostless_rules);
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"allowedHostSuffixes": ["example.com", "Example.org."]}"#,
                None,
            ),
            (
                r#"{"allowedIngressClasses": ["nginx", "internal.nginx"]}"#,
                None,
            ),
            (
                r#"{"requireHTTPSRedirect": false, "allowWildcardHosts": true}"#,
                None,
            ),
            (
                r#"{"requireHttpsRedirect": false}"#,
                Some("unknown field `requireHttpsRedirect`"),
            ),
            (
                r#"{"allowHostless": true}"#,
                Some("unknown field `allowHostless`"),
            ),
            (
                r#"{"allowedHostSuffixes": [""]}"#,
                Some("allowedHostSuffixes[0]: \"\" is not a domain name"),
            ),
            (
                r#"{"allowedHostSuffixes": ["*.example.com"]}"#,
                Some("wildcard"),
            ),
            (
                r#"{"allowedHostSuffixes": [".example.com"]}"#,
                Some("starts with a dot"),
            ),
            (
                r#"{"allowedHostSuffixes": ["exa mple.com"]}"#,
                Some("allowedHostSuffixes[0]"),
            ),
            (
                r#"{"allowedHostSuffixes": "example.com"}"#,
                Some("allowedHostSuffixes: invalid type"),
            ),
            (
                r#"{"allowedIngressClasses": [3]}"#,
                Some("allowedIngressClasses[0]: invalid type: integer"),
            ),
            (
                r#"{"allowedIngressClasses": ["Nginx"]}"#,
                Some("allowedIngressClasses[0]"),
            ),
            (
                r#"{"allowedIngressClasses": [""]}"#,
                Some("allowedIngressClasses[0]"),
            ),
            (
                r#"{"allowWildcardHosts": "yes"}"#,
                Some("allowWildcardHosts: invalid type"),
            ),
            (
                r#"{"exemptNamespaces": ["Team A"]}"#,
                Some("exemptNamespaces[0]"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
