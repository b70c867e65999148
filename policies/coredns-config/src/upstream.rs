//! `forward` and `grpc` targets: where queries go, and whether an allow-list admits them.

use std::net::IpAddr;

use netsec_shared::net::{IpNet, contains, parse_ip_or_cidr};

use crate::zone::has_scheme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Dns,
    Tls,
    Https,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// A resolv.conf-style file whose nameservers become the upstreams.
    File(&'a str),
    Ip(IpAddr),
    /// A name (or anything that is not an address), lower-cased; it cannot be matched by
    /// address.
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream<'a> {
    pub scheme: Scheme,
    pub host: Host<'a>,
    /// The per-endpoint TLS server name of `tls://IP%NAME`, lower-cased.
    pub server_name: Option<String>,
}

/// The schemes `parse.Transport` knows, as written (it knows no other spelling).
const TRANSPORTS: [&str; 7] = ["dns", "tls", "quic", "grpc", "https", "https3", "unix"];

/// The scheme `parse.Transport` would take off `text`, if any: it compares prefixes, so no
/// search for `://` is needed.
pub fn transport_of(text: &str) -> Option<&'static str> {
    TRANSPORTS
        .into_iter()
        .find(|t| text.strip_prefix(t).is_some_and(|r| r.starts_with("://")))
}

/// `TLS://1.1.1.1`: a scheme `parse.Transport` knows only in lower case, so it takes none.
pub fn capital_scheme(text: &str) -> bool {
    TRANSPORTS.iter().any(|t| {
        text.get(..t.len())
            .is_some_and(|scheme| scheme != *t && scheme.eq_ignore_ascii_case(t))
            && text[t.len()..].starts_with("://")
    })
}

/// A `forward` or `grpc` target as CoreDNS's `parse.HostPortOrFile` reads it: the scheme comes
/// off first (`parse.Transport`, which knows lower-case schemes only: `TLS://1.1.1.1` is no
/// address and no file, and CoreDNS refuses it), and what is left is an address or a file.
/// Brackets, ports and `%` hold no letters, so the text is split as written and only names are
/// lower-cased.
pub fn parse_upstream(text: &str) -> Upstream<'_> {
    let after = |t: &str| &text[t.len() + "://".len()..];
    let (scheme, rest) = match transport_of(text) {
        Some(t @ "dns") => (Scheme::Dns, after(t)),
        Some(t @ "tls") => (Scheme::Tls, after(t)),
        Some(t @ "https") => (Scheme::Https, after(t)),
        // quic, grpc, https3 and unix, and schemes `parse.Transport` does not know.
        _ if has_scheme(text) => (Scheme::Other, text),
        _ => (Scheme::Dns, text),
    };
    // `dns:///etc/resolv.conf` names the file /etc/resolv.conf.
    if scheme == Scheme::Dns && rest.starts_with('/') {
        return Upstream {
            scheme,
            host: Host::File(rest),
            server_name: None,
        };
    }
    // DoH names a URL: only its authority says where queries go (forward refuses a path).
    let rest = match scheme {
        Scheme::Https => rest.split('/').next().unwrap_or(rest),
        _ => rest,
    };
    // forward's `splitZone` takes `%NAME` off every upstream; only a tls:// one uses it, as
    // the name its certificate is verified against.
    let (authority, server_name) = match (scheme, rest.split_once('%')) {
        (Scheme::Tls, Some((authority, name))) if !name.is_empty() => {
            (authority, Some(name.to_ascii_lowercase()))
        }
        (Scheme::Https, Some((authority, _))) => (authority, None),
        _ => (rest, None),
    };
    Upstream {
        scheme,
        host: parse_host(authority),
        server_name,
    }
}

/// `IP`, `IP:PORT`, `[IPv6]:PORT`, or a name. Addresses parse in either case of hex digits.
fn parse_host(authority: &str) -> Host<'_> {
    if let Some(inner) = authority.strip_prefix('[') {
        let address = inner.split(']').next().unwrap_or(inner);
        return address
            .parse()
            .map(Host::Ip)
            .unwrap_or_else(|_| Host::Name(authority.to_ascii_lowercase()));
    }
    if let Ok(ip) = authority.parse() {
        return Host::Ip(ip);
    }
    if let Some((host, port)) = authority.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && let Ok(ip) = host.parse()
    {
        return Host::Ip(ip);
    }
    Host::Name(authority.to_ascii_lowercase())
}

/// One entry of `allowedUpstreams`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    File(String),
    Net(IpNet),
}

/// The allow-list; entries that do not parse were refused with the settings.
pub fn allow_list(entries: &[String]) -> Vec<Allowed> {
    entries
        .iter()
        .filter_map(|e| {
            if e.starts_with('/') {
                Some(Allowed::File(e.clone()))
            } else {
                parse_ip_or_cidr(e).ok().map(Allowed::Net)
            }
        })
        .collect()
}

