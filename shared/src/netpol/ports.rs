//! Port ranges: egress-restrictions' `allowedPorts` setting and the ports of an egress rule
//! resolved to numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::netpol::egress::{IntOrString, Port};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// Kubernetes spells protocols in upper case and matches them exactly.
    #[inline]
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `first..=last` of one protocol, written `53/UDP` or `8000-8100/TCP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortRange {
    pub protocol: Protocol,
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn all(protocol: Protocol) -> PortRange {
        PortRange {
            protocol,
            first: 1,
            last: u16::MAX,
        }
    }

    pub fn contains_port(&self, protocol: Protocol, port: u16) -> bool {
        self.protocol == protocol && self.first <= port && port <= self.last
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}/{}", self.first, self.protocol)
        } else {
            write!(f, "{}-{}/{}", self.first, self.last, self.protocol)
        }
    }
}

impl From<PortRange> for String {
    fn from(range: PortRange) -> String {
        range.to_string()
    }
}

impl TryFrom<String> for PortRange {
    type Error = String;

    #[inline]
    fn try_from(text: String) -> Result<PortRange, String> {
        let (ports, protocol) = text.split_once('/').ok_or_else(|| {
            format!(
                "{text:?} has no protocol; write it as PORT/PROTOCOL, e.g. 443/TCP or 8000-8100/TCP"
            )
        })?;
        let protocol = Protocol::parse(protocol)
            .ok_or_else(|| format!("{text:?}: the protocol must be TCP, UDP or SCTP"))?;
        let number = |p: &str| -> Result<u16, String> {
            match p.parse::<u16>() {
                Ok(n) if n >= 1 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
                _ => Err(format!(
                    "{text:?}: {p:?} is not a port number from 1 to 65535"
                )),
            }
        };
        let (first, last) = match ports.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(ports)?;
                (n, n)
            }
        };
        if first > last {
            return Err(format!("{text:?}: the range ends before it starts"));
        }
        Ok(PortRange {
            protocol,
            first,
            last,
        })
    }
}

/// Is every port of `range` in one of `allowed` (adjacent allowed ranges join)?
#[inline]
pub fn covered(range: &PortRange, allowed: &[PortRange]) -> bool {
    let mut pieces: Vec<&PortRange> = allowed
        .iter()
        .filter(|a| a.protocol == range.protocol)
        .collect();
    crate::sort::sort_by(&mut pieces, Ord::cmp);
    let mut next = u32::from(range.first);
    for piece in pieces {
        if u32::from(piece.first) > next {
            break;
        }
        next = next.max(u32::from(piece.last) + 1);
        if next > u32::from(range.last) {
            return true;
        }
    }
    false
}

/// What a NetworkPolicy port entry allows, as numbers; the error says why it cannot be known.
#[inline]
pub fn resolve(port: &Port<'_>) -> Result<PortRange, String> {
    let protocol = match port.protocol.as_deref() {
        None => Protocol::Tcp,
        Some(p) => {
            Protocol::parse(p).ok_or_else(|| format!("protocol {p:?} is not TCP, UDP or SCTP"))?
        }
    };
    let number = |n: i64| u16::try_from(n).ok().filter(|n| *n >= 1);
    match (&port.port, port.end_port) {
        (None, None) => Ok(PortRange::all(protocol)),
        (None, Some(_)) => Err("has endPort without port".to_string()),
        (Some(IntOrString::Str(name)), _) => Err(format!(
            "is the named port {name:?}, which cannot be checked: its number depends on the \
             destination pod; use the port number"
        )),
        (Some(IntOrString::Int(n)), end) => {
            let first = number(*n).ok_or_else(|| format!("port {n} is not from 1 to 65535"))?;
            let last = match end {
                None => first,
                Some(e) => number(e)
                    .filter(|e| *e >= first)
                    .ok_or_else(|| format!("endPort {e} is not from port {first} to 65535"))?,
            };
            Ok(PortRange {
                protocol,
                first,
                last,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> PortRange {
        PortRange::try_from(text.to_string()).unwrap()
    }

    #[test]
    fn parsing_settings() {
        assert_eq!(
            r("53/UDP"),
            PortRange {
                protocol: Protocol::Udp,
                first: 53,
                last: 53
            }
        );
        assert_eq!(r("8000-8100/TCP").to_string(), "8000-8100/TCP");
        let bad = [
            ("443", "no protocol"),
            ("443/tcp", "TCP, UDP or SCTP"),
            ("0/TCP", "not a port number"),
            ("65536/TCP", "not a port number"),
            ("-1/TCP", "not a port number"),
            ("+5/TCP", "not a port number"),
            ("100-90/TCP", "ends before it starts"),
            ("a-b/UDP", "not a port number"),
            ("/TCP", "not a port number"),
        ];
        for (text, want) in bad {
            let err = PortRange::try_from(text.to_string()).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn coverage() {
        let allowed = [
            r("53/UDP"),
            r("53/TCP"),
            r("8000-8049/TCP"),
            r("8050-8100/TCP"),
        ];
        assert!(covered(&r("53/UDP"), &allowed));
        assert!(covered(&r("8000-8100/TCP"), &allowed));
        assert!(covered(&r("8040-8060/TCP"), &allowed));
        assert!(!covered(&r("8000-8101/TCP"), &allowed));
        assert!(!covered(&r("53/SCTP"), &allowed));
        assert!(!covered(&r("54/UDP"), &allowed));
        assert!(!covered(&PortRange::all(Protocol::Tcp), &allowed));
        assert!(covered(&PortRange::all(Protocol::Tcp), &[r("1-65535/TCP")]));
        assert!(!covered(&r("1/TCP"), &[]));
    }

    #[test]
    fn resolving() {
        let port = |json: &str| -> Result<PortRange, String> {
            let p: Port = serde_json::from_str(json).unwrap();
            resolve(&p)
        };
        assert_eq!(port(r#"{"port":443}"#).unwrap(), r("443/TCP"));
        assert_eq!(
            port(r#"{"port":53,"protocol":"UDP"}"#).unwrap(),
            r("53/UDP")
        );
        assert_eq!(
            port(r#"{"port":8000,"endPort":8100}"#).unwrap(),
            r("8000-8100/TCP")
        );
        assert_eq!(
            port(r#"{"protocol":"UDP"}"#).unwrap(),
            PortRange::all(Protocol::Udp)
        );
        assert!(
            port(r#"{"port":"https"}"#)
                .unwrap_err()
                .contains("named port \"https\"")
        );
        assert!(
            port(r#"{"port":0}"#)
                .unwrap_err()
                .contains("not from 1 to 65535")
        );
        assert!(port(r#"{"port":70000}"#).is_err());
        assert!(
            port(r#"{"port":100,"endPort":99}"#)
                .unwrap_err()
                .contains("endPort 99")
        );
        assert!(
            port(r#"{"endPort":99}"#)
                .unwrap_err()
                .contains("without port")
        );
        assert!(
            port(r#"{"port":53,"protocol":"udp"}"#)
                .unwrap_err()
                .contains("protocol")
        );
    }
}
