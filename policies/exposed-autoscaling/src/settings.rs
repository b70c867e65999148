//! Settings of `exposed-autoscaling`.

use netsec_shared::selector::SettingsSelector;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::Deserialize;

/// What to do with an exposed workload that no autoscaler scales.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    Reject,
    /// Accept with a warning: GitOps tools often apply the HorizontalPodAutoscaler after the
    /// Deployment it scales.
    #[default]
    Warn,
}

/// The kinds an autoscaler may always target: those of `apps` with a scale subresource that
/// the issue names. Others (ReplicationController, Argo Rollout) are added by `scalableKinds`.
pub const SCALABLE_KINDS: [&str; 3] = ["Deployment", "StatefulSet", "ReplicaSet"];

/// The API server's bound on `stabilizationWindowSeconds` (validateScalingRules,
/// MaxStabilizationWindowSeconds).
pub const MAX_STABILIZATION_WINDOW: u32 = 3600;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// `maxReplicas` (`maxReplicaCount`) may not exceed this: what a flood can cost.
    pub max_replicas_ceiling: u32,
    /// The least `minReplicas` of an autoscaler whose target is exposed.
    pub min_replicas: u32,
    /// Autoscalers must state `behavior.scaleUp` within the bounds below.
    pub require_scale_up_policy: bool,
    pub max_scale_up_percent: u32,
    pub max_scale_up_pods: u32,
    pub max_scale_up_stabilization_seconds: u32,
    /// Kinds beyond Deployment, StatefulSet and ReplicaSet that autoscalers may target.
    pub scalable_kinds: Vec<String>,
    pub on_missing: OnMissing,
    pub exempt_namespaces: ExemptNamespaces,
    /// Workloads whose pod labels this selector matches are not judged.
    pub exempt_workloads: Option<SettingsSelector>,
    /// Warn when a Service or Ingress newly exposes a workload no autoscaler scales.
    pub judge_exposure_changes: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_replicas_ceiling: 50,
            min_replicas: 2,
            require_scale_up_policy: false,
            max_scale_up_percent: 100,
            max_scale_up_pods: 10,
            max_scale_up_stabilization_seconds: 300,
            scalable_kinds: Vec::new(),
            on_missing: OnMissing::Warn,
            exempt_namespaces: ExemptNamespaces::of(&[
                "kube-system",
                "kube-public",
                "kube-node-lease",
            ]),
            exempt_workloads: None,
            judge_exposure_changes: true,
        }
    }
}

impl Settings {
    pub fn is_scalable(&self, kind: &str) -> bool {
        SCALABLE_KINDS.contains(&kind) || self.scalable_kinds.iter().any(|k| k == kind)
    }

    /// `Deployment, StatefulSet, ReplicaSet` and the listed kinds, for messages.
    pub fn scalable_list(&self) -> String {
        // Written out: a `join` of `&str`s would be one more copy of it in the module.
        let mut text = String::new();
        let listed = self.scalable_kinds.iter().map(String::as_str);
        for kind in SCALABLE_KINDS.iter().copied().chain(listed) {
            if !text.is_empty() {
                text.push_str(", ");
            }
            text.push_str(kind);
        }
        text
    }
}

/// A kind as the API names it: `IsValidPathSegmentName` plus the CamelCase of kinds.
fn check_kind(kind: &str) -> Result<(), String> {
    let starts_upper = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    if !starts_upper || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "{kind:?} is not a kind name (letters and digits, starting with an upper-case letter, \
             as in Rollout)"
        ));
    }
    Ok(())
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        if self.max_replicas_ceiling == 0 {
            errors.add("maxReplicasCeiling", "must be at least 1");
        }
        if self.min_replicas == 0 {
            errors.add(
                "minReplicas",
                "must be at least 1; an exposed workload scaled to zero has no pod to take the first requests",
            );
        } else if self.min_replicas > self.max_replicas_ceiling {
            errors.add(
                "minReplicas",
                format!(
                    "{} is above maxReplicasCeiling {}, so no autoscaler could satisfy both",
                    self.min_replicas, self.max_replicas_ceiling
                ),
            );
        }
        if self.max_scale_up_percent == 0 {
            errors.add("maxScaleUpPercent", "must be at least 1");
        }
        if self.max_scale_up_pods == 0 {
            errors.add("maxScaleUpPods", "must be at least 1");
        }
        if self.max_scale_up_stabilization_seconds > MAX_STABILIZATION_WINDOW {
            errors.add(
                "maxScaleUpStabilizationSeconds",
                format!(
                    "{} is above {MAX_STABILIZATION_WINDOW}, the most the API server allows",
                    self.max_scale_up_stabilization_seconds
                ),
            );
        }
        for (i, kind) in self.scalable_kinds.iter().enumerate() {
            if let Err(why) = check_kind(kind) {
                errors.add(format!("scalableKinds[{i}]"), why);
            } else if self.is_scalable_builtin(kind) || self.scalable_kinds[..i].contains(kind) {
                errors.add(
                    format!("scalableKinds[{i}]"),
                    format!("{kind} is listed twice"),
                );
            }
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
        if let Some(selector) = &self.exempt_workloads {
            selector.validate("exemptWorkloads", errors);
        }
    }
}

