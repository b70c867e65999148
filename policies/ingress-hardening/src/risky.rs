//! Risky annotations: configuration snippets, values that inject nginx configuration
//! (IngressNightmare), and the file-reading and code-running patterns of CVE-2021-25742.

use std::borrow::Cow;

use netsec_shared::Findings;
use netsec_shared::controllers::Kind;
use netsec_shared::request::{LAST_APPLIED, StringMap};

use crate::directives::{self, Reading};
use crate::settings::Settings;

/// Why an annotation key is risky.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Risk {
    /// Its value is pasted into the proxy configuration as it is.
    Snippet(Kind),
    /// ingress-nginx writes its value into an nginx directive; the value is checked.
    Injection(Injected),
}

/// The ingress-nginx annotations whose values IngressNightmare injected through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Injected {
    /// A URL or host (`auth-url`, `mirror-target`, `mirror-host`).
    Url(&'static str),
    /// `auth-tls-match-cn`: a regular expression, so regex syntax is fine.
    Pattern,
}

impl Injected {
    fn cve(self) -> &'static str {
        match self {
            Injected::Url("auth-url") => "CVE-2025-24514",
            Injected::Url(_) => "CVE-2025-1098",
            Injected::Pattern => "CVE-2025-1097",
        }
    }
}

/// The risk of an annotation key, given the ingress-nginx prefixes in force (each ending in `/`).
pub fn risk_of<S: AsRef<str>>(key: &str, nginx_prefixes: &[S]) -> Option<Risk> {
    let name_after = |prefixes: &[&str]| prefixes.iter().find_map(|p| key.strip_prefix(p));
    // A key under an ingress-nginx prefix that is not risky there may still be another
    // controller's (a prefix such as `ingress.kubernetes.io/` is shared).
    for prefix in nginx_prefixes {
        let Some(name) = key.strip_prefix(prefix.as_ref()) else {
            continue;
        };
        let risk = match name {
            _ if name.ends_with("-snippet") => Risk::Snippet(Kind::IngressNginx),
            "auth-url" => Risk::Injection(Injected::Url("auth-url")),
            "mirror-target" => Risk::Injection(Injected::Url("mirror-target")),
            "mirror-host" => Risk::Injection(Injected::Url("mirror-host")),
            "auth-tls-match-cn" => Risk::Injection(Injected::Pattern),
            _ => continue,
        };
        return Some(risk);
    }
    if name_after(Kind::NginxInc.prefixes()).is_some_and(|n| n.ends_with("-snippets")) {
        return Some(Risk::Snippet(Kind::NginxInc));
    }
    if name_after(Kind::Haproxy.prefixes()).is_some_and(|n| n.ends_with("config-snippet")) {
        return Some(Risk::Snippet(Kind::Haproxy));
    }
    if name_after(Kind::HaproxyIngress.prefixes()).is_some_and(|n| n.starts_with("config-")) {
        return Some(Risk::Snippet(Kind::HaproxyIngress));
    }
    None
}

/// Every risky-annotation finding on the Ingress; `prefixes` are
/// [`Settings::risky_nginx_prefixes`].
pub fn check(
    findings: &mut Findings,
    annotations: &StringMap<'_>,
    settings: &Settings,
    prefixes: &[String],
) {
    for (key, value) in annotations {
        let (key, value) = (key.as_ref(), value.as_ref());
        // kubectl's copy of the object: its annotations are checked where they are, and no
        // controller reads it (its value is not even decoded).
        if key == LAST_APPLIED {
            continue;
        }
        // Built only for a finding: most annotations have none.
        let path = || format!("metadata.annotations[{key}]");
        let risk = risk_of(key, prefixes);
        if !settings.risky_allowed(key) {
            match risk {
                Some(Risk::Snippet(kind)) => findings.violation(
                    path(),
                    format!(
                        "is a configuration snippet: {} pastes its value into the proxy \
                         configuration unchecked, so whoever may write this Ingress can read the \
                         controller's secrets or run code in it (CVE-2021-25742); use the \
                         controller's dedicated annotations, or have the policy's administrator \
                         opt the key back in with allowedRiskyAnnotations",
                        kind.label()
                    ),
                ),
                Some(Risk::Injection(what)) => {
                    let problems = injection(value, what, settings);
                    if !problems.is_empty() {
                        findings.violation(
                            path(),
                            format!(
                                "{} carries {}, so it can inject configuration into the nginx \
                                 directive ingress-nginx writes it into (IngressNightmare, {}); {}",
                                shown(value),
                                problems.join(", "),
                                what.cve(),
                                remedy(what)
                            ),
                        );
                    }
                }
                None => {}
            }
        }
        let reading = reading_of(key, risk);
        let read = directives::read(value, reading);
        if let Some(error) = &read.unreadable {
            let (controller, hint) = match (risk, reading) {
                (_, Reading::ModSecurity) => (
                    Kind::IngressNginx.label(),
                    "; ingress-nginx writes these rules between single quotes \
                     (modsecurity_rules '...'), so write no single quote in them",
                ),
                (Some(Risk::Snippet(kind)), _) => (kind.label(), ""),
                _ => (Kind::IngressNginx.label(), ""),
            };
            findings.violation(
                path(),
                format!(
                    "cannot be read as nginx configuration: {error}, so {controller} would \
                     refuse it and the policy cannot tell what it would do{hint}; close every \
                     quote and block and end every statement with ';'"
                ),
            );
        }
        let mut patterns: Vec<Cow<'_, str>> = read.directives.into_iter().map(Cow::Owned).collect();
        patterns.extend(cve_patterns(value).into_iter().map(Cow::Borrowed));
        if !patterns.is_empty() {
            findings.violation(
                path(),
                format!(
                    "{} contains {}, which nginx-based controllers turn into reading files or \
                     running code (CVE-2021-25742); no Ingress needs it, remove it (quoting or \
                     escaping a directive's name does not hide it from nginx)",
                    shown(value),
                    patterns.join(", ")
                ),
            );
        }
    }
}

