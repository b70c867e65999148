//! The `rate-limit-annotations` rules: a pure function from the request and settings to a
//! verdict.

use netsec_shared::acme::solver_ingress;
use netsec_shared::annotations::{
    BoolSyntax, RatePer, parse_digits, parse_haproxy_time_ms, parse_nginx_rate, split_list,
};
use netsec_shared::ingress::Ingress;
use netsec_shared::net::{Family, family, normalize, parse_ip_or_cidr};
use netsec_shared::request::StringMap;
use netsec_shared::review::ingress_under_review;
use netsec_shared::{AdmissionRequest, Findings, Verdict};
use serde_json::{Map, Value};

use crate::controllers::{self, Annotation, Kind, Role};
use crate::gateway;
use crate::settings::{Measure, Settings, UnknownClass};
use netsec_shared::cluster::Cluster;
use netsec_shared::controllers::{Unresolved, resolve};

/// haproxytech's `rate-limit-period` when the annotation is absent.
const HAPROXY_DEFAULT_PERIOD_MS: u64 = 1_000;
/// ingress-nginx's burst multiplier when `limit-burst-multiplier` is absent.
const NGINX_DEFAULT_BURST_MULTIPLIER: u64 = 5;

/// Ingress, or with `gatewayAPI` set, a Gateway API route or a rate-limit policy; `cluster`
/// answers the rate-limit policies that cover a route.
pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    if let Some(verdict) = gateway::evaluate(request, settings, cluster) {
        return verdict;
    }
    match ingress_under_review(request, &settings.exempt_namespaces) {
        Ok(Some(ingress)) => {
            let verdict = check(request, &ingress, settings);
            if let Verdict::Accept { .. } = verdict {
                return verdict;
            }
            // An ACME HTTP-01 solver (see netsec_shared::acme) serves one token to the
            // certificate authority for a few minutes and carries no rate limit (cert-manager's
            // `buildIngressResource` writes none): neither rejected nor changed, or the
            // certificate could never be issued. Read only for an Ingress that would be.
            match solver_ingress(request) {
                Ok(()) => Verdict::accept(),
                Err(_) => verdict,
            }
        }
        Ok(None) => Verdict::accept(),
        Err(rejection) => rejection,
    }
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
        let choices = limiters(kind, settings).map_or(&[][..], |(_, names, ..)| names);
        let others = if choices.len() > 1 {
            format!(" (any of {} counts)", choices.join(", "))
        } else {
            String::new()
        };
        findings.violation(
            "metadata.annotations",
            format!(
                "has no rate limit that {} applies, so any client may send requests without \
                 limit; add {}{others}",
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
    let unresolved = match resolve(ingress, &settings.controllers) {
        Ok(kind) => return Some(kind),
        Err(unresolved) => unresolved,
    };
    let Unresolved { path, what } = &unresolved;
    match settings.unknown_class {
        UnknownClass::Reject => findings.violation(
            path.clone(),
            format!(
                "{what}, so its rate limits cannot be checked; {}",
                unresolved.remedy(&settings.controllers)
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
        let is_limit = annotation.role.is_limit();
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
                    check_value(findings, settings, &path, value, measure, n, "");
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
                                 (bounds.burstMultiplier.max); set it to at most \"{max}\""
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
                    check_value(findings, settings, &path, value, measure, n, suffix);
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
            Role::Middlewares | Role::Plugins => {
                if let Some((_, wanted, ..)) = limiters(kind, settings) {
                    seen.limited |= split_list(value).any(|m| wanted.iter().any(|w| w == m));
                }
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
    let zero = annotation.role.is_limit() && parse_digits(value) == Some(0);
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
pub(crate) enum Side {
    Raise,
    Lower,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Raise => "raise it to at least",
            Side::Lower => "lower it to at most",
        })
    }
}

/// Checks `amount` (numerator, denominator) of `measure` against its bounds; `fix` says how to
/// reach the bound (`Side`, bound value).
pub(crate) fn check_bound(
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

/// A count written as the annotation's whole value (`suffix` after the number, as in `10r/s`).
fn check_value(
    findings: &mut Findings,
    settings: &Settings,
    path: &str,
    value: &str,
    measure: Measure,
    count: u64,
    suffix: &str,
) {
    let shown = format!("{value:?}");
    check_bound(
        findings,
        settings,
        path,
        &shown,
        measure,
        (count, 1),
        |side, bound| format!("{side} \"{bound}{suffix}\""),
    );
}

/// `num / den` for people: a whole number, or up to three decimals.
fn ratio(num: u64, den: u64) -> String {
    let den = den.max(1);
    let whole = num / den;
    if num.is_multiple_of(den) {
        return whole.to_string();
    }
    // A denominator too large to scale only comes with absurd periods; show the whole part.
    let thousandths = (num % den).checked_mul(1000).map_or(0, |x| x / den);
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
                 (bounds.burstMultiplier.max); set it to at most \"{max}\""
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
                 of {max} (bounds.burstMultiplier.max); set it to at most \"{}\"",
                ratio(*burst, *rate),
                rate.saturating_mul(max.unsigned_abs())
            ),
        );
    }
}

/// haproxytech counts `rate-limit-requests` over `rate-limit-period`. The limit is judged in
/// the unit its period is written in: a period in minutes against `bounds.rpm`, in seconds (and
/// the default 1s) against `bounds.rps`; any other unit (ms, h, d, or none, which is ms) against
/// the nearer of the two, which the message says.
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
    let (measure, unit_ms, shown) = match period_unit(seen.period.as_ref().map(|p| p.0.as_str())) {
        Some(measure) => (measure, unit_ms(measure), shown),
        None => {
            // Nearer on a log scale: below about 7.7 s (the geometric mean of 1 s and 1 min)
            // a second is nearer.
            let measure = if period_ms < 7_746 {
                Measure::Rps
            } else {
                Measure::Rpm
            };
            let unit = if measure == Measure::Rps {
                "second"
            } else {
                "minute"
            };
            (
                measure,
                unit_ms(measure),
                format!("{shown} (judged per {unit}, the unit nearer to the period)"),
            )
        }
    };
    let amount = (requests.saturating_mul(unit_ms), period_ms);
    check_bound(
        findings,
        settings,
        path,
        &shown,
        measure,
        amount,
        |side, bound| {
            let per_period = u128::from(bound.unsigned_abs()) * u128::from(period_ms);
            let unit = u128::from(unit_ms);
            match side {
                Side::Lower if per_period >= unit => format!(
                    "lower rate-limit-requests to at most {} for this period, or lengthen the period",
                    per_period / unit
                ),
                Side::Lower => "lengthen rate-limit-period".to_string(),
                Side::Raise => format!(
                    "raise rate-limit-requests to at least {} for this period, or shorten the period",
                    per_period.div_ceil(unit)
                ),
            }
        },
    );
}

