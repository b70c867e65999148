//! The `mesh-injection` rules: a pure function from the request, the settings and the cluster
//! reads to a verdict.

use netsec_shared::cluster::{Cluster, unreadable};
use netsec_shared::request::StringMap;
use netsec_shared::workload::{Described, Workload, WorkloadKind};
use netsec_shared::{AdmissionRequest, Findings, Operation, Verdict};
use serde_json::Value;

use crate::istio;
use crate::mesh::{
    self, BypassUse, CONSUL_INJECT, DATAPLANE_MODE, Enrolment, Form, ISTIO_REV,
    LINKERD_INBOUND_POLICY, LINKERD_INJECT, Mesh, Namespace, SIDECAR_INJECT, Switch,
};
use crate::settings::Settings;

pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &(impl Cluster + ?Sized),
) -> Verdict {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Verdict::accept();
    }
    // An object with a deletion timestamp is going away, and its remaining updates remove
    // finalizers: rejecting them would keep an unmeshed workload or namespace from ever being
    // deleted. Clients cannot set the timestamp themselves; only a DELETE does.
    if request.operation == Operation::Update && request.is_terminating() {
        return Verdict::accept();
    }
    let kind = request.kind.kind.as_ref();
    match (request.kind.group.as_ref(), kind) {
        (_, "") => Verdict::reject(
            "the request names no kind, so the policy cannot tell which rules apply; it \
             validates Namespaces, the workload kinds, PeerAuthentications and DestinationRules",
        ),
        ("", "Namespace") => check_namespace(request, settings),
        // Istio's resources mean nothing to the other meshes: they are not judged there.
        ("security.istio.io", "PeerAuthentication") if settings.mesh.is_istio() => {
            istio::check_peer_authentication(request)
        }
        ("networking.istio.io", "DestinationRule") if settings.mesh.is_istio() => {
            istio::check_destination_rule(request)
        }
        (group, _) => match WorkloadKind::from_kind(kind) {
            Some(workload) if workload.group() == group => {
                check_workload(request, settings, cluster, workload)
            }
            // Not one of this policy's kinds: its rules select none of them.
            _ => Verdict::accept(),
        },
    }
}

fn key_path(prefix: &str, form: Form, key: &str) -> String {
    format!("{prefix}metadata.{}[{key:?}]", form.field())
}

fn check_namespace(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    // The API server sends a Namespace's own name as the request's namespace.
    let own_name = match request.namespace.as_ref() {
        "" => request.name.as_ref(),
        ns => ns,
    };
    if settings.exempt_namespaces.contains(own_name) {
        return Verdict::accept();
    }
    let namespace: Namespace = match request.object("a Namespace") {
        Ok(ns) => ns,
        Err(message) => return Verdict::reject(message),
    };
    let meta = &namespace.metadata;
    let what = format!("Namespace {:?}", meta.display_name());
    let mesh = settings.mesh;
    let mut findings = Findings::new();
    if mesh == Mesh::Linkerd {
        check_inbound_policy(
            &mut findings,
            settings,
            "",
            &meta.annotations,
            &format!("in {what}"),
        );
    }
    let revisions = &settings.istio_revisions;
    match mesh::namespace_enrolment(mesh, &meta.labels, &meta.annotations, revisions) {
        Enrolment::Meshed => findings.into_verdict(),
        Enrolment::Refused { switch, why, fix } => {
            findings.violation(
                key_path("", switch.form, switch.key),
                format!("is {:?} in {what}, {why}; {fix}", switch.value),
            );
            findings.into_verdict()
        }
        Enrolment::Missing => {
            let Some(switch) = mesh.enabling_switch(revisions) else {
                return findings.into_verdict();
            };
            if settings.mutate {
                return match with_switch(request, &switch) {
                    Ok(object) => findings.into_mutation(object),
                    Err(message) => Verdict::reject(message),
                };
            }
            findings.violation(
                format!("metadata.{}", switch.form.field()),
                format!(
                    "of {what} {}, so its pods stay out of the {} mesh and talk without mTLS; \
                     add {}{}",
                    mesh::missing_switch(mesh, &meta.labels),
                    mesh.title(),
                    switch,
                    alternative(mesh, revisions)
                ),
            );
            findings.into_verdict()
        }
    }
}

