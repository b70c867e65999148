//! Settings of `service-exposure`.

use netsec_shared::host::check_domain;
use netsec_shared::net::{IpNet, any_v4, covered_family, normalize, parse_ip_or_cidr};
use netsec_shared::request::null_as_empty;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::Deserialize;

use crate::internal::provider_ids;

/// The settings, camelCase, unknown fields refused. A null list keeps its default; for the
/// lists whose default is "every namespace" or "any value", null and absent mean that default
/// and an empty list means none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// CIDR blocks `spec.externalIPs` may use (CVE-2020-8554).
    #[serde(rename = "allowedExternalIPs", deserialize_with = "null_as_empty")]
    pub allowed_external_ips: Vec<String>,
    /// Namespaces that may have `type: LoadBalancer` Services; `None` is every namespace.
    pub load_balancer_namespaces: Option<ExemptNamespaces>,
    /// Load balancers reachable from every client are accepted (with advice).
    pub allow_public_load_balancers: bool,
    /// CIDR blocks a load balancer's source ranges may admit.
    #[serde(deserialize_with = "null_as_empty")]
    pub allowed_source_ranges: Vec<String>,
    /// The providers whose internal-load-balancer annotations count; `None` is all of them.
    pub load_balancer_providers: Option<Vec<String>>,
    /// Load-balancer classes whose load balancers are private by construction.
    #[serde(deserialize_with = "null_as_empty")]
    pub internal_load_balancer_classes: Vec<String>,
    /// `spec.loadBalancerClass` values allowed when set; `None` is any.
    pub allowed_load_balancer_classes: Option<Vec<String>>,
    /// CIDR blocks `spec.loadBalancerIP` (and MetalLB's address annotations) may request;
    /// `None` is any.
    #[serde(rename = "allowedLoadBalancerIPs")]
    pub allowed_load_balancer_ips: Option<Vec<String>>,
    /// Namespaces whose Services may open node ports; `None` is every namespace.
    pub node_port_namespaces: Option<ExemptNamespaces>,
    /// `first-last` (or one port): where node ports may lie.
    pub node_port_range: Option<String>,
    /// The cluster's DNS domain, for ExternalNames pointing into other namespaces.
    pub cluster_domain: Option<String>,
    /// ExternalName patterns refused (`name` or `*.domain`); `None` is the defaults.
    pub denied_external_names: Option<Vec<String>>,
    /// CIDR blocks user-written endpoints may not point into; `None` is the defaults.
    #[serde(rename = "deniedEndpointCIDRs")]
    pub denied_endpoint_cidrs: Option<Vec<String>>,
    /// The API server's addresses and the nodes' networks, refused in endpoints too.
    #[serde(rename = "apiServerAndNodeCIDRs", deserialize_with = "null_as_empty")]
    pub api_server_and_node_cidrs: Vec<String>,
    /// Usernames of the controllers whose Endpoints and EndpointSlices are not judged; `None`
    /// is the defaults.
    pub endpoint_controllers: Option<Vec<String>>,
    #[serde(deserialize_with = "null_as_empty")]
    pub exempt_namespaces: ExemptNamespaces,
}

/// The API server's default `--service-node-port-range`.
pub const DEFAULT_NODE_PORT_RANGE: (u16, u16) = (30000, 32767);
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

/// Names that reach a cloud's instance metadata service, and wildcard DNS services that map a
/// name to any address (`169.254.169.254.nip.io`).
pub const DEFAULT_DENIED_EXTERNAL_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
    "*.nip.io",
    "*.sslip.io",
];

/// Addresses no user-written endpoint may have, each with why.
pub const DEFAULT_DENIED_ENDPOINT_CIDRS: &[(&str, &str)] = &[
    (
        "0.0.0.0/8",
        "\"this network\": 0.0.0.0 reaches the node itself",
    ),
    ("127.0.0.0/8", "loopback: the node itself"),
    (
        "169.254.0.0/16",
        "link-local: the cloud metadata service 169.254.169.254",
    ),
    ("100.100.100.200/32", "the Alibaba Cloud metadata service"),
    ("168.63.129.16/32", "the Azure WireServer"),
    ("192.0.0.192/32", "the Oracle Cloud metadata service"),
    ("::/128", "unspecified: the node itself"),
    ("::1/128", "loopback: the node itself"),
    ("fe80::/10", "link-local"),
    ("fd00:ec2::254/128", "the AWS metadata service (IPv6)"),
    (
        "fd20:ce::254/128",
        "the Google Cloud metadata service (IPv6)",
    ),
];

