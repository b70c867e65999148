//! README examples are scenario cases: each YAML block after `<!-- scenario: NAME -->` must be
//! the object of the case NAME in that policy's scenarios.yaml (which `scenarios.rs` runs).

use netsec_e2e::{policies, root};
use serde_json::Value;

#[test]
fn readme_examples_are_tested_scenarios() {
    let mut checked = 0;
    for policy in policies() {
        let dir = root().join("policies").join(&policy);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let scenarios: Value =
            serde_yaml::from_str(&std::fs::read_to_string(dir.join("scenarios.yaml")).unwrap())
                .unwrap();
        let cases = scenarios["cases"].as_array().unwrap();
        let mut rest = readme.as_str();
        while let Some(at) = rest.find("<!-- scenario: ") {
            rest = &rest[at + "<!-- scenario: ".len()..];
            let name = &rest[..rest.find(" -->").unwrap()];
            let block = rest
                .split("```yaml\n")
                .nth(1)
                .unwrap()
                .split("```")
                .next()
                .unwrap();
            let example: Value = serde_yaml::from_str(block).unwrap();
            let case = cases
                .iter()
                .find(|c| c["name"] == name)
                .unwrap_or_else(|| panic!("{policy}: README names a missing scenario {name:?}"));
            assert_eq!(
                case["object"], example,
                "{policy}: README example {name:?} differs from the scenario"
            );
            checked += 1;
        }
        assert!(
            readme.contains("<!-- scenario: "),
            "{policy}: README has no tested example"
        );
    }
    assert!(checked > 0);
}