/// The other way to enrol, when the suggested switch is not the only one.
fn alternative(mesh: Mesh, revisions: &[String]) -> &'static str {
    if mesh == Mesh::Istio && revisions.is_empty() {
        " (or istio.io/rev=<revision> for a revision-based install)"
    } else {
        ""
    }
}

/// The request's object with `switch` added to its metadata.
fn with_switch(request: &AdmissionRequest<'_>, switch: &Switch) -> Result<Value, String> {
    let mut object = istio::object_value(request, "a Namespace")?;
    let metadata = object
        .as_object_mut()
        .ok_or("the object is not a JSON object")?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if metadata.is_null() {
        *metadata = Value::Object(Default::default());
    }
    let map = metadata
        .as_object_mut()
        .ok_or("the object's metadata is not a map")?
        .entry(switch.form.field())
        .or_insert_with(|| Value::Object(Default::default()));
    if map.is_null() {
        *map = Value::Object(Default::default());
    }
    map.as_object_mut()
        .ok_or_else(|| format!("the object's metadata.{} is not a map", switch.form.field()))?
        .insert(switch.key.to_string(), Value::String(switch.value.clone()));
    Ok(object)
}

/// Linkerd's `default-inbound-policy`, on a Namespace or a pod template; `whose` reads
/// `in Namespace "x"` or `on Deployment "web"`.
fn check_inbound_policy(
    findings: &mut Findings,
    settings: &Settings,
    prefix: &str,
    annotations: &StringMap<'_>,
    whose: &str,
) {
    let Some(policy) = annotations.get(LINKERD_INBOUND_POLICY) else {
        return;
    };
    let allowed = &settings.linkerd_allowed_inbound_policies;
    if allowed.iter().any(|a| a == policy) {
        return;
    }
    let fix = if allowed.is_empty() {
        "remove it (linkerdAllowedInboundPolicies allows none, so the cluster default applies)"
            .to_string()
    } else {
        format!("use one of: {}", allowed.join(", "))
    };
    let effect = if mesh::LINKERD_INBOUND_POLICIES.contains(&policy.as_ref()) {
        format!(
            "so its pods use a default inbound policy that {}",
            mesh::inbound_policy_effect(policy)
        )
    } else {
        format!(
            "which is not a Linkerd inbound policy ({})",
            mesh::LINKERD_INBOUND_POLICIES.join(", ")
        )
    };
    findings.violation(
        key_path(prefix, Form::Annotation, LINKERD_INBOUND_POLICY),
        format!("is {policy:?} {whose}, {effect}; {fix}"),
    );
}

fn check_workload(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &(impl Cluster + ?Sized),
    kind: WorkloadKind,
) -> Verdict {
    // Exemptions come before any parsing or host call: they cost nothing.
    if settings.exempt_namespaces.contains(&request.namespace) {
        return Verdict::accept();
    }
    let workload = match Workload::from_request(request, kind) {
        Ok(workload) => workload,
        Err(message) => return Verdict::reject(message),
    };
    let pods = Pods {
        what: workload.describe(),
        prefix: match kind.template_path() {
            "" => String::new(),
            path => format!("{path}."),
        },
        labels: workload.pod_labels(),
        annotations: workload.pod_annotations(),
    };
    let mesh = settings.mesh;
    let mut findings = Findings::new();
    pods.check_opt_outs(&mut findings, mesh);
    pods.check_bypasses(&mut findings, settings);
    match mesh {
        Mesh::Linkerd => check_inbound_policy(
            &mut findings,
            settings,
            &pods.prefix,
            pods.annotations,
            &format!("on {}", pods.what),
        ),
        Mesh::Consul => pods.require_consul_inject(&mut findings, &workload),
        Mesh::Istio => pods.check_revision(&mut findings, &settings.istio_revisions),
        Mesh::IstioAmbient => {}
    }
    if workload.pod_spec.host_network {
        findings.warn(format!(
            "{} runs its pods on the node's network ({}spec.hostNetwork: true); no mesh \
             injects such pods, so their traffic is outside mTLS",
            pods.what, pods.prefix
        ));
    }
    if settings.require_meshed_namespace
        && !mesh::pods_enrol_themselves(mesh, pods.labels, pods.annotations)
    {
        let namespace = match (
            request.namespace.as_ref(),
            workload.metadata.namespace.as_deref(),
        ) {
            ("", Some(ns)) => ns,
            (ns, _) => ns,
        };
        pods.require_meshed_namespace(&mut findings, settings, cluster, namespace);
    }
    findings.into_verdict()
}

