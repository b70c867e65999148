//! `netsec scan`: every policy's verdict on every object of a set of manifests, before they reach
//! a cluster. Each object becomes the CREATE AdmissionRequest the API server would send, goes to
//! the policies whose webhook would be called for it, and is evaluated by the same host as
//! `netsec run`; mutating policies run first and the validating ones see their result, as in the
//! API server's admission chain.

pub mod command;
pub mod input;
pub mod junit;
pub mod matching;
pub mod policies;
pub mod policyreport;
pub mod report;
pub mod sarif;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::{Value, json};

use crate::admission::{self, AdmissionResponse, RequestSpec};
use crate::cluster::Cluster;
use crate::host::PolicyHost;
use crate::oci::Transport;
use input::{Document, Event, Source};
use matching::{Attributes, Kinds, Namespaces};
use policies::{Body, Policy, Resolver};

/// What the command line asks for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub bundle: Option<PathBuf>,
    /// `--policy`: module files or registry references.
    pub policy: Vec<String>,
    /// `--policies`: Kubewarden policy manifests.
    pub policies: Vec<PathBuf>,
    pub cluster: Vec<PathBuf>,
    /// The namespace of namespaced objects that name none (`kubectl apply -n`).
    pub namespace: String,
    pub user: Option<String>,
    pub groups: Vec<String>,
    pub insecure: bool,
    pub jobs: Option<usize>,
}

/// The policies to apply, in the order the API server calls them.
pub fn load_policies(options: &Options) -> Result<Vec<Policy>> {
    let resolver = Resolver {
        bundle: options.bundle.clone(),
        cache: policies::default_cache(),
        transport: Transport {
            insecure: options.insecure,
        },
    };
    let mut out = Vec::new();
    for reference in &options.policy {
        out.push(policies::from_module(resolver.module(reference)?));
    }
    if !options.policies.is_empty() {
        out.extend(policies::from_manifests(&options.policies, &resolver)?);
    }
    if options.policy.is_empty() && options.policies.is_empty() {
        let dir = options
            .bundle
            .clone()
            .unwrap_or_else(|| PathBuf::from("dist"));
        out = policies::bundle(&dir)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    for policy in &out {
        if !seen.insert(policy.id.clone()) {
            bail!("the policy {} is given twice", policy.id);
        }
    }
    // Mutating webhooks run before validating ones; within each kind the API server orders
    // webhook configurations by name, and Kubewarden names each after its policy.
    out.sort_by(|a, b| (!a.mutating, &a.id).cmp(&(!b.mutating, &b.id)));
    Ok(out)
}

/// Policies, cluster context and request defaults, shared by the workers.
pub struct Prepared {
    pub policies: Vec<Policy>,
    cluster: Cluster,
    kinds: Kinds,
    namespaces: Namespaces,
    namespace: String,
    user_info: Option<Value>,
}

impl Prepared {
    /// Checks every policy's settings as policy-server does at start, and gathers the cluster
    /// context: the objects of `--cluster` and the scanned objects the policies may look up.
    /// Returns the number of objects the sources hold.
    pub fn new(
        policies: Vec<Policy>,
        options: &Options,
        sources: &[Source],
    ) -> Result<(Prepared, usize)> {
        for policy in &policies {
            for evaluated in policy.evaluated() {
                let mut host = evaluated
                    .host()
                    .with_context(|| format!("cannot load {}", evaluated.module.source))?;
                if let Err(message) = host.validate_settings(&evaluated.settings)? {
                    bail!(
                        "policy {}: the settings are not valid ({}): {message}",
                        policy.id,
                        evaluated.module.source
                    );
                }
            }
        }
        let wanted: std::collections::BTreeSet<(String, String)> = policies
            .iter()
            .flat_map(|p| p.evaluated())
            .flat_map(|e| e.context_resources())
            .map(|r| (r.api_version, r.kind))
            .collect();
        let keep = |api: &str, kind: &str| {
            (api == "v1" && kind == "Namespace")
                || (api.starts_with("apiextensions.k8s.io/") && kind == "CustomResourceDefinition")
                || wanted.contains(&(api.to_string(), kind.to_string()))
        };
        let mut context = Vec::new();
        for path in &options.cluster {
            let mut failed = None;
            input::read(&Source::File(path.clone()), &mut |event| match event {
                Event::Object(doc) => context.push(doc.object),
                Event::Error {
                    file,
                    line,
                    message,
                } if failed.is_none() => {
                    failed = Some(format!("--cluster {file}:{}: {message}", line.unwrap_or(1)))
                }
                _ => {}
            });
            if let Some(message) = failed {
                bail!(message);
            }
        }
        let mut count = 0;
        let mut scanned = Vec::new();
        for source in sources {
            count += input::prescan(source, &keep, &mut scanned);
        }
        let mut kinds = Kinds::default();
        for object in context.iter().chain(&scanned) {
            if object["kind"] == "CustomResourceDefinition" {
                kinds.add_crd(object);
            }
        }
        let mut prepared = Prepared {
            policies,
            cluster: Cluster::default(),
            kinds,
            namespaces: Namespaces::default(),
            namespace: if options.namespace.is_empty() {
                "default".into()
            } else {
                options.namespace.clone()
            },
            user_info: match (&options.user, options.groups.is_empty()) {
                (None, true) => None,
                (user, _) => Some(json!({
                    "username": user.as_deref().unwrap_or("kubernetes-admin"),
                    "groups": if options.groups.is_empty() {
                        vec!["system:authenticated".to_string()]
                    } else {
                        options.groups.clone()
                    },
                })),
            },
        };
        let mut objects = Vec::new();
        for mut object in context.into_iter().chain(scanned) {
            prepared.default_namespace(&mut object);
            if object["kind"] == "Namespace" {
                prepared.namespaces.add(&object);
            }
            // The host answers lookups by name; an object without one is not in any cluster.
            if object["metadata"]["name"].is_string() {
                objects.push(object);
            }
        }
        prepared.cluster = Cluster::new(objects).context("the cluster context")?;
        Ok((prepared, count))
    }

    /// `kubectl apply -n`: a namespaced object without a namespace gets the scan's; a
    /// cluster-scoped one loses any namespace it names, as the API server ignores it.
    fn default_namespace(&self, object: &mut Value) {
        let (group, _) = group_version(object);
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let cluster_scoped = self.kinds.is_cluster_scoped(&group, &kind);
        if !object["metadata"].is_object() {
            object["metadata"] = json!({});
        }
        let Some(metadata) = object["metadata"].as_object_mut() else {
            return;
        };
        let named = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .is_some_and(|ns| !ns.is_empty());
        if cluster_scoped {
            metadata.remove("namespace");
        } else if !named {
            metadata.insert("namespace".into(), json!(self.namespace));
        }
    }
}

fn group_version(object: &Value) -> (String, String) {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// How a policy answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Rejected,
    /// The policy could not give an answer (a trap, a timeout, a malformed response); the API
    /// server rejects the request (Kubewarden's webhooks fail closed).
    Error,
}

/// One policy's verdict on one object.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub policy: String,
    pub outcome: Outcome,
    /// False for a policy in `mode: monitor`, whose rejections do not block.
    pub enforced: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The JSONPatch a mutating policy would apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
    /// Lookups the verdict rested on that neither the scanned objects nor `--cluster` answered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_context: Vec<String>,
}

