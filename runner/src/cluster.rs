//! The objects a scenario's cluster holds, answered to the policy's Kubernetes host calls the way
//! the API server answers list and get.

use std::path::Path;

use anyhow::{Context, Result, bail};
use netsec_shared::cluster::{Resource, StoredObjects, host_words, list_json};
use serde_json::Value;

#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Each object's JSON is encoded once per set of field masks: answers copy it instead of
    /// encoding per call, so that benchmarks of context-aware policies measure the guest rather
    /// than this host.
    stored: StoredObjects,
}

impl Cluster {
    pub fn new(objects: Vec<Value>) -> Result<Cluster> {
        for (i, object) in objects.iter().enumerate() {
            for field in ["apiVersion", "kind"] {
                if !object[field].is_string() {
                    bail!("cluster object {i} has no {field}");
                }
            }
            if !object["metadata"]["name"].is_string() {
                bail!("cluster object {i} has no metadata.name");
            }
        }
        Ok(Cluster {
            stored: StoredObjects::new(objects),
        })
    }

    /// A YAML (or JSON) file holding a list of objects, a `List`, or several documents.
    pub fn from_file(path: &Path) -> Result<Cluster> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut objects = Vec::new();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(document)
                .with_context(|| format!("{} is not valid YAML", path.display()))?;
            match value {
                Value::Null => {}
                Value::Array(items) => objects.extend(items),
                Value::Object(ref map) if map.get("items").is_some_and(Value::is_array) => {
                    objects.extend(map["items"].as_array().cloned().unwrap_or_default())
                }
                other => objects.push(other),
            }
        }
        Cluster::new(objects).with_context(|| format!("in {}", path.display()))
    }

    /// Whether `api_version`/`kind` lives in namespaces, as policy-evaluator's
    /// `build_kube_resource` learns it from the API server's discovery. The kinds of the
    /// built-in groups are known (see [`BUILT_IN`]); a kind a built-in group does not have is
    /// unknown there, as upstream says. Any other group is taken for an installed custom
    /// resource (this cluster has no discovery to say otherwise), namespaced unless the
    /// objects held of that kind all have no namespace.
    fn scope(&self, resource: Resource<'_>) -> Result<Scope, String> {
        if let Some((_, kinds)) = BUILT_IN.iter().find(|(g, _)| *g == resource.api_version) {
            return kinds
                .iter()
                .find(|(k, _)| *k == resource.kind)
                .map(|(_, scope)| *scope)
                .ok_or_else(|| host_words::unknown_resource(resource));
        }
        let json = self.stored.encoded(&[]);
        let mut held = self.stored.of(resource, &json).peekable();
        let cluster_wide = held.peek().is_some()
            && held.all(|(o, _)| {
                o["metadata"]["namespace"]
                    .as_str()
                    .is_none_or(str::is_empty)
            });
        Ok(if cluster_wide {
            Scope::Cluster
        } else {
            Scope::Namespaced
        })
    }

    /// `list_resources_by_namespace` (`namespace` given) or `list_resources_all`: the JSON
    /// `List` of the objects of that kind, each pruned to the field masks `masks` (whole when
    /// there are none). Errors are the Kubernetes client's words, before the host's prefix.
    pub fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
        masks: &[&str],
    ) -> Result<Vec<u8>, String> {
        let resource = Resource { api_version, kind };
        let scope = self.scope(resource)?;
        if namespace.is_some() && scope == Scope::Cluster {
            return Err(host_words::cluster_wide(resource));
        }
        let labels = label_selector
            .map(LabelSelector::parse)
            .transpose()
            .map_err(|e| format!("invalid label selector: {e}"))?;
        let fields = field_selector
            .map(parse_field_selector)
            .transpose()
            .map_err(|e| format!("invalid field selector: {e}"))?;
        let json = self.stored.encoded(masks);
        let items = self
            .stored
            .in_namespace(resource, &json, namespace)
            .filter(|(o, _)| {
                labels
                    .as_ref()
                    .is_none_or(|s| s.matches(&o["metadata"]["labels"]))
            })
            .filter(|(o, _)| {
                fields.as_ref().is_none_or(|reqs| {
                    reqs.iter().all(|(path, op_eq, value)| {
                        let actual = lookup(o, path).and_then(Value::as_str).unwrap_or_default();
                        (actual == value) == *op_eq
                    })
                })
            })
            .map(|(_, json)| json);
        Ok(list_json(resource, items))
    }

    /// `get_resource`: one object's JSON by name, or the Kubernetes client's words (before the
    /// host's prefix) when there is none. A cluster-scoped kind is found by name whatever
    /// namespace is asked, as upstream reads it through `Api::all_with`; a namespaced kind
    /// needs a namespace.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        masks: &[&str],
    ) -> Result<Vec<u8>, String> {
        let resource = Resource { api_version, kind };
        let wanted = match (self.scope(resource)?, namespace) {
            (Scope::Cluster, _) => None,
            (Scope::Namespaced, Some(ns)) => Some(ns),
            (Scope::Namespaced, None) => return Err(host_words::namespace_required(resource)),
        };
        let json = self.stored.encoded(masks);
        self.stored
            .of(resource, &json)
            .find(|(o, _)| {
                o["metadata"]["name"] == name
                    && wanted.is_none_or(|ns| o["metadata"]["namespace"] == ns)
            })
            .map(|(_, json)| json.to_vec())
            .ok_or_else(|| host_words::not_found(resource, name, namespace))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scope {
    Namespaced,
    Cluster,
}

/// The kinds of the built-in API groups and their scope, from k8s-openapi's `v1_36` types
/// (`impl Resource`: `API_VERSION`, `KIND`, `Scope`), subresources left out.
const BUILT_IN: &[(&str, &[(&str, Scope)])] = {
    use Scope::{Cluster as C, Namespaced as N};
    &[
        (
            "v1",
            &[
                ("Binding", N),
                ("ComponentStatus", C),
                ("ConfigMap", N),
                ("Endpoints", N),
                ("Event", N),
                ("LimitRange", N),
                ("Namespace", C),
                ("Node", C),
                ("PersistentVolume", C),
                ("PersistentVolumeClaim", N),
                ("Pod", N),
                ("PodTemplate", N),
                ("ReplicationController", N),
                ("ResourceQuota", N),
                ("Secret", N),
                ("Service", N),
                ("ServiceAccount", N),
            ],
        ),
        (
            "apps/v1",
            &[
                ("ControllerRevision", N),
                ("DaemonSet", N),
                ("Deployment", N),
                ("ReplicaSet", N),
                ("StatefulSet", N),
            ],
        ),
        ("autoscaling/v2", &[("HorizontalPodAutoscaler", N)]),
        ("batch/v1", &[("CronJob", N), ("Job", N)]),
        ("discovery.k8s.io/v1", &[("EndpointSlice", N)]),
        (
            "networking.k8s.io/v1",
            &[
                ("IPAddress", C),
                ("Ingress", N),
                ("IngressClass", C),
                ("NetworkPolicy", N),
                ("ServiceCIDR", C),
            ],
        ),
        ("policy/v1", &[("PodDisruptionBudget", N)]),
        (
            "rbac.authorization.k8s.io/v1",
            &[
                ("ClusterRole", C),
                ("ClusterRoleBinding", C),
                ("Role", N),
                ("RoleBinding", N),
            ],
        ),
    ]
};

fn lookup<'a>(object: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(object, |v, key| v.get(key))
}

