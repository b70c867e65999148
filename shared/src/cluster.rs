//! Context-aware reads: what a policy may ask Kubernetes while it judges a request.
//!
//! Policies take a `&dyn Cluster`, so their `evaluate` stays a pure function: in the wasm module
//! it is [`HostCluster`] (the Kubewarden host capabilities), in native tests and benchmarks a
//! [`MemoryCluster`]. Answers are the raw JSON the host returns, so that each policy reads them
//! into its own lean, borrowed view ([`list_items`]) instead of full k8s-openapi types.

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value;

/// A kind of resource, as Kubewarden names it in `contextAwareResources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
}

impl std::fmt::Display for Resource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.api_version, self.kind)
    }
}

/// Reads of the cluster. Errors are the host's text, for the policy to wrap in its own words
/// with [`unreadable`].
///
/// `fields` are the host's field masks: the dotted paths (through lists too) of what the policy
/// reads, so that the host prunes each object before encoding it and the guest decodes no
/// managedFields, status or annotations it does not need. Empty asks for whole objects; a host
/// that does not know masks sends whole objects, which the policies read the same way.
pub trait Cluster {
    /// The `List` of the resources of one namespace (`list_resources_by_namespace`).
    fn list_by_namespace(
        &self,
        resource: Resource<'_>,
        namespace: &str,
        fields: &[&str],
    ) -> Result<Vec<u8>, String>;

    /// The `List` of the resources of every namespace, or of a cluster-scoped kind
    /// (`list_resources_all`).
    fn list_all(&self, resource: Resource<'_>, fields: &[&str]) -> Result<Vec<u8>, String>;

    /// One object (`get_resource`); `namespace` is `None` for cluster-scoped resources.
    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
        fields: &[&str],
    ) -> Result<Vec<u8>, String>;
}

/// The message of a policy whose read of the cluster failed: what could not be read, what that
/// leaves unchecked, and that `subject` is therefore rejected, in one sentence; then, in
/// brackets for diagnosis, the first line of `error` (the host's text, or why its answer could
/// not be read), trimmed. Only the first line: policy-server formats its errors with `{:?}`,
/// which adds a cause chain and, under `RUST_BACKTRACE=1`, a whole stack backtrace.
pub fn unreadable(
    what: impl std::fmt::Display,
    unchecked: impl std::fmt::Display,
    subject: impl std::fmt::Display,
    error: &str,
) -> String {
    let first = error.split('\n').next().unwrap_or_default().trim();
    let mut message =
        format!("{what} could not be read, so {unchecked}; {subject} is rejected (fail closed)");
    if !first.is_empty() {
        message.push_str(" [");
        message.push_str(first);
        message.push(']');
    }
    message
}

/// Kubewarden's words for a Kubernetes read it refuses or cannot answer, shared by the hosts of
/// this workspace (`netsec`'s cluster and [`MemoryCluster`]) so that policies meet the text
/// policy-server gives them. From kubewarden-controller's `crates/policy-evaluator`:
/// `runtimes/callback.rs` (`host_callback`, `send_request_and_wait_for_response`) and
/// `callback_handler/kubernetes/client.rs` (`build_kube_resource`, `get_resource`,
/// `list_resources_by_namespace`).
pub mod host_words {
    use super::Resource;

    /// `host_callback`: the binding is not `kubewarden`.
    pub fn unknown_binding(binding: &str) -> String {
        format!("unknown binding: {binding}")
    }

    /// `host_callback`: a namespace the host does not know (past the capability gate).
    pub fn unknown_namespace(namespace: &str) -> String {
        format!("unknown namespace: {namespace}")
    }

    /// `host_callback`: an operation the namespace does not have.
    pub fn unknown_operation(operation: &str) -> String {
        format!("unknown operation: {operation}")
    }

    /// `host_capability_denied`: `{namespace}/{operation}` is not in the policy's
    /// hostCapabilities.
    pub fn capability_denied(namespace: &str, operation: &str) -> String {
        format!(
            "Policy has not been granted access to the '{namespace}/{operation}' host \
             capability. The violation has been reported."
        )
    }

    /// `host_callback`: the resource is not in the policy's contextAwareResources.
    pub fn resource_denied(resource: Resource<'_>) -> String {
        format!(
            "Policy has not been granted access to Kubernetes {resource} resources. The \
             violation has been reported."
        )
    }

