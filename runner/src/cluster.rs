//! The objects a scenario's cluster holds, answered to the policy's Kubernetes host calls the way
//! the API server answers list and get.

use std::path::Path;

use anyhow::{Context, Result, bail};
use netsec_shared::cluster::{Resource, StoredObjects, list_json};
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

    /// The JSON `List` of the objects of that kind, in one namespace or all of them, each
    /// pruned to the field masks `masks` (whole when there are none).
    pub fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
        masks: &[&str],
    ) -> Result<Vec<u8>, String> {
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
            .of(Resource { api_version, kind }, &json)
            .filter(|(o, _)| namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns))
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
        Ok(list_json(Resource { api_version, kind }, items))
    }

    /// One object's JSON by name, or the error policy-server reports when it does not exist.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        masks: &[&str],
    ) -> Result<Vec<u8>, String> {
        let json = self.stored.encoded(masks);
        self.stored
            .of(Resource { api_version, kind }, &json)
            .find(|(o, _)| {
                o["metadata"]["name"] == name
                    && match namespace {
                        Some(ns) => o["metadata"]["namespace"] == ns,
                        None => true,
                    }
            })
            .map(|(_, json)| json.to_vec())
            .ok_or_else(|| {
                format!(
                    "Cannot find {api_version}/{kind} named '{name}' inside of namespace '{}'",
                    namespace.unwrap_or("None")
                )
            })
    }
}

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
        let err = c.get("v1", "Namespace", "z", None, &[]).unwrap_err();
        assert!(err.contains("Cannot find v1/Namespace named 'z'"), "{err}");
        assert!(Cluster::new(vec![json!({"kind": "X"})]).is_err());
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