fn parse_field_selector(text: &str) -> Result<Vec<(String, bool, String)>, String> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|req| {
            let (path, eq, value) = if let Some((p, v)) = req.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = req.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = req.split_once('=') {
                (p, true, v)
            } else {
                return Err(format!("{req:?} is not key=value"));
            };
            Ok((path.trim().to_string(), eq, value.trim().to_string()))
        })
        .collect()
}

/// The string form of a Kubernetes label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`).
#[derive(Debug, PartialEq)]
pub struct LabelSelector(Vec<Requirement>);

#[derive(Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    DoesNotExist(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for part in split_outside_parens(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let req = if let Some(key) = part.strip_prefix('!') {
                Requirement::DoesNotExist(key.trim().to_string())
            } else if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, values)) = set_requirement(part, " notin ") {
                Requirement::NotIn(k, values?)
            } else if let Some((k, values)) = set_requirement(part, " in ") {
                Requirement::In(k, values?)
            } else if part.contains(char::is_whitespace) || part.contains(['(', ')']) {
                return Err(format!("cannot parse {part:?}"));
            } else {
                Requirement::Exists(part.to_string())
            };
            requirements.push(req);
        }
        Ok(LabelSelector(requirements))
    }

    pub fn matches(&self, labels: &Value) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| vs.iter().all(|x| x != v)),
        })
    }
}