    /// `send_request_and_wait_for_response`: what every error of the callback handler (the
    /// Kubernetes client below) becomes. Upstream formats the `anyhow::Error` with `{:?}`.
    pub fn callback_failure(error: &str) -> String {
        format!("Callback evaluation failure: {error}")
    }

    /// `build_kube_resource`: the group/version is served but has no such kind.
    pub fn unknown_resource(resource: Resource<'_>) -> String {
        format!("Cannot find resource {resource}")
    }

    /// `list_resources_by_namespace` on a cluster-scoped kind.
    pub fn cluster_wide(resource: Resource<'_>) -> String {
        format!("resource {resource} is cluster wide. Cannot search for it inside of a namespace")
    }

    /// `get_resource` of a namespaced kind without a namespace.
    pub fn namespace_required(resource: Resource<'_>) -> String {
        format!("Resource {resource} is namespaced, but no namespace was provided")
    }

    /// `get_resource` that finds nothing; the namespace is written with `Option`'s `Debug`, as
    /// upstream does: `'None'`, `'Some("shop")'`.
    pub fn not_found(resource: Resource<'_>, name: &str, namespace: Option<&str>) -> String {
        format!("Cannot find {resource} named '{name}' inside of namespace '{namespace:?}'")
    }
}

/// `object` pruned to the dotted paths of `fields`, as Kubewarden hosts apply field masks: a
/// path keeps the value at its end whole, goes through every item of a list on its way, and
/// what no path names is left out. No fields keep the whole object.
pub fn prune<S: AsRef<str>>(object: &Value, fields: &[S]) -> Value {
    if fields.is_empty() {
        return object.clone();
    }
    let mut out = Value::Null;
    for field in fields {
        let path: Vec<&str> = field.as_ref().split('.').collect();
        keep(object, &path, &mut out);
    }
    out
}

fn keep(source: &Value, path: &[&str], into: &mut Value) {
    let Some((key, rest)) = path.split_first() else {
        *into = source.clone();
        return;
    };
    match source {
        Value::Object(map) => {
            if !into.is_object() {
                *into = Value::Object(Default::default());
            }
            let (Some(child), Value::Object(out)) = (map.get(*key), into) else {
                return;
            };
            // A path through a string or number ends there: nothing of it is kept.
            if rest.is_empty() || child.is_object() || child.is_array() {
                keep(child, rest, out.entry(*key).or_insert(Value::Null));
            }
        }
        Value::Array(items) => {
            if into.as_array().is_none_or(|a| a.len() != items.len()) {
                *into = Value::Array(vec![Value::Null; items.len()]);
            }
            if let Value::Array(out) = into {
                for (item, slot) in items.iter().zip(out.iter_mut()) {
                    keep(item, path, slot);
                }
            }
        }
        _ => {}
    }
}

/// Whether a failed read failed because the cluster does not know the resource (its CRD is not
/// installed), which for optional resources means "none of them". Hosts word it differently:
/// the API server's 404 ("the server could not find the requested resource"), kube-rs
/// discovery ("Cannot find resource ..."), kubectl's "no matches for kind" / "doesn't have a
/// resource type"; each is recognised by its words, not its exact text. A refused capability
/// ("has not been granted access") or a broken host is not one of them.
pub fn is_unknown_resource(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    if error.contains("not been granted") || error.contains("forbidden") {
        return false;
    }
    [
        "could not find the requested resource",
        "cannot find resource",
        "can not find resource",
        "unknown resource",
        "resource not found",
        "no matches for kind",
        "doesn't have a resource type",
        "does not have a resource type",
        "notfound",
        "not found",
        "404",
    ]
    .iter()
    .any(|words| error.contains(words))
}

/// The items of a `List` answer, read as `T` borrowing from `bytes`.
pub fn list_items<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<Vec<T>, String> {
    #[derive(Deserialize)]
    #[serde(bound(deserialize = "T: Deserialize<'de>"))]
    struct List<T> {
        #[serde(
            default = "Vec::new",
            deserialize_with = "crate::request::null_as_empty"
        )]
        items: Vec<T>,
    }
    crate::json::from_slice::<List<T>>(bytes)
        .map(|list| list.items)
        .map_err(|e| format!("the answer is not a readable list: {e}"))
}

