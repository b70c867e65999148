//! The `rate-limit-annotations` rules: a pure function from the request and settings to a
//! verdict.

use netsec_shared::annotations::{
    BoolSyntax, RatePer, parse_digits, parse_haproxy_time_ms, parse_nginx_rate, split_list,
};
use netsec_shared::ingress::Ingress;
use netsec_shared::net::{Family, family, normalize, parse_ip_or_cidr};
use netsec_shared::request::StringMap;
use netsec_shared::{AdmissionRequest, Findings, Operation, Verdict};
use serde_json::{Map, Value};

use crate::controllers::{self, Annotation, Kind, Role};
use crate::settings::{Measure, Settings, UnknownClass};

/// haproxytech's `rate-limit-period` when the annotation is absent.
const HAPROXY_DEFAULT_PERIOD_MS: u64 = 1_000;
/// ingress-nginx's burst multiplier when `limit-burst-multiplier` is absent.
const NGINX_DEFAULT_BURST_MULTIPLIER: u64 = 5;

pub fn evaluate(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Verdict::accept();
    }
    // The policy's rules select Ingress only; anything else is not its to judge.
    let kind = request.kind.kind.as_ref();
    if !kind.is_empty() && kind != "Ingress" {
        return Verdict::accept();
    }
    if settings.exempt_namespaces.contains(&request.namespace) {
        return Verdict::accept();
    }
    let ingress: Ingress = match request.object("an Ingress") {
        Ok(ingress) => ingress,
        Err(message) => return Verdict::reject(message),
    };
    if let Some(other) = ingress.kind.as_deref().filter(|k| *k != "Ingress") {
        return Verdict::reject(format!(
            "the object is a {other}, not an Ingress; this policy validates Ingress objects only"
        ));
    }
    check(request, &ingress, settings)
}

/// All the rules over a parsed Ingress; `request` supplies the raw object to mutate.
pub fn check(
    request: &AdmissionRequest<'_>,
    ingress: &Ingress<'_>,
    settings: &Settings,
) -> Verdict {
    let mut findings = Findings::new();
    let Some(kind) = controller(&mut findings, ingress, settings) else {
        return findings.into_verdict();
    };
    let annotations = &ingress.metadata.annotations;
    let seen = inspect(&mut findings, kind, annotations, settings);
    if seen.limited {
        if kind.limits_per_replica() && !seen.scaled {
            findings.warn(per_replica_warning(kind));
        }
        return findings.into_verdict();
    }
    let additions = match defaults_for(kind, annotations, settings) {
        Ok(additions) => additions,
        Err(why) => {
            findings.violation("metadata.annotations", why);
            return findings.into_verdict();
        }
    };
    if !settings.mutate || findings.has_violations() {
        findings.violation(
            "metadata.annotations",
            format!(
                "has no rate limit that {} applies, so any client may send requests without \
                 limit; add {}",
                kind.label(),
                describe(&additions)
            ),
        );
        return findings.into_verdict();
    }
    match with_annotations(request, &additions) {
        Ok(object) => {
            findings.warn(format!(
                "the Ingress had no rate limit for {}, so the policy added {}",
                kind.label(),
                describe(&additions)
            ));
            if kind.limits_per_replica() {
                findings.warn(per_replica_warning(kind));
            }
            findings.into_mutation(object)
        }
        Err(message) => Verdict::reject(message),
    }
}

/// The controller kind serving the Ingress, or `None` with the finding about its class.
fn controller(findings: &mut Findings, ingress: &Ingress<'_>, settings: &Settings) -> Option<Kind> {
    let classes = ingress.classes();
    let named = classes.first().filter(|(_, class)| !class.is_empty());
    if let Some((_, class)) = named
        && let Some(kind) = settings.controllers.get(*class)
    {
        return Some(*kind);
    }
    let mapped: Vec<String> = settings
        .controllers
        .iter()
        .map(|(class, kind)| format!("{class} ({})", kind.name()))
        .collect();
    let mapped = if mapped.is_empty() {
        "none".to_string()
    } else {
        mapped.join(", ")
    };
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let (path, what) = match named {
        Some((source, class)) => (
            source.path(),
            format!("{class:?} is an ingress class the policy does not map to a controller"),
        ),
        None => (
            "spec.ingressClassName".to_string(),
            "is not set and no kubernetes.io/ingress.class annotation names a class, so the \
             controller that serves the Ingress is unknown"
                .to_string(),
        ),
    };
    match settings.unknown_class {
        UnknownClass::Reject => findings.violation(
            path,
            format!(
                "{what}, so its rate limits cannot be checked; use a mapped class ({mapped}), or \
                 have the policy's controllers setting map the class to its kind ({})",
                kinds.join(", ")
            ),
        ),
        UnknownClass::Accept => findings.warn(format!(
            "{path} {what}; its rate limits were not checked (map the class in the policy's \
             controllers setting to check them)"
        )),
    }
    None
}

