//! The Gateway API rules: listeners terminate TLS with a certificate, routes name their
//! hostnames, and nothing but an HTTPS redirect is served on a plain-HTTP listener. A ListenerSet
//! (or the experimental XListenerSet) adds listeners to a Gateway: they are judged as the
//! Gateway's own, and routes attached to them as routes attached to a Gateway.

use netsec_shared::acme::{SOLVER_LABEL, solver_route};
use netsec_shared::cluster::{Cluster, unreadable};
use netsec_shared::gateway::{
    GATEWAY, GROUP, Listener, ListenerHolder, Route, listener_holder, with_listeners,
};
use netsec_shared::review::{judges, object_of_kind};
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::policy::Solver;
use crate::settings::Settings;

pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    if !judges(request, &settings.exempt_namespaces) {
        return Verdict::accept();
    }
    let kind = request.kind.kind.as_ref();
    let route =
        request.kind.group == GROUP && matches!(kind, "HTTPRoute" | "GRPCRoute" | "TLSRoute");
    let verdict = if listener_holder(&request.kind.group, kind).is_some() {
        object_of_kind(request, kind, |h: &ListenerHolder| h.kind.as_deref()).map(|holder| {
            let namespace =
                request.namespace_or(holder.metadata.namespace.as_deref().unwrap_or_default());
            check_listeners(kind, &holder, namespace, settings, cluster)
        })
    } else if route {
        object_of_kind(request, kind, |r: &Route| r.kind.as_deref()).map(|route| {
            let namespace =
                request.namespace_or(route.metadata.namespace.as_deref().unwrap_or_default());
            let verdict = check_route(kind, &route, namespace, settings, cluster, Solver::No);
            if verdict.is_accepted() || kind != "HTTPRoute" || !settings.allow_acme_http01 {
                return verdict;
            }
            // Read only for an HTTPRoute that would be rejected: its matches decide.
            match solver_route(request) {
                Ok(()) => check_route(kind, &route, namespace, settings, cluster, Solver::Yes),
                Err(why) if route.metadata.label(SOLVER_LABEL) == Some("true") => check_route(
                    kind,
                    &route,
                    namespace,
                    settings,
                    cluster,
                    Solver::Labelled(&why),
                ),
                Err(_) => verdict,
            }
        })
    } else {
        // TCPRoute and UDPRoute carry no host names and attach to TCP/UDP listeners, which
        // the listener rules already refuse.
        Ok(Verdict::accept())
    };
    verdict.unwrap_or_else(|rejection| rejection)
}

/// Every listener of a Gateway, ListenerSet or XListenerSet (`kind`) is HTTPS or TLS with a
/// certificate, plain HTTP on a redirect port, or HBONE on a mesh gateway class.
pub fn check_listeners(
    kind: &str,
    holder: &ListenerHolder<'_>,
    namespace: &str,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    let mut findings = Findings::new();
    let hosts = settings.host_rules();
    // The class decides only HBONE listeners: a ListenerSet's parent Gateway is read only then.
    let listeners = &holder.spec.listeners;
    let class = if listeners.iter().any(|l| l.protocol == HBONE) {
        gateway_class(&mut findings, kind, holder, namespace, cluster)
    } else {
        None
    };
    for (i, listener) in listeners.iter().enumerate() {
        let path = format!("spec.listeners[{i}]");
        if listener.protocol == HBONE {
            // Istio's HBONE: an HTTP/2 CONNECT tunnel inside the mesh's mutual TLS, on 15008.
            // A mesh gateway (ambient waypoint, east-west gateway) carries only that; who may
            // attach is the mesh's business (cross-namespace waypoints need from: All). A class
            // that could not be read is already a violation.
            if let Some((class, of)) = &class
                && !settings.mesh_gateway_classes.contains(class)
            {
                findings.violation(
                    format!("{path}.protocol"),
                    format!(
                        "is \"HBONE\", Istio's mesh tunnel, on listener {:?} of gatewayClassName \
                         {class:?}{of}, which is not a mesh gateway class (meshGatewayClasses: \
                         {}); use an Istio mesh gateway class, or have the policy's \
                         administrator add this one to meshGatewayClasses",
                        listener.name,
                        list_or_none(&settings.mesh_gateway_classes)
                    ),
                );
            }
            continue;
        }
        check_protocol(&mut findings, &path, listener, settings);
        if let Some(host) = listener.hostname() {
            hosts.check(&mut findings, &format!("{path}.hostname"), host);
        }
        let from = listener.routes_from();
        if from == "All" && !settings.allow_routes_from_all_namespaces {
            findings.violation(
                format!("{path}.allowedRoutes.namespaces.from"),
                format!(
                    "is \"All\": a route in any namespace may attach to listener {:?} and take \
                     its hostnames; use Same, or Selector with the namespaces that may attach \
                     (or allowRoutesFromAllNamespaces: true)",
                    listener.name
                ),
            );
        }
    }
    findings.into_verdict()
}

