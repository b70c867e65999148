//! `serde_json::Value` read without serde_json's reader of it.
//!
//! serde_json's `Deserialize for Value` (`value/de.rs`, with the `raw_value` feature the modules
//! need for `RawValue`) calls serde_json's own `from_str` when it meets a raw value's token as
//! a key: any module that reads a `Value` through [`super::de`] would carry serde_json's whole
//! reader (about 25 KB) for that branch. [`Json`] builds the same `Value`: numbers as the
//! literal reads (`u64`, `i64`, else `f64`), a key given twice keeps its last value, as
//! serde_json's `Map::insert` does.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A `serde_json::Value`, read by [`super::de`] without serde_json's reader.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Json(pub Value);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Json, D::Error> {
        de.deserialize_any(Tree).map(Json)
    }
}

struct Tree;

impl<'de> Visitor<'de> for Tree {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        // The reader refuses what is not finite; serde_json makes such a value null.
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Json(value) = map.next_value()?;
            entries.insert(key, value);
        }
        Ok(Value::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_serde_json_reads() {
        for text in [
            r#"{"a":[1,-2,2.5,true,false,null,"s\u00e9"],"b":{"c":{}},"a":"last","d":[]}"#,
            "18446744073709551616",
            "-0",
            r#""$serde_json::private::RawValue""#,
        ] {
            let ours = super::super::de::from_str::<Json>(text).unwrap().0;
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
        assert!(super::super::de::from_str::<Json>("[1,]").is_err());
    }
}
