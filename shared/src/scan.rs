//! The items of a `List` answer, scanned without decoding them.
//!
//! A context-aware policy often lists every object of a kind in the cluster and cares about few
//! of them: host-ownership compares the hosts of a thousand Ingresses with the two of the
//! request, and decoding each one into a struct costs more than the whole rest of the request.
//! [`each_item`] walks the answer once, checking it is JSON as RFC 8259 defines it (what
//! serde_json accepts), and hands each item over as its text with the strings found under a few
//! keys; the policy decodes only the items those strings make relevant.

/// One item of the list.
#[derive(Debug)]
pub struct Item<'a, 's> {
    /// The item's JSON text, to decode when it matters.
    pub text: &'a str,
    /// The strings under the watched keys, anywhere in the item (an array's elements count as
    /// under the array's key), as written: only strings without escapes, see [`Self::unsure`].
    pub strings: &'s [&'a str],
    /// A watched key held something a scan cannot read exactly: a string with escapes, a key
    /// written with escapes, a number, an object. The item must then be decoded to be judged.
    pub unsure: bool,
}

/// serde_json's limit: a deeper value is refused there too.
const MAX_DEPTH: usize = 128;

/// Calls `item` for each element of the top-level `items` array of `json` (a missing or
/// `null` `items` has none), in order. Fails on text that is not one JSON object, on an `items`
/// that is not an array, and with the first error of `item`.
pub fn each_item<'a>(
    json: &'a str,
    keys: &[&str],
    mut item: impl FnMut(Item<'a, '_>) -> Result<(), String>,
) -> Result<(), String> {
    let mut scan = Scanner {
        text: json,
        bytes: json.as_bytes(),
        at: 0,
        keys,
        // Most keys are not watched: their length tells it without comparing them.
        lengths: keys
            .iter()
            .filter(|k| k.len() < 64)
            .fold(0, |mask, k| mask | 1 << k.len()),
        strings: Vec::new(),
        unsure: false,
    };
    scan.space();
    scan.expect(b'{', "the answer is not a JSON object")?;
    scan.space();
    let mut seen_items = false;
    if !scan.eat(b'}') {
        loop {
            scan.space();
            let (key, _) = scan.string()?;
            scan.space();
            scan.expect(b':', "expected `:`")?;
            scan.space();
            if key == "items" {
                if std::mem::replace(&mut seen_items, true) {
                    return Err(scan.error("duplicate field `items`"));
                }
                scan.items(&mut item)?;
            } else {
                scan.value(false, 1)?;
            }
            scan.space();
            if scan.eat(b',') {
                continue;
            }
            scan.expect(b'}', "expected `,` or `}`")?;
            break;
        }
    }
    scan.space();
    if scan.at != scan.bytes.len() {
        return Err(scan.error("trailing characters"));
    }
    Ok(())
}

struct Scanner<'a, 'k> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    keys: &'k [&'k str],
    lengths: u64,
    strings: Vec<&'a str>,
    unsure: bool,
}

