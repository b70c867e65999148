//! ACME HTTP-01 challenge solvers (RFC 8555 section 8.3), recognised by their shape.
//!
//! An ACME server proves control of a name by fetching
//! `http://<name>/.well-known/acme-challenge/<token>` on port 80, the token being base64url
//! without padding (RFC 8555 sections 8.1 and 8.3). cert-manager answers with a temporary object
//! in the Certificate's namespace: an Ingress whose one rule has the single path
//! `/.well-known/acme-challenge/<token>` (`pathType: ImplementationSpecific`,
//! `buildIngressResource` in cert-manager's `pkg/issuer/acme/http/ingress.go`), or an HTTPRoute
//! with an `Exact` match on that path (`httproute.go`). It also labels them
//! `acme.cert-manager.io/http01-solver: "true"`, which anyone can copy, so the label is a hint
//! and never the reason to treat an object as a solver: the shape is. A solver serves the token
//! paths and nothing else: no other path, no default backend, no wildcard host (HTTP-01 cannot
//! validate wildcards, RFC 8555 section 7.1.3).
//!
//! [`judge_ingress`] and [`judge_route`] are the one recogniser of whole solver objects, for
//! every policy that lifts a rule for them. They read the object again, as a small JSON tree
//! ([`Node`]), only when a policy would otherwise reject or change it: the common request pays
//! nothing, and one tree reader is much less code in a module than derived readers for the nested
//! path and match types (or `serde_json::Value`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::AdmissionRequest;

/// The path under which ACME servers fetch HTTP-01 key authorisations.
pub const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";

/// The label cert-manager puts on its solver objects (a hint only: see the module's docs).
pub const SOLVER_LABEL: &str = "acme.cert-manager.io/http01-solver";

