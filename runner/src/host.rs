//! A waPC host for Kubewarden policies, behaving like policy-server: wasmtime with WASI preview1,
//! one instance reused across evaluations, `validate_settings` before `validate`, the
//! `kubewarden` host callbacks (tracing, Kubernetes reads gated by `contextAwareResources`), and an
//! epoch deadline that turns a runaway evaluation into a rejection.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use netsec_shared::cluster::{Resource, host_words};
use serde::Deserialize;
use serde_json::{Value, json};
use wapc::WapcHost;
use wasmtime_provider::wasmtime;
use wasmtime_provider::{EpochDeadlines, WasmtimeEngineProviderBuilder};

use crate::cluster::Cluster;
use crate::metadata::Metadata;

/// How often the shared engine's epoch advances; deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(50);
/// Policy-server's default `--policy-timeout`.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);
/// The message policy-server gives when the epoch deadline interrupts a policy.
pub const INTERRUPTED: &str =
    "Policy execution interrupted because it exceeded the allowed execution time";

/// What the guest answered to `validate` (the SDK's `ValidationResponse`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct GuestResponse {
    pub accepted: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub audit_annotations: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// How an evaluation ended when the guest gave no well-formed answer.
#[derive(Debug)]
pub enum GuestFailure {
    /// The epoch deadline stopped the guest.
    Interrupted,
    /// The guest trapped or reported an error.
    Trapped(String),
    /// The guest answered something that is not a ValidationResponse.
    Malformed(String),
}

impl std::fmt::Display for GuestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuestFailure::Interrupted => f.write_str(INTERRUPTED),
            GuestFailure::Trapped(e) => write!(f, "the policy failed: {e}"),
            GuestFailure::Malformed(e) => write!(f, "the policy gave a malformed response: {e}"),
        }
    }
}

impl std::error::Error for GuestFailure {}

/// Everything a host callback may need; swapped per evaluation.
#[derive(Default)]
struct CallState {
    cluster: Cluster,
    metadata: Option<Metadata>,
    verbose: bool,
    logs: Vec<String>,
    lookups: Vec<Lookup>,
    /// Reads are not noted (see [`PolicyHost::record_lookups`]).
    unrecorded: bool,
}

/// One Kubernetes read a policy was granted, and whether the cluster had an answer: a scan
/// reports verdicts that rested on objects it could not see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub operation: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `get` found the object, or `list` returned at least one item.
    pub found: bool,
    /// The size of the JSON answer handed to the guest (0 when the read failed): what the
    /// policy had to read besides its request, which the benchmarks count as input.
    pub answer_bytes: usize,
}

/// One policy module, instantiated once and reused.
pub struct PolicyHost {
    module: wasmtime::Module,
    deadline: Duration,
    state: Arc<Mutex<CallState>>,
    wapc: WapcHost,
    metadata: Option<Metadata>,
}

fn engine() -> &'static wasmtime::Engine {
    static ENGINE: OnceLock<wasmtime::Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        // policy-evaluator enables it for modules from recent Go compilers; keep the same engine.
        config.wasm_function_references(true);
        // `perf` can name guest functions when wasmtime writes a perf map (bench/examples).
        if std::env::var_os("NETSEC_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = wasmtime::Engine::new(&config).expect("the wasmtime configuration is valid");
        let ticker = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        });
        engine
    })
}

/// Compiled modules by content, so that many scenario files over one policy compile it once.
fn compile(bytes: &[u8]) -> Result<wasmtime::Module> {
    static CACHE: OnceLock<Mutex<HashMap<Vec<u8>, wasmtime::Module>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(module) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(bytes) {
        return Ok(module.clone());
    }
    let module = wasmtime::Module::new(engine(), bytes)
        .map_err(|e| anyhow!("{e:#}"))
        .context("cannot compile the WebAssembly module")?;
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(bytes.to_vec(), module.clone());
    Ok(module)
}

/// Compiles a module as policy-server does when it starts or a policy changes, bypassing the
/// cache: the cold start `make bench` measures.
pub fn compile_cold(bytes: &[u8]) -> Result<()> {
    wasmtime::Module::new(engine(), bytes)
        .map(drop)
        .map_err(|e| anyhow!("{e:#}"))
        .context("cannot compile the WebAssembly module")
}

