//! JSON decoding whose errors name the path of the failing value (`spec.rules[0].host: invalid
//! type: integer `42`, expected a string`).
//!
//! [`de`] decodes (serde_json's reading, faster where values are skipped); its errors carry a
//! byte offset. Only when decoding fails, the text up to that offset is scanned once more to
//! find which keys and indices lead there. This costs nothing on the success path and, unlike
//! wrapping every deserializer to track the path as it goes, adds no code per deserialised type
//! to the wasm modules.

use serde::Deserialize;

pub mod de;
pub(crate) mod syntax;
pub mod value;

pub use value::Json;

/// Decodes `T`, borrowing from `json` where it can.
pub fn from_str<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T, String> {
    de::from_str(json).map_err(|e| describe(json.as_bytes(), &e))
}

/// Reads a `serde_json::Value` ([`Json`]: without serde_json's reader).
pub fn value(json: &str) -> Result<serde_json::Value, String> {
    from_str::<Json>(json).map(|json| json.0)
}

/// Decodes `T` from bytes. They are checked to be UTF-8 first and read as text: one reader
/// type for every decode keeps each deserialiser once in the module (serde instantiates them
/// per reader), and the check is a fast pass of its own.
pub fn from_slice<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, String> {
    match crate::mem::utf8(json) {
        Ok(text) => from_str(text),
        Err(e) => {
            let path = render(&path_at(json, e.valid_up_to()));
            let at = if path.is_empty() {
                String::new()
            } else {
                format!("{path}: ")
            };
            Err(format!("{at}the text is not valid UTF-8"))
        }
    }
}

/// `path: message`: the keys and indices that lead to where decoding failed, then what failed.
pub fn describe(json: &[u8], err: &de::Error) -> String {
    let message = err.message();
    let mut segments = path_at(json, err.offset());
    // "unknown field `x`" names the field itself; the path should end at its parent.
    if message.starts_with("unknown field") {
        segments.pop();
    }
    let path = render(&segments);
    if path.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}

#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array { index: usize },
}

/// The keys and indices that lead to `offset`.
fn path_at(json: &[u8], offset: usize) -> Vec<Segment> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset && i < json.len() {
        match json[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < json.len() && json[j] != b'"' {
                    j += if json[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(json.len());
                if let Some(Frame::Object {
                    key,
                    want_key: want @ true,
                }) = stack.last_mut()
                {
                    *key = Some(String::from_utf8_lossy(&json[start..end]).into_owned());
                    *want = false;
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    stack
        .into_iter()
        .filter_map(|frame| match frame {
            Frame::Object { key, .. } => key.map(Segment::Key),
            Frame::Array { index } => Some(Segment::Index(index)),
        })
        .collect()
}

fn render(segments: &[Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Rule<'a> {
        #[serde(borrow)]
        host: Option<Cow<'a, str>>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Spec<'a> {
        #[serde(borrow, default)]
        rules: Vec<Rule<'a>>,
        #[serde(default)]
        replicas: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Object<'a> {
        #[serde(borrow, default)]
        spec: Option<Spec<'a>>,
        #[serde(borrow, default)]
        labels: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        #[serde(default)]
        flag: bool,
        #[serde(default)]
        nested: Option<Box<Strict>>,
    }

    #[test]
    fn paths_of_errors() {
        let cases = [
            (
                r#"{"spec":"x"}"#,
                r#"spec: invalid type: string "x", expected struct Spec"#,
            ),
            (
                r#"{"spec":{"rules":[{"host":"a"},{"host":42}]}}"#,
                "spec.rules[1].host: invalid type: integer `42`, expected a string",
            ),
            (
                "{\n  \"spec\": {\n    \"replicas\": -1\n  }\n}",
                "spec.replicas: invalid value: integer `-1`, expected u32",
            ),
            (
                r#"{"labels":[]}"#,
                "labels: invalid type: sequence, expected a map",
            ),
            (
                r#"{"labels":{"a":"b","c":1}}"#,
                "labels.c: invalid type: integer `1`",
            ),
            (
                r#"{"spec":{"rules":[{"host":"a\"b","x":1},{"host":{}}]}}"#,
                "spec.rules[1].host: invalid type: map",
            ),
            (
                r#"{"spec":{"rules":[{"host":"a"},true]}}"#,
                "spec.rules[1]: invalid type: boolean",
            ),
            (r#"{"spec":{"rules":[{"host":"a"}}"#, "spec.rules: expected"),
            // A struct is read from an object only (see `json::de`).
            ("[", "invalid type: sequence, expected struct Object"),
            (
                r#"{"spec":["#,
                "spec: invalid type: sequence, expected struct Spec",
            ),
            (
                r#"{"spec":{"rules":["#,
                "spec.rules[0]: EOF while parsing a list",
            ),
            ("", "EOF while parsing a value"),
        ];
        for (json, want) in cases {
            let err = from_str::<Object>(json).unwrap_err();
            assert!(err.starts_with(want), "{json}\n  got: {err}\n want: {want}");
            assert!(!err.contains(" at line "), "{err}");
        }
    }

    #[test]
    fn unknown_fields_point_at_their_parent() {
        let err = from_str::<Strict>(r#"{"flga":true}"#).unwrap_err();
        assert!(err.starts_with("unknown field `flga`"), "{err}");
        let err = from_slice::<Strict>(br#"{"nested":{"flag":true,"flgg":1}}"#).unwrap_err();
        assert!(err.starts_with("nested: unknown field `flgg`"), "{err}");
        let err = from_str::<Strict>(r#"{"nested":{"flag":"yes"}}"#).unwrap_err();
        assert!(
            err.starts_with("nested.flag: invalid type: string"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_is_reported_where_it_is() {
        let bytes = b"{\"a\":[{\"b\":\"ok\"},{\"b\":\"\xff\"}]}";
        let err = from_slice::<serde_json::Value>(bytes).unwrap_err();
        assert_eq!(err, "a[1].b: the text is not valid UTF-8");
        assert_eq!(
            from_slice::<serde_json::Value>(b"\xfe").unwrap_err(),
            "the text is not valid UTF-8"
        );
    }
}
