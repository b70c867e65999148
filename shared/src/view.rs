//! Written-out readers for the views: [`view_reader!`] implements `Deserialize` for a struct
//! whose fields all have a default, by a loop over the object's keys that assigns each known
//! key's value to its field.
//!
//! serde's derive does more than a view needs, and it shows in every module: a local, a
//! duplicate-field check and an error path that drops every other local per field, a field
//! enum, a reader of the struct as a JSON array; and for each field read `with` a function, a
//! wrapper type with that reader inlined into it. A written-out reader is a third of that. A key
//! given twice keeps its last value, as Go's `encoding/json` (the API server's decoder) does;
//! unknown keys are skipped; a value that is not a JSON object is refused ("expected an
//! object").

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::MapAccess;

use crate::request::Borrowed;

/// `impl Deserialize for $view<'a>`: `$key => $field` reads the key's value with
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
                        let mut view = $view::default();
                        while let Some(key) = map.next_key::<$crate::request::Borrowed<'de>>()? {
                            match &*key {
                                $($key => view.$field = $crate::view_reader!(@read map $($read)?),)*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
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

/// A string, borrowed when it has no escapes; null is refused, as serde reads a `Cow`.
pub fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Cow<'de, str>, A::Error> {
    Ok(map.next_value::<Borrowed<'de>>()?.0)
}

/// A string borrowed when it has no escapes, or null.
pub fn optional_string<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    crate::request::text(map)
}

/// A list; null reads as the empty one.
pub fn list<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A) -> Result<Vec<T>, A::Error> {
    Ok(map.next_value::<Option<Vec<T>>>()?.unwrap_or_default())
}

/// `metadata` or `spec`: an object, or null for the empty one (see
/// [`crate::request::object_or_null`]).
pub fn object<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default>(
    map: &mut A,
) -> Result<T, A::Error> {
    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
}

/// A map of strings (labels, a selector's `matchLabels`); null reads as the empty one.
pub fn string_map<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<crate::request::StringMap<'de>, A::Error> {
    map.next_value_seed(crate::request::StringMapVisitor { skip: None })
}
