//! The `exposed-autoscaling` rules: a pure function from the request, the settings and what the
//! namespace holds (Services, Ingresses, routes, autoscalers, workloads) to a verdict.

use netsec_shared::cluster::{Cluster, Resource, list_items};
use netsec_shared::request::{GroupVersionKind, OwnObject, StringMap};
use netsec_shared::review::{object_of_kind, of_kind};
use netsec_shared::workload::WorkloadKind;
use netsec_shared::{AdmissionRequest, Findings, Operation, Verdict, json, scan};

use crate::autoscaler::{Flavour, HPA, SCALED_OBJECT, SCALER_FIELDS};
use crate::exposure::{
    Door, Doors, GRPC_ROUTE, HTTP_ROUTE, INGRESS, INGRESS_FIELDS, Ingress, ROUTE_FIELDS, Route,
    SERVICE, SERVICE_FIELDS, Service, ingress_services,
};
use crate::object::{Object, Workload};
use crate::settings::{OnMissing, Settings};

pub const DEPLOYMENT: Resource = Resource {
    api_version: "apps/v1",
    kind: "Deployment",
};
pub const STATEFUL_SET: Resource = Resource {
    api_version: "apps/v1",
    kind: "StatefulSet",
};
/// What the policy reads of the workloads it lists: their names and pod labels.
pub const WORKLOAD_FIELDS: &[&str] = &["metadata.name", "spec.template.metadata.labels"];

/// What a request is, for this policy.
enum Subject {
    Scaler(Flavour),
    Workload(WorkloadKind),
    Service,
    Ingress,
}

fn subject(group: &str, kind: &str) -> Option<Subject> {
    // Requests built by hand may leave the group out; a kind of another group (Knative's
    // serving.knative.dev Service) is not ours.
    let in_group = |g: &str| group.is_empty() || group == g;
    Some(match kind {
        "HorizontalPodAutoscaler" if in_group("autoscaling") => Subject::Scaler(Flavour::Hpa),
        "ScaledObject" if in_group("keda.sh") => Subject::Scaler(Flavour::Keda),
        "Deployment" if in_group("apps") => Subject::Workload(WorkloadKind::Deployment),
        "StatefulSet" if in_group("apps") => Subject::Workload(WorkloadKind::StatefulSet),
        "Service" if group.is_empty() => Subject::Service,
        "Ingress" if in_group("networking.k8s.io") => Subject::Ingress,
        _ => return None,
    })
}

/// Autoscalers and workloads are read as an [`Object`] in the pass that reads the request.
pub struct Own;

impl OwnObject for Own {
    type Of<'a> = Object<'a>;

    fn wanted(kind: &GroupVersionKind<'_>) -> bool {
        matches!(
            subject(&kind.group, &kind.kind),
            Some(Subject::Scaler(_) | Subject::Workload(_))
        )
    }
}

pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    evaluate_own(request, None, settings, cluster)
}

/// [`evaluate`], with the object already read as an [`Object`] when it is one ([`Own`]);
/// `None` reads it from the request.
pub fn evaluate_own<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<Object<'a>>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Verdict::accept();
    }
    let kind = request.kind.kind.as_ref();
    let Some(subject) = subject(&request.kind.group, kind) else {
        if kind.is_empty() {
            return Verdict::reject(
                "the request names no kind, so its object cannot be judged; this policy \
                 validates HorizontalPodAutoscalers, ScaledObjects, Deployments, StatefulSets, \
                 Services and Ingresses",
            );
        }
        return Verdict::accept();
    };
    if settings.exempt_namespaces.contains(&request.namespace) {
        return Verdict::accept();
    }
    let result = match subject {
        Subject::Scaler(flavour) => judge_scaler(request, object, flavour, settings, cluster),
        Subject::Workload(kind) => judge_workload(request, object, kind, settings, cluster),
        Subject::Service | Subject::Ingress if !settings.judge_exposure_changes => {
            Ok(Verdict::accept())
        }
        Subject::Service => judge_service(request, settings, cluster),
        Subject::Ingress => judge_ingress(request, settings, cluster),
    };
    result.unwrap_or_else(|v| v)
}