/// A `List` answer as the API server writes it, around items already in JSON: hosts keep each
/// object serialised once, so a list costs a copy of its items and no encoding per request.
pub fn list_json<'i>(resource: Resource<'_>, items: impl IntoIterator<Item = &'i [u8]>) -> Vec<u8> {
    // Sized once: an answer of a thousand objects would otherwise be copied a dozen times as
    // it grows.
    let items: Vec<&[u8]> = items.into_iter().collect();
    let size = items.iter().map(|i| i.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(size + 128 + resource.api_version.len() + resource.kind.len());
    // Writing strings to a Vec cannot fail.
    let string = |out: &mut Vec<u8>, s: &str| serde_json::to_writer(out, s).unwrap_or_default();
    out.extend_from_slice(b"{\"apiVersion\":");
    string(&mut out, resource.api_version);
    out.extend_from_slice(b",\"kind\":");
    string(&mut out, &format!("{}List", resource.kind));
    out.extend_from_slice(b",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.extend_from_slice(b"]}");
    out
}

/// The payload of the `kubernetes` host calls: the SDK's request structs
/// (`host_capabilities::kubernetes`), field for field, so that policy-server and kwctl's
/// record/replay read it as their own. Written by hand: serde's serialiser cost a context-aware
/// policy a tenth of its request for three small objects of known shape.
struct Request(Vec<u8>);

impl Request {
    fn new(api_version: &str, kind: &str) -> Self {
        let mut request = Request(Vec::with_capacity(256));
        request.0.push(b'{');
        request.string("api_version", Some(api_version));
        request.string("kind", Some(kind));
        request
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        self.0.push(b'"');
        self.0.extend_from_slice(key.as_bytes());
        self.0.extend_from_slice(b"\":");
    }

    fn string(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        self.key(key);
        self.value(value);
        self
    }

    /// A string, or `null`. As serde_json writes it: only quotes, backslashes and control
    /// characters are escaped.
    fn value(&mut self, value: Option<&str>) {
        match value {
            None => self.0.extend_from_slice(b"null"),
            Some(v) if crate::json::syntax::plain(v.as_bytes(), 0) == v.len() => {
                self.0.push(b'"');
                self.0.extend_from_slice(v.as_bytes());
                self.0.push(b'"');
            }
            // Writing a string to a Vec cannot fail.
            Some(v) => serde_json::to_writer(&mut self.0, v).unwrap_or_default(),
        }
    }

    fn flag(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.0.extend_from_slice(text);
        self
    }

    /// `label_selector`, `field_selector` (never set here) and `field_masks`: none when empty.
    fn selectors(&mut self, fields: &[&str]) -> &mut Self {
        self.string("label_selector", None);
        self.string("field_selector", None);
        self.masks(fields)
    }

    fn masks(&mut self, fields: &[&str]) -> &mut Self {
        if fields.is_empty() {
            return self.string("field_masks", None);
        }
        self.key("field_masks");
        self.0.push(b'[');
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.value(Some(field));
        }
        self.0.push(b']');
        self
    }

    fn done(&mut self) -> Vec<u8> {
        self.0.push(b'}');
        std::mem::take(&mut self.0)
    }
}

/// The Kubewarden host: `kubewarden`/`kubernetes` waPC host calls. The host answers only for
/// resources listed in the policy's `contextAwareResources`. Outside a waPC host (native code)
/// every call fails, which policies treat like any failed read.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostCluster;

impl HostCluster {
    fn call(operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        crate::guest::host_call("kubewarden", "kubernetes", operation, payload)
    }
}

impl Cluster for HostCluster {
    fn list_by_namespace(
        &self,
        resource: Resource<'_>,
        namespace: &str,
        fields: &[&str],
    ) -> Result<Vec<u8>, String> {
        HostCluster::call(
            "list_resources_by_namespace",
            &list_by_namespace_request(resource, namespace, fields),
        )
    }

    fn list_all(&self, resource: Resource<'_>, fields: &[&str]) -> Result<Vec<u8>, String> {
        HostCluster::call("list_resources_all", &list_all_request(resource, fields))
    }

    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
        fields: &[&str],
    ) -> Result<Vec<u8>, String> {
        HostCluster::call(
            "get_resource",
            &get_request(resource, name, namespace, fields),
        )
    }
}

fn list_by_namespace_request(resource: Resource<'_>, namespace: &str, fields: &[&str]) -> Vec<u8> {
    Request::new(resource.api_version, resource.kind)
        .string("namespace", Some(namespace))
        .selectors(fields)
        .done()
}

fn list_all_request(resource: Resource<'_>, fields: &[&str]) -> Vec<u8> {
    Request::new(resource.api_version, resource.kind)
        .selectors(fields)
        .done()
}

