//! Lean views of the waPC `validate` payload.
//!
//! The payload is `{"request": <AdmissionRequest>, "settings": {...}}`. Only the fields the
//! policies read are deserialised, strings are borrowed from the payload where JSON allows it, and
//! the object itself stays raw until the policy asks for the typed view it needs: a policy that
//! exempts the namespace, or does not judge DELETE, never pays for parsing the object.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The admission operation, as the API server names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    #[default]
    Create,
    Update,
    Delete,
    Connect,
    /// Anything else: policies treat it like a write they cannot judge.
    #[serde(other)]
    Unknown,
}

impl Operation {
    /// CREATE and UPDATE are the writes that install an object; the policies judge those.
    pub fn is_write(self) -> bool {
        matches!(self, Operation::Create | Operation::Update)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
            Operation::Unknown => "UNKNOWN",
        })
    }
}

/// `group`/`version`/`kind` of the request.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GroupVersionKind<'a> {
    #[serde(default, borrow)]
    pub group: Cow<'a, str>,
    #[serde(default, borrow)]
    pub version: Cow<'a, str>,
    #[serde(default, borrow)]
    pub kind: Cow<'a, str>,
}

/// The parts of an AdmissionRequest the policies use.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest<'a> {
    #[serde(default, borrow)]
    pub uid: Cow<'a, str>,
    #[serde(default, borrow)]
    pub kind: GroupVersionKind<'a>,
    #[serde(default, borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub namespace: Cow<'a, str>,
    #[serde(default)]
    pub operation: Operation,
    #[serde(default, borrow)]
    pub object: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub old_object: Option<&'a RawValue>,
}

impl<'a> AdmissionRequest<'a> {
    /// The object under admission as `T`; `what` names it in the error ("an Ingress").
    pub fn object<T: Deserialize<'a>>(&self, what: &str) -> Result<T, String> {
        decode(self.object, "object", what)
    }

    /// The request's namespace, else the one the object names (requests built by hand, such as
    /// test fixtures, may leave the request's out).
    pub fn namespace_or<'s>(&'s self, object_namespace: &'s str) -> &'s str {
        match self.namespace.as_ref() {
            "" => object_namespace,
            ns => ns,
        }
    }

    /// The previous version of the object (UPDATE and DELETE).
    pub fn old_object<T: Deserialize<'a>>(&self, what: &str) -> Result<T, String> {
        decode(self.old_object, "oldObject", what)
    }
}

fn decode<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    field: &str,
    what: &str,
) -> Result<T, String> {
    let raw = raw.ok_or_else(|| format!("the request carries no {field} to validate"))?;
    // serde reads a struct from a JSON array too; an object is a map or it is unreadable.
    if !raw.get().trim_start().starts_with('{') {
        return Err(format!(
            "the {field} is not a JSON object, so it cannot be read as {what}"
        ));
    }
    crate::json::from_str(raw.get())
        .map_err(|err| format!("the {field} cannot be read as {what}: {err}"))
}

/// Labels or annotations, borrowed from the payload where possible.
pub type StringMap<'a> = BTreeMap<Cow<'a, str>, Cow<'a, str>>;

/// `metadata` of any object: the fields policies read.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub generate_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub labels: StringMap<'a>,
    /// Every annotation, except that kubectl's last-applied-configuration is kept with an
    /// empty value: it is a copy of the whole object (often the largest field of a request, and
    /// full of escapes to decode), which no controller and no policy reads.
    #[serde(default, borrow, deserialize_with = "annotations")]
    pub annotations: StringMap<'a>,
    /// Set once the object is being deleted: its remaining updates remove finalizers.
    #[serde(default, borrow)]
    pub deletion_timestamp: Option<Cow<'a, str>>,
}

impl ObjectMeta<'_> {
    /// The name to show in messages (`generateName` prefix with `*` when not named yet).
    pub fn display_name(&self) -> String {
        match (&self.name, &self.generate_name) {
            (Some(n), _) if !n.is_empty() => n.to_string(),
            (_, Some(g)) if !g.is_empty() => format!("{g}*"),
            _ => "<unnamed>".to_string(),
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(|v| v.as_ref())
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(|v| v.as_ref())
    }
}

/// Kubernetes sends `null` for an empty map in some clients; it means the same as `{}`.
pub fn null_as_empty<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// kubectl's copy of the object it last applied, in the object's own annotations.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `metadata.annotations`: a map (null for empty) whose [`LAST_APPLIED`] value is skipped.
fn annotations<'de, D>(de: D) -> Result<StringMap<'de>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct MapVisitor;
    impl<'de> serde::de::Visitor<'de> for MapVisitor {
        type Value = StringMap<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of strings to strings")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(StringMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(StringMap::new())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = StringMap::new();
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                let value = if key == LAST_APPLIED {
                    map.next_value::<IgnoredString>()?;
                    Cow::Borrowed("")
                } else {
                    map.next_value::<Cow<'de, str>>()?
                };
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    de.deserialize_any(MapVisitor)
}

/// A string whose content is not kept: checked and read in place, never allocated.
struct IgnoredString;

impl<'de> Deserialize<'de> for IgnoredString {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IgnoredString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, _: &str) -> Result<IgnoredString, E> {
                Ok(IgnoredString)
            }
        }
        de.deserialize_str(V)
    }
}

/// Reads `metadata` or `spec`: an object, or null/absent for the empty one. Derived readers also
/// take a JSON array as a struct (its fields in order), so `metadata: []` would read as empty
/// metadata and drop every label and annotation: a fail-open this refuses.
pub fn object_or_null<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    struct ObjectVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Default> serde::de::Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_unit<E>(self) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_none<E>(self) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    de.deserialize_any(ObjectVisitor(std::marker::PhantomData))
}