/// The namespace the object lives in: the request's, else the object's own.
fn namespace_of<'s>(
    request: &'s AdmissionRequest<'_>,
    object_namespace: Option<&'s str>,
    what: &dyn std::fmt::Display,
) -> Result<&'s str, Verdict> {
    match request.namespace_or(object_namespace.unwrap_or("")) {
        "" => Err(Verdict::reject(format!(
            "the request for {what} names no namespace, so what exposes it cannot be looked up"
        ))),
        ns => Ok(ns),
    }
}

/// A failed read of what the verdict depends on: rejected, since it cannot be verified.
fn unreadable(resource: Resource<'_>, namespace: &str, why: &str, subject: &str) -> Verdict {
    // "Ingresses", not "Ingresss".
    let plural = if resource.kind.ends_with('s') {
        "es"
    } else {
        "s"
    };
    Verdict::reject(format!(
        "the {}{plural} of namespace {namespace:?} could not be read: {why}; {subject} is \
         rejected because it cannot be verified without them",
        resource.kind
    ))
}

/// The JSON of one list answer.
fn read(
    cluster: &dyn Cluster,
    resource: Resource<'_>,
    namespace: &str,
    fields: &[&str],
    subject: &str,
) -> Result<Vec<u8>, Verdict> {
    cluster
        .list_by_namespace(resource, namespace, fields)
        .map_err(|why| unreadable(resource, namespace, &why, subject))
}

fn parse<'b, T: serde::Deserialize<'b>>(
    bytes: &'b [u8],
    resource: Resource<'_>,
    namespace: &str,
    subject: &str,
) -> Result<Vec<T>, Verdict> {
    list_items(bytes).map_err(|why| unreadable(resource, namespace, &why, subject))
}

/// The answers a namespace's doors besides its Services are read from (a caller reads those
/// first, see [`settled_by_services`]). Gateway API routes are custom resources: a cluster
/// without their CRDs fails the read, which is noted, not held against the object.
struct DoorLists {
    ingresses: Vec<u8>,
    routes: Vec<(&'static str, Vec<u8>)>,
    notes: Vec<String>,
}

impl DoorLists {
    fn read(cluster: &dyn Cluster, namespace: &str, subject: &str) -> Result<Self, Verdict> {
        let ingresses = read(cluster, INGRESS, namespace, INGRESS_FIELDS, subject)?;
        let mut routes = Vec::new();
        let mut notes = Vec::new();
        for resource in [HTTP_ROUTE, GRPC_ROUTE] {
            match cluster.list_by_namespace(resource, namespace, ROUTE_FIELDS) {
                Ok(bytes) => routes.push((resource.kind, bytes)),
                Err(why) => notes.push(format!(
                    "the {}s of namespace {namespace:?} could not be read ({why}); exposure \
                     through them was not checked",
                    resource.kind
                )),
            }
        }
        Ok(DoorLists {
            ingresses,
            routes,
            notes,
        })
    }

    fn doors<'b>(
        &'b self,
        services: Vec<Service<'b>>,
        namespace: &'b str,
        subject: &str,
    ) -> Result<Doors<'b>, Verdict> {
        let mut routes = Vec::new();
        for (kind, bytes) in &self.routes {
            let resource = if *kind == HTTP_ROUTE.kind {
                HTTP_ROUTE
            } else {
                GRPC_ROUTE
            };
            let items: Vec<Route> = parse(bytes, resource, namespace, subject)?;
            routes.extend(items.into_iter().map(|r| (*kind, r)));
        }
        Ok(Doors {
            namespace,
            services,
            ingresses: parse(&self.ingresses, INGRESS, namespace, subject)?,
            routes,
        })
    }
}

/// The autoscalers of a namespace. KEDA is a custom resource: a failed read of ScaledObjects
/// is noted, and only counts when no HorizontalPodAutoscaler scales the workload.
struct ScalerLists {
    hpas: Vec<u8>,
    scaled_objects: Result<Vec<u8>, String>,
}

impl ScalerLists {
    fn read(cluster: &dyn Cluster, namespace: &str, subject: &str) -> Result<Self, Verdict> {
        Ok(ScalerLists {
            hpas: read(cluster, HPA, namespace, SCALER_FIELDS, subject)?,
            scaled_objects: cluster.list_by_namespace(SCALED_OBJECT, namespace, SCALER_FIELDS),
        })
    }

