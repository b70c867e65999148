//! The `ingress-tls` rules: a pure function from the request and settings to a verdict.

use netsec_shared::acme::{SOLVER_LABEL, solver_ingress};
use netsec_shared::cluster::Cluster;
use netsec_shared::host::CertificateNames;
use netsec_shared::ingress::{ClassSource, Ingress};
use netsec_shared::review::ingress_under_review;
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::settings::Settings;
use crate::{gateway, redirect};

/// Whether the object is an ACME HTTP-01 solver (see [`netsec_shared::acme`]).
#[derive(Clone, Copy, Debug)]
pub enum Solver<'w> {
    /// Judged as any object.
    No,
    /// A solver: the TLS coverage and redirect rules are lifted, the rest still holds.
    Yes,
    /// Labelled as cert-manager's solver but not one, for this reason: judged as any object,
    /// with a warning that says why.
    Labelled(&'w str),
}

/// Ingress, or a Gateway API object; `cluster` answers the Gateways and ListenerSets that routes
/// attach to, and the Gateways of ListenerSets.
pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    use netsec_shared::gateway::{GROUP, X_GROUP};
    if request.kind.group == GROUP || request.kind.group == X_GROUP {
        return gateway::evaluate(request, settings, cluster);
    }
    match ingress_under_review(request, &settings.exempt_namespaces) {
        Ok(Some(ingress)) => {
            let verdict = check(&ingress, settings, Solver::No);
            if verdict.is_accepted() || !settings.allow_acme_http01 {
                return verdict;
            }
            // Read only for an Ingress that would be rejected: its paths decide.
            match solver_ingress(request) {
                Ok(()) => check(&ingress, settings, Solver::Yes),
                Err(why) if ingress.metadata.label(SOLVER_LABEL) == Some("true") => {
                    check(&ingress, settings, Solver::Labelled(&why))
                }
                Err(_) => verdict,
            }
        }
        Ok(None) => Verdict::accept(),
        Err(rejection) => rejection,
    }
}

/// All the rules over a parsed Ingress; a solver is exempt from TLS coverage and redirects.
pub fn check(ingress: &Ingress<'_>, settings: &Settings, solver: Solver<'_>) -> Verdict {
    let mut findings = Findings::new();
    let is_solver = matches!(solver, Solver::Yes);
    if let Solver::Labelled(why) = solver {
        findings.warn(format!(
            "metadata.labels[{SOLVER_LABEL}] marks an ACME HTTP-01 solver, but {why}, so it is \
             judged as any Ingress; a solver serves only /.well-known/acme-challenge/<token> \
             paths, matched Exact or ImplementationSpecific"
        ));
    }
    let hosts = settings.host_rules();
    let spec = &ingress.spec;
    let tls_hosts: Vec<&str> = spec
        .tls
        .iter()
        .flat_map(|t| t.hosts.iter().map(|h| h.as_ref()))
        .filter(|h| !h.is_empty())
        .collect();
    let certificates = CertificateNames::new(tls_hosts.iter().copied());

    for (i, rule) in spec.rules.iter().enumerate() {
        let Some(host) = rule.host() else {
            // A solver's rule without a host serves one challenge path on every host (an IP
            // address identifier), nothing more.
            if !settings.allow_hostless_rules && !is_solver {
                findings.violation(
                    format!("spec.rules[{i}]"),
                    "has no host, so it answers every Host header, including names no \
                     certificate covers; set spec.rules[].host (or allowHostlessRules: true)",
                );
            }
            continue;
        };
        let path = format!("spec.rules[{i}].host");
        if !certificates.cover(host) && !is_solver {
            findings.violation(
                &path,
                format!(
                    "{host:?} is not covered by any spec.tls entry ({}); add it to \
                     spec.tls[].hosts with a certificate for it",
                    describe_tls_hosts(&tls_hosts)
                ),
            );
        }
        hosts.check(&mut findings, &path, host);
    }

    if spec.default_backend.is_some() && !settings.allow_hostless_rules {
        findings.violation(
            "spec.defaultBackend",
            "answers every Host header that no rule matches, including names no certificate \
             covers; route by host in spec.rules (or allowHostlessRules: true)",
        );
    }

    for (i, tls) in spec.tls.iter().enumerate() {
        if tls.secret_name.as_deref().is_none_or(str::is_empty)
            && !settings.allow_default_certificate
        {
            findings.violation(
                format!("spec.tls[{i}]"),
                "has no secretName, so the controller serves its default certificate, which \
                 browsers reject or which belongs to another host; set spec.tls[].secretName to \
                 a Secret with a certificate for these hosts (or allowDefaultCertificate: true)",
            );
        }
        if tls.hosts.iter().all(|h| h.is_empty()) {
            findings.warn(format!(
                "spec.tls[{i}] lists no hosts, so it covers no rule host here; list the hosts \
                 its certificate serves"
            ));
        }
        for (j, host) in tls.hosts.iter().enumerate() {
            if !host.is_empty() {
                hosts.check_suffix(&mut findings, &format!("spec.tls[{i}].hosts[{j}]"), host);
            }
        }
    }

    check_class(&mut findings, ingress, settings);

    // A solver answers the CA over plain HTTP; a redirect that sends the challenge to HTTPS
    // is the user's choice, not the policy's to reject.
    if settings.require_https_redirect && !is_solver {
        for (path, message) in redirect::violations(ingress) {
            findings.violation(path, message);
        }
    }
    findings.into_verdict()
}

fn describe_tls_hosts(hosts: &[&str]) -> String {
    if hosts.is_empty() {
        "the Ingress has no TLS hosts".to_string()
    } else {
        format!("TLS hosts: {}", hosts.join(", "))
    }
}