/// The whole waPC `validate` payload. The guest reads the settings as raw JSON
/// (`Option<&RawValue>`), to parse them once per distinct text ([`crate::settings::cached`]);
/// tests read them as the policy's `Settings` directly.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Default"))]
pub struct Payload<'a, S> {
    #[serde(borrow)]
    pub request: AdmissionRequest<'a>,
    #[serde(default)]
    pub settings: S,
}

impl<'a, S: Deserialize<'a> + Default> Payload<'a, S> {
    /// Parses the payload; the error is a message for the user (the request is then rejected).
    pub fn parse(payload: &'a [u8]) -> Result<Self, String> {
        crate::json::from_slice(payload)
            .map_err(|err| format!("the admission request cannot be read: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Settings {
        #[serde(default)]
        flag: bool,
    }

    #[derive(Debug, Deserialize)]
    struct Meta<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
    }

    #[derive(Debug, Deserialize)]
    struct Obj<'a> {
        #[serde(borrow)]
        metadata: Meta<'a>,
    }

    #[test]
    fn payload_cases() {
        struct Case {
            name: &'static str,
            json: &'static str,
            op: Option<Operation>,
            object_name: Option<&'static str>,
            error: Option<&'static str>,
        }
        let cases = [
            Case {
                name: "full create",
                json: r#"{"request":{"uid":"1","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"operation":"CREATE","namespace":"a","object":{"metadata":{"name":"x"}}},"settings":{"flag":true}}"#,
                op: Some(Operation::Create),
                object_name: Some("x"),
                error: None,
            },
            Case {
                name: "delete without object",
                json: r#"{"request":{"operation":"DELETE","oldObject":{"metadata":{"name":"y"}}},"settings":{}}"#,
                op: Some(Operation::Delete),
                object_name: None,
                error: None,
            },
            Case {
                name: "null object is no object",
                json: r#"{"request":{"operation":"UPDATE","object":null}}"#,
                op: Some(Operation::Update),
                object_name: None,
                error: None,
            },
            Case {
                name: "unknown operation",
                json: r#"{"request":{"operation":"PATCH"}}"#,
                op: Some(Operation::Unknown),
                object_name: None,
                error: None,
            },
            Case {
                name: "not an object",
                json: r#"[1,2]"#,
                op: None,
                object_name: None,
                error: Some("cannot be read"),
            },
            Case {
                name: "bad settings name the field",
                json: r#"{"request":{},"settings":{"flag":"yes"}}"#,
                op: None,
                object_name: None,
                error: Some("settings.flag"),
            },
            Case {
                name: "unknown setting",
                json: r#"{"request":{},"settings":{"flga":true}}"#,
                op: None,
                object_name: None,
                error: Some("unknown field `flga`"),
            },
        ];
        for case in cases {
            let parsed = Payload::<Settings>::parse(case.json.as_bytes());
            match (parsed, case.error) {
                (Ok(p), None) => {
                    assert_eq!(Some(p.request.operation), case.op, "{}", case.name);
                    let got = p.request.object::<Obj>("an object").ok();
                    assert_eq!(
                        got.map(|o| o.metadata.name.into_owned()),
                        case.object_name.map(String::from),
                        "{}",
                        case.name
                    );
                }
                (Err(e), Some(want)) => assert!(e.contains(want), "{}: {e}", case.name),
                (Ok(_), Some(want)) => panic!("{}: expected error {want}", case.name),
                (Err(e), None) => panic!("{}: unexpected error {e}", case.name),
            }
        }
    }

    #[test]
    fn object_errors_name_path_without_position() {
        let json = r#"{"request":{"object":{"metadata":{"name":7}}}}"#;
        let p = Payload::<Settings>::parse(json.as_bytes()).unwrap();
        let err = p.request.object::<Obj>("an Ingress").unwrap_err();
        assert!(err.contains("metadata.name"), "{err}");
        assert!(err.contains("as an Ingress"), "{err}");
        assert!(!err.contains("line 1"), "{err}");
        let missing = p.request.old_object::<Obj>("an Ingress").unwrap_err();
        let array = Payload::<Settings>::parse(br#"{"request":{"object":[]}}"#).unwrap();
        let err = array.request.object::<Obj>("an Ingress").unwrap_err();
        assert!(err.contains("not a JSON object"), "{err}");
        assert!(missing.contains("no oldObject"), "{missing}");
    }

    #[test]
    fn last_applied_configuration_is_skipped_other_annotations_kept() {
        let meta = |annotations: &str| {
            let json = format!(r#"{{"name":"x","annotations":{annotations}}}"#);
            crate::json::from_str::<ObjectMeta>(&json).map(|m| {
                m.annotations
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
            })
        };
        let applied = r#"{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Ingress\"}\n","a":"b\"c"}"#;
        assert_eq!(
            meta(applied).unwrap(),
            [
                "a=b\"c",
                "kubectl.kubernetes.io/last-applied-configuration="
            ]
        );
        assert!(meta("null").unwrap().is_empty());
        assert!(meta("{}").unwrap().is_empty());
        for bad in [
            r#"{"kubectl.kubernetes.io/last-applied-configuration":7}"#,
            r#"{"a":7}"#,
            "[]",
            r#""x""#,
        ] {
            let err = meta(bad).unwrap_err();
            assert!(err.starts_with("annotations"), "{bad}: {err}");
        }
    }

    #[test]
    fn escaped_strings_are_owned_plain_ones_borrowed() {
        let json = r#"{"request":{"namespace":"plain","name":"esc\u0061ped"}}"#;
        let p = Payload::<Settings>::parse(json.as_bytes()).unwrap();
        assert!(matches!(p.request.namespace, Cow::Borrowed("plain")));
        assert_eq!(p.request.name, "escaped");
    }
}
