//! Typed reading of annotation values, the way the controllers that own them read them, with
//! errors that name the annotation.

/// How a controller turns an annotation value into a boolean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolSyntax {
    /// Go's `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`
    /// (ingress-nginx, haproxy-ingress, ingress-gce).
    Go,
    /// `strconv.ParseBool`, then the deprecated `enabled`/`on` and `disabled`/`off` in any case
    /// (haproxytech kubernetes-ingress).
    GoOrSwitch,
}

impl BoolSyntax {
    pub fn parse(self, value: &str) -> Option<bool> {
        match value {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => return Some(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => return Some(false),
            _ => {}
        }
        if self == BoolSyntax::GoOrSwitch {
            match value.to_ascii_lowercase().as_str() {
                "enabled" | "on" => return Some(true),
                "disabled" | "off" => return Some(false),
                _ => {}
            }
        }
        None
    }

    /// What the values look like, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            BoolSyntax::Go => "\"true\" or \"false\"",
            BoolSyntax::GoOrSwitch => "\"true\" or \"false\" (or the deprecated enabled/disabled)",
        }
    }
}

/// Reads a boolean annotation; the error is a sentence naming the annotation and its value.
pub fn read_bool(key: &str, value: &str, syntax: BoolSyntax) -> Result<bool, String> {
    syntax.parse(value).ok_or_else(|| {
        format!(
            "annotation {key}: {value:?} is not a boolean; use {}",
            syntax.expected()
        )
    })
}

/// Reads a whole decimal number; `min` is the smallest accepted value.
pub fn read_uint(key: &str, value: &str, min: u64) -> Result<u64, String> {
    let trimmed = value.trim();
    let parsed = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        trimmed.parse::<u64>().ok()
    } else {
        None
    };
    match parsed {
        Some(n) if n >= min => Ok(n),
        Some(n) => Err(format!(
            "annotation {key}: {n} is below the minimum of {min}"
        )),
        None => Err(format!("annotation {key}: {value:?} is not a whole number")),
    }
}

/// Splits a comma-separated list, trimming blanks and dropping empty items.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// A whole decimal number as written by hand in a controller annotation: ASCII digits only. Go's
/// `strconv` would also take a sign, which no limit needs, and blanks make it fail, so both are
/// refused here rather than guessed at.
pub fn parse_digits(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// The time unit of an nginx request rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatePer {
    Second,
    Minute,
}

/// An nginx `limit_req_zone` rate as F5 NGINX Ingress takes it in `nginx.org/limit-req-rate`:
/// `<n>r/s` or `<n>r/m`.
pub fn parse_nginx_rate(value: &str) -> Option<(u64, RatePer)> {
    let (count, unit) = value.split_once("r/")?;
    let per = match unit {
        "s" => RatePer::Second,
        "m" => RatePer::Minute,
        _ => return None,
    };
    Some((parse_digits(count)?, per))
}

/// A time in milliseconds, in the HAProxy syntax haproxytech's controller reads: digits with an
/// optional unit `ms`, `s`, `m`, `h` or `d`; no unit means milliseconds.
pub fn parse_haproxy_time_ms(value: &str) -> Option<u64> {
    const UNITS: [(&str, u64); 5] = [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
    ];
    // `ms` is tried before `s` and `m`, which it ends with and starts with.
    let (digits, scale) = UNITS
        .iter()
        .find_map(|(unit, scale)| value.strip_suffix(unit).map(|d| (d, *scale)))
        .unwrap_or((value, 1));
    parse_digits(digits)?.checked_mul(scale)
}

