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