/// The bound a haproxytech period written as `period` is judged against: minutes (`1m`) per
/// minute, seconds (`10s`, and the default) per second; `None` for the other units.
fn period_unit(period: Option<&str>) -> Option<Measure> {
    let Some(period) = period else {
        return Some(Measure::Rps);
    };
    if period.ends_with("ms") {
        None
    } else if period.ends_with('s') {
        Some(Measure::Rps)
    } else if period.ends_with('m') {
        Some(Measure::Rpm)
    } else {
        None
    }
}

fn unit_ms(measure: Measure) -> u64 {
    if measure == Measure::Rpm {
        60_000
    } else {
        1_000
    }
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
                // ingress-nginx reads the list with the limits: a bad entry drops them all.
                let consequence = if kind == Kind::IngressNginx {
                    ", and with it the Ingress's rate limits"
                } else {
                    ""
                };
                findings.violation(
                    path,
                    format!(
                        "entry {why}, so {} rejects the list{consequence}; use IP addresses or \
                         CIDR blocks such as 10.1.0.0/16",
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
                rps.saturating_mul(multiplier).to_string(),
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
        Kind::Traefik | Kind::Kong => vec![list_addition(kind, annotations, settings)?],
    };
    Ok(additions)
}

/// Traefik's and Kong's rate limiters: the list annotation's role, the configured names, the
/// setting that lists them, and what they are.
fn limiters(
    kind: Kind,
    settings: &Settings,
) -> Option<(Role, &[String], &'static str, &'static str)> {
    match kind {
        Kind::Traefik => Some((
            Role::Middlewares,
            &settings.traefik_rate_limit_middlewares,
            "traefikRateLimitMiddlewares",
            "rateLimit middleware",
        )),
        Kind::Kong => Some((
            Role::Plugins,
            &settings.kong_rate_limit_plugins,
            "kongRateLimitPlugins",
            "rate-limiting KongPlugin",
        )),
        _ => None,
    }
}

/// The list annotation with the first configured rate limiter appended.
fn list_addition(
    kind: Kind,
    annotations: &StringMap<'_>,
    settings: &Settings,
) -> Result<(String, String), String> {
    let Some((role, configured, setting, what)) = limiters(kind, settings) else {
        return Err(format!("{} takes no list of rate limiters", kind.label()));
    };
    let key = controllers::find(kind, role)
        .map(|a| a.key())
        .unwrap_or_default();
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
        .raw_object()
        .ok_or("the request carries no object to add the rate limit to")?;
    let mut object: Value = netsec_shared::json::value(raw.get())
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

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::review::ingress_payload;
    use serde_json::json;

    fn run_op(object: Value, settings: Value, operation: &str) -> Verdict {
        let payload = ingress_payload(&object, &settings, operation);
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(
            &p.request,
            &p.settings,
            &netsec_shared::cluster::MemoryCluster::default(),
        )
    }

    fn run(object: Value, settings: Value) -> Verdict {
        run_op(object, settings, "CREATE")
    }

    fn ingress(class: &str, annotations: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "shop", "namespace": "team-a", "annotations": annotations},
               "spec": {"ingressClassName": class, "rules": [{"host": "shop.example.com"}]}})
    }

    /// (verdict accepted, text that must appear in the message or, when accepted, a warning).
    fn expect(v: &Verdict, allowed: bool, text: &str, name: &str) {
        assert_eq!(v.is_accepted(), allowed, "{name}: {v:?}");
        if text.is_empty() {
            return;
        }
        let haystack = match v.message() {
            Some(m) => m,
            None => v.warnings().join("\n"),
        };
        assert!(haystack.contains(text), "{name}: {haystack}");
    }

    #[test]
    fn table() {
        // name | class | annotations | settings | accept or reject | text in the message (or,
        // when accepted, in a warning).
        let table = r#"
nginx rps | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20"} | {} | accept | each controller replica
nginx none | nginx | {} | {} | reject | add nginx.ingress.kubernetes.io/limit-rps: "20"
nginx rps too high | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "5000"} | {} | reject | "5000" is 5000 requests per second, above the maximum of 1000 (bounds.rps); lower it to at most "1000"
nginx rpm too low | nginx | {"nginx.ingress.kubernetes.io/limit-rpm": "30"} | {"bounds": {"rpm": {"min": 60}}} | reject | below the minimum of 60 (bounds.rpm)
nginx connections | nginx | {"nginx.ingress.kubernetes.io/limit-connections": "2000"} | {} | reject | concurrent connections per client, above
nginx wrong format | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "10r/s"} | {} | reject | [nginx.ingress.kubernetes.io/limit-rps] "10r/s" is not a value ingress-nginx can read; use a whole number
nginx zero | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "0"} | {} | reject | "0" turns the limit off
nginx burst | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20", "nginx.ingress.kubernetes.io/limit-burst-multiplier": "20"} | {} | reject | above the maximum multiplier of 10
nginx implicit burst | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20"} | {"bounds": {"burstMultiplier": {"max": 3}}} | reject | limit-burst-multiplier] is not set, so ingress-nginx lets bursts of 5
nginx connections have no burst | nginx | {"nginx.ingress.kubernetes.io/limit-connections": "20"} | {"bounds": {"burstMultiplier": {"max": 3}}} | accept | 
inc rate | inc | {"nginx.org/limit-req-rate": "10r/s"} | {"controllers": {"inc": "nginx-inc"}} | accept | limit-req-scale
inc per minute | inc | {"nginx.org/limit-req-rate": "70000r/m"} | {"controllers": {"inc": "nginx-inc"}} | reject | 70000 requests per minute, above the maximum of 60000 (bounds.rpm); lower it to at most "60000r/m"
inc bad | inc | {"nginx.org/limit-req-rate": "10"} | {"controllers": {"inc": "nginx-inc"}} | reject | use a rate such as "10r/s"
inc burst | inc | {"nginx.org/limit-req-rate": "10r/s", "nginx.org/limit-req-burst": "150"} | {"controllers": {"inc": "nginx-inc"}} | reject | "150" is 15 times the rate of "10r/s"
inc scaled has no warning | inc | {"nginx.org/limit-req-rate": "10r/s", "nginx.org/limit-req-scale": "true"} | {"controllers": {"inc": "nginx-inc"}} | accept | 
haproxy default period | haproxy | {"haproxy.org/rate-limit-requests": "20"} | {} | accept | 
haproxy period normalised | haproxy | {"haproxy.org/rate-limit-requests": "100", "haproxy.org/rate-limit-period": "10s"} | {"bounds": {"rps": {"max": 5}}} | reject | "100" per rate-limit-period "10s" is 10 requests per second, above the maximum of 5 (bounds.rps); lower rate-limit-requests to at most 50
haproxy per minute | haproxy | {"ingress.kubernetes.io/rate-limit-requests": "30", "haproxy.com/rate-limit-period": "1m"} | {} | accept | 
haproxy per minute above rpm | haproxy | {"haproxy.org/rate-limit-requests": "30", "haproxy.org/rate-limit-period": "1m"} | {"bounds": {"rpm": {"max": 20}}} | reject | "30" per rate-limit-period "1m" is 30 requests per minute, above the maximum of 20 (bounds.rpm); lower rate-limit-requests to at most 20
haproxy per 5 minutes | haproxy | {"haproxy.org/rate-limit-requests": "100", "haproxy.org/rate-limit-period": "5m"} | {"bounds": {"rpm": {"min": 30}}} | reject | is 20 requests per minute, below the minimum of 30 (bounds.rpm); raise rate-limit-requests to at least 150
haproxy seconds stay per second | haproxy | {"haproxy.org/rate-limit-requests": "30", "haproxy.org/rate-limit-period": "60s"} | {} | reject | is 0.5 requests per second, below the minimum of 1 (bounds.rps); raise rate-limit-requests to at least 60
haproxy hour nearer minute | haproxy | {"haproxy.org/rate-limit-requests": "600", "haproxy.org/rate-limit-period": "1h"} | {"bounds": {"rpm": {"min": 20}}} | reject | "600" per rate-limit-period "1h" (judged per minute, the unit nearer to the period) is 10 requests per minute, below the minimum of 20 (bounds.rpm)
haproxy hour accepted | haproxy | {"haproxy.org/rate-limit-requests": "600", "haproxy.org/rate-limit-period": "1h"} | {} | accept | 
haproxy millis nearer second | haproxy | {"haproxy.org/rate-limit-requests": "1000", "haproxy.org/rate-limit-period": "500ms"} | {"bounds": {"rps": {"max": 100}}} | reject | (judged per second, the unit nearer to the period) is 2000 requests per second, above the maximum of 100 (bounds.rps); lower rate-limit-requests to at most 50
haproxy bad period | haproxy | {"haproxy.org/rate-limit-requests": "30", "haproxy.org/rate-limit-period": "1.5s"} | {} | reject | rate-limit-period] "1.5s" is not a value
haproxy conflict | haproxy | {"haproxy.org/rate-limit-requests": "30", "haproxy.com/rate-limit-requests": "3000"} | {} | reject | rate-limit-requests is set under several prefixes
haproxy-ingress | hi | {"haproxy-ingress.github.io/limit-rps": "20"} | {"controllers": {"hi": "haproxy-ingress"}} | accept | each controller replica
haproxy-ingress ignores nginx keys | hi | {"nginx.ingress.kubernetes.io/limit-rps": "20"} | {"controllers": {"hi": "haproxy-ingress"}} | reject | haproxy-ingress.github.io/limit-rps
traefik | traefik | {"traefik.ingress.kubernetes.io/router.middlewares": "team-a-auth@kubernetescrd, team-a-rl@kubernetescrd"} | {"traefikRateLimitMiddlewares": ["team-a-rl@kubernetescrd"]} | accept | 
traefik other middleware | traefik | {"traefik.ingress.kubernetes.io/router.middlewares": "team-a-auth@kubernetescrd"} | {"traefikRateLimitMiddlewares": ["team-a-rl@kubernetescrd"]} | reject | team-a-auth@kubernetescrd,team-a-rl@kubernetescrd
traefik nothing configured | traefik | {} | {} | reject | traefikRateLimitMiddlewares is empty
kong | kong | {"konghq.com/plugins": "rl"} | {"kongRateLimitPlugins": ["rl"]} | accept | 
kong missing | kong | {"konghq.com/plugins": "cors"} | {"kongRateLimitPlugins": ["rl"]} | reject | konghq.com/plugins: "cors,rl"
allowlist ok | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20", "nginx.ingress.kubernetes.io/limit-whitelist": "10.1.0.0/16, 192.0.2.7,2001:db8:1::/48"} | {} | accept | 
allowlist everyone | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20", "nginx.ingress.kubernetes.io/limit-allowlist": "0.0.0.0/0"} | {"minAllowlistPrefix": {"ipv4": 0}} | reject | exempts every client
allowlist mapped everyone | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20", "nginx.ingress.kubernetes.io/limit-whitelist": "::ffff:0:0/96"} | {} | reject | exempts every client
allowlist broad | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "20", "nginx.ingress.kubernetes.io/limit-whitelist": "10.0.0.0/8"} | {} | reject | is a /8 block, broader than the /16
allowlist broad v6 | hi | {"haproxy-ingress.github.io/limit-rps": "20", "haproxy-ingress.github.io/limit-whitelist": "2001:db8::/32"} | {"controllers": {"hi": "haproxy-ingress"}} | reject | broader than the /48 the policy allows for IPv6
allowlist junk | haproxy | {"haproxy.org/rate-limit-requests": "20", "haproxy.org/rate-limit-whitelist": "10.1.2.3/40"} | {} | reject | is not a valid CIDR block
allowlist pattern | haproxy | {"haproxy.org/rate-limit-requests": "20", "haproxy.org/rate-limit-whitelist": "patterns/ips"} | {} | reject | pattern file
unknown class | other | {} | {} | reject | spec.ingressClassName "other" is an ingress class the policy does not map
unknown class accepted | other | {} | {"unknownClass": "accept"} | accept | were not checked
"#;
        for line in table.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(" | ").collect();
            assert_eq!(f.len(), 6, "{line}");
            let annotations: Value = serde_json::from_str(f[2]).unwrap();
            let settings: Value = serde_json::from_str(f[3]).unwrap();
            let v = run(ingress(f[1], annotations), settings);
            expect(&v, f[4] == "accept", f[5], f[0]);
        }
    }

    #[test]
    fn class_from_annotation_and_none() {
        let mut object = ingress("nginx", json!({"kubernetes.io/ingress.class": "nginx"}));
        object["spec"]["ingressClassName"] = Value::Null;
        let v = run(object.clone(), json!({}));
        expect(
            &v,
            false,
            "add nginx.ingress.kubernetes.io/limit-rps",
            "annotation class",
        );
        object["metadata"]["annotations"] = json!({});
        let v = run(object, json!({}));
        expect(&v, false, "spec.ingressClassName is not set", "no class");
    }

    #[test]
    fn everything_reported_at_once() {
        let v = run(
            ingress(
                "nginx",
                json!({"nginx.ingress.kubernetes.io/limit-rps": "abc",
                       "nginx.ingress.kubernetes.io/limit-connections": "5000",
                       "nginx.ingress.kubernetes.io/limit-whitelist": "0.0.0.0/0"}),
            ),
            json!({}),
        );
        let m = v.message().unwrap();
        assert_eq!(m.lines().count(), 3, "{m}");
    }

    #[test]
    fn mutation_per_kind() {
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "nginx",
                json!({}),
                json!({"nginx.ingress.kubernetes.io/limit-rps": "20", "nginx.ingress.kubernetes.io/limit-burst-multiplier": "5"}),
            ),
            (
                "inc",
                json!({"controllers": {"inc": "nginx-inc"}}),
                json!({"nginx.org/limit-req-rate": "20r/s", "nginx.org/limit-req-burst": "100"}),
            ),
            (
                "haproxy",
                json!({}),
                json!({"haproxy.org/rate-limit-requests": "20", "haproxy.org/rate-limit-period": "1s"}),
            ),
            (
                "hi",
                json!({"controllers": {"hi": "haproxy-ingress"}}),
                json!({"haproxy-ingress.github.io/limit-rps": "20"}),
            ),
            (
                "traefik",
                json!({"traefikRateLimitMiddlewares": ["a-rl@kubernetescrd"]}),
                json!({"traefik.ingress.kubernetes.io/router.middlewares": "a-rl@kubernetescrd"}),
            ),
            (
                "kong",
                json!({"kongRateLimitPlugins": ["rl", "rl2"]}),
                json!({"konghq.com/plugins": "rl"}),
            ),
        ];
        for (class, mut settings, want) in cases {
            settings["mutate"] = json!(true);
            let v = run(ingress(class, json!(null)), settings);
            let Verdict::Mutate { object, warnings } = v else {
                panic!("{class}: {v:?}");
            };
            assert_eq!(object["metadata"]["annotations"], want, "{class}");
            assert!(
                warnings[0].contains("the policy added"),
                "{class}: {warnings:?}"
            );
            assert_eq!(object["spec"]["rules"][0]["host"], "shop.example.com");
        }
        // A limit already present: nothing to add.
        let v = run(
            ingress(
                "nginx",
                json!({"nginx.ingress.kubernetes.io/limit-rps": "5"}),
            ),
            json!({"mutate": true}),
        );
        assert!(matches!(v, Verdict::Accept { .. }), "{v:?}");
        // Another violation: no mutation, everything reported.
        let v = run(
            ingress(
                "nginx",
                json!({"nginx.ingress.kubernetes.io/limit-whitelist": "0.0.0.0/0"}),
            ),
            json!({"mutate": true}),
        );
        let m = v.message().unwrap();
        assert!(
            m.contains("exempts every client") && m.contains("has no rate limit"),
            "{m}"
        );
    }

    #[test]
    fn operations_and_garbage() {
        let bad = ingress("nginx", json!({}));
        assert!(run_op(bad.clone(), json!({}), "DELETE").is_accepted());
        assert!(!run_op(bad.clone(), json!({}), "UPDATE").is_accepted());
        assert!(run(bad, json!({"exemptNamespaces": ["team-a"]})).is_accepted());
        let garbage =
            json!({"metadata": {"annotations": {"nginx.ingress.kubernetes.io/limit-rps": 20}}});
        let m = run(garbage, json!({})).message().unwrap();
        assert!(
            m.contains("cannot be read as an Ingress") && m.contains("metadata.annotations"),
            "{m}"
        );
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(10, 1), "10");
        assert_eq!(ratio(1, 2), "0.5");
        assert_eq!(ratio(1, 3), "0.333");
        assert_eq!(ratio(100_000, 60_000), "1.666");
        assert_eq!(ratio(1, 3_000), "about 0");
    }

    #[test]
    fn no_value_panics_and_broken_limits_never_pass() {
        let values = [
            "",
            " ",
            "0",
            "1",
            "20",
            "-1",
            "+5",
            "1e3",
            "1.5",
            "10r/s",
            "10r/m",
            "0r/s",
            "r/s",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999r/s",
            "1ms",
            "999999999999999999d",
            "0s",
            "true",
            "nope",
            "0.0.0.0/0",
            "::/0",
            "10.1.0.0/16,",
            ",,",
            "patterns/x",
            "a@kubernetescrd",
            "\u{e9}\u{301}",
            "10.0.0.0/8, ::ffff:1.2.3.4",
        ];
        let settings = json!({
            "controllers": {"n": "ingress-nginx", "i": "nginx-inc", "t": "traefik",
                            "h": "haproxy", "hi": "haproxy-ingress", "k": "kong"},
            "traefikRateLimitMiddlewares": ["a@kubernetescrd"],
            "kongRateLimitPlugins": ["rl"],
        });
        let class_of = |kind: Kind| match kind {
            Kind::IngressNginx => "n",
            Kind::NginxInc => "i",
            Kind::Traefik => "t",
            Kind::Haproxy => "h",
            Kind::HaproxyIngress => "hi",
            Kind::Kong => "k",
        };
        for annotation in controllers::ANNOTATIONS {
            let limit = annotation.role.is_limit();
            for key in annotation.keys() {
                for value in values {
                    for mutate in [false, true] {
                        let mut settings = settings.clone();
                        settings["mutate"] = json!(mutate);
                        let object =
                            ingress(class_of(annotation.kind), json!({ key.clone(): value }));
                        let v = run(object, settings);
                        let readable = match annotation.role {
                            Role::NginxRate => parse_nginx_rate(value).is_some_and(|(n, _)| n >= 1),
                            _ => positive(value).is_some(),
                        };
                        if limit && !readable {
                            assert!(!v.is_accepted(), "{key}={value:?}: {v:?}");
                        }
                    }
                }
            }
        }
    }
}