/// The pod template of a workload, as the checks read it.
struct Pods<'w, 'a> {
    /// `Deployment "web"`.
    what: Described<'w, 'a>,
    /// Where the template's metadata sits: `spec.template.`, or nothing for a Pod.
    prefix: String,
    labels: &'w StringMap<'a>,
    annotations: &'w StringMap<'a>,
}

impl Pods<'_, '_> {
    fn path(&self, form: Form, key: &str) -> String {
        key_path(&self.prefix, form, key)
    }

    fn get(&self, form: Form, key: &str) -> Option<&str> {
        match form {
            Form::Label => self.labels.get(key),
            Form::Annotation => self.annotations.get(key),
        }
        .map(|v| v.as_ref())
    }

    /// The label or annotation that takes the pods out of the mesh.
    fn check_opt_outs(&self, findings: &mut Findings, mesh: Mesh) {
        let what = &self.what;
        match mesh {
            Mesh::Istio => self.check_istio_inject(findings),
            Mesh::IstioAmbient => {
                for form in [Form::Label, Form::Annotation] {
                    if self.get(form, DATAPLANE_MODE) == Some("none") {
                        findings.violation(
                            self.path(form, DATAPLANE_MODE),
                            format!(
                                "is \"none\": the pods of {what} leave the ambient mesh, so \
                                 ztunnel gives their traffic no mTLS; remove it"
                            ),
                        );
                    }
                }
            }
            Mesh::Linkerd => {
                for form in [Form::Label, Form::Annotation] {
                    if self.get(form, LINKERD_INJECT) == Some("disabled") {
                        findings.violation(
                            self.path(form, LINKERD_INJECT),
                            format!(
                                "is \"disabled\": the pods of {what} run without the Linkerd \
                                 proxy, so their traffic skips mTLS; remove it (or set the \
                                 annotation to \"enabled\")"
                            ),
                        );
                    }
                }
                if let Some(value) = self.get(Form::Annotation, LINKERD_INJECT)
                    && !matches!(value, "enabled" | "disabled" | "ingress")
                {
                    findings.warn(format!(
                        "{} is {value:?} on {what}, which Linkerd does not know (enabled, \
                         disabled, ingress) and ignores",
                        self.path(Form::Annotation, LINKERD_INJECT)
                    ));
                }
            }
            Mesh::Consul => {
                for form in [Form::Label, Form::Annotation] {
                    let value = self.get(form, CONSUL_INJECT);
                    if let Some(value) = value
                        && netsec_shared::annotations::BoolSyntax::Go.parse(value) == Some(false)
                    {
                        findings.violation(
                            self.path(form, CONSUL_INJECT),
                            format!(
                                "is {value:?}: Consul injects no Envoy sidecar into the pods of \
                                 {what}, so their traffic skips mTLS; set the annotation to \
                                 \"true\""
                            ),
                        );
                    }
                }
            }
        }
    }