pub fn is_allowed(host: &Host, allowed: &[Allowed]) -> bool {
    allowed.iter().any(|a| match (a, host) {
        (Allowed::File(path), Host::File(file)) => path == file,
        (Allowed::Net(net), Host::Ip(ip)) => contains(net, &IpNet::from(*ip)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let ip = |s: &str| Host::Ip(s.parse().unwrap());
        let cases = [
            (
                "/etc/resolv.conf",
                Scheme::Dns,
                Host::File("/etc/resolv.conf"),
                None,
            ),
            (
                "dns:///etc/resolv.conf",
                Scheme::Dns,
                Host::File("/etc/resolv.conf"),
                None,
            ),
            (
                "DNS:///etc/resolv.conf",
                Scheme::Other,
                Host::Name("dns:///etc/resolv.conf".into()),
                None,
            ),
            ("[2001:DB8::1]:53", Scheme::Dns, ip("2001:db8::1"), None),
            (
                "tls://[2001:DB8::1]:853%DNS.Example.ORG",
                Scheme::Tls,
                ip("2001:db8::1"),
                Some("dns.example.org"),
            ),
            ("8.8.8.8", Scheme::Dns, ip("8.8.8.8"), None),
            ("dns://8.8.8.8:53", Scheme::Dns, ip("8.8.8.8"), None),
            (
                "[2001:4860:4860::8888]:53",
                Scheme::Dns,
                ip("2001:4860:4860::8888"),
                None,
            ),
            (
                "2001:4860:4860::8888",
                Scheme::Dns,
                ip("2001:4860:4860::8888"),
                None,
            ),
            (
                "tls://9.9.9.9%dns.quad9.net",
                Scheme::Tls,
                ip("9.9.9.9"),
                Some("dns.quad9.net"),
            ),
            (
                "TLS://1.1.1.1:853",
                Scheme::Other,
                Host::Name("tls://1.1.1.1:853".into()),
                None,
            ),
            (
                "https://8.8.8.8/dns-query",
                Scheme::Https,
                ip("8.8.8.8"),
                None,
            ),
            (
                "https://dns.google/dns-query",
                Scheme::Https,
                Host::Name("dns.google".into()),
                None,
            ),
            // `%NAME` names nothing for DNS over HTTPS: forward drops it.
            (
                "https://1.1.1.1%cloudflare-dns.com",
                Scheme::Https,
                ip("1.1.1.1"),
                None,
            ),
            (
                "dns.example.org",
                Scheme::Dns,
                Host::Name("dns.example.org".into()),
                None,
            ),
            (
                "{$UPSTREAM}",
                Scheme::Dns,
                Host::Name("{$upstream}".into()),
                None,
            ),
            (
                "quic://1.1.1.1",
                Scheme::Other,
                Host::Name("quic://1.1.1.1".into()),
                None,
            ),
        ];
        for (text, scheme, host, name) in cases {
            let u = parse_upstream(text);
            assert_eq!(u.scheme, scheme, "{text}");
            assert_eq!(u.host, host, "{text}");
            assert_eq!(u.server_name.as_deref(), name, "{text}");
        }
    }

    #[test]
    fn transports_as_parse_transport_reads_them() {
        assert_eq!(transport_of("https://8.8.8.8/dns-query"), Some("https"));
        assert_eq!(transport_of("https3://8.8.8.8"), Some("https3"));
        assert_eq!(transport_of("grpc://10.0.0.53"), Some("grpc"));
        assert_eq!(transport_of("tls://1.1.1.1%one.one.one.one"), Some("tls"));
        for none in [
            "8.8.8.8",
            "/etc/resolv.conf",
            "HTTPS://8.8.8.8",
            "foo://x",
            "httpsx://x",
            "dns:/x",
            // Only a prefix is a scheme.
            "10.0.0.1/tls://x",
        ] {
            assert_eq!(transport_of(none), None, "{none}");
        }
        assert!(capital_scheme("TLS://1.1.1.1") && capital_scheme("Https://8.8.8.8"));
        assert!(!capital_scheme("tls://1.1.1.1") && !capital_scheme("FOO://x"));
        assert!(!capital_scheme("8.8.8.8"));
        assert!(capital_scheme("HTTPS3://8.8.8.8") && !capital_scheme("HTTPSX://8.8.8.8"));
        assert!(!capital_scheme("Tlé://x") && !capital_scheme("x/TLS://1.1.1.1"));
    }

    #[test]
    fn allow_list_matching() {
        let allowed = allow_list(&[
            "/etc/resolv.conf".into(),
            "10.0.0.0/8".into(),
            "1.1.1.1".into(),
        ]);
        let host = |s: &'static str| parse_upstream(s).host;
        assert!(is_allowed(&host("/etc/resolv.conf"), &allowed));
        assert!(is_allowed(&host("dns:///etc/resolv.conf"), &allowed));
        assert!(!is_allowed(&host("/tmp/resolv.conf"), &allowed));
        assert!(is_allowed(&host("10.1.2.3:53"), &allowed));
        assert!(is_allowed(&host("tls://1.1.1.1%one.one.one.one"), &allowed));
        assert!(is_allowed(&host("[::ffff:10.0.0.1]:53"), &allowed));
        assert!(!is_allowed(&host("1.0.0.1"), &allowed));
        assert!(!is_allowed(&host("one.one.one.one"), &allowed));
    }
}
