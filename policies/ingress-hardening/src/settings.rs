//! Settings of `ingress-hardening`.

use netsec_shared::annotations::check_key;
use netsec_shared::controllers::{ControllerMap, NGINX_PREFIX, UnknownClass, check_list_name};
use netsec_shared::host::check_domain;
use netsec_shared::net::{IpNet, any_v4, any_v6, first_uncovered, parse_ip_or_cidr};
use netsec_shared::request::null_as_empty;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::Deserialize;

use crate::risky;

/// The settings, camelCase, unknown fields refused; a null list or map (YAML's empty `key:`)
/// keeps its default.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Ingress class name to the kind of controller serving it (for requireAuth and requireWAF).
    #[serde(deserialize_with = "null_as_empty")]
    pub controllers: ControllerMap,
    pub unknown_class: UnknownClass,
    /// ingress-nginx's `--annotations-prefix`, with or without the trailing `/`.
    pub annotation_prefix: String,
    /// Risky annotation keys opted back in.
    #[serde(deserialize_with = "null_as_empty")]
    pub allowed_risky_annotations: Vec<String>,
    /// nginx variables accepted in the values of the injection-checked annotations.
    #[serde(deserialize_with = "null_as_empty")]
    pub allowed_nginx_variables: Vec<String>,
    pub require_auth: bool,
    #[serde(deserialize_with = "null_as_empty")]
    pub traefik_auth_middlewares: Vec<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub kong_auth_plugins: Vec<String>,
    /// Hosts that may be served without authentication (`*.example.com` covers one label).
    #[serde(deserialize_with = "null_as_empty")]
    pub public_hosts: Vec<String>,
    /// Namespaces whose Ingresses need no authentication (every other rule still applies).
    #[serde(deserialize_with = "null_as_empty")]
    pub public_namespaces: ExemptNamespaces,
    #[serde(rename = "requireWAF")]
    pub require_waf: bool,
    #[serde(rename = "traefikWAFMiddlewares")]
    #[serde(deserialize_with = "null_as_empty")]
    pub traefik_waf_middlewares: Vec<String>,
    #[serde(rename = "kongWAFPlugins")]
    #[serde(deserialize_with = "null_as_empty")]
    pub kong_waf_plugins: Vec<String>,
    /// When non-empty, source-range allow-list entries must lie inside these blocks.
    #[serde(deserialize_with = "null_as_empty")]
    pub allowed_source_ranges: Vec<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub exempt_namespaces: ExemptNamespaces,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            controllers: ControllerMap::default(),
            unknown_class: UnknownClass::Reject,
            annotation_prefix: NGINX_PREFIX.trim_end_matches('/').to_string(),
            allowed_risky_annotations: Vec::new(),
            allowed_nginx_variables: Vec::new(),
            require_auth: false,
            traefik_auth_middlewares: Vec::new(),
            kong_auth_plugins: Vec::new(),
            public_hosts: Vec::new(),
            public_namespaces: ExemptNamespaces::default(),
            require_waf: false,
            traefik_waf_middlewares: Vec::new(),
            kong_waf_plugins: Vec::new(),
            allowed_source_ranges: Vec::new(),
            exempt_namespaces: ExemptNamespaces::default(),
        }
    }
}

impl Settings {
    /// The configured ingress-nginx prefix, ending in `/`.
    pub fn nginx_prefix(&self) -> String {
        format!("{}/", self.annotation_prefix.trim_end_matches('/'))
    }

    /// The ingress-nginx prefixes whose risky keys are rejected: the configured one and the
    /// default, since another ingress-nginx of the cluster may read the default.
    pub fn risky_nginx_prefixes(&self) -> Vec<String> {
        let mut prefixes = vec![self.nginx_prefix()];
        if prefixes[0] != NGINX_PREFIX {
            prefixes.push(NGINX_PREFIX.to_string());
        }
        prefixes
    }

    pub fn risky_allowed(&self, key: &str) -> bool {
        self.allowed_risky_annotations.iter().any(|k| k == key)
    }

    pub fn variable_allowed(&self, name: &str) -> bool {
        self.allowed_nginx_variables
            .iter()
            .any(|v| v.trim_start_matches('$') == name)
    }

