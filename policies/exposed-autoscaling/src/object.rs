//! The one shape this policy reads autoscalers and workloads in: a HorizontalPodAutoscaler, a
//! ScaledObject, a Deployment or a StatefulSet, or any level of one. Each level fills only its
//! own fields, and no two levels give one name two types; one type keeps one deserialiser in
//! the module instead of one per kind and level (a few KB each).

use netsec_shared::request::{Borrowed, ObjectMeta, StringMap};
use netsec_shared::workload::WorkloadKind;

use serde::de::IgnoredAny;

#[derive(Debug, Default)]
pub struct Object<'a> {
    /// The object's kind, or in `scaleTargetRef` the target's.
    pub(crate) kind: Option<Borrowed<'a>>,
    /// Boxed: every level carries the field, and inline it made each one 136 bytes larger
    /// (the module 3.5 KB larger, for the moves of larger levels).
    pub(crate) metadata: Option<Box<ObjectMeta<'a>>>,
    pub(crate) spec: Option<Box<Object<'a>>>,
    /// In an autoscaler's `spec`.
    pub(crate) scale_target_ref: Option<Box<Object<'a>>>,
    /// HorizontalPodAutoscaler.
    pub(crate) min_replicas: Option<i64>,
    pub(crate) max_replicas: Option<i64>,
    pub(crate) behavior: Option<Box<Object<'a>>>,
    /// ScaledObject.
    pub(crate) min_replica_count: Option<i64>,
    pub(crate) max_replica_count: Option<i64>,
    pub(crate) triggers: Option<Vec<IgnoredAny>>,
    pub(crate) advanced: Option<Box<Object<'a>>>,
    pub(crate) horizontal_pod_autoscaler_config: Option<Box<Object<'a>>>,
    /// In `scaleTargetRef`, and a container's.
    pub(crate) name: Option<Borrowed<'a>>,
    /// In `behavior`.
    pub(crate) scale_up: Option<Box<Object<'a>>>,
    /// In `scaleUp`.
    pub(crate) stabilization_window_seconds: Option<i64>,
    pub(crate) select_policy: Option<Borrowed<'a>>,
    pub(crate) policies: Option<Vec<Object<'a>>>,
    /// In a scale-up policy.
    pub(crate) policy_type: Option<Borrowed<'a>>,
    pub(crate) value: Option<i64>,
    pub(crate) period_seconds: Option<i64>,
    /// In a workload's `spec`: the pod template, its `spec`'s containers, and the pod-level
    /// `resources`.
    pub(crate) template: Option<Box<Object<'a>>>,
    pub(crate) containers: Option<Vec<Object<'a>>>,
    pub(crate) init_containers: Option<Vec<Object<'a>>>,
    /// In a container.
    pub(crate) restart_policy: Option<Borrowed<'a>>,
    pub(crate) resources: Option<Box<Object<'a>>>,
    /// In `resources`: requests and limits; in them, the keys. Quantities are not read: the
    /// HPA controller needs a request to be present, whatever its value.
    pub(crate) requests: Option<Box<Object<'a>>>,
    pub(crate) limits: Option<Box<Object<'a>>>,
    pub(crate) cpu: Option<IgnoredAny>,
    pub(crate) memory: Option<IgnoredAny>,
}

netsec_shared::view_reader!(Object {
    "kind" => kind,
    "metadata" => metadata,
    "spec" => spec,
    "scaleTargetRef" => scale_target_ref,
    "minReplicas" => min_replicas,
    "maxReplicas" => max_replicas,
    "behavior" => behavior,
    "minReplicaCount" => min_replica_count,
    "maxReplicaCount" => max_replica_count,
    "triggers" => triggers,
    "advanced" => advanced,
    "horizontalPodAutoscalerConfig" => horizontal_pod_autoscaler_config,
    "name" => name,
    "scaleUp" => scale_up,
    "stabilizationWindowSeconds" => stabilization_window_seconds,
    "selectPolicy" => select_policy,
    "policies" => policies,
    "type" => policy_type,
    "value" => value,
    "periodSeconds" => period_seconds,
    "template" => template,
    "containers" => containers,
    "initContainers" => init_containers,
    "restartPolicy" => restart_policy,
    "resources" => resources,
    "requests" => requests,
    "limits" => limits,
    "cpu" => cpu,
    "memory" => memory,
});

const EMPTY: Object<'static> = Object {
    kind: None,
    metadata: None,
    spec: None,
    scale_target_ref: None,
    min_replicas: None,
    max_replicas: None,
    behavior: None,
    min_replica_count: None,
    max_replica_count: None,
    triggers: None,
    advanced: None,
    horizontal_pod_autoscaler_config: None,
    name: None,
    scale_up: None,
    stabilization_window_seconds: None,
    select_policy: None,
    policies: None,
    policy_type: None,
    value: None,
    period_seconds: None,
    template: None,
    containers: None,
    init_containers: None,
    restart_policy: None,
    resources: None,
    requests: None,
    limits: None,
    cpu: None,
    memory: None,
};

static NO_LABELS: StringMap<'static> = StringMap::new();

