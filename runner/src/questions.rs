//! `questions-ui.yml`: the settings form Rancher's Kubewarden UI (and Artifact Hub) shows for a
//! policy. Each question names a setting by its path (`bounds.rps.max`); its `default` is the
//! value the policy uses when the setting is left out.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Clone, Debug, Deserialize)]
pub struct QuestionsFile {
    pub questions: Vec<Question>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Question {
    pub variable: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub options: Vec<Value>,
    #[serde(default)]
    pub subquestions: Vec<Question>,
}

impl QuestionsFile {
    pub fn parse(text: &str) -> Result<QuestionsFile> {
        let file: QuestionsFile =
            serde_yaml::from_str(text).context("not a questions-ui file (questions: [...])")?;
        let mut seen = BTreeSet::new();
        for question in file.all() {
            let variable = &question.variable;
            if variable.is_empty() || variable.split('.').any(str::is_empty) {
                bail!("variable {variable:?} is not a setting path such as `a` or `a.b`");
            }
            if !seen.insert(variable.as_str()) {
                bail!("variable {variable:?} is asked twice");
            }
            if question
                .label
                .as_deref()
                .unwrap_or_default()
                .trim()
                .is_empty()
            {
                bail!("variable {variable:?} has no label");
            }
            if question.kind == "enum" && question.options.is_empty() {
                bail!("variable {variable:?} is an enum without options");
            }
        }
        Ok(file)
    }

    /// Every question, subquestions included.
    pub fn all(&self) -> Vec<&Question> {
        fn walk<'a>(questions: &'a [Question], out: &mut Vec<&'a Question>) {
            for q in questions {
                out.push(q);
                walk(&q.subquestions, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.questions, &mut out);
        out
    }

    /// The settings object that sets every question to its default; settings without a
    /// default (the policy's default is "unset") are left out.
    pub fn default_settings(&self) -> Result<Value> {
        let mut root = Map::new();
        for question in self.all() {
            if let Some(value) = &question.default {
                set_path(&mut root, &question.variable, value.clone())?;
            }
        }
        Ok(Value::Object(root))
    }

    /// The paths of the questions' variables, split at dots.
    pub fn paths(&self) -> Vec<Vec<&str>> {
        self.all()
            .iter()
            .map(|q| q.variable.split('.').collect())
            .collect()
    }
}

/// Sets `a.b.c` in a nested object.
pub fn set_path(root: &mut Map<String, Value>, path: &str, value: Value) -> Result<()> {
    let (parents, leaf) = match path.rsplit_once('.') {
        Some((parents, leaf)) => (parents.split('.').collect::<Vec<_>>(), leaf),
        None => (Vec::new(), path),
    };
    let mut node = root;
    for (i, key) in parents.iter().enumerate() {
        let child = node
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        node = match child {
            Value::Object(map) => map,
            _ => bail!(
                "{path}: {} already has a value that is not an object",
                parents[..=i].join(".")
            ),
        };
    }
    if node.contains_key(leaf) {
        bail!("{path} is given a default twice");
    }
    node.insert(leaf.to_string(), value);
    Ok(())
}

/// The setting names a policy accepts at one level, read from its own settings error for an
/// unknown field (serde's "unknown field `x`, expected one of `a`, `b`").
pub fn accepted_fields(message: &str, probe: &str) -> Option<BTreeSet<String>> {
    let rest = message.split(&format!("unknown field `{probe}`")).nth(1)?;
    if rest.starts_with(", there are no fields") {
        return Some(BTreeSet::new());
    }
    let expected = rest.strip_prefix(", expected ")?;
    let expected = expected.split(';').next().unwrap_or_default();
    Some(
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_nest_by_path() {
        let file = QuestionsFile::parse(
            "questions:\n\
             - {variable: mutate, type: boolean, label: Mutate, default: false}\n\
             - {variable: bounds.rps.max, type: int, label: Max, default: 1000}\n\
             - {variable: bounds.rps.min, type: int, label: Min, default: 1}\n\
             - {variable: selector, type: 'map[', label: Selector}\n\
             - variable: mode\n  type: enum\n  label: Mode\n  options: [a, b]\n  default: a\n  \
               subquestions:\n  - {variable: modeDetail, type: string, label: Detail, default: x}\n",
        )
        .unwrap();
        assert_eq!(
            file.default_settings().unwrap(),
            json!({"mutate": false, "bounds": {"rps": {"max": 1000, "min": 1}}, "mode": "a", "modeDetail": "x"})
        );
        assert_eq!(file.paths()[1], ["bounds", "rps", "max"]);
    }

    #[test]
    fn bad_files() {
        for (yaml, want) in [
            (
                "questions: [{variable: a, type: int, label: A}, {variable: a, type: int, label: B}]",
                "asked twice",
            ),
            (
                "questions: [{variable: a., type: int, label: A}]",
                "not a setting path",
            ),
            ("questions: [{variable: a, type: int}]", "no label"),
            (
                "questions: [{variable: a, type: enum, label: A}]",
                "without options",
            ),
            ("questions: [{variable: a, label: A}]", "not a questions-ui"),
            ("settings: []", "not a questions-ui"),
        ] {
            let err = format!("{:#}", QuestionsFile::parse(yaml).unwrap_err());
            assert!(err.contains(want), "{yaml}: {err}");
        }
        let file = QuestionsFile::parse(
            "questions: [{variable: a, type: int, label: A, default: 1}, {variable: a.b, type: int, label: B, default: 2}]",
        )
        .unwrap();
        let err = file.default_settings().unwrap_err().to_string();
        assert!(err.contains("a already has a value"), "{err}");
    }

    #[test]
    fn accepted_fields_from_serde_messages() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            accepted_fields("unknown field `zz`, expected one of `a`, `bC`, `d`", "zz"),
            Some(set(&["a", "bC", "d"]))
        );
        assert_eq!(
            accepted_fields(
                "minPrefixLength: unknown field `zz`, expected `ipv4` or `ipv6`",
                "zz"
            ),
            Some(set(&["ipv4", "ipv6"]))
        );
        assert_eq!(
            accepted_fields("unknown field `zz`, expected `only`; other: bad", "zz"),
            Some(set(&["only"]))
        );
        assert_eq!(
            accepted_fields("unknown field `zz`, there are no fields", "zz"),
            Some(set(&[]))
        );
        assert_eq!(accepted_fields("zz: invalid type", "zz"), None);
    }
}
