//! JSON's grammar (RFC 8259) as byte-level steps: whitespace, strings, numbers, literals, and
//! whole values walked without decoding them. [`super::de`] reads requests with these steps and
//! [`crate::scan`] walks `List` answers with them.
//!
//! What is accepted and refused follows serde_json's `Deserializer` (`parse_whitespace`,
//! `ignore_value`, `SliceRead::ignore_str` and `ignore_escape`, `parse_integer`/`parse_number`):
//! the same texts are JSON here as there, and the messages are worded as its `ErrorCode`s are.

/// serde_json's recursion limit: a deeper value is refused there too.
pub(crate) const MAX_DEPTH: usize = 128;

/// Where a text stops being JSON: what was expected, at which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub what: &'static str,
    pub at: usize,
}

pub(crate) const EOF_VALUE: &str = "EOF while parsing a value";
pub(crate) const EOF_LIST: &str = "EOF while parsing a list";
pub(crate) const EOF_OBJECT: &str = "EOF while parsing an object";
pub(crate) const EOF_STRING: &str = "EOF while parsing a string";
pub(crate) const EXPECTED_VALUE: &str = "expected value";
pub(crate) const EXPECTED_COLON: &str = "expected `:`";
pub(crate) const LIST_COMMA_OR_END: &str = "expected `,` or `]`";
pub(crate) const OBJECT_COMMA_OR_END: &str = "expected `,` or `}`";
pub(crate) const KEY_NOT_STRING: &str = "key must be a string";
pub(crate) const TRAILING_COMMA: &str = "trailing comma";
pub(crate) const INVALID_NUMBER: &str = "invalid number";
pub(crate) const INVALID_ESCAPE: &str = "invalid escape";
pub(crate) const RECURSION: &str = "recursion limit exceeded";

pub(crate) fn fault<T>(what: &'static str, at: usize) -> Result<T, Fault> {
    Err(Fault { what, at })
}

/// The first byte from `at` that is not JSON whitespace.
#[inline(always)]
pub(crate) fn space(bytes: &[u8], mut at: usize) -> usize {
    // Requests and answers are compact JSON: nearly every call finds a token at once, told by
    // one comparison (every byte a token starts with is above the space).
    while let Some(&b) = bytes.get(at) {
        if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        at += 1;
    }
    at
}

/// The string whose opening quote is at `at`: where it ends (past its closing quote), and
/// whether it has escapes. Escapes are checked as serde_json's `ignore_escape` checks them (a
/// `\u` takes four hex digits; surrogates are checked only when the string is decoded, in
/// [`super::de`]); a control character is refused.
#[inline(always)]
pub(crate) fn string(bytes: &[u8], at: usize) -> Result<(usize, bool), Fault> {
    let mut at = at + 1;
    let mut escaped = false;
    loop {
        at = plain(bytes, at);
        match bytes.get(at) {
            Some(b'"') => return Ok((at + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                at = escape(bytes, at)?;
            }
            Some(_) => {
                return fault(
                    "control character (\\u0000-\\u001F) found while parsing a string",
                    at,
                );
            }
            None => return fault(EOF_STRING, at),
        }
    }
}

/// The escape whose backslash is at `at`: where it ends.
#[inline(always)]
fn escape(bytes: &[u8], at: usize) -> Result<usize, Fault> {
    match bytes.get(at + 1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 2),
        Some(b'u') => match bytes.get(at + 2..at + 6) {
            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => Ok(at + 6),
            Some(_) => fault(INVALID_ESCAPE, at + 2),
            None => fault(EOF_STRING, bytes.len()),
        },
        Some(_) => fault(INVALID_ESCAPE, at + 1),
        None => fault(EOF_STRING, at + 1),
    }
}