fn get_request(
    resource: Resource<'_>,
    name: &str,
    namespace: Option<&str>,
    fields: &[&str],
) -> Vec<u8> {
    Request::new(resource.api_version, resource.kind)
        .string("name", Some(name))
        .string("namespace", namespace)
        .flag("disable_cache", false)
        .masks(fields)
        .done()
}

/// [`HostCluster`] with only the host capabilities a policy declares in its metadata
/// (`hostCapabilities`): `GET` for `kubernetes/get_resource`, `BY_NS` for
/// `kubernetes/list_resources_by_namespace`, `ALL` for `kubernetes/list_resources_all`. A call
/// outside them fails as policy-server's capability gate fails it, and the module carries no
/// code for it: a `&dyn Cluster` of [`HostCluster`] keeps every method of its vtable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Granted<const GET: bool, const BY_NS: bool, const ALL: bool>;

impl<const GET: bool, const BY_NS: bool, const ALL: bool> Cluster for Granted<GET, BY_NS, ALL> {
    fn list_by_namespace(
        &self,
        resource: Resource<'_>,
        namespace: &str,
        fields: &[&str],
    ) -> Result<Vec<u8>, String> {
        if !BY_NS {
            return Err(host_words::capability_denied(
                "kubernetes",
                "list_resources_by_namespace",
            ));
        }
        HostCluster.list_by_namespace(resource, namespace, fields)
    }

    fn list_all(&self, resource: Resource<'_>, fields: &[&str]) -> Result<Vec<u8>, String> {
        if !ALL {
            return Err(host_words::capability_denied(
                "kubernetes",
                "list_resources_all",
            ));
        }
        HostCluster.list_all(resource, fields)
    }

    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
        fields: &[&str],
    ) -> Result<Vec<u8>, String> {
        if !GET {
            return Err(host_words::capability_denied("kubernetes", "get_resource"));
        }
        HostCluster.get(resource, name, namespace, fields)
    }
}

/// Objects a host answers from, each encoded once per set of field masks: the calls of many
/// requests read the same objects, and a list then costs a copy of its items.
#[derive(Debug, Default)]
pub struct StoredObjects {
    objects: Vec<Value>,
    /// Each object's `apiVersion`, `kind` and `metadata.namespace`, read once: a host answers
    /// every list call by a walk over all of them.
    kinds: Vec<Kind>,
    /// Per set of field masks (a policy asks with a few), found without allocating.
    encoded: Mutex<Vec<(Vec<String>, Encoded)>>,
}

/// What a list call filters stored objects by.
#[derive(Clone, Debug)]
struct Kind {
    api_version: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
}

/// The JSON of every stored object, pruned to one set of field masks.
type Encoded = Arc<Vec<Vec<u8>>>;

impl Clone for StoredObjects {
    fn clone(&self) -> Self {
        StoredObjects::new(self.objects.clone())
    }
}

impl StoredObjects {
    pub fn new(objects: Vec<Value>) -> Self {
        let kinds = objects
            .iter()
            .map(|o| {
                let text = |v: &Value| v.as_str().map(str::to_string);
                Kind {
                    api_version: text(&o["apiVersion"]),
                    kind: text(&o["kind"]),
                    namespace: text(&o["metadata"]["namespace"]),
                }
            })
            .collect();
        StoredObjects {
            objects,
            kinds,
            encoded: Mutex::default(),
        }
    }

    pub fn objects(&self) -> &[Value] {
        &self.objects
    }