fn split_outside_parens(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

type SetRequirement = (String, Result<Vec<String>, String>);

fn set_requirement(part: &str, operator: &str) -> Option<SetRequirement> {
    let (key, rest) = part.split_once(operator)?;
    let rest = rest.trim();
    let values = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_string()).collect())
        .ok_or_else(|| format!("{part:?}: the values must be in parentheses"));
    Some((key.trim().to_string(), values))
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    fn value(answer: Result<Vec<u8>, String>) -> Value {
        serde_json::from_slice(&answer.unwrap()).unwrap()
    }

    fn cluster() -> Cluster {
        Cluster::new(vec![
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "a", "namespace": "x", "labels": {"tier": "web"}}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "b", "namespace": "y"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
        ])
        .unwrap()
    }

    #[test]
    fn list_and_get() {
        let c = cluster();
        let l = value(c.list(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            Some("x"),
            None,
            None,
            &[],
        ));
        assert_eq!(l["kind"], "NetworkPolicyList");
        assert_eq!(l["items"].as_array().unwrap().len(), 1);
        let all = value(c.list(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            None,
            None,
            None,
            &[],
        ));
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let sel = value(c.list(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            None,
            Some("tier in (web,db)"),
            None,
            &["metadata.name"],
        ));
        assert_eq!(sel["items"][0], json!({"metadata": {"name": "a"}}));
        let fields = value(c.list(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            None,
            None,
            Some("metadata.name!=a"),
            &[],
        ));
        assert_eq!(fields["items"][0]["metadata"]["name"], "b");
        assert_eq!(
            value(c.get("v1", "Namespace", "x", None, &[]))["kind"],
            "Namespace"
        );
        assert!(Cluster::new(vec![json!({"kind": "X"})]).is_err());
    }

    /// Each answer of policy-evaluator's Kubernetes client (`callback_handler/kubernetes/
    /// client.rs`) that this cluster can give, word for word.
    #[test]
    fn failures_are_in_the_kubernetes_clients_words() {
        let c = cluster();
        let np = "networking.k8s.io/v1";
        let cases = [
            (
                c.get("v1", "Namespace", "z", None, &[]),
                "Cannot find v1/Namespace named 'z' inside of namespace 'None'",
            ),
            (
                c.get(np, "NetworkPolicy", "a", Some("elsewhere"), &[]),
                "Cannot find networking.k8s.io/v1/NetworkPolicy named 'a' inside of namespace \
                 'Some(\"elsewhere\")'",
            ),
            (
                c.get(np, "NetworkPolicy", "a", None, &[]),
                "Resource networking.k8s.io/v1/NetworkPolicy is namespaced, but no namespace \
                 was provided",
            ),
            (
                c.list("v1", "Namespace", Some("x"), None, None, &[]),
                "resource v1/Namespace is cluster wide. Cannot search for it inside of a \
                 namespace",
            ),
            (
                c.get("v1", "Gateway", "gw", Some("x"), &[]),
                "Cannot find resource v1/Gateway",
            ),
            (
                c.list(np, "Gateway", Some("x"), None, None, &[]),
                "Cannot find resource networking.k8s.io/v1/Gateway",
            ),
            (
                c.list(np, "Gateway", None, None, None, &[]),
                "Cannot find resource networking.k8s.io/v1/Gateway",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.unwrap_err(), want);
        }
    }

    #[test]
    fn scope_decides_how_a_get_is_matched() {
        let c = cluster();
        // A cluster-scoped kind is found by name whatever namespace is asked.
        let ns = value(c.get("v1", "Namespace", "x", Some("elsewhere"), &[]));
        assert_eq!(ns["metadata"]["name"], "x");
        // Custom resources are taken as installed: namespaced, unless every object held of the
        // kind is cluster-scoped.
        let crs = Cluster::new(vec![
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                   "metadata": {"name": "eg"}}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                   "metadata": {"name": "gw", "namespace": "infra"}}),
        ])
        .unwrap();
        let gw = "gateway.networking.k8s.io/v1";
        assert!(crs.get(gw, "GatewayClass", "eg", Some("any"), &[]).is_ok());
        assert_eq!(
            crs.list(gw, "GatewayClass", Some("any"), None, None, &[])
                .unwrap_err(),
            "resource gateway.networking.k8s.io/v1/GatewayClass is cluster wide. Cannot search \
             for it inside of a namespace"
        );
        assert!(crs.get(gw, "Gateway", "gw", Some("infra"), &[]).is_ok());
        assert!(crs.get(gw, "Gateway", "gw", Some("shop"), &[]).is_err());
        let none = value(crs.list(gw, "HTTPRoute", Some("shop"), None, None, &[]));
        assert_eq!(none["items"], json!([]));
        assert_eq!(
            crs.get(gw, "HTTPRoute", "r", Some("shop"), &[])
                .unwrap_err(),
            "Cannot find gateway.networking.k8s.io/v1/HTTPRoute named 'r' inside of namespace \
             'Some(\"shop\")'"
        );
    }

    #[test]
    fn label_selectors() {
        let labels = json!({"app": "web", "tier": "front"});
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app=db", false),
            ("app", true),
            ("!app", false),
            ("!missing", true),
            ("app in (db, web)", true),
            ("app notin (db,web)", false),
            ("missing notin (x)", true),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
        ];
        for (text, want) in cases {
            let s = LabelSelector::parse(text).unwrap();
            assert_eq!(s.matches(&labels), want, "{text}");
        }
        assert!(LabelSelector::parse("app in web").is_err());
    }
}