/// The users the endpoint controllers of kube-controller-manager write as: one service account
/// each with `--use-service-account-credentials` (the roles of the bootstrap policy,
/// `system:controller:endpoint-controller` ...), or the manager's own user.
pub const DEFAULT_ENDPOINT_CONTROLLERS: &[&str] = &[
    "system:serviceaccount:kube-system:endpoint-controller",
    "system:serviceaccount:kube-system:endpointslice-controller",
    "system:serviceaccount:kube-system:endpointslicemirroring-controller",
    "system:kube-controller-manager",
];

impl Settings {
    /// The parsed lists (validated when the policy loads, so what does not parse here was
    /// already refused). Each is read only by the rule that needs it.
    pub fn allowed_external_ips(&self) -> Vec<IpNet> {
        nets(&self.allowed_external_ips)
    }

    pub fn allowed_source_ranges(&self) -> Vec<IpNet> {
        nets(&self.allowed_source_ranges)
    }

    pub fn allowed_load_balancer_ips(&self) -> Option<Vec<IpNet>> {
        self.allowed_load_balancer_ips.as_deref().map(nets)
    }

    /// The blocks no user-written endpoint may reach, each with why: a listed block that is one
    /// of the defaults keeps the default's reason, so spelling the defaults out changes nothing.
    pub fn denied_endpoints(&self) -> Vec<(IpNet, &'static str)> {
        let defaults = || {
            DEFAULT_DENIED_ENDPOINT_CIDRS
                .iter()
                .filter_map(|(cidr, why)| parse_ip_or_cidr(cidr).ok().map(|n| (n, *why)))
        };
        let mut denied: Vec<(IpNet, &'static str)> = match &self.denied_endpoint_cidrs {
            None => defaults().collect(),
            Some(list) => nets(list)
                .into_iter()
                .map(|n| {
                    let why = defaults()
                        .find(|(d, _)| normalize(d) == normalize(&n))
                        .map_or("listed in deniedEndpointCIDRs", |(_, why)| why);
                    (n, why)
                })
                .collect(),
        };
        denied.extend(
            nets(&self.api_server_and_node_cidrs)
                .into_iter()
                .map(|n| (n, "an API server or node address (apiServerAndNodeCIDRs)")),
        );
        denied
    }

    pub fn node_port_range(&self) -> (u16, u16) {
        self.node_port_range
            .as_deref()
            .and_then(|r| parse_port_range(r).ok())
            .unwrap_or(DEFAULT_NODE_PORT_RANGE)
    }

    /// The cluster domain, lower-case, without a trailing dot.
    pub fn cluster_domain(&self) -> String {
        let domain = self
            .cluster_domain
            .as_deref()
            .unwrap_or(DEFAULT_CLUSTER_DOMAIN);
        domain.trim_end_matches('.').to_ascii_lowercase()
    }

    pub fn denied_external_names(&self) -> Vec<&str> {
        match &self.denied_external_names {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => DEFAULT_DENIED_EXTERNAL_NAMES.to_vec(),
        }
    }

    pub fn is_endpoint_controller(&self, username: &str) -> bool {
        match &self.endpoint_controllers {
            Some(list) => list.iter().any(|u| u == username),
            None => DEFAULT_ENDPOINT_CONTROLLERS.contains(&username),
        }
    }

    pub fn trusts_provider(&self, id: &str) -> bool {
        self.load_balancer_providers
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == id))
    }
}

fn nets(list: &[String]) -> Vec<IpNet> {
    list.iter()
        .filter_map(|c| parse_ip_or_cidr(c).ok())
        .collect()
}

