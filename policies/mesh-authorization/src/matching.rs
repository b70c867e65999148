//! How Istio matches the values of an AuthorizationPolicy, and the request spellings that escape
//! them.
//!
//! Facts from istio/istio `pilot/pkg/security/authz/model` (`New` builds one Envoy RBAC policy per
//! rule; `pathGenerator`, `hostGenerator`, `srcPrincipalGenerator`, `srcNamespaceGenerator`) and
//! `pilot/pkg/security/authz/matcher` (`StringMatcher`, `HostMatcher`): a value `*` matches any
//! present value, `x*` is a prefix, `*x` a suffix, anything else exact. Paths are matched after
//! the sidecar normalised them as `meshConfig.pathNormalization` says, case-sensitively and
//! without the query; hosts against the whole `:authority`, port included, ignoring case;
//! principals are `<trust-domain>/ns/<namespace>/sa/<account>` and a namespace value becomes the
//! regex `.*/ns/<value>/.*` over them.

use crate::settings::PathNormalization;

/// What a request that escapes a path or host value gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// DENY (or CUSTOM) `paths`/`hosts`, ALLOW `notPaths`/`notHosts`: escaping the value
    /// escapes the deny, so every spelling of the path must be caught.
    Guard,
    /// ALLOW `paths`/`hosts`, DENY `notPaths`/`notHosts`: escaping the value is denied, the
    /// failure is closed.
    Grant,
}

/// Something wrong with one path or host value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pitfall {
    /// The value can never match a normalised request; the sentence says why.
    Dead(String),
    /// Spellings of the same resource do not match it; the sentence names them and the fix.
    Escape(String),
}

fn is_pattern(value: &str) -> bool {
    value.bytes().any(|b| b == b'*' || b == b'{')
}

/// The prefix a pattern value matches under (`/admin/*`, `/admin*`, `/admin/{**}`), if it is one.
fn prefix_of(value: &str) -> Option<&str> {
    if value == "*" {
        return Some("");
    }
    value
        .strip_suffix("{**}")
        .or_else(|| value.strip_suffix('*').filter(|p| !p.starts_with('*')))
}

/// Why a path value can never match the path the sidecar compares it with, if it cannot.
fn dead_path(value: &str, normalization: PathNormalization) -> Option<String> {
    if value == "*" || value.starts_with('*') {
        // A suffix or presence match: any normalised path may end with it.
        return None;
    }
    if !value.starts_with('/') {
        return Some(
            "does not start with \"/\", and the paths Istio matches always do, so it never \
             matches"
                .to_string(),
        );
    }
    if value.bytes().any(|b| b == b'?' || b == b'#') {
        return Some(
            "has a query or fragment, which Istio strips from the path before matching, so it \
             never matches; match the path alone"
                .to_string(),
        );
    }
    let literal = prefix_of(value).unwrap_or(value);
    // The last segment of a pattern's prefix may go on (`/..*` matches `/..x`).
    let segments = literal.as_bytes().split(|b| *b == b'/');
    let whole = if is_pattern(value) {
        segments.clone().count() - 1
    } else {
        usize::MAX
    };
    let dot_segment = segments.take(whole).any(|s| s == b"." || s == b"..");
    if normalization >= PathNormalization::Base && dot_segment {
        return Some(format!(
            "has a \".\" or \"..\" segment, which pathNormalization {} resolves before \
             matching, so it never matches; write the resolved path",
            normalization.name()
        ));
    }
    if normalization >= PathNormalization::MergeSlashes
        && literal.as_bytes().windows(2).any(|w| w == b"//")
    {
        return Some(format!(
            "has \"//\", which pathNormalization {} merges into one slash before matching, so \
             it never matches; write a single slash",
            normalization.name()
        ));
    }
    let escaped_slash = |w: &[u8]| w.eq_ignore_ascii_case(b"%2f") || w.eq_ignore_ascii_case(b"%5c");
    if normalization == PathNormalization::DecodeAndMergeSlashes
        && literal.as_bytes().windows(3).any(escaped_slash)
    {
        return Some(
            "has an escaped slash (%2F or %5C), which pathNormalization DECODE_AND_MERGE_SLASHES \
             decodes before matching, so it never matches; write \"/\""
                .to_string(),
        );
    }
    None
}