    /// The objects of `resource`, each with its JSON from `encoded` (an answer of
    /// [`Self::encoded`]).
    pub fn of<'s>(
        &'s self,
        resource: Resource<'s>,
        encoded: &'s [Vec<u8>],
    ) -> impl Iterator<Item = (&'s Value, &'s [u8])> + 's {
        self.in_namespace(resource, encoded, None)
    }

    /// [`Self::of`], only the objects whose `metadata.namespace` is `namespace` when one is
    /// given.
    pub fn in_namespace<'s>(
        &'s self,
        resource: Resource<'s>,
        encoded: &'s [Vec<u8>],
        namespace: Option<&'s str>,
    ) -> impl Iterator<Item = (&'s Value, &'s [u8])> + 's {
        self.objects
            .iter()
            .zip(encoded.iter().map(Vec::as_slice))
            .zip(&self.kinds)
            .filter(move |(_, k)| {
                k.api_version.as_deref() == Some(resource.api_version)
                    && k.kind.as_deref() == Some(resource.kind)
                    && namespace.is_none_or(|ns| k.namespace.as_deref() == Some(ns))
            })
            .map(|(pair, _)| pair)
    }

    /// The JSON of every object pruned to `fields`, in the order of [`Self::objects`].
    pub fn encoded(&self, fields: &[&str]) -> Encoded {
        let mut encoded = self.encoded.lock().unwrap_or_else(|e| e.into_inner());
        let same = |key: &[String]| key.len() == fields.len() && key.iter().eq(fields.iter());
        if let Some((_, json)) = encoded.iter().find(|(key, _)| same(key)) {
            return Arc::clone(json);
        }
        // A Value always encodes.
        let json = self
            .objects
            .iter()
            .map(|o| serde_json::to_vec(&prune(o, fields)).unwrap_or_default());
        let json: Encoded = Arc::new(json.collect());
        let key = fields.iter().map(|f| f.to_string()).collect();
        encoded.push((key, Arc::clone(&json)));
        json
    }
}

/// Objects held in memory, answered the way policy-server answers: for native tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryCluster {
    stored: StoredObjects,
    failure: Option<String>,
    /// Kinds whose CRD is not installed: reads fail as the API server's 404.
    absent: Vec<(String, String)>,
}

impl MemoryCluster {
    pub fn new(objects: Vec<Value>) -> Self {
        MemoryCluster {
            stored: StoredObjects::new(objects),
            failure: None,
            absent: Vec::new(),
        }
    }

    /// The same cluster without the CRD of `resource`: its reads fail as the API server
    /// answers a resource it does not serve.
    pub fn without(mut self, resource: Resource<'_>) -> Self {
        self.absent
            .push((resource.api_version.into(), resource.kind.into()));
        self
    }

    /// A cluster whose every read fails with `message`, as a refused or broken host call does.
    pub fn failing(message: impl Into<String>) -> Self {
        MemoryCluster {
            stored: StoredObjects::default(),
            failure: Some(message.into()),
            absent: Vec::new(),
        }
    }

    fn check(&self, resource: Resource<'_>) -> Result<(), String> {
        if let Some(message) = &self.failure {
            return Err(message.clone());
        }
        let absent = self
            .absent
            .iter()
            .any(|(v, k)| v == resource.api_version && k == resource.kind);
        if absent {
            return Err(format!(
                "the server could not find the requested resource ({resource})"
            ));
        }
        Ok(())
    }
}

impl Cluster for MemoryCluster {
    fn list_all(&self, resource: Resource<'_>, fields: &[&str]) -> Result<Vec<u8>, String> {
        self.check(resource)?;
        let json = self.stored.encoded(fields);
        let items = self.stored.of(resource, &json).map(|(_, json)| json);
        Ok(list_json(resource, items))
    }