impl Verdict {
    /// A rejection (or error) that blocks the object.
    pub fn blocks(&self) -> bool {
        self.enforced && self.outcome != Outcome::Accepted
    }
}

/// The verdicts on one object.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectResult {
    pub file: String,
    pub line: usize,
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub verdicts: Vec<Verdict>,
}

impl ObjectResult {
    /// `Kind namespace/name`, or `Kind name` when cluster-scoped.
    pub fn title(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

/// What the report says of each policy.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInfo {
    pub id: String,
    pub modules: Vec<String>,
    pub mutating: bool,
    pub monitor: bool,
    pub context_aware: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl PolicyInfo {
    fn of(policy: &Policy) -> PolicyInfo {
        PolicyInfo {
            id: policy.id.clone(),
            modules: policy
                .evaluated()
                .iter()
                .map(|e| e.module.source.clone())
                .collect(),
            mutating: policy.mutating,
            monitor: policy.monitor,
            context_aware: policy.is_context_aware(),
            category: policy.category.clone(),
            severity: policy.severity.clone(),
            description: policy.description.clone(),
        }
    }
}

/// Everything a scan found.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub policies: Vec<PolicyInfo>,
    pub objects: Vec<ObjectResult>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<InputError>,
}

/// Exit status: 2 on an input error, 1 when an object is rejected (unless `warn_only`), else 0.
pub fn exit_code(report: &Report, warn_only: bool) -> u8 {
    if !report.errors.is_empty() {
        2
    } else if !warn_only
        && report
            .objects
            .iter()
            .any(|o| o.verdicts.iter().any(Verdict::blocks))
    {
        1
    } else {
        0
    }
}

/// The counts a report ends with.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Tally {
    pub objects: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub errors: usize,
    pub mutated: usize,
}

