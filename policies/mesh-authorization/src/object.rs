//! One lean view for every mesh object the policy reads, admitted or listed.
//!
//! The three meshes have a dozen small nested types between them, and each typed struct costs
//! the module a deserialiser of its own: one view keeps it under its size budget. The metadata
//! and the selectors are typed (the shared views, whose deserialisers the module has anyway);
//! the other spec fields are JSON values (the module carries that parser for terminating
//! objects already), small enough to read as such, walked with the helpers below.

use netsec_shared::request::ObjectMeta;
use netsec_shared::selector::LabelSelector;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct MeshObject<'a> {
    #[serde(default, borrow)]
    pub metadata: Option<ObjectMeta<'a>>,
    #[serde(default, borrow)]
    pub spec: Option<MeshSpec<'a>>,
}

/// The spec fields of every kind read: Istio's `selector`, `targetRef(s)`, `action`, `provider`,
/// `rules`; Linkerd's `podSelector`, `accessPolicy`, `targetRef`, `requiredAuthenticationRefs`,
/// `identities`, `networks`; Consul's `destination` and `sources`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshSpec<'a> {
    #[serde(default, borrow)]
    pub selector: Option<LabelSelector<'a>>,
    #[serde(default, borrow)]
    pub pod_selector: Option<LabelSelector<'a>>,
    #[serde(default)]
    pub target_ref: Value,
    #[serde(default)]
    pub target_refs: Value,
    #[serde(default)]
    pub action: Value,
    #[serde(default)]
    pub provider: Value,
    #[serde(default)]
    pub rules: Value,
    #[serde(default)]
    pub access_policy: Value,
    #[serde(default)]
    pub required_authentication_refs: Value,
    #[serde(default)]
    pub identities: Value,
    #[serde(default)]
    pub networks: Value,
    #[serde(default)]
    pub destination: Value,
    #[serde(default)]
    pub sources: Value,
}

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
pub fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The strings of a list field, in order (other items are skipped).
pub fn strings(value: &Value) -> Vec<&str> {
    items(value).iter().filter_map(Value::as_str).collect()
}

/// A string field, or empty.
pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// A field that is set: not null, and not an empty list or object.
pub fn is_set(value: &Value) -> bool {
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
pub fn not_a_list(value: &Value) -> Option<&'static str> {
    (!value.is_null() && !value.is_array()).then_some("is not a list")
}