/// `word` (`true`, `false`, `null`) at `at`: where it ends.
pub(crate) fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Result<usize, Fault> {
    let end = at + word.len();
    match bytes.get(at..end) {
        Some(text) if text == word => Ok(end),
        // serde_json reads the letters one by one: the first wrong one is where it stops.
        _ => match (1..word.len()).find(|&i| bytes.get(at + i) != Some(&word[i])) {
            Some(i) if at + i >= bytes.len() => fault(EOF_VALUE, bytes.len()),
            Some(i) => fault("expected ident", at + i),
            None => Ok(end),
        },
    }
}

/// The number at `at`: where it ends. `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
pub(crate) fn number(bytes: &[u8], mut at: usize) -> Result<usize, Fault> {
    let digits = |mut at: usize| {
        while let Some(b'0'..=b'9') = bytes.get(at) {
            at += 1;
        }
        at
    };
    let some_digits = |at: usize| match digits(at) {
        end if end > at => Ok(end),
        _ if at >= bytes.len() => fault(EOF_VALUE, at),
        _ => fault(INVALID_NUMBER, at),
    };
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    at = match bytes.get(at) {
        // There can be only one leading zero.
        Some(b'0') => match bytes.get(at + 1) {
            Some(b'0'..=b'9') => return fault(INVALID_NUMBER, at + 1),
            _ => at + 1,
        },
        Some(b'1'..=b'9') => digits(at),
        None => return fault(EOF_VALUE, at),
        _ => return fault(INVALID_NUMBER, at),
    };
    if bytes.get(at) == Some(&b'.') {
        at = some_digits(at + 1)?;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        at = some_digits(at)?;
    }
    Ok(at)
}

/// The index of the first byte from `at` that ends a string's run of plain text: a quote, a
/// backslash or a control character (or the end). In the modules, sixteen bytes at a time with
/// wasm's SIMD (`.cargo/config.toml` enables it): three comparisons and one bitmask, whose
/// lowest bit is the first match. With the UTF-8 check of [`crate::mem::utf8`], 3 to 6 % fewer
/// instructions per typical request (callgrind, every policy). The rest, and all of it
/// natively, eight bytes at a time, as serde_json's `skip_to_escape` does: in each word, the
/// lowest flagged byte is the first match (the borrows of the subtractions only flag bytes
/// above a true match).
#[inline(always)]
pub(crate) fn plain(bytes: &[u8], mut at: usize) -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_or};
        while let Some(v) = crate::mem::lanes(bytes, at) {
            let hits = v128_or(
                v128_or(
                    u8x16_eq(v, u8x16_splat(b'"')),
                    u8x16_eq(v, u8x16_splat(b'\\')),
                ),
                u8x16_lt(v, u8x16_splat(0x20)),
            );
            let mask = u8x16_bitmask(hits);
            if mask != 0 {
                return at + mask.trailing_zeros() as usize;
            }
            at += 16;
        }
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let w = crate::mem::word(chunk);
        let hits = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS);
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if matches!(b, b'"' | b'\\' | 0..=0x1f) {
            break;
        }
        at += 1;
    }
    at
}

/// An object's key at `at` and its colon: the key as written, whether it has escapes, and where
/// its value may start.
#[inline(always)]
pub(crate) fn key(bytes: &[u8], at: usize) -> Result<(&[u8], bool, usize), Fault> {
    match bytes.get(at) {
        Some(b'"') => {}
        Some(b'}') => return fault(TRAILING_COMMA, at),
        Some(_) => return fault(KEY_NOT_STRING, at),
        None => return fault(EOF_VALUE, at),
    }
    let (end, escaped) = string(bytes, at)?;
    let colon = space(bytes, end);
    match bytes.get(colon) {
        Some(b':') => Ok((&bytes[at + 1..end - 1], escaped, colon + 1)),
        Some(_) => fault(EXPECTED_COLON, colon),
        None => fault(EOF_OBJECT, colon),
    }
}

/// What a walk of a value collects: the strings under some keys ([`crate::scan`]), or nothing
/// ([`Skip`], which compiles to a plain walk).
pub(crate) trait Watch {
    /// Whether any key is watched; when not, the walk carries no code for watching.
    const ANY: bool;
    /// Whether `key` (as written, without escapes) is watched.
    fn watches(&self, key: &[u8]) -> bool;
}