/// What the annotations of the controller say.
#[derive(Default)]
struct Seen {
    /// A limit annotation is present (a broken one is reported on its own, not as missing).
    limited: bool,
    /// nginx-inc divides its rate among the replicas.
    scaled: bool,
    /// ingress-nginx: a valid rps or rpm, so a burst applies.
    nginx_rate: bool,
    burst_multiplier_set: bool,
    /// nginx-inc rate count, with its text.
    inc_rate: Option<(u64, String)>,
    /// nginx-inc burst: path and value.
    inc_burst: Option<(String, u64)>,
    /// haproxytech requests: path, value text, count.
    requests: Option<(String, String, u64)>,
    /// haproxytech period: value text and milliseconds; `None` with `period_broken` when invalid.
    period: Option<(String, u64)>,
    period_broken: bool,
}

fn inspect(
    findings: &mut Findings,
    kind: Kind,
    annotations: &StringMap<'_>,
    settings: &Settings,
) -> Seen {
    let mut seen = Seen::default();
    for annotation in controllers::of(kind) {
        let is_limit = matches!(
            annotation.role,
            Role::Rps | Role::Rpm | Role::Connections | Role::NginxRate | Role::Requests
        );
        let present = match controllers::lookup(annotations, annotation) {
            Ok(Some(present)) => present,
            Ok(None) => continue,
            Err(why) => {
                findings.violation("metadata.annotations", why);
                seen.limited |= is_limit;
                seen.period_broken |= annotation.role == Role::Period;
                continue;
            }
        };
        seen.limited |= is_limit;
        let path = annotation_path(&present.key);
        let value = present.value;
        match annotation.role {
            Role::Rps | Role::Rpm | Role::Connections => match positive(value) {
                Some(n) => {
                    let measure = match annotation.role {
                        Role::Rps => Measure::Rps,
                        Role::Rpm => Measure::Rpm,
                        _ => Measure::Connections,
                    };
                    seen.nginx_rate |= measure != Measure::Connections;
                    check_bound(
                        findings,
                        settings,
                        &path,
                        &format!("{value:?}"),
                        measure,
                        (n, 1),
                        |side, bound| format!("{side} it to {bound}"),
                    );
                }
                None => invalid(findings, &path, annotation, value),
            },
            Role::BurstMultiplier => match positive(value) {
                Some(n) => {
                    seen.burst_multiplier_set = true;
                    let max = settings.bounds.burst_multiplier.max;
                    if i128::from(n) > i128::from(max) {
                        findings.violation(
                            &path,
                            format!(
                                "{value:?} lets bursts of {n} times the rate through before the \
                                 limit applies, above the maximum multiplier of {max} \
                                 (bounds.burstMultiplier.max); set it to at most {max}"
                            ),
                        );
                    }
                }
                None => invalid(findings, &path, annotation, value),
            },
            Role::NginxRate => match parse_nginx_rate(value).filter(|(n, _)| *n >= 1) {
                Some((n, per)) => {
                    let (measure, suffix) = match per {
                        RatePer::Second => (Measure::Rps, "r/s"),
                        RatePer::Minute => (Measure::Rpm, "r/m"),
                    };
                    seen.inc_rate = Some((n, value.to_string()));
                    check_bound(
                        findings,
                        settings,
                        &path,
                        &format!("{value:?}"),
                        measure,
                        (n, 1),
                        |side, bound| format!("{side} it to \"{bound}{suffix}\""),
                    );
                }
                None => invalid(findings, &path, annotation, value),
            },
            Role::NginxBurst => match parse_digits(value) {
                Some(n) => seen.inc_burst = Some((path, n)),
                None => invalid(findings, &path, annotation, value),
            },
            Role::NginxScale => match BoolSyntax::Go.parse(value) {
                Some(scale) => seen.scaled = scale,
                None => invalid(findings, &path, annotation, value),
            },
            Role::Requests => match positive(value) {
                Some(n) => seen.requests = Some((path, value.to_string(), n)),
                None => invalid(findings, &path, annotation, value),
            },
            Role::Period => match parse_haproxy_time_ms(value).filter(|ms| *ms > 0) {
                Some(ms) => seen.period = Some((value.to_string(), ms)),
                None => {
                    seen.period_broken = true;
                    invalid(findings, &path, annotation, value);
                }
            },
            Role::Allowlist => check_allowlist(findings, settings, kind, &path, value),
            Role::Middlewares => {
                let wanted = &settings.traefik_rate_limit_middlewares;
                seen.limited |= split_list(value).any(|m| wanted.iter().any(|w| w == m));
            }
            Role::Plugins => {
                let wanted = &settings.kong_rate_limit_plugins;
                seen.limited |= split_list(value).any(|p| wanted.iter().any(|w| w == p));
            }
        }
    }
    check_bursts(findings, kind, settings, &seen);
    check_haproxy_rate(findings, settings, &seen);
    seen
}

