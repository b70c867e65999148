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
use std::collections::btree_map::Entry;

use crate::zone::Transport;

/// One listener of one zone, as `zoneAddr` keys it, borrowed from the parsed blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneAddr<'a> {
    pub transport: Transport,
    pub port: u16,
    pub zone: &'a str,
    /// `None` when the block has no `bind`: it listens on every address.
    pub address: Option<&'a str>,
}

impl ZoneAddr<'_> {
    /// As CoreDNS writes it in its error: `dns://example.org.:53 on 127.0.0.1`.
    pub fn show(&self) -> String {
        let mut text = format!("{}://{}:{}", self.transport.scheme(), self.zone, self.port);
        if let Some(address) = self.address {
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

/// `zoneOverlap`: the listeners registered so far, each with what the caller needs to name it.
/// Upstream keeps two maps, by the whole key and by its unbound form; here the listeners are
/// grouped by their unbound form (transport, port, zone), so that adding one looks up a single
/// key, borrowed from the blocks. A Corefile of many stub zones adds one listener per zone, and
/// four ordered lookups each were most of the cost of its checks.
pub struct Listeners<'a, T> {
    groups: BTreeMap<(Transport, u16, &'a str), Group<'a, T>>,
}

/// The registered listeners of one transport, port and zone: the first, then any others, by
/// their bind address.
struct Group<'a, T> {
    first: (Option<&'a str>, T),
    others: Vec<(Option<&'a str>, T)>,
}

impl<'a, T> Group<'a, T> {
    fn on(&self, address: Option<&str>) -> Option<&T> {
        std::iter::once(&self.first)
            .chain(&self.others)
            .find(|(a, _)| *a == address)
            .map(|(_, at)| at)
    }
}

impl<T: Clone> Default for Listeners<'_, T> {
    fn default() -> Self {
        Listeners {
            groups: BTreeMap::new(),
        }
    }
}

impl<'a, T: Clone> Listeners<'a, T> {
    /// `registerAndCheck` for a block without a view, `check` alone (and no "already
    /// defined") for a block with one.
    pub fn add(&mut self, key: ZoneAddr<'a>, filtered: bool, at: T) -> Option<Conflict<T>> {
        let group = match self.groups.entry((key.transport, key.port, key.zone)) {
            Entry::Vacant(vacant) => {
                if !filtered {
                    vacant.insert(Group {
                        first: (key.address, at),
                        others: Vec::new(),
                    });
                }
                return None;
            }
            Entry::Occupied(occupied) => occupied.into_mut(),
        };
        let conflict = if let Some(existing) = group.on(key.address) {
            Conflict::Defined(existing.clone())
        } else if key.address.is_none() {
            // An unbound listener meets every bound one: the first registered is named.
            Conflict::Overlap(group.first.1.clone())
        } else if let Some(existing) = group.on(None) {
            Conflict::Overlap(existing.clone())
        } else {
            if !filtered {
                group.others.push((key.address, at));
            }
            return None;
        };
        match conflict {
            Conflict::Defined(_) if filtered => None,
            conflict => Some(conflict),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(
        transport: Transport,
        zone: &'a str,
        port: u16,
        address: Option<&'a str>,
    ) -> ZoneAddr<'a> {
        ZoneAddr {
            transport,
            port,
            zone,
            address,
        }
    }

    fn run(keys: &[(ZoneAddr, bool)]) -> Vec<Option<Conflict<usize>>> {
        let mut listeners = Listeners::default();
        keys.iter()
            .enumerate()
            .map(|(i, (k, filtered))| listeners.add(*k, *filtered, i))
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
        assert_eq!(run(&[view, view, plain]), [None, None, None]);
        assert_eq!(run(&[plain, view]), [None, None]);
        // A view is still checked for the bound/unbound overlap.
        let bound = (key(Dns, ".", 53, Some("10.0.0.1")), false);
        assert_eq!(run(&[bound, view]), [None, Some(Conflict::Overlap(0))]);
    }
}
