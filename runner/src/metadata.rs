//! Kubewarden policy metadata: the `metadata.yml` a policy ships and the JSON that `kwctl annotate`
//! embeds in the custom section `io.kubewarden.metadata`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// Name of the wasm custom section holding the metadata (policy-evaluator's constant).
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";
/// Annotation that carries the README.
pub const USAGE_ANNOTATION: &str = "io.kubewarden.policy.usage";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    pub mutating: bool,
    #[serde(default = "yes")]
    pub background_audit: bool,
    #[serde(default = "wapc_mode")]
    pub execution_mode: String,
    #[serde(default = "kubernetes_type")]
    pub policy_type: String,
    #[serde(default)]
    pub context_aware_resources: BTreeSet<ContextAwareResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_capabilities: Option<BTreeSet<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
}

fn yes() -> bool {
    true
}
fn wapc_mode() -> String {
    "kubewarden-wapc".into()
}
fn kubernetes_type() -> String {
    "kubernetes".into()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub resources: Vec<String>,
    pub operations: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextAwareResource {
    pub api_version: String,
    pub kind: String,
}

impl Metadata {
    pub fn from_yaml_file(path: &Path) -> Result<Metadata> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let metadata: Metadata = serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not valid policy metadata", path.display()))?;
        metadata
            .validate()
            .with_context(|| format!("{} is not valid policy metadata", path.display()))?;
        Ok(metadata)
    }

    /// The checks policy-evaluator makes before it accepts metadata.
    pub fn validate(&self) -> Result<()> {
        const MODES: [&str; 4] = ["kubewarden-wapc", "opa", "gatekeeper", "wasi"];
        const OPERATIONS: [&str; 5] = ["CREATE", "UPDATE", "DELETE", "CONNECT", "*"];
        if !MODES.contains(&self.execution_mode.as_str()) {
            bail!(
                "executionMode {:?} is not one of {MODES:?}",
                self.execution_mode
            );
        }
        if !["kubernetes", "raw"].contains(&self.policy_type.as_str()) {
            bail!("policyType {:?} is not kubernetes or raw", self.policy_type);
        }
        if self.policy_type == "kubernetes" && self.rules.is_empty() {
            bail!("rules: a kubernetes policy needs at least one rule");
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (field, values) in [
                ("apiGroups", &rule.api_groups),
                ("apiVersions", &rule.api_versions),
                ("resources", &rule.resources),
                ("operations", &rule.operations),
            ] {
                if values.is_empty() {
                    bail!("rules[{i}].{field} must not be empty");
                }
                if values.len() > 1 && values.iter().any(|v| v == "*") {
                    bail!("rules[{i}].{field}: \"*\" must be the only value");
                }
            }
            if let Some(op) = rule
                .operations
                .iter()
                .find(|op| !OPERATIONS.contains(&op.as_str()))
            {
                bail!("rules[{i}].operations: {op:?} is not one of {OPERATIONS:?}");
            }
        }
        if let Some(version) = self.annotation("io.kubewarden.policy.version") {
            check_semver(version)
                .with_context(|| "annotation io.kubewarden.policy.version".to_string())?;
        }
        Ok(())
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// Does the metadata let the policy read these resources through host calls?
    pub fn allows_resource(&self, api_version: &str, kind: &str) -> bool {
        self.context_aware_resources
            .iter()
            .any(|r| r.api_version == api_version && r.kind == kind)
    }

    /// The metadata embedded in a wasm module, if any.
    pub fn from_wasm(module: &[u8]) -> Result<Option<Metadata>> {
        for payload in wasmparser::Parser::new(0).parse_all(module) {
            if let wasmparser::Payload::CustomSection(section) =
                payload.context("the file is not a valid WebAssembly module")?
                && section.name() == METADATA_SECTION
            {
                let metadata = serde_json::from_slice(section.data())
                    .context("the embedded policy metadata is not valid JSON metadata")?;
                return Ok(Some(metadata));
            }
        }
        Ok(None)
    }
}

fn check_semver(version: &str) -> Result<()> {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        bail!("{version:?} is not a semantic version (MAJOR.MINOR.PATCH)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Metadata> {
        let m: Metadata = serde_yaml::from_str(yaml)?;
        m.validate()?;
        Ok(m)
    }

    #[test]
    fn metadata_table() {
        let ok = "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\n";
        let m = parse(ok).unwrap();
        assert!(m.background_audit);
        assert_eq!(m.execution_mode, "kubewarden-wapc");
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["contextAwareResources"], serde_json::json!([]));
        assert!(json.get("protocolVersion").is_none());

        let bad = [
            ("rules: []\n", "mutating"),
            ("rules: []\nmutating: false\n", "at least one rule"),
            (
                "rules: [{apiGroups: [], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\n",
                "apiGroups must not be empty",
            ),
            (
                "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE, '*']}]\nmutating: false\n",
                "must be the only value",
            ),
            (
                "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [PATCH]}]\nmutating: false\n",
                "PATCH",
            ),
            (
                "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\nannotations: {io.kubewarden.policy.version: '1.0'}\n",
                "io.kubewarden.policy.version",
            ),
            (
                "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\nexecutionMode: nope\n",
                "executionMode",
            ),
        ];
        for (yaml, want) in bad {
            let err = format!("{:#}", parse(yaml).unwrap_err());
            assert!(err.contains(want), "{yaml}: {err}");
        }
    }

    #[test]
    fn semver() {
        for v in ["0.1.0", "1.2.3-rc.1", "10.0.0+build"] {
            check_semver(v).unwrap();
        }
        for v in ["1.0", "v1.0.0", "1.0.x", ""] {
            assert!(check_semver(v).is_err(), "{v}");
        }
    }
}