/// The GatewayClass the listeners belong to, and where it was read for messages: a Gateway's
/// own `gatewayClassName`, or that of the Gateway a ListenerSet's `spec.parentRef` names
/// (group and kind default to the Gateway's, the namespace to the ListenerSet's:
/// `ParentGatewayReference`). `None`, with a violation, when it cannot be known.
fn gateway_class(
    findings: &mut Findings,
    kind: &str,
    holder: &ListenerHolder<'_>,
    namespace: &str,
    cluster: &dyn Cluster,
) -> Option<(String, String)> {
    let spec = &holder.spec;
    if kind == "Gateway" {
        let class = spec.gateway_class_name.as_deref().unwrap_or_default();
        return Some((class.to_string(), String::new()));
    }
    let unchecked = "the class of its HBONE listeners cannot be checked against meshGatewayClasses";
    let Some(parent) = spec.parent_ref.as_ref().filter(|p| p.is_gateway()) else {
        findings.violation(
            "spec.parentRef",
            format!(
                "does not name a Gateway, so {unchecked}; name the Gateway the {kind} adds its \
                 listeners to"
            ),
        );
        return None;
    };
    let gateway_ns = parent.namespace_or(namespace);
    let mut class = String::new();
    let read = with_listeners(cluster, GATEWAY, &parent.name, gateway_ns, &mut |gateway| {
        class = gateway
            .spec
            .gateway_class_name
            .as_deref()
            .unwrap_or_default()
            .to_string()
    });
    match read {
        Ok(()) => Some((
            class,
            format!(" (of its parent Gateway {gateway_ns}/{})", parent.name),
        )),
        Err(error) => {
            findings.violation(
                "spec.parentRef",
                unreadable(
                    format_args!("names Gateway {gateway_ns}/{}, which", parent.name),
                    // Arguments like the other call's: one copy of `unreadable`.
                    format_args!("{unchecked}"),
                    format_args!("the {kind}"),
                    &error,
                ),
            );
            None
        }
    }
}

fn check_protocol(
    findings: &mut Findings,
    path: &str,
    listener: &Listener<'_>,
    settings: &Settings,
) {
    let name = &listener.name;
    let protocol = listener.protocol.as_ref();
    match protocol {
        "HTTPS" | "TLS" => check_tls(findings, path, listener, settings),
        "HTTP" => {
            let ports = &settings.allowed_http_listener_ports;
            let port = listener.port.unwrap_or_default();
            if !ports.contains(&port) {
                let allowed = if ports.is_empty() {
                    "no port (allowedHTTPListenerPorts is empty)".to_string()
                } else {
                    let list: Vec<String> = ports.iter().map(i64::to_string).collect();
                    format!("port {} (allowedHTTPListenerPorts)", list.join(", "))
                };
                findings.violation(
                    format!("{path}.protocol"),
                    format!(
                        "is \"HTTP\" on port {port}: listener {name:?} serves plain HTTP, which \
                         the policy accepts only on {allowed}, for redirects to HTTPS; use \
                         protocol HTTPS with a certificate"
                    ),
                );
            }
        }
        other => findings.violation(
            format!("{path}.protocol"),
            format!(
                "is {other:?}: listener {name:?} neither terminates TLS with a certificate nor \
                 passes TLS through, so the policy cannot see that its traffic is encrypted; use \
                 protocol HTTPS, or TLS"
            ),
        ),
    }
}