impl Report {
    pub fn tally(&self) -> Tally {
        let mut t = Tally {
            objects: self.objects.len(),
            ..Tally::default()
        };
        for v in self.objects.iter().flat_map(|o| &o.verdicts) {
            match v.outcome {
                Outcome::Accepted => t.accepted += 1,
                Outcome::Rejected => t.rejected += 1,
                Outcome::Error => t.errors += 1,
            }
            if v.patch.is_some() {
                t.mutated += 1;
            }
        }
        t
    }
}

enum Done {
    Object(ObjectResult),
    Skipped(Skipped),
    Error(InputError),
}

/// Evaluates every object of the sources with `jobs` workers (each with its own instance of each
/// module, reused for all its objects); `tick` is called once per document handled.
pub fn run(
    prepared: &Prepared,
    sources: &[Source],
    extra_errors: Vec<Event>,
    jobs: usize,
    tick: &(dyn Fn() + Sync),
) -> Report {
    let jobs = jobs.max(1);
    // Bounded: the reader stays a little ahead of the workers, so objects are decoded as they are
    // evaluated rather than all at once.
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Event)>(jobs * 8);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Done)>();
    let mut done = BTreeMap::new();
    let offset = extra_errors.len();
    for (i, event) in extra_errors.into_iter().enumerate() {
        done.insert(i, passthrough(event));
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut seq = offset;
            for source in sources {
                input::read(source, &mut |event| {
                    // The receivers live until the reader ends.
                    let _ = work_tx.send((seq, event));
                    seq += 1;
                });
            }
        });
        for _ in 0..jobs {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || {
                let mut worker = Worker::new(prepared);
                loop {
                    let next = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((seq, event)) = next else { break };
                    let result = match event {
                        Event::Object(doc) => worker.evaluate(seq, doc),
                        other => passthrough(other),
                    };
                    if done_tx.send((seq, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        for (seq, result) in done_rx {
            if matches!(result, Done::Object(_)) {
                tick();
            }
            done.insert(seq, result);
        }
    });
    let mut report = Report {
        policies: prepared.policies.iter().map(PolicyInfo::of).collect(),
        objects: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
    };
    for result in done.into_values() {
        match result {
            Done::Object(o) => report.objects.push(o),
            Done::Skipped(s) => report.skipped.push(s),
            Done::Error(e) => report.errors.push(e),
        }
    }
    report
}

fn passthrough(event: Event) -> Done {
    match event {
        Event::Skipped { file, line, reason } => Done::Skipped(Skipped { file, line, reason }),
        Event::Error {
            file,
            line,
            message,
        } => Done::Error(InputError {
            file,
            line,
            message,
        }),
        Event::Object(doc) => Done::Error(InputError {
            file: doc.file,
            line: Some(doc.line),
            message: "the object was not evaluated".into(),
        }),
    }
}

/// One worker's instances: for each policy, one host per module.
struct Worker<'a> {
    prepared: &'a Prepared,
    hosts: Vec<Result<Vec<PolicyHost>, String>>,
}

impl<'a> Worker<'a> {
    fn new(prepared: &'a Prepared) -> Worker<'a> {
        let hosts = prepared
            .policies
            .iter()
            .map(|policy| {
                policy
                    .evaluated()
                    .iter()
                    .map(|e| {
                        let mut host = e.host().map_err(|e| format!("{e:#}"))?;
                        host.set_cluster(prepared.cluster.clone());
                        Ok(host)
                    })
                    .collect()
            })
            .collect();
        Worker { prepared, hosts }
    }

    fn evaluate(&mut self, seq: usize, doc: Document) -> Done {
        let prepared = self.prepared;
        let Document {
            file,
            line,
            mut object,
        } = doc;
        prepared.default_namespace(&mut object);
        let (group, version) = group_version(&object);
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .or(object["metadata"]["generateName"].as_str())
            .unwrap_or_default()
            .to_string();
        let namespace = object["metadata"]["namespace"].as_str().map(str::to_string);
        let resource = prepared
            .kinds
            .plural(&group, &kind)
            .unwrap_or_else(|| admission::plural(&kind));
        let mut result = ObjectResult {
            file,
            line,
            api_version: object["apiVersion"].as_str().unwrap_or_default().into(),
            kind: kind.clone(),
            namespace: namespace.clone(),
            name: name.clone(),
            verdicts: Vec::new(),
        };
        if matching::is_exempt(&group, &kind) {
            return Done::Object(result);
        }
        let spec = RequestSpec {
            object: Some(object),
            operation: "CREATE".into(),
            user_info: prepared.user_info.clone(),
            resource: Some(resource.clone()),
            uid: format!("00000000-0000-4000-8000-{:012x}", seq),
            ..RequestSpec::default()
        };
        let mut request = match admission::build_request(&spec) {
            Ok(r) => r,
            Err(e) => {
                return Done::Error(InputError {
                    file: result.file,
                    line: Some(result.line),
                    message: format!("{e:#}"),
                });
            }
        };
        let is_namespace = group.is_empty() && kind == "Namespace";
        let attr_namespace = if is_namespace {
            name.clone()
        } else {
            namespace.clone().unwrap_or_default()
        };
        for (index, policy) in prepared.policies.iter().enumerate() {
            let attrs = Attributes {
                group: &group,
                version: &version,
                resource: &resource,
                subresource: "",
                operation: "CREATE",
                namespace: &attr_namespace,
            };
            let labels = &request["object"]["metadata"]["labels"];
            let called = policy
                .rules
                .iter()
                .any(|r| matching::rule_matches(r, &attrs))
                && matching::namespace_selected(
                    policy.namespace_selector.as_ref(),
                    &attrs,
                    labels,
                    &prepared.namespaces,
                )
                && matching::object_selected(policy.object_selector.as_ref(), labels);
            if !called {
                continue;
            }
            let verdict = match &mut self.hosts[index] {
                Ok(hosts) => evaluate_policy(policy, hosts, &mut request),
                Err(e) => Verdict {
                    policy: policy.id.clone(),
                    outcome: Outcome::Error,
                    enforced: !policy.monitor,
                    message: Some(format!("the policy could not be loaded: {e}")),
                    warnings: Vec::new(),
                    patch: None,
                    missing_context: Vec::new(),
                },
            };
            result.verdicts.push(verdict);
        }
        Done::Object(result)
    }
}

/// Evaluates one policy (or group) on the request; a mutating policy's patch is applied to the
/// request's object, so that later policies see it.
fn evaluate_policy(policy: &Policy, hosts: &mut [PolicyHost], request: &mut Value) -> Verdict {
    let mut verdict = Verdict {
        policy: policy.id.clone(),
        outcome: Outcome::Accepted,
        enforced: !policy.monitor,
        message: None,
        warnings: Vec::new(),
        patch: None,
        missing_context: Vec::new(),
    };
    match &policy.body {
        Body::Single(evaluated) => {
            let host = &mut hosts[0];
            let outcome = host.validate(request, &evaluated.settings);
            collect_context(host, &mut verdict.missing_context);
            match outcome {
                Err(failure) => {
                    verdict.outcome = Outcome::Error;
                    verdict.message = Some(failure.to_string());
                }
                Ok(guest) => {
                    let mutates = guest.mutated_object.is_some();
                    let response = AdmissionResponse::from_guest(request, Ok(guest));
                    verdict.warnings = response.warnings.clone().unwrap_or_default();
                    verdict.message = response.message().map(str::to_string);
                    if !response.allowed {
                        verdict.outcome = Outcome::Rejected;
                    } else if mutates && !policy.mutating {
                        // policy-server refuses a mutation from a policy not deployed as
                        // mutating, whatever else it answered.
                        verdict.outcome = Outcome::Rejected;
                        verdict.message = Some(format!(
                            "the policy {} tried to mutate the object, but it is not deployed \
                             as mutating (spec.mutating: false)",
                            policy.id
                        ));
                    } else if let Some(patch) = response.decoded_patch() {
                        if let Some(object) = request.get_mut("object") {
                            let _ = json_patch::patch(object, &patch);
                        }
                        verdict.patch = serde_json::to_value(&patch).ok();
                    }
                }
            }
        }
        Body::Group {
            members,
            expression,
            message,
        } => {
            let mut accepted = BTreeMap::new();
            let mut causes = Vec::new();
            for ((member, evaluated), host) in members.iter().zip(hosts.iter_mut()) {
                let outcome = host.validate(request, &evaluated.settings);
                collect_context(host, &mut verdict.missing_context);
                let (ok, why) = match outcome {
                    Ok(guest) => {
                        verdict
                            .warnings
                            .extend(guest.warnings.clone().unwrap_or_default());
                        (guest.accepted, guest.message)
                    }
                    Err(failure) => (false, Some(failure.to_string())),
                };
                if !ok {
                    causes.push(format!(
                        "{member}: {}",
                        why.unwrap_or_else(|| "rejected".into())
                    ));
                }
                accepted.insert(member.as_str(), ok);
            }
            let ok = expression.eval(&|m| accepted.get(m).copied().unwrap_or(false));
            if !ok {
                verdict.outcome = Outcome::Rejected;
                let mut text = message.clone();
                if !causes.is_empty() {
                    text.push_str(" (");
                    text.push_str(&causes.join("; "));
                    text.push(')');
                }
                verdict.message = Some(text);
            }
        }
    }
    verdict
}

fn collect_context(host: &mut PolicyHost, missing: &mut Vec<String>) {
    host.take_logs();
    for lookup in host.take_lookups() {
        if lookup.found {
            continue;
        }
        let what = format!("{}/{}", lookup.api_version, lookup.kind);
        let text = match (lookup.operation.as_str(), &lookup.name, &lookup.namespace) {
            ("get_resource", Some(name), Some(ns)) => format!("{what} {ns}/{name} was not found"),
            ("get_resource", Some(name), None) => format!("{what} {name} was not found"),
            (_, _, Some(ns)) => format!("no {what} in namespace {ns}"),
            _ => format!("no {what} in any namespace"),
        };
        let text =
            format!("{text} among the scanned objects or --cluster; the cluster may hold one");
        if !missing.contains(&text) {
            missing.push(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(outcome: Outcome, enforced: bool) -> Verdict {
        Verdict {
            policy: "p".into(),
            outcome,
            enforced,
            message: None,
            warnings: vec![],
            patch: None,
            missing_context: vec![],
        }
    }

    fn report(verdicts: Vec<Verdict>, errors: usize) -> Report {
        Report {
            policies: vec![],
            objects: vec![ObjectResult {
                file: "a.yaml".into(),
                line: 1,
                api_version: "v1".into(),
                kind: "Service".into(),
                namespace: Some("default".into()),
                name: "web".into(),
                verdicts,
            }],
            skipped: vec![],
            errors: (0..errors)
                .map(|_| InputError {
                    file: "b.yaml".into(),
                    line: Some(2),
                    message: "not valid YAML".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn exit_codes() {
        let accepted = report(vec![verdict(Outcome::Accepted, true)], 0);
        assert_eq!(exit_code(&accepted, false), 0);
        let rejected = report(vec![verdict(Outcome::Rejected, true)], 0);
        assert_eq!(exit_code(&rejected, false), 1);
        assert_eq!(exit_code(&rejected, true), 0, "--warn-only");
        let errored = report(vec![verdict(Outcome::Error, true)], 0);
        assert_eq!(
            exit_code(&errored, false),
            1,
            "a failing policy fails closed"
        );
        let monitored = report(vec![verdict(Outcome::Rejected, false)], 0);
        assert_eq!(
            exit_code(&monitored, false),
            0,
            "monitor mode does not block"
        );
        let broken = report(vec![verdict(Outcome::Rejected, true)], 1);
        assert_eq!(exit_code(&broken, false), 2);
        assert_eq!(exit_code(&broken, true), 2, "input errors are not warnings");
    }

    #[test]
    fn namespaces_default_like_kubectl_apply() {
        let prepared = Prepared {
            policies: vec![],
            cluster: Cluster::default(),
            kinds: Kinds::default(),
            namespaces: Namespaces::default(),
            namespace: "shop".into(),
            user_info: None,
        };
        let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}});
        prepared.default_namespace(&mut svc);
        assert_eq!(svc["metadata"]["namespace"], "shop");
        let mut named = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "a", "namespace": "other"}});
        prepared.default_namespace(&mut named);
        assert_eq!(named["metadata"]["namespace"], "other");
        let mut class = json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "nginx", "namespace": "x"}});
        prepared.default_namespace(&mut class);
        assert!(class["metadata"].get("namespace").is_none());
        let mut bare = json!({"apiVersion": "v1", "kind": "ConfigMap"});
        prepared.default_namespace(&mut bare);
        assert_eq!(bare["metadata"]["namespace"], "shop");
    }
}
