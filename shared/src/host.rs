//! DNS host names: normalisation, certificate wildcard matching (RFC 6125, one label) and domain
//! suffixes, and the host rules policies apply to routed names.

use crate::verdict::Findings;

/// Lower-case ASCII with one trailing dot removed: how HTTP hosts and certificate names compare.
pub fn normalize(host: &str) -> String {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.to_ascii_lowercase()
}

/// True when `name` is a wildcard name of the form `*.rest`.
pub fn is_wildcard(name: &str) -> bool {
    name.starts_with("*.")
}

/// Does a certificate (or TLS entry) for `cert_name` serve requests for `host`?
///
/// Equal names match (case-insensitively, a trailing dot ignored). A certificate wildcard
/// `*.example.com` covers exactly one more label: `a.example.com`, not `a.b.example.com` and not
/// `example.com`. A wildcard host (`*.example.com` in an Ingress rule) is covered only by the same
/// wildcard, since it stands for every one-label subdomain. A `*` anywhere but as the whole
/// left-most label is no wildcard (RFC 6125 6.4.3, and what browsers accept).
pub fn covers(cert_name: &str, host: &str) -> bool {
    let cert = normalize(cert_name);
    let host = normalize(host);
    if cert.is_empty() || host.is_empty() {
        return false;
    }
    if cert == host {
        return true;
    }
    match cert.strip_prefix("*.") {
        Some(parent) if !parent.is_empty() && !parent.contains('*') => match host.split_once('.') {
            Some((first, rest)) => !first.is_empty() && first != "*" && rest == parent,
            None => false,
        },
        _ => false,
    }
}

/// The names of a set of certificates (an Ingress's `spec.tls[].hosts`), indexed once so that
/// asking whether any covers a host costs a lookup, not a pass over every name: an Ingress with
/// a thousand hosts would otherwise cost a million comparisons.
#[derive(Debug, Default)]
pub struct CertificateNames {
    names: std::collections::BTreeSet<String>,
}

impl CertificateNames {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        CertificateNames {
            names: names
                .into_iter()
                .map(normalize)
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    /// Does any of the names cover `host`, as [`covers`] decides?
    pub fn cover(&self, host: &str) -> bool {
        let host = normalize(host);
        if host.is_empty() {
            return false;
        }
        if self.names.contains(&host) {
            return true;
        }
        // The only wildcard that covers `first.rest` is `*.rest`.
        match host.split_once('.') {
            Some((first, rest)) if !first.is_empty() && first != "*" && !rest.is_empty() => {
                !rest.contains('*') && self.names.contains(&format!("*.{rest}"))
            }
            _ => false,
        }
    }
}

/// Is `host` the domain `suffix` or one of its subdomains? `example.com` admits
/// `example.com`, `a.example.com` and `*.example.com`, not `badexample.com`.
pub fn within_suffix(host: &str, suffix: &str) -> bool {
    let host = normalize(host);
    let suffix = normalize(suffix);
    if suffix.is_empty() {
        return false;
    }
    host == suffix
        || host
            .strip_suffix(suffix.as_str())
            .is_some_and(|head| head.ends_with('.') && head.len() > 1)
}

/// Checks a DNS domain name (RFC 1123 labels, at most 253 characters), with no wildcard.
pub fn check_domain(name: &str) -> Result<(), String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > 253 {
        return Err("it is longer than 253 characters".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label".into());
        }
        if label.contains('*') {
            return Err("a wildcard is not allowed here".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("{c:?} is not allowed in a DNS name"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "label {label:?} must start and end with a letter or digit"
            ));
        }
    }
    Ok(())
}

/// The host rules every policy applies to the names it routes (Ingress rule hosts, Gateway
/// listener hostnames, route hostnames): no wildcard unless allowed, and inside the allowed
/// domains when some are listed. One place, so that every kind of object reads them alike.
#[derive(Clone, Copy, Debug)]
pub struct HostRules<'s> {
    pub allow_wildcards: bool,
    /// Empty: any domain.
    pub suffixes: &'s [String],
}

