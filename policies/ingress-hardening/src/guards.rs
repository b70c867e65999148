//! Authentication and WAF, as each controller configures them on an Ingress.

use netsec_shared::Findings;
use netsec_shared::annotations::{BoolSyntax, split_list};
use netsec_shared::controllers::{KONG_PLUGINS, Kind, TRAEFIK_MIDDLEWARES};
use netsec_shared::request::StringMap;

use crate::settings::Settings;

/// An Ingress's annotations as one controller reads them.
struct Reader<'s, 'm> {
    annotations: &'s StringMap<'m>,
    prefixes: Vec<String>,
}

impl<'s, 'm> Reader<'s, 'm> {
    fn new(kind: Kind, annotations: &'s StringMap<'m>, settings: &Settings) -> Self {
        let prefixes = match kind {
            Kind::IngressNginx => vec![settings.nginx_prefix()],
            _ => kind.prefixes().iter().map(|p| p.to_string()).collect(),
        };
        Reader {
            annotations,
            prefixes,
        }
    }

    /// The key and non-blank value of `name` under the first prefix that has it.
    fn get(&self, name: &str) -> Option<(String, &'s str)> {
        self.prefixes.iter().find_map(|prefix| {
            let key = format!("{prefix}{name}");
            let value = self.annotations.get(key.as_str())?.trim();
            (!value.is_empty()).then_some((key, value))
        })
    }

    /// The key `name` has under the first prefix, for messages.
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefixes[0])
    }
}

fn path(key: &str) -> String {
    format!("metadata.annotations[{key}]")
}

/// Does the list annotation `key` name one of `wanted`?
fn lists_one_of(annotations: &StringMap<'_>, key: &str, wanted: &[String]) -> bool {
    annotations
        .get(key)
        .is_some_and(|v| split_list(v).any(|item| wanted.iter().any(|w| w == item)))
}

