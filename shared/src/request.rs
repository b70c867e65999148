//! Lean views of the waPC `validate` payload.
//!
//! The payload is `{"request": <AdmissionRequest>, "settings": {...}}`. Only the fields the
//! policies read are deserialised, and strings are borrowed from the payload where JSON allows
//! it. An object of a kind the policy reads through a shared view ([`Views`]) is decoded in the
//! same pass as the request; any other stays raw until the policy asks for the type it needs.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess};
use serde_json::value::RawValue;

use crate::ingress::Ingress;
use crate::netpol::egress::NetworkPolicy;
use crate::workload::{WorkloadKind, WorkloadObject};

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
#[derive(Clone, Debug, Default)]
pub struct GroupVersionKind<'a> {
    pub group: Cow<'a, str>,
    pub version: Cow<'a, str>,
    pub kind: Cow<'a, str>,
}

crate::view_reader!(GroupVersionKind {
    "group" => group: crate::view::string,
    "version" => version: crate::view::string,
    "kind" => kind: crate::view::string,
});

/// `userInfo` of the request: the authenticated user the API server admits the write for.
#[derive(Clone, Debug, Default)]
pub struct UserInfo<'a> {
    pub username: Cow<'a, str>,
}

crate::view_reader!(UserInfo {
    "username" => username: crate::view::string,
});

/// The parts of an AdmissionRequest the policies use.
///
/// The object is read in the same pass as the rest of the request when the policy's
/// [`Views`] have one for its kind (the workload kinds, Ingress, NetworkPolicy):
/// [`AdmissionRequest::view`] then hands it over. Any other object stays raw, for the
/// policy to read as the type it needs with [`AdmissionRequest::object`]. Requests name their
/// kind before their object (the API server, policy-server and kwctl all write it so); when one
/// does not, its object simply stays raw.
#[derive(Debug, Default)]
pub struct AdmissionRequest<'a> {
    pub uid: Cow<'a, str>,
    pub kind: GroupVersionKind<'a>,
    pub name: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub operation: Operation,
    /// Who sent the request: some objects are judged by their writer (the endpoint
    /// controllers' EndpointSlices are not a user's).
    pub user_info: UserInfo<'a>,
    /// The object as it came, unless it was decoded into a view ([`Self::raw_object`]).
    object: Option<&'a RawValue>,
    pub old_object: Option<&'a RawValue>,
    decoded: RefCell<Option<Decoded<'a>>>,
    /// The payload the request was read from, to read a decoded object raw on demand.
    source: Option<&'a str>,
}

/// An object decoded while its request was read; policies read it through
/// [`AdmissionRequest::view`].
#[derive(Debug)]
pub enum Decoded<'a> {
    Workload(Box<WorkloadObject<'a>>),
    Ingress(Box<Ingress<'a>>),
    NetworkPolicy(Box<NetworkPolicy<'a>>),
}

impl<'a> Decoded<'a> {
    fn metadata(&self) -> Option<&ObjectMeta<'a>> {
        match self {
            Decoded::Workload(w) => w.metadata.as_ref(),
            Decoded::Ingress(i) => Some(&i.metadata),
            Decoded::NetworkPolicy(p) => Some(&p.metadata),
        }
    }
}

/// A shared view of an object, which the request's reader may decode in its own pass
/// ([`AdmissionRequest::view`]).
pub trait View<'a>: Deserialize<'a> {
    /// The view, if `decoded` is one.
    fn from_decoded(decoded: Decoded<'a>) -> Option<Self>;
}

impl<'a> View<'a> for WorkloadObject<'a> {
    fn from_decoded(decoded: Decoded<'a>) -> Option<Self> {
        match decoded {
            Decoded::Workload(object) => Some(*object),
            _ => None,
        }
    }
}

impl<'a> View<'a> for Ingress<'a> {
    fn from_decoded(decoded: Decoded<'a>) -> Option<Self> {
        match decoded {
            Decoded::Ingress(object) => Some(*object),
            _ => None,
        }
    }
}

impl<'a> View<'a> for NetworkPolicy<'a> {
    fn from_decoded(decoded: Decoded<'a>) -> Option<Self> {
        match decoded {
            Decoded::NetworkPolicy(object) => Some(*object),
            _ => None,
        }
    }
}

/// The view an object of a kind is decoded into while the request is read, if any.
#[derive(Clone, Copy)]
enum DecodeAs {
    Workload,
    Ingress,
    NetworkPolicy,
}