impl<'a> Object<'a> {
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata.as_ref().and_then(|m| m.namespace.as_deref())
    }

    /// The name for messages (a `generateName` prefix with `*` when not named yet).
    pub fn name(&self) -> String {
        self.metadata
            .as_ref()
            .map(|m| m.display_name())
            .unwrap_or_else(|| "<unnamed>".to_string())
    }

    /// `spec`, or an empty one.
    pub(crate) fn spec(&self) -> &Object<'a> {
        self.spec.as_deref().unwrap_or(&EMPTY)
    }

    /// The containers and the restartable init containers (sidecars, which run beside them for
    /// the pod's life) of this pod spec, each with its path under `base`.
    pub fn containers(&self, base: &str) -> Vec<(String, &Object<'a>)> {
        let mut out: Vec<(String, &Object<'a>)> = self
            .containers
            .as_deref()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("{base}.containers[{i}]"), c))
            .collect();
        out.extend(
            self.init_containers
                .as_deref()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter(|(_, c)| c.restart_policy.as_deref() == Some("Always"))
                .map(|(i, c)| (format!("{base}.initContainers[{i}]"), c)),
        );
        out
    }

    /// What this container's or pod spec's `resources` set.
    pub fn resources(&self) -> Resources {
        let r = self.resources.as_deref();
        let requests = r.and_then(|r| r.requests.as_deref());
        let limits = r.and_then(|r| r.limits.as_deref());
        Resources {
            cpu_request: requests.is_some_and(|q| q.cpu.is_some()),
            cpu_limit: limits.is_some_and(|q| q.cpu.is_some()),
            memory_limit: limits.is_some_and(|q| q.memory.is_some()),
        }
    }
}

/// Which of cpu and memory a `resources` requests and limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_request: bool,
    pub cpu_limit: bool,
    pub memory_limit: bool,
}

/// A Deployment or StatefulSet: its kind and its object, which has a pod template.
#[derive(Debug)]
pub struct Workload<'a> {
    pub kind: WorkloadKind,
    object: Object<'a>,
}

impl<'a> Workload<'a> {
    /// `object` as a workload of `kind`; a controller without a pod template is refused (the
    /// API server never admits one), as `netsec_shared::workload::Workload` does.
    pub fn new(object: Object<'a>, kind: WorkloadKind) -> Result<Self, String> {
        if object.spec().template.is_none() {
            return Err(format!(
                "the object cannot be read as {}: it has no {}",
                kind.article(),
                kind.template_path()
            ));
        }
        Ok(Workload { kind, object })
    }

    pub fn metadata(&self) -> Option<&ObjectMeta<'a>> {
        self.object.metadata.as_deref()
    }

    pub fn name(&self) -> Option<&str> {
        self.metadata().and_then(|m| m.name.as_deref())
    }

    pub fn display_name(&self) -> String {
        self.object.name()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object.namespace()
    }

    /// The labels its pods carry: `spec.template.metadata.labels`.
    pub fn pod_labels(&self) -> &StringMap<'a> {
        self.template()
            .and_then(|t| t.metadata.as_ref())
            .map_or(&NO_LABELS, |m| &m.labels)
    }

    fn template(&self) -> Option<&Object<'a>> {
        self.object.spec().template.as_deref()
    }

    /// `spec.template.spec`.
    pub fn pod_spec(&self) -> &Object<'a> {
        self.template().map_or(&EMPTY, Object::spec)
    }

    /// `Deployment "web"`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.kind.name(), self.display_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_sidecars_and_resources() {
        let object: Object = serde_json::from_str(
            r#"{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{
                "metadata":{"labels":{"app":"web"}},"spec":{
                "resources":{"limits":{"memory":"1Gi"}},
                "containers":[
                    {"name":"a","resources":{"requests":{"cpu":"100m"},"limits":{"memory":"1Gi"}}},
                    {"name":"b","resources":null},
                    {"name":"c","env":[{"name":"X","value":"1"}]}],
                "initContainers":[
                    {"name":"init"},
                    {"name":"proxy","restartPolicy":"Always","resources":{"limits":{"cpu":"1"}}}]}}}}"#,
        )
        .unwrap();
        let workload = Workload::new(object, WorkloadKind::Deployment).unwrap();
        assert_eq!(workload.pod_labels().len(), 1);
        let spec = workload.pod_spec();
        let got: Vec<(String, Option<&str>, Resources)> = spec
            .containers("spec.template.spec")
            .into_iter()
            .map(|(p, c)| (p, c.name.as_deref(), c.resources()))
            .collect();
        let r = |cpu_request, cpu_limit, memory_limit| Resources {
            cpu_request,
            cpu_limit,
            memory_limit,
        };
        let base = "spec.template.spec";
        assert_eq!(
            got,
            vec![
                (
                    format!("{base}.containers[0]"),
                    Some("a"),
                    r(true, false, true)
                ),
                (
                    format!("{base}.containers[1]"),
                    Some("b"),
                    r(false, false, false)
                ),
                (
                    format!("{base}.containers[2]"),
                    Some("c"),
                    r(false, false, false)
                ),
                (
                    format!("{base}.initContainers[1]"),
                    Some("proxy"),
                    r(false, true, false)
                ),
            ]
        );
        assert_eq!(spec.resources(), r(false, false, true));
    }

    #[test]
    fn a_workload_needs_a_template() {
        let object: Object = serde_json::from_str(r#"{"spec":{"replicas":2}}"#).unwrap();
        let err = Workload::new(object, WorkloadKind::StatefulSet).unwrap_err();
        assert!(err.contains("has no spec.template"), "{err}");
        let object: Object = serde_json::from_str(r#"{"spec":{"template":{}}}"#).unwrap();
        let w = Workload::new(object, WorkloadKind::Deployment).unwrap();
        assert!(w.pod_labels().is_empty());
        assert!(w.pod_spec().containers("x").is_empty());
        assert!(
            serde_json::from_str::<Object>(r#"{"spec":{"template":{"spec":{"containers":{}}}}}"#)
                .is_err()
        );
    }
}