/// Watches nothing: a value skipped.
pub(crate) struct Skip;

impl Watch for Skip {
    const ANY: bool = false;
    fn watches(&self, _: &[u8]) -> bool {
        false
    }
}

const OBJECT: u8 = 1;
const WATCHING: u8 = 2;

/// The value at `at` (in a container `depth` levels down from the text's root): where it ends.
/// With a [`Watch`], the strings under watched keys are pushed to `strings` (an array's elements
/// count as under its key), and `unsure` is set when a watched key holds something a walk cannot
/// read exactly: a string with escapes, a key with escapes, a number, a boolean, an object.
/// In a loop rather than by recursion, with the open containers in a small array: the walk's
/// state stays in locals, which is most of its speed in wasm.
pub(crate) fn value<'a, W: Watch>(
    text: &'a str,
    mut at: usize,
    watch: &W,
    mut watched: bool,
    depth: usize,
    strings: &mut Vec<&'a str>,
    unsure: &mut bool,
) -> Result<usize, Fault> {
    let bytes = text.as_bytes();
    let limit = MAX_DEPTH.saturating_sub(depth);
    // The open containers, innermost last: OBJECT, or an array, WATCHING when it is under a
    // watched key (its elements are watched).
    let mut stack = [0u8; MAX_DEPTH];
    let mut open = 0usize;
    loop {
        at = space(bytes, at);
        match bytes.get(at) {
            Some(b'{' | b'[') if open >= limit => return fault(RECURSION, at),
            Some(b'{') => {
                // An object where a host is expected cannot be read as one.
                *unsure |= W::ANY && watched;
                at = space(bytes, at + 1);
                if bytes.get(at) == Some(&b'}') {
                    at += 1;
                } else {
                    stack[open] = OBJECT;
                    open += 1;
                    let (key, escaped, after) = match bytes.get(at) {
                        // `{,` and `{}` differ in serde_json only in their message.
                        Some(b',') => return fault(KEY_NOT_STRING, at),
                        _ => key(bytes, at)?,
                    };
                    // A key with escapes may spell a watched one.
                    *unsure |= W::ANY && escaped;
                    watched = W::ANY && (escaped || watch.watches(key));
                    at = after;
                    continue;
                }
            }
            Some(b'[') => {
                at = space(bytes, at + 1);
                if bytes.get(at) == Some(&b']') {
                    at += 1;
                } else {
                    stack[open] = if W::ANY && watched { WATCHING } else { 0 };
                    open += 1;
                    continue;
                }
            }
            Some(b'"') => {
                let (end, escaped) = string(bytes, at)?;
                if W::ANY && watched {
                    match escaped {
                        true => *unsure = true,
                        false => strings.push(&text[at + 1..end - 1]),
                    }
                }
                at = end;
            }
            Some(b't') => {
                at = literal(bytes, at, b"true")?;
                *unsure |= W::ANY && watched;
            }
            Some(b'f') => {
                at = literal(bytes, at, b"false")?;
                *unsure |= W::ANY && watched;
            }
            Some(b'n') => at = literal(bytes, at, b"null")?,
            Some(b'-' | b'0'..=b'9') => {
                at = number(bytes, at)?;
                *unsure |= W::ANY && watched;
            }
            Some(_) => return fault(EXPECTED_VALUE, at),
            None => return fault(EOF_VALUE, at),
        }
        // After a value: close what ends here, then on to the next key or element.
        loop {
            if open == 0 {
                return Ok(at);
            }
            at = space(bytes, at);
            let top = stack[open - 1];
            let in_object = top == OBJECT;
            match bytes.get(at) {
                Some(b',') if in_object => {
                    let (key, escaped, after) = key(bytes, space(bytes, at + 1))?;
                    *unsure |= W::ANY && escaped;
                    watched = W::ANY && (escaped || watch.watches(key));
                    at = after;
                    break;
                }
                Some(b',') => {
                    at = space(bytes, at + 1);
                    if bytes.get(at) == Some(&b']') {
                        return fault(TRAILING_COMMA, at);
                    }
                    watched = W::ANY && top == WATCHING;
                    break;
                }
                Some(b'}') if in_object => {
                    at += 1;
                    open -= 1;
                }
                Some(b']') if !in_object => {
                    at += 1;
                    open -= 1;
                }
                Some(_) if in_object => return fault(OBJECT_COMMA_OR_END, at),
                Some(_) => return fault(LIST_COMMA_OR_END, at),
                None if in_object => return fault(EOF_OBJECT, at),
                None => return fault(EOF_LIST, at),
            }
        }
    }
}

