//! The fuzz targets cover every policy, and what they once found stays fixed in the modules.

use std::path::PathBuf;

use netsec_e2e::{dist_module, policies, root};
use netsec_runner::PolicyHost;
use serde_json::json;

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_policy_has_a_fuzz_target() {
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    for policy in policies() {
        let file = root().join(format!("fuzz/fuzz_targets/{policy}.rs"));
        assert!(file.exists(), "{policy}: add {}", file.display());
        assert!(
            manifest.contains(&format!("name = \"{policy}\"")),
            "{policy}: add its [[bin]] to fuzz/Cargo.toml"
        );
    }
}

#[test]
fn fuzz_findings_get_a_well_formed_answer_from_the_modules() {
    let mut replayed = 0;
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let mut cases = regressions(&policy);
        if policy == "coredns-config" {
            for (path, bytes) in regressions("corefile") {
                let Ok(text) = String::from_utf8(bytes) else {
                    continue;
                };
                let object = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "coredns", "namespace": "kube-system"},
                    "data": {"Corefile": text}});
                let request = json!({"uid": "fuzz", "operation": "CREATE",
                    "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
                    "name": "coredns", "namespace": "kube-system", "object": object});
                let payload = serde_json::to_vec(&json!({"request": request, "settings": {}}));
                cases.push((path, payload.unwrap()));
            }
        }
        for (path, payload) in cases {
            let response = host
                .validate_payload(&payload)
                .unwrap_or_else(|e| panic!("{policy}: {}: {e}", path.display()));
            assert!(
                response.accepted || response.message.is_some_and(|m| !m.is_empty()),
                "{policy}: {}: rejected without a message",
                path.display()
            );
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} fuzz regressions");
}
