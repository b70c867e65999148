//! The pod template of the workload kinds: what the pods a Pod, Deployment, ReplicaSet,
//! StatefulSet, DaemonSet, Job, CronJob or ReplicationController runs will look like.
//!
//! Only the template's labels, annotations and a lean pod spec are read; everything else of the
//! object is skipped by serde without being built.

use std::fmt::Write as _;

use crate::request::{AdmissionRequest, ObjectMeta, StringMap};

/// The kinds that carry a pod template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    ReplicationController,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 8] = [
        WorkloadKind::Pod,
        WorkloadKind::Deployment,
        WorkloadKind::ReplicaSet,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
        WorkloadKind::ReplicationController,
    ];

    pub fn from_kind(kind: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|k| k.name() == kind)
    }

    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::ReplicationController => "ReplicationController",
        }
    }

    /// The API group of the kind (`apps`, `batch`, or the core group's empty name).
    pub fn group(self) -> &'static str {
        match self {
            WorkloadKind::Pod | WorkloadKind::ReplicationController => "",
            WorkloadKind::Job | WorkloadKind::CronJob => "batch",
            _ => "apps",
        }
    }

    /// Where the pod template sits in the object; empty for a Pod, which is its own template.
    pub fn template_path(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "",
            WorkloadKind::CronJob => "spec.jobTemplate.spec.template",
            _ => "spec.template",
        }
    }

    /// The path of the pod labels, for messages.
    pub fn labels_path(self) -> String {
        match self.template_path() {
            "" => "metadata.labels".to_string(),
            t => format!("{t}.metadata.labels"),
        }
    }

    /// "a Deployment", for messages.
    pub fn article(self) -> String {
        format!("a {}", self.name())
    }
}

/// The fields of a PodSpec the policies read.
#[derive(Clone, Debug, Default)]
pub struct PodSpec {
    /// NetworkPolicies and most CNI features do not apply to pods on the node's network.
    pub host_network: bool,
}

/// A workload and its pod template.
#[derive(Clone, Debug)]
pub struct Workload<'a> {
    pub kind: WorkloadKind,
    /// The object's own metadata (name, namespace, its labels).
    pub metadata: ObjectMeta<'a>,
    /// For controllers, the template's metadata; a Pod's template is the Pod itself.
    template: Option<ObjectMeta<'a>>,
    pub pod_spec: PodSpec,
}

impl<'a> Workload<'a> {
    /// Reads the object of the request as `kind`. Fails when the object is missing, malformed,
    /// or a controller without a pod template (the API server never admits one).
    pub fn from_request(
        request: &AdmissionRequest<'a>,
        kind: WorkloadKind,
    ) -> Result<Workload<'a>, String> {
        let object: WorkloadObject = request.view(format_args!("a {}", kind.name()))?;
        let metadata = object.metadata.unwrap_or_default();
        let spec = object.spec.map(|s| *s).unwrap_or_default();
        let template = match kind {
            WorkloadKind::Pod => {
                return Ok(Workload {
                    kind,
                    metadata,
                    template: None,
                    pod_spec: PodSpec {
                        host_network: spec.host_network.unwrap_or_default(),
                    },
                });
            }
            WorkloadKind::CronJob => spec
                .job_template
                .and_then(|j| j.spec)
                .and_then(|s| s.template),
            _ => spec.template,
        };
        let template = template.ok_or_else(|| {
            format!(
                "the object cannot be read as {}: it has no {}",
                kind.article(),
                kind.template_path()
            )
        })?;
        let template_spec = template.spec.map(|s| *s).unwrap_or_default();
        Ok(Workload {
            kind,
            metadata,
            template: Some(template.metadata.unwrap_or_default()),
            pod_spec: PodSpec {
                host_network: template_spec.host_network.unwrap_or_default(),
            },
        })
    }

    /// The labels its pods carry.
    pub fn pod_labels(&self) -> &StringMap<'a> {
        match &self.template {
            Some(t) => &t.labels,
            None => &self.metadata.labels,
        }
    }

    /// The annotations its pods carry.
    pub fn pod_annotations(&self) -> &StringMap<'a> {
        match &self.template {
            Some(t) => &t.annotations,
            None => &self.metadata.annotations,
        }
    }

    /// `Deployment "web"`, for messages; written out only when a message uses it.
    pub fn describe(&self) -> Described<'_, 'a> {
        Described(self)
    }
}

/// A workload as messages name it (`Deployment "web"`).
#[derive(Clone, Copy)]
pub struct Described<'w, 'a>(&'w Workload<'a>);

impl std::fmt::Display for Described<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?}",
            self.0.kind.name(),
            self.0.metadata.display_name()
        )
    }
}

/// Every kind in one recursive shape: a Pod is `{metadata, spec: {hostNetwork}}`, a pod
/// template the same, a controller's `spec.template` a pod template, and a CronJob's
/// `spec.jobTemplate` a Job-like object whose `spec.template` is one. One shape means one
/// deserialiser in the module instead of one per kind and level; fields are plain `Option`s,
/// so absent and null read alike.
#[derive(Debug, Default)]
pub struct WorkloadObject<'a> {
    pub(crate) metadata: Option<ObjectMeta<'a>>,
    spec: Option<Box<ShapeSpec<'a>>>,
}

crate::view_reader!(WorkloadObject {
    "metadata" => metadata,
    "spec" => spec,
});

