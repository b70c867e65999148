//! Settings of `ingress-tls`.

use netsec_shared::host::{HostRules, check_domain};
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
    /// Accept Gateway `TLS` listeners in `Passthrough` mode (the backend's certificate, unseen).
    #[serde(rename = "allowTLSPassthrough")]
    pub allow_tls_passthrough: bool,
    /// Ports on which a Gateway may have a plain `HTTP` listener (for redirects to HTTPS).
    #[serde(rename = "allowedHTTPListenerPorts")]
    pub allowed_http_listener_ports: Vec<i64>,
    /// Accept Gateway listeners with `allowedRoutes.namespaces.from: All`.
    pub allow_routes_from_all_namespaces: bool,
    /// Accept ACME HTTP-01 solvers: an Ingress or HTTPRoute that serves only
    /// `/.well-known/acme-challenge/<token>` paths, over plain HTTP.
    pub allow_acme_http01: bool,
    /// GatewayClasses of mesh gateways (Istio ambient waypoints, east-west gateways), whose
    /// listeners carry only the mesh's mutual-TLS traffic.
    pub mesh_gateway_classes: Vec<String>,
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
            allow_tls_passthrough: false,
            allowed_http_listener_ports: vec![80],
            allow_routes_from_all_namespaces: false,
            allow_acme_http01: true,
            mesh_gateway_classes: vec!["istio-waypoint".into(), "istio-east-west".into()],
            exempt_namespaces: ExemptNamespaces::default(),
        }
    }
}

impl Settings {
    /// The host rules of every name the policy judges: Ingress hosts, listener and route
    /// hostnames.
    pub fn host_rules(&self) -> HostRules<'_> {
        HostRules {
            allow_wildcards: self.allow_wildcard_hosts,
            suffixes: &self.allowed_host_suffixes,
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
            // spec.ingressClassName names an IngressClass (a DNS subdomain), but the deprecated
            // kubernetes.io/ingress.class annotation holds any string its controller compares
            // as it is (`HAProxy`, `nginx-internal`), so any class that can be written is taken.
            if class.trim().is_empty() {
                errors.add(
                    format!("allowedIngressClasses[{i}]"),
                    format!("{class:?} is empty; name an ingress class"),
                );
            } else if class.trim() != class {
                errors.add(
                    format!("allowedIngressClasses[{i}]"),
                    format!(
                        "{class:?} has blanks around it, which no class has; write {:?}",
                        class.trim()
                    ),
                );
            }
        }
        for (i, port) in self.allowed_http_listener_ports.iter().enumerate() {
            if !(1..=65535).contains(port) {
                errors.add(
                    format!("allowedHTTPListenerPorts[{i}]"),
                    format!("{port} is not a port number (1 to 65535)"),
                );
            }
        }
        for (i, class) in self.mesh_gateway_classes.iter().enumerate() {
            // GatewayClass names are DNS subdomains; labels are checked one by one.
            let bad = class.is_empty()
                || class.len() > 253
                || class.split('.').map(check_dns_label).any(|r| r.is_err());
            if bad {
                errors.add(
                    format!("meshGatewayClasses[{i}]"),
                    format!("{class:?} is not a GatewayClass name (lower-case DNS name)"),
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
        assert_eq!(s.allowed_http_listener_ports, [80]);
        assert!(!s.allow_tls_passthrough && !s.allow_routes_from_all_namespaces);
        assert!(s.allow_acme_http01);
        assert_eq!(
            s.mesh_gateway_classes,
            ["istio-waypoint", "istio-east-west"]
        );
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
                r#"{"allowedIngressClasses": ["HAProxy", "nginx_internal", "Nginx"]}"#,
                None,
            ),
            (
                r#"{"allowedIngressClasses": [" nginx"]}"#,
                Some("allowedIngressClasses[0]: \" nginx\" has blanks around it"),
            ),
            (
                r#"{"allowedIngressClasses": ["nginx", ""]}"#,
                Some("allowedIngressClasses[1]: \"\" is empty"),
            ),
            (
                r#"{"allowWildcardHosts": "yes"}"#,
                Some("allowWildcardHosts: invalid type"),
            ),
            (
                r#"{"allowTLSPassthrough": true, "allowedHTTPListenerPorts": [], "allowRoutesFromAllNamespaces": true}"#,
                None,
            ),
            (
                r#"{"allowTlsPassthrough": true}"#,
                Some("unknown field `allowTlsPassthrough`"),
            ),
            (
                r#"{"allowedHTTPListenerPorts": [80, 0, 65536]}"#,
                Some(
                    "allowedHTTPListenerPorts[1]: 0 is not a port number (1 to 65535); allowedHTTPListenerPorts[2]: 65536",
                ),
            ),
            (
                r#"{"allowedHTTPListenerPorts": ["80"]}"#,
                Some("allowedHTTPListenerPorts[0]: invalid type: string"),
            ),
            (
                r#"{"allowAcmeHttp01": false, "meshGatewayClasses": ["istio-waypoint", "ambient.example.com"]}"#,
                None,
            ),
            (
                r#"{"allowACMEHTTP01": false}"#,
                Some("unknown field `allowACMEHTTP01`"),
            ),
            (
                r#"{"meshGatewayClasses": ["Istio Waypoint"]}"#,
                Some("meshGatewayClasses[0]: \"Istio Waypoint\" is not a GatewayClass name"),
            ),
            (
                r#"{"exemptNamespaces": ["Team A"]}"#,
                Some("exemptNamespaces[0]"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
