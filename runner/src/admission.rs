//! AdmissionRequests as the API server builds them, and the AdmissionResponse kwctl prints.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::host::{GuestFailure, GuestResponse};

/// What a request is built from.
#[derive(Clone, Debug, Default)]
pub struct RequestSpec {
    pub object: Option<Value>,
    pub old_object: Option<Value>,
    pub operation: String,
    pub user_info: Option<Value>,
    /// Overrides the plural resource name derived from the kind.
    pub resource: Option<String>,
    pub uid: String,
}

/// Builds the AdmissionRequest for an object under `operation` (the object comes from
/// `oldObject` on DELETE, where the API server sends no `object`).
pub fn build_request(spec: &RequestSpec) -> Result<Value> {
    let operation = spec.operation.to_ascii_uppercase();
    if !["CREATE", "UPDATE", "DELETE", "CONNECT"].contains(&operation.as_str()) {
        bail!(
            "operation {:?} is not CREATE, UPDATE, DELETE or CONNECT",
            spec.operation
        );
    }
    let subject = match operation.as_str() {
        "DELETE" => spec.old_object.as_ref().or(spec.object.as_ref()),
        _ => spec.object.as_ref(),
    }
    .context("the case needs an object (or an oldObject for DELETE)")?;
    let api_version = subject["apiVersion"].as_str().unwrap_or_default();
    let kind = subject["kind"].as_str().unwrap_or_default();
    if kind.is_empty() {
        bail!("the object has no kind");
    }
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let resource = spec.resource.clone().unwrap_or_else(|| plural(kind));
    let name = subject["metadata"]["name"].as_str().unwrap_or_default();
    let namespace = if kind == "Namespace" && group.is_empty() {
        name
    } else {
        subject["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
    };
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version, "resource": resource});
    let options_kind = match operation.as_str() {
        "CREATE" => "CreateOptions",
        "UPDATE" => "UpdateOptions",
        "DELETE" => "DeleteOptions",
        _ => "ConnectOptions",
    };
    let mut request = Map::new();
    request.insert("uid".into(), json!(spec.uid));
    request.insert("kind".into(), gvk.clone());
    request.insert("resource".into(), gvr.clone());
    request.insert("requestKind".into(), gvk);
    request.insert("requestResource".into(), gvr);
    request.insert("name".into(), json!(name));
    if !namespace.is_empty() {
        request.insert("namespace".into(), json!(namespace));
    }
    request.insert("operation".into(), json!(operation));
    request.insert(
        "userInfo".into(),
        spec.user_info.clone().unwrap_or_else(|| {
            json!({"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]})
        }),
    );
    if operation != "DELETE" {
        request.insert("object".into(), subject.clone());
    }
    if operation == "DELETE" {
        request.insert("oldObject".into(), subject.clone());
    } else if let Some(old) = &spec.old_object {
        request.insert("oldObject".into(), old.clone());
    }
    request.insert("dryRun".into(), json!(false));
    request.insert(
        "options".into(),
        json!({"apiVersion": "meta.k8s.io/v1", "kind": options_kind}),
    );
    Ok(Value::Object(request))
}

/// The plural resource name of a kind, as the API server names built-in and CRD resources.
pub fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        return lower;
    }
    let consonant_y = lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy");
    if consonant_y {
        format!("{}ies", &lower[..lower.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

/// Reads a request file the way kwctl does: an AdmissionReview (its `request`) or a bare
/// AdmissionRequest, which must carry `uid`, `kind`, `resource`, `operation` and `userInfo`.
pub fn read_request_file(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let request = if value["kind"] == "AdmissionReview" {
        value["request"].clone()
    } else {
        value
    };
    for field in ["uid", "kind", "resource", "operation", "userInfo"] {
        if request.get(field).is_none_or(Value::is_null) {
            bail!(
                "{}: the AdmissionRequest has no {field:?} field",
                path.display()
            );
        }
    }
    Ok(request)
}

#[derive(Debug, Serialize)]
struct Status {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
}

/// kwctl's AdmissionResponse JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    pub audit_annotations: Option<Map<String, Value>>,
    pub warnings: Option<Vec<String>>,
}

impl AdmissionResponse {
    /// Turns the guest's answer into the response policy-server sends: a mutation becomes a
    /// base64 JSONPatch from the request's object to the mutated one.
    pub fn from_guest(request: &Value, outcome: Result<GuestResponse, GuestFailure>) -> Self {
        let uid = request["uid"].as_str().unwrap_or_default().to_string();
        let guest = match outcome {
            Ok(guest) => guest,
            Err(failure) => return AdmissionResponse::rejected(uid, failure.to_string(), 500),
        };
        let mut response = AdmissionResponse {
            uid,
            allowed: guest.accepted,
            patch_type: None,
            patch: None,
            status: guest.message.map(|message| Status {
                message,
                code: guest.code,
            }),
            audit_annotations: guest.audit_annotations,
            warnings: guest.warnings,
        };
        if let (true, Some(mutated)) = (guest.accepted, guest.mutated_object) {
            match request.get("object").filter(|o| !o.is_null()) {
                Some(original) => {
                    let patch = json_patch::diff(original, &mutated);
                    if !patch.0.is_empty() {
                        let bytes = serde_json::to_vec(&patch).unwrap_or_default();
                        response.patch_type = Some("JSONPatch".into());
                        response.patch =
                            Some(base64::engine::general_purpose::STANDARD.encode(bytes));
                    }
                }
                None => {
                    return AdmissionResponse::rejected(
                        response.uid,
                        "Incoming object is null, which happens only with DELETE operations, \
                         but a policy is attempting to mutate it. This is not allowed"
                            .into(),
                        500,
                    );
                }
            }
        }
        response
    }

    fn rejected(uid: String, message: String, code: u16) -> Self {
        AdmissionResponse {
            uid,
            allowed: false,
            patch_type: None,
            patch: None,
            status: Some(Status {
                message,
                code: Some(code),
            }),
            audit_annotations: None,
            warnings: None,
        }
    }

    pub fn message(&self) -> Option<&str> {
        self.status.as_ref().map(|s| s.message.as_str())
    }

    /// The decoded JSONPatch, if the response mutates.
    pub fn decoded_patch(&self) -> Option<json_patch::Patch> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.patch.as_ref()?)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        let cases = [
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Pod", "pods"),
            ("Endpoints", "endpoints"),
            ("Gateway", "gateways"),
            ("ConfigMap", "configmaps"),
            ("IngressClass", "ingressclasses"),
            ("PeerAuthentication", "peerauthentications"),
        ];
        for (kind, want) in cases {
            assert_eq!(plural(kind), want);
        }
    }

    #[test]
    fn requests() {
        let ing = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                         "metadata": {"name": "shop", "namespace": "team-a"}});
        let spec = RequestSpec {
            object: Some(ing.clone()),
            operation: "create".into(),
            uid: "u1".into(),
            ..Default::default()
        };
        let r = build_request(&spec).unwrap();
        assert_eq!(
            r["kind"],
            json!({"group": "networking.k8s.io", "version": "v1", "kind": "Ingress"})
        );
        assert_eq!(r["resource"]["resource"], "ingresses");
        assert_eq!(r["namespace"], "team-a");
        assert_eq!(r["operation"], "CREATE");
        assert_eq!(r["object"], ing);

        let del = RequestSpec {
            old_object: Some(ing.clone()),
            operation: "DELETE".into(),
            ..Default::default()
        };
        let r = build_request(&del).unwrap();
        assert!(r.get("object").is_none());
        assert_eq!(r["oldObject"], ing);
        assert_eq!(r["options"]["kind"], "DeleteOptions");

        let ns = RequestSpec {
            object: Some(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}),
            ),
            operation: "CREATE".into(),
            ..Default::default()
        };
        let r = build_request(&ns).unwrap();
        assert_eq!(r["namespace"], "team-a");
        assert_eq!(r["kind"]["group"], "");

        assert!(
            build_request(&RequestSpec {
                operation: "PATCH".into(),
                ..spec.clone()
            })
            .is_err()
        );
        assert!(
            build_request(&RequestSpec {
                operation: "CREATE".into(),
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn mutation_becomes_patch() {
        let request = json!({"uid": "1", "object": {"metadata": {"labels": {}}}});
        let guest = GuestResponse {
            accepted: true,
            mutated_object: Some(json!({"metadata": {"labels": {"a": "b"}}})),
            ..Default::default()
        };
        let resp = AdmissionResponse::from_guest(&request, Ok(guest.clone()));
        assert_eq!(resp.patch_type.as_deref(), Some("JSONPatch"));
        let mut doc = request["object"].clone();
        json_patch::patch(&mut doc, &resp.decoded_patch().unwrap()).unwrap();
        assert_eq!(doc, json!({"metadata": {"labels": {"a": "b"}}}));

        let no_object = AdmissionResponse::from_guest(&json!({"uid": "2"}), Ok(guest));
        assert!(!no_object.allowed);

        let trapped = AdmissionResponse::from_guest(&request, Err(GuestFailure::Interrupted));
        assert!(!trapped.allowed);
        let text = serde_json::to_string(&trapped).unwrap();
        assert!(text.contains("\"code\":500"), "{text}");
    }
}
