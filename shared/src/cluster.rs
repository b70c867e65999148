//! Context-aware reads: what a policy may ask Kubernetes while it judges a request.
//!
//! Policies take a `&dyn Cluster`, so their `evaluate` stays a pure function: in the wasm module
//! it is [`HostCluster`] (the Kubewarden host capabilities), in native tests and benchmarks a
//! [`MemoryCluster`]. Answers are the raw JSON the host returns, so that each policy reads them
//! into its own lean, borrowed view ([`list_items`]) instead of full k8s-openapi types.

use serde::{Deserialize, Serialize};
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

/// Reads of the cluster. Errors are the host's message, for the policy to wrap in its own.
pub trait Cluster {
    /// The `List` of the resources of one namespace (`list_resources_by_namespace`).
    fn list_by_namespace(&self, resource: Resource<'_>, namespace: &str)
    -> Result<Vec<u8>, String>;

    /// One object (`get_resource`); `namespace` is `None` for cluster-scoped resources.
    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<u8>, String>;
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
    let mut out = Vec::new();
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

/// The payload of the `kubernetes` host calls: the SDK's request structs, field for field, so
/// that policy-server and kwctl's record/replay read it as their own.
#[derive(Serialize)]
struct ListByNamespaceRequest<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: &'a str,
    label_selector: Option<&'a str>,
    field_selector: Option<&'a str>,
    field_masks: Option<Vec<&'a str>>,
}

#[derive(Serialize)]
struct GetResourceRequest<'a> {
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    disable_cache: bool,
    field_masks: Option<Vec<&'a str>>,
}

/// The Kubewarden host: `kubewarden`/`kubernetes` waPC host calls. The host answers only for
/// resources listed in the policy's `contextAwareResources`. Outside a waPC host (native code)
/// every call fails, which policies treat like any failed read.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostCluster;

impl HostCluster {
    fn call(operation: &str, payload: &impl Serialize) -> Result<Vec<u8>, String> {
        let payload = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        kubewarden_policy_sdk::wapc_guest::host_call(
            "kubewarden",
            "kubernetes",
            operation,
            &payload,
        )
        .map_err(|e| e.to_string())
    }
}

impl Cluster for HostCluster {
    fn list_by_namespace(
        &self,
        resource: Resource<'_>,
        namespace: &str,
    ) -> Result<Vec<u8>, String> {
        HostCluster::call(
            "list_resources_by_namespace",
            &ListByNamespaceRequest {
                api_version: resource.api_version,
                kind: resource.kind,
                namespace,
                label_selector: None,
                field_selector: None,
                field_masks: None,
            },
        )
    }

    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<u8>, String> {
        HostCluster::call(
            "get_resource",
            &GetResourceRequest {
                api_version: resource.api_version,
                kind: resource.kind,
                name,
                namespace,
                disable_cache: false,
                field_masks: None,
            },
        )
    }
}

/// Objects held in memory, answered the way policy-server answers: for native tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryCluster {
    /// Each object with its JSON, encoded once.
    objects: Vec<(Value, Vec<u8>)>,
    failure: Option<String>,
}

impl MemoryCluster {
    pub fn new(objects: Vec<Value>) -> Self {
        MemoryCluster {
            objects: objects
                .into_iter()
                .map(|o| {
                    let json = serde_json::to_vec(&o).unwrap_or_default();
                    (o, json)
                })
                .collect(),
            failure: None,
        }
    }

    /// A cluster whose every read fails with `message`, as a refused or broken host call does.
    pub fn failing(message: impl Into<String>) -> Self {
        MemoryCluster {
            objects: Vec::new(),
            failure: Some(message.into()),
        }
    }

    fn of<'s>(&'s self, resource: Resource<'s>) -> impl Iterator<Item = &'s (Value, Vec<u8>)> + 's {
        self.objects.iter().filter(move |(o, _)| {
            o["apiVersion"] == resource.api_version && o["kind"] == resource.kind
        })
    }

    fn check(&self) -> Result<(), String> {
        match &self.failure {
            Some(message) => Err(message.clone()),
            None => Ok(()),
        }
    }
}

impl Cluster for MemoryCluster {
    fn list_by_namespace(
        &self,
        resource: Resource<'_>,
        namespace: &str,
    ) -> Result<Vec<u8>, String> {
        self.check()?;
        let items = self
            .of(resource)
            .filter(|(o, _)| o["metadata"]["namespace"] == namespace)
            .map(|(_, json)| json.as_slice());
        Ok(list_json(resource, items))
    }

    fn get(
        &self,
        resource: Resource<'_>,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<u8>, String> {
        self.check()?;
        self.of(resource)
            .find(|(o, _)| {
                o["metadata"]["name"] == name
                    && namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns)
            })
            .map(|(_, json)| json.clone())
            .ok_or_else(|| {
                format!(
                    "Cannot find {resource} named '{name}' inside of namespace '{}'",
                    namespace.unwrap_or("None")
                )
            })
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
    fn lists_by_namespace_and_kind() {
        let c = cluster();
        assert_eq!(names(&c.list_by_namespace(NP, "shop").unwrap()), ["a"]);
        assert_eq!(names(&c.list_by_namespace(NP, "other").unwrap()), ["b"]);
        assert!(names(&c.list_by_namespace(NP, "none").unwrap()).is_empty());
    }

    #[test]
    fn gets_one_object() {
        let c = cluster();
        let ns = Resource {
            api_version: "v1",
            kind: "Namespace",
        };
        let got: Value = serde_json::from_slice(&c.get(ns, "shop", None).unwrap()).unwrap();
        assert_eq!(got["metadata"]["name"], "shop");
        let err = c.get(ns, "nope", None).unwrap_err();
        assert_eq!(
            err,
            "Cannot find v1/Namespace named 'nope' inside of namespace 'None'"
        );
        assert!(c.get(NP, "a", Some("other")).is_err());
        assert!(c.get(NP, "a", Some("shop")).is_ok());
    }

    #[test]
    fn lists_are_api_server_lists() {
        let c = cluster();
        let list: Value =
            serde_json::from_slice(&c.list_by_namespace(NP, "shop").unwrap()).unwrap();
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
    fn failing_cluster_fails_every_read() {
        let c = MemoryCluster::failing("refused");
        assert_eq!(c.list_by_namespace(NP, "shop").unwrap_err(), "refused");
        assert_eq!(c.get(NP, "a", None).unwrap_err(), "refused");
    }

    #[test]
    fn host_cluster_fails_outside_a_wapc_host() {
        assert!(HostCluster.list_by_namespace(NP, "shop").is_err());
    }

    #[test]
    fn payloads_are_the_sdk_requests() {
        let list = serde_json::to_value(ListByNamespaceRequest {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            namespace: "shop",
            label_selector: None,
            field_selector: None,
            field_masks: None,
        })
        .unwrap();
        assert_eq!(
            list,
            json!({"api_version": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "namespace": "shop", "label_selector": null, "field_selector": null,
                   "field_masks": null})
        );
        let get = serde_json::to_value(GetResourceRequest {
            api_version: "v1",
            kind: "Namespace",
            name: "shop",
            namespace: None,
            disable_cache: false,
            field_masks: None,
        })
        .unwrap();
        assert_eq!(
            get,
            json!({"api_version": "v1", "kind": "Namespace", "name": "shop", "namespace": null,
                   "disable_cache": false, "field_masks": null})
        );
    }

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
