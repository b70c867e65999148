//! Zones and server addresses: `[SCHEME://]ZONE[:PORT]` keys of server blocks, zone arguments
//! of plugins, and the "is this name inside that zone" relation the checks are built on.
//! Names are compared as CoreDNS compares them: lower-case, fully qualified (trailing dot).

use std::net::IpAddr;

use netsec_shared::net::{IpNet, parse_cidr};

/// How a server block is reached (`plugin/pkg/parse.Transport`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    Dns,
    Tls,
    Quic,
    Grpc,
    Https,
    Https3,
}

impl Transport {
    pub fn scheme(self) -> &'static str {
        match self {
            Transport::Dns => "dns",
            Transport::Tls => "tls",
            Transport::Quic => "quic",
            Transport::Grpc => "grpc",
            Transport::Https => "https",
            Transport::Https3 => "https3",
        }
    }

    /// The ports `InspectServerBlocks` gives a key without one.
    fn default_port(self) -> u16 {
        match self {
            Transport::Dns => 53,
            Transport::Tls | Transport::Quic => 853,
            Transport::Grpc | Transport::Https | Transport::Https3 => 443,
        }
    }
}

/// A parsed server block key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub transport: Transport,
    /// Fully qualified, lower-case; a CIDR key stands for one or more reverse zones.
    pub zones: Vec<String>,
    pub port: u16,
}

const SCHEMES: [(&str, Transport); 6] = [
    ("dns://", Transport::Dns),
    ("tls://", Transport::Tls),
    ("quic://", Transport::Quic),
    ("grpc://", Transport::Grpc),
    ("https://", Transport::Https),
    ("https3://", Transport::Https3),
];

/// Parses a server block key as CoreDNS does: the scheme, then a port after the last ':' when
/// it is a number, then the zone (a CIDR block becomes its reverse zones).
pub fn parse_address(key: &str) -> Result<Address, String> {
    // `parse.Transport` knows lower-case schemes only; the zone is lower-cased afterwards.
    let (transport, rest) = match SCHEMES.iter().find(|(s, _)| key.starts_with(s)) {
        Some((scheme, transport)) => (*transport, &key[scheme.len()..]),
        // `parse.Transport` does not know the scheme, so the whole key is taken as a zone
        // name (miekg/dns accepts "foo://example.org"), which no query can ever match.
        None if has_scheme(key) => {
            return Err(format!(
                "{key:?} has a scheme CoreDNS does not know (it serves dns://, tls://, quic://, grpc://, https:// and https3://, in lower case), so CoreDNS would take all of it for a zone name that no query matches"
            ));
        }
        None => (Transport::Dns, key),
    };
    let (host, port) = match rest.rfind(':') {
        Some(colon) if colon + 1 == rest.len() => {
            return Err(format!("{key:?} ends with ':' but names no port"));
        }
        Some(colon) => match rest[colon + 1..].parse::<u16>() {
            Ok(port) => (&rest[..colon], port),
            Err(_) if rest[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                return Err(format!("{key:?} has a port out of range"));
            }
            Err(_) => (rest, transport.default_port()),
        },
        None => (rest, transport.default_port()),
    };
    let zones = normalize_zone(host).map_err(|why| format!("{key:?}: {why}"))?;
    Ok(Address {
        transport,
        zones,
        port,
    })
}

/// Whether `://` occurs in the text: a byte scan, where a substring search would set up a
/// two-way searcher for every server block key and upstream.
pub fn has_scheme(text: &str) -> bool {
    let b = text.as_bytes();
    (2..b.len()).any(|i| b[i] == b'/' && b[i - 1] == b'/' && b[i - 2] == b':')
}

/// A zone as written in a key or a plugin argument: a domain name or a CIDR block.
pub fn normalize_zone(text: &str) -> Result<Vec<String>, String> {
    let mut zones = Vec::new();
    push_zones(text, &mut zones)?;
    Ok(zones)
}

/// [`normalize_zone`] onto the end of `zones`, which is left as it was when `text` is not a
/// zone: a plugin's arguments fill one list, not a list each.
fn push_zones(text: &str, zones: &mut Vec<String>) -> Result<(), String> {
    if text.contains('/') {
        let net = parse_cidr(text).map_err(|_| format!("{text:?} is not a valid CIDR block"))?;
        zones.extend(reverse_zones(&net));
        return Ok(());
    }
    check_name(text)?;
    zones.push(fqdn(text));
    Ok(())
}

