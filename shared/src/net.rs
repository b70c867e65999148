//! IP addresses and CIDR blocks, on top of `ipnet`.
//!
//! Every block is also seen as a range of one 128-bit address space in which IPv4 lives at its
//! IPv4-mapped place (`::ffff:a.b.c.d`). An IPv4 block and the IPv4-mapped IPv6 block that
//! reaches the same hosts are then the same range, so containment, overlap and coverage cannot
//! be bypassed by writing IPv4 destinations in IPv6 notation, and `::/0` is seen to reach every
//! IPv4 address too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// The first address of the IPv4-mapped block `::ffff:0:0/96`.
const MAPPED_BASE: u128 = 0xffff_u128 << 32;

/// Parses a CIDR block (`10.0.0.0/8`, `2001:db8::/32`); host bits are cleared, as the API
/// server's `net.ParseCIDR` does.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if !text.contains('/') {
        return Err(format!("{text:?} is not a CIDR block (address/prefix)"));
    }
    text.parse::<IpNet>()
        .map(|net| net.trunc())
        .map_err(|_| format!("{text:?} is not a valid CIDR block"))
}

/// Parses an address (`10.0.0.1`, a /32 or /128) or a CIDR block.
pub fn parse_ip_or_cidr(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if text.contains('/') {
        return parse_cidr(text);
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{text:?} is not an IP address or CIDR block"))
}

/// Reads an address as the API server reads Service, Endpoints and EndpointSlice addresses:
/// `netutils.ParseIPSloppy` of k8s.io/utils/net, the Go 1.16 parser Kubernetes kept when Go
/// began refusing leading zeros. IPv4 octets are decimal whatever their leading zeros
/// (`010.0.0.1` is 10.0.0.1, not octal 8.0.0.1), IPv6 groups are hex numbers of any length up
/// to 0xffff, an IPv4 tail may end an IPv6 address, and zones are refused. The API server
/// validates the legacy fields with `IsValidIPForLegacyField` (apimachinery
/// pkg/api/validation/ip.go), which accepts these forms unless the StrictIPCIDRValidation gate
/// is on; the address they mean is what matters, so compare [`canonical`] forms.
pub fn parse_ip_sloppy(text: &str) -> Option<IpAddr> {
    // Go's ParseIP picks the family by the first '.' or ':' it meets.
    match text.bytes().find(|b| *b == b'.' || *b == b':')? {
        b'.' => sloppy_v4(text.as_bytes()).map(IpAddr::V4),
        _ => sloppy_v6(text.as_bytes()).map(IpAddr::V6),
    }
}

/// A CIDR block as `netutils.ParseCIDRSloppy` reads it: a sloppy address, a decimal prefix
/// length (leading zeros allowed) no longer than the address family's, and the bits past the
/// prefix cleared.
pub fn parse_cidr_sloppy(text: &str) -> Option<IpNet> {
    let (addr, prefix) = text.split_once('/')?;
    let (ip, bits) = match sloppy_v4(addr.as_bytes()) {
        Some(v4) => (IpAddr::V4(v4), 32),
        None => (IpAddr::V6(sloppy_v6(addr.as_bytes())?), 128),
    };
    let (len, used) = leading_number(prefix.as_bytes(), 10)?;
    if used != prefix.len() || len > bits {
        return None;
    }
    IpNet::new(ip, len as u8).ok().map(|net| net.trunc())
}

/// The IPv4 address an IPv4-mapped IPv6 address stands for (`::ffff:169.254.169.254` is
/// 169.254.169.254, as Go's `To4` and every data path read it); any other as it is.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// The number the leading digits of `text` write in `radix` (10 or 16), and how many bytes
/// they take; `None` without a digit or past 0xFFFFFF, Go's `dtoi`/`xtoi` bound.
fn leading_number(text: &[u8], radix: u32) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    let mut used = 0;
    for &b in text {
        let Some(digit) = (b as char).to_digit(radix) else {
            break;
        };
        value = value * radix + digit;
        if value >= 0xFF_FFFF {
            return None;
        }
        used += 1;
    }
    (used > 0).then_some((value, used))
}