impl PolicyHost {
    /// Loads a policy module (annotated or not) with the default deadline.
    pub fn load(bytes: &[u8]) -> Result<PolicyHost> {
        PolicyHost::with_deadline(bytes, DEFAULT_DEADLINE)
    }

    pub fn with_deadline(bytes: &[u8], deadline: Duration) -> Result<PolicyHost> {
        let metadata = Metadata::from_wasm(bytes)?;
        let module = compile(bytes)?;
        let state = Arc::new(Mutex::new(CallState {
            metadata: metadata.clone(),
            ..CallState::default()
        }));
        let wapc = instantiate(&module, deadline, &state)?;
        Ok(PolicyHost {
            module,
            deadline,
            state,
            wapc,
            metadata,
        })
    }

    pub fn from_file(path: &std::path::Path) -> Result<PolicyHost> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        PolicyHost::load(&bytes).with_context(|| format!("cannot load {}", path.display()))
    }

    /// The metadata embedded in the module, if it was annotated.
    pub fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref()
    }

    /// Prints guest log events on stderr as they arrive.
    pub fn set_verbose(&mut self, verbose: bool) {
        self.lock().verbose = verbose;
    }

    /// The objects Kubernetes host calls see from now on.
    pub fn set_cluster(&mut self, cluster: Cluster) {
        self.lock().cluster = cluster;
    }

    /// Replaces the Kubernetes resources the policy may read (a deployed policy's
    /// `spec.contextAwareResources`, which policy-server uses instead of the metadata's).
    pub fn set_context_aware_resources(
        &mut self,
        resources: std::collections::BTreeSet<crate::metadata::ContextAwareResource>,
    ) {
        if let Some(metadata) = self.lock().metadata.as_mut() {
            metadata.context_aware_resources = resources;
        }
    }

    /// Whether the granted Kubernetes reads are noted for [`Self::take_lookups`] (they are by
    /// default). A benchmark turns it off once it has learnt what a request reads: noting
    /// costs allocations per read, and a list of millions of reads that nobody takes is no part
    /// of what policy-server does.
    pub fn record_lookups(&mut self, on: bool) {
        self.lock().unrecorded = !on;
    }

    /// The granted Kubernetes reads made since the last call.
    pub fn take_lookups(&mut self) -> Vec<Lookup> {
        std::mem::take(&mut self.lock().lookups)
    }

    /// Guest log lines collected since the last call.
    pub fn take_logs(&mut self) -> Vec<String> {
        std::mem::take(&mut self.lock().logs)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CallState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls a guest function; after a trap or an interruption the instance is replaced by a
    /// fresh one, as policy-server does, since its memory can no longer be trusted.
    fn call(&mut self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, GuestFailure> {
        match self.wapc.call(operation, payload) {
            Ok(bytes) => Ok(bytes),
            Err(err) => {
                let text = err.to_string();
                let failure = if text.contains("interrupted") {
                    GuestFailure::Interrupted
                } else {
                    GuestFailure::Trapped(text)
                };
                match instantiate(&self.module, self.deadline, &self.state) {
                    Ok(fresh) => self.wapc = fresh,
                    Err(e) => {
                        return Err(GuestFailure::Trapped(format!(
                            "{failure}; and the module could not be instantiated again: {e:#}"
                        )));
                    }
                }
                Err(failure)
            }
        }
    }

    /// `protocol_version`, as kwctl annotate asks it.
    pub fn protocol_version(&mut self) -> Result<String> {
        let bytes = self
            .call("protocol_version", &[])
            .map_err(|e| anyhow!("{e}"))?;
        serde_json::from_slice::<String>(&bytes)
            .context("protocol_version did not answer a JSON string")
    }

    /// `validate_settings`: Ok(()) when valid, Err(message) when not.
    pub fn validate_settings(&mut self, settings: &Value) -> Result<Result<(), String>> {
        #[derive(Deserialize)]
        struct Answer {
            valid: bool,
            #[serde(default)]
            message: Option<String>,
        }
        let payload = serde_json::to_vec(settings)?;
        let bytes = self
            .call("validate_settings", &payload)
            .map_err(|e| anyhow!("{e}"))?;
        let answer: Answer = serde_json::from_slice(&bytes)
            .context("validate_settings gave a malformed response")?;
        Ok(if answer.valid {
            Ok(())
        } else {
            Err(answer.message.unwrap_or_default())
        })
    }

    /// `validate` on an AdmissionRequest (the inner request, not the review).
    pub fn validate(
        &mut self,
        request: &Value,
        settings: &Value,
    ) -> Result<GuestResponse, GuestFailure> {
        let payload = serde_json::to_vec(&json!({"request": request, "settings": settings}))
            .map_err(|e| GuestFailure::Malformed(e.to_string()))?;
        self.validate_payload(&payload)
    }

    /// `validate` on a payload already serialised, for benchmarks.
    pub fn validate_payload(&mut self, payload: &[u8]) -> Result<GuestResponse, GuestFailure> {
        let bytes = self.call("validate", payload)?;
        serde_json::from_slice(&bytes).map_err(|e| GuestFailure::Malformed(e.to_string()))
    }
}

fn instantiate(
    module: &wasmtime::Module,
    deadline: Duration,
    state: &Arc<Mutex<CallState>>,
) -> Result<WapcHost> {
    let ticks = (deadline.as_millis() / TICK.as_millis()).max(1) as u64;
    let provider = WasmtimeEngineProviderBuilder::new()
        .engine(engine().clone())
        .module(module.clone())
        .wasi_params(wapc::WasiParams::default())
        .enable_epoch_interruptions(EpochDeadlines {
            wapc_init: ticks,
            wapc_func: ticks,
        })
        .build()
        .map_err(|e| anyhow!("{e}"))
        .context("cannot instantiate the policy")?;
    let state = Arc::clone(state);
    let callback =
        move |_id: u64, binding: &str, namespace: &str, operation: &str, payload: &[u8]| {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            host_callback(&mut state, binding, namespace, operation, payload)
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
        };
    WapcHost::new(Box::new(provider), Some(Box::new(callback)))
        .map_err(|e| anyhow!("{e}"))
        .context("the policy failed to initialise")
}

/// The `kubewarden` binding of policy-evaluator (`runtimes/callback.rs`, `host_callback`), as a
/// host whose hostCapabilities grant `kubernetes/*`: the other capabilities (oci, net, crypto)
/// are refused at the gate, in upstream's words, since netsec does not answer them.
fn host_callback(
    state: &mut CallState,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    if binding != "kubewarden" {
        return Err(host_words::unknown_binding(binding));
    }
    // Upstream gates every namespace but tracing before it looks at the operation.
    if namespace != "tracing" && namespace != "kubernetes" {
        return Err(host_words::capability_denied(namespace, operation));
    }
    match (namespace, operation) {
        ("tracing", "log") => {
            let line = describe_log(payload);
            if state.verbose {
                eprintln!("{line}");
            }
            state.logs.push(line);
            Ok(Vec::new())
        }
        ("kubernetes", op) => {
            let answer = kubernetes_call(state, op, payload);
            if !state.unrecorded {
                record_lookup(state, op, payload, &answer);
            }
            answer
        }
        (_, op) => Err(host_words::unknown_operation(op)),
    }
}

fn describe_log(payload: &[u8]) -> String {
    match serde_json::from_slice::<Value>(payload) {
        Ok(event) => {
            let level = event["level"].as_str().unwrap_or("info");
            let message = event["message"].as_str().unwrap_or_default();
            format!("[policy {level}] {message}")
        }
        Err(_) => format!("[policy] {}", String::from_utf8_lossy(payload)),
    }
}

/// Notes a read the policy was allowed to make; refused reads are the policy's own error.
fn record_lookup(
    state: &mut CallState,
    operation: &str,
    payload: &[u8],
    answer: &Result<Vec<u8>, String>,
) {
    #[derive(Deserialize)]
    struct Req {
        api_version: String,
        kind: String,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default)]
        name: Option<String>,
    }
    let Ok(req) = serde_json::from_slice::<Req>(payload) else {
        return;
    };
    let granted = state
        .metadata
        .as_ref()
        .is_some_and(|m| m.allows_resource(&req.api_version, &req.kind));
    if !granted {
        return;
    }
    // `list_json` ends an empty list with exactly these bytes.
    let (found, answer_bytes) = match answer {
        Ok(bytes) => (
            operation == "get_resource" || !bytes.ends_with(b"\"items\":[]}"),
            bytes.len(),
        ),
        Err(_) => (false, 0),
    };
    state.lookups.push(Lookup {
        operation: operation.to_string(),
        api_version: req.api_version,
        kind: req.kind,
        namespace: req.namespace.filter(|ns| !ns.is_empty()),
        name: req.name,
        found,
        answer_bytes,
    });
}

