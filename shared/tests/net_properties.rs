//! Containment, overlap and coverage of `net` against a brute-force reference: blocks inside one
//! small IPv4 /24 (at most 256 addresses to enumerate), written as IPv4 or IPv4-mapped IPv6.

use std::net::{IpAddr, Ipv4Addr};

use netsec_shared::net::{self, IpNet};
use proptest::prelude::*;

const BASE: u32 = 0x0a00_0000; // 10.0.0.0/24

/// A block inside the base /24: (first offset, prefix length 24..=32), and its written form.
fn block() -> impl Strategy<Value = (u32, u8, bool)> {
    (24u8..=32, any::<u8>(), any::<bool>()).prop_map(|(prefix, offset, mapped)| {
        let size = 1u32 << (32 - prefix);
        ((u32::from(offset) / size) * size, prefix, mapped)
    })
}

fn to_net((offset, prefix, mapped): (u32, u8, bool)) -> IpNet {
    let v4 = Ipv4Addr::from(BASE + offset);
    let text = if mapped {
        format!("::ffff:{v4}/{}", u32::from(prefix) + 96)
    } else {
        format!("{v4}/{prefix}")
    };
    net::parse_cidr(&text).unwrap()
}

fn addresses((offset, prefix, _): (u32, u8, bool)) -> std::ops::Range<u32> {
    let size = 1u32 << (32 - prefix);
    offset..offset + size
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn containment_and_overlap_match_enumeration(a in block(), b in block()) {
        let (na, nb) = (to_net(a), to_net(b));
        let (ra, rb) = (addresses(a), addresses(b));
        let contained = rb.clone().all(|x| ra.contains(&x));
        let overlapping = rb.clone().any(|x| ra.contains(&x));
        prop_assert_eq!(net::contains(&na, &nb), contained);
        prop_assert_eq!(net::overlaps(&na, &nb), overlapping);
        prop_assert_eq!(net::overlaps(&nb, &na), overlapping);
    }

    #[test]
    fn first_uncovered_matches_enumeration(target in block(), cover in proptest::collection::vec(block(), 0..6)) {
        let nets: Vec<IpNet> = cover.iter().copied().map(to_net).collect();
        let expected = addresses(target)
            .find(|x| !cover.iter().any(|c| addresses(*c).contains(x)))
            .map(|x| IpAddr::V4(Ipv4Addr::from(BASE + x)));
        prop_assert_eq!(net::first_uncovered(&to_net(target), &nets), expected);
    }

    #[test]
    fn normalised_blocks_are_ipv4((offset, prefix, mapped) in block()) {
        let normal = net::normalize(&to_net((offset, prefix, mapped)));
        prop_assert_eq!(normal, to_net((offset, prefix, false)));
    }
}
