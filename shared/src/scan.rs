//! The items of a `List` answer, scanned without decoding them.
//!
//! A context-aware policy often lists every object of a kind in the cluster and cares about few
//! of them: host-ownership compares the hosts of a thousand Ingresses with the two of the
//! request, and decoding each one into a struct costs more than the whole rest of the request.
//! [`each_item`] walks the answer once, checking it is JSON as RFC 8259 defines it (what
//! serde_json accepts), and hands each item over as its text with the strings found under a few
//! keys; the policy decodes only the items those strings make relevant.

use crate::json::syntax::{self, Fault, key, literal, space, value};

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

/// Calls `item` for each element of the top-level `items` array of `json` (a missing or
/// `null` `items` has none), in order. Fails on text that is not one JSON object, on an `items`
/// that is not an array, and with the first error of `item`.
pub fn each_item<'a>(
    json: &'a str,
    keys: &[&str],
    mut item: impl FnMut(Item<'a, '_>) -> Result<(), String>,
) -> Result<(), String> {
    let bytes = json.as_bytes();
    let watch = Watch {
        keys,
        // Most keys are not watched: their length or first byte tells it without comparing
        // them.
        lengths: keys
            .iter()
            .filter(|k| k.len() < 64)
            .fold(0, |mask, k| mask | 1 << k.len()),
        firsts: keys
            .iter()
            .filter_map(|k| k.bytes().next())
            .fold(0, |mask, b| mask | 1 << (b & 63)),
    };
    let mut strings = Vec::new();
    let mut unsure = false;
    let mut at = space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return Err(String::from(Fault {
            what: "the answer is not a JSON object",
            at,
        }));
    }
    at = space(bytes, at + 1);
    let mut seen_items = false;
    if bytes.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            let (key, escaped, after) = key(bytes, at)?;
            // A key written with escapes may spell `items`: read it as a decoder does.
            let items = match escaped {
                false => key == b"items",
                true => crate::json::from_str::<String>(&json[at..at + key.len() + 2])
                    .is_ok_and(|k| k == "items"),
            };
            at = space(bytes, after);
            if !items {
                at = value(json, at, &watch, false, 1, &mut strings, &mut unsure)?;
                // What the list's own fields hold is no item's.
                strings.clear();
                unsure = false;
            } else if std::mem::replace(&mut seen_items, true) {
                return Err(String::from(Fault {
                    what: "duplicate field `items`",
                    at,
                }));
            } else if bytes.get(at) == Some(&b'n') {
                at = literal(bytes, at, b"null")?;
            } else if bytes.get(at) != Some(&b'[') {
                return Err(String::from(Fault {
                    what: "`items` is not an array",
                    at,
                }));
            } else {
                at = space(bytes, at + 1);
                if bytes.get(at) == Some(&b']') {
                    at += 1;
                } else {
                    loop {
                        let start = at;
                        at = value(json, at, &watch, false, 2, &mut strings, &mut unsure)?;
                        item(Item {
                            text: &json[start..at],
                            strings: &strings,
                            unsure: std::mem::replace(&mut unsure, false),
                        })?;
                        strings.clear();
                        at = space(bytes, at);
                        match bytes.get(at) {
                            Some(b',') => at = space(bytes, at + 1),
                            Some(b']') => break at += 1,
                            _ => {
                                return Err(String::from(Fault {
                                    what: syntax::LIST_COMMA_OR_END,
                                    at,
                                }));
                            }
                        }
                    }
                }
            }
            at = space(bytes, at);
            match bytes.get(at) {
                Some(b',') => at = space(bytes, at + 1),
                Some(b'}') => break at += 1,
                _ => {
                    return Err(String::from(Fault {
                        what: syntax::OBJECT_COMMA_OR_END,
                        at,
                    }));
                }
            }
        }
    }
    if space(bytes, at) != bytes.len() {
        return Err(String::from(Fault {
            what: "trailing characters",
            at,
        }));
    }
    Ok(())
}

/// The keys whose strings are collected.
struct Watch<'k> {
    keys: &'k [&'k str],
    lengths: u64,
    firsts: u64,
}

impl syntax::Watch for Watch<'_> {
    const ANY: bool = true;

    #[inline(always)]
    fn watches(&self, key: &[u8]) -> bool {
        let Some(&first) = key.first() else {
            return false;
        };
        key.len() < 64
            && self.lengths >> key.len() & 1 == 1
            && self.firsts >> (first & 63) & 1 == 1
            && self.keys.iter().any(|k| k.as_bytes() == key)
    }
}

/// A syntax error of the answer, with where it is (`?` on the grammar's steps makes these).
impl From<Fault> for String {
    fn from(fault: Fault) -> String {
        format!("{} at byte {}", fault.what, fault.at)
    }
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
    fn the_lists_own_fields_are_no_items() {
        let items = scan(r#"{"host":"list.com","hosts":[1],"items":[{"name":"a"}]}"#).unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0].1.is_empty() && !items[0].2, "{items:?}");
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

    /// Every text one byte away from a valid answer (a byte deleted, or replaced by a
    /// structural one) is accepted exactly when serde_json reads it as a list.
    #[test]
    fn agrees_with_serde_json_one_edit_away() {
        let answer = r#"{"kind":"List","items":[{"a":[1,-2.5e3,true,null],"host":"x.com"},
            {"hosts":["y\u0041.com","z"],"n":{"m":[]}},"s\n",0]}"#;
        let reads_as_list = |t: &str| {
            serde_json::from_str::<serde_json::Value>(t).is_ok_and(|v| {
                v.is_object() && v.get("items").is_none_or(|i| i.is_array() || i.is_null())
            })
        };
        let mut variants = Vec::new();
        for i in 0..answer.len() {
            variants.push(format!("{}{}", &answer[..i], &answer[i + 1..]));
            for b in ["{", "}", "[", "]", ",", ":", "\"", "\\", "0", " "] {
                variants.push(format!("{}{b}{}", &answer[..i], &answer[i + 1..]));
            }
        }
        for text in variants {
            assert_eq!(scan(&text).is_ok(), reads_as_list(&text), "{text}");
        }
    }

    #[test]
    fn valid_numbers_and_literals() {
        let json =
            r#"{"items":[{"a":[0,-0,12,-3.25,1e9,2E-3,6.02e+23,true,false,null,"x\n\"y\u00e9"]}]}"#;
        assert_eq!(scan(json).unwrap().len(), 1);
        serde_json::from_str::<serde_json::Value>(json).unwrap();
    }
}