/// The zones of plugin arguments; arguments that are not zones are skipped (CoreDNS refuses
/// them, and other checks must not depend on them).
pub fn zones_of(args: &[crate::corefile::Word]) -> Vec<String> {
    let mut zones = Vec::with_capacity(args.len());
    for arg in args {
        // An argument that is not a zone adds nothing.
        let _ = push_zones(&arg.text, &mut zones);
    }
    zones
}

/// `dns.IsDomainName` as `plugin.SplitHostPort` applies it: liberal, it refuses only an empty
/// name, a name over 255 characters, an empty label (a leading dot or two dots in a row) and a
/// label of 64 characters or more. Blanks, quotes and braces are all accepted.
fn check_name(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("the zone is empty".into());
    }
    if text.len() > 255 {
        return Err("the zone is longer than 255 characters".into());
    }
    if text == "." {
        return Ok(());
    }
    let bytes = text.as_bytes();
    let (mut label, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                // `\DDD` or `\X` is one character of the label.
                let ddd = bytes
                    .get(i + 1..i + 4)
                    .is_some_and(|d| d.iter().all(u8::is_ascii_digit));
                i += if ddd { 4 } else { 2 };
                label += 1;
                continue;
            }
            b'.' if label == 0 => return Err(format!("{text:?} has an empty label")),
            b'.' => label = 0,
            _ => label += 1,
        }
        if label > 63 {
            return Err(format!("{text:?} has a label longer than 63 characters"));
        }
        i += 1;
    }
    Ok(())
}

/// Go's `strings.ToLower`, which CoreDNS applies to names, as far as it matters to names that
/// are compared with ASCII zones: ASCII letters, and the Kelvin sign, the one non-ASCII letter
/// that lower-cases to an ASCII one ('k'). Without Unicode's tables, which would weigh more than
/// the policy.
pub fn dns_lower(name: &str) -> String {
    // With room for the dot `fqdn` adds.
    let mut lower = String::with_capacity(name.len() + 1);
    if name.is_ascii() {
        lower.push_str(name);
        lower.make_ascii_lowercase();
    } else {
        lower.extend(name.chars().map(|c| match c {
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        }));
    }
    lower
}

/// Lower-case with a trailing dot.
pub fn fqdn(name: &str) -> String {
    let mut name = dns_lower(name);
    if !name.ends_with('.') {
        name.push('.');
    }
    name
}

/// A zone as messages show it: without the trailing dot, except for the root.
pub fn show(zone: &str) -> &str {
    match zone.strip_suffix('.') {
        Some("") | None => zone,
        Some(name) => name,
    }
}

/// Is `name` the zone `zone` or inside it? Both fully qualified.
pub fn within(name: &str, zone: &str) -> bool {
    zone == "."
        || name == zone
        || (name.len() > zone.len()
            && name.ends_with(zone)
            && name.as_bytes().get(name.len() - zone.len() - 1) == Some(&b'.'))
}

/// Is it a reverse-lookup zone (`in-addr.arpa.`, `ip6.arpa.` or below)?
pub fn is_reverse(zone: &str) -> bool {
    within(zone, "in-addr.arpa.") || within(zone, "ip6.arpa.")
}