/// Skips the value at `at`, `depth` containers down: where it ends.
pub(crate) fn skip(text: &str, at: usize, depth: usize) -> Result<usize, Fault> {
    value(text, at, &Skip, false, depth, &mut Vec::new(), &mut false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(text: &str) -> Result<usize, &'static str> {
        skip(text, 0, 0).map_err(|f| f.what)
    }

    #[test]
    fn plain_runs_end_at_the_first_special_byte() {
        let text = "abcdefghijklmnopqrstuvwxyzé0123456789";
        for special in ["\"", "\\", "\n", "\u{1f}"] {
            for at in 0..text.len() {
                if !text.is_char_boundary(at) {
                    continue;
                }
                let s = format!("{}{special}{}", &text[..at], &text[at..]);
                assert_eq!(plain(s.as_bytes(), 0), at, "{s:?}");
                assert_eq!(plain(s.as_bytes(), at), at, "{s:?}");
            }
        }
        assert_eq!(plain(text.as_bytes(), 3), text.len());
        // Bytes above 0x7f (UTF-8) are plain; so are 0x20 and 0x7f.
        let high = "\u{7f} é\u{80}x";
        assert_eq!(plain(high.as_bytes(), 0), high.len());
    }

    #[test]
    fn values_end_where_serde_json_ends_them() {
        for (text, end) in [
            ("0 ", 1),
            ("-0.5e+3,", 7),
            (r#""a\"b\u00e9" "#, 12),
            ("[1,[2,{}],{\"a\":null}]x", 21),
            ("{ \"a\" : [ true , false ] }", 26),
        ] {
            assert_eq!(skipped(text), Ok(end), "{text}");
        }
    }

    #[test]
    fn faults_are_worded_as_serde_json_words_them() {
        for (text, what) in [
            ("", EOF_VALUE),
            ("[1,]", TRAILING_COMMA),
            ("{\"a\":1,}", TRAILING_COMMA),
            ("{1:2}", KEY_NOT_STRING),
            ("{\"a\" 1}", EXPECTED_COLON),
            ("[1 2]", LIST_COMMA_OR_END),
            ("{\"a\":1 \"b\":2}", OBJECT_COMMA_OR_END),
            ("[1", EOF_LIST),
            ("{\"a\":1", EOF_OBJECT),
            ("\"abc", EOF_STRING),
            ("\"a\\x\"", INVALID_ESCAPE),
            ("\"a\\u12g4\"", INVALID_ESCAPE),
            (
                "\"tab\there\"",
                "control character (\\u0000-\\u001F) found while parsing a string",
            ),
            ("01", INVALID_NUMBER),
            ("1.", EOF_VALUE),
            ("1.x", INVALID_NUMBER),
            ("-", EOF_VALUE),
            ("-x", INVALID_NUMBER),
            ("tru", EOF_VALUE),
            ("trux", "expected ident"),
            ("x", EXPECTED_VALUE),
        ] {
            assert_eq!(skipped(text), Err(what), "{text:?}");
            // serde_json refuses each of them too.
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(skipped(&deep), Err(RECURSION));
    }
}