    fn parse<'b>(&'b self, namespace: &str, subject: &str) -> Result<Scalers<'b>, Verdict> {
        let hpas = parse(&self.hpas, HPA, namespace, subject)?;
        let (scaled_objects, keda_note) = match &self.scaled_objects {
            Ok(bytes) => (parse(bytes, SCALED_OBJECT, namespace, subject)?, None),
            Err(why) => (Vec::new(), Some(why.clone())),
        };
        Ok(Scalers {
            hpas,
            scaled_objects,
            keda_note,
        })
    }
}

struct Scalers<'b> {
    hpas: Vec<Object<'b>>,
    scaled_objects: Vec<Object<'b>>,
    keda_note: Option<String>,
}

impl Scalers<'_> {
    fn scale(&self, kind: &str, name: &str) -> bool {
        self.hpas
            .iter()
            .any(|a| a.scaler(Flavour::Hpa).scales(kind, name))
            || self
                .scaled_objects
                .iter()
                .any(|a| a.scaler(Flavour::Keda).scales(kind, name))
    }

    /// Why none was found, for messages: what the autoscalers present scale instead.
    fn none_found(&self, namespace: &str) -> String {
        let others: Vec<String> = self
            .hpas
            .iter()
            .map(|a| a.scaler(Flavour::Hpa))
            .chain(self.scaled_objects.iter().map(|a| a.scaler(Flavour::Keda)))
            .map(|s| {
                format!(
                    "{} scales {} {:?}",
                    s.describe(),
                    s.target_kind().unwrap_or("<no kind>"),
                    s.target_name()
                )
            })
            .collect();
        let mut text = if others.is_empty() {
            format!("namespace {namespace:?} has no HorizontalPodAutoscaler or ScaledObject")
        } else {
            format!(
                "no HorizontalPodAutoscaler or ScaledObject of namespace {namespace:?} scales it \
                 ({})",
                others.join(", ")
            )
        };
        if let Some(why) = &self.keda_note {
            text.push_str(&format!(" (ScaledObjects could not be read: {why})"));
        }
        text
    }
}

/// Deployments and StatefulSets of a namespace, by name and pod labels.
struct WorkloadLists {
    deployments: Vec<u8>,
    stateful_sets: Vec<u8>,
}

impl WorkloadLists {
    fn read(cluster: &dyn Cluster, namespace: &str, subject: &str) -> Result<Self, Verdict> {
        Ok(WorkloadLists {
            deployments: read(cluster, DEPLOYMENT, namespace, WORKLOAD_FIELDS, subject)?,
            stateful_sets: read(cluster, STATEFUL_SET, namespace, WORKLOAD_FIELDS, subject)?,
        })
    }

    fn parse<'b>(&'b self, namespace: &str, subject: &str) -> Result<Vec<Workload<'b>>, Verdict> {
        let mut out = Vec::new();
        for (bytes, resource, kind) in [
            (&self.deployments, DEPLOYMENT, WorkloadKind::Deployment),
            (&self.stateful_sets, STATEFUL_SET, WorkloadKind::StatefulSet),
        ] {
            let items: Vec<Object> = parse(bytes, resource, namespace, subject)?;
            // A listed workload without a template (pruned by a host) has no pod labels to
            // match: it is left out, as nothing can select it.
            out.extend(
                items
                    .into_iter()
                    .filter_map(|o| Workload::new(o, kind).ok()),
            );
        }
        Ok(out)
    }
}

fn exempt(settings: &Settings, labels: &StringMap<'_>) -> bool {
    settings
        .exempt_workloads
        .as_ref()
        .is_some_and(|s| s.matches(labels))
}

fn doors_text(doors: &[Door]) -> String {
    let names: Vec<String> = doors.iter().map(Door::to_string).collect();
    names.join(", ")
}

