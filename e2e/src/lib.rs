//! Helpers for the end-to-end tests in `tests/`: where the built bundle and the policies are.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ sits in the workspace root")
        .to_path_buf()
}

/// Every policy directory name under `policies/`.
pub fn policies() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("policies"))
        .expect("policies/ exists")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry
                .path()
                .join("Cargo.toml")
                .exists()
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// `dist/<policy>.wasm`, which `make dist` builds before the tests run.
pub fn dist_module(policy: &str) -> PathBuf {
    let path = root().join("dist").join(format!("{policy}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run `make dist` (or `make test`) first",
        path.display()
    );
    path
}

/// The `netsec` binary built by `make`.
pub fn netsec() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let path = target.join("debug/netsec");
    assert!(
        path.exists(),
        "{} is missing: run `make netsec` first",
        path.display()
    );
    path
}

/// One scenario case of a policy, as the module receives it.
pub struct Sample {
    pub name: String,
    /// The AdmissionRequest (the inner request, not the review).
    pub request: serde_json::Value,
    pub settings: serde_json::Value,
    pub cluster: netsec_runner::cluster::Cluster,
}

impl Sample {
    /// The `validate` payload: `{"request": ..., "settings": ...}`.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"request": self.request, "settings": self.settings}))
            .expect("JSON values serialise")
    }
}

/// Every case of a policy's `scenarios.yaml` that sends a request (settings-only cases are left
/// out), with its settings and cluster.
pub fn samples(policy: &str) -> Vec<Sample> {
    use netsec_runner::scenario::{ScenarioFile, case_cluster, case_request};
    let file = root().join("policies").join(policy).join("scenarios.yaml");
    let dir = file.parent().expect("a scenario file sits in a directory");
    let scenarios = ScenarioFile::load(&file).expect("the scenario file loads");
    scenarios
        .cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let request = case_request(case, dir, i).ok()?;
            Some(Sample {
                name: case.name.clone(),
                request,
                settings: case
                    .settings
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({})),
                cluster: case_cluster(case, dir).ok()?,
            })
        })
        .collect()
}