/// The pitfalls of `value`, one of the `paths` (or `notPaths`) `siblings` of an operation.
pub fn path_pitfalls(
    value: &str,
    siblings: &[&str],
    role: Role,
    normalization: PathNormalization,
) -> Vec<Pitfall> {
    if let Some(why) = dead_path(value, normalization) {
        return vec![Pitfall::Dead(why)];
    }
    let mut found = Vec::new();
    if role == Role::Grant || value == "*" || !value.starts_with('/') {
        return found;
    }
    let trimmed = value.trim_end_matches('/');
    // A request path the value matches, to spell differently in the message.
    let example = match value
        .replace("{**}", "x")
        .replace("{*}", "x")
        .replace('*', "x")
    {
        e if e.len() > 1 => e.trim_end_matches('/').to_string(),
        _ => "/x".to_string(),
    };
    let example = example.as_str();
    if !is_pattern(value) {
        // Istio matches a value without `*` exactly: neither `/admin/` nor `/admin/users` is
        // `/admin`. A sibling prefix covering the subtree closes the gap.
        let subtree = format!("{trimmed}/");
        let covered = siblings
            .iter()
            .filter_map(|s| prefix_of(s))
            .any(|p| subtree.starts_with(p));
        if !covered {
            found.push(Pitfall::Escape(format!(
                "matches {value:?} exactly, so {trimmed}/ and {trimmed}/anything escape it; add \
                 \"{trimmed}/*\" beside it (or write \"{trimmed}*\")"
            )));
        }
    }
    let spelled = example.replacen('/', "//", 1);
    let escaped = match example.rfind('/') {
        Some(i) if i > 0 => format!("{}%2F{}", &example[..i], &example[i + 1..]),
        _ => format!("/%2F{}", &example[1..]),
    };
    let variants = match normalization {
        PathNormalization::None => Some(format!(
            "{spelled:?}, {:?} or {escaped:?}, which pathNormalization NONE passes unchanged",
            format!("/.{example}")
        )),
        PathNormalization::Base => Some(format!(
            "{spelled:?} or {escaped:?}, which pathNormalization BASE leaves as they are"
        )),
        PathNormalization::MergeSlashes => Some(format!(
            "{escaped:?}, whose escaped slash pathNormalization MERGE_SLASHES does not decode"
        )),
        PathNormalization::DecodeAndMergeSlashes => None,
    };
    if let Some(variants) = variants {
        found.push(Pitfall::Escape(format!(
            "is escaped by requests for {variants}, while the application may read them as \
             {example} (CVE-2021-31920); set meshConfig.pathNormalization to \
             DECODE_AND_MERGE_SLASHES (and pathNormalization here), or turn the rule into an \
             ALLOW that lists the allowed paths"
        )));
    }
    found
}

/// The pitfall of a `hosts` (or `notHosts`) value: Istio compares it with the whole
/// `:authority`, so `example.com` does not match `example.com:8080`.
pub fn host_pitfall(value: &str, siblings: &[&str], role: Role) -> Option<Pitfall> {
    if role == Role::Grant || value.ends_with('*') || host_has_port(value) {
        return None;
    }
    let with_port = format!("{value}:*");
    if siblings.iter().any(|s| s.eq_ignore_ascii_case(&with_port)) {
        return None;
    }
    Some(Pitfall::Escape(format!(
        "has no port, and Istio matches hosts against the whole Host header, so a request for \
         {value}:<port> escapes it; add {with_port:?} beside it"
    )))
}

fn host_has_port(value: &str) -> bool {
    // `[::1]:80` and `example.com:80`; a bare IPv6 address has colons but no port.
    match value.rsplit_once(':') {
        Some((host, _)) if value.starts_with('[') => host.ends_with(']'),
        Some((host, _)) => !host.contains(':'),
        None => false,
    }
}

/// Whether a `principals` value lets every workload with a mesh identity in: `*`, or a prefix
/// that stops before naming a namespace (`cluster.local/*`, `cluster.local/ns/*`).
pub fn principal_is_everyone(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    let Some(prefix) = value.strip_suffix('*') else {
        return false;
    };
    if prefix.starts_with('*') {
        return false;
    }
    match prefix.find("/ns/") {
        Some(i) => prefix[i + 4..].is_empty(),
        None => true,
    }
}