fn judge_scaler<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<Object<'a>>,
    flavour: Flavour,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Verdict, Verdict> {
    let object: Object = match object {
        Some(object) => of_kind(object, flavour.kind(), |a: &Object| a.kind())?,
        None => object_of_kind(request, flavour.kind(), |a: &Object| a.kind())?,
    };
    let scaler = object.scaler(flavour);
    let what = scaler.describe();
    let namespace = namespace_of(request, object.namespace(), &what)?;
    let mut findings = Findings::new();
    scaler.check(settings, &mut findings);

    let (min, set) = scaler.min_replicas();
    let target = scaler
        .target_kind()
        .and_then(WorkloadKind::from_kind)
        .filter(|k| matches!(k, WorkloadKind::Deployment | WorkloadKind::StatefulSet));
    if let Some(kind) = target.filter(|_| min < i64::from(settings.min_replicas)) {
        // Whether the target is exposed decides this rule; a target not created yet (GitOps
        // tools apply in any order) is judged when it comes.
        let lists = WorkloadLists::read(cluster, namespace, &what)?;
        let workloads = lists.parse(namespace, &what)?;
        let found = workloads
            .iter()
            .find(|w| w.kind == kind && w.name() == Some(scaler.target_name()));
        if let Some(workload) = found.filter(|w| !exempt(settings, w.pod_labels())) {
            let bytes = read(cluster, SERVICE, namespace, SERVICE_FIELDS, &what)?;
            let services: Vec<Service> = parse(&bytes, SERVICE, namespace, &what)?;
            // Only a Service that selects the pods leads to them (see `settled_by_services`).
            let labels = workload.pod_labels();
            let exposed = match services.iter().any(|s| s.selects(labels)) {
                true => DoorLists::read(cluster, namespace, &what)?
                    .doors(services, namespace, &what)?
                    .leading_to(labels),
                false => Vec::new(),
            };
            if !exposed.is_empty() {
                let path = scaler.min_path();
                let value = if set {
                    format!("{path} {min}")
                } else {
                    format!("{path} is not set and defaults to {min}, which")
                };
                findings.violation(
                    path,
                    format!(
                        "{value} is below {} (the minReplicas setting) while its target {} is \
                         exposed by {}: too few replicas take the first wave of a flood while \
                         new ones start; set {path} to at least {}",
                        settings.min_replicas,
                        workload.describe(),
                        doors_text(&exposed),
                        settings.min_replicas
                    ),
                );
            }
        }
    }
    Ok(findings.into_verdict())
}

fn judge_workload<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<Object<'a>>,
    kind: WorkloadKind,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Verdict, Verdict> {
    let object: Object = match object {
        Some(object) => object,
        None => request.object(kind.article()).map_err(Verdict::reject)?,
    };
    let workload = Workload::new(object, kind).map_err(Verdict::reject)?;
    // A terminating object's updates only remove finalizers.
    let deleting = workload
        .metadata()
        .is_some_and(|m| m.deletion_timestamp.is_some());
    if request.operation == Operation::Update && deleting {
        return Ok(Verdict::accept());
    }
    let what = workload.describe();
    let namespace = namespace_of(request, workload.namespace(), &what)?;
    if settings.exempt_namespaces.contains(namespace) || exempt(settings, workload.pod_labels()) {
        return Ok(Verdict::accept());
    }
    let bytes = read(cluster, SERVICE, namespace, SERVICE_FIELDS, &what)?;
    let services: Vec<Service> = parse(&bytes, SERVICE, namespace, &what)?;
    if let Some(verdict) = settled_by_services(&workload, &services, namespace, &what, cluster)? {
        return Ok(verdict);
    }
    let door_lists = DoorLists::read(cluster, namespace, &what)?;
    let doors = door_lists.doors(services, namespace, &what)?;
    let exposed = doors.leading_to(workload.pod_labels());
    let mut findings = Findings::new();
    if exposed.is_empty() {
        for note in &door_lists.notes {
            findings.warn(note.clone());
        }
        return Ok(findings.into_verdict());
    }
    let by = doors_text(&exposed);
    check_resources(&workload, &by, &mut findings);

    let scaler_lists = ScalerLists::read(cluster, namespace, &what)?;
    let scalers = scaler_lists.parse(namespace, &what)?;
    let name = workload.display_name();
    if !scalers.scale(kind.name(), &name) {
        let problem = format!(
            "{what} is exposed by {by}, but {}: a flood of requests meets a fixed number of \
             replicas. Add a HorizontalPodAutoscaler (or ScaledObject) with spec.scaleTargetRef \
             {{apiVersion: apps/v1, kind: {}, name: {name}}}, minReplicas at least {} and \
             maxReplicas at most {}",
            scalers.none_found(namespace),
            kind.name(),
            settings.min_replicas,
            settings.max_replicas_ceiling
        );
        match settings.on_missing {
            OnMissing::Reject => findings.violation("", problem),
            OnMissing::Warn => findings.warn(format!(
                "{problem} (accepted because onMissing is warn; the workload does not scale until \
                 such an autoscaler exists)"
            )),
        }
    }
    Ok(findings.into_verdict())
}

