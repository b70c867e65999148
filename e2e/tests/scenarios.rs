//! Every policy's scenario table against its built, annotated module.

use netsec_e2e::{dist_module, policies, root};
use netsec_runner::PolicyHost;
use netsec_runner::scenario::run_file;

#[test]
fn every_policy_passes_its_scenarios() {
    let mut failures = Vec::new();
    let mut total = 0;
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let file = root().join("policies").join(&policy).join("scenarios.yaml");
        let results = run_file(&mut host, &file).unwrap();
        assert!(!results.is_empty(), "{policy} has no scenarios");
        total += results.len();
        for result in results {
            if let Some(reason) = result.failure {
                failures.push(format!("{policy}: {}: {reason}", result.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_wrong_expectation_fails() {
    // The runner must be able to fail: flip one expectation and check it is caught.
    let dir = tempdir();
    let file = dir.join("flipped.yaml");
    std::fs::write(
        &file,
        "cases:\n  - name: flipped\n    object: {apiVersion: networking.k8s.io/v1, kind: Ingress, \
         metadata: {name: a, namespace: b}, spec: {rules: [{host: a.example.com}]}}\n    \
         expect: {allowed: true}\n  - name: bad message\n    object: {apiVersion: networking.k8s.io/v1, kind: Ingress, \
         metadata: {name: a, namespace: b}, spec: {rules: [{host: a.example.com}]}}\n    \
         expect: {allowed: false, message: 'no such text'}\n",
    )
    .unwrap();
    let mut host = PolicyHost::from_file(&dist_module("ingress-tls")).unwrap();
    let results = run_file(&mut host, &file).unwrap();
    assert!(results.iter().all(|r| r.failure.is_some()), "{results:?}");
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netsec-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