/// `first-last` or a single port, as the API server's `--service-node-port-range` is written.
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{p:?} is not a port number (1-65535)"))
    };
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => {
            let p = port(text)?;
            (p, p)
        }
    };
    if first > last {
        return Err(format!("{first} is above {last}"));
    }
    Ok((first, last))
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        let cidr_lists: [(&str, Option<&[String]>); 5] = [
            ("allowedExternalIPs", Some(&self.allowed_external_ips)),
            ("allowedSourceRanges", Some(&self.allowed_source_ranges)),
            (
                "allowedLoadBalancerIPs",
                self.allowed_load_balancer_ips.as_deref(),
            ),
            ("deniedEndpointCIDRs", self.denied_endpoint_cidrs.as_deref()),
            (
                "apiServerAndNodeCIDRs",
                Some(&self.api_server_and_node_cidrs),
            ),
        ];
        for (setting, list) in cidr_lists {
            for (i, cidr) in list.unwrap_or_default().iter().enumerate() {
                if let Err(why) = parse_ip_or_cidr(cidr) {
                    errors.add(
                        format!("{setting}[{i}]"),
                        format!("{why}; use addresses or CIDR blocks such as 10.0.0.0/8 or 2001:db8::/32"),
                    );
                }
            }
        }
        // A source-range allow-list that admits every client restricts nothing.
        if let Some(all) = covered_family(&self.allowed_source_ranges()) {
            let family = if all == any_v4() { "IPv4" } else { "IPv6" };
            errors.add(
                "allowedSourceRanges",
                format!(
                    "covers every {family} address ({all}), so it restricts nothing; list only \
                     the client networks, or set allowPublicLoadBalancers"
                ),
            );
        }
        if let Some(list) = &self.load_balancer_namespaces {
            list.validate("loadBalancerNamespaces", errors);
        }
        if let Some(list) = &self.node_port_namespaces {
            list.validate("nodePortNamespaces", errors);
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
        for (i, id) in self.load_balancer_providers.iter().flatten().enumerate() {
            if !provider_ids().any(|known| known == id.as_str()) {
                errors.add(
                    format!("loadBalancerProviders[{i}]"),
                    format!(
                        "{id:?} is not a provider the policy knows; use one of {}",
                        provider_ids().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        let classes = [
            (
                "internalLoadBalancerClasses",
                Some(&self.internal_load_balancer_classes),
            ),
            (
                "allowedLoadBalancerClasses",
                self.allowed_load_balancer_classes.as_ref(),
            ),
        ];
        for (setting, list) in classes {
            for (i, class) in list.into_iter().flatten().enumerate() {
                if let Err(why) = check_class(class) {
                    errors.add(format!("{setting}[{i}]"), why);
                }
            }
        }
        if let Some(range) = &self.node_port_range
            && let Err(why) = parse_port_range(range)
        {
            errors.add(
                "nodePortRange",
                format!("{range:?} is not a port range such as 30000-32767: {why}"),
            );
        }
        if let Some(domain) = &self.cluster_domain
            && let Err(why) = check_domain(domain)
        {
            errors.add(
                "clusterDomain",
                format!("{domain:?} is not a DNS domain such as cluster.local: {why}"),
            );
        }
        for (i, pattern) in self.denied_external_names.iter().flatten().enumerate() {
            let domain = pattern.strip_prefix("*.").unwrap_or(pattern);
            let problem = if domain.bytes().any(|b| b.is_ascii_uppercase()) {
                Err("it must be lower-case, as ExternalNames are".to_string())
            } else {
                check_domain(domain)
            };
            if let Err(why) = problem {
                errors.add(
                    format!("deniedExternalNames[{i}]"),
                    format!("{pattern:?} is not a DNS name or *.domain pattern: {why}"),
                );
            }
        }
        for (i, user) in self.endpoint_controllers.iter().flatten().enumerate() {
            if user.trim().is_empty() || user.trim() != user.as_str() {
                errors.add(
                    format!("endpointControllers[{i}]"),
                    format!("{user:?} is not a username (such as system:serviceaccount:kube-system:endpointslice-controller)"),
                );
            }
        }
    }
}

/// A load-balancer class is a label-style key with a domain prefix (`example.com/name`), as the
/// API server requires of `spec.loadBalancerClass`.
fn check_class(class: &str) -> Result<(), String> {
    netsec_shared::selector::check_label_key(class)
        .and_then(|()| {
            if class.contains('/') {
                Ok(())
            } else {
                Err("it needs a domain prefix".to_string())
            }
        })
        .map_err(|why| {
            format!("{class:?} is not a load-balancer class (a prefixed name such as example.com/internal-vip): {why}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;

    #[test]
    fn defaults() {
        let s: Settings = parse_settings(b"{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.node_port_range(), (30000, 32767));
        assert_eq!(s.cluster_domain(), "cluster.local");
        assert!(
            s.denied_external_names()
                .contains(&"metadata.google.internal")
        );
        assert!(
            s.is_endpoint_controller("system:serviceaccount:kube-system:endpointslice-controller")
        );
        assert!(!s.is_endpoint_controller("alice"));
        assert!(s.trusts_provider("aws") && s.trusts_provider("azure"));
        assert_eq!(
            s.denied_endpoints().len(),
            DEFAULT_DENIED_ENDPOINT_CIDRS.len()
        );
        assert!(s.allowed_load_balancer_ips().is_none());
        let nulls: Settings = parse_settings(
            br#"{"deniedExternalNames": null, "loadBalancerNamespaces": null, "allowedSourceRanges": null}"#,
        )
        .unwrap();
        assert_eq!(nulls, Settings::default());
        let custom: Settings = parse_settings(
            br#"{"deniedEndpointCIDRs": ["10.0.0.0/8"], "apiServerAndNodeCIDRs": ["192.168.0.0/24"],
                 "endpointControllers": ["my-controller"], "loadBalancerProviders": ["gcp"],
                 "nodePortRange": "31000-31999", "clusterDomain": "Corp.Example."}"#,
        )
        .unwrap();
        assert_eq!(custom.denied_endpoints().len(), 2);
        let spelt: Settings =
            parse_settings(br#"{"deniedEndpointCIDRs": ["169.254.0.0/16", "10.0.0.0/8"]}"#)
                .unwrap();
        let reasons: Vec<&str> = spelt
            .denied_endpoints()
            .iter()
            .map(|(_, why)| *why)
            .collect();
        assert_eq!(
            reasons,
            [
                "link-local: the cloud metadata service 169.254.169.254",
                "listed in deniedEndpointCIDRs"
            ]
        );
        assert!(custom.is_endpoint_controller("my-controller"));
        assert!(!custom.is_endpoint_controller("system:kube-controller-manager"));
        assert!(custom.trusts_provider("gcp") && !custom.trusts_provider("aws"));
        assert_eq!(custom.node_port_range(), (31000, 31999));
        assert_eq!(custom.cluster_domain(), "corp.example");
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"allowedExternalIPs": ["203.0.113.0/24", "2001:db8::1"], "allowedSourceRanges": ["10.0.0.0/8"],
                    "allowedLoadBalancerIPs": ["192.0.2.0/24"], "loadBalancerNamespaces": ["ingress"],
                    "nodePortNamespaces": [], "allowPublicLoadBalancers": true,
                    "allowedLoadBalancerClasses": ["service.k8s.aws/nlb"], "internalLoadBalancerClasses": ["example.com/private"],
                    "deniedExternalNames": ["metadata", "*.internal.example.com"], "exemptNamespaces": ["kube-system"]}"#,
                None,
            ),
            (r#"{"nodePortRange": "30000"}"#, None),
            (
                r#"{"allowedExternalIps": []}"#,
                Some("unknown field `allowedExternalIps`"),
            ),
            (
                r#"{"allowedExternalIPs": ["203.0.113.0/33"]}"#,
                Some("allowedExternalIPs[0]: \"203.0.113.0/33\" is not a valid CIDR block"),
            ),
            (
                r#"{"deniedEndpointCIDRs": ["169.254.0.0/16", "nope"]}"#,
                Some("deniedEndpointCIDRs[1]: \"nope\" is not an IP address or CIDR block"),
            ),
            (
                r#"{"allowedSourceRanges": ["0.0.0.0/0"]}"#,
                Some("allowedSourceRanges: covers every IPv4 address"),
            ),
            (
                r#"{"allowedSourceRanges": ["::/1", "8000::/1"]}"#,
                Some("restricts nothing"),
            ),
            (
                r#"{"loadBalancerNamespaces": ["Team_A"]}"#,
                Some("loadBalancerNamespaces[0]: \"Team_A\" is not a namespace name"),
            ),
            (
                r#"{"nodePortNamespaces": [""]}"#,
                Some("nodePortNamespaces[0]"),
            ),
            (
                r#"{"exemptNamespaces": ["a b"]}"#,
                Some("exemptNamespaces[0]"),
            ),
            (
                r#"{"loadBalancerProviders": ["amazon"]}"#,
                Some(
                    "loadBalancerProviders[0]: \"amazon\" is not a provider the policy knows; use one of aws, azure, gcp",
                ),
            ),
            (
                r#"{"allowedLoadBalancerClasses": ["nlb"]}"#,
                Some("allowedLoadBalancerClasses[0]: \"nlb\" is not a load-balancer class"),
            ),
            (
                r#"{"internalLoadBalancerClasses": ["a b/c"]}"#,
                Some("internalLoadBalancerClasses[0]"),
            ),
            (
                r#"{"nodePortRange": "32767-30000"}"#,
                Some(
                    "nodePortRange: \"32767-30000\" is not a port range such as 30000-32767: 32767 is above 30000",
                ),
            ),
            (r#"{"nodePortRange": "0-10"}"#, Some("nodePortRange")),
            (r#"{"nodePortRange": "30000-70000"}"#, Some("nodePortRange")),
            (
                r#"{"clusterDomain": "cluster_local"}"#,
                Some("clusterDomain"),
            ),
            (
                r#"{"deniedExternalNames": ["Metadata"]}"#,
                Some(
                    "deniedExternalNames[0]: \"Metadata\" is not a DNS name or *.domain pattern: it must be lower-case",
                ),
            ),
            (
                r#"{"deniedExternalNames": ["*.*.x.io"]}"#,
                Some("deniedExternalNames[0]"),
            ),
            (
                r#"{"endpointControllers": [""]}"#,
                Some("endpointControllers[0]"),
            ),
            (
                r#"{"allowPublicLoadBalancers": "yes"}"#,
                Some("allowPublicLoadBalancers: invalid type"),
            ),
            (
                r#"{"nodePortRange": 30000}"#,
                Some("nodePortRange: invalid type"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("30000-32767"), Ok((30000, 32767)));
        assert_eq!(parse_port_range("80"), Ok((80, 80)));
        assert!(parse_port_range("a-b").is_err());
        assert!(parse_port_range("").is_err());
        assert!(parse_port_range("1-2-3").is_err());
    }
}