/// The verdict on a workload when its namespace's Services settle it, with fewer reads than
/// the full judgement (each answer from the host is a good part of a request's cost). Every
/// door is a Service that selects the pods, an Ingress's or a route's backends being Services:
/// when none selects them, nothing exposes the workload. When an external one does, the
/// workload is exposed whatever else leads to it, and one whose containers are in order and
/// that a HorizontalPodAutoscaler scales is accepted. `None` leaves it to the full judgement,
/// which also names every door in its messages.
fn settled_by_services(
    workload: &Workload<'_>,
    services: &[Service<'_>],
    namespace: &str,
    what: &str,
    cluster: &dyn Cluster,
) -> Result<Option<Verdict>, Verdict> {
    let labels = workload.pod_labels();
    let mut selecting = services.iter().filter(|s| s.selects(labels)).peekable();
    if selecting.peek().is_none() {
        return Ok(Some(Verdict::accept()));
    }
    if !selecting.any(|s| s.is_external()) {
        return Ok(None);
    }
    let mut findings = Findings::new();
    check_resources(workload, "", &mut findings);
    if findings.has_violations() {
        return Ok(None);
    }
    let hpas = read(cluster, HPA, namespace, SCALER_FIELDS, what)?;
    let name = workload.display_name();
    let scalers = Scalers {
        hpas: naming(&hpas, &name, HPA, namespace, what)?,
        scaled_objects: Vec::new(),
        keda_note: None,
    };
    let scaled = scalers.scale(workload.kind.name(), &name);
    Ok(scaled.then(Verdict::accept))
}

/// The listed autoscalers that may scale a workload called `name`, decoded; the others are
/// only scanned (`netsec_shared::scan`, which checks the whole answer is JSON). One scales it
/// only when its `scaleTargetRef.name` is `name`, which the scan finds among the strings under
/// a `name` key unless it is written with escapes (then the item is decoded). At a thousand
/// HorizontalPodAutoscalers, decoding each was a third of the request.
fn naming<'b>(
    bytes: &'b [u8],
    name: &str,
    resource: Resource<'_>,
    namespace: &str,
    subject: &str,
) -> Result<Vec<Object<'b>>, Verdict> {
    let mut out = Vec::new();
    let scanned = netsec_shared::mem::utf8(bytes)
        .map_err(|_| "the answer is not valid UTF-8".to_string())
        .and_then(|text| {
            scan::each_item(text, &["name"], |item| {
                if item.unsure || item.strings.contains(&name) {
                    out.push(json::from_str::<Object>(item.text)?);
                }
                Ok(())
            })
        });
    match scanned {
        Ok(()) => Ok(out),
        // Read whole, the answer fails as every other read does, naming the item and field.
        Err(why) => parse::<Object>(bytes, resource, namespace, subject).and_then(|_| {
            let why = format!("the answer is not a readable list: {why}");
            Err(unreadable(resource, namespace, &why, subject))
        }),
    }
}

/// Each container, and each sidecar (an init container that restarts always), needs a CPU
/// request: the HPA controller sums them per pod and computes utilisation against the sum
/// (calculatePodRequests in pkg/controller/podautoscaler/replica_calculator.go), and refuses
/// to scale ("missing request for cpu") when one has none. A CPU limit alone does: the API
/// server copies limits to unset requests when it creates the pods (SetDefaults_Pod), and so
/// does a pod-level `resources` (the controller reads pod-level requests when set). Memory
/// limits keep one flooded pod from taking its node's memory.
fn check_resources(workload: &Workload<'_>, by: &str, findings: &mut Findings) {
    let base = "spec.template.spec";
    let spec = workload.pod_spec();
    let pod = spec.resources();
    let pod_cpu = pod.cpu_request || pod.cpu_limit;
    let pod_memory = pod.memory_limit;
    for (path, container) in spec.containers(base) {
        let resources = container.resources();
        let name = container.name.as_deref().unwrap_or("");
        if !(pod_cpu || resources.cpu_request || resources.cpu_limit) {
            findings.violation(
                format!("{path}.resources.requests.cpu"),
                format!(
                    "{path} ({:?}) sets no CPU request, and {} is exposed by {by}: the \
                     HorizontalPodAutoscaler computes CPU utilisation against requests and does \
                     not scale pods with a container that has none; set \
                     {path}.resources.requests.cpu",
                    name,
                    workload.describe()
                ),
            );
        }
        if !(pod_memory || resources.memory_limit) {
            findings.violation(
                format!("{path}.resources.limits.memory"),
                format!(
                    "{path} ({:?}) sets no memory limit, and {} is exposed by {by}: under a \
                     flood one pod could take its node's memory from every other; set \
                     {path}.resources.limits.memory",
                    name,
                    workload.describe()
                ),
            );
        }
    }
}

