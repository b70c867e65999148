//! The `ingress-hardening` rules: a pure function from the request and settings to a verdict.

use netsec_shared::acme::solver_ingress;
use netsec_shared::controllers::{UnknownClass, resolve};
use netsec_shared::host::covers;
use netsec_shared::ingress::Ingress;
use netsec_shared::review::ingress_under_review;
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::settings::Settings;
use crate::{guards, ranges, risky};

pub fn evaluate(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    match ingress_under_review(request, &settings.exempt_namespaces) {
        Ok(Some(ingress)) => {
            let namespace = request.namespace.as_ref();
            let verdict = check(namespace, &ingress, settings, false);
            if verdict.is_accepted() {
                return verdict;
            }
            // Read only for an Ingress that would be rejected: its paths decide.
            match solver_ingress(request) {
                Ok(()) => check(namespace, &ingress, settings, true),
                Err(_) => verdict,
            }
        }
        Ok(None) => Verdict::accept(),
        Err(rejection) => rejection,
    }
}

/// All the rules over a parsed Ingress in `namespace`. An ACME HTTP-01 `solver` (see
/// [`netsec_shared::acme`]) must be reachable by the certificate authority from anywhere, without
/// credentials: it is exempt from the source ranges, authentication and WAF, which would stop the
/// certificate from being issued (cert-manager even writes
/// `nginx.ingress.kubernetes.io/whitelist-source-range: 0.0.0.0/0,::/0` on it, in
/// `buildIngressResource`). It serves one token, so nothing is lost; its annotations are still
/// judged for injection.
pub fn check(namespace: &str, ingress: &Ingress<'_>, settings: &Settings, solver: bool) -> Verdict {
    let mut findings = Findings::new();
    let annotations = &ingress.metadata.annotations;
    let nginx = settings.risky_nginx_prefixes();
    risky::check(&mut findings, annotations, settings, &nginx);
    if solver {
        return findings.into_verdict();
    }
    ranges::check(&mut findings, annotations, settings, &nginx);

    let auth_reason = if settings.require_auth {
        needs_auth(namespace, ingress, settings)
    } else {
        None
    };
    if auth_reason.is_none() && !settings.require_waf {
        return findings.into_verdict();
    }
    let kind = match resolve(ingress, &settings.controllers) {
        Ok(kind) => kind,
        Err(unresolved) => {
            let checks = match (auth_reason.is_some(), settings.require_waf) {
                (true, true) => "its authentication and WAF",
                (true, false) => "its authentication",
                _ => "its WAF",
            };
            match settings.unknown_class {
                UnknownClass::Reject => findings.violation(
                    &unresolved.path,
                    format!(
                        "{}, so {checks} cannot be checked; {}",
                        unresolved.what,
                        unresolved.remedy(&settings.controllers)
                    ),
                ),
                UnknownClass::Accept => findings.warn(format!(
                    "{} {}; {checks} went unchecked (map the class in the policy's \
                     controllers setting to check it)",
                    unresolved.path, unresolved.what
                )),
            }
            return findings.into_verdict();
        }
    };
    if let Some(reason) = &auth_reason {
        guards::check_auth(&mut findings, kind, annotations, settings, reason);
    }
    if settings.require_waf {
        guards::check_waf(&mut findings, kind, annotations, settings);
    }
    findings.into_verdict()
}

