//! ACME HTTP-01 solvers: the short-lived Ingress or HTTPRoute an ACME client (cert-manager's
//! `pkg/issuer/acme/http`) creates so that the CA can fetch
//! `http://<domain>/.well-known/acme-challenge/<token>` over plain HTTP on port 80 (RFC 8555
//! section 8.3). Without it, the certificates this policy demands could not be issued.
//!
//! An object is a solver when everything it serves is an exact challenge path: every path of
//! every rule is `/.well-known/acme-challenge/` followed by a token of base64url characters
//! (RFC 8555 section 8.1), matched exactly, and nothing else is served (no default backend, no
//! other path, no wildcard host, which HTTP-01 cannot validate anyway). cert-manager's label
//! `acme.cert-manager.io/http01-solver: "true"` only lets the messages explain why an object
//! that carries it is still judged as any other.
//!
//! The object is read again, as a small JSON tree ([`Node`]), only when it would otherwise be
//! rejected: the common request pays nothing, and one tree reader is much less code in the
//! module than derived readers for the nested path and match types (or `serde_json::Value`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

pub use netsec_shared::acme::{CHALLENGE_PREFIX, SOLVER_LABEL, is_challenge_path};

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

const NULL: Node<'static> = Node::Null;

impl<'a> Node<'a> {
    fn get(&self, key: &str) -> &Node<'a> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    fn present(&self, key: &str) -> bool {
        !matches!(self.get(key), Node::Null)
    }

    fn text(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The list at `key` (absent or null: empty; another type: `None`).
    fn list(&self, key: &str) -> Option<&[Node<'a>]> {
        match self.get(key) {
            Node::Null => Some(&[]),
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
    let spec = object.get("spec");
    if spec.present("defaultBackend") {
        return Err("spec.defaultBackend serves every other path".into());
    }
    let rules = spec.list("rules").ok_or("spec.rules is not a list")?;
    if rules.is_empty() {
        return Err("it has no rules".into());
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(host) = rule.text("host").filter(|h| h.starts_with('*')) {
            return Err(format!(
                "spec.rules[{i}].host {host:?} is a wildcard, which HTTP-01 cannot validate \
                 (wildcard certificates need DNS-01)"
            ));
        }
        let paths = rule.get("http").list("paths").unwrap_or(&[]);
        if paths.is_empty() {
            return Err(format!(
                "spec.rules[{i}] has no paths, so it serves every path of its host"
            ));
        }
        for (j, p) in paths.iter().enumerate() {
            let at = format!("spec.rules[{i}].http.paths[{j}]");
            let path = p.text("path").unwrap_or("");
            if !is_challenge_path(path) {
                return Err(format!(
                    "{at}.path {path:?} is not a challenge path ({CHALLENGE_PREFIX}<token>)"
                ));
            }
            // Exact matches only the token; ImplementationSpecific is what cert-manager writes
            // (controllers read it as a prefix of the token path). A solver never writes Prefix.
            match p.text("pathType") {
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
    let spec = object.get("spec");
    let hostnames = spec
        .list("hostnames")
        .ok_or("spec.hostnames is not a list")?;
    for (i, host) in hostnames.iter().enumerate() {
        if let Node::Str(host) = host
            && host.starts_with('*')
        {
            return Err(format!(
                "spec.hostnames[{i}] {host:?} is a wildcard, which HTTP-01 cannot validate \
                 (wildcard certificates need DNS-01)"
            ));
        }
    }
    let rules = spec.list("rules").ok_or("spec.rules is not a list")?;
    if rules.is_empty() {
        return Err("it has no rules".into());
    }
    for (i, rule) in rules.iter().enumerate() {
        // A rule without matches, or a match without a path, matches the prefix `/`.
        let matches = rule.list("matches").unwrap_or(&[]);
        if matches.is_empty() {
            return Err(format!(
                "spec.rules[{i}] has no matches, so it serves every path"
            ));
        }
        for (j, m) in matches.iter().enumerate() {
            let at = format!("spec.rules[{i}].matches[{j}].path");
            let path = m.get("path");
            if let Node::Null = path {
                return Err(format!("{at} is not set, so it matches every path"));
            }
            // The API's default type is PathPrefix, and its default value `/`.
            let kind = path.text("type").unwrap_or("PathPrefix");
            let value = path.text("value").unwrap_or("/");
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

    fn tree(spec: serde_json::Value) -> String {
        json!({"spec": spec, "n": [1, -1, 1.5, true, null]}).to_string()
    }

    fn ingress(spec: serde_json::Value) -> Result<(), String> {
        judge_ingress(&serde_json::from_str(&tree(spec)).unwrap())
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
        ];
        for (spec, want) in cases {
            let why = ingress(spec).unwrap_err();
            assert!(why.contains(want), "{why}");
        }
    }

    #[test]
    fn route_solvers() {
        let route =
            |spec: serde_json::Value| judge_route(&serde_json::from_str(&tree(spec)).unwrap());
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
        ];
        for (spec, want) in cases {
            let why = route(spec).unwrap_err();
            assert!(why.contains(want), "{why}");
        }
    }
}