/// A limit value: a whole number of at least 1 (0 turns the limit off in every controller).
fn positive(value: &str) -> Option<u64> {
    parse_digits(value).filter(|n| *n >= 1)
}

fn annotation_path(key: &str) -> String {
    format!("metadata.annotations[{key}]")
}

fn invalid(findings: &mut Findings, path: &str, annotation: &Annotation, value: &str) {
    let zero = matches!(
        annotation.role,
        Role::Rps | Role::Rpm | Role::Connections | Role::Requests
    ) && parse_digits(value) == Some(0);
    let why = if zero {
        "turns the limit off".to_string()
    } else {
        format!("is not a value {} can read", annotation.kind.label())
    };
    findings.violation(
        path,
        format!("{value:?} {why}; use {}", annotation.role.format()),
    );
}

/// Below the minimum or above the maximum.
#[derive(Clone, Copy)]
enum Side {
    Raise,
    Lower,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Raise => "raise",
            Side::Lower => "lower",
        })
    }
}

/// Checks `amount` (numerator, denominator) of `measure` against its bounds; `fix` says how to
/// reach the bound (`Side`, bound value).
fn check_bound(
    findings: &mut Findings,
    settings: &Settings,
    path: &str,
    shown: &str,
    measure: Measure,
    amount: (u64, u64),
    fix: impl Fn(Side, i64) -> String,
) {
    let (min, max) = settings.bounds.range(measure);
    let (num, den) = (i128::from(amount.0), i128::from(amount.1));
    let (side, bound, relation) = if num < i128::from(min) * den {
        (Side::Raise, min, "below the minimum")
    } else if num > i128::from(max) * den {
        (Side::Lower, max, "above the maximum")
    } else {
        return;
    };
    findings.violation(
        path,
        format!(
            "{shown} is {} {}, {relation} of {bound} ({}); {}",
            ratio(amount.0, amount.1),
            measure.unit(),
            measure.setting(),
            fix(side, bound)
        ),
    );
}

/// `num / den` for people: a whole number, or up to three decimals.
fn ratio(num: u64, den: u64) -> String {
    let (num, den) = (u128::from(num), u128::from(den.max(1)));
    let whole = num / den;
    let thousandths = (num % den) * 1000 / den;
    if thousandths == 0 && num % den == 0 {
        return whole.to_string();
    }
    let mut text = format!("{whole}.{thousandths:03}");
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        // Less than a thousandth: say so rather than print a misleading zero.
        return format!("about {whole}");
    }
    text
}