    fn list_by_namespace(
        &self,
        resource: Resource<'_>,
        namespace: &str,
        fields: &[&str],
    ) -> Result<Vec<u8>, String> {
        self.check(resource)?;
        let json = self.stored.encoded(fields);
        let items = self
            .stored
            .in_namespace(resource, &json, Some(namespace))
            .map(|(_, json)| json);
        Ok(list_json(resource, items))
    }

    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
        fields: &[&str],
    ) -> Result<Vec<u8>, String> {
        self.check(resource)?;
        let json = self.stored.encoded(fields);
        let found = self.stored.of(resource, &json).find(|(o, _)| {
            o["metadata"]["name"] == name
                && namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns)
        });
        match found {
            Some((_, json)) => Ok(json.to_vec()),
            None => Err(host_words::callback_failure(&host_words::not_found(
                resource, name, namespace,
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::borrow::Cow;

    const NP: Resource = Resource {
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
    };

    #[derive(Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        metadata: Meta<'a>,
    }
    #[derive(Deserialize)]
    struct Meta<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
    }

    fn cluster() -> MemoryCluster {
        MemoryCluster::new(vec![
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "a", "namespace": "shop"}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "b", "namespace": "other"}}),
            json!({"apiVersion": "v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "c", "namespace": "shop"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        ])
    }

    fn names(bytes: &[u8]) -> Vec<String> {
        list_items::<Named>(bytes)
            .unwrap()
            .into_iter()
            .map(|n| n.metadata.name.into_owned())
            .collect()
    }

    #[test]
    fn unknown_resources_are_recognised() {
        let c = cluster().without(NP);
        let err = c.list_by_namespace(NP, "shop", &[]).unwrap_err();
        assert!(is_unknown_resource(&err), "{err}");
        assert!(is_unknown_resource(&c.list_all(NP, &[]).unwrap_err()));
        for unknown in [
            "ApiError: the server could not find the requested resource: NotFound (ErrorResponse { code: 404 })",
            "Cannot find resource cilium.io/v2/CiliumNetworkPolicy",
            "no matches for kind \"CiliumNetworkPolicy\" in version \"cilium.io/v2\"",
            "error: the server doesn't have a resource type \"ciliumnetworkpolicies\"",
            "unknown resource cilium.io/v2, kind CiliumNetworkPolicy",
        ] {
            assert!(is_unknown_resource(unknown), "{unknown}");
        }
        for other in [
            "Policy has not been granted access to Kubernetes cilium.io/v2/CiliumNetworkPolicy resources. The violation has been reported.",
            "host call failed: connection refused",
            "forbidden: User cannot list resource (not found in RBAC)",
        ] {
            assert!(!is_unknown_resource(other), "{other}");
        }
        let names = |b: Vec<u8>| names(&b);
        assert_eq!(names(cluster().list_all(NP, &[]).unwrap()), ["a", "b"]);
    }

    #[test]
    fn lists_by_namespace_and_kind() {
        let c = cluster();
        assert_eq!(names(&c.list_by_namespace(NP, "shop", &[]).unwrap()), ["a"]);
        assert_eq!(
            names(&c.list_by_namespace(NP, "other", &[]).unwrap()),
            ["b"]
        );
        assert!(names(&c.list_by_namespace(NP, "none", &[]).unwrap()).is_empty());
    }

    #[test]
    fn lists_every_namespace_of_one_kind() {
        let c = cluster();
        assert_eq!(names(&c.list_all(NP, &[]).unwrap()), ["a", "b"]);
        let ns = Resource {
            api_version: "v1",
            kind: "Namespace",
        };
        assert_eq!(
            names(&c.list_all(ns, &["metadata.name"]).unwrap()),
            ["shop"]
        );
        assert_eq!(
            MemoryCluster::failing("refused")
                .list_all(NP, &[])
                .unwrap_err(),
            "refused"
        );
        assert!(HostCluster.list_all(NP, &[]).is_err());
        let payload: Value =
            serde_json::from_slice(&list_all_request(NAMESPACE_RESOURCE, &["metadata.name"]))
                .unwrap();
        assert_eq!(
            payload,
            json!({"api_version": "v1", "kind": "Namespace", "label_selector": null,
                   "field_selector": null, "field_masks": ["metadata.name"]})
        );
    }

    #[test]
    fn gets_one_object() {
        let c = cluster();
        let ns = Resource {
            api_version: "v1",
            kind: "Namespace",
        };
        let got: Value = serde_json::from_slice(&c.get(ns, "shop", None, &[]).unwrap()).unwrap();
        assert_eq!(got["metadata"]["name"], "shop");
        let err = c.get(ns, "nope", None, &[]).unwrap_err();
        assert_eq!(
            err,
            "Callback evaluation failure: Cannot find v1/Namespace named 'nope' inside of \
             namespace 'None'"
        );
        assert_eq!(
            c.get(NP, "a", Some("other"), &[]).unwrap_err(),
            "Callback evaluation failure: Cannot find networking.k8s.io/v1/NetworkPolicy named \
             'a' inside of namespace 'Some(\"other\")'"
        );
        assert!(c.get(NP, "a", Some("shop"), &[]).is_ok());
    }

    #[test]
    fn lists_are_api_server_lists() {
        let c = cluster();
        let list: Value =
            serde_json::from_slice(&c.list_by_namespace(NP, "shop", &[]).unwrap()).unwrap();
        assert_eq!(
            list,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList",
                   "metadata": {"resourceVersion": "1"},
                   "items": [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                              "metadata": {"name": "a", "namespace": "shop"}}]})
        );
        let quoted = Resource {
            api_version: "x\"y/v1",
            kind: "K",
        };
        let empty: Value = serde_json::from_slice(&list_json(quoted, [])).unwrap();
        assert_eq!(empty["apiVersion"], "x\"y/v1");
        assert_eq!(empty["items"], json!([]));
    }

    #[test]
    fn field_masks_prune_objects() {
        let object = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"a": "b"}, "managedFields": [{"manager": "x"}]},
            "spec": {"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 1}]},
                                    {"name": "b"}, "odd"]},
            "status": {"phase": "Active"}
        });
        let cases: &[(&[&str], Value)] = &[
            (&[], object.clone()),
            (&["metadata.name"], json!({"metadata": {"name": "shop"}})),
            (
                &["metadata.name", "metadata.labels", "kind"],
                json!({"kind": "Namespace", "metadata": {"name": "shop", "labels": {"a": "b"}}}),
            ),
            // Through lists: every item keeps its part; an item without it stays an object.
            (
                &["spec.containers.image"],
                json!({"spec": {"containers": [{"image": "i"}, {}, null]}}),
            ),
            (
                &[
                    "spec.containers.name",
                    "spec.containers.ports.containerPort",
                ],
                json!({"spec": {"containers": [
                    {"name": "a", "ports": [{"containerPort": 1}]}, {"name": "b"}, null]}}),
            ),
            // A whole subtree and a path inside it: the subtree.
            (
                &["status", "status.phase"],
                json!({"status": {"phase": "Active"}}),
            ),
            (&["metadata.name.first", "missing"], json!({"metadata": {}})),
        ];
        for (fields, want) in cases {
            assert_eq!(&prune(&object, fields), want, "{fields:?}");
        }
    }

    #[test]
    fn masked_answers() {
        let c = MemoryCluster::new(vec![json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "a", "namespace": "shop", "managedFields": [{}]},
            "spec": {"podSelector": {}}})]);
        let list: Value =
            serde_json::from_slice(&c.list_by_namespace(NP, "shop", &["metadata.name"]).unwrap())
                .unwrap();
        assert_eq!(list["items"], json!([{"metadata": {"name": "a"}}]));
        // Answers are encoded once per mask set and reused.
        let again = c.list_by_namespace(NP, "shop", &["metadata.name"]).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&again).unwrap(), list);
        let got: Value =
            serde_json::from_slice(&c.get(NP, "a", Some("shop"), &["spec"]).unwrap()).unwrap();
        assert_eq!(got, json!({"spec": {"podSelector": {}}}));
        let whole: Value = serde_json::from_slice(&c.get(NP, "a", None, &[]).unwrap()).unwrap();
        assert_eq!(whole["metadata"]["managedFields"], json!([{}]));
    }

    #[test]
    fn failing_cluster_fails_every_read() {
        let c = MemoryCluster::failing("refused");
        assert_eq!(c.list_by_namespace(NP, "shop", &[]).unwrap_err(), "refused");
        assert_eq!(c.get(NP, "a", None, &[]).unwrap_err(), "refused");
    }

    #[test]
    fn unreadable_speaks_for_the_policy_and_keeps_one_line_of_the_host() {
        let host = "Callback evaluation failure: Cannot find v1/Namespace named 'shop' inside \
                    of namespace 'None'\n\nStack backtrace:\n   0: anyhow::error::<impl>\n";
        assert_eq!(
            unreadable(
                "the Namespace \"shop\"",
                "its injection labels cannot be checked",
                "the Pod",
                host
            ),
            "the Namespace \"shop\" could not be read, so its injection labels cannot be \
             checked; the Pod is rejected (fail closed) [Callback evaluation failure: Cannot \
             find v1/Namespace named 'shop' inside of namespace 'None']"
        );
        // Trimmed; nothing in brackets when the host said nothing.
        assert!(
            unreadable("x", "y", "z", "  refused \r\nmore").ends_with("(fail closed) [refused]")
        );
        assert!(unreadable("x", "y", "z", " \n").ends_with("(fail closed)"));
        assert!(unreadable("x", "y", "z", "").ends_with("(fail closed)"));
    }

    #[test]
    fn host_words_are_policy_evaluators() {
        let ns = Resource {
            api_version: "v1",
            kind: "Namespace",
        };
        let cases = [
            (host_words::unknown_binding("k8s"), "unknown binding: k8s"),
            (
                host_words::unknown_namespace("foo"),
                "unknown namespace: foo",
            ),
            (
                host_words::unknown_operation("watch"),
                "unknown operation: watch",
            ),
            (
                host_words::capability_denied("oci", "v1/verify"),
                "Policy has not been granted access to the 'oci/v1/verify' host capability. \
                 The violation has been reported.",
            ),
            (
                host_words::resource_denied(NP),
                "Policy has not been granted access to Kubernetes \
                 networking.k8s.io/v1/NetworkPolicy resources. The violation has been reported.",
            ),
            (
                host_words::callback_failure("boom"),
                "Callback evaluation failure: boom",
            ),
            (
                host_words::unknown_resource(Resource {
                    api_version: "v1",
                    kind: "Gateway",
                }),
                "Cannot find resource v1/Gateway",
            ),
            (
                host_words::cluster_wide(ns),
                "resource v1/Namespace is cluster wide. Cannot search for it inside of a \
                 namespace",
            ),
            (
                host_words::namespace_required(NP),
                "Resource networking.k8s.io/v1/NetworkPolicy is namespaced, but no namespace \
                 was provided",
            ),
            (
                host_words::not_found(ns, "shop", None),
                "Cannot find v1/Namespace named 'shop' inside of namespace 'None'",
            ),
            (
                host_words::not_found(NP, "a", Some("elsewhere")),
                "Cannot find networking.k8s.io/v1/NetworkPolicy named 'a' inside of namespace \
                 'Some(\"elsewhere\")'",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn granted_capabilities_only() {
        let get_only = Granted::<true, false, false>;
        let denied = get_only.list_all(NP, &[]).unwrap_err();
        assert_eq!(
            denied,
            "Policy has not been granted access to the 'kubernetes/list_resources_all' host \
             capability. The violation has been reported."
        );
        let denied = get_only.list_by_namespace(NP, "a", &[]).unwrap_err();
        assert!(
            denied.contains("'kubernetes/list_resources_by_namespace'"),
            "{denied}"
        );
        // Outside a waPC host the granted call reaches the host, and fails there.
        let reached = get_only.get(NP, "x", Some("a"), &[]).unwrap_err();
        assert!(!reached.contains("not been granted"), "{reached}");
        let lists = Granted::<false, true, true>;
        let denied = lists.get(NP, "x", None, &[]).unwrap_err();
        assert!(denied.contains("'kubernetes/get_resource'"), "{denied}");
    }

    #[test]
    fn host_cluster_fails_outside_a_wapc_host() {
        assert!(HostCluster.list_by_namespace(NP, "shop", &[]).is_err());
    }

    #[test]
    fn payloads_are_the_sdk_requests() {
        let read = |bytes: Vec<u8>| serde_json::from_slice::<Value>(&bytes).unwrap();
        let np = Resource {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
        };
        let list = read(list_by_namespace_request(
            np,
            "shop",
            &["metadata.name", "spec"],
        ));
        assert_eq!(
            list,
            json!({"api_version": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "namespace": "shop", "label_selector": null, "field_selector": null,
                   "field_masks": ["metadata.name", "spec"]})
        );
        let get = read(get_request(NAMESPACE_RESOURCE, "shop", None, &[]));
        assert_eq!(
            get,
            json!({"api_version": "v1", "kind": "Namespace", "name": "shop", "namespace": null,
                   "disable_cache": false, "field_masks": null})
        );
        // What needs escaping is escaped, as serde_json does.
        let odd = read(list_by_namespace_request(np, "a\"b\\c\u{1}é", &["x\ty"]));
        assert_eq!(odd["namespace"], "a\"b\\c\u{1}é");
        assert_eq!(odd["field_masks"], json!(["x\ty"]));
    }

    const NAMESPACE_RESOURCE: Resource<'static> = Resource {
        api_version: "v1",
        kind: "Namespace",
    };

    #[test]
    fn unreadable_lists_name_the_problem() {
        let cases: &[(&[u8], Result<usize, &str>)] = &[
            (br#"{"items":[]}"#, Ok(0)),
            (br#"{"items":null}"#, Ok(0)),
            (br#"{"metadata":{}}"#, Ok(0)),
            (br#"{"items":[{"metadata":{"name":"x"}}]}"#, Ok(1)),
            (
                br#"{"items":[{"metadata":{"name":1}}]}"#,
                Err("items[0].metadata.name: invalid type: integer `1`, expected a string"),
            ),
            (b"not json", Err("the answer is not a readable list")),
        ];
        for (bytes, want) in cases {
            match (list_items::<Named>(bytes), want) {
                (Ok(items), Ok(n)) => assert_eq!(items.len(), *n),
                (Err(e), Err(w)) => assert!(e.contains(w), "{e}"),
                (got, _) => panic!(
                    "{:?}: {:?}",
                    String::from_utf8_lossy(bytes),
                    got.map(|v| v.len())
                ),
            }
        }
    }
}
