//! Lean views of the two autoscalers (`autoscaling/v2` HorizontalPodAutoscaler and KEDA's
//! `keda.sh/v1alpha1` ScaledObject) and the rules that need nothing but the object.
//!
//! Both are read as an [`Object`] (their specs differ in a few field names only) through
//! [`Scaler`],
//! which gives each rule the value the controller acts on, defaults applied.

use netsec_shared::Findings;
use netsec_shared::cluster::Resource;

use crate::object::Object;
use crate::settings::Settings;

pub const HPA: Resource = Resource {
    api_version: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
};

pub const SCALED_OBJECT: Resource = Resource {
    api_version: "keda.sh/v1alpha1",
    kind: "ScaledObject",
};

/// What the policy reads of the autoscalers it lists: which workload each scales.
pub const SCALER_FIELDS: &[&str] = &["metadata.name", "spec.scaleTargetRef"];

/// Which of the two an [`Object`] is; the field names of messages follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    Hpa,
    Keda,
}

impl Flavour {
    pub fn kind(self) -> &'static str {
        match self {
            Flavour::Hpa => "HorizontalPodAutoscaler",
            Flavour::Keda => "ScaledObject",
        }
    }

    fn min_path(self) -> &'static str {
        match self {
            Flavour::Hpa => "spec.minReplicas",
            Flavour::Keda => "spec.minReplicaCount",
        }
    }

    fn max_path(self) -> &'static str {
        match self {
            Flavour::Hpa => "spec.maxReplicas",
            Flavour::Keda => "spec.maxReplicaCount",
        }
    }

    fn behavior_path(self) -> &'static str {
        match self {
            Flavour::Hpa => "spec.behavior",
            Flavour::Keda => "spec.advanced.horizontalPodAutoscalerConfig.behavior",
        }
    }
}

/// An autoscaler as its controller reads it, defaults applied.
pub struct Scaler<'s, 'a> {
    pub flavour: Flavour,
    object: &'s Object<'a>,
}

impl<'a> Object<'a> {
    /// This autoscaler as its controller reads it.
    pub fn scaler(&self, flavour: Flavour) -> Scaler<'_, 'a> {
        Scaler {
            flavour,
            object: self,
        }
    }
}

/// KEDA's `GetHPAMaxReplicas` default, when `maxReplicaCount` is absent.
pub const KEDA_DEFAULT_MAX: i64 = 100;