/// Istio's protocol of mesh tunnels (HTTP-Based Overlay Network Environment).
const HBONE: &str = "HBONE";

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn check_tls(findings: &mut Findings, path: &str, listener: &Listener<'_>, settings: &Settings) {
    let name = &listener.name;
    let protocol = listener.protocol.as_ref();
    let Some(tls) = &listener.tls else {
        findings.violation(
            format!("{path}.tls"),
            format!(
                "is missing: {protocol} listener {name:?} has no certificate to terminate TLS \
                 with; add tls.certificateRefs naming a Secret with a certificate for its \
                 hostname"
            ),
        );
        return;
    };
    match (tls.mode(), protocol) {
        ("Terminate", _) if tls.certificate_refs.is_empty() => findings.violation(
            format!("{path}.tls.certificateRefs"),
            format!(
                "is empty: {protocol} listener {name:?} terminates TLS without a certificate of \
                 its own; name a Secret with a certificate for its hostname"
            ),
        ),
        ("Terminate", _) => {}
        ("Passthrough", "HTTPS") => findings.violation(
            format!("{path}.tls.mode"),
            format!(
                "is \"Passthrough\", which an HTTPS listener cannot do (HTTPS terminates TLS); \
                 use Terminate with tls.certificateRefs, or protocol TLS for listener {name:?}"
            ),
        ),
        ("Passthrough", _) if !settings.allow_tls_passthrough => findings.violation(
            format!("{path}.tls.mode"),
            format!(
                "is \"Passthrough\": listener {name:?} forwards TLS unopened, so the certificate \
                 served is the backend's and is not checked here; use Terminate with \
                 tls.certificateRefs (or allowTLSPassthrough: true)"
            ),
        ),
        ("Passthrough", _) => {}
        (other, _) => findings.violation(
            format!("{path}.tls.mode"),
            format!("is {other:?}, which is not a TLS mode; use Terminate or Passthrough"),
        ),
    }
}

/// Routes name their hostnames; an HTTPRoute on a plain-HTTP listener only redirects to https,
/// and a GRPCRoute stays off plain-HTTP listeners.
pub fn check_route(
    kind: &str,
    route: &Route<'_>,
    namespace: &str,
    settings: &Settings,
    cluster: &dyn Cluster,
    solver: Solver<'_>,
) -> Verdict {
    let mut findings = Findings::new();
    let spec = &route.spec;
    if spec.listener_parents().next().is_none() {
        // No Gateway or ListenerSet parent: unattached, or mesh routing (a Service parent)
        // inside the cluster.
        return Verdict::accept();
    }
    let is_solver = matches!(solver, Solver::Yes);
    if let Solver::Labelled(why) = solver {
        findings.warn(format!(
            "metadata.labels[{SOLVER_LABEL}] marks an ACME HTTP-01 solver, but {why}, so it is \
             judged as any {kind}; a solver serves only Exact \
             /.well-known/acme-challenge/<token> paths"
        ));
    }
    // A solver without hostnames is cert-manager's for an IP address: one path, every name.
    if spec.hostnames.is_empty() && !is_solver {
        findings.violation(
            "spec.hostnames",
            format!(
                "is empty, so the {kind} takes every hostname of the listeners it attaches to, \
                 including names other teams route; list the hostnames it serves"
            ),
        );
    }
    let hosts = settings.host_rules();
    for (i, host) in spec.hostnames.iter().enumerate() {
        hosts.check(&mut findings, &format!("spec.hostnames[{i}]"), host);
    }
    // A solver answers the CA on the plain-HTTP listener, as RFC 8555 requires.
    if settings.require_https_redirect && kind != "TLSRoute" && !is_solver {
        check_plain_http(&mut findings, kind, route, namespace, cluster);
    }
    findings.into_verdict()
}