/// Burst limits: ingress-nginx's multiplier (5 when absent), nginx-inc's burst over its rate.
fn check_bursts(findings: &mut Findings, kind: Kind, settings: &Settings, seen: &Seen) {
    let max = settings.bounds.burst_multiplier.max;
    if kind == Kind::IngressNginx
        && seen.nginx_rate
        && !seen.burst_multiplier_set
        && i128::from(NGINX_DEFAULT_BURST_MULTIPLIER) > i128::from(max)
        && let Some(annotation) = controllers::find(kind, Role::BurstMultiplier)
    {
        findings.violation(
            annotation_path(&annotation.key()),
            format!(
                "is not set, so ingress-nginx lets bursts of {NGINX_DEFAULT_BURST_MULTIPLIER} \
                 times the rate through, above the maximum multiplier of {max} \
                 (bounds.burstMultiplier.max); set it to at most {max}"
            ),
        );
    }
    if let (Some((rate, rate_text)), Some((path, burst))) = (&seen.inc_rate, &seen.inc_burst)
        && i128::from(*burst) > i128::from(*rate) * i128::from(max)
    {
        findings.violation(
            path,
            format!(
                "\"{burst}\" is {} times the rate of {rate_text:?}, above the maximum multiplier \
                 of {max} (bounds.burstMultiplier.max); set it to at most {}",
                ratio(*burst, *rate),
                i128::from(*rate) * i128::from(max)
            ),
        );
    }
}

/// haproxytech counts `rate-limit-requests` over `rate-limit-period`; the bound is per second.
fn check_haproxy_rate(findings: &mut Findings, settings: &Settings, seen: &Seen) {
    let Some((path, text, requests)) = &seen.requests else {
        return;
    };
    if seen.period_broken {
        return;
    }
    let (shown, period_ms) = match &seen.period {
        Some((period, ms)) => (format!("{text:?} per rate-limit-period {period:?}"), *ms),
        None => (
            format!("{text:?} per the default rate-limit-period of 1s"),
            HAPROXY_DEFAULT_PERIOD_MS,
        ),
    };
    let amount = (requests.saturating_mul(1_000), period_ms);
    check_bound(
        findings,
        settings,
        path,
        &shown,
        Measure::Rps,
        amount,
        |side, bound| {
            let per_period = i128::from(bound) * i128::from(period_ms);
            match side {
                Side::Lower if per_period >= 1_000 => format!(
                    "lower rate-limit-requests to at most {} for this period, or lengthen the period",
                    per_period / 1_000
                ),
                Side::Lower => "lengthen rate-limit-period".to_string(),
                Side::Raise => format!(
                    "raise rate-limit-requests to at least {} for this period, or shorten the period",
                    (per_period + 999) / 1_000
                ),
            }
        },
    );
}

/// Allow-list entries bypass the limit: each must be an address or a narrow block.
fn check_allowlist(
    findings: &mut Findings,
    settings: &Settings,
    kind: Kind,
    path: &str,
    value: &str,
) {
    let min = settings.min_allowlist_prefix;
    for entry in split_list(value) {
        if kind == Kind::Haproxy && entry.starts_with("patterns/") {
            findings.violation(
                path,
                format!(
                    "entry {entry:?} names a pattern file whose addresses the policy cannot see, \
                     so it may exempt any client from the limit; list the addresses in the \
                     annotation instead"
                ),
            );
            continue;
        }
        let net = match parse_ip_or_cidr(entry) {
            Ok(net) => normalize(&net),
            Err(why) => {
                findings.violation(
                    path,
                    format!(
                        "entry {why}, so {} rejects the list; use IP addresses or CIDR blocks \
                         such as 10.1.0.0/16",
                        kind.label()
                    ),
                );
                continue;
            }
        };
        let prefix = i64::from(net.prefix_len());
        let (least, setting, family_name) = match family(&net) {
            Family::V4 => (min.ipv4, "minAllowlistPrefix.ipv4", "IPv4"),
            Family::V6 => (min.ipv6, "minAllowlistPrefix.ipv6", "IPv6"),
        };
        if prefix == 0 {
            findings.violation(
                path,
                format!(
                    "entry {entry:?} is every {family_name} address, so it exempts every client \
                     from the rate limit; list only the clients that need the exemption"
                ),
            );
        } else if prefix < least {
            findings.violation(
                path,
                format!(
                    "entry {entry:?} is a /{prefix} block, broader than the /{least} the policy \
                     allows for {family_name} ({setting}), so it exempts too many clients from \
                     the rate limit; list narrower blocks"
                ),
            );
        }
    }
}

fn per_replica_warning(kind: Kind) -> String {
    let scale = if kind == Kind::NginxInc {
        ", or set nginx.org/limit-req-scale: \"true\" to divide the rate among the replicas"
    } else {
        ""
    };
    format!(
        "{} counts these rate limits in each controller replica separately, so the effective \
         cluster-wide rate is unknown: it is the limit times the number of replicas, and grows \
         when the controller scales out; size the limit for one replica{scale}",
        kind.label()
    )
}