/// The reverse zones that together hold the PTR names of a block: one zone when the prefix
/// ends on an octet (IPv4) or nibble (IPv6) boundary, else one per value of the partial digit.
pub fn reverse_zones(net: &IpNet) -> Vec<String> {
    let (digits, bits_per_digit, suffix): (Vec<u8>, u8, &str) = match net.network() {
        IpAddr::V4(v4) => (v4.octets().to_vec(), 8, "in-addr.arpa."),
        IpAddr::V6(v6) => (
            v6.octets()
                .iter()
                .flat_map(|b| [b >> 4, b & 0x0f])
                .collect(),
            4,
            "ip6.arpa.",
        ),
    };
    let prefix = net.prefix_len();
    let whole = usize::from(prefix / bits_per_digit);
    let spare = prefix % bits_per_digit;
    let label = |d: u8| {
        if bits_per_digit == 8 {
            d.to_string()
        } else {
            format!("{d:x}")
        }
    };
    let base: Vec<String> = digits.iter().take(whole).map(|&d| label(d)).collect();
    let join = |mut labels: Vec<String>| {
        labels.reverse();
        labels.push(suffix.to_string());
        labels.join(".")
    };
    if spare == 0 {
        return vec![join(base)];
    }
    let free = bits_per_digit - spare;
    let first = digits.get(whole).copied().unwrap_or(0);
    (0..(1u16 << free))
        .map(|n| {
            let mut labels = base.clone();
            labels.push(label(first | (n as u8)));
            join(labels)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let cases: &[(&str, Transport, &[&str], u16)] = &[
            (".", Transport::Dns, &["."], 53),
            (".:53", Transport::Dns, &["."], 53),
            ("Example.ORG", Transport::Dns, &["example.org."], 53),
            (
                "dns://example.org:1053",
                Transport::Dns,
                &["example.org."],
                1053,
            ),
            ("tls://.", Transport::Tls, &["."], 853),
            (
                "quic://example.org",
                Transport::Quic,
                &["example.org."],
                853,
            ),
            ("grpc://.:8053", Transport::Grpc, &["."], 8053),
            ("https://.", Transport::Https, &["."], 443),
            ("https3://.", Transport::Https3, &["."], 443),
            ("10.0.0.0/8", Transport::Dns, &["10.in-addr.arpa."], 53),
            (
                "10.0.0.0/24:5353",
                Transport::Dns,
                &["0.0.10.in-addr.arpa."],
                5353,
            ),
            (
                "10.0.0.0/23",
                Transport::Dns,
                &["0.0.10.in-addr.arpa.", "1.0.10.in-addr.arpa."],
                53,
            ),
            ("0.0.0.0/0", Transport::Dns, &["in-addr.arpa."], 53),
            (
                "2001:db8::/32",
                Transport::Dns,
                &["8.b.d.0.1.0.0.2.ip6.arpa."],
                53,
            ),
            // Zones are lower-cased, hex digits of a block read in either case.
            (
                "tls://Example.ORG:853",
                Transport::Tls,
                &["example.org."],
                853,
            ),
            (
                "2001:DB8::/32",
                Transport::Dns,
                &["8.b.d.0.1.0.0.2.ip6.arpa."],
                53,
            ),
        ];
        for (key, transport, zones, port) in cases {
            let a = parse_address(key).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(a.transport, *transport, "{key}");
            assert_eq!(a.zones, *zones, "{key}");
            assert_eq!(a.port, *port, "{key}");
        }
        // `parse.Transport` reads lower-case schemes only.
        for bad in [
            "DNS://example.org",
            "Tls://.",
            "foo://.",
            ".:",
            "a..b",
            "",
            ":53",
            "example.org:99999",
            "10.0.0.0/33",
        ] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
        assert_eq!(
            reverse_zones(&parse_cidr("2001:db8::/30").unwrap()).len(),
            4
        );
    }

    #[test]
    fn names_and_blanks_as_miekg_dns_takes_them() {
        // dns.IsDomainName refuses only empty labels and overlong ones.
        for ok in [
            "exam ple.com",
            "a\"b.org",
            "{x}.org",
            "\\..org",
            "a\\046b.org",
        ] {
            assert!(normalize_zone(ok).is_ok(), "{ok}");
        }
        for bad in [".a.org", "a..org", &format!("{}.org", "x".repeat(64))] {
            assert!(normalize_zone(bad).is_err(), "{bad}");
        }
        assert_eq!(fqdn("\u{212A}ubernetes.Default"), "kubernetes.default.");
        let key = parse_address("foo://example.org").unwrap_err();
        assert!(key.contains("no query matches"), "{key}");
        assert!(has_scheme("foo://example.org") && has_scheme("://") && has_scheme("a:///"));
        assert!(!has_scheme("example.org:53") && !has_scheme(":/") && !has_scheme(":/ /"));
    }

    #[test]
    fn within_zones() {
        assert!(within("a.cluster.local.", "cluster.local."));
        assert!(within("cluster.local.", "cluster.local."));
        assert!(!within("acluster.local.", "cluster.local."));
        assert!(!within("local.", "cluster.local."));
        assert!(within("anything.", "."));
        assert!(is_reverse("10.in-addr.arpa."));
        assert!(!is_reverse("cluster.local."));
    }
}