/// Checks an annotation key as the API server does: an optional prefix (a lower-case DNS
/// subdomain) and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.` that starts
/// and ends with a letter or digit.
pub fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("its prefix {prefix:?} must be lower-case"));
        }
        crate::host::check_domain(prefix)
            .map_err(|why| format!("its prefix {prefix:?} is not a DNS subdomain: {why}"))?;
    }
    if name.is_empty() || name.len() > 63 {
        return Err("its name must be 1 to 63 characters long".into());
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Err(format!(
            "its name {name:?} must start and end with a letter or digit"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!("{c:?} is not allowed in its name {name:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bool_table() {
        let cases = [
            ("true", BoolSyntax::Go, Some(true)),
            ("True", BoolSyntax::Go, Some(true)),
            ("TRUE", BoolSyntax::Go, Some(true)),
            ("t", BoolSyntax::Go, Some(true)),
            ("1", BoolSyntax::Go, Some(true)),
            ("false", BoolSyntax::Go, Some(false)),
            ("F", BoolSyntax::Go, Some(false)),
            ("0", BoolSyntax::Go, Some(false)),
            ("tRUE", BoolSyntax::Go, None),
            ("yes", BoolSyntax::Go, None),
            (" false", BoolSyntax::Go, None),
            ("", BoolSyntax::Go, None),
            ("disabled", BoolSyntax::Go, None),
            ("disabled", BoolSyntax::GoOrSwitch, Some(false)),
            ("OFF", BoolSyntax::GoOrSwitch, Some(false)),
            ("Enabled", BoolSyntax::GoOrSwitch, Some(true)),
            ("on", BoolSyntax::GoOrSwitch, Some(true)),
            ("no", BoolSyntax::GoOrSwitch, None),
        ];
        for (value, syntax, want) in cases {
            assert_eq!(syntax.parse(value), want, "{value:?} {syntax:?}");
        }
        let err = read_bool("a/b", "yes", BoolSyntax::Go).unwrap_err();
        assert!(
            err.contains("annotation a/b") && err.contains("\"yes\""),
            "{err}"
        );
    }

    #[test]
    fn uint_table() {
        assert_eq!(read_uint("k", "10", 1), Ok(10));
        assert_eq!(read_uint("k", " 7 ", 0), Ok(7));
        for bad in ["", "-1", "1e3", "10r/s", "1.5", "99999999999999999999999"] {
            let err = read_uint("k", bad, 1).unwrap_err();
            assert!(err.contains("not a whole number"), "{bad}: {err}");
        }
        assert!(
            read_uint("k", "0", 1)
                .unwrap_err()
                .contains("below the minimum")
        );
    }

    #[test]
    fn lists() {
        let items: Vec<_> = split_list(" a, b,,c ,").collect();
        assert_eq!(items, ["a", "b", "c"]);
        assert_eq!(split_list("").count(), 0);
    }

    #[test]
    fn strict_digits() {
        assert_eq!(parse_digits("020"), Some(20));
        for bad in [
            "",
            " 1",
            "1 ",
            "+1",
            "-1",
            "1e3",
            "1.0",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_digits(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nginx_rates() {
        assert_eq!(parse_nginx_rate("10r/s"), Some((10, RatePer::Second)));
        assert_eq!(parse_nginx_rate("600r/m"), Some((600, RatePer::Minute)));
        for bad in [
            "10", "10r/h", "r/s", "10 r/s", "10r/s ", "10R/s", "-1r/s", "10/s",
        ] {
            assert_eq!(parse_nginx_rate(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn haproxy_times() {
        let cases = [
            ("1s", Some(1_000)),
            ("10s", Some(10_000)),
            ("1m", Some(60_000)),
            ("500ms", Some(500)),
            ("250", Some(250)),
            ("2h", Some(7_200_000)),
            ("1d", Some(86_400_000)),
            ("", None),
            ("s", None),
            ("1.5s", None),
            ("10us", None),
            ("1 s", None),
            ("-1s", None),
            ("99999999999999999d", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_haproxy_time_ms(value), want, "{value:?}");
        }
    }

    #[test]
    fn keys() {
        for ok in [
            "a",
            "nginx.ingress.kubernetes.io/server-snippet",
            "a.b/C_d.e-1",
        ] {
            assert_eq!(check_key(ok), Ok(()), "{ok}");
        }
        let bad = [
            ("", "1 to 63"),
            ("a/", "1 to 63"),
            ("/a", "not a DNS subdomain"),
            ("Nginx.io/a", "lower-case"),
            ("a b/c", "not a DNS subdomain"),
            ("x/-a", "start and end"),
            ("x/a b", "not allowed"),
            ("a/b/c", "not a DNS subdomain"),
        ];
        for (key, why) in bad {
            let err = check_key(key).unwrap_err();
            assert!(err.contains(why), "{key}: {err}");
        }
        assert!(check_key(&"a".repeat(64)).is_err());
    }
}