    /// `sidecar.istio.io/inject`: the label wins over the annotation when both are present
    /// (istio `injectRequired`).
    fn check_istio_inject(&self, findings: &mut Findings) {
        let label = self.get(Form::Label, SIDECAR_INJECT);
        let annotation = self.get(Form::Annotation, SIDECAR_INJECT);
        let (form, value) = match (label, annotation) {
            (Some(value), _) => (Form::Label, value),
            (None, Some(value)) => (Form::Annotation, value),
            (None, None) => return,
        };
        let what = &self.what;
        if value.eq_ignore_ascii_case("false") {
            findings.violation(
                self.path(form, SIDECAR_INJECT),
                format!(
                    "is {value:?}: the pods of {what} run without the Istio sidecar, so their \
                     traffic skips mTLS; remove it (or set it to \"true\")"
                ),
            );
        } else if !value.is_empty() && !value.eq_ignore_ascii_case("true") {
            // Older Istio releases read y/yes/on as true and anything else as false; later
            // versions read only true/false and fall back to the namespace for the rest.
            findings.violation(
                self.path(form, SIDECAR_INJECT),
                format!(
                    "is {value:?} on {what}, which Istio versions read differently (older ones \
                     as \"false\"); set it to \"true\" or remove it"
                ),
            );
        }
        if form == Form::Label
            && let Some(ignored) = annotation.filter(|a| a.eq_ignore_ascii_case("false"))
        {
            findings.warn(format!(
                "{} is {ignored:?} on {what} but Istio ignores it because the label of the same \
                 name is set; remove the annotation",
                self.path(Form::Annotation, SIDECAR_INJECT)
            ));
        }
    }

    fn check_bypasses(&self, findings: &mut Findings, settings: &Settings) {
        let what = &self.what;
        for (key, value) in self.annotations {
            let Some(bypass) = settings.mesh.bypass(key) else {
                continue;
            };
            if settings.bypass_allowed(key) {
                continue;
            }
            let own_port = self.get(Form::Annotation, mesh::ISTIO_STATUS_PORT);
            let message = match bypass.judge(value, own_port) {
                BypassUse::Inert => continue,
                BypassUse::Active => format!(
                    "is {value:?}: the pods of {what} {}; remove it{}, or add the key to \
                     allowedBypassAnnotations if this bypass is approved",
                    bypass.effect,
                    bypass
                        .safe_value
                        .map(|v| format!(" (or set it to {v:?})"))
                        .unwrap_or_default()
                ),
                BypassUse::Unreadable => format!(
                    "is {value:?} on {what}, which is no boolean, so Consul refuses to inject \
                     the pods; set it to \"true\" or remove it"
                ),
            };
            findings.violation(self.path(Form::Annotation, key), message);
        }
    }

    /// Consul injects only annotated pods unless Helm's `connectInject.default` is on, and
    /// has no namespace switch: the annotation is the only way to know the pods are meshed.
    fn require_consul_inject(&self, findings: &mut Findings, workload: &Workload<'_>) {
        let what = &self.what;
        match self.get(Form::Annotation, CONSUL_INJECT) {
            // A false value is an opt-out, reported as such.
            Some(value) => {
                if netsec_shared::annotations::BoolSyntax::Go
                    .parse(value)
                    .is_none()
                {
                    findings.violation(
                        self.path(Form::Annotation, CONSUL_INJECT),
                        format!(
                            "is {value:?} on {what}, which is no boolean, so Consul refuses to \
                             inject the pods; set it to \"true\""
                        ),
                    );
                }
            }
            None => {
                let misplaced = workload.kind != WorkloadKind::Pod
                    && workload.metadata.annotation(CONSUL_INJECT).is_some();
                findings.violation(
                    format!("{}metadata.annotations", self.prefix),
                    format!(
                        "of {what} have no {CONSUL_INJECT} annotation{}, so Consul injects no \
                         Envoy sidecar unless connectInject.default is on; add \
                         {CONSUL_INJECT}: \"true\" to the pod template",
                        if misplaced {
                            format!(
                                " (it is on the {}'s own metadata, where Consul does not read it)",
                                workload.kind.name()
                            )
                        } else {
                            String::new()
                        }
                    ),
                );
            }
        }
    }

    /// A pod's own `istio.io/rev` selects the revision that injects it.
    fn check_revision(&self, findings: &mut Findings, revisions: &[String]) {
        let Some(rev) = self.get(Form::Label, ISTIO_REV) else {
            return;
        };
        if !mesh::revision_accepted(rev, revisions) {
            let accepted = if revisions.is_empty() {
                "name the revision (or tag) of your control plane".to_string()
            } else {
                format!("use one of: {}", revisions.join(", "))
            };
            findings.violation(
                self.path(Form::Label, ISTIO_REV),
                format!(
                    "is {rev:?} on {what}, which is not an accepted Istio revision; {accepted}",
                    what = self.what
                ),
            );
        }
    }

