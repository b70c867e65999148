//! Addresses as written in Services and endpoints, read as the API server and the data path
//! read them, and shown to the user with what they mean.

use std::net::{IpAddr, Ipv4Addr};

use netsec_shared::net::{IpNet, Range, canonical, contains, parse_ip_sloppy};

/// An address in an object: what was written and the address it means.
pub struct Written<'t> {
    pub text: &'t str,
    pub addr: IpAddr,
}

impl<'t> Written<'t> {
    /// Reads `text` as the API server's legacy IP fields do (`ParseIPSloppy`), IPv4-mapped
    /// IPv6 taken as the IPv4 address it carries.
    pub fn parse(text: &'t str) -> Option<Self> {
        parse_ip_sloppy(text).map(|addr| Written {
            text,
            addr: canonical(addr),
        })
    }

    pub fn net(&self) -> IpNet {
        IpNet::from(self.addr)
    }

    /// `"text"`, and the address it means when written otherwise (`"::ffff:169.254.169.254"
    /// (169.254.169.254)`).
    pub fn quoted(&self) -> String {
        let shown = self.addr.to_string();
        if shown == self.text {
            format!("{:?}", self.text)
        } else {
            format!("{:?} ({shown})", self.text)
        }
    }

    /// Is the address inside any of `blocks`?
    pub fn within(&self, blocks: &[IpNet]) -> bool {
        let me = self.net();
        blocks.iter().any(|b| contains(b, &me))
    }
}

/// The first of `blocks` that holds `addr`, with its reason.
pub fn denied_by<'d>(
    addr: IpAddr,
    blocks: &'d [(IpNet, &'static str)],
) -> Option<&'d (IpNet, &'static str)> {
    let me = Range::of(&IpNet::from(addr));
    blocks
        .iter()
        .find(|(block, _)| Range::of(block).contains(&me))
}

/// What a C library's `inet_aton` makes of a name, as resolvers and HTTP clients that take an
/// "IP literal" before looking a name up do: one to four dot-separated numbers, each decimal,
/// octal with a leading `0`, or hex with `0x`; the last fills the remaining bytes
/// (`2852039166` and `0xa9.0xfe.0xa9.0xfe` are 169.254.169.254).
pub fn inet_aton(name: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        let (digits, radix) =
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (hex, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (&part[1..], 8)
            } else {
                (*part, 10)
            };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        // "0x" alone reads as zero in glibc.
        let value = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        if value > u64::from(u32::MAX) {
            return None;
        }
        values.push(value as u32);
    }
    let (last, head) = values.split_last()?;
    let mut addr: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        if *v > 0xFF {
            return None;
        }
        addr |= v << (24 - 8 * i);
    }
    let rest_bits = 32 - 8 * head.len() as u32;
    if rest_bits < 32 && u64::from(*last) >= 1u64 << rest_bits {
        return None;
    }
    Some(Ipv4Addr::from(addr | last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms() {
        let w = Written::parse("::ffff:169.254.169.254").unwrap();
        assert_eq!(w.quoted(), "\"::ffff:169.254.169.254\" (169.254.169.254)");
        let w = Written::parse("010.0.0.1").unwrap();
        assert_eq!(w.quoted(), "\"010.0.0.1\" (10.0.0.1)");
        let w = Written::parse("10.0.0.1").unwrap();
        assert_eq!(w.quoted(), "\"10.0.0.1\"");
        assert!(w.within(&["10.0.0.0/8".parse().unwrap()]));
        assert!(!w.within(&["11.0.0.0/8".parse().unwrap()]));
        assert!(Written::parse("host.example.com").is_none());
    }

    #[test]
    fn inet_aton_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            ("169.254.169.254", Some("169.254.169.254")),
            ("2852039166", Some("169.254.169.254")),
            ("0xa9.0xfe.0xa9.0xfe", Some("169.254.169.254")),
            ("0251.0376.0251.0376", Some("169.254.169.254")),
            ("169.254.43518", Some("169.254.169.254")),
            ("127.1", Some("127.0.0.1")),
            ("010.0.0.1", Some("8.0.0.1")),
            ("0", Some("0.0.0.0")),
            ("09.0.0.1", None),
            ("256.0.0.1", None),
            ("1.2.3.4.5", None),
            ("4294967296", None),
            ("example.com", None),
            ("1.2.3.", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(
                inet_aton(name).map(|a| a.to_string()).as_deref(),
                *want,
                "{name}"
            );
        }
    }
}
