//! The lines of a `forward` block as `parseBlock` reads them (`plugin/forward/setup.go`,
//! CoreDNS 1.14.7): the properties it knows and the values each takes. CoreDNS refuses the
//! Corefile at the first line it cannot read, and a CoreDNS that cannot load its Corefile
//! crash-loops.
//!
//! What each value must be is checked where Go's standard library decides it (`ParseUint`,
//! `Atoi`, `ParseDuration`, `ParseIP`). Not checked: the response codes of `next` and
//! `failover`, the addresses of `resolver`, the domain of `health_check`, the files of `tls`.

use std::net::IpAddr;

use crate::gostd;

/// What a property takes.
#[derive(Clone, Copy, Debug)]
pub enum Takes {
    /// Nothing (`force_tcp`); a value is refused.
    Nothing,
    /// The rest of its line, from `min` to `max` values.
    Values { min: usize, max: usize },
    /// `strconv.ParseUint(v, 10, 32)`.
    Count,
    /// `strconv.Atoi`, refused below 0.
    Size,
    /// `time.ParseDuration`, refused below 0, or at 0 too when `positive`.
    Duration { positive: bool },
    /// One of these words, described.
    Word(&'static [&'static str], &'static str),
    /// `net.ParseIP`.
    Address,
    /// Any one value.
    Text,
    /// `health_check DURATION [no_rec] [domain NAME]`.
    HealthCheck,
}

const ANY: usize = usize::MAX;

/// The properties `parseBlock` reads; it refuses any other ("unknown property").
pub const PROPERTIES: [(&str, Takes); 21] = [
    ("except", Takes::Values { min: 1, max: ANY }),
    ("max_fails", Takes::Count),
    ("max_connect_attempts", Takes::Count),
    ("health_check", Takes::HealthCheck),
    ("force_tcp", Takes::Nothing),
    ("prefer_udp", Takes::Nothing),
    ("tls", Takes::Values { min: 0, max: 3 }),
    ("tls_servername", Takes::Text),
    ("expire", Takes::Duration { positive: false }),
    ("max_age", Takes::Duration { positive: false }),
    ("max_idle_conns", Takes::Size),
    ("read_timeout", Takes::Duration { positive: true }),
    ("doh_method", Takes::Word(&["POST", "GET"], "POST or GET")),
    (
        "policy",
        Takes::Word(
            &["random", "round_robin", "sequential"],
            "random, round_robin or sequential",
        ),
    ),
    ("max_concurrent", Takes::Size),
    ("next", Takes::Values { min: 1, max: ANY }),
    ("next_on_nodata", Takes::Nothing),
    ("failfast_all_unhealthy_upstreams", Takes::Nothing),
    ("failover", Takes::Values { min: 1, max: ANY }),
    ("resolver", Takes::Values { min: 1, max: ANY }),
    ("source_address", Takes::Address),
];

/// The names of [`PROPERTIES`], for messages.
pub const PROPERTY_NAMES: &str = "except, max_fails, max_connect_attempts, health_check, force_tcp, prefer_udp, tls, tls_servername, expire, max_age, max_idle_conns, read_timeout, doh_method, policy, max_concurrent, next, next_on_nodata, failfast_all_unhealthy_upstreams, failover, resolver, source_address";

/// forward's `defaultExpire`.
pub const DEFAULT_EXPIRE_NANOS: u64 = 10_000_000_000;

impl Takes {
    pub fn of(property: &str) -> Option<Takes> {
        PROPERTIES
            .iter()
            .find(|(name, _)| *name == property)
            .map(|(_, takes)| *takes)
    }

    /// How many of `args` the property reads, or `None` when CoreDNS refuses them. A property
    /// of one value leaves the rest of its line, which Caddy's dispenser hands to `parseBlock`
    /// as the next property.
    pub fn read(self, args: &[&str]) -> Option<usize> {
        let Some(&first) = args.first() else {
            return matches!(self, Takes::Nothing | Takes::Values { min: 0, .. }).then_some(0);
        };
        let good = match self {
            Takes::Nothing => false,
            Takes::Values { max, .. } => return (args.len() <= max).then_some(args.len()),
            Takes::Count => gostd::decimal(first).is_some_and(|n| n <= u64::from(u32::MAX)),
            // Below 0 is refused, and -0 is 0.
            Takes::Size => {
                let (negative, digits) = gostd::sign(first);
                gostd::decimal(digits).is_some_and(|n| n == 0 || !negative && n <= i64::MAX as u64)
            }
            Takes::Duration { positive } => {
                gostd::duration_nanos(first).is_some_and(|n| n > 0 || !positive)
            }
            Takes::Word(words, _) => words.contains(&first),
            Takes::Address => first.parse::<IpAddr>().is_ok(),
            Takes::Text => true,
            Takes::HealthCheck => {
                let mut options = args[1..].iter();
                let mut good = gostd::duration_nanos(first).is_some();
                while let Some(option) = options.next() {
                    good &= *option == "no_rec" || *option == "domain" && options.next().is_some();
                }
                return good.then_some(args.len());
            }
        };
        good.then_some(1)
    }

