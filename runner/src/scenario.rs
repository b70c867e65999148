//! Scenario files: a policy's behaviour table (ARCHITECTURE.md section 4), run against its wasm.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use crate::admission::{AdmissionResponse, RequestSpec, build_request, read_request_file};
use crate::cluster::Cluster;
use crate::host::PolicyHost;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub policy: Option<String>,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub settings: Option<Value>,
    #[serde(default)]
    pub object: Option<Value>,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub old_object: Option<Value>,
    #[serde(default)]
    pub request: Option<PathBuf>,
    #[serde(default)]
    pub user_info: Option<Value>,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub cluster: Option<ClusterSpec>,
    pub expect: Expect,
}

/// The cluster of a case: objects inline, or a file of them beside the scenario file.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ClusterSpec {
    Objects(Vec<Value>),
    File(PathBuf),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    #[serde(default)]
    pub allowed: Option<bool>,
    #[serde(default)]
    pub message: Option<OneOrMany>,
    /// Substrings that must each appear in some warning; an empty list asserts no warnings.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    /// A subset of the mutated object, or `false` for "no mutation".
    #[serde(default)]
    pub mutated: Option<Value>,
    #[serde(default)]
    pub settings_valid: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

impl ScenarioFile {
    pub fn load(path: &Path) -> Result<ScenarioFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not a valid scenario file", path.display()))
    }
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseResult {
    pub name: String,
    pub failure: Option<String>,
}

/// Totals over scenario files.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
}

/// Runs every case of a scenario file against the policy host.
pub fn run_file(host: &mut PolicyHost, path: &Path) -> Result<Vec<CaseResult>> {
    run_file_with_defaults(host, path, &Value::Object(Default::default()))
}

/// Runs every case, giving `defaults` as the settings of the cases that give none (or `{}`):
/// settings that claim to be the policy's defaults must pass the same cases as `{}`.
pub fn run_file_with_defaults(
    host: &mut PolicyHost,
    path: &Path,
    defaults: &Value,
) -> Result<Vec<CaseResult>> {
    let file = ScenarioFile::load(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(file
        .cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let settings = if case.uses_default_settings() {
                defaults.clone()
            } else {
                case.settings.clone().unwrap_or_default()
            };
            CaseResult {
                name: case.name.clone(),
                failure: run_case(host, case, &settings, dir, i)
                    .err()
                    .map(|e| format!("{e:#}")),
            }
        })
        .collect())
}

impl Case {
    /// No settings, `null` or `{}`: the policy's defaults.
    pub fn uses_default_settings(&self) -> bool {
        match &self.settings {
            None | Some(Value::Null) => true,
            Some(Value::Object(map)) => map.is_empty(),
            Some(_) => false,
        }
    }

    /// The cluster the case's policy reads (empty when the case gives none).
    pub fn cluster(&self, dir: &Path) -> Result<Cluster> {
        Ok(match &self.cluster {
            None => Cluster::default(),
            Some(ClusterSpec::Objects(objects)) => Cluster::new(objects.clone())?,
            Some(ClusterSpec::File(file)) => Cluster::from_file(&dir.join(file))?,
        })
    }

    /// The AdmissionRequest the case sends (`dir` holds the scenario file).
    pub fn request(&self, dir: &Path, index: usize) -> Result<Value> {
        match &self.request {
            Some(file) => {
                if self.object.is_some() || self.old_object.is_some() || self.operation.is_some() {
                    bail!("give either request or object/oldObject/operation, not both");
                }
                read_request_file(&dir.join(file))
            }
            None => build_request(&RequestSpec {
                object: self.object.clone(),
                old_object: self.old_object.clone(),
                operation: self.operation.clone().unwrap_or_else(|| "CREATE".into()),
                user_info: self.user_info.clone(),
                resource: self.resource.clone(),
                uid: format!("netsec-case-{index}"),
            }),
        }
    }
}

/// Runs files and prints one line per case; returns the tally.
pub fn check(
    host: &mut PolicyHost,
    files: &[PathBuf],
    out: &mut impl std::io::Write,
) -> Result<Tally> {
    let mut tally = Tally::default();
    for file in files {
        for result in run_file(host, file)? {
            match result.failure {
                None => {
                    tally.passed += 1;
                    writeln!(out, "ok   {}: {}", file.display(), result.name)?;
                }
                Some(reason) => {
                    tally.failed += 1;
                    writeln!(out, "FAIL {}: {}: {reason}", file.display(), result.name)?;
                }
            }
        }
    }
    writeln!(out, "{} passed, {} failed", tally.passed, tally.failed)?;
    Ok(tally)
}