#[derive(Debug, Default)]
struct ShapeSpec<'a> {
    host_network: Option<bool>,
    template: Option<WorkloadObject<'a>>,
    job_template: Option<WorkloadObject<'a>>,
}

crate::view_reader!(ShapeSpec {
    "hostNetwork" => host_network,
    "template" => template,
    "jobTemplate" => job_template,
});

/// Labels as `app=web, tier=frontend`, or `no labels`, for messages.
pub fn describe_labels(labels: &StringMap<'_>) -> String {
    if labels.is_empty() {
        return "no labels".to_string();
    }
    let mut out = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{k}={v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Payload;

    fn parse(kind: &str, object: &str) -> Result<(String, String, bool, String), String> {
        let payload = format!(r#"{{"request":{{"operation":"CREATE","object":{object}}}}}"#);
        let p = Payload::<serde_json::Value>::parse(payload.as_bytes()).unwrap();
        let kind = WorkloadKind::from_kind(kind).unwrap();
        let w = Workload::from_request(&p.request, kind)?;
        Ok((
            w.describe().to_string(),
            describe_labels(w.pod_labels()),
            w.pod_spec.host_network,
            w.pod_annotations()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        ))
    }

    #[test]
    fn templates_of_every_kind() {
        let template = r#"{"metadata":{"labels":{"app":"web"},"annotations":{"a":"1"}},"spec":{"hostNetwork":true,"containers":[]}}"#;
        let meta = r#"{"name":"w","labels":{"owner":"me"}}"#;
        for kind in [
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "ReplicationController",
        ] {
            let obj = format!(
                r#"{{"kind":"{kind}","metadata":{meta},"spec":{{"replicas":2,"template":{template}}}}}"#
            );
            assert_eq!(
                parse(kind, &obj),
                Ok((format!("{kind} \"w\""), "app=web".into(), true, "a".into())),
                "{kind}"
            );
        }
        let cron = format!(
            r#"{{"metadata":{meta},"spec":{{"schedule":"* * * * *","jobTemplate":{{"spec":{{"template":{template}}}}}}}}}"#
        );
        assert_eq!(
            parse("CronJob", &cron),
            Ok(("CronJob \"w\"".into(), "app=web".into(), true, "a".into()))
        );
        // A Pod is its own template: its labels are the pod labels.
        let pod = r#"{"metadata":{"generateName":"web-","labels":{"app":"web","x":"y"}},"spec":{"hostNetwork":null}}"#;
        assert_eq!(
            parse("Pod", pod),
            Ok((
                "Pod \"web-*\"".into(),
                "app=web, x=y".into(),
                false,
                String::new()
            ))
        );
    }

    #[test]
    fn missing_and_null_parts() {
        let cases: &[(&str, &str, Result<&str, &str>)] = &[
            ("Pod", r#"{"metadata":{"name":"p"}}"#, Ok("no labels")),
            (
                "Pod",
                r#"{"metadata":{"name":"p","labels":null}}"#,
                Ok("no labels"),
            ),
            (
                "Deployment",
                r#"{"metadata":{"name":"d"},"spec":{"template":{}}}"#,
                Ok("no labels"),
            ),
            (
                "Deployment",
                r#"{"metadata":{"name":"d"},"spec":{"template":{"metadata":null,"spec":null}}}"#,
                Ok("no labels"),
            ),
            (
                "Deployment",
                r#"{"metadata":{"name":"d"},"spec":{}}"#,
                Err("it has no spec.template"),
            ),
            (
                "Deployment",
                r#"{"metadata":{"name":"d"}}"#,
                Err("it has no spec.template"),
            ),
            (
                "CronJob",
                r#"{"metadata":{"name":"c"},"spec":{"jobTemplate":{}}}"#,
                Err("it has no spec.jobTemplate.spec.template"),
            ),
            (
                "Deployment",
                r#"{"metadata":{"name":"d"},"spec":{"template":{"metadata":{"labels":{"app":7}}}}}"#,
                Err("spec.template.metadata.labels.app: invalid type: integer"),
            ),
            (
                "StatefulSet",
                r#"{"metadata":{"name":"d"},"spec":{"template":{"spec":{"hostNetwork":"yes"}}}}"#,
                Err("spec.template.spec.hostNetwork: invalid type"),
            ),
            ("Pod", r#"[]"#, Err("cannot be read as a Pod")),
        ];
        for (kind, obj, want) in cases {
            let got = parse(kind, obj).map(|(_, labels, _, _)| labels);
            match (got, want) {
                (Ok(l), Ok(w)) => assert_eq!(&l, w, "{obj}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{obj}: {e}"),
                (got, want) => panic!("{obj}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn kinds_and_paths() {
        assert_eq!(WorkloadKind::from_kind("Service"), None);
        assert_eq!(WorkloadKind::from_kind("deployment"), None);
        for kind in WorkloadKind::ALL {
            assert_eq!(WorkloadKind::from_kind(kind.name()), Some(kind));
        }
        assert_eq!(WorkloadKind::Pod.labels_path(), "metadata.labels");
        assert_eq!(
            WorkloadKind::CronJob.labels_path(),
            "spec.jobTemplate.spec.template.metadata.labels"
        );
        assert_eq!(
            WorkloadKind::DaemonSet.labels_path(),
            "spec.template.metadata.labels"
        );
    }
}