fn sloppy_v4(mut s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    for (i, octet) in octets.iter_mut().enumerate() {
        if i > 0 {
            s = s.strip_prefix(b".")?;
        }
        let (value, used) = leading_number(s, 10)?;
        *octet = u8::try_from(value).ok()?;
        s = &s[used..];
    }
    s.is_empty().then_some(Ipv4Addr::from(octets))
}

fn sloppy_v6(mut s: &[u8]) -> Option<Ipv6Addr> {
    let mut bytes = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if let Some(rest) = s.strip_prefix(b"::") {
        ellipsis = Some(0);
        s = rest;
        if s.is_empty() {
            return Some(Ipv6Addr::UNSPECIFIED);
        }
    }
    let mut i = 0;
    while i < 16 {
        let (group, used) = leading_number(s, 16)?;
        if group > 0xFFFF {
            return None;
        }
        if s.get(used) == Some(&b'.') {
            // An IPv4 tail: only as the last 32 bits, or after an ellipsis.
            if (ellipsis.is_none() && i != 12) || i + 4 > 16 {
                return None;
            }
            bytes[i..i + 4].copy_from_slice(&sloppy_v4(s)?.octets());
            s = &[];
            i += 4;
            break;
        }
        bytes[i] = (group >> 8) as u8;
        bytes[i + 1] = group as u8;
        i += 2;
        s = &s[used..];
        if s.is_empty() {
            break;
        }
        s = s.strip_prefix(b":")?;
        if s.is_empty() {
            return None;
        }
        if let Some(rest) = s.strip_prefix(b":") {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(i);
            s = rest;
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return None;
    }
    if i < 16 {
        // The ellipsis stands for the zero groups that fill the address.
        let at = ellipsis?;
        let gap = 16 - i;
        bytes.copy_within(at..i, at + gap);
        bytes[at..at + gap].fill(0);
    } else if ellipsis.is_some() {
        // An ellipsis must stand for at least one group.
        return None;
    }
    Some(Ipv6Addr::from(bytes))
}

/// An inclusive range of the unified address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Range {
    pub start: u128,
    pub end: u128,
}

impl Range {
    pub fn of(net: &IpNet) -> Range {
        match net {
            IpNet::V4(v4) => {
                let start = MAPPED_BASE | u128::from(u32::from(v4.network()));
                let end = MAPPED_BASE | u128::from(u32::from(v4.broadcast()));
                Range { start, end }
            }
            IpNet::V6(v6) => Range {
                start: u128::from(v6.network()),
                end: u128::from(v6.broadcast()),
            },
        }
    }

    pub fn contains(&self, other: &Range) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn overlaps(&self, other: &Range) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// Does `outer` reach every address `inner` reaches?
pub fn contains(outer: &IpNet, inner: &IpNet) -> bool {
    Range::of(outer).contains(&Range::of(inner))
}

/// Do the two blocks share an address?
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    Range::of(a).overlaps(&Range::of(b))
}

/// The IPv4 block an IPv4-mapped IPv6 block stands for (`::ffff:10.0.0.0/104` is
/// `10.0.0.0/8`); any other block is returned as it is.
pub fn normalize(net: &IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.network().to_ipv4_mapped() {
            Some(v4) => Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(*net),
            None => *net,
        },
        _ => *net,
    }
}

/// Is every address of `net` inside some block of `cover`? Returns the first address that is
/// not, if any.
pub fn first_uncovered(net: &IpNet, cover: &[IpNet]) -> Option<IpAddr> {
    let target = Range::of(net);
    let mut pieces: Vec<Range> = cover
        .iter()
        .map(Range::of)
        .filter(|r| r.overlaps(&target))
        .collect();
    crate::sort::sort_by(&mut pieces, Range::cmp);
    let mut next = target.start;
    for piece in pieces {
        if piece.start > next {
            return Some(address(next));
        }
        if piece.end >= target.end {
            return None;
        }
        next = next.max(piece.end + 1);
    }
    Some(address(next))
}

