//! One lean view for every mesh object the policy reads, admitted or listed.
//!
//! The three meshes have a dozen small nested types between them, and each typed struct costs
//! the module a deserialiser of its own: one view keeps it under its size budget. The metadata
//! and the selectors are typed (the shared views, whose deserialisers the module has anyway);
//! the other spec fields are [`Value`]s, JSON values whose strings are borrowed from the request
//! and whose objects are lists of entries, walked with the helpers below.

use std::borrow::Cow;
use std::fmt;

use netsec_shared::request::{Borrowed, ObjectMeta};
use netsec_shared::selector::LabelSelector;
use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess};

/// A JSON value read without copying: strings are borrowed from the request where they have no
/// escapes, objects keep their entries in order (a key given twice reads as its last value, as
/// serde_json's maps keep it), and numbers are only known to be numbers (no rule reads one).
/// Unlike `serde_json::Value`, reading one allocates no string and no tree of maps, and dropping
/// it frees little.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Value<'a> {
    #[default]
    Null,
    Bool(bool),
    Number,
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

static NULL: Value<'static> = Value::Null;

impl<'a> Value<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value<'a>>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
}

/// `value["key"]`: the field of an object, null when absent or not an object.
impl<'a> std::ops::Index<&str> for Value<'a> {
    type Output = Value<'a>;

    fn index(&self, key: &str) -> &Value<'a> {
        let found = match self {
            Value::Object(entries) => entries.iter().rev().find(|(k, _)| k == key),
            _ => None,
        };
        // Null lives for 'static, so for any 'a.
        found.map_or(&NULL, |(_, v)| v)
    }
}

impl PartialEq<&str> for Value<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, de: D) -> Result<Value<'de>, D::Error> {
        Value::deserialize(de)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number)
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        // Room for the few items the lists of these specs have, allocated once.
        let mut items = Vec::with_capacity(4);
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut entries = Vec::with_capacity(4);
        while let Some(Borrowed(key)) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Value::Object(entries))
    }
}

#[derive(Debug, Default)]
pub struct MeshObject<'a> {
    pub metadata: Option<ObjectMeta<'a>>,
    pub spec: Option<MeshSpec<'a>>,
}

netsec_shared::view_reader!(MeshObject {
    "metadata" => metadata,
    "spec" => spec,
});

/// The spec fields of every kind read: Istio's `selector`, `targetRef(s)`, `action`, `provider`,
/// `rules`; Linkerd's `podSelector`, `accessPolicy`, `targetRef`, `requiredAuthenticationRefs`,
/// `identities`, `networks`; Consul's `destination` and `sources`.
#[derive(Debug, Default)]
pub struct MeshSpec<'a> {
    pub selector: Option<LabelSelector<'a>>,
    pub pod_selector: Option<LabelSelector<'a>>,
    pub target_ref: Value<'a>,
    pub target_refs: Value<'a>,
    pub action: Value<'a>,
    pub provider: Value<'a>,
    pub rules: Value<'a>,
    pub access_policy: Value<'a>,
    pub required_authentication_refs: Value<'a>,
    pub identities: Value<'a>,
    pub networks: Value<'a>,
    pub destination: Value<'a>,
    pub sources: Value<'a>,
}

netsec_shared::view_reader!(MeshSpec {
    "selector" => selector,
    "podSelector" => pod_selector,
    "targetRef" => target_ref,
    "targetRefs" => target_refs,
    "action" => action,
    "provider" => provider,
    "rules" => rules,
    "accessPolicy" => access_policy,
    "requiredAuthenticationRefs" => required_authentication_refs,
    "identities" => identities,
    "networks" => networks,
    "destination" => destination,
    "sources" => sources,
});

const NO_SPEC: MeshSpec<'static> = MeshSpec {
    selector: None,
    pod_selector: None,
    target_ref: Value::Null,
    target_refs: Value::Null,
    action: Value::Null,
    provider: Value::Null,
    rules: Value::Null,
    access_policy: Value::Null,
    required_authentication_refs: Value::Null,
    identities: Value::Null,
    networks: Value::Null,
    destination: Value::Null,
    sources: Value::Null,
};

impl<'a> MeshObject<'a> {
    pub fn name(&self) -> String {
        self.metadata
            .as_ref()
            .map_or_else(|| "<unnamed>".to_string(), ObjectMeta::display_name)
    }

    pub fn spec(&self) -> &MeshSpec<'a> {
        self.spec.as_ref().unwrap_or(&NO_SPEC)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.as_ref().and_then(|m| m.annotation(key))
    }

    /// `(name, namespace)` from the metadata.
    pub fn name_and_namespace(&self) -> (&str, &str) {
        self.metadata.as_ref().map_or(("", ""), |m| {
            (
                m.name.as_deref().unwrap_or_default(),
                m.namespace.as_deref().unwrap_or_default(),
            )
        })
    }
}

/// The items of a list field (nothing when absent, null or not a list).
pub fn items<'v, 'a>(value: &'v Value<'a>) -> &'v [Value<'a>] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The strings of a list field, in order (other items are skipped).
pub fn strings<'v>(value: &'v Value<'_>) -> Vec<&'v str> {
    items(value).iter().filter_map(Value::as_str).collect()
}

/// A string field, or empty.
pub fn text<'v>(value: &'v Value<'_>) -> &'v str {
    value.as_str().unwrap_or_default()
}

/// A field that is set: not null, and not an empty list or object.
pub fn is_set(value: &Value<'_>) -> bool {
    match value {
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// `["a", "b"]`, for messages.
pub fn quoted(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Why a field that must be a list (or absent) is not one.
pub fn not_a_list(value: &Value<'_>) -> Option<&'static str> {
    (!value.is_null() && !value.is_array()).then_some("is not a list")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"a":"x","b":[1,true,null,"y\"z"],"a":"w","c":{}}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        // The last of a key given twice, as serde_json keeps it.
        assert_eq!(value["a"], "w");
        assert!(matches!(value["a"], Value::String(Cow::Borrowed(_))));
        assert_eq!(strings(&value["b"]), ["y\"z"]);
        assert_eq!(items(&value["b"]).len(), 4);
        assert!(value["missing"].is_null() && value["a"]["deeper"].is_null());
        assert!(!is_set(&value["c"]) && is_set(&value["b"]));
        assert!(serde_json::from_str::<Value>(r#"{"a":}"#).is_err());
    }
}