impl DecodeAs {
    fn for_kind<V: Views>(kind: &GroupVersionKind<'_>) -> Option<DecodeAs> {
        if kind.group == "networking.k8s.io" {
            match kind.kind.as_ref() {
                "Ingress" if V::INGRESS => return Some(DecodeAs::Ingress),
                "NetworkPolicy" if V::NETWORK_POLICY => return Some(DecodeAs::NetworkPolicy),
                _ => {}
            }
        }
        let workload = WorkloadKind::from_kind(&kind.kind).filter(|w| w.group() == kind.group);
        workload
            .filter(|_| V::WORKLOADS)
            .map(|_| DecodeAs::Workload)
    }
}

/// The shared views a module decodes objects into in the request's own pass. Each policy names
/// the views its rules read; a module carries the decoders of those only.
pub trait Views {
    const WORKLOADS: bool = false;
    const INGRESS: bool = false;
    const NETWORK_POLICY: bool = false;
}

/// Every object stays raw.
pub struct NoViews;
impl Views for NoViews {}

/// The workload kinds, read as [`crate::workload::Workload`].
pub struct WorkloadViews;
impl Views for WorkloadViews {
    const WORKLOADS: bool = true;
}

/// Ingress, read as [`crate::ingress::Ingress`] (by [`crate::review::ingress_under_review`]).
pub struct IngressViews;
impl Views for IngressViews {
    const INGRESS: bool = true;
}

/// NetworkPolicy, read as [`crate::netpol::egress::NetworkPolicy`], and the workload kinds.
pub struct EgressViews;
impl Views for EgressViews {
    const WORKLOADS: bool = true;
    const NETWORK_POLICY: bool = true;
}

/// All of them: what [`Payload::parse`] decodes, for tests of any policy.
pub struct AllViews;
impl Views for AllViews {
    const WORKLOADS: bool = true;
    const INGRESS: bool = true;
    const NETWORK_POLICY: bool = true;
}

/// A policy's own reading of the objects of some kinds, decoded in the pass that reads the
/// request ([`Payload::parse_own`]) rather than kept raw and read a second time: the object is
/// most of a request, and each pass over it costs as much as the other.
pub trait OwnObject {
    /// The policy's view of the object.
    type Of<'a>;

    /// Whether it wants any kind: [`NoOwn`] does not, and carries no code for it.
    const ANY: bool = true;

    /// Whether objects of `kind` are read as [`Self::Of`] in the request's pass.
    fn wanted(kind: &GroupVersionKind<'_>) -> bool;

    /// Called just before the pass reads an object of a wanted kind, with the fields of the
    /// request read before it. policy-server writes its AdmissionRequest in the struct's order
    /// (`uid`, `kind`, `resource`, ..., `name`, `namespace`, `operation`, `userInfo`, then
    /// `object`), so the object's name and namespace are known here.
    fn reading(_request: &AdmissionRequest<'_>) {}
}

thread_local! {
    /// Set while [`Payload::parse_own`] reads a request again with its object left raw: the
    /// same reader as the first pass (one copy of it in the module), told to decode the object
    /// into neither a view nor the policy's own type.
    static RAW_OBJECT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// No object of the policy's own: every object not read into a shared view stays raw.
pub struct NoOwn;
impl OwnObject for NoOwn {
    type Of<'a> = IgnoredAny;
    const ANY: bool = false;

    fn wanted(_: &GroupVersionKind<'_>) -> bool {
        false
    }
}

impl<'a> AdmissionRequest<'a> {
    /// The object under admission as `T`; `what` names it in the error ("an Ingress").
    pub fn object<T: Deserialize<'a>>(&self, what: impl fmt::Display) -> Result<T, String> {
        decode(self.raw_object(), "object", &what)
    }

    /// The object as JSON text. One decoded into a view (which a policy that mutates, or reads
    /// it as another type, may still need) is found by reading the payload again.
    pub fn raw_object(&self) -> Option<&'a RawValue> {
        if self.object.is_some() {
            return self.object;
        }
        crate::json::de::raw_at(self.source?, &["request", "object"])
    }

    /// The object as the view `T`: the one decoded while the request was read, moved out (a
    /// second call reads it again from the payload), else the raw object read now. `what`
    /// names it in the error ("an Ingress").
    pub fn view<T: View<'a>>(&self, what: impl fmt::Display) -> Result<T, String> {
        match self.take_decoded().and_then(T::from_decoded) {
            Some(view) => Ok(view),
            None => self.object(what),
        }
    }

