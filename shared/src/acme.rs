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

#[cfg(test)]
mod tests {
    use super::*;

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
}