/// Traefik and Kong have no annotation of their own for this: the Ingress must list one of the
/// middlewares (Traefik) or plugins (Kong) configured in the given setting. `None` for the other
/// controllers; else `Err` with the "add ..." remedy when the list names none of them.
fn listed(
    kind: Kind,
    annotations: &StringMap<'_>,
    traefik: (&[String], &'static str),
    kong: (&[String], &'static str),
    noun: &str,
) -> Option<Result<(), String>> {
    let (key, (names, setting), what) = match kind {
        Kind::Traefik => (TRAEFIK_MIDDLEWARES, traefik, "middleware"),
        Kind::Kong => (KONG_PLUGINS, kong, "plugin"),
        _ => return None,
    };
    if lists_one_of(annotations, key, names) {
        return Some(Ok(()));
    }
    let what = format!("{noun} {what}");
    Some(Err(list_remedy(key, names, setting, &what)))
}

/// The "add ..." part of a message for a Traefik or Kong list that lacks a configured name.
fn list_remedy(key: &str, names: &[String], setting: &str, what: &str) -> String {
    if names.is_empty() {
        format!(
            "the policy knows no {what} to require ({setting} is empty); ask the policy's \
             administrator to list them in {setting}, then reference one in {key}"
        )
    } else {
        format!("add one of {} to {key}", names.join(", "))
    }
}

/// Checks that the Ingress authenticates its clients; `why` says why it must (which hosts are
/// not public).
pub fn check_auth(
    findings: &mut Findings,
    kind: Kind,
    annotations: &StringMap<'_>,
    settings: &Settings,
    why: &str,
) {
    let missing = |findings: &mut Findings, add: String| {
        findings.violation(
            "metadata.annotations",
            format!(
                "has no authentication that {} applies, so anyone who reaches the Ingress can \
                 use it{why}; {add}",
                kind.label()
            ),
        );
    };
    let traefik = (
        &settings.traefik_auth_middlewares[..],
        "traefikAuthMiddlewares",
    );
    let kong = (&settings.kong_auth_plugins[..], "kongAuthPlugins");
    if let Some(listed) = listed(kind, annotations, traefik, kong, "authentication") {
        if let Err(add) = listed {
            missing(findings, add);
        }
        return;
    }
    let r = Reader::new(kind, annotations, settings);
    let mut found = false;
    let mut broken = false;
    // Basic (or digest) authentication needs its htpasswd Secret, or the controller skips it.
    let (types, basic): (&[&str], &str) = match kind {
        Kind::IngressNginx => (&["basic", "digest"], "basic or digest"),
        Kind::Haproxy => (&["basic-auth"], "basic-auth"),
        Kind::HaproxyIngress => (&["basic"], "basic"),
        _ => (&[], ""),
    };
    if !types.is_empty()
        && let Some((key, value)) = r.get("auth-type")
    {
        if !types.contains(&value) {
            broken = true;
            findings.violation(
                path(&key),
                format!(
                    "{value:?} is not an authentication type {} applies; use {basic} with \
                     auth-secret",
                    kind.label()
                ),
            );
        } else if r.get("auth-secret").is_none() {
            broken = true;
            findings.violation(
                path(&key),
                format!(
                    "is {value:?} but {} is not set, so {} does not authenticate; set it to the \
                     Secret with the users' htpasswd file",
                    r.key("auth-secret"),
                    kind.label()
                ),
            );
        } else {
            found = true;
        }
    }
    if matches!(kind, Kind::IngressNginx | Kind::HaproxyIngress) {
        found |= r.get("auth-url").is_some();
        if r.get("auth-tls-secret").is_some() {
            match client_certificate_optional(&r, kind) {
                None => found = true,
                Some((key, value)) => {
                    broken = true;
                    findings.violation(
                        path(&key),
                        format!(
                            "is {value:?}, so {} lets clients in without a certificate and \
                             auth-tls-secret authenticates nobody; require the certificate \
                             (remove the annotation)",
                            kind.label()
                        ),
                    );
                }
            }
        }
    }
    if kind == Kind::NginxInc {
        found |= annotations
            .get("nginx.org/basic-auth-secret")
            .is_some_and(|v| !v.trim().is_empty());
        found |= annotations
            .get("nginx.com/jwt-key")
            .is_some_and(|v| !v.trim().is_empty());
    }
    // A broken mechanism has been reported with its fix; "none" would say less.
    if found || broken {
        return;
    }
    let add = match kind {
        Kind::IngressNginx => format!(
            "add {} (external authentication), {} with auth-secret (basic or digest), or {} \
             (client certificates)",
            r.key("auth-url"),
            r.key("auth-type"),
            r.key("auth-tls-secret")
        ),
        Kind::Haproxy => format!(
            "add {}: basic-auth with {}",
            r.key("auth-type"),
            r.key("auth-secret")
        ),
        Kind::HaproxyIngress => format!(
            "add {} (external authentication), {}: basic with auth-secret, or {} (client \
             certificates)",
            r.key("auth-url"),
            r.key("auth-type"),
            r.key("auth-tls-secret")
        ),
        Kind::NginxInc => {
            "add nginx.org/basic-auth-secret, or nginx.com/jwt-key (NGINX Plus)".to_string()
        }
        Kind::Traefik | Kind::Kong => String::new(),
    };
    missing(findings, add);
}

/// The annotation that makes the client certificate optional, if one does.
fn client_certificate_optional(r: &Reader<'_, '_>, kind: Kind) -> Option<(String, String)> {
    match kind {
        Kind::IngressNginx => {
            let (key, value) = r.get("auth-tls-verify-client")?;
            (value != "on").then(|| (key, value.to_string()))
        }
        _ => {
            let (key, value) = r.get("auth-tls-verify-optional")?;
            (BoolSyntax::Go.parse(value) != Some(false)).then(|| (key, value.to_string()))
        }
    }
}

/// Checks that the Ingress passes through a blocking WAF.
pub fn check_waf(
    findings: &mut Findings,
    kind: Kind,
    annotations: &StringMap<'_>,
    settings: &Settings,
) {
    let missing = |findings: &mut Findings, add: String| {
        findings.violation(
            "metadata.annotations",
            format!(
                "has no WAF that {} applies, so requests reach the backends unfiltered \
                 (requireWAF); {add}",
                kind.label()
            ),
        );
    };
    let traefik = (
        &settings.traefik_waf_middlewares[..],
        "traefikWAFMiddlewares",
    );
    let kong = (&settings.kong_waf_plugins[..], "kongWAFPlugins");
    if let Some(listed) = listed(kind, annotations, traefik, kong, "WAF") {
        if let Err(add) = listed {
            missing(findings, add);
        }
        return;
    }
    let r = Reader::new(kind, annotations, settings);
    match kind {
        Kind::IngressNginx => nginx_modsecurity(findings, &r),
        Kind::NginxInc => {
            let enabled = annotations
                .get(APP_PROTECT)
                .is_some_and(|v| BoolSyntax::Go.parse(v) == Some(true));
            if !enabled {
                missing(
                    findings,
                    format!("set {APP_PROTECT}: \"True\" (NGINX App Protect WAF)"),
                );
            }
        }
        Kind::HaproxyIngress => match r.get("waf") {
            Some((_, "modsecurity")) => {
                if let Some((key, mode)) = r.get("waf-mode")
                    && mode != "deny"
                {
                    findings.violation(
                        path(&key),
                        format!(
                            "is {mode:?}, so ModSecurity only logs what it would block; set it \
                             to \"deny\" (the default)"
                        ),
                    );
                }
            }
            Some((key, other)) => findings.violation(
                path(&key),
                format!("{other:?} is not a WAF HAProxy Ingress runs; use \"modsecurity\""),
            ),
            None => missing(findings, format!("set {}: modsecurity", r.key("waf"))),
        },
        _ => missing(
            findings,
            "the policy knows no WAF annotation for this controller; put the Ingress behind a \
             controller that runs one, or exempt its namespace"
                .to_string(),
        ),
    }
}

const APP_PROTECT: &str = "appprotect.f5.com/app-protect-enable";

/// ingress-nginx: ModSecurity on, with rules, and blocking.
fn nginx_modsecurity(findings: &mut Findings, r: &Reader<'_, '_>) {
    let enable = r.key("enable-modsecurity");
    let on = |name: &str| {
        r.get(name)
            .is_some_and(|(_, v)| BoolSyntax::Go.parse(v) == Some(true))
    };
    if !on("enable-modsecurity") {
        findings.violation(
            "metadata.annotations",
            format!(
                "has no WAF that ingress-nginx applies, so requests reach the backends \
                 unfiltered (requireWAF); set {enable}: \"true\" with {}: \"true\"",
                r.key("enable-owasp-core-rules")
            ),
        );
        return;
    }
    let snippet = r.get("modsecurity-snippet").map(|(_, v)| v).unwrap_or("");
    let directives: Vec<(String, String)> = snippet
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let first = words.next()?.to_ascii_lowercase();
            Some((first, words.next().unwrap_or("").to_ascii_lowercase()))
        })
        .collect();
    if let Some((_, mode)) = directives
        .iter()
        .rfind(|(d, _)| d == "secruleengine")
        .filter(|(_, mode)| mode != "on")
    {
        findings.violation(
            path(&r.key("modsecurity-snippet")),
            format!(
                "sets SecRuleEngine {mode}, so ModSecurity does not block attacks; use \
                 SecRuleEngine On"
            ),
        );
    }
    let rules = directives
        .iter()
        .any(|(d, _)| d == "secrule" || d == "include");
    if !on("enable-owasp-core-rules") && !rules {
        findings.violation(
            path(&enable),
            format!(
                "is \"true\" but no rules are loaded, so ModSecurity blocks nothing; set {}: \
                 \"true\" (the OWASP Core Rule Set) or load rules in {}",
                r.key("enable-owasp-core-rules"),
                r.key("modsecurity-snippet")
            ),
        );
    }
}