/// The payloads of the `kubernetes` calls: the SDK's request structs (`host_capabilities::
/// kubernetes`), field for field and with no defaults, so that a malformed payload is refused
/// with the very serde error upstream returns. Strings borrow from the payload (copied only
/// when written with escapes), and the field masks, a `BTreeSet` upstream, are a list made a
/// set by [`mask_set`]: the same set, without an allocation per mask on every call.
#[derive(Deserialize)]
struct ListResourcesByNamespaceRequest<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    namespace: Cow<'a, str>,
    #[serde(borrow)]
    label_selector: Option<Cow<'a, str>>,
    #[serde(borrow)]
    field_selector: Option<Cow<'a, str>>,
    #[serde(borrow)]
    field_masks: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct ListAllResourcesRequest<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    label_selector: Option<Cow<'a, str>>,
    #[serde(borrow)]
    field_selector: Option<Cow<'a, str>>,
    #[serde(borrow)]
    field_masks: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct GetResourceRequest<'a> {
    #[serde(borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    namespace: Option<Cow<'a, str>>,
    #[allow(dead_code)] // the 5-second cache it disables is not reproduced
    disable_cache: bool,
    #[serde(borrow)]
    field_masks: Option<Vec<Cow<'a, str>>>,
}

/// The masks as the set upstream deserialises them into: sorted, each once.
fn mask_set<'m>(masks: &'m Option<Vec<Cow<'_, str>>>) -> Vec<&'m str> {
    let mut set: Vec<&str> = masks.iter().flatten().map(Cow::as_ref).collect();
    set.sort_unstable();
    set.dedup();
    set
}