/// `None` when the Ingress may go without authentication (a public namespace, or only hosts in
/// `publicHosts`); otherwise why it may not, for the end of "anyone can use it".
fn needs_auth(namespace: &str, ingress: &Ingress<'_>, settings: &Settings) -> Option<String> {
    if settings.public_namespaces.contains(namespace) {
        return None;
    }
    if settings.public_hosts.is_empty() {
        return Some(String::new());
    }
    let spec = &ingress.spec;
    if spec.default_backend.is_some() {
        return Some(
            " (spec.defaultBackend answers every host, not only the publicHosts)".to_string(),
        );
    }
    if spec.rules.is_empty() {
        return Some(" (it names no host in publicHosts)".to_string());
    }
    for (i, rule) in spec.rules.iter().enumerate() {
        let Some(host) = rule.host() else {
            return Some(format!(
                " (spec.rules[{i}] has no host, so it answers every host, not only the \
                 publicHosts)"
            ));
        };
        if !settings.public_hosts.iter().any(|p| covers(p, host)) {
            return Some(format!(
                " (spec.rules[{i}].host {host:?} is not in publicHosts; serve public hosts \
                 from an Ingress of their own)"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::review::ingress_payload;
    use serde_json::{Value, json};

    fn run_op(object: Value, settings: Value, operation: &str) -> Verdict {
        let payload = ingress_payload(&object, &settings, operation);
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(&p.request, &p.settings)
    }

    fn ingress(class: &str, annotations: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "shop", "namespace": "team-a", "annotations": annotations},
               "spec": {"ingressClassName": class, "rules": [{"host": "shop.example.com"}]}})
    }

    #[test]
    fn table() {
        // name | class | annotations | settings | accept or reject | text in the message (or,
        // when accepted, in a warning).
        let table = r#"
plain | nginx | {"nginx.ingress.kubernetes.io/limit-rps": "10"} | {} | accept | 
snippet | nginx | {"nginx.ingress.kubernetes.io/server-snippet": "add_header X 1;"} | {} | reject | [nginx.ingress.kubernetes.io/server-snippet] is a configuration snippet: ingress-nginx
snippet on another class | traefik | {"nginx.ingress.kubernetes.io/configuration-snippet": "x"} | {} | reject | configuration snippet
snippet opted in | nginx | {"nginx.ingress.kubernetes.io/server-snippet": "add_header X 1;"} | {"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/server-snippet"]} | accept | 
opted-in snippet still checked for patterns | nginx | {"nginx.ingress.kubernetes.io/server-snippet": "location /x { alias /etc/; }"} | {"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/server-snippet"]} | reject | contains alias, /etc/
custom prefix | nginx | {"custom.io/auth-snippet": "x"} | {"annotationPrefix": "custom.io"} | reject | [custom.io/auth-snippet] is a configuration snippet
default prefix still risky | nginx | {"nginx.ingress.kubernetes.io/stream-snippet": "x"} | {"annotationPrefix": "custom.io"} | reject | stream-snippet
f5 snippet | x | {"nginx.org/server-snippets": "x"} | {} | reject | F5 NGINX Ingress Controller pastes
auth-url injection | nginx | {"nginx.ingress.kubernetes.io/auth-url": "http://a/#;\nload_module /tmp/x.so;"} | {} | reject | carries '#', which comments out the rest of the line, ';', which ends a directive, a line break, a blank
auth-url plain | nginx | {"nginx.ingress.kubernetes.io/auth-url": "https://auth.example.com/check"} | {} | accept | 
auth-url variable | nginx | {"nginx.ingress.kubernetes.io/auth-url": "https://$host/oauth2/auth"} | {} | reject | the nginx variable $host
auth-url variable allowed | nginx | {"nginx.ingress.kubernetes.io/auth-url": "https://$host/oauth2/auth"} | {"allowedNginxVariables": ["host"]} | accept | 
match-cn regex | nginx | {"nginx.ingress.kubernetes.io/auth-tls-match-cn": "CN=(a|b)\\.example\\.com$"} | {} | accept | 
match-cn injection | nginx | {"nginx.ingress.kubernetes.io/auth-tls-match-cn": "CN=x ) {}\nssl_engine x;"} | {} | reject | CVE-2025-1097
mirror variable | nginx | {"nginx.ingress.kubernetes.io/mirror-target": "https://m.example.com$request_uri"} | {"allowedNginxVariables": ["request_uri"]} | accept | 
quoted root in opted-in snippet | nginx | {"nginx.ingress.kubernetes.io/configuration-snippet": "\"root\" /;"} | {"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/configuration-snippet"]} | reject | contains root
single-quoted alias in unknown annotation | nginx | {"example.com/x": "'alias' /srv/;"} | {} | reject | contains alias
escaped load_module in snippet | nginx | {"nginx.org/server-snippets": "\"load_\\module\" x; 'load_module' /x.so;"} | {"allowedRiskyAnnotations": ["nginx.org/server-snippets"]} | reject | contains load_module
unclosed quote in opted-in snippet | nginx | {"nginx.ingress.kubernetes.io/server-snippet": "add_header X \"1;"} | {"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/server-snippet"]} | reject | cannot be read as nginx configuration: the quote
quoted argument in opted-in snippet | nginx | {"nginx.ingress.kubernetes.io/server-snippet": "add_header X-Root \"root /x\";"} | {"allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/server-snippet"]} | accept | 
json annotation | nginx | {"alb.ingress.kubernetes.io/actions.x": "{\"type\": \"redirect\", \"root\": \"/\"}"} | {} | accept | 
lua anywhere | nginx | {"example.com/note": "content_by_lua_block"} | {} | reject | contains _by_lua
secrets | nginx | {"nginx.ingress.kubernetes.io/auth-url": "http://a/x?f=/var/run/secrets"} | {} | reject | /var/run/secrets
innocent root | nginx | {"example.com/owner": "groot.example.com", "example.com/doc": "the root page"} | {} | accept | 
range ok | nginx | {"nginx.ingress.kubernetes.io/whitelist-source-range": "10.1.0.0/16, 2001:db8:1::/48"} | {"allowedSourceRanges": ["10.0.0.0/8", "2001:db8::/32"]} | accept | 
range outside | nginx | {"nginx.ingress.kubernetes.io/allowlist-source-range": "10.1.0.0/16,192.168.0.0/24"} | {"allowedSourceRanges": ["10.0.0.0/8"]} | reject | entry "192.168.0.0/24" reaches 192.168.0.0, outside
range everyone | nginx | {"nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0"} | {"allowedSourceRanges": ["10.0.0.0/8"]} | reject | is every address, which is no restriction
range v6 outside | nginx | {"nginx.ingress.kubernetes.io/whitelist-source-range": "2001:db9::/48"} | {"allowedSourceRanges": ["2001:db8::/32"]} | reject | reaches 2001:db9::
range mapped | nginx | {"nginx.ingress.kubernetes.io/whitelist-source-range": "::ffff:10.1.0.0/112"} | {"allowedSourceRanges": ["10.0.0.0/8"]} | accept | 
range malformed | nginx | {"nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/33"} | {} | reject | entry "10.0.0.0/33" is not a valid CIDR block
range unlimited everyone | nginx | {"nginx.ingress.kubernetes.io/whitelist-source-range": "::/0"} | {} | accept | restricts nothing
range haproxy | haproxy | {"haproxy.org/allow-list": "172.16.0.0/12"} | {"allowedSourceRanges": ["10.0.0.0/8"]} | reject | [haproxy.org/allow-list] entry "172.16.0.0/12" reaches 172.16.0.0
auth missing | nginx | {} | {"requireAuth": true} | reject | has no authentication that ingress-nginx applies
auth url | nginx | {"nginx.ingress.kubernetes.io/auth-url": "https://auth.example.com"} | {"requireAuth": true} | accept | 
auth basic | nginx | {"nginx.ingress.kubernetes.io/auth-type": "basic", "nginx.ingress.kubernetes.io/auth-secret": "users"} | {"requireAuth": true} | accept | 
auth basic no secret | nginx | {"nginx.ingress.kubernetes.io/auth-type": "basic"} | {"requireAuth": true} | reject | is "basic" but nginx.ingress.kubernetes.io/auth-secret is not set
auth type unknown | nginx | {"nginx.ingress.kubernetes.io/auth-type": "oauth", "nginx.ingress.kubernetes.io/auth-secret": "x"} | {"requireAuth": true} | reject | "oauth" is not an authentication type
auth tls | nginx | {"nginx.ingress.kubernetes.io/auth-tls-secret": "team-a/ca"} | {"requireAuth": true} | accept | 
auth tls optional | nginx | {"nginx.ingress.kubernetes.io/auth-tls-secret": "team-a/ca", "nginx.ingress.kubernetes.io/auth-tls-verify-client": "optional"} | {"requireAuth": true} | reject | lets clients in without a certificate
auth custom prefix | nginx | {"custom.io/auth-url": "https://auth.example.com"} | {"requireAuth": true, "annotationPrefix": "custom.io"} | accept | 
auth wrong prefix | nginx | {"nginx.ingress.kubernetes.io/auth-url": "https://auth.example.com"} | {"requireAuth": true, "annotationPrefix": "custom.io"} | reject | add custom.io/auth-url
auth public host | nginx | {} | {"requireAuth": true, "publicHosts": ["*.example.com"]} | accept | 
auth public host other | nginx | {} | {"requireAuth": true, "publicHosts": ["www.example.com"]} | reject | spec.rules[0].host "shop.example.com" is not in publicHosts
auth traefik | traefik | {"traefik.ingress.kubernetes.io/router.middlewares": "team-a-cors@kubernetescrd, team-a-sso@kubernetescrd"} | {"requireAuth": true, "traefikAuthMiddlewares": ["team-a-sso@kubernetescrd"]} | accept | 
auth traefik missing | traefik | {"traefik.ingress.kubernetes.io/router.middlewares": "team-a-cors@kubernetescrd"} | {"requireAuth": true, "traefikAuthMiddlewares": ["team-a-sso@kubernetescrd"]} | reject | add one of team-a-sso@kubernetescrd to traefik.ingress.kubernetes.io/router.middlewares
auth traefik none configured | traefik | {} | {"requireAuth": true} | reject | traefikAuthMiddlewares is empty
auth haproxy | haproxy | {"haproxy.org/auth-type": "basic-auth", "haproxy.org/auth-secret": "users"} | {"requireAuth": true} | accept | 
auth haproxy-ingress url | hi | {"haproxy-ingress.github.io/auth-url": "https://auth.example.com"} | {"requireAuth": true, "controllers": {"hi": "haproxy-ingress"}} | accept | 
auth haproxy missing | haproxy | {"haproxy.org/auth-type": "basic"} | {"requireAuth": true} | reject | "basic" is not an authentication type HAProxy Kubernetes Ingress (haproxytech) applies; use basic-auth
auth kong | kong | {"konghq.com/plugins": "oidc"} | {"requireAuth": true, "kongAuthPlugins": ["oidc"]} | accept | 
auth nginx-inc | inc | {"nginx.org/basic-auth-secret": "users"} | {"requireAuth": true, "controllers": {"inc": "nginx-inc"}} | accept | 
auth unknown class | other | {} | {"requireAuth": true} | reject | spec.ingressClassName "other" is an ingress class the policy does not map to a controller, so its authentication cannot be checked
auth unknown class accepted | other | {} | {"requireAuth": true, "unknownClass": "accept"} | accept | ; its authentication went unchecked
waf missing | nginx | {} | {"requireWAF": true} | reject | has no WAF that ingress-nginx applies
waf crs | nginx | {"nginx.ingress.kubernetes.io/enable-modsecurity": "true", "nginx.ingress.kubernetes.io/enable-owasp-core-rules": "true"} | {"requireWAF": true} | accept | 
waf no rules | nginx | {"nginx.ingress.kubernetes.io/enable-modsecurity": "true"} | {"requireWAF": true} | reject | no rules are loaded
waf detection only | nginx | {"nginx.ingress.kubernetes.io/enable-modsecurity": "true", "nginx.ingress.kubernetes.io/enable-owasp-core-rules": "true", "nginx.ingress.kubernetes.io/modsecurity-snippet": "SecRuleEngine DetectionOnly"} | {"requireWAF": true, "allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/modsecurity-snippet"]} | reject | sets SecRuleEngine detectiononly
waf snippet rules | nginx | {"nginx.ingress.kubernetes.io/enable-modsecurity": "true", "nginx.ingress.kubernetes.io/modsecurity-snippet": "SecRuleEngine On\nSecRule ARGS \"@contains attack\" \"id:1,deny\""} | {"requireWAF": true, "allowedRiskyAnnotations": ["nginx.ingress.kubernetes.io/modsecurity-snippet"]} | accept | 
waf traefik | traefik | {"traefik.ingress.kubernetes.io/router.middlewares": "waf-coraza@kubernetescrd"} | {"requireWAF": true, "traefikWAFMiddlewares": ["waf-coraza@kubernetescrd"]} | accept | 
waf haproxy-ingress detect | hi | {"haproxy-ingress.github.io/waf": "modsecurity", "haproxy-ingress.github.io/waf-mode": "detect"} | {"requireWAF": true, "controllers": {"hi": "haproxy-ingress"}} | reject | only logs
waf f5 | inc | {"appprotect.f5.com/app-protect-enable": "True"} | {"requireWAF": true, "controllers": {"inc": "nginx-inc"}} | accept | 
waf haproxy none | haproxy | {} | {"requireWAF": true} | reject | knows no WAF annotation
"#;
        for line in table.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(" | ").collect();
            assert_eq!(f.len(), 6, "{line}");
            let annotations: Value = serde_json::from_str(f[2]).unwrap();
            let settings: Value = serde_json::from_str(f[3]).unwrap();
            let v = run_op(ingress(f[1], annotations), settings, "CREATE");
            assert_eq!(v.is_accepted(), f[4] == "accept", "{}: {v:?}", f[0]);
            let text = f[5].trim();
            if !text.is_empty() {
                let haystack = v.message().unwrap_or_else(|| v.warnings().join("\n"));
                assert!(haystack.contains(text), "{}: {haystack}", f[0]);
            }
        }
    }

    #[test]
    fn gate() {
        let bad = ingress(
            "nginx",
            json!({"nginx.ingress.kubernetes.io/server-snippet": "x"}),
        );
        assert!(run_op(bad.clone(), json!({}), "DELETE").is_accepted());
        assert!(!run_op(bad.clone(), json!({}), "UPDATE").is_accepted());
        assert!(run_op(bad, json!({"exemptNamespaces": ["team-a"]}), "CREATE").is_accepted());
        let open = ingress("nginx", json!({}));
        assert!(
            run_op(
                open,
                json!({"requireAuth": true, "publicNamespaces": ["team-a"]}),
                "CREATE"
            )
            .is_accepted()
        );
        let garbage = json!({"kind": "Ingress", "metadata": {"annotations": {"a": 1}}});
        let m = run_op(garbage, json!({}), "CREATE").message().unwrap();
        assert!(m.contains("cannot be read as an Ingress"), "{m}");
    }

    #[test]
    fn last_applied_copy_is_not_judged_twice() {
        let snippet = "location /x { alias /etc/; }";
        let last = json!({"metadata": {"annotations": {
            "nginx.ingress.kubernetes.io/server-snippet": snippet}}});
        let object = ingress(
            "nginx",
            json!({"nginx.ingress.kubernetes.io/server-snippet": snippet,
                   "kubectl.kubernetes.io/last-applied-configuration": last.to_string()}),
        );
        let m = run_op(object, json!({}), "CREATE").message().unwrap();
        assert_eq!(m.lines().count(), 2, "{m}");
        assert!(!m.contains("last-applied"), "{m}");
    }

    #[test]
    fn hostless_and_default_backend_need_auth() {
        let settings = json!({"requireAuth": true, "publicHosts": ["*.example.com"]});
        let mut object = ingress("nginx", json!({}));
        object["spec"]["rules"] = json!([{"host": "a.example.com"}, {}]);
        let m = run_op(object.clone(), settings.clone(), "CREATE")
            .message()
            .unwrap();
        assert!(m.contains("spec.rules[1] has no host"), "{m}");
        object["spec"]["rules"] = json!([{"host": "a.example.com"}]);
        object["spec"]["defaultBackend"] = json!({"service": {"name": "x"}});
        let m = run_op(object, settings, "CREATE").message().unwrap();
        assert!(m.contains("spec.defaultBackend answers every host"), "{m}");
    }

    #[test]
    fn no_value_panics() {
        let values = [
            "",
            " ",
            "$",
            "${",
            "${}",
            "$$",
            "\\",
            "\u{0}",
            "é\u{301}",
            "/etc",
            "//",
            "/./",
            "root",
            "alias\t",
            "{",
            "}",
            ";",
            "#",
            "0.0.0.0/0",
            "::/0",
            ",",
            "patterns/x",
        ];
        let keys = [
            "nginx.ingress.kubernetes.io/auth-url",
            "nginx.ingress.kubernetes.io/auth-tls-match-cn",
            "nginx.ingress.kubernetes.io/whitelist-source-range",
            "nginx.ingress.kubernetes.io/auth-type",
            "nginx.ingress.kubernetes.io/modsecurity-snippet",
            "haproxy.org/allow-list",
            "traefik.ingress.kubernetes.io/router.middlewares",
        ];
        let settings = json!({"requireAuth": true, "requireWAF": true,
                              "allowedSourceRanges": ["10.0.0.0/8"]});
        for key in keys {
            for value in values {
                for class in ["nginx", "haproxy", "traefik"] {
                    let _ = run_op(
                        ingress(class, json!({ key: value })),
                        settings.clone(),
                        "CREATE",
                    );
                }
            }
        }
    }
}
