//! Annotations that turn off a controller's HTTP-to-HTTPS redirect or open plain HTTP, read the
//! way each controller reads them.

use netsec_shared::annotations::BoolSyntax;
use netsec_shared::ingress::Ingress;

/// What a `true` value of the annotation means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    /// `true` keeps the redirect on (the controller's default); `false` turns it off.
    RedirectOn,
    /// `true` (the controller's default when absent or unreadable) serves plain HTTP.
    HttpAllowed,
}

/// One annotation a controller reads.
struct Switch {
    key: &'static str,
    controllers: &'static str,
    syntax: BoolSyntax,
    meaning: Meaning,
}

/// The table the README lists.
const SWITCHES: &[Switch] = &[
    Switch {
        key: "nginx.ingress.kubernetes.io/ssl-redirect",
        controllers: "ingress-nginx",
        syntax: BoolSyntax::Go,
        meaning: Meaning::RedirectOn,
    },
    Switch {
        key: "haproxy.org/ssl-redirect",
        controllers: "HAProxy Kubernetes Ingress (haproxytech)",
        syntax: BoolSyntax::GoOrSwitch,
        meaning: Meaning::RedirectOn,
    },
    Switch {
        key: "haproxy.com/ssl-redirect",
        controllers: "HAProxy Kubernetes Ingress (haproxytech)",
        syntax: BoolSyntax::GoOrSwitch,
        meaning: Meaning::RedirectOn,
    },
    Switch {
        key: "haproxy-ingress.github.io/ssl-redirect",
        controllers: "HAProxy Ingress (haproxy-ingress)",
        syntax: BoolSyntax::Go,
        meaning: Meaning::RedirectOn,
    },
    // The unprefixed form is read by haproxytech, haproxy-ingress and F5 NGINX alike; the most
    // lenient reading decides, so a value any of them takes as "off" is caught.
    Switch {
        key: "ingress.kubernetes.io/ssl-redirect",
        controllers: "haproxytech, haproxy-ingress and F5 NGINX Ingress",
        syntax: BoolSyntax::GoOrSwitch,
        meaning: Meaning::RedirectOn,
    },
    Switch {
        key: "kubernetes.io/ingress.allow-http",
        controllers: "GKE (ingress-gce)",
        syntax: BoolSyntax::Go,
        meaning: Meaning::HttpAllowed,
    },
];

/// The class names of ingress-gce, which serves HTTP unless told not to.
const GCE_CLASS: &str = "gce";
const ALLOW_HTTP: &str = "kubernetes.io/ingress.allow-http";

/// (annotation path, message) for every annotation that leaves plain HTTP open.
pub fn violations(ingress: &Ingress<'_>) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for switch in SWITCHES {
        let Some(value) = ingress.metadata.annotation(switch.key) else {
            continue;
        };
        let path = format!("metadata.annotations[{}]", switch.key);
        match (switch.meaning, switch.syntax.parse(value)) {
            (Meaning::RedirectOn, Some(true)) | (Meaning::HttpAllowed, Some(false)) => {}
            (Meaning::RedirectOn, Some(false)) => found.push((
                path,
                format!(
                    "is {value:?}: it turns off the HTTP-to-HTTPS redirect of {}, so the hosts \
                     answer plain HTTP; remove the annotation (the redirect is on by default)",
                    switch.controllers
                ),
            )),
            (Meaning::HttpAllowed, Some(true)) => found.push((
                path,
                format!(
                    "is {value:?}: {} serves the hosts over plain HTTP; set it to \"false\"",
                    switch.controllers
                ),
            )),
            (Meaning::RedirectOn, None) => found.push((
                path,
                format!(
                    "is {value:?}, which {} does not read as a boolean; use \"true\" (or remove it)",
                    switch.controllers
                ),
            )),
            // ingress-gce falls back to serving HTTP when it cannot read the value.
            (Meaning::HttpAllowed, None) => found.push((
                path,
                format!(
                    "is {value:?}, which {} does not read as a boolean and so serves plain HTTP; \
                     set it to \"false\"",
                    switch.controllers
                ),
            )),
        }
    }
    let gce = ingress
        .classes()
        .iter()
        .any(|(_, class)| *class == GCE_CLASS);
    if gce && ingress.metadata.annotation(ALLOW_HTTP).is_none() {
        found.push((
            "metadata.annotations".to_string(),
            format!(
                "lacks {ALLOW_HTTP}: the gce ingress class serves plain HTTP unless it is \
                 \"false\"; add {ALLOW_HTTP}: \"false\""
            ),
        ));
    }
    found
}

