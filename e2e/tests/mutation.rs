//! A mutating policy's answer, as the runner turns it into kwctl's base64 JSONPatch, applies to
//! the request's object and yields exactly the object the policy returned.

use std::process::Command;

use base64::Engine as _;
use netsec_e2e::{dist_module, netsec, root};
use netsec_runner::PolicyHost;
use netsec_runner::admission::{AdmissionResponse, RequestSpec, build_request};
use serde_json::{Value, json};

fn namespace(metadata: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata,
           "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
}

/// `object` with `metadata.<field>.<key> = value`, built independently of the policy.
fn with(object: &Value, field: &str, key: &str, value: &str) -> Value {
    let mut expected = object.clone();
    let metadata = expected["metadata"].as_object_mut().unwrap();
    let map = metadata.entry(field).or_insert_with(|| json!({}));
    if map.is_null() {
        *map = json!({});
    }
    map.as_object_mut()
        .unwrap()
        .insert(key.to_string(), json!(value));
    expected
}

fn evaluate(host: &mut PolicyHost, settings: &Value, object: &Value) -> (Value, AdmissionResponse) {
    host.validate_settings(settings).unwrap().unwrap();
    let request = build_request(&RequestSpec {
        object: Some(object.clone()),
        operation: "CREATE".into(),
        uid: "mutation-test".into(),
        ..Default::default()
    })
    .unwrap();
    let outcome = host.validate(&request, settings);
    let response = AdmissionResponse::from_guest(&request, outcome);
    (request, response)
}

#[test]
fn mesh_injection_patches_apply_to_the_original_namespace() {
    let mut host = PolicyHost::from_file(&dist_module("mesh-injection")).unwrap();
    // (settings, original, field, key, value): keys with '/' exercise JSON Pointer escaping,
    // missing and null maps the creation of the map itself.
    let cases = [
        (
            json!({"mutate": true}),
            namespace(json!({"name": "shop", "labels": {"team": "a"}})),
            "labels",
            "istio-injection",
            "enabled",
        ),
        (
            json!({"mutate": true, "istioRevisions": ["canary", "stable"]}),
            namespace(json!({"name": "shop"})),
            "labels",
            "istio.io/rev",
            "canary",
        ),
        (
            json!({"mutate": true, "mesh": "istio-ambient"}),
            namespace(json!({"name": "shop", "labels": null})),
            "labels",
            "istio.io/dataplane-mode",
            "ambient",
        ),
        (
            json!({"mutate": true, "mesh": "linkerd"}),
            namespace(json!({"name": "shop", "annotations": {"owner": "team-a"}})),
            "annotations",
            "linkerd.io/inject",
            "enabled",
        ),
    ];
    for (settings, original, field, key, value) in cases {
        let (request, response) = evaluate(&mut host, &settings, &original);
        assert!(response.allowed, "{settings}: {:?}", response.message());
        assert_eq!(
            response.patch_type.as_deref(),
            Some("JSONPatch"),
            "{settings}"
        );
        let wire = serde_json::to_value(&response).unwrap();
        assert!(wire["patch"].is_string(), "{wire}");

        let patch = response.decoded_patch().expect("a base64 JSONPatch");
        let mut patched = request["object"].clone();
        json_patch::patch(&mut patched, &patch).expect("the patch applies to the original");
        assert_eq!(patched, with(&original, field, key, value), "{settings}");

        // The guest's own mutated object is what the patch produces.
        host.validate_settings(&settings).unwrap().unwrap();
        let guest = host.validate(&request, &settings).unwrap();
        assert_eq!(guest.mutated_object.as_ref(), Some(&patched), "{settings}");
    }
}

#[test]
fn mesh_injection_does_not_patch_a_meshed_or_refused_namespace() {
    let mut host = PolicyHost::from_file(&dist_module("mesh-injection")).unwrap();
    let settings = json!({"mutate": true});
    let meshed = namespace(json!({"name": "shop", "labels": {"istio-injection": "enabled"}}));
    let (_, response) = evaluate(&mut host, &settings, &meshed);
    assert!(response.allowed);
    assert!(response.patch.is_none() && response.patch_type.is_none());

    let refused = namespace(json!({"name": "shop", "labels": {"istio-injection": "disabled"}}));
    let (_, response) = evaluate(&mut host, &settings, &refused);
    assert!(!response.allowed);
    assert!(response.patch.is_none());
}

#[test]
fn netsec_run_prints_a_patch_that_applies_to_the_request_object() {
    let fixture = "policies/mesh-injection/test_data/namespace-unlabelled-review.json";
    let out = Command::new(netsec())
        .args([
            "run",
            "--settings-json",
            r#"{"mutate": true}"#,
            "--request-path",
        ])
        .arg(fixture)
        .arg(dist_module("mesh-injection"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().unwrap())
        .unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();

    let review: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(fixture)).unwrap()).unwrap();
    let original = review["request"]["object"].clone();
    let mut patched = original.clone();
    json_patch::patch(&mut patched, &patch).unwrap();
    assert_eq!(
        patched,
        with(&original, "labels", "istio-injection", "enabled")
    );
}