    /// The parsed `allowedSourceRanges` (validated when the policy loads).
    pub fn source_ranges(&self) -> Vec<IpNet> {
        self.allowed_source_ranges
            .iter()
            .filter_map(|r| parse_ip_or_cidr(r).ok())
            .collect()
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        self.controllers.validate("controllers", errors);
        let prefix = self.annotation_prefix.trim_end_matches('/');
        let prefix_problem = if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            Some("it must be lower-case".to_string())
        } else {
            check_domain(prefix).err()
        };
        if let Some(why) = prefix_problem {
            errors.add(
                "annotationPrefix",
                format!(
                    "{:?} is not an annotation prefix (a DNS subdomain such as \
                     nginx.ingress.kubernetes.io): {why}",
                    self.annotation_prefix
                ),
            );
        }
        let prefixes = self.risky_nginx_prefixes();
        for (i, key) in self.allowed_risky_annotations.iter().enumerate() {
            let setting = format!("allowedRiskyAnnotations[{i}]");
            if let Err(why) = check_key(key) {
                errors.add(setting, format!("{key:?} is not an annotation key: {why}"));
            } else if risky::risk_of(key, &prefixes).is_none() {
                errors.add(
                    setting,
                    format!(
                        "{key:?} is not an annotation this policy rejects, so listing it changes \
                         nothing; check the spelling against the README's table of risky keys"
                    ),
                );
            }
        }
        for (i, name) in self.allowed_nginx_variables.iter().enumerate() {
            let bare = name.strip_prefix('$').unwrap_or(name);
            if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                errors.add(
                    format!("allowedNginxVariables[{i}]"),
                    format!(
                        "{name:?} is not an nginx variable name (letters, digits and '_', such \
                         as request_uri)"
                    ),
                );
            }
        }
        let lists = [
            (
                "traefikAuthMiddlewares",
                &self.traefik_auth_middlewares,
                true,
            ),
            ("traefikWAFMiddlewares", &self.traefik_waf_middlewares, true),
            ("kongAuthPlugins", &self.kong_auth_plugins, false),
            ("kongWAFPlugins", &self.kong_waf_plugins, false),
        ];
        for (setting, names, middleware) in lists {
            for (i, name) in names.iter().enumerate() {
                if let Err(why) = check_list_name(name, middleware) {
                    errors.add(format!("{setting}[{i}]"), why);
                }
            }
        }
        for (i, host) in self.public_hosts.iter().enumerate() {
            let domain = host.strip_prefix("*.").unwrap_or(host);
            if let Err(why) = check_domain(domain) {
                errors.add(
                    format!("publicHosts[{i}]"),
                    format!(
                        "{host:?} is not a host name (a DNS name, or *. and a DNS name): {why}"
                    ),
                );
            }
        }
        self.validate_source_ranges(errors);
        self.public_namespaces.validate("publicNamespaces", errors);
        self.exempt_namespaces.validate("exemptNamespaces", errors);
    }
}