impl Settings {
    fn is_scalable_builtin(&self, kind: &str) -> bool {
        SCALABLE_KINDS.contains(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;

    #[test]
    fn defaults() {
        let s: Settings = parse_settings(b"{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!((s.max_replicas_ceiling, s.min_replicas), (50, 2));
        assert_eq!(s.on_missing, OnMissing::Warn);
        assert!(s.judge_exposure_changes && !s.require_scale_up_policy);
        assert!(s.exempt_namespaces.contains("kube-system"));
        assert!(s.is_scalable("ReplicaSet") && !s.is_scalable("DaemonSet"));
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"maxReplicasCeiling": 200, "minReplicas": 3}"#, None),
            (
                r#"{"onMissing": "reject", "judgeExposureChanges": false}"#,
                None,
            ),
            (
                r#"{"scalableKinds": ["Rollout", "ReplicationController"]}"#,
                None,
            ),
            (
                r#"{"requireScaleUpPolicy": true, "maxScaleUpPercent": 50, "maxScaleUpPods": 4, "maxScaleUpStabilizationSeconds": 0}"#,
                None,
            ),
            (
                r#"{"exemptWorkloads": {"matchLabels": {"autoscaling": "manual"}}}"#,
                None,
            ),
            (
                r#"{"maxReplicasCeiling": 0}"#,
                Some("maxReplicasCeiling: must be at least 1"),
            ),
            (
                r#"{"maxReplicasCeiling": -1}"#,
                Some("maxReplicasCeiling: invalid value"),
            ),
            (
                r#"{"maxReplicasCeiling": "50"}"#,
                Some("maxReplicasCeiling: invalid type: string"),
            ),
            (
                r#"{"minReplicas": 0}"#,
                Some("minReplicas: must be at least 1"),
            ),
            (
                r#"{"minReplicas": 60}"#,
                Some("minReplicas: 60 is above maxReplicasCeiling 50"),
            ),
            (
                r#"{"maxScaleUpPercent": 0}"#,
                Some("maxScaleUpPercent: must be at least 1"),
            ),
            (
                r#"{"maxScaleUpPods": 0}"#,
                Some("maxScaleUpPods: must be at least 1"),
            ),
            (
                r#"{"maxScaleUpStabilizationSeconds": 4000}"#,
                Some("maxScaleUpStabilizationSeconds: 4000 is above 3600"),
            ),
            (
                r#"{"scalableKinds": ["rollout"]}"#,
                Some("scalableKinds[0]: \"rollout\" is not a kind name"),
            ),
            (
                r#"{"scalableKinds": ["Deployment"]}"#,
                Some("scalableKinds[0]: Deployment is listed twice"),
            ),
            (
                r#"{"scalableKinds": ["Rollout", "Rollout"]}"#,
                Some("scalableKinds[1]: Rollout is listed twice"),
            ),
            (
                r#"{"onMissing": "ignore"}"#,
                Some("onMissing: unknown variant `ignore`, expected `reject` or `warn`"),
            ),
            (
                r#"{"maxReplicaCeiling": 10}"#,
                Some("unknown field `maxReplicaCeiling`"),
            ),
            (
                r#"{"exemptNamespaces": ["Kube-System"]}"#,
                Some("exemptNamespaces[0]: \"Kube-System\" is not a namespace name"),
            ),
            (
                r#"{"exemptWorkloads": {}}"#,
                Some("exemptWorkloads: an empty selector ({}) matches everything"),
            ),
        ];
        netsec_shared::testing::assert_settings_table::<Settings>(cases);
    }
}