    fn take_decoded(&self) -> Option<Decoded<'a>> {
        self.decoded.borrow_mut().take()
    }

    /// Whether the object is being deleted: set once a DELETE came, and its remaining updates
    /// only remove finalizers.
    pub fn is_terminating(&self) -> bool {
        if let Some(decoded) = self.decoded.borrow().as_ref() {
            return decoded
                .metadata()
                .is_some_and(|m| m.deletion_timestamp.is_some());
        }
        let Some(raw) = self.raw_object() else {
            return false;
        };
        // A text scan first: live objects, nearly all of them, are not parsed again. The parse
        // of the rare terminating one reuses the module's JSON value parser.
        raw.get().contains("\"deletionTimestamp\"")
            && crate::json::de::from_str::<crate::json::Json>(raw.get())
                .is_ok_and(|o| o.0["metadata"]["deletionTimestamp"].is_string())
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
    pub fn old_object<T: Deserialize<'a>>(&self, what: impl fmt::Display) -> Result<T, String> {
        decode(self.old_object, "oldObject", &what)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AdmissionRequest<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        Read::<AllViews, NoOwn>::deserialize(de).map(|read| read.0)
    }
}

/// An AdmissionRequest read with the views `V`. With [`NoViews`], the reading an eager one
/// falls back to when its object does not decode, so that the policy reports it (or exempts
/// it) as it would any unreadable object.
/// With an [`OwnObject`] `O`, the object of a kind it wants is read as `O::Of` in the same pass
/// (the second field).
struct Read<'a, V, O: OwnObject>(AdmissionRequest<'a>, Option<O::Of<'a>>, PhantomData<V>);

impl<'de: 'a, 'a, V: Views, O: OwnObject> Deserialize<'de> for Read<'a, V, O>
where
    O::Of<'a>: Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let visitor = RequestVisitor::<V, O>(PhantomData);
        de.deserialize_map(visitor)
            .map(|(r, own)| Read(r, own, PhantomData))
    }
}

struct RequestVisitor<'a, V, O>(PhantomData<(AdmissionRequest<'a>, V, O)>);

impl<'de: 'a, 'a, V: Views, O: OwnObject> serde::de::Visitor<'de> for RequestVisitor<'a, V, O>
where
    O::Of<'a>: Deserialize<'de>,
{
    type Value = (AdmissionRequest<'a>, Option<O::Of<'a>>);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AdmissionRequest object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut request = AdmissionRequest::default();
        let mut own = None;
        let mut seen = [false; FIELDS.len()];
        while let Some(key) = map.next_key::<Borrowed<'de>>()? {
            let Some(field) = FIELDS.iter().position(|f| *f == key.0) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[field], true) {
                return Err(serde::de::Error::duplicate_field(FIELDS[field]));
            }
            match FIELDS[field] {
                "uid" => request.uid = map.next_value::<Borrowed>()?.0,
                "kind" => request.kind = map.next_value()?,
                "name" => request.name = map.next_value::<Borrowed>()?.0,
                "namespace" => request.namespace = map.next_value::<Borrowed>()?.0,
                "operation" => request.operation = map.next_value()?,
                "userInfo" => {
                    request.user_info = map.next_value::<Option<UserInfo>>()?.unwrap_or_default()
                }
                "object" if O::ANY && O::wanted(&request.kind) && !RAW_OBJECT.get() => {
                    O::reading(&request);
                    own = map.next_value_seed(OwnSeed(PhantomData))?
                }
                "object" => {
                    match DecodeAs::for_kind::<V>(&request.kind).filter(|_| !RAW_OBJECT.get()) {
                        Some(view) => {
                            *request.decoded.get_mut() =
                                map.next_value_seed(DecodeSeed::<V>(view, PhantomData))?
                        }
                        None => request.object = map.next_value()?,
                    }
                }
                _ => request.old_object = map.next_value()?,
            }
        }
        Ok((request, own))
    }
}

/// Reads the object as the policy's own view, `T`: an object or null, as [`decode`] accepts
/// (serde would read a struct from an array too).
struct OwnSeed<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> serde::de::DeserializeSeed<'de> for OwnSeed<T> {
    type Value = Option<T>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        // An option, then a map: lighter readers than `deserialize_any`'s, and anything else
        // than null or an object is refused where it starts.
        de.deserialize_option(self)
    }
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OwnSeed<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

const FIELDS: [&str; 8] = [
    "uid",
    "kind",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
];

