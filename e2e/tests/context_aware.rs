//! Context-aware policies against a host that refuses their Kubernetes reads: the runner, like
//! policy-server, answers only for the resources the module's metadata declares in
//! `contextAwareResources`, and a policy must then fail closed.

use netsec_e2e::{dist_module, root};
use netsec_runner::PolicyHost;
use netsec_runner::annotate::annotate;
use netsec_runner::metadata::Metadata;
use netsec_runner::scenario::run_file;

const POLICY: &str = "network-policy-presence";

#[test]
fn undeclared_network_policy_reads_are_refused_and_the_policy_rejects() {
    let dir = root().join("policies").join(POLICY);
    let cases = dir.join("test_data/undeclared-resource.yaml");
    let module = std::fs::read(dist_module(POLICY)).unwrap();

    let mut metadata = Metadata::from_yaml_file(&dir.join("metadata.yml")).unwrap();
    assert!(
        !metadata.context_aware_resources.is_empty(),
        "the shipped metadata declares NetworkPolicy"
    );
    metadata.context_aware_resources.clear();
    let stripped = annotate(&module, metadata, None).unwrap();
    let mut refused = PolicyHost::load(&stripped).unwrap();
    let results = run_file(&mut refused, &cases).unwrap();
    assert_eq!(results.len(), 3);
    for result in &results {
        assert!(
            result.failure.is_none(),
            "{}: {:?}",
            result.name,
            result.failure
        );
    }

    // The same cases against the module as shipped: the read is granted, the covered workload
    // is accepted, so the first two expectations fail. The rejections above come from the
    // refusal, not from the policy's own judgement.
    let mut granted = PolicyHost::from_file(&dist_module(POLICY)).unwrap();
    let results = run_file(&mut granted, &cases).unwrap();
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.failure.is_some())
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "a refused NetworkPolicy read rejects a workload the cluster's policies cover",
            "a refused read rejects in warn mode too"
        ]
    );
}