    /// Reads the Namespace and checks that it enrols the pods. A read that fails rejects: the
    /// policy cannot tell, and letting the workload in could put it outside the mesh.
    fn require_meshed_namespace(
        &self,
        findings: &mut Findings,
        settings: &Settings,
        cluster: &(impl Cluster + ?Sized),
        name: &str,
    ) {
        let what = &self.what;
        if name.is_empty() {
            return findings.violation(
                "",
                format!(
                    "the request names no namespace, so the Namespace's mesh injection labels \
                     cannot be checked (requireMeshedNamespace); {what} is rejected (fail closed)"
                ),
            );
        }
        let refuse = |findings: &mut Findings, error: &str| {
            findings.violation(
                "",
                unreadable(
                    format_args!("the Namespace {name:?}"),
                    "its mesh injection labels cannot be checked (requireMeshedNamespace)",
                    what,
                    error,
                ),
            )
        };
        let bytes = match mesh::read_namespace(cluster, name) {
            Ok(bytes) => bytes,
            Err(err) => return refuse(findings, &err),
        };
        let namespace = match mesh::parse_namespace(&bytes) {
            Ok(ns) => ns,
            Err(err) => return refuse(findings, &err),
        };
        let ns = &namespace.metadata;
        let mesh = settings.mesh;
        let revisions = &settings.istio_revisions;
        if mesh::pods_meshed(
            mesh,
            &ns.labels,
            &ns.annotations,
            self.labels,
            self.annotations,
            revisions,
        ) {
            return;
        }
        let why = match mesh::namespace_enrolment(mesh, &ns.labels, &ns.annotations, revisions) {
            Enrolment::Refused { switch, why, fix } => format!(
                "has the {} {} {:?}, {why}; {fix}",
                switch.form.word(),
                switch.key,
                switch.value
            ),
            _ => format!(
                "{}; add {} to it{}",
                mesh::missing_switch(mesh, &ns.labels),
                mesh.enabling_switch(revisions)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                alternative(mesh, revisions)
            ),
        };
        findings.violation(
            "metadata.namespace",
            format!(
                "{name:?} of {what} is not in the {} mesh, so its pods would talk without mTLS: \
                 the Namespace {why}",
                mesh.title()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use serde_json::json;

    fn request(object: &Value, operation: &str) -> String {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let kind = object["kind"].as_str().unwrap_or_default();
        let namespace = if kind == "Namespace" {
            &object["metadata"]["name"]
        } else {
            &object["metadata"]["namespace"]
        };
        json!({"uid": "1", "kind": {"group": group, "version": version, "kind": kind},
               "operation": operation, "namespace": namespace, "object": object})
        .to_string()
    }

    fn run_on(object: Value, settings: Value, cluster: &MemoryCluster) -> Verdict {
        let payload = format!(
            r#"{{"request":{},"settings":{settings}}}"#,
            request(&object, "CREATE")
        );
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(&p.request, &p.settings, cluster)
    }

    fn run(object: Value, settings: Value) -> Verdict {
        run_on(object, settings, &MemoryCluster::default())
    }

    fn ns(labels: Value, annotations: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "shop", "labels": labels, "annotations": annotations}})
    }

