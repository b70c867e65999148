//! The controllers this policy knows, and the rate-limit annotations each one reads.

use netsec_shared::request::StringMap;

pub use netsec_shared::controllers::Kind;

/// What an annotation means to the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Requests per second per client (a limit).
    Rps,
    /// Requests per minute per client (a limit).
    Rpm,
    /// Concurrent connections per client (a limit).
    Connections,
    /// ingress-nginx burst as a multiple of the rate.
    BurstMultiplier,
    /// nginx-inc `<n>r/s` or `<n>r/m` (a limit).
    NginxRate,
    /// nginx-inc burst in requests.
    NginxBurst,
    /// nginx-inc: divide the rate among the replicas.
    NginxScale,
    /// haproxytech requests per period (a limit).
    Requests,
    /// haproxytech period of `Requests`.
    Period,
    /// Clients exempt from the limit.
    Allowlist,
    /// Traefik middlewares of the router (a limit when one is a rate-limit middleware).
    Middlewares,
    /// Kong plugins (a limit when one is a rate-limit plugin).
    Plugins,
}

impl Role {
    /// Whether the annotation is itself a limit (the others tune or bypass one).
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            Role::Rps | Role::Rpm | Role::Connections | Role::NginxRate | Role::Requests
        )
    }

    /// The values the controller accepts, for "use ..." in messages.
    pub fn format(self) -> &'static str {
        match self {
            Role::Rps | Role::Rpm | Role::Connections | Role::Requests => {
                "a whole number of at least 1, such as \"20\" (no sign, decimals or exponent)"
            }
            Role::BurstMultiplier => "a whole number of at least 1, such as \"5\"",
            Role::NginxRate => "a rate such as \"10r/s\" or \"600r/m\" (at least 1)",
            Role::NginxBurst => "a whole number of requests, such as \"100\"",
            Role::NginxScale => "\"true\" or \"false\"",
            Role::Period => {
                "a time such as \"1s\", \"10s\" or \"1m\" (units ms, s, m, h, d; a bare number is \
                 milliseconds), above zero"
            }
            Role::Allowlist => "a comma-separated list of IP addresses and CIDR blocks",
            Role::Middlewares => "a comma-separated list of <namespace>-<name>@<provider>",
            Role::Plugins => "a comma-separated list of KongPlugin names",
        }
    }

    fn readme(self) -> &'static str {
        match self {
            Role::Rps => "limit: requests per second, checked against `bounds.rps`",
            Role::Rpm => "limit: requests per minute, checked against `bounds.rpm`",
            Role::Connections => {
                "limit: concurrent connections, checked against `bounds.connections`"
            }
            Role::BurstMultiplier => {
                "burst = rate × this (5 when absent), checked against `bounds.burstMultiplier.max`"
            }
            Role::NginxRate => {
                "limit: `<n>r/s` checked against `bounds.rps`, `<n>r/m` against `bounds.rpm`"
            }
            Role::NginxBurst => "burst ÷ rate checked against `bounds.burstMultiplier.max`",
            Role::NginxScale => {
                "`\"true\"` divides the rate among replicas: no per-replica warning"
            }
            Role::Requests => {
                "limit: requests per period, per minute against `bounds.rpm` for a period in minutes, \
                 else per second against `bounds.rps` (ms, h, d: the nearer unit)"
            }
            Role::Period => "the period of `rate-limit-requests` (default `1s`)",
            Role::Allowlist => "allow-list: entries checked against `minAllowlistPrefix`",
            Role::Middlewares => "limit: an entry listed in `traefikRateLimitMiddlewares`",
            Role::Plugins => "limit: an entry listed in `kongRateLimitPlugins`",
        }
    }
}

/// One annotation a controller reads, under each prefix it accepts (in its order of precedence).
pub struct Annotation {
    pub kind: Kind,
    pub prefixes: &'static [&'static str],
    pub name: &'static str,
    pub role: Role,
}

const NGINX: &[&str] = &["nginx.ingress.kubernetes.io/"];
const NGINX_INC: &[&str] = &["nginx.org/"];
const HAPROXY: &[&str] = &["haproxy.org/", "haproxy.com/", "ingress.kubernetes.io/"];
const HAPROXY_INGRESS: &[&str] = &["haproxy-ingress.github.io/", "ingress.kubernetes.io/"];
const TRAEFIK: &[&str] = &["traefik.ingress.kubernetes.io/"];
const KONG: &[&str] = &["konghq.com/"];

const fn ann(
    kind: Kind,
    prefixes: &'static [&'static str],
    name: &'static str,
    role: Role,
) -> Annotation {
    Annotation {
        kind,
        prefixes,
        name,
        role,
    }
}