/// Is `path` exactly one challenge path: the prefix followed by a non-empty base64url token?
/// `/.well-known/acme-challenge/` alone, a token with `/`, `.` or padding, or anything after the
/// token is not.
pub fn is_challenge_path(path: &str) -> bool {
    path.strip_prefix(CHALLENGE_PREFIX).is_some_and(|token| {
        !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Do these paths make a solver: at least one, and every one a challenge path? The caller adds
/// what its kind needs (no default backend, no wildcard host, no rule without paths).
pub fn only_challenges<'a>(paths: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any = false;
    for path in paths {
        if !is_challenge_path(path) {
            return false;
        }
        any = true;
    }
    any
}

/// `Ok` when the Ingress under admission serves only challenge paths ([`judge_ingress`]); else
/// why not, for a message. The object is read again, as a [`Node`]: call it only to lift a
/// rejection.
pub fn solver_ingress(request: &AdmissionRequest<'_>) -> Result<(), String> {
    request
        .object::<Node>("an Ingress")
        .and_then(|object| judge_ingress(&object))
}

/// `Ok` when the HTTPRoute under admission serves only challenge paths ([`judge_route`]).
pub fn solver_route(request: &AdmissionRequest<'_>) -> Result<(), String> {
    request
        .object::<Node>("an HTTPRoute")
        .and_then(|object| judge_route(&object))
}

/// The string at `key` of `v`.
fn text<'t>(v: Option<&'t Node<'_>>, key: &str) -> Option<&'t str> {
    v?.at(key)?.str()
}

/// The list at `key` of `v` (absent or null: empty; another type: `None`).
fn list<'t, 'a>(v: Option<&'t Node<'a>>, key: &str) -> Option<&'t [Node<'a>]> {
    match v.and_then(|v| v.at(key)) {
        None => Some(&[]),
        Some(found) => found.items(),
    }
}

/// A JSON value as the solver checks read it: strings, lists, objects; numbers, booleans and
/// null are only present (`Other`) or null.
#[derive(Debug, Default)]
pub enum Node<'a> {
    #[default]
    Null,
    Other,
    Str(Cow<'a, str>),
    List(Vec<Node<'a>>),
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl Node<'_> {
    /// The value at `key` of a map; `None` when it is absent or null, or this is no map.
    fn at(&self, key: &str) -> Option<&Self> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .filter(|v| !matches!(v, Node::Null)),
            _ => None,
        }
    }

    /// The text of a string.
    fn str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list.
    fn items(&self) -> Option<&[Self]> {
        match self {
            Node::List(items) => Some(items),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node<'de>, E> {
                Ok(Node::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node<'de>, E> {
                Ok(Node::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node<'de>, E> {
                Ok(Node::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node<'de>, E> {
                Ok(Node::Other)
            }
            fn visit_unit<E>(self) -> Result<Node<'de>, E> {
                Ok(Node::Null)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Owned(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Cow<'de, str>, Node<'de>>()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        de.deserialize_any(NodeVisitor)
    }
}

/// `Ok` when the Ingress `object` serves only challenge paths; else why not, for a message.
pub fn judge_ingress(object: &Node<'_>) -> Result<(), String> {
    let spec = object.at("spec");
    if spec.and_then(|s| s.at("defaultBackend")).is_some() {
        return Err("spec.defaultBackend serves every other path".into());
    }
    let rules = list(spec, "rules").ok_or("spec.rules is not a list")?;
    if rules.is_empty() {
        return Err("it has no rules".into());
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(host) = text(Some(rule), "host").filter(|h| h.starts_with('*')) {
            return Err(format!(
                "spec.rules[{i}].host {host:?} is a wildcard, which HTTP-01 cannot validate \
                 (wildcard certificates need DNS-01)"
            ));
        }
        let paths = list(rule.at("http"), "paths").unwrap_or(&[]);
        if paths.is_empty() {
            return Err(format!(
                "spec.rules[{i}] has no paths, so it serves every path of its host"
            ));
        }
        for (j, p) in paths.iter().enumerate() {
            let at = format!("spec.rules[{i}].http.paths[{j}]");
            let path = text(Some(p), "path").unwrap_or("");
            if !is_challenge_path(path) {
                return Err(format!(
                    "{at}.path {path:?} is not a challenge path ({CHALLENGE_PREFIX}<token>)"
                ));
            }
            // Exact matches only the token; ImplementationSpecific is what cert-manager writes
            // (controllers read it as a prefix of the token path). A solver never writes Prefix.
            match text(Some(p), "pathType") {
                Some("Exact" | "ImplementationSpecific") => {}
                other => {
                    return Err(format!(
                        "{at}.pathType {:?} is not Exact or ImplementationSpecific",
                        other.unwrap_or("")
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `Ok` when the HTTPRoute `object` serves only challenge paths; else why not, for a message.
/// A route without hostnames is what cert-manager writes for an IP address identifier
/// (`generateHTTPRouteSpec`): it serves the one path on every hostname of the listener,
/// nothing more.
pub fn judge_route(object: &Node<'_>) -> Result<(), String> {
    let spec = object.at("spec");
    let hostnames = list(spec, "hostnames").ok_or("spec.hostnames is not a list")?;
    for (i, host) in hostnames.iter().enumerate() {
        if let Some(host) = host.str().filter(|h| h.starts_with('*')) {
            return Err(format!(
                "spec.hostnames[{i}] {host:?} is a wildcard, which HTTP-01 cannot validate \
                 (wildcard certificates need DNS-01)"
            ));
        }
    }
    let rules = list(spec, "rules").ok_or("spec.rules is not a list")?;
    if rules.is_empty() {
        return Err("it has no rules".into());
    }
    for (i, rule) in rules.iter().enumerate() {
        // A rule without matches, or a match without a path, matches the prefix `/`.
        let matches = list(Some(rule), "matches").unwrap_or(&[]);
        if matches.is_empty() {
            return Err(format!(
                "spec.rules[{i}] has no matches, so it serves every path"
            ));
        }
        for (j, m) in matches.iter().enumerate() {
            let at = format!("spec.rules[{i}].matches[{j}].path");
            let Some(path) = m.at("path") else {
                return Err(format!("{at} is not set, so it matches every path"));
            };
            // The API's default type is PathPrefix, and its default value `/`.
            let kind = text(Some(path), "type").unwrap_or("PathPrefix");
            let value = text(Some(path), "value").unwrap_or("/");
            if kind != "Exact" || !is_challenge_path(value) {
                return Err(format!(
                    "{at} is {kind} {value:?}, not an Exact challenge path \
                     ({CHALLENGE_PREFIX}<token>)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn challenge_paths() {
        let token = "/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
        let cases = [
            (token, true),
            ("/.well-known/acme-challenge/a_b-C9", true),
            ("/.well-known/acme-challenge/", false),
            ("/.well-known/acme-challenge", false),
            ("/.well-known/acme-challenge/abc/", false),
            ("/.well-known/acme-challenge/abc/def", false),
            ("/.well-known/acme-challenge/ab=", false),
            ("/.well-known/acme-challenge/../admin", false),
            ("/.well-known/acme-challenge/(.*)", false),
            ("/.WELL-KNOWN/acme-challenge/abc", false),
            ("/", false),
            ("", false),
        ];
        for (path, want) in cases {
            assert_eq!(is_challenge_path(path), want, "{path}");
        }
    }

    #[test]
    fn solvers_serve_challenges_only() {
        let a = "/.well-known/acme-challenge/abc";
        let b = "/.well-known/acme-challenge/def";
        assert!(only_challenges([a]));
        assert!(only_challenges([a, b]));
        assert!(!only_challenges([]));
        assert!(!only_challenges([a, "/"]));
        assert!(!only_challenges(["/login", a]));
    }

    fn tree(spec: serde_json::Value) -> String {
        json!({"spec": spec, "n": [1, -1, 1.5, true, null]}).to_string()
    }

    fn judged(spec: serde_json::Value, route: bool) -> Result<(), String> {
        let text = tree(spec);
        let node: Node = crate::json::from_str(&text).unwrap();
        match route {
            true => judge_route(&node),
            false => judge_ingress(&node),
        }
    }

    fn ingress(spec: serde_json::Value) -> Result<(), String> {
        judged(spec, false)
    }

    #[test]
    fn ingress_solvers() {
        let path = |p: &str, t: &str| {
            json!({"path": p, "pathType": t,
                   "backend": {"service": {"name": "cm-acme-http-solver-x", "port": {"number": 8089}}}})
        };
        let rule =
            |host: &str, paths: serde_json::Value| json!({"host": host, "http": {"paths": paths}});
        let ch = "/.well-known/acme-challenge/abc_-1";
        assert!(ingress(json!({"rules": [rule("a.example.com", json!([path(ch, "ImplementationSpecific")]))]})).is_ok());
        assert!(
            ingress(json!({"rules": [rule("a.example.com", json!([path(ch, "Exact")]))]})).is_ok()
        );
        let cases = [
            (
                json!({"rules": [rule("a.example.com", json!([path(ch, "Prefix")]))]}),
                "pathType \"Prefix\"",
            ),
            (
                json!({"rules": [rule("a.example.com", json!([path("/.well-known/acme-challenge", "Prefix")]))]}),
                "is not a challenge path",
            ),
            (
                json!({"rules": [rule("a.example.com", json!([path(ch, "Exact"), path("/", "Prefix")]))]}),
                "paths[1].path \"/\"",
            ),
            (
                json!({"rules": [rule("*.example.com", json!([path(ch, "Exact")]))]}),
                "is a wildcard",
            ),
            (
                json!({"defaultBackend": {"service": {"name": "x"}}, "rules": [rule("a.example.com", json!([path(ch, "Exact")]))]}),
                "defaultBackend",
            ),
            (
                json!({"rules": [{"host": "a.example.com"}]}),
                "has no paths",
            ),
            (json!({"rules": []}), "no rules"),
            (json!({"rules": {"host": "a"}}), "spec.rules is not a list"),
        ];
        for (spec, want) in cases {
            let why = ingress(spec).unwrap_err();
            assert!(why.contains(want), "{why}");
        }
    }

    #[test]
    fn route_solvers() {
        let route = |spec: serde_json::Value| judged(spec, true);
        let exact = json!({"path": {"type": "Exact", "value": "/.well-known/acme-challenge/tok"}});
        assert!(
            route(json!({"hostnames": ["a.example.com"], "rules": [{"matches": [exact]}]})).is_ok()
        );
        assert!(route(json!({"rules": [{"matches": [exact]}]})).is_ok());
        let cases = [
            (
                json!({"hostnames": ["*.example.com"], "rules": [{"matches": [exact]}]}),
                "wildcard",
            ),
            (
                json!({"hostnames": ["a.example.com"], "rules": [{"matches": [exact]}, {}]}),
                "rules[1] has no matches",
            ),
            (
                json!({"hostnames": ["a.example.com"], "rules": [{"matches": [exact, {}]}]}),
                "matches[1].path is not set",
            ),
            (
                json!({"hostnames": ["a.example.com"], "rules": [{"matches": [{"path": {"value": "/.well-known/acme-challenge/tok"}}]}]}),
                "PathPrefix",
            ),
            (
                json!({"hostnames": ["a.example.com"], "rules": []}),
                "no rules",
            ),
            (json!({"hostnames": "a.example.com"}), "not a list"),
        ];
        for (spec, want) in cases {
            let why = route(spec).unwrap_err();
            assert!(why.contains(want), "{why}");
        }
    }
}
