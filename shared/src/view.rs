//! Written-out readers for the views: [`view_reader!`] implements `Deserialize` for a struct
//! whose fields all have a default, by a loop over the object's keys that assigns each known
//! key's value to its field.
//!
//! serde's derive does more than a view needs, and it shows in every module: a local, a
//! duplicate-field check and an error path that drops every other local per field, a field
//! enum, a reader of the struct as a JSON array; and for each field read `with` a function, a
//! wrapper type with that reader inlined into it. Moving the views of the shared crate and the
//! policies to written-out readers took 6 to 24 KB off each module (ingress-tls 305.5 to 281.1
//! KB), at the same speed within 2%. A key given twice keeps its last value, as Go's
//! `encoding/json` (the API server's decoder) does; unknown keys are skipped; a value that is not
//! a JSON object is refused ("expected an object").

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::request::{Borrowed, LAST_APPLIED, StringMap, StringMapVisitor};

/// `impl Deserialize for $view<'a>` (which must implement `Default`, the value of every field
/// not given): `$key => $field` reads the key's value with
/// `MapAccess::next_value` into the field, `$key => $field: $read` with `$read(&mut map)` (one of
/// the readers of this module, for what serde's own impls read otherwise: borrowed strings,
/// null as empty).
#[macro_export]
macro_rules! view_reader {
    ($view:ident { $($key:literal => $field:ident $(: $read:path)?),* $(,)? }) => {
        impl<'de: 'a, 'a> serde::Deserialize<'de> for $view<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                struct V<'a>(std::marker::PhantomData<$view<'a>>);
                impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
                    type Value = $view<'a>;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$view<'a>, A::Error> {
                        struct Keys;
                        impl $crate::view::Keys for Keys {
                            fn index(&self, key: &str) -> usize {
                                let mut n = 0usize;
                                $(
                                    if key == $key {
                                        return n;
                                    }
                                    n += 1;
                                )*
                                let _ = n;
                                usize::MAX
                            }
                        }
                        let mut view = $view::default();
                        while let Some(at) = map.next_key_seed($crate::view::KeyIn(&Keys))? {
                            // The fields in the order of KEYS: `at` is an index into it.
                            let mut n = 0usize;
                            $(
                                if at == n {
                                    view.$field = $crate::view_reader!(@read map $($read)?);
                                    continue;
                                }
                                n += 1;
                            )*
                            let _ = n;
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                        Ok(view)
                    }
                }
                de.deserialize_map(V(std::marker::PhantomData))
            }
        }
    };
    (@read $map:ident) => { $map.next_value()? };
    (@read $map:ident $read:path) => { $read(&mut $map)? };
}

/// A key of a view: its index in the view's keys, or `usize::MAX` for another key. It is matched
/// as the decoder hands it over (an escaped key once unescaped), with no string kept: a key read
/// as a [`Borrowed`] and matched after cost a `Cow` and its drop per key (egress-restrictions'
/// thousand peers 4% slower than serde's derive; 2% faster than it this way).
pub struct KeyIn<'k>(pub &'k dyn Keys);

/// A view's keys, matched in the view's own code ([`view_reader!`] writes a test per key, which
/// the compiler orders by length); one shared loop over a slice of keys was 2% slower.
pub trait Keys {
    fn index(&self, key: &str) -> usize;
}

impl<'de> DeserializeSeed<'de> for KeyIn<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<usize, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIn<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, key: &str) -> Result<usize, E> {
        Ok(self.0.index(key))
    }
}

/// A string, borrowed when it has no escapes; null is refused, as serde reads a `Cow`.
pub fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Cow<'de, str>, A::Error> {
    Ok(map.next_value::<Borrowed<'de>>()?.0)
}

/// A string borrowed when it has no escapes, or null.
pub fn optional_string<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_value::<Option<Borrowed<'de>>>()?.map(|b| b.0))
}

/// A list; null reads as the empty one.
pub fn list<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A) -> Result<Vec<T>, A::Error> {
    Ok(map.next_value::<Option<Vec<T>>>()?.unwrap_or_default())
}

/// A list of strings, each borrowed when it has no escapes (serde reads a `Cow` inside a list as
/// an owned `String`, one allocation per item); null reads as the empty list.
pub fn strings<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Vec<Cow<'de, str>>, A::Error> {
    let list: Vec<Borrowed<'de>> = list(map)?;
    // The same layout: the list's buffer is reused.
    Ok(list.into_iter().map(|b| b.0).collect())
}

/// `metadata` or `spec`: an object, or null for the empty one. A view read by [`view_reader!`]
/// refuses a JSON array, which serde's derived readers take as a struct (so `metadata: []` would
/// have read as empty metadata, every label and annotation dropped).
pub fn object<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default>(
    map: &mut A,
) -> Result<T, A::Error> {
    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
}