    /// What the property takes, for a message.
    pub fn describe(self) -> &'static str {
        match self {
            Takes::Nothing => "no value",
            Takes::Values { max: 3, .. } => "at most three files",
            Takes::Values { .. } => "one value or more",
            Takes::Count => "a whole number from 0 to 4294967295",
            Takes::Size => "a whole number, 0 or more",
            Takes::Duration { positive: false } => "a duration of 0 or more, with its unit (10s)",
            Takes::Duration { positive: true } => "a duration over 0, with its unit (2s)",
            Takes::Word(_, words) => words,
            Takes::Address => "an IP address",
            Takes::Text => "one value",
            Takes::HealthCheck => {
                "a duration of 0 or more with its unit (5s), then no_rec or domain NAME"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The properties of one line, read in turn as CoreDNS reads them: the failing one.
    fn refused(line: &str) -> Option<String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut rest = &words[..];
        while let Some((name, args)) = rest.split_first() {
            let used = Takes::of(name).and_then(|t| t.read(args));
            let Some(used) = used else {
                return Some(name.to_string());
            };
            rest = &args[used..];
        }
        None
    }

    #[test]
    fn values_as_parse_block_reads_them() {
        for good in [
            "except internal.example.org corp.example.org",
            "max_fails 0",
            "max_connect_attempts 4294967295",
            "health_check 0.5s no_rec domain example.org",
            "health_check 0",
            "force_tcp",
            "tls",
            "tls cert.pem key.pem ca.pem",
            "tls_servername dns.example.org",
            "expire +10s",
            "max_idle_conns -0",
            "max_idle_conns 9223372036854775807",
            "max_fails 0004294967295",
            "max_concurrent +1000",
            "read_timeout 1ns",
            "doh_method GET",
            "policy round_robin",
            "next NXDOMAIN servfail",
            "failfast_all_unhealthy_upstreams",
            "failover SERVFAIL REFUSED",
            "resolver 10.0.0.10 [2001:db8::1]:53",
            "source_address 2001:db8::2",
            // What a one-value line leaves is read as the next property.
            "max_fails 3 force_tcp",
        ] {
            assert_eq!(refused(good), None, "{good}");
        }
        for (bad, at) in [
            ("max_concurent 1000", "max_concurent"),
            ("max_fails", "max_fails"),
            ("max_fails -1", "max_fails"),
            ("max_fails +1", "max_fails"),
            ("max_fails 4294967296", "max_fails"),
            ("max_concurrent 1k", "max_concurrent"),
            ("max_concurrent -1", "max_concurrent"),
            ("max_concurrent 1_000", "max_concurrent"),
            ("max_concurrent 9223372036854775808", "max_concurrent"),
            ("max_concurrent +", "max_concurrent"),
            ("max_concurrent -", "max_concurrent"),
            ("max_concurrent 1000 2000", "2000"),
            ("health_check 5", "health_check"),
            ("health_check -5s", "health_check"),
            ("health_check 5s domain", "health_check"),
            ("health_check 5s rec", "health_check"),
            ("expire 1d", "expire"),
            ("expire -1s", "expire"),
            ("read_timeout 0s", "read_timeout"),
            ("force_tcp yes", "force_tcp"),
            (
                "failfast_all_unhealthy_upstreams true",
                "failfast_all_unhealthy_upstreams",
            ),
            ("tls a b c d", "tls"),
            ("except", "except"),
            ("next", "next"),
            ("doh_method post", "doh_method"),
            ("policy least_conn", "policy"),
            ("source_address eth0", "source_address"),
        ] {
            assert_eq!(refused(bad).as_deref(), Some(at), "{bad}");
        }
    }

    #[test]
    fn property_names_are_those_of_the_table() {
        assert_eq!(PROPERTY_NAMES, PROPERTIES.map(|(name, _)| name).join(", "));
    }
}
