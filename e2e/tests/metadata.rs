//! The metadata embedded in dist/*.wasm, read back with wasmparser, equals metadata.yml.

use netsec_e2e::{dist_module, policies, root};
use serde_json::Value;

fn embedded(module: &[u8]) -> Value {
    let mut found = None;
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let wasmparser::Payload::CustomSection(section) = payload.unwrap()
            && section.name() == "io.kubewarden.metadata"
        {
            assert!(found.is_none(), "two metadata sections");
            found = Some(serde_json::from_slice(section.data()).unwrap());
        }
    }
    found.expect("the module has an io.kubewarden.metadata section")
}

#[test]
fn embedded_metadata_matches_metadata_yml() {
    for policy in policies() {
        let dir = root().join("policies").join(&policy);
        let module = std::fs::read(dist_module(&policy)).unwrap();
        let got = embedded(&module);
        let want: Value =
            serde_yaml::from_str(&std::fs::read_to_string(dir.join("metadata.yml")).unwrap())
                .unwrap();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();

        assert_eq!(got["protocolVersion"], "v1", "{policy}");
        for key in ["rules", "mutating"] {
            assert_eq!(got[key], want[key], "{policy}: {key}");
        }
        let aware = |v: &Value| {
            v.get("contextAwareResources")
                .cloned()
                .unwrap_or(Value::Array(vec![]))
        };
        assert_eq!(aware(&got), aware(&want), "{policy}: contextAwareResources");
        assert_eq!(
            got["backgroundAudit"],
            want.get("backgroundAudit")
                .cloned()
                .unwrap_or(Value::Bool(true))
        );
        assert_eq!(got["executionMode"], "kubewarden-wapc", "{policy}");
        assert_eq!(
            got.get("hostCapabilities"),
            want.get("hostCapabilities"),
            "{policy}"
        );

        let mut annotations = got["annotations"].as_object().unwrap().clone();
        let usage = annotations
            .remove("io.kubewarden.policy.usage")
            .expect("usage embedded");
        assert_eq!(
            usage, readme,
            "{policy}: the usage annotation is the README"
        );
        assert_eq!(
            Value::Object(annotations),
            want["annotations"],
            "{policy}: annotations"
        );
        assert_eq!(
            want["annotations"]["io.kubewarden.policy.title"],
            policy.as_str(),
            "{policy}: the title is the policy name"
        );
    }
}

#[test]
fn annotated_modules_stay_under_the_size_budget() {
    for policy in policies() {
        let size = std::fs::metadata(dist_module(&policy)).unwrap().len();
        assert!(
            size < 300 * 1024,
            "{policy}: {size} bytes, the budget is 300 KB"
        );
    }
}
