//! Every policy's `validate_settings`, through its module: unknown keys, values of the wrong
//! type for every setting the scenarios use, and documents that are not objects are refused with
//! a message naming the setting.

use std::collections::BTreeMap;

use netsec_e2e::{dist_module, policies, root};
use netsec_runner::PolicyHost;
use netsec_runner::scenario::ScenarioFile;
use serde_json::{Value, json};

/// Each top-level setting the policy's scenarios give, with one valid value.
fn known_settings(policy: &str) -> BTreeMap<String, Value> {
    let file = root().join("policies").join(policy).join("scenarios.yaml");
    let mut found = BTreeMap::new();
    for case in ScenarioFile::load(&file).unwrap().cases {
        if case.expect.settings_valid == Some(false) {
            continue;
        }
        if let Some(Value::Object(settings)) = case.settings {
            for (key, value) in settings {
                found.entry(key).or_insert(value);
            }
        }
    }
    found
}

/// Values of types other than `valid`'s (none when `valid` is null: its type is unknown).
fn wrong_types(valid: &Value) -> Vec<Value> {
    if valid.is_null() {
        return Vec::new();
    }
    let all = [
        json!(true),
        json!(7),
        json!("x"),
        json!(["x"]),
        json!({"x": 1}),
    ];
    all.into_iter()
        .filter(|v| std::mem::discriminant(v) != std::mem::discriminant(valid))
        .collect()
}

#[test]
fn unknown_keys_and_documents_that_are_not_objects_are_refused() {
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        assert_eq!(
            host.validate_settings(&json!({})).unwrap(),
            Ok(()),
            "{policy}"
        );
        let err = host
            .validate_settings(&json!({"bogusSetting": true}))
            .unwrap()
            .expect_err(&policy);
        assert!(err.contains("bogusSetting"), "{policy}: {err}");
        for bad in [json!([]), json!("x"), json!(42)] {
            let result = host.validate_settings(&bad).unwrap();
            assert!(result.is_err(), "{policy}: settings {bad} accepted");
        }
    }
}

#[test]
fn every_setting_refuses_values_of_the_wrong_type_naming_it() {
    let mut checked = 0;
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let known = known_settings(&policy);
        assert!(!known.is_empty(), "{policy}: no scenario gives settings");
        for (key, valid) in &known {
            for bad in wrong_types(valid) {
                let doc = json!({ key.as_str(): bad });
                match host.validate_settings(&doc).unwrap() {
                    Err(message) => {
                        assert!(message.contains(key.as_str()), "{policy}: {doc}: {message}")
                    }
                    Ok(()) => panic!("{policy}: {doc} accepted"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} settings documents checked");
}