/// A string borrowed from the payload when it has no escapes: for strings inside lists, where
/// serde's own reading of a `Cow` always allocates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Borrowed<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Borrowed<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Borrowed<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(s.to_string()))
            }
        }
        de.deserialize_str(V).map(Borrowed)
    }
}

/// Decodes the object into its view: an object or null, as [`decode`] accepts (serde's derived
/// readers would read a struct from an array too). One visitor for every view, rather than one
/// per type: serde_json instantiates its `deserialize_any` per visitor, about a kilobyte of
/// module each.
struct DecodeSeed<'a, V>(DecodeAs, PhantomData<(Decoded<'a>, V)>);

impl<'de: 'a, 'a, V: Views> serde::de::DeserializeSeed<'de> for DecodeSeed<'a, V> {
    type Value = Option<Decoded<'a>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de: 'a, 'a, V: Views> serde::de::Visitor<'de> for DecodeSeed<'a, V> {
    type Value = Option<Decoded<'a>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let de = serde::de::value::MapAccessDeserializer::new(map);
        // The guards are constants: a module carries the decoders of its own views only.
        Ok(Some(match self.0 {
            DecodeAs::Workload if V::WORKLOADS => {
                Decoded::Workload(Box::new(WorkloadObject::deserialize(de)?))
            }
            DecodeAs::Ingress if V::INGRESS => {
                Decoded::Ingress(Box::new(Ingress::deserialize(de)?))
            }
            DecodeAs::NetworkPolicy if V::NETWORK_POLICY => {
                Decoded::NetworkPolicy(Box::new(NetworkPolicy::deserialize(de)?))
            }
            _ => return Err(serde::de::Error::custom("no view for the object")),
        }))
    }
}

fn decode<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    field: &str,
    what: &dyn fmt::Display,
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
#[derive(Clone, Debug, Default)]
pub struct ObjectMeta<'a> {
    pub name: Option<Cow<'a, str>>,
    pub generate_name: Option<Cow<'a, str>>,
    pub namespace: Option<Cow<'a, str>>,
    pub labels: StringMap<'a>,
    /// Every annotation, except that kubectl's last-applied-configuration is kept with an
    /// empty value: it is a copy of the whole object (often the largest field of a request, and
    /// full of escapes to decode), which no controller and no policy reads.
    pub annotations: StringMap<'a>,
    /// Set once the object is being deleted: its remaining updates remove finalizers.
    pub deletion_timestamp: Option<Cow<'a, str>>,
}

crate::view_reader!(ObjectMeta {
    "name" => name: crate::view::optional_string,
    "generateName" => generate_name: crate::view::optional_string,
    "namespace" => namespace: crate::view::optional_string,
    "labels" => labels: crate::view::string_map,
    "annotations" => annotations: crate::view::annotations,
    "deletionTimestamp" => deletion_timestamp: crate::view::optional_string,
});

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

/// Reads a [`StringMap`]; the value of the key `skip` is passed over, and kept empty. Read as
/// an option first, so that a value of another type is refused where it starts.
pub(crate) struct StringMapVisitor {
    pub(crate) skip: Option<&'static str>,
}

impl<'de> serde::de::DeserializeSeed<'de> for StringMapVisitor {
    type Value = StringMap<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StringMapVisitor {
    type Value = StringMap<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(StringMap::new())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(StringMap::new())
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = StringMap::new();
        while let Some(Borrowed(key)) = map.next_key()? {
            let value = if self.skip == Some(key.as_ref()) {
                // Skipped, not unescaped: the API server has checked it is a string.
                map.next_value::<IgnoredAny>()?;
                Cow::Borrowed("")
            } else {
                map.next_value::<Borrowed>()?.0
            };
            out.insert(key, value);
        }
        Ok(out)
    }
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

/// [`Payload`] read with the views `V` and the policy's own object `O`.
#[derive(Deserialize)]
#[serde(bound(
    deserialize = "S: Deserialize<'de> + Default, V: Views, O: OwnObject, O::Of<'a>: Deserialize<'de>"
))]
struct PayloadWith<'a, S, V, O: OwnObject> {
    #[serde(borrow)]
    request: Read<'a, V, O>,
    #[serde(default)]
    settings: S,
}