/// Whether a `namespaces` value lets every namespace in.
pub fn namespace_is_everyone(value: &str) -> bool {
    value == "*"
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathNormalization::*;

    fn pitfalls(value: &str, siblings: &[&str], role: Role, n: PathNormalization) -> Vec<String> {
        path_pitfalls(value, siblings, role, n)
            .into_iter()
            .map(|p| match p {
                Pitfall::Dead(s) => format!("dead: {s}"),
                Pitfall::Escape(s) => format!("escape: {s}"),
            })
            .collect()
    }

    #[test]
    fn guarded_exact_paths_need_their_subtree() {
        let p = pitfalls("/admin", &["/admin"], Role::Guard, DecodeAndMergeSlashes);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("matches \"/admin\" exactly, so /admin/ and /admin/anything escape it; add \"/admin/*\""), "{p:?}");
        for sibling in ["/admin/*", "/admin*", "/admin/{**}", "/*", "*"] {
            let p = pitfalls(
                "/admin",
                &["/admin", sibling],
                Role::Guard,
                DecodeAndMergeSlashes,
            );
            assert!(p.is_empty(), "{sibling}: {p:?}");
        }
        // "/adm*" covers the subtree too; "/admin/x*" does not.
        assert!(pitfalls("/admin", &["/adm*"], Role::Guard, DecodeAndMergeSlashes).is_empty());
        assert_eq!(
            pitfalls("/admin", &["/admin/x*"], Role::Guard, DecodeAndMergeSlashes).len(),
            1
        );
        // Allowed paths fail closed.
        assert!(pitfalls("/admin", &[], Role::Grant, Base).is_empty());
    }

    #[test]
    fn normalization_decides_the_escapes() {
        let base = pitfalls("/admin/*", &[], Role::Guard, Base);
        assert_eq!(base.len(), 1, "{base:?}");
        assert!(
            base[0].contains("\"//admin/x\" or \"/admin%2Fx\""),
            "{base:?}"
        );
        assert!(base[0].contains("CVE-2021-31920"));
        let merge = pitfalls("/admin/*", &[], Role::Guard, MergeSlashes);
        assert!(
            merge[0].contains("does not decode") && !merge[0].contains("//admin"),
            "{merge:?}"
        );
        let none = pitfalls("/api/admin", &["/api/admin/*"], Role::Guard, None);
        assert!(none[0].contains("\"/./api/admin\""), "{none:?}");
        assert!(none[0].contains("\"/api%2Fadmin\""), "{none:?}");
        assert!(pitfalls("/admin/*", &[], Role::Guard, DecodeAndMergeSlashes).is_empty());
        // Suffix and presence matches do not depend on slashes.
        assert!(pitfalls("*.php", &[], Role::Guard, Base).is_empty());
        assert!(pitfalls("*", &[], Role::Guard, None).is_empty());
    }

    #[test]
    fn values_that_never_match() {
        let dead = |v: &str, n| {
            pitfalls(v, &[], Role::Grant, n)
                .first()
                .is_some_and(|p| p.starts_with("dead"))
        };
        assert!(dead("admin", Base));
        assert!(dead("/search?q=x", Base));
        assert!(dead("/a/../admin", Base));
        assert!(!dead("/a/../admin", None));
        assert!(dead("/a//b", MergeSlashes));
        assert!(!dead("/a//b", Base));
        assert!(dead("/a%2fb", DecodeAndMergeSlashes));
        assert!(!dead("/a%2Fb", MergeSlashes));
        assert!(!dead("/static/*", DecodeAndMergeSlashes));
        assert!(!dead("/v1/{*}/info", Base));
        assert!(!dead("/..*", Base));
    }

    #[test]
    fn hosts_and_ports() {
        assert!(host_pitfall("admin.example.com", &[], Role::Guard).is_some());
        assert!(host_pitfall("admin.example.com", &["admin.example.com:*"], Role::Guard).is_none());
        assert!(host_pitfall("admin.example.com:443", &[], Role::Guard).is_none());
        assert!(host_pitfall("admin.example.*", &[], Role::Guard).is_none());
        assert!(host_pitfall("[::1]:8080", &[], Role::Guard).is_none());
        assert!(host_pitfall("::1", &[], Role::Guard).is_some());
        assert!(host_pitfall("admin.example.com", &[], Role::Grant).is_none());
    }

    #[test]
    fn wildcard_principals() {
        for everyone in ["*", "cluster.local/*", "cluster.local/ns/*", "td/ns/*"] {
            assert!(principal_is_everyone(everyone), "{everyone}");
        }
        for scoped in [
            "cluster.local/ns/shop/sa/web",
            "cluster.local/ns/shop/*",
            "cluster.local/ns/sh*",
            "*/ns/shop/sa/web",
            "*/sa/default",
        ] {
            assert!(!principal_is_everyone(scoped), "{scoped}");
        }
        assert!(namespace_is_everyone("*") && !namespace_is_everyone("team-*"));
    }
}
