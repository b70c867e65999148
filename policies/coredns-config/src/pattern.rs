//! Text patterns: key and import globs, and what a regular expression or a name suffix can
//! reach in the DNS tree.

/// Does the glob `pattern` admit `text`? `*` stands for any run of characters but `/`, `?` for
/// one. When `text` is itself a pattern (an import), its wildcards are admitted only by a `*`,
/// so that an admitted import can only read files the allowed pattern admits.
pub fn glob_covers(pattern: &str, text: &str) -> bool {
    // Bytes, not characters: a `?` facing a multi-byte character then fails to match, which
    // only ever refuses an import.
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let is_meta = |c: u8| matches!(c, b'*' | b'?' | b'[' | b']');
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let c = t[ti];
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(b'?') if c != b'/' && !is_meta(c) => {
                pi += 1;
                ti += 1;
                continue;
            }
            Some(&literal) if literal == c && !is_meta(c) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        // Backtrack: the last `*` takes one more character, unless it would cross a '/'.
        match star {
            Some((sp, st)) if t.get(st).is_some_and(|&c| c != b'/') => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            _ => return false,
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Resolves an import pattern as CoreDNS does (relative to the Corefile's directory, which the
/// stock Deployments mount at /etc/coredns) and removes `.` and `..` so that a path cannot
/// climb out of an allowed directory unseen.
pub fn resolve_import(pattern: &str) -> String {
    if pattern.starts_with('/') {
        normalize_path(pattern)
    } else {
        normalize_path(&format!("/etc/coredns/{pattern}"))
    }
}

/// An absolute path with `.`, `..` and doubled slashes resolved.
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The literal name suffix every match of `regex` ends with, when the regex is anchored with
/// `$` and has no top-level alternation; `None` when it could match names ending anyhow.
pub fn regex_literal_suffix(regex: &str) -> Option<String> {
    let body = regex.strip_suffix('$')?;
    let mut depth = 0i32;
    let mut escaped = false;
    for c in body.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => depth -= 1,
            '|' if depth <= 0 => return None,
            _ => {}
        }
    }
    let bytes = body.as_bytes();
    let mut suffix = Vec::new();
    let mut end = bytes.len();
    while let Some((&c, before)) = bytes[..end].split_last() {
        let backslashes = before.iter().rev().take_while(|&&b| b == b'\\').count();
        if c == b'.' && backslashes % 2 == 1 {
            suffix.push(b'.');
            end -= 2;
        } else if (c.is_ascii_alphanumeric() || c == b'-' || c == b'_') && backslashes % 2 == 0 {
            suffix.push(c.to_ascii_lowercase());
            end -= 1;
        } else {
            break;
        }
    }
    // Scanning stops at the first character that is not a literal, so no quantifier can apply
    // to what was collected: every match ends with it.
    suffix.reverse();
    String::from_utf8(suffix).ok()
}

/// The literal tail of a rewrite replacement such as `{1}.example.org`: what follows its last
/// `{n}` group (all of it when there is none).
pub fn replacement_literal_suffix(replacement: &str) -> String {
    let tail = replacement.rsplit('}').next().unwrap_or(replacement);
    tail.to_ascii_lowercase()
}

/// Can a name that ends with the text `suffix` lie in `domain` (fully qualified)? That is when
/// the suffix is the tail of the domain's own text, or contains the domain as labels.
pub fn suffix_reaches(suffix: &str, domain: &str) -> bool {
    let suffix = suffix.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.');
    if suffix.is_empty() {
        return true;
    }
    let dotted = format!(".{domain}");
    suffix == domain || suffix.ends_with(&dotted) || dotted.ends_with(&suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("*.server", "example.server", true),
            ("*.server", "a.override", false),
            ("*.server", ".server", true),
            ("Corefile", "Corefile", true),
            ("Corefile", "corefile", false),
            (
                "/etc/coredns/custom/*.override",
                "/etc/coredns/custom/*.override",
                true,
            ),
            (
                "/etc/coredns/custom/*.override",
                "/etc/coredns/custom/a.override",
                true,
            ),
            (
                "/etc/coredns/custom/*.override",
                "/etc/coredns/custom/*",
                false,
            ),
            (
                "/etc/coredns/custom/*.override",
                "/etc/coredns/custom/x/y.override",
                false,
            ),
            (
                "/etc/coredns/custom/*.override",
                "/etc/coredns/other/a.override",
                false,
            ),
            ("/etc/coredns/a?c", "/etc/coredns/abc", true),
            ("/etc/coredns/a?c", "/etc/coredns/a*c", false),
            ("/etc/coredns/*", "/etc/coredns/custom/*.server", false),
            ("*", "", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(glob_covers(pattern, text), want, "{pattern} vs {text}");
        }
    }

    #[test]
    fn import_resolution() {
        assert_eq!(
            resolve_import("custom/*.server"),
            "/etc/coredns/custom/*.server"
        );
        assert_eq!(
            resolve_import("/etc/coredns/custom/../../../tmp/*.server"),
            "/tmp/*.server"
        );
        assert_eq!(resolve_import("./a//b/./c"), "/etc/coredns/a/b/c");
    }

    #[test]
    fn regex_suffixes() {
        let cases = [
            (r"(.*)\.example\.com\.$", Some(".example.com.")),
            (
                r"^(?P<a>[0-9]+)\.ip\.example\.org$",
                Some(".ip.example.org"),
            ),
            (r"(.*)\.example\.com", None),
            (r"^a$|.*", None),
            (r"(a|b)\.example\.org\.$", Some(".example.org.")),
            (r".*$", Some("")),
            (r"\d$", Some("")),
            (r"x{2}$", Some("")),
            (r"ab{2}$", Some("")),
        ];
        for (regex, want) in cases {
            assert_eq!(regex_literal_suffix(regex).as_deref(), want, "{regex}");
        }
        assert_eq!(
            replacement_literal_suffix("{1}.svc.cluster.local"),
            ".svc.cluster.local"
        );
        assert_eq!(replacement_literal_suffix("{1}"), "");
    }

    #[test]
    fn suffixes_reaching_a_domain() {
        let d = "cluster.local.";
        for reaches in [
            "cluster.local",
            ".svc.cluster.local.",
            ".local",
            "ter.local",
            "",
            "local.",
        ] {
            assert!(suffix_reaches(reaches, d), "{reaches}");
        }
        for not in [
            ".example.com",
            "cluster.local.example.com",
            "xcluster.local",
        ] {
            assert!(!suffix_reaches(not, d), "{not}");
        }
    }
}