/// The address at a point of the unified space, IPv4 where it is IPv4-mapped.
fn address(point: u128) -> IpAddr {
    let v6 = Ipv6Addr::from(point);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// IPv4 or IPv6, after normalisation: what a prefix-length bound applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

pub fn family(net: &IpNet) -> Family {
    match normalize(net) {
        IpNet::V4(_) => Family::V4,
        IpNet::V6(_) => Family::V6,
    }
}

/// The whole IPv4 and IPv6 spaces, for "allows everything" checks.
pub fn any_v4() -> IpNet {
    IpNet::V4(Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 0).expect("/0 is a valid prefix"))
}

pub fn any_v6() -> IpNet {
    IpNet::V6(Ipv6Net::new(Ipv6Addr::UNSPECIFIED, 0).expect("/0 is a valid prefix"))
}

/// The whole address space (`0.0.0.0/0`, else `::/0`) that the blocks together cover, if any: a
/// client allow-list that covers one admits everyone of that family.
pub fn covered_family(nets: &[IpNet]) -> Option<IpNet> {
    [any_v4(), any_v6()]
        .into_iter()
        .find(|all| first_uncovered(all, nets).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> IpNet {
        parse_ip_or_cidr(text).unwrap()
    }

    #[test]
    fn parsing() {
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap(), n("10.0.0.0/8"));
        assert_eq!(parse_ip_or_cidr("10.1.2.3").unwrap(), n("10.1.2.3/32"));
        assert_eq!(
            parse_ip_or_cidr(" 2001:db8::1 ").unwrap(),
            n("2001:db8::1/128")
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x/8",
            "",
            "/8",
        ] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
        for bad in ["10.0.0.256", "hello", "1.2.3.4/", "fe80::1%eth0"] {
            assert!(parse_ip_or_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sloppy_parsing_reads_what_the_api_server_reads() {
        let ip = |t: &str| parse_ip_sloppy(t).map(|a| canonical(a).to_string());
        let cases: &[(&str, Option<&str>)] = &[
            ("10.0.0.1", Some("10.0.0.1")),
            ("010.0.0.1", Some("10.0.0.1")),
            ("0169.0254.0169.0254", Some("169.254.169.254")),
            ("0000000127.0.0.1", Some("127.0.0.1")),
            ("::ffff:169.254.169.254", Some("169.254.169.254")),
            ("::FFFF:a9fe:a9fe", Some("169.254.169.254")),
            ("::ffff:0169.254.169.254", Some("169.254.169.254")),
            ("0:0:0:0:0:ffff:100.100.100.200", Some("100.100.100.200")),
            ("fd00:ec2::254", Some("fd00:ec2::254")),
            ("FD00:0EC2:0:0:0:0:0:0254", Some("fd00:ec2::254")),
            ("fd00:00000ec2::254", Some("fd00:ec2::254")),
            ("::", Some("::")),
            ("::1", Some("::1")),
            ("1::", Some("1::")),
            ("::1.2.3.4", Some("::102:304")),
            ("256.0.0.1", None),
            ("1.2.3", None),
            ("1.2.3.4.", None),
            ("1.2.3.4.5", None),
            ("0x7f.0.0.1", None),
            ("2130706433", None),
            ("fe80::1%eth0", None),
            ("1:2:3:4:5:6:7:8:9", None),
            ("1::2::3", None),
            ("1:2:3:4:5:6:7::8", None),
            (":1", None),
            ("1:", None),
            ("1:2:3:4:5:6:1.2.3.4", Some("1:2:3:4:5:6:102:304")),
            ("1:2:3:4:5:1.2.3.4", None),
            ("10000::", None),
            ("", None),
            (" 10.0.0.1", None),
        ];
        for (text, want) in cases {
            assert_eq!(ip(text).as_deref(), *want, "{text:?}");
        }
        let cidr = |t: &str| parse_cidr_sloppy(t).map(|n| normalize(&n).to_string());
        let cases: &[(&str, Option<&str>)] = &[
            ("10.1.2.3/8", Some("10.0.0.0/8")),
            ("010.0.0.0/08", Some("10.0.0.0/8")),
            ("::ffff:10.0.0.0/104", Some("10.0.0.0/8")),
            ("0.0.0.0/0", Some("0.0.0.0/0")),
            ("::/0", Some("::/0")),
            ("2001:db8::1/32", Some("2001:db8::/32")),
            ("10.0.0.0/33", None),
            ("10.0.0.0/", None),
            ("10.0.0.0", None),
            ("10.0.0.0/8 ", None),
            ("::/129", None),
        ];
        for (text, want) in cases {
            assert_eq!(cidr(text).as_deref(), *want, "{text:?}");
        }
    }

    #[test]
    fn containment_and_overlap_table() {
        let cases = [
            ("10.0.0.0/8", "10.1.0.0/16", true, true),
            ("10.1.0.0/16", "10.0.0.0/8", false, true),
            ("10.0.0.0/8", "11.0.0.0/8", false, false),
            ("0.0.0.0/0", "169.254.169.254/32", true, true),
            ("::/0", "169.254.169.254/32", true, true),
            ("::ffff:0:0/96", "10.0.0.0/8", true, true),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8", true, true),
            ("10.0.0.0/8", "::ffff:10.0.0.0/104", true, true),
            ("::ffff:169.254.0.0/112", "169.254.169.254/32", true, true),
            ("2001:db8::/32", "10.0.0.0/8", false, false),
            ("fd00:ec2::254/128", "fd00:ec2::/64", false, true),
            ("0.0.0.0/1", "128.0.0.0/1", false, false),
        ];
        for (a, b, contained, overlapping) in cases {
            assert_eq!(contains(&n(a), &n(b)), contained, "{a} contains {b}");
            assert_eq!(overlaps(&n(a), &n(b)), overlapping, "{a} overlaps {b}");
            assert_eq!(overlaps(&n(b), &n(a)), overlapping, "{b} overlaps {a}");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize(&n("::ffff:10.0.0.0/104")), n("10.0.0.0/8"));
        assert_eq!(normalize(&n("::ffff:0:0/96")), n("0.0.0.0/0"));
        assert_eq!(normalize(&n("::/0")), n("::/0"));
        assert_eq!(normalize(&n("10.0.0.0/8")), n("10.0.0.0/8"));
        assert_eq!(family(&n("::ffff:1.2.3.4/128")), Family::V4);
        assert_eq!(family(&n("2001:db8::/32")), Family::V6);
    }

    #[test]
    fn coverage() {
        let cover = [n("169.254.0.0/16"), n("10.0.0.0/9"), n("10.128.0.0/9")];
        assert_eq!(first_uncovered(&n("10.0.0.0/8"), &cover), None);
        assert_eq!(first_uncovered(&n("169.254.169.254/32"), &cover), None);
        assert_eq!(
            first_uncovered(&n("10.0.0.0/7"), &cover),
            Some("11.0.0.0".parse().unwrap())
        );
        assert_eq!(
            first_uncovered(&n("9.255.255.255/32"), &cover),
            Some("9.255.255.255".parse().unwrap())
        );
        assert_eq!(
            first_uncovered(&n("fd00:ec2::254/128"), &[n("::ffff:0:0/96")]),
            Some("fd00:ec2::254".parse().unwrap())
        );
        assert_eq!(
            first_uncovered(&n("::ffff:10.0.0.0/104"), &[n("10.0.0.0/8")]),
            None
        );
        assert_eq!(
            first_uncovered(&n("0.0.0.0/0"), &[n("0.0.0.0/1"), n("128.0.0.0/1")]),
            None
        );
        assert!(first_uncovered(&n("::/0"), &[n("0.0.0.0/0")]).is_some());
        assert_eq!(
            covered_family(&[n("0.0.0.0/1"), n("128.0.0.0/1")]),
            Some(any_v4())
        );
        assert_eq!(covered_family(&[n("::ffff:0:0/96")]), Some(any_v4()));
        assert_eq!(covered_family(&[n("::/1"), n("8000::/1")]), Some(any_v4()));
        assert_eq!(covered_family(&[n("10.0.0.0/8"), n("2001:db8::/32")]), None);
        assert_eq!(
            first_uncovered(&n("10.0.0.0/8"), &[]),
            Some("10.0.0.0".parse().unwrap())
        );
    }
}
