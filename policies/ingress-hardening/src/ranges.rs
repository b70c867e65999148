//! Source-range allow-lists: the annotations that admit only some client addresses, checked
//! against `allowedSourceRanges`.

use netsec_shared::annotations::split_list;
use netsec_shared::controllers::Kind;
use netsec_shared::net::{IpNet, first_uncovered, normalize, parse_ip_or_cidr};
use netsec_shared::{Findings, request::StringMap};

use crate::settings::Settings;

/// The source-range annotation keys of every controller, the ingress-nginx ones under the
/// configured and the default prefix.
pub fn keys(settings: &Settings) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |prefixes: &[&str], names: &[&str]| {
        for prefix in prefixes {
            for name in names {
                let key = format!("{prefix}{name}");
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    };
    let nginx = settings.risky_nginx_prefixes();
    let nginx: Vec<&str> = nginx.iter().map(String::as_str).collect();
    let source_range = ["whitelist-source-range", "allowlist-source-range"];
    add(&nginx, &source_range);
    add(Kind::HaproxyIngress.prefixes(), &source_range);
    add(Kind::Haproxy.prefixes(), &["allow-list", "whitelist"]);
    keys
}

pub fn check(findings: &mut Findings, annotations: &StringMap<'_>, settings: &Settings) {
    let allowed = settings.source_ranges();
    for key in keys(settings) {
        let Some(value) = annotations.get(key.as_str()) else {
            continue;
        };
        let path = format!("metadata.annotations[{key}]");
        for entry in split_list(value) {
            check_entry(findings, &path, entry, &allowed, settings);
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