/// The annotations that give the Ingress the policy's default limit, or why there are none.
fn defaults_for(
    kind: Kind,
    annotations: &StringMap<'_>,
    settings: &Settings,
) -> Result<Vec<(String, String)>, String> {
    let rps = settings.defaults.rps;
    let multiplier = settings.defaults.burst_multiplier;
    let key = |role| {
        controllers::find(kind, role)
            .map(|a| a.key())
            .unwrap_or_default()
    };
    let additions = match kind {
        Kind::IngressNginx => {
            let mut add = vec![(key(Role::Rps), rps.to_string())];
            let burst = key(Role::BurstMultiplier);
            // An explicit multiplier has been checked already; the user's choice stays.
            if !annotations.contains_key(burst.as_str()) {
                add.push((burst, multiplier.to_string()));
            }
            add
        }
        Kind::NginxInc => vec![
            (key(Role::NginxRate), format!("{rps}r/s")),
            (
                key(Role::NginxBurst),
                (i128::from(rps) * i128::from(multiplier)).to_string(),
            ),
        ],
        Kind::Haproxy => {
            let mut add = vec![(key(Role::Requests), rps.to_string())];
            // Every spelling of the period is set, so no other prefix contradicts the 1s.
            if let Some(period) = controllers::find(kind, Role::Period) {
                for (i, period_key) in period.keys().enumerate() {
                    if i == 0 || annotations.contains_key(period_key.as_str()) {
                        add.push((period_key, "1s".to_string()));
                    }
                }
            }
            add
        }
        Kind::HaproxyIngress => vec![(key(Role::Rps), rps.to_string())],
        Kind::Traefik => vec![list_addition(
            key(Role::Middlewares),
            annotations,
            &settings.traefik_rate_limit_middlewares,
            "traefikRateLimitMiddlewares",
            "rateLimit middleware",
        )?],
        Kind::Kong => vec![list_addition(
            key(Role::Plugins),
            annotations,
            &settings.kong_rate_limit_plugins,
            "kongRateLimitPlugins",
            "rate-limiting KongPlugin",
        )?],
    };
    Ok(additions)
}

/// The list annotation with the first configured rate limiter appended.
fn list_addition(
    key: String,
    annotations: &StringMap<'_>,
    configured: &[String],
    setting: &str,
    what: &str,
) -> Result<(String, String), String> {
    let Some(first) = configured.first() else {
        return Err(format!(
            "has no rate limit, and the policy knows no {what} to require ({setting} is empty); \
             ask the policy's administrator to list the {what}s in {setting}, then reference \
             one in {key}"
        ));
    };
    let current = annotations
        .get(key.as_str())
        .map(|v| v.trim())
        .unwrap_or("");
    let value = if current.is_empty() {
        first.clone()
    } else {
        format!("{current},{first}")
    };
    Ok((key, value))
}

fn describe(additions: &[(String, String)]) -> String {
    additions
        .iter()
        .map(|(key, value)| format!("{key}: {value:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The request's object with `additions` set in its annotations.
fn with_annotations(
    request: &AdmissionRequest<'_>,
    additions: &[(String, String)],
) -> Result<Value, String> {
    let raw = request
        .object
        .ok_or("the request carries no object to add the rate limit to")?;
    let mut object: Value = serde_json::from_str(raw.get())
        .map_err(|e| format!("the object cannot be read to add the rate limit: {e}"))?;
    let root = object
        .as_object_mut()
        .ok_or("the object is not a JSON object, so the rate limit cannot be added")?;
    let metadata = object_entry(root, "metadata")?;
    let annotations = object_entry(metadata, "annotations")?;
    for (key, value) in additions {
        annotations.insert(key.clone(), Value::String(value.clone()));
    }
    Ok(object)
}

/// The map under `key`, created when absent or null.
fn object_entry<'v>(
    map: &'v mut Map<String, Value>,
    key: &str,
) -> Result<&'v mut Map<String, Value>, String> {
    let entry = map.entry(key).or_insert(Value::Null);
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry
        .as_object_mut()
        .ok_or_else(|| format!("{key} is not a map, so the rate limit cannot be added"))
}
