//! A policy's version is written once, in its Cargo.toml; the metadata annotation that kwctl and
//! Artifact Hub read, and the module built from it, must say the same.

use netsec_e2e::{dist_module, policies, root};
use netsec_runner::bundle::{VERSION_ANNOTATION, cargo_version};
use netsec_runner::metadata::Metadata;

#[test]
fn metadata_version_is_the_crate_version() {
    for policy in policies() {
        let dir = root().join("policies").join(&policy);
        let version = cargo_version(&std::fs::read_to_string(dir.join("Cargo.toml")).unwrap())
            .unwrap_or_else(|e| panic!("{policy}: {e:#}"));
        let metadata = Metadata::from_yaml_file(&dir.join("metadata.yml")).unwrap();
        assert_eq!(
            metadata.annotation(VERSION_ANNOTATION),
            Some(version.as_str()),
            "{policy}: metadata.yml's {VERSION_ANNOTATION} differs from Cargo.toml's version"
        );
        let module = std::fs::read(dist_module(&policy)).unwrap();
        let embedded = Metadata::from_wasm(&module).unwrap().unwrap();
        assert_eq!(
            embedded.annotation(VERSION_ANNOTATION),
            Some(version.as_str()),
            "{policy}: dist/ was built from another version"
        );
    }
}