/// The table the README lists; the policy reads nothing else.
pub const ANNOTATIONS: &[Annotation] = &[
    ann(Kind::IngressNginx, NGINX, "limit-rps", Role::Rps),
    ann(Kind::IngressNginx, NGINX, "limit-rpm", Role::Rpm),
    ann(
        Kind::IngressNginx,
        NGINX,
        "limit-connections",
        Role::Connections,
    ),
    ann(
        Kind::IngressNginx,
        NGINX,
        "limit-burst-multiplier",
        Role::BurstMultiplier,
    ),
    ann(
        Kind::IngressNginx,
        NGINX,
        "limit-whitelist",
        Role::Allowlist,
    ),
    ann(
        Kind::IngressNginx,
        NGINX,
        "limit-allowlist",
        Role::Allowlist,
    ),
    ann(Kind::NginxInc, NGINX_INC, "limit-req-rate", Role::NginxRate),
    ann(
        Kind::NginxInc,
        NGINX_INC,
        "limit-req-burst",
        Role::NginxBurst,
    ),
    ann(
        Kind::NginxInc,
        NGINX_INC,
        "limit-req-scale",
        Role::NginxScale,
    ),
    ann(
        Kind::Haproxy,
        HAPROXY,
        "rate-limit-requests",
        Role::Requests,
    ),
    ann(Kind::Haproxy, HAPROXY, "rate-limit-period", Role::Period),
    ann(
        Kind::Haproxy,
        HAPROXY,
        "rate-limit-whitelist",
        Role::Allowlist,
    ),
    ann(
        Kind::HaproxyIngress,
        HAPROXY_INGRESS,
        "limit-rps",
        Role::Rps,
    ),
    ann(
        Kind::HaproxyIngress,
        HAPROXY_INGRESS,
        "limit-connections",
        Role::Connections,
    ),
    ann(
        Kind::HaproxyIngress,
        HAPROXY_INGRESS,
        "limit-whitelist",
        Role::Allowlist,
    ),
    ann(
        Kind::Traefik,
        TRAEFIK,
        "router.middlewares",
        Role::Middlewares,
    ),
    ann(Kind::Kong, KONG, "plugins", Role::Plugins),
];

impl Annotation {
    /// The key under the controller's first prefix, the one the policy writes.
    pub fn key(&self) -> String {
        format!("{}{}", self.prefixes[0], self.name)
    }

    /// Every key it is read under.
    pub fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.prefixes.iter().map(|p| format!("{p}{}", self.name))
    }
}

/// The annotations of one kind.
pub fn of(kind: Kind) -> impl Iterator<Item = &'static Annotation> {
    ANNOTATIONS.iter().filter(move |a| a.kind == kind)
}

/// The annotation of a kind with a role (each kind reads at most one per role but allow-lists).
pub fn find(kind: Kind, role: Role) -> Option<&'static Annotation> {
    of(kind).find(|a| a.role == role)
}

/// An annotation present on the object.
#[derive(Debug, PartialEq, Eq)]
pub struct Present<'m> {
    pub key: String,
    pub value: &'m str,
}

/// The value the controller reads for `annotation`: the first prefix present. Several prefixes
/// with different values are an error, because which one wins depends on the controller's
/// version and flags (`--annotations-prefix`), so the object does not say what it gets.
pub fn lookup<'m>(
    annotations: &'m StringMap<'_>,
    annotation: &Annotation,
) -> Result<Option<Present<'m>>, String> {
    let mut found: Vec<Present<'m>> = annotation
        .keys()
        .filter_map(|key| {
            let value = annotations.get(key.as_str())?;
            Some(Present {
                key,
                value: value.as_ref(),
            })
        })
        .collect();
    if found.iter().any(|p| p.value != found[0].value) {
        let listed: Vec<String> = found
            .iter()
            .map(|p| format!("{} {:?}", p.key, p.value))
            .collect();
        return Err(format!(
            "{} is set under several prefixes with different values ({}), and which one {} \
             applies depends on its version and flags; keep one",
            annotation.name,
            listed.join(", "),
            annotation.kind.label()
        ));
    }
    Ok(if found.is_empty() {
        None
    } else {
        Some(found.swap_remove(0))
    })
}

/// Markdown rows for the README (kept beside the table so the two cannot drift).
pub fn readme_rows() -> String {
    ANNOTATIONS
        .iter()
        .map(|a| {
            let keys: Vec<String> = a.keys().map(|k| format!("`{k}`")).collect();
            format!(
                "| `{}` | {} | {} |\n",
                a.kind.name(),
                keys.join(", "),
                a.role.readme()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::testing::string_map as map;

    #[test]
    fn prefixes_and_conflicts() {
        let requests = find(Kind::Haproxy, Role::Requests).unwrap();
        assert_eq!(requests.key(), "haproxy.org/rate-limit-requests");

        let m = map(&[("ingress.kubernetes.io/rate-limit-requests", "10")]);
        let got = lookup(&m, requests).unwrap().unwrap();
        assert_eq!(got.key, "ingress.kubernetes.io/rate-limit-requests");
        assert_eq!(got.value, "10");

        let m = map(&[
            ("haproxy.com/rate-limit-requests", "10"),
            ("haproxy.org/rate-limit-requests", "10"),
        ]);
        assert_eq!(
            lookup(&m, requests).unwrap().unwrap().key,
            "haproxy.org/rate-limit-requests"
        );

        let m = map(&[
            ("haproxy.com/rate-limit-requests", "10"),
            ("haproxy.org/rate-limit-requests", "1000"),
        ]);
        let err = lookup(&m, requests).unwrap_err();
        assert!(err.contains("different values"), "{err}");

        // haproxy-ingress's limit-rps is not ingress-nginx's.
        let m = map(&[("nginx.ingress.kubernetes.io/limit-rps", "10")]);
        let rps = find(Kind::HaproxyIngress, Role::Rps).unwrap();
        assert_eq!(lookup(&m, rps).unwrap(), None);
    }

    #[test]
    fn every_kind_has_a_limit_annotation() {
        for kind in Kind::ALL {
            assert!(
                of(kind)
                    .any(|a| a.role.is_limit()
                        || matches!(a.role, Role::Middlewares | Role::Plugins)),
                "{kind:?} has no limit"
            );
        }
    }

    #[test]
    fn readme_lists_every_annotation() {
        let rows = readme_rows();
        for a in ANNOTATIONS {
            for key in a.keys() {
                assert!(rows.contains(&key), "{key}");
            }
        }
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&rows),
            "README.md's annotation table is out of date; paste:\n{rows}"
        );
    }
}
