//! Source-range allow-lists: the annotations that admit only some client addresses, checked
//! against `allowedSourceRanges`.

use netsec_shared::annotations::split_list;
use netsec_shared::controllers::Kind;
use netsec_shared::net::{IpNet, first_uncovered, normalize, parse_ip_or_cidr};
use netsec_shared::{Findings, request::StringMap};

use crate::settings::Settings;

/// Whether `key` is a source-range annotation of some controller, the ingress-nginx ones under
/// the configured and the default prefix (`nginx`).
fn is_source_range(key: &str, nginx: &[String]) -> bool {
    const SOURCE_RANGE: [&str; 2] = ["whitelist-source-range", "allowlist-source-range"];
    let named = |prefix: &str, names: &[&str]| {
        key.strip_prefix(prefix)
            .is_some_and(|name| names.contains(&name))
    };
    nginx.iter().any(|p| named(p, &SOURCE_RANGE))
        || Kind::HaproxyIngress
            .prefixes()
            .iter()
            .any(|p| named(p, &SOURCE_RANGE))
        || Kind::Haproxy
            .prefixes()
            .iter()
            .any(|p| named(p, &["allow-list", "whitelist"]))
}

/// Every source-range finding on the Ingress; `nginx` are [`Settings::risky_nginx_prefixes`].
pub fn check(
    findings: &mut Findings,
    annotations: &StringMap<'_>,
    settings: &Settings,
    nginx: &[String],
) {
    let mut allowed = None;
    for (key, value) in annotations {
        if !is_source_range(key, nginx) {
            continue;
        }
        let allowed = allowed.get_or_insert_with(|| settings.source_ranges());
        let path = format!("metadata.annotations[{key}]");
        for entry in split_list(value) {
            check_entry(findings, &path, entry, allowed, settings);
        }
    }
}

fn check_entry(
    findings: &mut Findings,
    path: &str,
    entry: &str,
    allowed: &[IpNet],
    settings: &Settings,
) {
    let limited = !allowed.is_empty();
    if entry.starts_with("patterns/") {
        // haproxytech reads the addresses from a file the policy cannot see.
        if limited {
            findings.violation(
                path,
                format!(
                    "entry {entry:?} names a pattern file whose addresses the policy cannot \
                     check against allowedSourceRanges; list the addresses in the annotation"
                ),
            );
        }
        return;
    }
    let net = match parse_ip_or_cidr(entry) {
        Ok(net) => normalize(&net),
        Err(why) => {
            findings.violation(
                path,
                format!(
                    "entry {why}, so the controller rejects the list and with it the \
                     restriction; use IP addresses or CIDR blocks such as 10.1.0.0/16 or \
                     2001:db8::/48"
                ),
            );
            return;
        }
    };
    let everyone = net.prefix_len() == 0;
    if !limited {
        if everyone {
            findings.warn(format!(
                "{path} entry {entry:?} is every address, so the list restricts nothing"
            ));
        }
        return;
    }
    let Some(outside) = first_uncovered(&net, allowed) else {
        return;
    };
    let what = if everyone {
        "is every address, which is no restriction".to_string()
    } else {
        format!("reaches {outside}")
    };
    findings.violation(
        path,
        format!(
            "entry {entry:?} {what}, outside the source ranges the policy allows \
             (allowedSourceRanges: {}); admit only clients inside them",
            settings.allowed_source_ranges.join(", ")
        ),
    );
}
