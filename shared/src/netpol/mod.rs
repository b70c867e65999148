//! What every NetworkPolicy check shares: the resource, its two directions, and the API
//! server's defaulting of `policyTypes`. Each policy has its own lean view of the object (the
//! fields it reads decide the size of its deserialiser); the rules of the API live here, and so
//! does the view of the NetworkPolicy under admission ([`egress`]), which the request's reader
//! decodes in its own pass.

pub mod allowance;
pub mod egress;
pub mod families;
pub mod ports;

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;

use crate::cluster::Resource;

pub const NETWORK_POLICY: Resource<'static> = Resource {
    api_version: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
};

/// A traffic direction, spelt as in `policyTypes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The spec field holding this direction's rules.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which directions a `policyTypes` list names: what isolation reads of it. A list of neither
/// name (`["ingress"]`) isolates nothing, as its values are matched exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyTypes {
    /// The list is given and not empty.
    pub listed: bool,
    pub ingress: bool,
    pub egress: bool,
}

impl PolicyTypes {
    pub fn of<'t>(names: impl IntoIterator<Item = &'t str>) -> PolicyTypes {
        let mut types = PolicyTypes::default();
        for name in names {
            types.listed = true;
            types.ingress |= name == Direction::Ingress.name();
            types.egress |= name == Direction::Egress.name();
        }
        types
    }

    /// Whether a policy with these types isolates its pods in `direction`. Listed types
    /// decide. An empty or absent list is what the API server defaults (before any webhook sees
    /// the object, but not in a file given to `kwctl`): Ingress always, Egress when the policy
    /// has egress rules, counted by number, so `egress: []` does not make it an Egress policy.
    pub fn isolate(self, egress_rules: usize, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => !self.listed || self.ingress,
            Direction::Egress if self.listed => self.egress,
            Direction::Egress => egress_rules > 0,
        }
    }
}

/// [`PolicyTypes::isolate`] for a list as decoded.
pub fn isolates(policy_types: &[Cow<'_, str>], egress_rules: usize, direction: Direction) -> bool {
    PolicyTypes::of(policy_types.iter().map(|t| t.as_ref())).isolate(egress_rules, direction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaulting_table() {
        use Direction::{Egress, Ingress};
        // (policyTypes, egress rules, direction, isolated)
        let cases: &[(&[&str], usize, Direction, bool)] = &[
            (&[], 0, Ingress, true),
            (&[], 0, Egress, false),
            (&[], 2, Egress, true),
            (&["Egress"], 0, Egress, true),
            (&["Egress"], 3, Ingress, false),
            (&["Ingress"], 3, Egress, false),
            (&["Ingress", "Egress"], 0, Ingress, true),
            (&["ingress"], 0, Ingress, false),
        ];
        for (types, rules, direction, want) in cases {
            let types: Vec<Cow<str>> = types.iter().map(|t| Cow::Borrowed(*t)).collect();
            assert_eq!(
                isolates(&types, *rules, *direction),
                *want,
                "{types:?} {rules} {direction}"
            );
        }
    }
}
