//! DNS names a Service may alias: `spec.externalName` of an ExternalName Service, and the
//! addresses of an FQDN EndpointSlice.
//!
//! The API server only checks that the name (less one trailing dot) is a DNS-1123 subdomain
//! (`ValidateService`), so an IP literal (`169.254.169.254` is a valid subdomain), `localhost`
//! and other namespaces' cluster names all pass. CoreDNS answers for an ExternalName with a
//! CNAME to the name; ingress controllers and meshes that resolve it themselves, with the pod's
//! search path, then send the Service's traffic there.

use netsec_shared::Findings;
use netsec_shared::host::within_suffix;

use crate::address::inet_aton;
use netsec_shared::net::{canonical, parse_ip_sloppy};

/// Names that resolve to the node's own loopback: RFC 6761 `localhost` and its subdomains, and
/// the loopback aliases of distributions' `/etc/hosts`.
const LOOPBACK_NAMES: &[&str] = &[
    "localhost",
    "localhost.localdomain",
    "ip6-localhost",
    "ip6-loopback",
];

/// Namespaces every cluster has: `<service>.<namespace>` reaches them through the search path,
/// and none of them is a public top-level domain.
const WELL_KNOWN_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// What the rules need to judge a name.
pub struct NameRules<'s> {
    pub namespace: &'s str,
    pub cluster_domain: &'s str,
    pub denied: &'s [&'s str],
}

impl NameRules<'_> {
    /// Every finding on `name`, written at `path`.
    pub fn check(&self, findings: &mut Findings, path: &str, name: &str) {
        let clean = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if clean.is_empty() {
            findings.violation(path, "is empty; name the DNS host the Service stands for");
            return;
        }
        let shown = format!("{name:?}");
        if LOOPBACK_NAMES.contains(&clean.as_str()) || within_suffix(&clean, "localhost") {
            findings.violation(
                path,
                format!(
                    "{shown} resolves to the loopback address of whichever pod or node looks it \
                     up, so the Service would reach that node's own ports; name a host outside \
                     the node"
                ),
            );
        }
        if let Some(meaning) = ip_literal(&clean) {
            findings.violation(
                path,
                format!(
                    "{shown} is an IP address literal ({meaning}), not a host name; an \
                     ExternalName must name a DNS host, and a fixed address belongs in a \
                     Service without a selector and an EndpointSlice, whose addresses this \
                     policy checks"
                ),
            );
        }
        if let Some(other) = self.other_namespace(&clean) {
            findings.violation(
                path,
                format!(
                    "{shown} is a name of namespace {other:?} in the cluster domain, so this \
                     Service would carry traffic into another namespace past its network \
                     policies (CVE-2021-25740); point only at Services of namespace {:?}, or \
                     have {other:?} publish the Service itself",
                    self.namespace
                ),
            );
        }
        if let Some(pattern) = self.denied.iter().find(|p| pattern_matches(p, &clean)) {
            findings.violation(
                path,
                format!(
                    "{shown} matches {pattern:?} of deniedExternalNames (cloud metadata \
                     services and names that resolve to any chosen address); name another host"
                ),
            );
        }
    }

    /// The namespace a cluster-domain name belongs to, when it is not ours:
    /// `<service>.<namespace>.svc[.<cluster domain>]` and the pod names
    /// `<ip>.<namespace>.pod.<cluster domain>`, with any labels before them (a headless
    /// Service's pods), and `<service>.<well-known namespace>` through the search path.
    fn other_namespace<'n>(&self, name: &'n str) -> Option<&'n str> {
        let in_domain = if name == self.cluster_domain {
            Some("")
        } else {
            name.strip_suffix(self.cluster_domain)
                .and_then(|head| head.strip_suffix('.'))
        };
        let namespace = match in_domain {
            Some(head) => head
                .strip_suffix(".svc")
                .or_else(|| head.strip_suffix(".pod"))
                .and_then(|rest| rest.rsplit('.').next()),
            None => name.strip_suffix(".svc").and_then(|rest| {
                let mut labels = rest.rsplit('.');
                let namespace = labels.next()?;
                // `<service>.<namespace>.svc`: a bare `<namespace>.svc` is no Service.
                labels.next().map(|_| namespace)
            }),
        };
        let namespace = namespace.or_else(|| {
            let (service, namespace) = name.split_once('.')?;
            (!service.is_empty()
                && !namespace.contains('.')
                && WELL_KNOWN_NAMESPACES.contains(&namespace))
            .then_some(namespace)
        })?;
        (!namespace.is_empty() && namespace != self.namespace).then_some(namespace)
    }
}