/// Warnings for the workloads of the namespace that `newly` exposes and `before` did not,
/// when no autoscaler scales them.
fn warn_newly_exposed(
    cluster: &dyn Cluster,
    namespace: &str,
    what: &str,
    settings: &Settings,
    exposes: impl Fn(&Workload<'_>) -> (bool, bool),
) -> Result<Verdict, Verdict> {
    let lists = WorkloadLists::read(cluster, namespace, what)?;
    let workloads = lists.parse(namespace, what)?;
    let newly: Vec<&Workload> = workloads
        .iter()
        .filter(|w| !exempt(settings, w.pod_labels()))
        .filter(|w| matches!(exposes(w), (true, false)))
        .collect();
    let mut findings = Findings::new();
    if newly.is_empty() {
        return Ok(findings.into_verdict());
    }
    let scaler_lists = ScalerLists::read(cluster, namespace, what)?;
    let scalers = scaler_lists.parse(namespace, what)?;
    for w in newly {
        let name = w.display_name();
        if !scalers.scale(w.kind.name(), &name) {
            findings.warn(format!(
                "{what} exposes {} to traffic from outside the cluster, but {}: a flood of \
                 requests will meet a fixed number of replicas; add a HorizontalPodAutoscaler \
                 with spec.scaleTargetRef {{apiVersion: apps/v1, kind: {}, name: {name}}}",
                w.describe(),
                scalers.none_found(namespace),
                w.kind.name()
            ));
        }
    }
    Ok(findings.into_verdict())
}

fn judge_service(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Verdict, Verdict> {
    let service: Service = object_of_kind(request, "Service", |s: &Service| s.kind.as_deref())?;
    let what = format!("Service {:?}", service.name());
    let namespace = namespace_of(request, service.namespace(), &what)?;
    // The old object only narrows the warning; one that cannot be read narrows nothing.
    let old: Option<Service> = (request.operation == Operation::Update)
        .then(|| request.old_object("a Service").ok())
        .flatten();
    // The Service under admission is the one to follow: the listed ones are not read.
    let door_lists = DoorLists::read(cluster, namespace, &what)?;
    let doors = door_lists.doors(Vec::new(), namespace, &what)?;
    warn_newly_exposed(cluster, namespace, &what, settings, |w| {
        let labels = w.pod_labels();
        let then = old
            .as_ref()
            .is_some_and(|o| !doors.through(o, labels).is_empty());
        (!doors.through(&service, labels).is_empty(), then)
    })
}

fn judge_ingress(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<Verdict, Verdict> {
    let ingress: Ingress = object_of_kind(request, "Ingress", |i: &Ingress| i.kind.as_deref())?;
    let what = format!("Ingress {:?}", ingress.display_name());
    let namespace = namespace_of(request, ingress.namespace(), &what)?;
    let old: Option<Ingress> = (request.operation == Operation::Update)
        .then(|| request.old_object("an Ingress").ok())
        .flatten();
    let bytes = read(cluster, SERVICE, namespace, SERVICE_FIELDS, &what)?;
    let services: Vec<Service> = parse(&bytes, SERVICE, namespace, &what)?;
    let now = ingress_services(&ingress, &services);
    if now.is_empty() {
        return Ok(Verdict::accept());
    }
    let then = old
        .as_ref()
        .map(|o| ingress_services(o, &services))
        .unwrap_or_default();
    warn_newly_exposed(cluster, namespace, &what, settings, |w| {
        let labels = w.pod_labels();
        (
            now.iter().any(|s| s.selects(labels)),
            then.iter().any(|s| s.selects(labels)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use netsec_shared::settings::parse_settings;
    use serde_json::{Value, json};

    fn run(object: &Value, op: &str, settings: &str, cluster: &MemoryCluster) -> Verdict {
        let kind = object["kind"].as_str().unwrap_or_default();
        let group = object["apiVersion"]
            .as_str()
            .and_then(|v| v.split_once('/'))
            .map_or("", |(g, _)| g);
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
        let body = if op == "DELETE" {
            "oldObject"
        } else {
            "object"
        };
        let payload = json!({"request": {"operation": op, "kind": {"group": group, "kind": kind},
                                          "namespace": namespace, body: object},
                             "settings": {}})
        .to_string();
        let p = Payload::<Value>::parse(payload.as_bytes()).unwrap();
        let settings: Settings = parse_settings(settings.as_bytes()).unwrap();
        evaluate(&p.request, &settings, cluster)
    }

    fn web(resources: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "resources": resources}]}}}})
    }

    fn lb() -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb", "namespace": "shop"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "web"}}})
    }

    fn hpa(target: &str, min: i64, max: i64) -> Value {
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": target, "namespace": "shop"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                        "minReplicas": min, "maxReplicas": max}})
    }

    fn good() -> Value {
        json!({"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}})
    }

    #[test]
    fn exposed_workloads() {
        let reject = r#"{"onMissing":"reject"}"#;
        let scaled = MemoryCluster::new(vec![lb(), hpa("web", 2, 10)]);
        assert!(run(&web(good()), "CREATE", reject, &scaled).is_accepted());
        let unscaled = MemoryCluster::new(vec![lb(), hpa("api", 2, 10)]);
        let m = run(&web(good()), "CREATE", reject, &unscaled)
            .message()
            .unwrap();
        assert!(
            m.contains("Deployment \"web\" is exposed by Service \"lb\" of type LoadBalancer"),
            "{m}"
        );
        assert!(
            m.contains("HorizontalPodAutoscaler \"api\" scales Deployment \"api\""),
            "{m}"
        );
        let v = run(&web(good()), "CREATE", "{}", &unscaled);
        assert!(
            v.is_accepted() && v.warnings()[0].contains("onMissing is warn"),
            "{v:?}"
        );
        let m = run(&web(json!({})), "CREATE", "{}", &scaled)
            .message()
            .unwrap();
        assert!(
            m.contains("sets no CPU request") && m.contains("sets no memory limit"),
            "{m}"
        );
        let nothing = MemoryCluster::default();
        assert!(run(&web(json!({})), "CREATE", reject, &nothing).is_accepted());
        assert!(
            run(
                &web(json!({})),
                "DELETE",
                reject,
                &MemoryCluster::failing("no")
            )
            .is_accepted()
        );
    }

    #[test]
    fn listed_autoscalers_are_scanned() {
        let reject = r#"{"onMissing":"reject"}"#;
        // The HPA that scales the workload is found among others.
        let cluster = MemoryCluster::new(vec![hpa("api", 2, 10), lb(), hpa("web", 2, 10)]);
        assert!(run(&web(good()), "CREATE", reject, &cluster).is_accepted());
        // Only the items whose strings under `name` hold the name, or that the scan cannot
        // read exactly (escapes), are decoded.
        let answer = br#"{"items":[
            {"metadata":{"name":"a"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"api"}}},
            {"metadata":{"name":"b"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"w\u0065b"}}},
            {"metadata":{"name":"c"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"}}},
            {"metadata":{"name":"d"},"spec":{"scaleTargetRef":"not read"}}]}"#;
        let decoded = naming(answer, "web", HPA, "shop", "x").unwrap();
        let names: Vec<String> = decoded.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["b", "c"]);
        assert!(naming(br#"{"items":[{]}"#, "web", HPA, "shop", "x").is_err());
        // An HPA named after the workload that scales something else does not count.
        let mut other = hpa("api", 2, 10);
        other["metadata"]["name"] = json!("web");
        let cluster = MemoryCluster::new(vec![lb(), other]);
        let m = run(&web(good()), "CREATE", reject, &cluster)
            .message()
            .unwrap();
        assert!(
            m.contains("HorizontalPodAutoscaler \"web\" scales Deployment \"api\""),
            "{m}"
        );
        // A broken HPA fails the read, named as every read names it.
        let mut broken = hpa("web", 2, 10);
        broken["spec"]["scaleTargetRef"] = json!(7);
        let cluster = MemoryCluster::new(vec![lb(), hpa("api", 2, 10), broken]);
        let m = run(&web(good()), "CREATE", reject, &cluster)
            .message()
            .unwrap();
        assert!(
            m.contains("items[1].spec.scaleTargetRef: invalid type: integer `7`"),
            "{m}"
        );
    }

    #[test]
    fn autoscalers() {
        let cluster = MemoryCluster::new(vec![lb(), web(good())]);
        assert!(run(&hpa("web", 2, 50), "CREATE", "{}", &cluster).is_accepted());
        let m = run(&hpa("web", 1, 51), "CREATE", "{}", &cluster)
            .message()
            .unwrap();
        assert!(
            m.contains("spec.maxReplicas 51 is above maxReplicasCeiling 50"),
            "{m}"
        );
        assert!(m.contains("spec.minReplicas 1 is below 2"), "{m}");
        // The target is not exposed: one replica is fine.
        let quiet = MemoryCluster::new(vec![web(good())]);
        assert!(run(&hpa("web", 1, 10), "CREATE", "{}", &quiet).is_accepted());
    }

    #[test]
    fn failed_reads() {
        let m = run(
            &web(good()),
            "CREATE",
            "{}",
            &MemoryCluster::failing("refused"),
        )
        .message()
        .unwrap();
        assert_eq!(
            m,
            "the Services of namespace \"shop\" could not be read: refused; Deployment \"web\" \
             is rejected because it cannot be verified without them"
        );
        // The minimum of a HPA needs no read when it is high enough.
        assert!(
            run(
                &hpa("web", 2, 10),
                "CREATE",
                "{}",
                &MemoryCluster::failing("x")
            )
            .is_accepted()
        );
    }

    /// The Services are read first, and what they settle needs no other read: a failed read
    /// of Ingresses is held against the workload only when the verdict depends on them.
    #[test]
    fn services_settle_what_they_can() {
        let reject = r#"{"onMissing":"reject"}"#;
        let clusterip = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"selector": {"app": "web"}}});
        let other = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "api"}}});
        let cluster = |objects: Vec<Value>| MemoryCluster::new(objects).without(INGRESS);
        // Exposed by a LoadBalancer and scaled: the Ingresses cannot change the verdict.
        let scaled = cluster(vec![lb(), hpa("web", 2, 10)]);
        assert!(run(&web(good()), "CREATE", reject, &scaled).is_accepted());
        // No Service selects the pods: no Ingress or route can lead to them.
        let unselected = cluster(vec![other.clone()]);
        assert!(run(&web(json!({})), "CREATE", reject, &unselected).is_accepted());
        assert!(
            run(
                &hpa("web", 1, 10),
                "CREATE",
                "{}",
                &cluster(vec![other, web(good())])
            )
            .is_accepted()
        );
        // Only a ClusterIP Service selects them: an Ingress may expose it, so they are read.
        let m = run(&web(good()), "CREATE", reject, &cluster(vec![clusterip]))
            .message()
            .unwrap();
        assert!(
            m.starts_with("the Ingresses of namespace \"shop\" could not be read"),
            "{m}"
        );
        // A finding names every door, so everything is read for its message.
        let m = run(&web(json!({})), "CREATE", reject, &cluster(vec![lb()]))
            .message()
            .unwrap();
        assert!(m.contains("the Ingresses of namespace"), "{m}");
    }

    #[test]
    fn exposure_changes_warn() {
        let cluster = MemoryCluster::new(vec![web(good())]);
        let v = run(&lb(), "CREATE", "{}", &cluster);
        assert!(v.is_accepted());
        assert!(
            v.warnings()[0].starts_with("Service \"lb\" exposes Deployment \"web\""),
            "{v:?}"
        );
        let with_hpa = MemoryCluster::new(vec![web(good()), hpa("web", 2, 10)]);
        assert!(run(&lb(), "CREATE", "{}", &with_hpa).warnings().is_empty());
        assert!(
            run(
                &lb(),
                "CREATE",
                r#"{"judgeExposureChanges":false}"#,
                &cluster
            )
            .warnings()
            .is_empty()
        );
    }
}