/// The plain-HTTP listeners the route attaches to, read from its parent Gateways and
/// ListenerSets (each parent's own listeners only, GEP-1713).
fn check_plain_http(
    findings: &mut Findings,
    kind: &str,
    route: &Route<'_>,
    namespace: &str,
    cluster: &dyn Cluster,
) {
    let mut attachments = Vec::new();
    for (i, parent, resource) in route.spec.listener_parents() {
        let path = format!("spec.parentRefs[{i}]");
        let parent_ns = parent.namespace_or(namespace);
        let (mut selected, mut plain) = (false, Vec::new());
        let found = with_listeners(cluster, resource, &parent.name, parent_ns, &mut |holder| {
            for l in holder.spec.listeners.iter().filter(|l| parent.selects(l)) {
                selected = true;
                if l.protocol == "HTTP" {
                    plain.push(format!(
                        "{:?} (port {})",
                        l.name,
                        l.port.unwrap_or_default()
                    ));
                }
            }
        });
        match found {
            Ok(()) if !selected => findings.warn(format!(
                "{path} selects no listener of {}, so it does not attach there",
                parent.describe(namespace)
            )),
            Ok(()) if !plain.is_empty() => attachments.push((path, parent, plain)),
            Ok(()) => {}
            Err(error) => findings.violation(
                &path,
                unreadable(
                    format_args!("names {} {parent_ns}/{}, which", resource.kind, parent.name),
                    format_args!(
                        "it cannot be checked whether the {kind} attaches to a plain-HTTP \
                         listener (requireHTTPSRedirect)"
                    ),
                    format_args!("the {kind}"),
                    &error,
                ),
            ),
        }
    }
    if kind == "GRPCRoute" {
        for (path, parent, plain) in &attachments {
            findings.violation(
                path,
                format!(
                    "attaches the GRPCRoute to the plain-HTTP listener {} of {}: gRPC would \
                     flow unencrypted (h2c), and gRPC clients do not follow redirects; attach it \
                     to an HTTPS listener by sectionName",
                    plain.join(", "),
                    parent.describe(namespace)
                ),
            );
        }
        return;
    }
    let Some((first, parent, plain)) = attachments.first() else {
        return;
    };
    let via = format!(
        "the plain-HTTP listener {} of {} ({first}{})",
        plain.join(", "),
        parent.describe(namespace),
        if attachments.len() > 1 {
            " and more"
        } else {
            ""
        }
    );
    for (j, rule) in route.spec.rules.iter().enumerate() {
        if rule.redirects_to_https() {
            continue;
        }
        let serves = if rule.backend_refs.is_empty() {
            "does not redirect to https"
        } else {
            "serves its backends in clear text instead of redirecting to https"
        };
        findings.violation(
            format!("spec.rules[{j}]"),
            format!(
                "{serves} on {via}; give the rule a RequestRedirect filter with scheme: https, \
                 or attach the HTTPRoute to an HTTPS listener by sectionName"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use serde_json::{Value, json};

    fn run(kind: &str, spec: Value, settings: Value, cluster: &MemoryCluster) -> Verdict {
        let group = match kind {
            "XListenerSet" => netsec_shared::gateway::X_GROUP,
            _ => GROUP,
        };
        let payload = json!({
            "request": {"uid": "1", "operation": "CREATE", "namespace": "shop",
                        "kind": {"group": group, "version": "v1", "kind": kind},
                        "object": {"kind": kind, "metadata": {"name": "x", "namespace": "shop"}, "spec": spec}},
            "settings": settings,
        })
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        crate::evaluate(&p.request, &p.settings, cluster)
    }

    fn edge() -> MemoryCluster {
        MemoryCluster::new(vec![json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "shop"},
            "spec": {"listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP"},
                {"name": "https", "port": 443, "protocol": "HTTPS",
                 "tls": {"certificateRefs": [{"name": "c"}]}}]}})])
    }

    fn message(v: &Verdict) -> String {
        v.message().unwrap_or_default()
    }

    #[test]
    fn listeners() {
        let none = MemoryCluster::default();
        let gw = |listener: Value| json!({"listeners": [listener]});
        let cases = [
            (
                json!({"name": "a", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": [{}]}}),
                "",
            ),
            (
                json!({"name": "a", "port": 443, "protocol": "HTTPS"}),
                "tls is missing",
            ),
            (
                json!({"name": "a", "port": 443, "protocol": "TLS", "tls": {}}),
                "certificateRefs is empty",
            ),
            (
                json!({"name": "a", "port": 443, "protocol": "TLS", "tls": {"mode": "Passthrough"}}),
                "forwards TLS unopened",
            ),
            (
                json!({"name": "a", "port": 443, "protocol": "HTTPS", "tls": {"mode": "Passthrough"}}),
                "cannot do",
            ),
            (
                json!({"name": "a", "port": 443, "protocol": "TLS", "tls": {"mode": "Open"}}),
                "not a TLS mode",
            ),
            (json!({"name": "a", "port": 80, "protocol": "HTTP"}), ""),
            (
                json!({"name": "a", "port": 81, "protocol": "HTTP"}),
                "on port 81",
            ),
            (
                json!({"name": "a", "port": 81, "protocol": "TCP"}),
                "\"TCP\"",
            ),
            (
                json!({"name": "a", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"}),
                "wildcard",
            ),
            (
                json!({"name": "a", "port": 80, "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "All"}}}),
                "\"All\"",
            ),
        ];
        for (listener, want) in cases {
            let v = run("Gateway", gw(listener.clone()), json!({}), &none);
            assert_eq!(v.is_accepted(), want.is_empty(), "{listener}: {v:?}");
            assert!(message(&v).contains(want), "{listener}: {v:?}");
        }
        let passthrough =
            gw(json!({"name": "a", "protocol": "TLS", "tls": {"mode": "Passthrough"}}));
        assert!(
            run(
                "Gateway",
                passthrough,
                json!({"allowTLSPassthrough": true}),
                &none
            )
            .is_accepted()
        );
    }

    #[test]
    fn routes() {
        let cluster = edge();
        let route = |parent: Value, rules: Value| json!({"parentRefs": [parent], "hostnames": ["shop.example.com"], "rules": rules});
        let backends = json!([{"backendRefs": [{"name": "web"}]}]);
        let redirect = json!([{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}]);
        let cases = [
            (
                "HTTPRoute",
                route(
                    json!({"name": "edge", "sectionName": "https"}),
                    backends.clone(),
                ),
                "",
            ),
            (
                "HTTPRoute",
                route(
                    json!({"name": "edge", "sectionName": "http"}),
                    redirect.clone(),
                ),
                "",
            ),
            (
                "HTTPRoute",
                route(
                    json!({"name": "edge", "sectionName": "http"}),
                    backends.clone(),
                ),
                "clear text",
            ),
            (
                "HTTPRoute",
                route(json!({"name": "edge", "port": 80}), backends.clone()),
                "clear text",
            ),
            (
                "HTTPRoute",
                route(json!({"name": "edge"}), backends.clone()),
                "clear text",
            ),
            (
                "HTTPRoute",
                route(
                    json!({"name": "edge", "namespace": "infra"}),
                    backends.clone(),
                ),
                "spec.parentRefs[0] names Gateway infra/edge, which could not be read, so it \
                 cannot be checked whether the HTTPRoute attaches to a plain-HTTP listener \
                 (requireHTTPSRedirect); the HTTPRoute is rejected (fail closed) [Callback \
                 evaluation failure: Cannot find gateway.networking.k8s.io/v1/Gateway named \
                 'edge' inside of namespace 'Some(\"infra\")']",
            ),
            (
                "GRPCRoute",
                route(json!({"name": "edge", "port": 80}), backends.clone()),
                "h2c",
            ),
            (
                "GRPCRoute",
                route(json!({"name": "edge", "port": 443}), backends.clone()),
                "",
            ),
            (
                "TLSRoute",
                route(json!({"name": "missing"}), backends.clone()),
                "",
            ),
            (
                "HTTPRoute",
                json!({"parentRefs": [{"name": "edge", "sectionName": "https"}]}),
                "spec.hostnames is empty",
            ),
            (
                "HTTPRoute",
                json!({"parentRefs": [{"kind": "Service", "group": "", "name": "web"}]}),
                "",
            ),
        ];
        for (kind, spec, want) in cases {
            let v = run(kind, spec.clone(), json!({}), &cluster);
            assert_eq!(v.is_accepted(), want.is_empty(), "{kind} {spec}: {v:?}");
            assert!(message(&v).contains(want), "{kind} {spec}: {v:?}");
        }
        let off = run(
            "HTTPRoute",
            route(json!({"name": "edge"}), backends),
            json!({"requireHTTPSRedirect": false}),
            &MemoryCluster::failing("refused"),
        );
        assert!(off.is_accepted(), "{off:?}");
    }

    #[test]
    fn listener_sets() {
        let gateway = |name: &str, ns: &str, class: &str| {
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                   "metadata": {"name": name, "namespace": ns},
                   "spec": {"gatewayClassName": class, "listeners": []}})
        };
        let listeners = json!([
            {"name": "plain", "port": 80, "protocol": "HTTP"},
            {"name": "secure", "port": 443, "protocol": "HTTPS",
             "tls": {"certificateRefs": [{"name": "c"}]}}]);
        let cluster = MemoryCluster::new(vec![
            gateway("edge", "shop", "eg"),
            gateway("waypoint", "infra", "istio-waypoint"),
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "ListenerSet",
                   "metadata": {"name": "team", "namespace": "shop"},
                   "spec": {"parentRef": {"name": "edge"}, "listeners": listeners}}),
            json!({"apiVersion": "gateway.networking.x-k8s.io/v1alpha1", "kind": "XListenerSet",
                   "metadata": {"name": "xteam", "namespace": "shop"},
                   "spec": {"parentRef": {"name": "edge"}, "listeners": listeners}}),
        ]);
        let set =
            |parent: Value, listener: Value| json!({"parentRef": parent, "listeners": [listener]});
        let hbone = json!({"name": "mesh", "port": 15008, "protocol": "HBONE"});
        let https = json!({"name": "a", "port": 443, "protocol": "HTTPS",
                           "tls": {"certificateRefs": [{"name": "c"}]}});
        let cases = [
            (
                "ListenerSet",
                set(json!({"name": "edge"}), https.clone()),
                "",
            ),
            // No HBONE listener: the parent Gateway is not read.
            ("ListenerSet", set(json!({"name": "gone"}), https), ""),
            (
                "ListenerSet",
                set(
                    json!({"name": "edge"}),
                    json!({"name": "a", "port": 8080, "protocol": "HTTP"}),
                ),
                "spec.listeners[0].protocol is \"HTTP\" on port 8080",
            ),
            (
                "XListenerSet",
                set(
                    json!({"name": "edge"}),
                    json!({"name": "a", "port": 5432, "protocol": "TCP"}),
                ),
                "spec.listeners[0].protocol is \"TCP\"",
            ),
            (
                "ListenerSet",
                set(
                    json!({"name": "waypoint", "namespace": "infra"}),
                    hbone.clone(),
                ),
                "",
            ),
            (
                "ListenerSet",
                set(json!({"name": "edge"}), hbone.clone()),
                "spec.listeners[0].protocol is \"HBONE\", Istio's mesh tunnel, on listener \
                 \"mesh\" of gatewayClassName \"eg\" (of its parent Gateway shop/edge), which \
                 is not a mesh gateway class",
            ),
            (
                "ListenerSet",
                set(json!({"name": "waypoint"}), hbone.clone()),
                "spec.parentRef names Gateway shop/waypoint, which could not be read, so the \
                 class of its HBONE listeners cannot be checked against meshGatewayClasses; the \
                 ListenerSet is rejected (fail closed) [Callback evaluation failure: Cannot find",
            ),
            (
                "XListenerSet",
                set(
                    json!({"kind": "Service", "group": "", "name": "edge"}),
                    hbone.clone(),
                ),
                "spec.parentRef does not name a Gateway",
            ),
            (
                "ListenerSet",
                json!({"listeners": [hbone]}),
                "spec.parentRef does not name",
            ),
        ];
        for (kind, spec, want) in cases {
            let v = run(kind, spec.clone(), json!({}), &cluster);
            assert_eq!(v.is_accepted(), want.is_empty(), "{kind} {spec}: {v:?}");
            assert!(message(&v).contains(want), "{kind} {spec}: {v:?}");
        }

        let route = |parent: Value| {
            json!({"parentRefs": [parent], "hostnames": ["shop.example.com"],
                   "rules": [{"backendRefs": [{"name": "web"}]}]})
        };
        let ls = |name: &str| json!({"group": GROUP, "kind": "ListenerSet", "name": name});
        let mut plain = ls("team");
        plain["sectionName"] = json!("plain");
        let mut secure = ls("team");
        secure["sectionName"] = json!("secure");
        let mut by_port = ls("team");
        by_port["port"] = json!(443);
        let xls = json!({"group": "gateway.networking.x-k8s.io", "kind": "XListenerSet", "name": "xteam"});
        let cases = [
            ("HTTPRoute", route(secure), ""),
            ("HTTPRoute", route(by_port), ""),
            (
                "HTTPRoute",
                route(plain.clone()),
                "spec.rules[0] serves its backends in clear text instead of redirecting to https \
                 on the plain-HTTP listener \"plain\" (port 80) of ListenerSet shop/team listener \
                 \"plain\" (spec.parentRefs[0])",
            ),
            ("GRPCRoute", route(plain), "h2c"),
            (
                "HTTPRoute",
                route(xls),
                "the plain-HTTP listener \"plain\" (port 80) of XListenerSet shop/xteam",
            ),
            (
                "HTTPRoute",
                route(ls("gone")),
                "spec.parentRefs[0] names ListenerSet shop/gone, which could not be read",
            ),
            // Not a kind of the Gateway API: no listener, no traffic from outside.
            (
                "HTTPRoute",
                route(
                    json!({"group": "gateway.networking.x-k8s.io", "kind": "ListenerSet", "name": "team"}),
                ),
                "",
            ),
        ];
        for (kind, spec, want) in cases {
            let v = run(kind, spec.clone(), json!({}), &cluster);
            assert_eq!(v.is_accepted(), want.is_empty(), "{kind} {spec}: {v:?}");
            assert!(message(&v).contains(want), "{kind} {spec}: {v:?}");
        }
    }
}
