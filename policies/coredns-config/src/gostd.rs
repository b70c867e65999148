//! Go's standard library, as CoreDNS's plugins read their values through it: `strconv`'s
//! integers and `time.ParseDuration`. A value Go refuses makes CoreDNS refuse the Corefile.

/// The one leading sign Go's `Atoi` and `ParseDuration` read: whether it is `-`, and the rest.
pub fn sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Decimal digits only, as `strconv` reads them after the sign.
pub fn decimal(text: &str) -> Option<u64> {
    match text.bytes().all(|b| b.is_ascii_digit()) {
        true => text.parse().ok(),
        false => None,
    }
}

/// A Go duration (`30s`, `1h30m`, `1.5m`, `+5s`, `0`) in nanoseconds, as `time.ParseDuration`
/// reads it; a negative one is none, as the plugins that read one refuse it. Integer
/// arithmetic on bytes: float parsing would add more to the module than all of this policy.
pub fn duration_nanos(text: &str) -> Option<u64> {
    // One sign, then `0` alone or numbers with units.
    let (negative, text) = sign(text);
    let mut rest = text.as_bytes();
    if rest == b"0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let digits = |from: usize, rest: &[u8]| {
        from + rest[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut total: u64 = 0;
    while !rest.is_empty() {
        // [0-9]*(\.[0-9]*)? then a unit.
        let whole_end = digits(0, rest);
        let (fraction, mut at) = match rest.get(whole_end) {
            Some(b'.') => {
                let end = digits(whole_end + 1, rest);
                (&rest[whole_end + 1..end], end)
            }
            _ => (&rest[..0], whole_end),
        };
        if whole_end == 0 && fraction.is_empty() {
            return None;
        }
        let unit_start = at;
        while rest
            .get(at)
            .is_some_and(|b| *b != b'.' && !b.is_ascii_digit())
        {
            at += 1;
        }
        let unit: u64 = match &rest[unit_start..at] {
            b"ns" => 1,
            // U+00B5 micro sign or U+03BC Greek small mu, as Go takes both.
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => return None,
        };
        let mut value: u64 = 0;
        for digit in &rest[..whole_end] {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
        }
        value = value.checked_mul(unit)?;
        let mut scale = unit;
        for digit in fraction {
            scale /= 10;
            value += u64::from(digit - b'0') * scale;
        }
        total = total.checked_add(value)?;
        rest = &rest[at..];
    }
    // Go's durations end at 2^63 - 1 nanoseconds (about 292 years).
    match negative && total > 0 || total > i64::MAX as u64 {
        true => None,
        false => Some(total),
    }
}

/// A duration ([`duration_nanos`]) in whole seconds, rounded up: the plugins that take TTLs
/// and stale windows in seconds (`cache`).
pub fn duration_seconds(text: &str) -> Option<u64> {
    duration_nanos(text).map(|n| n.div_ceil(1_000_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_time_parse_duration_reads_them() {
        let cases = [
            ("30s", Some(30_000_000_000)),
            ("1h30m", Some(5_400_000_000_000)),
            ("1.5m", Some(90_000_000_000)),
            (".5s", Some(500_000_000)),
            ("500ms", Some(500_000_000)),
            ("1500000\u{b5}s", Some(1_500_000_000)),
            ("1500000\u{3bc}s", Some(1_500_000_000)),
            ("0", Some(0)),
            ("+0", Some(0)),
            ("-0s", Some(0)),
            ("+90s", Some(90_000_000_000)),
            ("2562047h47m16.854775807s", Some(i64::MAX as u64)),
            ("2562047h47m16.854775808s", None),
            ("-5s", None),
            ("+-5s", None),
            ("00", None),
            ("-", None),
            ("10", None),
            ("1d", None),
            ("", None),
            (".s", None),
            ("5 s", None),
            ("1.2.3s", None),
            ("1s.", None),
            ("99999999999999999999s", None),
            ("3000000h", None),
        ];
        for (text, nanos) in cases {
            assert_eq!(duration_nanos(text), nanos, "{text:?}");
        }
    }

    #[test]
    fn seconds_are_rounded_up() {
        assert_eq!(duration_seconds("30s"), Some(30));
        assert_eq!(duration_seconds("1.5m"), Some(90));
        assert_eq!(duration_seconds("500ms"), Some(1));
        assert_eq!(duration_seconds("1500000\u{b5}s"), Some(2));
        assert_eq!(duration_seconds("0"), Some(0));
        assert_eq!(duration_seconds("-5s"), None);
    }

    #[test]
    fn integers_as_strconv_reads_them() {
        assert_eq!(sign("-12"), (true, "12"));
        assert_eq!(sign("+12"), (false, "12"));
        assert_eq!(sign("12"), (false, "12"));
        assert_eq!(decimal("0042"), Some(42));
        assert_eq!(decimal("4_2"), None);
        assert_eq!(decimal("+42"), None);
        assert_eq!(decimal(""), None);
        assert_eq!(decimal("99999999999999999999"), None);
    }
}