impl HostRules<'_> {
    /// Both rules for a name that routes traffic.
    pub fn check(&self, findings: &mut Findings, path: &str, host: &str) {
        self.check_wildcard(findings, path, host);
        self.check_suffix(findings, path, host);
    }

    /// A wildcard routes every subdomain, so it takes names other teams own.
    pub fn check_wildcard(&self, findings: &mut Findings, path: &str, host: &str) {
        if is_wildcard(host) && !self.allow_wildcards {
            findings.violation(
                path,
                format!(
                    "{host:?} is a wildcard: it routes every subdomain, including ones other \
                     teams own; list the hosts (or allowWildcardHosts: true)"
                ),
            );
        }
    }

    /// The name lies inside one of the allowed domains (for certificate names too).
    pub fn check_suffix(&self, findings: &mut Findings, path: &str, host: &str) {
        let suffixes = self.suffixes;
        if !suffixes.is_empty() && !suffixes.iter().any(|s| within_suffix(host, s)) {
            findings.violation(
                path,
                format!(
                    "{host:?} is outside the allowed domains ({}); use a host in one of them",
                    suffixes.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_table() {
        let cases = [
            ("example.com", "example.com", true),
            ("Example.COM", "example.com", true),
            ("example.com.", "EXAMPLE.com", true),
            ("example.com", "example.com.", true),
            ("example.com", "www.example.com", false),
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "A.Example.Com.", true),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "example.com", false),
            ("*.example.com", ".example.com", false),
            ("*.example.com", "*.example.com", true),
            ("*.example.com", "*.a.example.com", false),
            ("*.a.example.com", "*.example.com", false),
            ("*.example.com", "a.example.org", false),
            ("*.example.com", "aexample.com", false),
            ("a.example.com", "*.example.com", false),
            ("f*.example.com", "foo.example.com", false),
            ("*", "example", false),
            ("*.", "a.", false),
            ("*.*.example.com", "a.b.example.com", false),
            ("", "", false),
            ("", "a", false),
            ("xn--bcher-kva.example", "XN--BCHER-KVA.example", true),
        ];
        for (cert, host, want) in cases {
            assert_eq!(covers(cert, host), want, "{cert} covers {host}");
        }
    }

    #[test]
    fn suffix_table() {
        let cases = [
            ("example.com", "example.com", true),
            ("a.example.com", "example.com", true),
            ("A.B.Example.com.", "example.com", true),
            ("*.example.com", "example.com", true),
            ("badexample.com", "example.com", false),
            ("example.com.evil.io", "example.com", false),
            (".example.com", "example.com", false),
            ("com", "example.com", false),
            ("a.example.com", "", false),
        ];
        for (host, suffix, want) in cases {
            assert_eq!(within_suffix(host, suffix), want, "{host} within {suffix}");
        }
    }

    #[test]
    fn domain_table() {
        let ok = [
            "example.com",
            "a-b.example.com",
            "example.com.",
            "localhost",
            "1.2.3.4",
        ];
        for name in ok {
            assert!(check_domain(name).is_ok(), "{name}");
        }
        let bad = [
            ("", "empty"),
            (".", "empty"),
            ("a..b", "empty label"),
            ("*.example.com", "wildcard"),
            ("exa mple.com", "not allowed"),
            ("-a.com", "start and end"),
            ("a-.com", "start and end"),
            ("under_score.com", "not allowed"),
        ];
        for (name, why) in bad {
            let err = check_domain(name).unwrap_err();
            assert!(err.contains(why), "{name}: {err}");
        }
        assert!(check_domain(&"a".repeat(64)).unwrap_err().contains("63"));
        assert!(
            check_domain(&["a"; 130].join("."))
                .unwrap_err()
                .contains("253")
        );
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("WWW.Example.com."), "www.example.com");
        assert_eq!(normalize("a.."), "a.");
        assert!(is_wildcard("*.a"));
        assert!(!is_wildcard("a.*"));
    }

    #[test]
    fn host_rules() {
        let suffixes = vec!["example.com".to_string()];
        let run = |allow_wildcards, suffixes: &[String], host| {
            let mut findings = Findings::new();
            HostRules {
                allow_wildcards,
                suffixes,
            }
            .check(&mut findings, "h", host);
            findings.into_verdict().message().unwrap_or_default()
        };
        assert_eq!(run(false, &suffixes, "a.example.com"), "");
        assert_eq!(run(false, &[], "a.example.org"), "");
        assert!(run(false, &suffixes, "*.example.com").contains("is a wildcard"));
        assert_eq!(run(true, &suffixes, "*.example.com"), "");
        let outside = run(true, &suffixes, "a.badexample.com");
        assert!(
            outside
                .starts_with("h \"a.badexample.com\" is outside the allowed domains (example.com)"),
            "{outside}"
        );
        let both = run(false, &suffixes, "*.example.org");
        assert!(
            both.contains("wildcard") && both.contains("outside"),
            "{both}"
        );
    }

    #[test]
    fn certificate_names_cover_as_covers_does() {
        let certs = [
            "shop.example.com",
            "*.example.org",
            "Mixed.Example.NET.",
            "*",
            "*.",
            "a.*.example.io",
            "",
        ];
        let names = CertificateNames::new(certs);
        let hosts = [
            "shop.example.com",
            "SHOP.example.com.",
            "a.example.org",
            "a.b.example.org",
            "example.org",
            "*.example.org",
            "mixed.example.net",
            "x",
            "",
            "*",
            "b.*.example.io",
            "a.*.example.io",
            ".example.org",
        ];
        for host in hosts {
            let want = certs.iter().any(|c| covers(c, host));
            assert_eq!(names.cover(host), want, "{host}");
        }
    }
}