/// How the controller that owns `key` reads its value: nginx snippets as nginx configuration,
/// every other value (HAProxy snippets included, which are not nginx text) as a value.
fn reading_of(key: &str, risk: Option<Risk>) -> Reading {
    match risk {
        Some(Risk::Snippet(Kind::IngressNginx)) if key.ends_with("/modsecurity-snippet") => {
            Reading::ModSecurity
        }
        Some(Risk::Snippet(Kind::IngressNginx | Kind::NginxInc)) => Reading::Snippet,
        _ => Reading::Value,
    }
}

fn remedy(what: Injected) -> &'static str {
    match what {
        Injected::Url(_) => {
            "use a plain URL or host name (nginx variables only when listed in \
             allowedNginxVariables)"
        }
        Injected::Pattern => {
            "use a plain pattern such as CN=client\\.example\\.com (\\s for a blank)"
        }
    }
}

/// The value for a message, quoted and escaped, cut to a readable length.
fn shown(value: &str) -> String {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        Some((at, _)) => format!("{:?}...", &value[..at]),
        None => format!("{value:?}"),
    }
}

/// What in `value` would break out of the nginx directive it is written into.
fn injection(value: &str, what: Injected, settings: &Settings) -> Vec<String> {
    let regex = what == Injected::Pattern;
    let mut found: Vec<String> = Vec::new();
    let mut add = |problem: String| {
        if !found.contains(&problem) {
            found.push(problem);
        }
    };
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\n' | '\r' => add("a line break".into()),
            c if c.is_control() => add(format!("the control character {c:?}")),
            ';' => add("';', which ends a directive".into()),
            '{' => add("'{', which opens a block".into()),
            '}' => add("'}', which closes a block".into()),
            '#' => add("'#', which comments out the rest of the line".into()),
            c @ ('"' | '\'' | '`') => add(format!("the quote {c:?}")),
            c if c.is_whitespace() => add("a blank, which starts another argument".into()),
            '\\' => {
                // In a pattern, a backslash escapes a regex character; anywhere else it escapes
                // nginx's own quoting.
                let escapes_regex = regex
                    && chars.get(i + 1).is_some_and(|n| {
                        n.is_ascii_alphanumeric() || ".*+?()[]^$|-/=".contains(*n)
                    });
                if escapes_regex {
                    i += 1;
                } else {
                    add("a backslash".into());
                }
            }
            '$' => {
                let (name, next) = variable(&chars, i + 1);
                i = next;
                match name {
                    // A regex anchor (`$` at the end or before `)` or `|`).
                    None if regex => {}
                    None => add("a '$' that starts no variable name".into()),
                    Some(name) if !settings.variable_allowed(&name) => {
                        add(format!("the nginx variable ${name}"))
                    }
                    Some(_) => {}
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The variable name after a `$` at `start` (`name` or `{name}`) and the index after it.
fn variable(chars: &[char], start: usize) -> (Option<String>, usize) {
    let is_name = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    if chars.get(start) == Some(&'{') {
        let name: String = chars[start + 1..]
            .iter()
            .take_while(|c| is_name(c))
            .collect();
        let end = start + 1 + name.chars().count();
        if !name.is_empty() && chars.get(end) == Some(&'}') {
            return (Some(name), end + 1);
        }
        // An unclosed `${` names nothing; the brace is judged as what it is.
        return (None, start);
    }
    let name: String = chars[start..].iter().take_while(|c| is_name(c)).collect();
    let end = start + name.chars().count();
    ((!name.is_empty()).then_some(name), end)
}

/// The CVE-2021-25742 patterns of `value` that are not directives: `*_by_lua*` (in any case,
/// anywhere: quoting a word cannot split it, and Lua code has no place in any annotation), the
/// root directory `/etc`, and `/var/run/secrets` (also as `/run/secrets`, which it links to),
/// with `//` or `/./` padding squeezed out first. The directives are read by
/// [`directives::read`].
pub fn cve_patterns(value: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    // A match starts at its '_', which memchr finds faster than a window compared at every
    // byte.
    let bytes = value.as_bytes();
    let lua = value.match_indices('_').any(|(at, _)| {
        bytes
            .get(at..at + 7)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"_by_lua"))
    });
    if lua {
        found.push("_by_lua");
    }
    // Squeezing removes only runs that end in a slash (the second `/` of `//`, the `./` of
    // `/./`), so a letter it keeps has the same slash before it as written: a value with `/etc`
    // or `/run/secrets` once squeezed has `/etc` or `/run` already. Most values (URLs, other
    // paths) have neither, and are no longer copied to be squeezed.
    let unsqueezed = |at: usize| matches!(bytes.get(at + 1..at + 4), Some(b"etc" | b"run"));
    if !value.match_indices('/').any(|(at, _)| unsqueezed(at)) {
        return found;
    }
    let path = squeeze_path(value);
    // Both path patterns start at a slash.
    let slashes = || path.match_indices('/').map(|(at, _)| at);
    if slashes().any(|at| path[at..].starts_with("/run/secrets")) {
        found.push("/var/run/secrets");
    }
    // `/etc` as the root directory: not `/home/etc`, not `/etcetera`, but `../../etc/` is.
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let etc = slashes().any(|at| {
        let before = path[..at].chars().next_back();
        let after = path[at..]
            .strip_prefix("/etc")
            .map(|rest| rest.chars().next());
        after.is_some_and(|after| {
            !before.is_some_and(name_char) && !after.is_some_and(|c| name_char(c) || c == '.')
        })
    });
    if etc {
        found.push("/etc/");
    }
    found
}

/// `value` with `//` runs and `/./` segments squeezed to one `/`, as the kernel reads a path.
fn squeeze_path(value: &str) -> Cow<'_, str> {
    if !value.contains("//") && !value.contains("/./") {
        return Cow::Borrowed(value);
    }
    let mut out: Vec<u8> = Vec::with_capacity(value.len());
    for &b in value.as_bytes() {
        out.push(b);
        let n = out.len();
        if b != b'/' {
            continue;
        }
        if n >= 2 && out[n - 2] == b'/' {
            out.pop();
        } else if n >= 3 && out[n - 3..] == *b"/./" {
            out.truncate(n - 2);
        }
    }
    // Only ASCII bytes were dropped, so the text is still UTF-8.
    String::from_utf8(out).map_or(Cow::Borrowed(value), Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let default = ["nginx.ingress.kubernetes.io/"];
        let cases = [
            (
                "nginx.ingress.kubernetes.io/server-snippet",
                Some(Risk::Snippet(Kind::IngressNginx)),
            ),
            (
                "nginx.ingress.kubernetes.io/modsecurity-snippet",
                Some(Risk::Snippet(Kind::IngressNginx)),
            ),
            (
                "nginx.ingress.kubernetes.io/auth-tls-match-cn",
                Some(Risk::Injection(Injected::Pattern)),
            ),
            (
                "nginx.ingress.kubernetes.io/mirror-host",
                Some(Risk::Injection(Injected::Url("mirror-host"))),
            ),
            ("nginx.ingress.kubernetes.io/limit-rps", None),
            ("nginx.ingress.kubernetes.io/auth-type", None),
            ("custom.io/server-snippet", None),
            (
                "nginx.org/location-snippets",
                Some(Risk::Snippet(Kind::NginxInc)),
            ),
            (
                "haproxy.com/backend-config-snippet",
                Some(Risk::Snippet(Kind::Haproxy)),
            ),
            (
                "haproxy-ingress.github.io/config-backend",
                Some(Risk::Snippet(Kind::HaproxyIngress)),
            ),
            (
                "ingress.kubernetes.io/config-backend",
                Some(Risk::Snippet(Kind::HaproxyIngress)),
            ),
            ("traefik.ingress.kubernetes.io/router.middlewares", None),
        ];
        for (key, want) in cases {
            assert_eq!(risk_of(key, &default), want, "{key}");
        }
        let shared = ["ingress.kubernetes.io/"];
        assert_eq!(
            risk_of("ingress.kubernetes.io/config-backend", &shared),
            Some(Risk::Snippet(Kind::HaproxyIngress))
        );
        let custom = ["custom.io/", "nginx.ingress.kubernetes.io/"];
        assert_eq!(
            risk_of("custom.io/server-snippet", &custom),
            Some(Risk::Snippet(Kind::IngressNginx))
        );
    }

    #[test]
    fn injections() {
        let settings = Settings {
            allowed_nginx_variables: vec!["request_uri".into()],
            ..Settings::default()
        };
        let url = Injected::Url("auth-url");
        let cases: &[(&str, Injected, &[&str])] = &[
            ("https://auth.example.com/check?x=1&y=%20", url, &[]),
            ("https://m.example.com$request_uri", url, &[]),
            ("https://m.example.com${request_uri}", url, &[]),
            (
                "http://a/#;\nload_module /x.so",
                url,
                &["a line break", "';'", "'#'"],
            ),
            ("http://a/ b", url, &["a blank"]),
            ("http://$host/auth", url, &["$host"]),
            ("http://a/${host", url, &["starts no variable", "'{'"]),
            ("http://a/$", url, &["starts no variable"]),
            ("http://a\\", url, &["a backslash"]),
            ("http://a/\"x", url, &["the quote '\"'"]),
            ("http://a/\u{7}", url, &["control character"]),
            ("CN=client\\.example\\.com$", Injected::Pattern, &[]),
            ("CN=(a|b)\\s+c$|CN=d", Injected::Pattern, &[]),
            ("CN=a\\\"", Injected::Pattern, &["a backslash", "quote"]),
            (
                "CN=x ) { }\nssl_engine /tmp/x;",
                Injected::Pattern,
                &["a blank", "'{'", "line break"],
            ),
            (
                "CN=$ssl_client_s_dn",
                Injected::Pattern,
                &["$ssl_client_s_dn"],
            ),
        ];
        for (value, what, want) in cases {
            let got = injection(value, *what, &settings).join(" | ");
            if want.is_empty() {
                assert!(got.is_empty(), "{value:?}: {got}");
            }
            for w in *want {
                assert!(got.contains(w), "{value:?}: {got} lacks {w}");
            }
        }
    }

    #[test]
    fn cve_pattern_table() {
        let cases: &[(&str, &[&str])] = &[
            ("root /etc;", &["root", "/etc/"]),
            ("location /x {alias /etc/;}", &["alias", "/etc/"]),
            ("more_set_headers \"a: b\";\n  root\t/var/www;", &["root"]),
            ("content_by_lua_block { ngx.say(1) }", &["_by_lua"]),
            ("ACCESS_BY_LUA_FILE x", &["_by_lua"]),
            ("x__by_lua", &["_by_lua"]),
            ("set_by_lu", &[]),
            ("a_b_by_lu_a _by lua", &[]),
            ("é_By_Lua", &["_by_lua"]),
            (
                "http://a/x?f=/var/run/secrets/kubernetes.io/serviceaccount/token",
                &["/var/run/secrets"],
            ),
            ("/run/secrets/kubernetes.io", &["/var/run/secrets"]),
            ("/var//run/./secrets", &["/var/run/secrets"]),
            ("//etc//passwd", &["/etc/"]),
            ("/./etc/shadow", &["/etc/"]),
            ("x /.//run//secrets/token", &["/var/run/secrets"]),
            ("/etc", &["/etc/"]),
            ("groot.example.com", &[]),
            ("the root page", &[]),
            ("Root /x;", &[]),
            ("rootless", &[]),
            ("/etcetera/x", &[]),
            ("/home/etc", &[]),
            ("../../etc/passwd", &["/etc/"]),
            ("https://shop.example.com/etc/x", &[]),
            ("aliasing is fine", &[]),
            ("https://shop.example.com/alias/x", &[]),
            ("\"root\" /;", &["root"]),
            ("'alias' /srv/;", &["alias"]),
            ("x; \"load_module\" /tmp/x.so;", &["load_module"]),
            ("10.0.0.0/8", &[]),
        ];
        for (value, want) in cases {
            let mut got = directives::read(value, Reading::Value).directives;
            got.extend(cve_patterns(value).into_iter().map(String::from));
            assert_eq!(got, *want, "{value:?}");
        }
    }

    #[test]
    fn long_values_are_cut() {
        let long = "a".repeat(100);
        assert_eq!(shown(&long), format!("{:?}...", "a".repeat(60)));
        assert_eq!(shown("é\n"), "\"é\\n\"");
    }
}
