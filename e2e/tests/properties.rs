//! Property test: random mutations of each policy's scenario objects, evaluated by its module,
//! never trap and always give a well-formed response (a reject says why). The seed is fixed and
//! the case count bounded, so the run is quick and repeats exactly.

use std::cell::RefCell;

use netsec_e2e::{dist_module, policies, samples};
use netsec_runner::PolicyHost;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Value, json};

const CASES_PER_POLICY: u32 = 96;

/// One edit: which node (an index into the nodes, modulo their count), what to do there, and
/// the value it may write.
#[derive(Clone, Debug)]
struct Edit {
    node: usize,
    action: Action,
    value: Value,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Replace,
    Remove,
    WrapInArray,
    InsertKey,
    Repeat,
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "*",
            "*.example.com",
            "0.0.0.0/0",
            "::/0",
            "10.0.0.0/33",
            "fe80::1%eth0",
            "65536",
            "-1",
            "In",
            "NotIn",
            "Exists",
            "true",
            "false",
            "kube-system",
            "UDP",
            "A.B",
            "a..b",
            ".",
            "{$VAR}",
            "import x",
            "forward . 8.8.8.8",
        ])
        .prop_map(Value::from),
        Just(json!({})),
        Just(json!([])),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        any::<usize>(),
        prop::sample::select(vec![
            Action::Replace,
            Action::Remove,
            Action::WrapInArray,
            Action::InsertKey,
            Action::Repeat,
        ]),
        scalar(),
    )
        .prop_map(|(node, action, value)| Edit {
            node,
            action,
            value,
        })
}

/// JSON pointers to every node below the root.
fn nodes(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(child.clone());
                nodes(v, child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let child = format!("{path}/{i}");
                out.push(child.clone());
                nodes(v, child, out);
            }
        }
        _ => {}
    }
}

fn apply(root: &mut Value, edit: &Edit) {
    let mut all = Vec::new();
    nodes(root, String::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let path = &all[edit.node % all.len()];
    let (parent, last) = path.rsplit_once('/').expect("pointers start with /");
    match edit.action {
        Action::Replace => *root.pointer_mut(path).unwrap() = edit.value.clone(),
        Action::Remove => match root.pointer_mut(parent).unwrap() {
            Value::Object(map) => {
                map.remove(&last.replace("~1", "/").replace("~0", "~"));
            }
            Value::Array(items) => {
                items.remove(last.parse::<usize>().unwrap());
            }
            _ => {}
        },
        Action::WrapInArray => {
            let node = root.pointer_mut(path).unwrap();
            *node = json!([node.take()]);
        }
        Action::InsertKey => {
            if let Value::Object(map) = root.pointer_mut(path).unwrap() {
                map.insert(format!("k{}", edit.node % 7), edit.value.clone());
            } else if let Value::Array(items) = root.pointer_mut(path).unwrap() {
                items.push(edit.value.clone());
            }
        }
        Action::Repeat => {
            let node = root.pointer_mut(path).unwrap();
            match node {
                Value::Array(items) if !items.is_empty() => {
                    let first = items[0].clone();
                    items.extend(std::iter::repeat_n(first, 50));
                }
                Value::String(s) => *s = s.repeat(50),
                _ => {}
            }
        }
    }
}

#[test]
fn mutated_scenario_objects_always_get_a_well_formed_answer() {
    for policy in policies() {
        let host = RefCell::new(PolicyHost::from_file(&dist_module(&policy)).unwrap());
        let samples = samples(&policy);
        let config = Config {
            cases: CASES_PER_POLICY,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let strategy = (
            0..samples.len(),
            prop::collection::vec(edit(), 1..6),
            any::<bool>(),
        );
        let result = runner.run(&strategy, |(index, edits, old_too)| {
            let sample = &samples[index];
            let mut request = sample.request.clone();
            for field in ["object", "oldObject"] {
                if field == "oldObject" && !old_too {
                    continue;
                }
                if let Some(object) = request.get_mut(field).filter(|o| !o.is_null()) {
                    for edit in &edits {
                        apply(object, edit);
                    }
                }
            }
            let payload =
                serde_json::to_vec(&json!({"request": request, "settings": sample.settings}))
                    .unwrap();
            let mut host = host.borrow_mut();
            host.set_cluster(sample.cluster.clone());
            let response = host
                .validate_payload(&payload)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}", sample.name)))?;
            prop_assert!(
                response.accepted || response.message.as_deref().is_some_and(|m| !m.is_empty()),
                "{}: rejected without a message",
                sample.name
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{policy}: {e}");
        }
    }
}