#[derive(Deserialize)]
#[allow(dead_code)] // read only to refuse a malformed payload as upstream does
struct CanIRequest {
    subject_access_review: Value,
    disable_cache: bool,
}

/// The `kubernetes` namespace: the payload is read, the resource checked against the policy's
/// `contextAwareResources`, and the cluster's answer given; an error of the cluster becomes a
/// callback failure, as `send_request_and_wait_for_response` words it.
fn kubernetes_call(state: &CallState, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
    fn read<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, String> {
        // Checked as UTF-8 once, rather than string by string as `from_slice` does; text that
        // is not UTF-8 is refused by `from_slice`, in its words.
        match std::str::from_utf8(payload) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(payload),
        }
        .map_err(|e| e.to_string())
    }
    let granted = |api_version: &str, kind: &str| {
        let resource = Resource { api_version, kind };
        match &state.metadata {
            Some(m) if m.allows_resource(api_version, kind) => Ok(()),
            _ => Err(host_words::resource_denied(resource)),
        }
    };
    let cluster = &state.cluster;
    let answer = match operation {
        "list_resources_by_namespace" => {
            let req: ListResourcesByNamespaceRequest = read(payload)?;
            granted(&req.api_version, &req.kind)?;
            cluster.list(
                &req.api_version,
                &req.kind,
                Some(&req.namespace),
                req.label_selector.as_deref(),
                req.field_selector.as_deref(),
                &mask_set(&req.field_masks),
            )
        }
        "list_resources_all" => {
            let req: ListAllResourcesRequest = read(payload)?;
            granted(&req.api_version, &req.kind)?;
            cluster.list(
                &req.api_version,
                &req.kind,
                None,
                req.label_selector.as_deref(),
                req.field_selector.as_deref(),
                &mask_set(&req.field_masks),
            )
        }
        "get_resource" => {
            let req: GetResourceRequest = read(payload)?;
            granted(&req.api_version, &req.kind)?;
            cluster.get(
                &req.api_version,
                &req.kind,
                &req.name,
                req.namespace.as_deref(),
                &mask_set(&req.field_masks),
            )
        }
        "can_i" => {
            let _: CanIRequest = read(payload)?;
            Err("netsec does not answer SubjectAccessReviews: RBAC is not modelled".to_string())
        }
        other => return Err(host_words::unknown_operation(other)),
    };
    answer.map_err(|e| host_words::callback_failure(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::ContextAwareResource;

    fn state(resources: &[(&str, &str)]) -> CallState {
        let metadata: Metadata = serde_yaml::from_str(
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\n",
        )
        .unwrap();
        let mut metadata = metadata;
        metadata.context_aware_resources = resources
            .iter()
            .map(|(a, k)| ContextAwareResource {
                api_version: a.to_string(),
                kind: k.to_string(),
            })
            .collect();
        CallState {
            cluster: Cluster::new(vec![json!({"apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "a"}})])
            .unwrap(),
            metadata: Some(metadata),
            ..CallState::default()
        }
    }

    fn call(state: &mut CallState, op: &str, payload: Value) -> Result<Value, String> {
        let bytes = serde_json::to_vec(&payload).unwrap();
        host_callback(state, "kubewarden", "kubernetes", op, &bytes)
            .map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn kubernetes_reads_are_gated_by_context_aware_resources() {
        let list = json!({"api_version": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "namespace": "a", "label_selector": null, "field_selector": null});
        let mut allowed = state(&[("networking.k8s.io/v1", "NetworkPolicy")]);
        let answer = call(&mut allowed, "list_resources_by_namespace", list.clone()).unwrap();
        assert_eq!(answer["items"][0]["metadata"]["name"], "deny");

        let mut refused = state(&[("v1", "Namespace")]);
        let err = call(&mut refused, "list_resources_by_namespace", list.clone()).unwrap_err();
        assert!(
            err.contains(
                "has not been granted access to Kubernetes networking.k8s.io/v1/NetworkPolicy"
            ),
            "{err}"
        );

        let mut unannotated = CallState::default();
        assert!(call(&mut unannotated, "list_resources_by_namespace", list).is_err());

        let get = json!({"api_version": "v1", "kind": "Namespace", "name": "a",
                         "namespace": null, "disable_cache": false});
        let err = call(&mut refused, "get_resource", get).unwrap_err();
        assert_eq!(
            err,
            "Callback evaluation failure: Cannot find v1/Namespace named 'a' inside of \
             namespace 'None'"
        );
    }

    #[test]
    fn field_masks_are_a_set_and_payloads_are_utf8_json() {
        let mut s = state(&[("networking.k8s.io/v1", "NetworkPolicy")]);
        // A mask written with an escape, and given twice, is the one mask `metadata.name`.
        let payload = br#"{"api_version": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "namespace": "a", "label_selector": null, "field_selector": null,
            "field_masks": ["metadata.na\u006de", "metadata.name"]}"#;
        let answer = host_callback(
            &mut s,
            "kubewarden",
            "kubernetes",
            "list_resources_by_namespace",
            payload,
        )
        .unwrap();
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["items"][0], json!({"metadata": {"name": "deny"}}));

        let mut bad = payload.to_vec();
        bad[60] = 0xff;
        let err = host_callback(
            &mut s,
            "kubewarden",
            "kubernetes",
            "list_resources_by_namespace",
            &bad,
        )
        .unwrap_err();
        assert!(err.contains("invalid unicode code point"), "{err}");
    }

    #[test]
    fn reads_are_noted_unless_turned_off() {
        let list = json!({"api_version": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "namespace": "a", "label_selector": null, "field_selector": null});
        let mut s = state(&[("networking.k8s.io/v1", "NetworkPolicy")]);
        call(&mut s, "list_resources_by_namespace", list.clone()).unwrap();
        assert_eq!(s.lookups.len(), 1);
        assert!(s.lookups[0].found && s.lookups[0].answer_bytes > 0);
        s.unrecorded = true;
        let answer = call(&mut s, "list_resources_by_namespace", list).unwrap();
        assert_eq!(answer["items"][0]["metadata"]["name"], "deny");
        assert_eq!(s.lookups.len(), 1);
    }

    /// Each refusal and failure a Kubernetes call can meet, in policy-evaluator's words
    /// (`runtimes/callback.rs` and `callback_handler/kubernetes/client.rs`).
    #[test]
    fn kubernetes_failures_are_in_policy_evaluators_words() {
        let mut s = state(&[
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("v1", "Namespace"),
            ("v1", "Gateway"),
        ]);
        let get = |kind: &str, name: &str, namespace: Value| {
            let api_version = if kind == "NetworkPolicy" {
                "networking.k8s.io/v1"
            } else {
                "v1"
            };
            json!({"api_version": api_version, "kind": kind, "name": name,
                   "namespace": namespace, "disable_cache": false, "field_masks": null})
        };
        let cases = [
            (
                "get_resource",
                get("NetworkPolicy", "deny", json!("elsewhere")),
                "Callback evaluation failure: Cannot find networking.k8s.io/v1/NetworkPolicy \
                 named 'deny' inside of namespace 'Some(\"elsewhere\")'",
            ),
            (
                "get_resource",
                get("Namespace", "shop", Value::Null),
                "Callback evaluation failure: Cannot find v1/Namespace named 'shop' inside of \
                 namespace 'None'",
            ),
            (
                "get_resource",
                get("NetworkPolicy", "deny", Value::Null),
                "Callback evaluation failure: Resource networking.k8s.io/v1/NetworkPolicy is \
                 namespaced, but no namespace was provided",
            ),
            (
                "get_resource",
                get("Gateway", "gw", json!("a")),
                "Callback evaluation failure: Cannot find resource v1/Gateway",
            ),
            (
                "list_resources_by_namespace",
                json!({"api_version": "v1", "kind": "Namespace", "namespace": "a",
                       "label_selector": null, "field_selector": null}),
                "Callback evaluation failure: resource v1/Namespace is cluster wide. Cannot \
                 search for it inside of a namespace",
            ),
            (
                "list_resources_all",
                json!({"api_version": "v1", "kind": "Gateway"}),
                "Callback evaluation failure: Cannot find resource v1/Gateway",
            ),
            (
                "list_resources_all",
                json!({"api_version": "v1", "kind": "Pod"}),
                "Policy has not been granted access to Kubernetes v1/Pod resources. The \
                 violation has been reported.",
            ),
            // The SDK's request structs: serde's own error for a malformed payload.
            (
                "get_resource",
                json!({"api_version": "v1", "kind": "Namespace", "name": "a"}),
                "missing field `disable_cache` at line 1 column 50",
            ),
            (
                "list_resources_by_namespace",
                json!({"api_version": "v1", "kind": "Namespace"}),
                "missing field `namespace` at line 1 column 39",
            ),
            ("watch", json!({}), "unknown operation: watch"),
        ];
        for (op, payload, want) in cases {
            assert_eq!(call(&mut s, op, payload).unwrap_err(), want, "{op}");
        }
        let can_i = json!({"subject_access_review": {}, "disable_cache": false});
        let err = call(&mut s, "can_i", can_i).unwrap_err();
        assert!(err.starts_with("Callback evaluation failure: "), "{err}");
    }

    #[test]
    fn other_capabilities_and_bindings_are_refused_tracing_is_not() {
        let mut s = state(&[]);
        let err = host_callback(&mut s, "kubewarden", "oci", "v1/verify", b"{}").unwrap_err();
        assert_eq!(
            err,
            "Policy has not been granted access to the 'oci/v1/verify' host capability. The \
             violation has been reported."
        );
        let err = host_callback(&mut s, "kubewarden", "net", "v1/dns_lookup_host", b"\"a\"");
        assert!(
            err.unwrap_err()
                .contains("'net/v1/dns_lookup_host' host capability")
        );
        let err = host_callback(&mut s, "other", "tracing", "log", b"{}").unwrap_err();
        assert_eq!(err, "unknown binding: other");
        let err = host_callback(&mut s, "kubewarden", "tracing", "dump", b"{}").unwrap_err();
        assert_eq!(err, "unknown operation: dump");
        let log = br#"{"level":"info","message":"hello"}"#;
        assert!(host_callback(&mut s, "kubewarden", "tracing", "log", log).is_ok());
        assert_eq!(s.logs, vec!["[policy info] hello".to_string()]);
    }
}
