//! questions-ui.yml: every policy has one, it names exactly the settings the policy accepts (asked
//! of the built module itself, level by level), and its defaults and options are accepted.

use std::collections::BTreeSet;

use netsec_e2e::{dist_module, root};
use netsec_runner::PolicyHost;
use netsec_runner::bundle;
use netsec_runner::questions::accepted_fields;
use serde_json::{Map, Value, json};

const PROBE: &str = "zzNetsecProbe";

/// The setting names the module accepts inside `prefix` (empty for the top level), read from its
/// own unknown-field message.
fn accepted(host: &mut PolicyHost, policy: &str, prefix: &[&str]) -> BTreeSet<String> {
    let mut settings = json!({ PROBE: true });
    for key in prefix.iter().rev() {
        settings = json!({ *key: settings });
    }
    let message = host
        .validate_settings(&settings)
        .unwrap()
        .expect_err("an unknown setting is refused");
    accepted_fields(&message, PROBE).unwrap_or_else(|| {
        panic!("{policy}: cannot read the accepted settings of {prefix:?} from {message:?}")
    })
}

#[test]
fn questions_name_exactly_the_accepted_settings() {
    let mut levels = 0;
    for policy in bundle::load_all(&root()).unwrap() {
        let name = &policy.name;
        let mut host = PolicyHost::from_file(&dist_module(name)).unwrap();
        let paths = policy.questions.paths();
        // Every level the questions descend into, the top one first.
        let mut prefixes: BTreeSet<Vec<&str>> = BTreeSet::from([vec![]]);
        for path in &paths {
            for i in 1..path.len() {
                prefixes.insert(path[..i].to_vec());
            }
        }
        for prefix in prefixes {
            let asked: BTreeSet<String> = paths
                .iter()
                .filter(|p| p.len() > prefix.len() && p[..prefix.len()] == prefix[..])
                .map(|p| p[prefix.len()].to_string())
                .collect();
            let accepted = accepted(&mut host, name, &prefix);
            assert_eq!(
                asked,
                accepted,
                "{name}: questions-ui.yml at {:?} asks for {:?}, the policy accepts {:?}",
                prefix.join("."),
                asked.difference(&accepted).collect::<Vec<_>>(),
                accepted.difference(&asked).collect::<Vec<_>>(),
            );
            levels += 1;
        }
    }
    assert!(levels >= 6);
}

#[test]
fn defaults_and_options_are_valid_settings() {
    for policy in bundle::load_all(&root()).unwrap() {
        let name = &policy.name;
        let mut host = PolicyHost::from_file(&dist_module(name)).unwrap();
        let defaults = policy.default_settings().unwrap();
        if let Err(message) = host.validate_settings(&defaults).unwrap() {
            panic!("{name}: the questions' defaults are refused: {message}");
        }
        for question in policy.questions.all() {
            for option in &question.options {
                let mut settings = Map::new();
                netsec_runner::questions::set_path(
                    &mut settings,
                    &question.variable,
                    option.clone(),
                )
                .unwrap();
                let settings = Value::Object(settings);
                if let Err(message) = host.validate_settings(&settings).unwrap() {
                    panic!(
                        "{name}: option {option} of {} is refused: {message}",
                        question.variable
                    );
                }
            }
        }
    }
}