/// A map of strings (labels, a selector's `matchLabels`); null reads as the empty one. Its
/// strings are borrowed where they have no escapes (serde's own reading of a map of `Cow`s
/// allocates every key and value).
pub fn string_map<'de, A: MapAccess<'de>>(map: &mut A) -> Result<StringMap<'de>, A::Error> {
    map.next_value_seed(StringMapVisitor { skip: None })
}

/// `metadata.annotations`: a [`string_map`] whose [`LAST_APPLIED`] value is skipped and kept
/// empty. It is a copy of the whole object (often the largest field of a request, and full of
/// escapes to decode), which no controller and no policy reads.
pub fn annotations<'de, A: MapAccess<'de>>(map: &mut A) -> Result<StringMap<'de>, A::Error> {
    map.next_value_seed(StringMapVisitor {
        skip: Some(LAST_APPLIED),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Probe<'a> {
        name: Cow<'a, str>,
        note: Option<Cow<'a, str>>,
        items: Vec<Borrowed<'a>>,
        inner: Option<Box<Probe<'a>>>,
        meta: Inner<'a>,
        count: Option<i64>,
        labels: StringMap<'a>,
    }

    #[derive(Debug, Default)]
    struct Inner<'a> {
        note: Option<Cow<'a, str>>,
    }

    crate::view_reader!(Probe {
        "name" => name: string,
        "note" => note: optional_string,
        "items" => items: list,
        "inner" => inner,
        "meta" => meta: object,
        "count" => count,
        "labels" => labels: string_map,
    });
    crate::view_reader!(Inner { "note" => note: optional_string });

    fn read(json: &str) -> Result<Probe<'_>, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn fields_defaults_and_nulls() {
        let p = read(r#"{"name":"a","note":"b","items":["x","y"],"inner":{"name":"c"},"meta":{"note":"d"},"count":3,"labels":{"k":"v"},"other":[1,{"name":2}]}"#).unwrap();
        assert_eq!((p.name.as_ref(), p.note.as_deref()), ("a", Some("b")));
        assert_eq!(
            p.items.iter().map(|i| &*i.0).collect::<Vec<_>>(),
            ["x", "y"]
        );
        assert_eq!(p.inner.unwrap().name, "c");
        assert_eq!((p.meta.note.as_deref(), p.count), (Some("d"), Some(3)));
        assert_eq!(p.labels.get("k").map(|v| v.as_ref()), Some("v"));
        // Absent and null read as the defaults, but a string given as null is refused.
        let p = read(
            r#"{"note":null,"items":null,"inner":null,"meta":null,"count":null,"labels":null}"#,
        )
        .unwrap();
        assert!(p.name.is_empty() && p.note.is_none() && p.items.is_empty() && p.inner.is_none());
        assert!(p.meta.note.is_none() && p.count.is_none() && p.labels.is_empty());
        assert!(
            read(r#"{"name":null}"#)
                .unwrap_err()
                .contains("invalid type: null")
        );
    }

    #[test]
    fn lists_of_strings_are_borrowed_too() {
        #[derive(Debug, Default)]
        struct Words<'a> {
            words: Vec<Cow<'a, str>>,
        }
        crate::view_reader!(Words { "words" => words: strings });
        let w: Words = serde_json::from_str(r#"{"words":["a","b\\c"]}"#).unwrap();
        assert!(matches!(w.words[0], Cow::Borrowed("a")));
        assert!(matches!(w.words[1], Cow::Owned(ref s) if s == "b\\c"));
        let w: Words = serde_json::from_str(r#"{"words":null}"#).unwrap();
        assert!(w.words.is_empty());
        assert!(serde_json::from_str::<Words>(r#"{"words":[1]}"#).is_err());
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let p = read(r#"{"name":"plain","note":"tab\there"}"#).unwrap();
        assert!(matches!(p.name, Cow::Borrowed("plain")));
        assert!(matches!(p.note, Some(Cow::Owned(ref s)) if s == "tab\there"));
    }

    #[test]
    fn last_value_kept_and_shapes_refused() {
        assert_eq!(read(r#"{"name":"a","name":"b"}"#).unwrap().name, "b");
        for bad in [
            r#"[]"#,
            r#""x""#,
            r#"{"meta":[]}"#,
            r#"{"inner":["a"]}"#,
            r#"{"items":{}}"#,
            r#"{"items":[1]}"#,
            r#"{"count":"3"}"#,
            r#"{"labels":{"k":1}}"#,
        ] {
            let err = read(bad).unwrap_err();
            assert!(err.contains("invalid type"), "{bad}: {err}");
        }
        assert!(
            read(r#"{"meta":[]}"#)
                .unwrap_err()
                .contains("expected an object")
        );
    }
}