impl<'a, S: Deserialize<'a> + Default> Payload<'a, S> {
    /// Parses the payload with every view; the error is a message for the user (the request is
    /// then rejected).
    pub fn parse(payload: &'a [u8]) -> Result<Self, String> {
        Self::parse_with::<AllViews>(payload)
    }

    /// Parses the payload, decoding the object in the same pass when `V` has a view for its
    /// kind. An object that does not decode (malformed, or not an object) makes a second pass
    /// that leaves it raw, so that the policy meets it where it would meet any unreadable
    /// object, with the same message.
    pub fn parse_with<V: Views>(payload: &'a [u8]) -> Result<Self, String> {
        Self::parse_own::<V, NoOwn>(payload).map(|(payload, _)| payload)
    }

    /// [`Self::parse_with`], reading the object as `O::Of` in the same pass when `O` wants its
    /// kind; it is then handed over here, and stays readable raw from the payload. An object
    /// that does not decode is left raw, as with views, for the policy to report.
    pub fn parse_own<V: Views, O: OwnObject>(
        payload: &'a [u8],
    ) -> Result<(Self, Option<O::Of<'a>>), String>
    where
        O::Of<'a>: Deserialize<'a>,
    {
        let text = crate::mem::utf8(payload).ok();
        if let Some(Ok(read)) = text.map(crate::json::de::from_str::<PayloadWith<S, V, O>>) {
            let Read(mut request, own, _) = read.request;
            request.source = text;
            let payload = Payload {
                request,
                settings: read.settings,
            };
            return Ok((payload, own));
        }
        RAW_OBJECT.set(true);
        let lazy = crate::json::from_slice::<PayloadWith<S, V, O>>(payload);
        RAW_OBJECT.set(false);
        lazy.map(|lazy| {
            let payload = Payload {
                request: lazy.request.0,
                settings: lazy.settings,
            };
            (payload, None)
        })
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
                json: r#"{"request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Service"},"operation":"CREATE","namespace":"a","object":{"metadata":{"name":"x"}}},"settings":{"flag":true}}"#,
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

    /// What one pass decodes, and what it leaves raw.
    #[test]
    fn objects_of_shared_views_are_decoded_in_the_same_pass() {
        let request = |kind: &str, object: &str| {
            format!(r#"{{"request":{{"kind":{kind},"operation":"UPDATE","object":{object}}}}}"#)
        };
        let ingress = r#"{"group":"networking.k8s.io","version":"v1","kind":"Ingress"}"#;
        let deployment = r#"{"group":"apps","version":"v1","kind":"Deployment"}"#;
        let named = r#"{"metadata":{"name":"x","deletionTimestamp":"2026-01-01T00:00:00Z"}}"#;
        // (payload, decoded into a view, raw object kept, terminating)
        let cases = [
            (request(ingress, named), Some("Ingress"), false, true),
            (request(deployment, named), Some("Workload"), false, true),
            (
                request(deployment, r#"{"metadata":{"name":"x"}}"#),
                Some("Workload"),
                false,
                false,
            ),
            // Another group's Deployment, and kinds without a shared view, stay raw.
            (
                request(r#"{"group":"example.com","kind":"Deployment"}"#, named),
                None,
                true,
                true,
            ),
            (request(r#"{"kind":"ConfigMap"}"#, named), None, true, true),
            // The kind after the object: the object was met before its kind was known.
            (
                format!(r#"{{"request":{{"object":{named},"kind":{ingress}}}}}"#),
                None,
                true,
                true,
            ),
            // Objects that do not decode are read again, raw, for the policy to report.
            (
                request(ingress, r#"{"metadata":{"labels":[]}}"#),
                None,
                true,
                false,
            ),
            (request(deployment, "[]"), None, true, false),
            (request(deployment, r#""x""#), None, true, false),
            (request(ingress, "null"), None, false, false),
        ];
        for (json, view, raw, terminating) in cases {
            let p = Payload::<Settings>::parse(json.as_bytes()).unwrap();
            assert_eq!(p.request.is_terminating(), terminating, "{json}");
            let decoded = p.request.take_decoded();
            let got = decoded.as_ref().map(|d| match d {
                Decoded::Workload(_) => "Workload",
                Decoded::Ingress(_) => "Ingress",
                Decoded::NetworkPolicy(_) => "NetworkPolicy",
            });
            assert_eq!(got, view, "{json}");
            assert_eq!(p.request.object.is_some(), raw, "{json}");
            // Either way the object can be read raw, and as another type.
            let present = !json.contains(r#""object":null"#);
            assert_eq!(p.request.raw_object().is_some(), present, "{json}");
            let other = p.request.object::<serde_json::Value>("a value");
            let map = p
                .request
                .raw_object()
                .is_some_and(|r| r.get().starts_with('{'));
            assert_eq!(other.is_ok(), map, "{json}");
            assert!(p.request.take_decoded().is_none(), "handed over once");
        }
        let twice = request(ingress, named).replace(r#""operation""#, r#""object":{},"operation""#);
        let err = Payload::<Settings>::parse(twice.as_bytes()).unwrap_err();
        assert!(err.contains("duplicate field `object`"), "{err}");
    }

    /// The policy's own view: read in the request's pass for the kinds it wants, else (another
    /// kind, null, not an object, not its shape) left raw for the policy to read or report.
    #[test]
    fn own_objects_are_read_in_the_same_pass() {
        struct Named;
        impl OwnObject for Named {
            type Of<'a> = Obj<'a>;
            fn wanted(kind: &GroupVersionKind<'_>) -> bool {
                kind.kind == "Service"
            }
        }
        let request = |kind: &str, object: &str| {
            format!(r#"{{"request":{{"kind":{{"kind":"{kind}"}},"object":{object}}}}}"#)
        };
        let named = r#"{"metadata":{"name":"x"}}"#;
        // (payload, read as own, raw object readable)
        let cases = [
            (request("Service", named), true, true),
            (request("ConfigMap", named), false, true),
            (request("Service", "null"), false, false),
            (request("Service", "[]"), false, true),
            (
                request("Service", r#"{"metadata":{"name":7}}"#),
                false,
                true,
            ),
        ];
        for (json, own, raw) in cases {
            let (p, got) = Payload::<Settings>::parse_own::<NoViews, Named>(json.as_bytes())
                .unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(
                got.map(|o| o.metadata.name.into_owned()).is_some(),
                own,
                "{json}"
            );
            assert_eq!(p.request.raw_object().is_some(), raw, "{json}");
            assert!(!RAW_OBJECT.get());
        }
        let bad = Payload::<Settings>::parse_own::<NoViews, Named>(b"{\"request\":7}");
        assert!(bad.unwrap_err().contains("cannot be read"));
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
        for bad in [r#"{"a":7}"#, "[]", r#""x""#] {
            let err = meta(bad).unwrap_err();
            assert!(err.starts_with("annotations"), "{bad}: {err}");
        }
    }

    #[test]
    fn labels_and_annotations_borrow_plain_strings() {
        let json = r#"{"labels":{"app":"web","q":"a\"b"},"annotations":{"k\u0065y":"v"}}"#;
        let meta: ObjectMeta = crate::json::from_str(json).unwrap();
        let (key, value) = meta.labels.iter().next().unwrap();
        assert!(matches!(
            (key, value),
            (Cow::Borrowed("app"), Cow::Borrowed("web"))
        ));
        assert!(matches!(meta.labels.get("q"), Some(Cow::Owned(v)) if v == "a\"b"));
        let (key, value) = meta.annotations.iter().next().unwrap();
        assert!(matches!((key, value), (Cow::Owned(k), Cow::Borrowed("v")) if k == "key"));
        let selector: crate::selector::LabelSelector =
            crate::json::from_str(r#"{"matchLabels":{"app":"web"}}"#).unwrap();
        assert!(matches!(
            selector.match_labels.get("app"),
            Some(Cow::Borrowed("web"))
        ));
    }

    #[test]
    fn the_requests_user_is_read() {
        let json = r#"{"request":{"userInfo":{"username":"system:serviceaccount:kube-system:endpointslice-controller","groups":["system:serviceaccounts"],"uid":"1"},"operation":"CREATE"}}"#;
        let p = Payload::<Settings>::parse(json.as_bytes()).unwrap();
        assert!(matches!(
            p.request.user_info.username,
            Cow::Borrowed("system:serviceaccount:kube-system:endpointslice-controller")
        ));
        for none in [r#"{"request":{}}"#, r#"{"request":{"userInfo":null}}"#] {
            let p = Payload::<Settings>::parse(none.as_bytes()).unwrap();
            assert_eq!(p.request.user_info.username, "");
        }
        let bad = Payload::<Settings>::parse(br#"{"request":{"userInfo":{"username":7}}}"#);
        assert!(bad.unwrap_err().contains("userInfo.username"));
    }

    #[test]
    fn escaped_strings_are_owned_plain_ones_borrowed() {
        let json = r#"{"request":{"namespace":"plain","name":"esc\u0061ped"}}"#;
        let p = Payload::<Settings>::parse(json.as_bytes()).unwrap();
        assert!(matches!(p.request.namespace, Cow::Borrowed("plain")));
        assert_eq!(p.request.name, "escaped");
    }
}