impl<'a> Scanner<'a, '_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.at += usize::from(hit);
        hit
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(self.error(what)),
        }
    }

    #[inline(always)]
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The `items` value: `null`, or an array whose elements are handed over one by one.
    fn items(
        &mut self,
        item: &mut impl FnMut(Item<'a, '_>) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.peek() == Some(b'n') {
            return self.literal("null");
        }
        self.expect(b'[', "`items` is not an array")?;
        self.space();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.space();
            let start = self.at;
            self.value(false, 2)?;
            item(Item {
                text: &self.text[start..self.at],
                strings: &self.strings,
                unsure: std::mem::replace(&mut self.unsure, false),
            })?;
            self.strings.clear();
            self.space();
            if self.eat(b',') {
                continue;
            }
            return self.expect(b']', "expected `,` or `]`");
        }
    }

    /// One value; `watched` when it is under a watched key.
    fn value(&mut self, watched: bool, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        match self.peek() {
            Some(b'{') => {
                self.unsure |= watched;
                self.object(depth)
            }
            Some(b'[') => self.array(watched, depth),
            Some(b'"') => {
                let (text, escaped) = self.string()?;
                if watched {
                    match escaped {
                        true => self.unsure = true,
                        false => self.strings.push(text),
                    }
                }
                Ok(())
            }
            Some(b't') => self.literal("true").map(|()| self.unsure |= watched),
            Some(b'f') => self.literal("false").map(|()| self.unsure |= watched),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|()| self.unsure |= watched),
            _ => Err(self.error("expected a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), String> {
        self.at += 1;
        self.space();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.space();
            let (key, escaped) = self.string()?;
            // A key with escapes may spell a watched one: its value cannot be told apart.
            let watched =
                key.len() < 64 && self.lengths >> key.len() & 1 == 1 && self.keys.contains(&key);
            self.unsure |= escaped;
            self.space();
            self.expect(b':', "expected `:`")?;
            self.space();
            self.value(watched || escaped, depth + 1)?;
            self.space();
            if self.eat(b',') {
                continue;
            }
            return self.expect(b'}', "expected `,` or `}`");
        }
    }

    fn array(&mut self, watched: bool, depth: usize) -> Result<(), String> {
        self.at += 1;
        self.space();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.space();
            self.value(watched, depth + 1)?;
            self.space();
            if self.eat(b',') {
                continue;
            }
            return self.expect(b']', "expected `,` or `]`");
        }
    }

    /// A string's text between its quotes, and whether it holds escapes.
    fn string(&mut self) -> Result<(&'a str, bool), String> {
        self.expect(b'"', "expected a string")?;
        let start = self.at;
        let mut escaped = false;
        loop {
            self.at = plain(self.bytes, self.at);
            match self.peek() {
                Some(b'"') => {
                    let text = &self.text[start..self.at];
                    self.at += 1;
                    return Ok((text, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1
                        }
                        Some(b'u') => {
                            let hex = self.bytes.get(self.at + 1..self.at + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.error("invalid \\u escape"));
                            }
                            self.at += 5;
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.at += 1,
                None => return Err(self.error("EOF while parsing a string")),
            }
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        match self.bytes[self.at..].starts_with(word.as_bytes()) {
            true => {
                self.at += word.len();
                Ok(())
            }
            false => Err(self.error("expected a value")),
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), String> {
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.eat(b'.') {
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), String> {
        let start = self.at;
        self.digits();
        match self.at > start {
            true => Ok(()),
            false => Err(self.error("invalid number")),
        }
    }
}

/// The index of the first byte from `at` that ends a string's run of plain text: a quote, a
/// backslash or a control character (or the end). Eight bytes at a time, as serde_json's
/// `skip_to_escape` does: in each word, the lowest flagged byte is the first match (the
/// borrows of the subtractions only flag bytes above a true match).
#[inline(always)]
fn plain(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    while let Some(chunk) = bytes.get(at..at + 8) {
        // Element by element: one load once compiled, where `copy_from_slice` stays a call.
        let w = match *chunk {
            [a, b, c, d, e, f, g, h] => u64::from_le_bytes([a, b, c, d, e, f, g, h]),
            _ => 0,
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[&str] = &["host", "hosts"];

    fn scan(json: &str) -> Result<Vec<(String, Vec<String>, bool)>, String> {
        let mut out = Vec::new();
        each_item(json, KEYS, |item| {
            let strings = item.strings.iter().map(|s| s.to_string()).collect();
            out.push((item.text.to_string(), strings, item.unsure));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn items_and_their_watched_strings() {
        let json = r#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"1"},
            "items":[ {"spec":{"rules":[{"host":"a.com"},{"http":{}}],"tls":[{"hosts":["b.com","c.com"]}]}},
                      {"metadata":{"name":"x"}} ]}"#;
        let items = scan(json).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].1, ["a.com", "b.com", "c.com"]);
        assert!(!items[0].2);
        assert!(items[0].0.starts_with("{\"spec\"") && items[0].0.ends_with("]}]}}"));
        assert_eq!(items[1].0, r#"{"metadata":{"name":"x"}}"#);
        assert!(items[1].1.is_empty());
        // Each item's text decodes as the item.
        let value: serde_json::Value = serde_json::from_str(&items[0].0).unwrap();
        assert_eq!(value["spec"]["rules"][0]["host"], "a.com");
    }

    #[test]
    fn what_a_scan_cannot_read_exactly_is_unsure() {
        for json in [
            r#"{"items":[{"host":"\u0061.com"}]}"#,
            r#"{"items":[{"h\u006fst":"a.com"}]}"#,
            r#"{"items":[{"host":42}]}"#,
            r#"{"items":[{"host":{"name":"a.com"}}]}"#,
            r#"{"items":[{"hosts":[true]}]}"#,
        ] {
            let items = scan(json).unwrap();
            assert!(items[0].2, "{json}");
        }
        let items = scan(r#"{"items":[{"host":null,"name":"\"quoted\""}]}"#).unwrap();
        assert!(!items[0].2 && items[0].1.is_empty());
    }

    #[test]
    fn empty_and_null_items() {
        assert!(scan(r#"{"items":[]}"#).unwrap().is_empty());
        assert!(scan(r#"{"items":null}"#).unwrap().is_empty());
        assert!(scan(r#"{"kind":"List"}"#).unwrap().is_empty());
        assert!(scan(" { } ").unwrap().is_empty());
    }

    /// What is not JSON, or not a list, is refused (fail closed), as a decoder of the list does.
    #[test]
    fn malformed_answers_are_refused() {
        for json in [
            "",
            "[]",
            r#"{"items":{}}"#,
            r#"{"items":[1,]}"#,
            r#"{"items":[{"a":1,}]}"#,
            r#"{"items":[{"a" 1}]}"#,
            r#"{"items":[{"a":01}]}"#,
            r#"{"items":[{"a":1.}]}"#,
            r#"{"items":[{"a":-}]}"#,
            r#"{"items":[{"a":1e}]}"#,
            r#"{"items":[{"a":tru}]}"#,
            r#"{"items":[{"a":"\x"}]}"#,
            r#"{"items":[{"a":"\u12"}]}"#,
            "{\"items\":[{\"a\":\"tab\there\"}]}",
            r#"{"items":[{"a":"open}]}"#,
            r#"{"items":[],"items":[]}"#,
            r#"{"items":[]} x"#,
            r#"{"items":[{"a":1}"#,
        ] {
            assert!(scan(json).is_err(), "{json:?} was accepted");
        }
        let deep = format!("{{\"items\":[{}{}]}}", "[".repeat(200), "]".repeat(200));
        assert!(scan(&deep).unwrap_err().contains("recursion limit"));
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
    fn valid_numbers_and_literals() {
        let json =
            r#"{"items":[{"a":[0,-0,12,-3.25,1e9,2E-3,6.02e+23,true,false,null,"x\n\"y\u00e9"]}]}"#;
        assert_eq!(scan(json).unwrap().len(), 1);
        serde_json::from_str::<serde_json::Value>(json).unwrap();
    }
}