/// Markdown rows for the README (kept beside the table so the two cannot drift).
pub fn readme_rows() -> String {
    SWITCHES
        .iter()
        .map(|s| {
            let rejected = match s.meaning {
                Meaning::RedirectOn => "a false value, or one the controller cannot read",
                Meaning::HttpAllowed => "any value but a false one",
            };
            let syntax = match s.syntax {
                BoolSyntax::Go => "Go `strconv.ParseBool`",
                BoolSyntax::GoOrSwitch => "Go `strconv.ParseBool`, plus `enabled/on/disabled/off`",
            };
            format!(
                "| `{}` | {} | {} | {} |\n",
                s.key, s.controllers, syntax, rejected
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(annotations: &str, class: &str) -> String {
        format!(
            r#"{{"metadata":{{"annotations":{annotations}}},"spec":{{"ingressClassName":{class}}}}}"#
        )
    }

    #[test]
    fn redirect_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (r#"{}"#, "null", None),
            (
                r#"{"nginx.ingress.kubernetes.io/ssl-redirect":"true"}"#,
                "null",
                None,
            ),
            (
                r#"{"nginx.ingress.kubernetes.io/ssl-redirect":"false"}"#,
                "null",
                Some("turns off"),
            ),
            (
                r#"{"nginx.ingress.kubernetes.io/ssl-redirect":"False"}"#,
                "null",
                Some("turns off"),
            ),
            (
                r#"{"nginx.ingress.kubernetes.io/ssl-redirect":"0"}"#,
                "null",
                Some("turns off"),
            ),
            (
                r#"{"nginx.ingress.kubernetes.io/ssl-redirect":"off"}"#,
                "null",
                Some("does not read"),
            ),
            (
                r#"{"haproxy.org/ssl-redirect":"off"}"#,
                "null",
                Some("turns off"),
            ),
            (
                r#"{"haproxy.com/ssl-redirect":"Disabled"}"#,
                "null",
                Some("turns off"),
            ),
            (r#"{"haproxy.org/ssl-redirect":"enabled"}"#, "null", None),
            (
                r#"{"haproxy-ingress.github.io/ssl-redirect":"f"}"#,
                "null",
                Some("turns off"),
            ),
            (
                r#"{"haproxy-ingress.github.io/ssl-redirect":"disabled"}"#,
                "null",
                Some("does not read"),
            ),
            (
                r#"{"ingress.kubernetes.io/ssl-redirect":"disabled"}"#,
                "null",
                Some("turns off"),
            ),
            (
                r#"{"kubernetes.io/ingress.allow-http":"false"}"#,
                "null",
                None,
            ),
            (
                r#"{"kubernetes.io/ingress.allow-http":"FALSE"}"#,
                "null",
                None,
            ),
            (
                r#"{"kubernetes.io/ingress.allow-http":"true"}"#,
                "null",
                Some("plain HTTP"),
            ),
            (
                r#"{"kubernetes.io/ingress.allow-http":"no"}"#,
                "null",
                Some("does not read"),
            ),
            (
                r#"{}"#,
                r#""gce""#,
                Some("lacks kubernetes.io/ingress.allow-http"),
            ),
            (
                r#"{"kubernetes.io/ingress.class":"gce"}"#,
                "null",
                Some("lacks"),
            ),
            (
                r#"{"kubernetes.io/ingress.allow-http":"false"}"#,
                r#""gce""#,
                None,
            ),
        ];
        for (annotations, class, want) in cases {
            let json = ingress(annotations, class);
            let ing: Ingress = serde_json::from_str(&json).unwrap();
            let found = violations(&ing);
            match want {
                None => assert!(found.is_empty(), "{json}: {found:?}"),
                Some(w) => {
                    assert_eq!(found.len(), 1, "{json}: {found:?}");
                    assert!(found[0].1.contains(w), "{json}: {found:?}");
                }
            }
        }
    }

    #[test]
    fn readme_lists_every_switch() {
        let rows = readme_rows();
        for s in SWITCHES {
            assert!(rows.contains(s.key));
        }
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&rows),
            "README.md's redirect table is out of date; paste:\n{rows}"
        );
    }
}