fn run_case(
    host: &mut PolicyHost,
    case: &Case,
    settings: &Value,
    dir: &Path,
    index: usize,
) -> Result<()> {
    let settings = match settings {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    let expect = &case.expect;
    let settings_result = host.validate_settings(&settings)?;
    match (expect.settings_valid, settings_result) {
        (Some(false), Ok(())) => bail!("the settings were accepted, expected them to be invalid"),
        (Some(false), Err(message)) => {
            return expect_substrings("settings message", &message, expect.message.as_ref());
        }
        (_, Err(message)) => bail!("the settings were rejected: {message}"),
        (_, Ok(())) => {}
    }
    let Some(allowed) = expect.allowed else {
        if expect.settings_valid == Some(true) {
            return Ok(());
        }
        bail!("the case has no expect.allowed");
    };

    let request = case.request(dir, index)?;
    let cluster = case.cluster(dir)?;
    host.set_cluster(cluster);
    let outcome = host.validate(&request, &settings);
    host.set_cluster(Cluster::default());
    let response = AdmissionResponse::from_guest(&request, outcome);
    let message = response.message().unwrap_or_default().to_string();

    if response.allowed != allowed {
        bail!(
            "expected allowed={allowed}, got allowed={} with message {message:?}",
            response.allowed
        );
    }
    expect_substrings("message", &message, expect.message.as_ref())?;
    if let Some(wanted) = &expect.warnings {
        let warnings = response.warnings.clone().unwrap_or_default();
        if wanted.is_empty() && !warnings.is_empty() {
            bail!("expected no warnings, got {warnings:?}");
        }
        for want in wanted {
            if !warnings.iter().any(|w| w.contains(want.as_str())) {
                bail!("no warning contains {want:?}; warnings: {warnings:?}");
            }
        }
    }
    match &expect.mutated {
        None => {}
        Some(Value::Bool(false)) if response.patch.is_some() => {
            bail!(
                "expected no mutation, got patch {:?}",
                response.decoded_patch()
            );
        }
        Some(Value::Bool(false)) => {}
        Some(subset) => {
            let patch = response
                .decoded_patch()
                .context("expected a mutation, the response has no patch")?;
            let mut mutated = request["object"].clone();
            json_patch::patch(&mut mutated, &patch)
                .context("the patch does not apply to the request's object")?;
            if let Some(diff) = missing_from(subset, &mutated, "") {
                bail!("the mutated object differs: {diff}");
            }
        }
    }
    Ok(())
}

fn expect_substrings(what: &str, text: &str, wanted: Option<&OneOrMany>) -> Result<()> {
    for want in wanted.map(OneOrMany::items).unwrap_or_default() {
        if !text.contains(want) {
            bail!("the {what} does not contain {want:?}: {text:?}");
        }
    }
    Ok(())
}

/// Where `actual` does not contain `subset` (maps by key, arrays element by element).
pub fn missing_from(subset: &Value, actual: &Value, path: &str) -> Option<String> {
    match (subset, actual) {
        (Value::Object(want), Value::Object(got)) => want.iter().find_map(|(k, v)| {
            let here = format!("{path}.{k}");
            match got.get(k) {
                Some(g) => missing_from(v, g, &here),
                None => Some(format!("{here} is missing")),
            }
        }),
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                return Some(format!(
                    "{path} has {} items, expected {}",
                    got.len(),
                    want.len()
                ));
            }
            want.iter()
                .zip(got)
                .enumerate()
                .find_map(|(i, (w, g))| missing_from(w, g, &format!("{path}[{i}]")))
        }
        (w, g) if w == g => None,
        (w, g) => Some(format!("{path} is {g}, expected {w}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subsets() {
        let actual =
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "list": [1, {"x": 1, "y": 2}]});
        assert_eq!(
            missing_from(&json!({"metadata": {"labels": {"a": "1"}}}), &actual, ""),
            None
        );
        assert_eq!(
            missing_from(&json!({"list": [1, {"y": 2}]}), &actual, ""),
            None
        );
        assert!(
            missing_from(&json!({"metadata": {"labels": {"c": "1"}}}), &actual, "")
                .unwrap()
                .contains(".metadata.labels.c")
        );
        assert!(missing_from(&json!({"list": [1]}), &actual, "").is_some());
        assert!(missing_from(&json!({"metadata": {"labels": {"a": "2"}}}), &actual, "").is_some());
    }

    #[test]
    fn scenario_file_rejects_unknown_keys() {
        let yaml = "cases:\n  - name: x\n    expect: {allowed: true, allowd: false}\n";
        assert!(serde_yaml::from_str::<ScenarioFile>(yaml).is_err());
        let yaml = "cases:\n  - name: x\n    cluster: fixtures.yaml\n    expect: {allowed: true, message: one}\n";
        let f: ScenarioFile = serde_yaml::from_str(yaml).unwrap();
        assert!(matches!(f.cases[0].cluster, Some(ClusterSpec::File(_))));
    }
}