/// A `name` or `*.domain` pattern (any depth below the domain) matches `name`.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(domain) => name != domain && within_suffix(name, domain),
        None => name == pattern.strip_suffix('.').unwrap_or(pattern),
    }
}

/// What an IP-literal name means, to Kubernetes' parser and to C resolvers, when either reads it
/// as an address.
fn ip_literal(name: &str) -> Option<String> {
    let sloppy = parse_ip_sloppy(name).map(canonical);
    let aton = inet_aton(name);
    match (sloppy, aton) {
        (Some(a), Some(b)) if a == std::net::IpAddr::V4(b) => Some(format!("the address {a}")),
        (Some(a), Some(b)) => Some(format!(
            "the address {a} to Kubernetes and Go, {b} to C libraries"
        )),
        (Some(a), None) => Some(format!("the address {a}")),
        (None, Some(b)) => Some(format!("the address {b} to C libraries")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(name: &str) -> Vec<String> {
        let rules = NameRules {
            namespace: "team-a",
            cluster_domain: "cluster.local",
            denied: &["metadata.google.internal", "metadata", "*.nip.io"],
        };
        let mut f = Findings::new();
        rules.check(&mut f, "spec.externalName", name);
        match f.into_verdict().message() {
            Some(m) => m.lines().map(String::from).collect(),
            None => Vec::new(),
        }
    }

    #[test]
    fn names_table() {
        let cases: &[(&str, &str)] = &[
            ("db.example.com", ""),
            ("db.example.com.", ""),
            ("localhost", "resolves to the loopback address"),
            ("LOCALHOST.", "resolves to the loopback address"),
            ("app.localhost", "resolves to the loopback address"),
            ("ip6-localhost", "resolves to the loopback address"),
            (
                "169.254.169.254",
                "is an IP address literal (the address 169.254.169.254)",
            ),
            (
                "010.0.0.1",
                "(the address 10.0.0.1 to Kubernetes and Go, 8.0.0.1 to C libraries)",
            ),
            ("2852039166", "(the address 169.254.169.254 to C libraries)"),
            (
                "0xa9.0xfe.0xa9.0xfe",
                "the address 169.254.169.254 to C libraries",
            ),
            (
                "kubernetes.default.svc.cluster.local",
                "is a name of namespace \"default\"",
            ),
            (
                "kubernetes.default.svc",
                "is a name of namespace \"default\"",
            ),
            ("kubernetes.default", "is a name of namespace \"default\""),
            (
                "coredns.kube-system.svc.cluster.local.",
                "namespace \"kube-system\"",
            ),
            (
                "pod-0.db.payments.svc.cluster.local",
                "namespace \"payments\"",
            ),
            (
                "10-0-0-1.payments.pod.cluster.local",
                "namespace \"payments\"",
            ),
            ("web.team-a.svc.cluster.local", ""),
            ("web.team-a", ""),
            ("cluster.local", ""),
            ("svc.cluster.local", ""),
            ("example.svc", ""),
            ("metadata", "matches \"metadata\" of deniedExternalNames"),
            (
                "metadata.google.internal.",
                "matches \"metadata.google.internal\"",
            ),
            ("169.254.169.254.nip.io", "matches \"*.nip.io\""),
            ("nip.io", ""),
            ("metadata.example.com", ""),
        ];
        for (name, want) in cases {
            let got = findings(name);
            if want.is_empty() {
                assert!(got.is_empty(), "{name}: {got:?}");
            } else {
                assert!(got.iter().any(|m| m.contains(want)), "{name}: {got:?}");
            }
        }
    }

    #[test]
    fn other_cluster_domains() {
        let rules = NameRules {
            namespace: "a",
            cluster_domain: "corp.internal",
            denied: &[],
        };
        let mut f = Findings::new();
        rules.check(&mut f, "p", "x.b.svc.corp.internal");
        rules.check(&mut f, "q", "x.a.svc.corp.internal");
        rules.check(&mut f, "r", "x.b.svc.cluster.local");
        let m = f.into_verdict().message().unwrap();
        let paths: Vec<&str> = m.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(paths, ["p"], "{m}");
        assert!(
            m.contains("p \"x.b.svc.corp.internal\" is a name of namespace \"b\""),
            "{m}"
        );
    }
}
