//! Which server blocks CoreDNS refuses to run side by side. `InspectServerBlocks`
//! (`core/dnsserver/register.go`) makes one config per zone of each key, with its transport
//! and port; the `bind` plugin sets the addresses it listens on. Then
//! `validateZonesAndListeningAddresses` walks the configs in order through `zoneOverlap`
//! (`core/dnsserver/address.go`), keyed on transport + zone + bind address + port:
//! - the same key twice is refused ("cannot serve ... - it is already defined");
//! - an unbound key and a bound one for the same transport, zone and port are refused too
//!   ("zone overlap listener capacity"): the unbound one listens on every address;
//! - a config filtered by a `view` is checked for the overlap but neither registered nor
//!   refused for an identical key: that is how split DNS serves one zone twice.

use std::collections::BTreeMap;

use crate::zone::Transport;

/// One listener of one zone, as `zoneAddr` keys it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneAddr {
    pub transport: Transport,
    pub zone: String,
    pub port: u16,
    /// `None` when the block has no `bind`: it listens on every address.
    pub address: Option<String>,
}

impl ZoneAddr {
    /// As CoreDNS writes it in its error: `dns://example.org.:53 on 127.0.0.1`.
    pub fn show(&self) -> String {
        let mut text = format!("{}://{}:{}", self.transport.scheme(), self.zone, self.port);
        if let Some(address) = &self.address {
            text.push_str(" on ");
            text.push_str(address);
        }
        text
    }
}

/// Why a listener cannot be added, and where the one in its way was defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict<T> {
    /// The same transport, zone, address and port.
    Defined(T),
    /// A bound and an unbound listener of the same transport, zone and port.
    Overlap(T),
}

/// `zoneOverlap`: the listeners seen so far, each with what the caller needs to name it, by
/// [`map_key`].
pub struct Listeners<T> {
    registered: BTreeMap<String, T>,
    /// By the unbound form of a listener, the first registered.
    unbound: BTreeMap<String, T>,
}

impl<T: Clone> Default for Listeners<T> {
    fn default() -> Self {
        Listeners {
            registered: BTreeMap::new(),
            unbound: BTreeMap::new(),
        }
    }
}

/// One string per listener, written without the formatting machinery (a Corefile of many stub
/// zones adds one listener per zone): the scheme and the zone cannot hold a NUL, and the port
/// takes two characters at a place the NUL after the scheme fixes. `bound: false` gives the
/// listener's unbound form.
fn map_key(key: &ZoneAddr, bound: bool) -> String {
    let scheme = key.transport.scheme();
    let address = key.address.as_deref().filter(|_| bound).unwrap_or("");
    let mut text = String::with_capacity(scheme.len() + key.zone.len() + address.len() + 6);
    text.push_str(scheme);
    text.push('\0');
    text.push(char::from((key.port >> 8) as u8));
    text.push(char::from(key.port as u8));
    text.push_str(&key.zone);
    text.push('\0');
    if bound && key.address.is_some() {
        text.push('@');
        text.push_str(address);
    }
    text
}

impl<T: Clone> Listeners<T> {
    /// `registerAndCheck` for a block without a view, `check` alone (and no "already
    /// defined") for a block with one.
    pub fn add(&mut self, key: &ZoneAddr, filtered: bool, at: T) -> Option<Conflict<T>> {
        let (full, unbound) = (map_key(key, true), map_key(key, false));
        let conflict = if let Some(existing) = self.registered.get(&full) {
            Some(Conflict::Defined(existing.clone()))
        } else if let Some(already) = self.unbound.get(&unbound) {
            if key.address.is_none() {
                Some(Conflict::Overlap(already.clone()))
            } else {
                self.registered
                    .get(&unbound)
                    .map(|existing| Conflict::Overlap(existing.clone()))
            }
        } else {
            None
        };
        match conflict {
            Some(Conflict::Defined(_)) if filtered => None,
            Some(conflict) => Some(conflict),
            None if filtered => None,
            None => {
                self.unbound.entry(unbound).or_insert_with(|| at.clone());
                self.registered.insert(full, at);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(transport: Transport, zone: &str, port: u16, address: Option<&str>) -> ZoneAddr {
        ZoneAddr {
            transport,
            zone: zone.into(),
            port,
            address: address.map(str::to_string),
        }
    }

    fn run(keys: &[(ZoneAddr, bool)]) -> Vec<Option<Conflict<usize>>> {
        let mut listeners = Listeners::default();
        keys.iter()
            .enumerate()
            .map(|(i, (k, filtered))| listeners.add(k, *filtered, i))
            .collect()
    }

    #[test]
    fn identity_is_transport_zone_address_and_port() {
        use Transport::*;
        let dot = |t, a| (key(t, ".", 53, a), false);
        // Two blocks without bind: refused.
        assert_eq!(
            run(&[dot(Dns, None), dot(Dns, None)]),
            [None, Some(Conflict::Defined(0))]
        );
        // bind lo / bind eth0: accepted; the same address twice: refused.
        assert_eq!(
            run(&[dot(Dns, Some("lo")), dot(Dns, Some("eth0"))]),
            [None, None]
        );
        assert_eq!(
            run(&[dot(Dns, Some("127.0.0.1")), dot(Dns, Some("127.0.0.1"))]),
            [None, Some(Conflict::Defined(0))]
        );
        // A bound and an unbound block, either order: refused.
        assert_eq!(
            run(&[dot(Dns, Some("10.0.0.1")), dot(Dns, None)]),
            [None, Some(Conflict::Overlap(0))]
        );
        assert_eq!(
            run(&[dot(Dns, None), dot(Dns, Some("10.0.0.1"))]),
            [None, Some(Conflict::Overlap(0))]
        );
        // Other transports, ports or zones: accepted.
        let https = (key(Https, ".", 443, None), false);
        let https3 = (key(Https3, ".", 443, None), false);
        let grpc = (key(Grpc, ".", 443, None), false);
        assert_eq!(run(&[https, https3, grpc]), [None, None, None]);
        assert_eq!(
            run(&[
                (key(Dns, ".", 53, None), false),
                (key(Dns, ".", 1053, None), false),
                (key(Dns, "example.org.", 53, None), false)
            ]),
            [None, None, None]
        );
    }

    #[test]
    fn views_share_a_zone() {
        use Transport::Dns;
        let plain = (key(Dns, ".", 53, None), false);
        let view = (key(Dns, ".", 53, None), true);
        assert_eq!(
            run(&[view.clone(), view.clone(), plain.clone()]),
            [None, None, None]
        );
        assert_eq!(run(&[plain.clone(), view.clone()]), [None, None]);
        // A view is still checked for the bound/unbound overlap.
        let bound = (key(Dns, ".", 53, Some("10.0.0.1")), false);
        assert_eq!(run(&[bound, view]), [None, Some(Conflict::Overlap(0))]);
    }
}