impl Settings {
    fn validate_source_ranges(&self, errors: &mut SettingsErrors) {
        let mut nets = Vec::new();
        for (i, range) in self.allowed_source_ranges.iter().enumerate() {
            match parse_ip_or_cidr(range) {
                Ok(net) => nets.push(net),
                Err(why) => errors.add(
                    format!("allowedSourceRanges[{i}]"),
                    format!("{why}; use CIDR blocks such as 10.0.0.0/8 or 2001:db8::/32"),
                ),
            }
        }
        if nets.is_empty() {
            return;
        }
        // A list that admits every client of a family restricts nothing for it.
        for (family, all) in [("IPv4", any_v4()), ("IPv6", any_v6())] {
            if first_uncovered(&all, &nets).is_none() {
                errors.add(
                    "allowedSourceRanges",
                    format!(
                        "covers every {family} address ({all}), so it restricts nothing; list \
                         only the networks clients may come from"
                    ),
                );
                return;
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
        assert_eq!(s.nginx_prefix(), "nginx.ingress.kubernetes.io/");
        assert_eq!(s.risky_nginx_prefixes().len(), 1);
        assert!(!s.require_auth && !s.require_waf);
        let custom: Settings = parse_settings(br#"{"annotationPrefix": "custom.io/"}"#).unwrap();
        assert_eq!(
            custom.risky_nginx_prefixes(),
            ["custom.io/", "nginx.ingress.kubernetes.io/"]
        );
        let vars: Settings =
            parse_settings(br#"{"allowedNginxVariables": ["$host", "request_uri"]}"#).unwrap();
        assert!(vars.variable_allowed("host") && vars.variable_allowed("request_uri"));
        assert!(!vars.variable_allowed("http_host"));
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/server-snippet", "nginx.ingress.kubernetes.io/auth-url", "nginx.org/location-snippets", "haproxy.org/backend-config-snippet", "haproxy-ingress.github.io/config-backend"]}"#,
                None,
            ),
            (
                r#"{"annotationPrefix": "custom.io", "allowedRiskyAnnotations": ["custom.io/configuration-snippet"]}"#,
                None,
            ),
            (
                r#"{"requireAuth": true, "traefikAuthMiddlewares": ["auth-sso@kubernetescrd"], "kongAuthPlugins": ["oidc"], "publicHosts": ["www.example.com", "*.public.example.com"], "publicNamespaces": ["web"]}"#,
                None,
            ),
            (
                r#"{"requireWAF": true, "traefikWAFMiddlewares": ["waf-coraza@kubernetescrd"], "kongWAFPlugins": ["waf"]}"#,
                None,
            ),
            (
                r#"{"allowedSourceRanges": ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]}"#,
                None,
            ),
            (
                r#"{"controllers": {"internal": "nginx-inc"}, "unknownClass": "accept"}"#,
                None,
            ),
            (
                r#"{"requireWaf": true}"#,
                Some("unknown field `requireWaf`"),
            ),
            (
                r#"{"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/server-snipet"]}"#,
                Some(
                    "allowedRiskyAnnotations[0]: \"nginx.ingress.kubernetes.io/server-snipet\" is not an annotation this policy rejects",
                ),
            ),
            (
                r#"{"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/a b"]}"#,
                Some(
                    "allowedRiskyAnnotations[0]: \"nginx.ingress.kubernetes.io/a b\" is not an annotation key",
                ),
            ),
            (
                r#"{"annotationPrefix": "Custom.io"}"#,
                Some("annotationPrefix: \"Custom.io\" is not an annotation prefix"),
            ),
            (r#"{"annotationPrefix": ""}"#, Some("annotationPrefix")),
            (
                r#"{"allowedNginxVariables": ["http-host"]}"#,
                Some("allowedNginxVariables[0]"),
            ),
            (
                r#"{"traefikAuthMiddlewares": ["auth"]}"#,
                Some("traefikAuthMiddlewares[0]: \"auth\" names no provider"),
            ),
            (
                r#"{"kongWAFPlugins": ["a, b"]}"#,
                Some("kongWAFPlugins[0]: \"a, b\" holds a comma"),
            ),
            (
                r#"{"publicHosts": ["*.*.example.com"]}"#,
                Some("publicHosts[0]"),
            ),
            (r#"{"publicHosts": [""]}"#, Some("publicHosts[0]")),
            (
                r#"{"allowedSourceRanges": ["10.0.0.0/33"]}"#,
                Some("allowedSourceRanges[0]: \"10.0.0.0/33\" is not a valid CIDR block"),
            ),
            (
                r#"{"allowedSourceRanges": ["0.0.0.0/0"]}"#,
                Some("allowedSourceRanges: covers every IPv4 address"),
            ),
            (
                r#"{"allowedSourceRanges": ["0.0.0.0/1", "128.0.0.0/1"]}"#,
                Some("covers every IPv4 address"),
            ),
            (
                r#"{"allowedSourceRanges": ["::/0"]}"#,
                Some("restricts nothing"),
            ),
            (
                r#"{"allowedSourceRanges": ["10.0.0.0/8", "::/1", "8000::/1"]}"#,
                Some("restricts nothing"),
            ),
            (
                r#"{"controllers": {"nginx": "nginx-plus"}}"#,
                Some("controllers.nginx: unknown variant `nginx-plus`"),
            ),
            (
                r#"{"unknownClass": "warn"}"#,
                Some("unknownClass: unknown variant `warn`"),
            ),
            (
                r#"{"requireAuth": "yes"}"#,
                Some("requireAuth: invalid type"),
            ),
            (
                r#"{"publicNamespaces": ["Web"]}"#,
                Some("publicNamespaces[0]"),
            ),
            (
                r#"{"exemptNamespaces": ["kube system"]}"#,
                Some("exemptNamespaces[0]"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