impl<'a> Scaler<'_, 'a> {
    pub fn name(&self) -> String {
        self.object.name()
    }

    /// `HorizontalPodAutoscaler "web"`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.flavour.kind(), self.name())
    }

    /// The kind of the target: KEDA defaults an empty one to Deployment (with apiVersion
    /// apps/v1); an HPA must name one (ValidateCrossVersionObjectReference).
    pub fn target_kind(&self) -> Option<&str> {
        let named = self
            .object
            .spec()
            .scale_target_ref
            .as_deref()
            .and_then(|t| t.kind.as_deref())
            .filter(|k| !k.is_empty());
        match (named, self.flavour) {
            (None, Flavour::Keda) => Some("Deployment"),
            (kind, _) => kind,
        }
    }

    pub fn target_name(&self) -> &str {
        self.object
            .spec()
            .scale_target_ref
            .as_deref()
            .and_then(|t| t.name.as_deref())
            .unwrap_or("")
    }

    /// Whether it scales the workload `kind`/`name`.
    pub fn scales(&self, kind: &str, name: &str) -> bool {
        self.target_kind() == Some(kind) && self.target_name() == name
    }

    /// The least replicas it keeps, as set or defaulted: 1 for an HPA
    /// (SetDefaults_HorizontalPodAutoscaler); 0 for a ScaledObject, whose target KEDA scales
    /// to zero while its triggers are idle.
    pub fn min_replicas(&self) -> (i64, bool) {
        let spec = self.object.spec();
        match self.flavour {
            Flavour::Hpa => (spec.min_replicas.unwrap_or(1), spec.min_replicas.is_some()),
            Flavour::Keda => (
                spec.min_replica_count.unwrap_or(0),
                spec.min_replica_count.is_some(),
            ),
        }
    }

    pub fn min_path(&self) -> &'static str {
        self.flavour.min_path()
    }

    fn behavior(&self) -> Option<&Object<'a>> {
        let spec = self.object.spec();
        match self.flavour {
            Flavour::Hpa => spec.behavior.as_deref(),
            Flavour::Keda => spec
                .advanced
                .as_deref()
                .and_then(|a| a.horizontal_pod_autoscaler_config.as_deref())
                .and_then(|c| c.behavior.as_deref()),
        }
    }

    /// The rules that need only the object: the ceiling, a metric, a scalable target, and
    /// (when asked) a bounded scale-up.
    pub fn check(&self, settings: &Settings, findings: &mut Findings) {
        let spec = self.object.spec();
        let ceiling = i64::from(settings.max_replicas_ceiling);
        let (max, set) = match self.flavour {
            Flavour::Hpa => (spec.max_replicas, spec.max_replicas.is_some()),
            Flavour::Keda => (
                Some(spec.max_replica_count.unwrap_or(KEDA_DEFAULT_MAX)),
                spec.max_replica_count.is_some(),
            ),
        };
        let max_path = self.flavour.max_path();
        match max {
            None => findings.violation(
                max_path,
                format!(
                    "{max_path} is not set; set it to at most {ceiling} (maxReplicasCeiling), the \
                     number of replicas a flood of requests may cost"
                ),
            ),
            Some(max) if max > ceiling => {
                let how = if set {
                    format!("{max_path} {max}")
                } else {
                    format!(
                        "{max_path} is not set, so KEDA scales up to {KEDA_DEFAULT_MAX} replicas, \
                         which"
                    )
                };
                findings.violation(
                    max_path,
                    format!(
                        "{how} is above maxReplicasCeiling {ceiling}: a flood of requests could \
                         scale {} to {max} replicas and the bill with it; set {max_path} to at \
                         most {ceiling}",
                        self.describe()
                    ),
                )
            }
            Some(_) => {}
        }

        match self.flavour {
            // An HPA without metrics is given the CPU utilisation metric (80 %) by the API
            // server (SetDefaults_HorizontalPodAutoscaler): it has one.
            Flavour::Hpa => {}
            Flavour::Keda => {
                if spec.triggers.as_ref().is_none_or(Vec::is_empty) {
                    findings.violation(
                        "spec.triggers",
                        format!(
                            "{} has no spec.triggers, so KEDA has no metric to scale on; add at \
                             least one trigger (cpu, prometheus, ...)",
                            self.describe()
                        ),
                    );
                }
            }
        }

        let kind_path = "spec.scaleTargetRef.kind";
        match self.target_kind() {
            None => findings.violation(
                kind_path,
                format!(
                    "{kind_path} is not set; name the kind of the workload to scale ({})",
                    settings.scalable_list()
                ),
            ),
            Some(kind) if !settings.is_scalable(kind) => findings.violation(
                kind_path,
                format!(
                    "{kind_path} {kind:?} is not a kind this policy lets autoscalers scale; use \
                     one of {} (more with the scalableKinds setting)",
                    settings.scalable_list()
                ),
            ),
            Some(_) => {}
        }

        self.check_scale_up(settings, findings);
    }

    /// `behavior.scaleUp` as the API server completes it (GenerateHPAScaleUpRules: unset
    /// fields take the defaults, 4 Pods or 100 Percent per 15 s, Max, no stabilisation), judged
    /// against the settings' bounds when `requireScaleUpPolicy` is set. A ScaledObject's
    /// behaviour is copied into the HPA KEDA makes, and defaulted there the same way.
    fn check_scale_up(&self, settings: &Settings, findings: &mut Findings) {
        let behavior_path = self.flavour.behavior_path();
        let path = format!("{behavior_path}.scaleUp");
        let Some(behavior) = self.behavior() else {
            if settings.require_scale_up_policy {
                findings.violation(
                    behavior_path,
                    format!(
                        "{behavior_path} is not set, so {} scales up as fast as the controller's \
                         defaults allow; requireScaleUpPolicy asks for an explicit {path} with \
                         policies of at most {}% (Percent) or {} pods (Pods) per period",
                        self.describe(),
                        settings.max_scale_up_percent,
                        settings.max_scale_up_pods
                    ),
                );
            }
            return;
        };
        let rules = behavior.scale_up.as_deref();
        let select = rules
            .and_then(|r| r.select_policy.as_deref())
            .unwrap_or("Max");
        if select == "Disabled" {
            let message = format!(
                "{path}.selectPolicy is Disabled: {} never scales up, so it cannot absorb a \
                 flood of requests; use Max or Min",
                self.describe()
            );
            if settings.require_scale_up_policy {
                findings.violation(format!("{path}.selectPolicy"), message);
            } else {
                findings.warn(message);
            }
            return;
        }
        if !settings.require_scale_up_policy {
            return;
        }
        if !matches!(select, "Max" | "Min") {
            findings.violation(
                format!("{path}.selectPolicy"),
                format!("{path}.selectPolicy {select:?} is not one of Max, Min or Disabled"),
            );
        }
        let window = rules
            .and_then(|r| r.stabilization_window_seconds)
            .unwrap_or(0);
        let max_window = i64::from(settings.max_scale_up_stabilization_seconds);
        if window > max_window {
            findings.violation(
                format!("{path}.stabilizationWindowSeconds"),
                format!(
                    "{path}.stabilizationWindowSeconds {window} is above \
                     maxScaleUpStabilizationSeconds {max_window}: {} would wait that long before \
                     answering a flood with more replicas",
                    self.describe()
                ),
            );
        }
        let Some(policies) = rules.and_then(|r| r.policies.as_ref()) else {
            // Defaulted to 4 Pods and 100 Percent per 15 s.
            self.check_default_policies(&path, settings, findings);
            return;
        };
        if policies.is_empty() {
            findings.violation(
                format!("{path}.policies"),
                format!(
                    "{path}.policies is empty; give at least one Pods or Percent policy (the API \
                     server requires one)"
                ),
            );
        }
        for (i, p) in policies.iter().enumerate() {
            let at = format!("{path}.policies[{i}]");
            let kind = p.policy_type.as_deref().unwrap_or("");
            let (value, period) = (p.value.unwrap_or(0), p.period_seconds.unwrap_or(0));
            let (limit, unit) = match kind {
                "Pods" => (
                    i64::from(settings.max_scale_up_pods),
                    "pods (maxScaleUpPods)",
                ),
                "Percent" => (
                    i64::from(settings.max_scale_up_percent),
                    "percent (maxScaleUpPercent)",
                ),
                other => {
                    findings.violation(
                        format!("{at}.type"),
                        format!("{at}.type {other:?} is not Pods or Percent"),
                    );
                    continue;
                }
            };
            if value <= 0 || period <= 0 {
                findings.violation(
                    at.clone(),
                    format!(
                        "{at} must have a positive value and periodSeconds (value {}, \
                         periodSeconds {period})",
                        value
                    ),
                );
            } else if value > limit {
                findings.violation(
                    format!("{at}.value"),
                    format!(
                        "{at} lets {} add {value} {kind} every {period} s, above the bound of \
                         {limit} {unit}; lower {at}.value to at most {limit}",
                        self.describe()
                    ),
                );
            }
        }
    }

    fn check_default_policies(&self, path: &str, settings: &Settings, findings: &mut Findings) {
        // The API server's defaults: 4 Pods and 100 Percent per 15 s.
        let over = [
            (4, settings.max_scale_up_pods, "Pods", "maxScaleUpPods"),
            (
                100,
                settings.max_scale_up_percent,
                "Percent",
                "maxScaleUpPercent",
            ),
        ];
        for (value, limit, kind, setting) in over {
            if value > limit {
                findings.violation(
                    format!("{path}.policies"),
                    format!(
                        "{path}.policies is not set, so the API server's default of {value} \
                         {kind} per 15 s applies, above {setting} {limit}; set {path}.policies \
                         within the bounds"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;

    fn findings(json: &str, flavour: Flavour, settings: &str) -> (Vec<String>, Vec<String>) {
        let a: Object = serde_json::from_str(json).unwrap();
        let s: Settings = parse_settings(settings.as_bytes()).unwrap();
        let mut f = Findings::new();
        a.scaler(flavour).check(&s, &mut f);
        let v = f.into_verdict();
        let message = v.message().unwrap_or_default();
        let violations = if message.is_empty() {
            Vec::new()
        } else {
            vec![message]
        };
        (violations, v.warnings().to_vec())
    }

    const HPA_OK: &str = r#"{"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":20}}"#;

    #[test]
    fn hpa_rules() {
        let cases: &[(&str, &str, &[&str])] = &[
            (HPA_OK, "{}", &[]),
            (
                r#"{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":51}}"#,
                "{}",
                &["spec.maxReplicas 51 is above maxReplicasCeiling 50"],
            ),
            (
                r#"{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":50}}"#,
                "{}",
                &[],
            ),
            (
                r#"{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"}}}"#,
                "{}",
                &["spec.maxReplicas is not set"],
            ),
            (
                r#"{"spec":{"scaleTargetRef":{"kind":"DaemonSet","name":"web"},"maxReplicas":3}}"#,
                "{}",
                &["spec.scaleTargetRef.kind \"DaemonSet\" is not a kind"],
            ),
            (
                r#"{"spec":{"scaleTargetRef":{"kind":"Rollout","name":"web"},"maxReplicas":3}}"#,
                r#"{"scalableKinds":["Rollout"]}"#,
                &[],
            ),
            (
                r#"{"spec":{"scaleTargetRef":{"name":"web"},"maxReplicas":3}}"#,
                "{}",
                &["spec.scaleTargetRef.kind is not set"],
            ),
        ];
        for (json, settings, want) in cases {
            let (violations, _) = findings(json, Flavour::Hpa, settings);
            let joined = violations.join("\n");
            assert_eq!(violations.is_empty(), want.is_empty(), "{json}: {joined}");
            for w in *want {
                assert!(joined.contains(w), "{json}: {joined}");
            }
        }
    }

    #[test]
    fn keda_defaults() {
        let (v, _) = findings(
            r#"{"spec":{"scaleTargetRef":{"name":"web"},"triggers":[{"type":"cpu"}]}}"#,
            Flavour::Keda,
            "{}",
        );
        assert!(
            v[0].contains("spec.maxReplicaCount is not set, so KEDA scales up to 100"),
            "{v:?}"
        );
        let (v, _) = findings(
            r#"{"spec":{"scaleTargetRef":{"name":"web"},"maxReplicaCount":10}}"#,
            Flavour::Keda,
            "{}",
        );
        assert!(v[0].contains("has no spec.triggers"), "{v:?}");
        let a: Object =
            serde_json::from_str(r#"{"spec":{"scaleTargetRef":{"name":"web"}}}"#).unwrap();
        let s = a.scaler(Flavour::Keda);
        assert!(s.scales("Deployment", "web"));
        assert_eq!(s.min_replicas(), (0, false));
        let h: Object = serde_json::from_str(HPA_OK).unwrap();
        assert_eq!(h.scaler(Flavour::Hpa).min_replicas(), (2, true));
    }

    #[test]
    fn scale_up_bounds() {
        let hpa = |behavior: &str| {
            format!(
                r#"{{"spec":{{"scaleTargetRef":{{"kind":"Deployment","name":"web"}},"maxReplicas":10,"behavior":{behavior}}}}}"#
            )
        };
        let req = r#"{"requireScaleUpPolicy":true}"#;
        let cases: &[(String, &str, &[&str], bool)] = &[
            (
                HPA_OK.to_string(),
                req,
                &["spec.behavior is not set"],
                false,
            ),
            (HPA_OK.to_string(), "{}", &[], false),
            (
                hpa(r#"{"scaleDown":{"selectPolicy":"Disabled"}}"#),
                req,
                &[],
                false,
            ),
            (
                hpa(
                    r#"{"scaleUp":{"policies":[{"type":"Percent","value":900,"periodSeconds":15}]}}"#,
                ),
                req,
                &[
                    "policies[0] lets HorizontalPodAutoscaler \"<unnamed>\" add 900 Percent every 15 s",
                ],
                false,
            ),
            (
                hpa(
                    r#"{"scaleUp":{"policies":[{"type":"Pods","value":4,"periodSeconds":60}],"stabilizationWindowSeconds":600}}"#,
                ),
                req,
                &["stabilizationWindowSeconds 600 is above maxScaleUpStabilizationSeconds 300"],
                false,
            ),
            (
                hpa(r#"{"scaleUp":{"policies":[]}}"#),
                req,
                &["policies is empty"],
                false,
            ),
            (
                hpa(r#"{"scaleUp":{"selectPolicy":"Disabled"}}"#),
                req,
                &["selectPolicy is Disabled"],
                false,
            ),
            (
                hpa(r#"{"scaleUp":{"selectPolicy":"Disabled"}}"#),
                "{}",
                &[],
                true,
            ),
            (
                hpa(r#"{"scaleUp":{"selectPolicy":"Max"}}"#),
                r#"{"requireScaleUpPolicy":true,"maxScaleUpPods":2}"#,
                &["default of 4 Pods per 15 s applies, above maxScaleUpPods 2"],
                false,
            ),
        ];
        for (json, settings, want, warned) in cases {
            let (violations, warnings) = findings(json, Flavour::Hpa, settings);
            let joined = violations.join("\n");
            assert_eq!(violations.is_empty(), want.is_empty(), "{json}: {joined}");
            for w in *want {
                assert!(joined.contains(w), "{json}: {joined}");
            }
            assert_eq!(!warnings.is_empty(), *warned, "{json}: {warnings:?}");
        }
    }
}