    fn deploy(labels: Value, annotations: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"template": {"metadata": {"labels": labels, "annotations": annotations},
                                     "spec": {"containers": []}}}})
    }

    fn message(v: &Verdict) -> String {
        v.message().unwrap_or_default()
    }

    /// (object, settings, accepted, substring of the message) with an empty cluster.
    fn check_table(cases: &[(Value, Value, bool, &str)]) {
        for (object, settings, allowed, want) in cases {
            let v = run(object.clone(), settings.clone());
            assert_eq!(v.is_accepted(), *allowed, "{object} {settings}: {v:?}");
            assert!(message(&v).contains(want), "{}", message(&v));
        }
    }

    #[test]
    fn namespace_per_mesh() {
        let cases: &[(Value, Value, bool, &str)] = &[
            (
                ns(json!({"istio-injection": "enabled"}), json!(null)),
                json!({}),
                true,
                "",
            ),
            (
                ns(json!({}), json!(null)),
                json!({}),
                false,
                "metadata.labels of Namespace \"shop\" has neither the label istio-injection=enabled nor an istio.io/rev label, so its pods stay out of the Istio mesh and talk without mTLS; add the label istio-injection=enabled (or istio.io/rev=<revision>",
            ),
            (
                ns(
                    json!({"istio-injection": "disabled", "istio.io/rev": "canary"}),
                    json!(null),
                ),
                json!({}),
                false,
                "metadata.labels[\"istio-injection\"] is \"disabled\" in Namespace \"shop\", which turns sidecar injection off and overrides istio.io/rev \"canary\"",
            ),
            (
                ns(json!({"istio.io/rev": "canary"}), json!(null)),
                json!({"istioRevisions": ["stable"]}),
                false,
                "metadata.labels[\"istio.io/rev\"] is \"canary\" in Namespace \"shop\", which is not an accepted Istio revision (stable); use one of: stable",
            ),
            (
                ns(json!({"istio.io/dataplane-mode": "ambient"}), json!(null)),
                json!({"mesh": "istio-ambient"}),
                true,
                "",
            ),
            (
                ns(json!({"istio-injection": "enabled"}), json!(null)),
                json!({"mesh": "istio-ambient"}),
                false,
                "has no istio.io/dataplane-mode=ambient label",
            ),
            (
                ns(json!({}), json!({"linkerd.io/inject": "enabled"})),
                json!({"mesh": "linkerd"}),
                true,
                "",
            ),
            (
                ns(json!({"linkerd.io/inject": "enabled"}), json!({})),
                json!({"mesh": "linkerd"}),
                false,
                "has linkerd.io/inject as a label, which Linkerd does not read (it reads the annotation), so its pods stay out of the Linkerd mesh",
            ),
            (
                ns(
                    json!({}),
                    json!({"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-unauthenticated"}),
                ),
                json!({"mesh": "linkerd"}),
                false,
                "metadata.annotations[\"config.linkerd.io/default-inbound-policy\"] is \"all-unauthenticated\" in Namespace \"shop\", so its pods use a default inbound policy that admits any client, meshed or not, without mTLS; use one of: all-authenticated, cluster-authenticated, deny",
            ),
            (
                ns(json!({}), json!({})),
                json!({"mesh": "consul"}),
                true,
                "",
            ),
        ];
        check_table(cases);
    }

    #[test]
    fn namespace_mutation() {
        let v = run(
            ns(json!(null), json!(null)),
            json!({"mutate": true, "istioRevisions": ["canary"]}),
        );
        let Verdict::Mutate { object, .. } = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            object["metadata"]["labels"],
            json!({"istio.io/rev": "canary"})
        );
        assert_eq!(object["metadata"]["name"], "shop");

        let v = run(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"},
                   "spec": {"finalizers": ["kubernetes"]}}),
            json!({"mutate": true, "mesh": "linkerd"}),
        );
        let Verdict::Mutate { object, .. } = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            object["metadata"]["annotations"],
            json!({"linkerd.io/inject": "enabled"})
        );
        assert_eq!(object["spec"]["finalizers"], json!(["kubernetes"]));

        // Already meshed: nothing to add. An explicit refusal is not overwritten.
        let v = run(
            ns(json!({"istio-injection": "enabled"}), json!(null)),
            json!({"mutate": true}),
        );
        assert_eq!(v, Verdict::accept());
        let v = run(
            ns(json!({"istio-injection": "disabled"}), json!(null)),
            json!({"mutate": true}),
        );
        assert!(!v.is_accepted());
    }

    #[test]
    fn workload_opt_outs_and_bypasses() {
        let off = json!({"requireMeshedNamespace": false});
        let cases: &[(Value, Value, bool, &str)] = &[
            (
                deploy(json!({"app": "web"}), json!(null)),
                off.clone(),
                true,
                "",
            ),
            (
                deploy(json!({"sidecar.istio.io/inject": "false"}), json!(null)),
                off.clone(),
                false,
                "spec.template.metadata.labels[\"sidecar.istio.io/inject\"] is \"false\": the pods of Deployment \"web\" run without the Istio sidecar",
            ),
            (
                deploy(json!({}), json!({"sidecar.istio.io/inject": "False"})),
                off.clone(),
                false,
                "spec.template.metadata.annotations[\"sidecar.istio.io/inject\"] is \"False\"",
            ),
            (
                deploy(
                    json!({"sidecar.istio.io/inject": "true"}),
                    json!({"sidecar.istio.io/inject": "false"}),
                ),
                off.clone(),
                true,
                "",
            ),
            (
                deploy(json!({"sidecar.istio.io/inject": "no"}), json!(null)),
                off.clone(),
                false,
                "which Istio versions read differently",
            ),
            (
                deploy(
                    json!({}),
                    json!({"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8"}),
                ),
                off.clone(),
                false,
                "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/excludeOutboundIPRanges\"] is \"10.0.0.0/8\": the pods of Deployment \"web\" send traffic to these addresses around the sidecar",
            ),
            (
                deploy(
                    json!({}),
                    json!({"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8"}),
                ),
                json!({"requireMeshedNamespace": false,
                       "allowedBypassAnnotations": ["traffic.sidecar.istio.io/excludeOutboundIPRanges"]}),
                true,
                "",
            ),
            (
                deploy(
                    json!({}),
                    json!({"traffic.sidecar.istio.io/includeOutboundIPRanges": "*"}),
                ),
                off.clone(),
                true,
                "",
            ),
            (
                deploy(json!({"istio.io/rev": "old"}), json!({})),
                json!({"requireMeshedNamespace": false, "istioRevisions": ["canary"]}),
                false,
                "spec.template.metadata.labels[\"istio.io/rev\"] is \"old\" on Deployment \"web\", which is not an accepted Istio revision; use one of: canary",
            ),
            (
                deploy(json!({"istio.io/dataplane-mode": "none"}), json!({})),
                json!({"requireMeshedNamespace": false, "mesh": "istio-ambient"}),
                false,
                "spec.template.metadata.labels[\"istio.io/dataplane-mode\"] is \"none\"",
            ),
            (
                deploy(json!({}), json!({"linkerd.io/inject": "disabled"})),
                json!({"requireMeshedNamespace": false, "mesh": "linkerd"}),
                false,
                "spec.template.metadata.annotations[\"linkerd.io/inject\"] is \"disabled\"",
            ),
            (
                deploy(
                    json!({}),
                    json!({"config.linkerd.io/default-inbound-policy": "audit"}),
                ),
                json!({"requireMeshedNamespace": false, "mesh": "linkerd"}),
                false,
                "is \"audit\" on Deployment \"web\", so its pods use a default inbound policy that admits every client",
            ),
            (
                deploy(
                    json!({}),
                    json!({"consul.hashicorp.com/connect-inject": "true"}),
                ),
                json!({"mesh": "consul"}),
                true,
                "",
            ),
            (
                deploy(json!({}), json!({})),
                json!({"mesh": "consul"}),
                false,
                "spec.template.metadata.annotations of Deployment \"web\" have no consul.hashicorp.com/connect-inject annotation",
            ),
            (
                deploy(
                    json!({}),
                    json!({"consul.hashicorp.com/connect-inject": "true",
                           "consul.hashicorp.com/transparent-proxy": "false"}),
                ),
                json!({"mesh": "consul"}),
                false,
                "run without transparent proxying",
            ),
            (
                deploy(
                    json!({}),
                    json!({"consul.hashicorp.com/connect-inject": "0"}),
                ),
                json!({"mesh": "consul"}),
                false,
                "is \"0\": Consul injects no Envoy sidecar",
            ),
        ];
        check_table(cases);
    }

    #[test]
    fn meshed_namespace_is_read_and_fails_closed() {
        let cluster = |labels: Value| {
            MemoryCluster::new(vec![json!({"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": "shop", "labels": labels}})])
        };
        let web = deploy(json!({"app": "web"}), json!({}));
        let v = run_on(
            web.clone(),
            json!({}),
            &cluster(json!({"istio-injection": "enabled"})),
        );
        assert!(v.is_accepted(), "{v:?}");
        let v = run_on(web.clone(), json!({}), &cluster(json!({})));
        assert!(
            message(&v).starts_with(
                "metadata.namespace \"shop\" of Deployment \"web\" is not in the Istio mesh"
            ),
            "{}",
            message(&v)
        );
        // The pod label opts in where the namespace says nothing, not where it says disabled.
        let opted = deploy(json!({"sidecar.istio.io/inject": "true"}), json!({}));
        assert!(run_on(opted.clone(), json!({}), &cluster(json!({}))).is_accepted());
        assert!(
            !run_on(
                opted,
                json!({}),
                &cluster(json!({"istio-injection": "disabled"}))
            )
            .is_accepted()
        );
        let v = run_on(web.clone(), json!({}), &cluster(json!(["istio-injection"])));
        assert!(
            message(&v).contains("(fail closed) [the answer cannot be read as a Namespace: metadata.labels: invalid type"),
            "{}",
            message(&v)
        );
        let v = run_on(
            web.clone(),
            json!({}),
            &MemoryCluster::failing("refused\nbacktrace"),
        );
        assert_eq!(
            message(&v),
            "the Namespace \"shop\" could not be read, so its mesh injection labels cannot be \
             checked (requireMeshedNamespace); Deployment \"web\" is rejected (fail closed) \
             [refused]"
        );
        let v = run_on(web.clone(), json!({}), &MemoryCluster::default());
        assert!(
            message(&v).ends_with(
                "[Callback evaluation failure: Cannot find v1/Namespace named 'shop' inside of \
                 namespace 'None']"
            ),
            "{}",
            message(&v)
        );
        // No read at all where the pods enrol themselves, or for Consul.
        let linkerd_pod = deploy(json!({}), json!({"linkerd.io/inject": "enabled"}));
        let failing = MemoryCluster::failing("refused");
        assert!(run_on(linkerd_pod, json!({"mesh": "linkerd"}), &failing).is_accepted());
        // Exempt namespaces are not even parsed.
        let exempt = json!({"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": "p", "namespace": "kube-system"}, "spec": 7});
        assert!(run_on(exempt, json!({}), &failing).is_accepted());
    }

    #[test]
    fn kinds_operations_and_garbage() {
        let pa = json!({"apiVersion": "security.istio.io/v1beta1", "kind": "PeerAuthentication",
                        "metadata": {"name": "default", "namespace": "istio-system"},
                        "spec": {"mtls": {"mode": "PERMISSIVE"}}});
        // Checked in istio-system too: the mesh-wide policy lives there.
        assert!(!run(pa.clone(), json!({})).is_accepted());
        assert!(run(pa.clone(), json!({"mesh": "linkerd"})).is_accepted());
        let payload = format!(
            r#"{{"request":{},"settings":{{}}}}"#,
            request(&pa, "DELETE")
        );
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        assert!(evaluate(&p.request, &p.settings, &MemoryCluster::default()).is_accepted());
        // An UPDATE of a terminating object only removes finalizers; the key alone is not enough.
        let mut gone = ns(json!({}), json!(null));
        gone["metadata"]["deletionTimestamp"] = json!("2026-11-26T10:00:00Z");
        let update = |object: &Value| {
            let payload = format!(
                r#"{{"request":{},"settings":{{}}}}"#,
                request(object, "UPDATE")
            );
            let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
            evaluate(&p.request, &p.settings, &MemoryCluster::default()).is_accepted()
        };
        assert!(update(&gone));
        let mut decoy = ns(json!({"team": "\"deletionTimestamp\""}), json!(null));
        assert!(!update(&decoy));
        decoy["metadata"]["deletionTimestamp"] = json!(null);
        assert!(!update(&decoy));
        // A Deployment of another group is not a workload.
        let other = json!({"apiVersion": "example.com/v1", "kind": "Deployment",
                           "metadata": {"name": "x", "namespace": "shop"}});
        assert!(run(other, json!({})).is_accepted());
        let garbage = json!({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": "shop", "labels": ["a"]}});
        assert!(message(&run(garbage, json!({}))).contains("cannot be read as a Namespace"));
        let no_template = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                 "metadata": {"name": "x", "namespace": "shop"}});
        assert!(message(&run(no_template, json!({}))).contains("it has no spec.template"));
    }
}
