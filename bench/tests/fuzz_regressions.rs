//! The fuzz findings in `fuzz/regressions/`, replayed natively: each policy's `validate` entry
//! point on its target's inputs, and the Corefile parser on `corefile/`.

use netsec_bench::{native, root};
use netsec_runner::host::GuestResponse;
use netsec_shared::cluster::MemoryCluster;

fn files(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn policy_findings_get_a_well_formed_answer() {
    let cluster = MemoryCluster::new(Vec::new());
    let dirs = std::fs::read_dir(root().join("fuzz/regressions")).unwrap();
    for dir in dirs.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()) {
        let target = dir.file_name().to_string_lossy().into_owned();
        if target == "corefile" {
            continue;
        }
        let entry = native::entry(&target)
            .unwrap_or_else(|| panic!("fuzz/regressions/{target}: no such policy"));
        for (name, payload) in files(&target) {
            let response: GuestResponse = serde_json::from_slice(&entry(&payload, &cluster))
                .unwrap_or_else(|e| panic!("{name}: malformed response: {e}"));
            assert!(
                response.accepted || response.message.is_some_and(|m| !m.is_empty()),
                "{name}: rejected without a message"
            );
        }
    }
}

#[test]
fn corefile_findings_parse_or_fail_with_a_message() {
    for (name, bytes) in files("corefile") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        for result in [
            coredns_config::corefile::parse(text),
            coredns_config::corefile::parse_directives(text),
        ] {
            if let Err(e) = result {
                assert!(!e.message.is_empty(), "{name}: an error without a message");
            }
        }
    }
}