fn check_class(findings: &mut Findings, ingress: &Ingress<'_>, settings: &Settings) {
    let allowed = &settings.allowed_ingress_classes;
    if allowed.is_empty() {
        return;
    }
    let classes = ingress.classes();
    if classes.is_empty() {
        findings.violation(
            "spec.ingressClassName",
            format!(
                "is not set and no {} annotation names a class, so a default class or any \
                 controller may serve it; set spec.ingressClassName to one of: {}",
                netsec_shared::ingress::CLASS_ANNOTATION,
                allowed.join(", ")
            ),
        );
    }
    for (source, class) in classes {
        if !allowed.iter().any(|a| a == class) {
            let fix = match source {
                ClassSource::Field => "use one of",
                ClassSource::Annotation => {
                    "remove the deprecated annotation and set spec.ingressClassName to one of"
                }
            };
            findings.violation(
                source.path(),
                format!(
                    "{class:?} is not an allowed ingress class; {fix}: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use netsec_shared::review::ingress_payload;
    use serde_json::json;

    fn run(object: serde_json::Value, settings: serde_json::Value, operation: &str) -> Verdict {
        let payload = ingress_payload(&object, &settings, operation);
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(&p.request, &p.settings, &MemoryCluster::default())
    }

    fn ingress(rules: serde_json::Value, tls: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "shop", "namespace": "team-a"},
               "spec": {"ingressClassName": "nginx", "rules": rules, "tls": tls}})
    }

    #[test]
    fn table() {
        let cert = |hosts: serde_json::Value| json!([{"hosts": hosts, "secretName": "cert"}]);
        let rules = |hosts: &[&str]| -> serde_json::Value {
            hosts.iter().map(|h| json!({"host": h})).collect()
        };
        struct Case {
            name: &'static str,
            object: serde_json::Value,
            settings: serde_json::Value,
            allowed: bool,
            message: &'static str,
        }
        let cases = vec![
            Case {
                name: "covered",
                object: ingress(rules(&["a.example.com"]), cert(json!(["a.example.com"]))),
                settings: json!({}),
                allowed: true,
                message: "",
            },
            Case {
                name: "wildcard cert covers one label",
                object: ingress(
                    rules(&["a.example.com", "B.Example.com."]),
                    cert(json!(["*.example.com"])),
                ),
                settings: json!({}),
                allowed: true,
                message: "",
            },
            Case {
                name: "wildcard cert does not cover two labels",
                object: ingress(rules(&["a.b.example.com"]), cert(json!(["*.example.com"]))),
                settings: json!({}),
                allowed: false,
                message: "spec.rules[0].host \"a.b.example.com\" is not covered by any spec.tls entry (TLS hosts: *.example.com)",
            },
            Case {
                name: "no tls",
                object: ingress(rules(&["a.example.com"]), json!(null)),
                settings: json!({}),
                allowed: false,
                message: "the Ingress has no TLS hosts",
            },
            Case {
                name: "hostless rule",
                object: ingress(json!([{"http": {}}]), cert(json!(["a.example.com"]))),
                settings: json!({}),
                allowed: false,
                message: "spec.rules[0] has no host",
            },
            Case {
                name: "hostless allowed",
                object: ingress(json!([{"http": {}}]), cert(json!(["a.example.com"]))),
                settings: json!({"allowHostlessRules": true}),
                allowed: true,
                message: "",
            },
            Case {
                name: "wildcard rule host",
                object: ingress(rules(&["*.example.com"]), cert(json!(["*.example.com"]))),
                settings: json!({}),
                allowed: false,
                message: "is a wildcard",
            },
            Case {
                name: "suffixes",
                object: ingress(
                    rules(&["a.badexample.com"]),
                    cert(json!(["a.badexample.com"])),
                ),
                settings: json!({"allowedHostSuffixes": ["example.com"]}),
                allowed: false,
                message: "use a host in one of them\nspec.tls[0].hosts[0] \"a.badexample.com\" is outside",
            },
            Case {
                name: "class not allowed",
                object: ingress(rules(&["a.example.com"]), cert(json!(["a.example.com"]))),
                settings: json!({"allowedIngressClasses": ["traefik"]}),
                allowed: false,
                message: "spec.ingressClassName \"nginx\" is not an allowed ingress class; use one of: traefik",
            },
        ];
        for case in cases {
            let v = run(case.object, case.settings, "CREATE");
            assert_eq!(v.is_accepted(), case.allowed, "{}: {v:?}", case.name);
            if !case.message.is_empty() {
                let m = v.message().unwrap();
                assert!(m.contains(case.message), "{}: {m}", case.name);
            }
        }
    }

    #[test]
    fn operations_and_kinds() {
        let bad = ingress(json!([{"host": "a.example.com"}]), json!([]));
        assert!(run(bad.clone(), json!({}), "DELETE").is_accepted());
        assert!(run(bad.clone(), json!({}), "CONNECT").is_accepted());
        assert!(!run(bad.clone(), json!({}), "UPDATE").is_accepted());
        assert!(
            run(
                bad.clone(),
                json!({"exemptNamespaces": ["team-a"]}),
                "CREATE"
            )
            .is_accepted()
        );
        let pod = json!({"kind": "Pod", "metadata": {"name": "p"}});
        assert!(
            run(pod, json!({}), "CREATE")
                .message()
                .unwrap()
                .contains("is a Pod, not an Ingress")
        );
        let garbage = json!({"spec": {"tls": "yes"}});
        let m = run(garbage, json!({}), "CREATE").message().unwrap();
        assert!(
            m.contains("cannot be read as an Ingress") && m.contains("spec.tls"),
            "{m}"
        );
    }
}
