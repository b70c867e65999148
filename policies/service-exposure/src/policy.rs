//! The `service-exposure` rules: a pure function from the request and settings to a verdict.

use netsec_shared::request::{GroupVersionKind, OwnObject};
use netsec_shared::review::{judges, object_of_kind, of_kind};
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::endpoints::{check_endpoints, check_slice};
use crate::objects::{EndpointSlice, Endpoints, Kinded, Service};
use crate::service;
use crate::settings::Settings;

/// The kinds the policy judges, by the request's group and kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Judged {
    Service,
    Endpoints,
    EndpointSlice,
}

fn judged(group: &str, kind: &str) -> Option<Judged> {
    match (group, kind) {
        ("", "Service") => Some(Judged::Service),
        ("", "Endpoints") => Some(Judged::Endpoints),
        ("discovery.k8s.io", "EndpointSlice") => Some(Judged::EndpointSlice),
        _ => None,
    }
}

/// Services are read as a [`Service`] in the pass that reads the request: otherwise that pass
/// walks the whole object to find where it ends, and the policy reads it again (a typical
/// Service is three quarters of its request).
pub struct Own;

impl OwnObject for Own {
    type Of<'a> = Service<'a>;

    fn wanted(kind: &GroupVersionKind<'_>) -> bool {
        judged(&kind.group, &kind.kind) == Some(Judged::Service)
    }
}

pub fn evaluate(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    evaluate_own(request, None, settings)
}

/// [`evaluate`], with the Service already read when the request's pass read it ([`Own`]);
/// `None` reads the object from the request.
pub fn evaluate_own<'a>(
    request: &AdmissionRequest<'a>,
    own: Option<Service<'a>>,
    settings: &Settings,
) -> Verdict {
    if !judges(request, &settings.exempt_namespaces) {
        return Verdict::accept();
    }
    let kind = if request.kind.kind.is_empty() {
        // A hand-built request: the object says what it is.
        let object = match request.object::<Kinded>("an object") {
            Ok(object) => object,
            Err(message) => return Verdict::reject(message),
        };
        let kind = object.kind.unwrap_or_default();
        let group = if kind == "EndpointSlice" {
            "discovery.k8s.io"
        } else {
            ""
        };
        judged(group, &kind)
    } else {
        judged(&request.kind.group, &request.kind.kind)
    };
    let mut findings = Findings::new();
    match kind {
        None => return Verdict::accept(),
        Some(Judged::Service) => {
            let object = match own.map_or_else(
                || object_of_kind(request, "Service", service_kind),
                |own| of_kind(own, "Service", service_kind),
            ) {
                Ok(object) => object,
                Err(rejection) => return rejection,
            };
            let namespace = namespace_of(request, &object.metadata);
            if settings.exempt_namespaces.contains(namespace) {
                return Verdict::accept();
            }
            service::check(&mut findings, namespace, &object, settings);
        }
        Some(Judged::Endpoints) => {
            if settings.is_endpoint_controller(&request.user_info.username) {
                return Verdict::accept();
            }
            let object: Endpoints =
                match object_of_kind::<Endpoints>(request, "Endpoints", |e| e.kind.as_deref()) {
                    Ok(object) => object,
                    Err(rejection) => return rejection,
                };
            if settings
                .exempt_namespaces
                .contains(namespace_of(request, &object.metadata))
            {
                return Verdict::accept();
            }
            check_endpoints(&mut findings, &object, settings);
        }
        Some(Judged::EndpointSlice) => {
            if settings.is_endpoint_controller(&request.user_info.username) {
                return Verdict::accept();
            }
            let object: EndpointSlice =
                match object_of_kind::<EndpointSlice>(request, "EndpointSlice", |e| {
                    e.kind.as_deref()
                }) {
                    Ok(object) => object,
                    Err(rejection) => return rejection,
                };
            let namespace = namespace_of(request, &object.metadata);
            if settings.exempt_namespaces.contains(namespace) {
                return Verdict::accept();
            }
            check_slice(&mut findings, namespace, &object, settings);
        }
    }
    findings.into_verdict()
}

fn service_kind<'s>(service: &'s Service<'_>) -> Option<&'s str> {
    service.kind.as_deref()
}

/// The request's namespace, else the object's (hand-built requests may leave it out).
fn namespace_of<'r>(
    request: &'r AdmissionRequest<'_>,
    metadata: &'r netsec_shared::ObjectMeta<'_>,
) -> &'r str {
    request.namespace_or(metadata.namespace.as_deref().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use serde_json::{Value, json};

    const CONTROLLER: &str = "system:serviceaccount:kube-system:endpointslice-controller";

    fn run(object: &Value, settings: Value, operation: &str, user: &str) -> Verdict {
        let kind = object["kind"].as_str().unwrap_or_default();
        let group = if kind == "EndpointSlice" {
            "discovery.k8s.io"
        } else {
            ""
        };
        let payload = json!({
            "request": {"uid": "1", "kind": {"group": group, "version": "v1", "kind": kind},
                        "operation": operation, "namespace": "team-a",
                        "userInfo": {"username": user, "groups": ["system:authenticated"]},
                        "object": object},
            "settings": settings,
        })
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        let verdict = evaluate(&p.request, &p.settings);
        // Every case again as the module reads it: a Service decoded in the request's pass.
        let own = netsec_shared::guest::verdict_own::<Settings, crate::Views, Own, _>(
            payload.as_bytes(),
            evaluate_own,
        );
        assert_eq!(own, verdict, "read in the request's pass: {payload}");
        verdict
    }

    fn service(spec: Value, annotations: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "team-a", "annotations": annotations},
               "spec": spec})
    }

    fn lb(extra: Value, annotations: Value) -> Value {
        let mut spec = json!({"type": "LoadBalancer", "ports": [{"port": 443, "nodePort": 30443}],
                              "allocateLoadBalancerNodePorts": true});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        service(spec, annotations)
    }

    /// name | object | settings | accept or reject | text in the message (or, accepted, in a warning)
    #[test]
    fn service_table() {
        let aws_internal = json!({"service.beta.kubernetes.io/aws-load-balancer-internal": "true"});
        let cases: Vec<(&str, Value, Value, bool, &str)> = vec![
            (
                "cluster ip",
                service(json!({"ports": [{"port": 80}]}), json!({})),
                json!({}),
                true,
                "",
            ),
            (
                "external ip refused",
                service(json!({"externalIPs": ["203.0.113.7"]}), json!({})),
                json!({}),
                false,
                "spec.externalIPs[0] \"203.0.113.7\" is not in allowedExternalIPs: whoever may create a Service can take every pod's and node's traffic to an external IP this way (CVE-2020-8554)",
            ),
            (
                "external ip allowed",
                service(json!({"externalIPs": ["203.0.113.7"]}), json!({})),
                json!({"allowedExternalIPs": ["203.0.113.0/24"]}),
                true,
                "",
            ),
            (
                "external ip v6 allowed",
                service(json!({"externalIPs": ["2001:db8::7"]}), json!({})),
                json!({"allowedExternalIPs": ["2001:db8::/64"]}),
                true,
                "",
            ),
            (
                "external ip leading zeros",
                service(json!({"externalIPs": ["0203.0.113.7"]}), json!({})),
                json!({"allowedExternalIPs": ["203.0.113.0/24"]}),
                true,
                "",
            ),
            (
                "external ip mapped outside",
                service(json!({"externalIPs": ["::ffff:198.51.100.1"]}), json!({})),
                json!({"allowedExternalIPs": ["203.0.113.0/24"]}),
                false,
                "\"::ffff:198.51.100.1\" (198.51.100.1) is not in allowedExternalIPs",
            ),
            (
                "external ip garbage",
                service(json!({"externalIPs": ["web"]}), json!({})),
                json!({}),
                false,
                "spec.externalIPs[0] \"web\" is not an IP address",
            ),
            (
                "public lb refused",
                lb(json!({}), json!({})),
                json!({}),
                false,
                "spec.type \"LoadBalancer\" without source ranges admits every client on the internet",
            ),
            (
                "internal aws",
                lb(json!({}), aws_internal.clone()),
                json!({}),
                true,
                "",
            ),
            (
                "internal aws untrusted",
                lb(json!({}), aws_internal.clone()),
                json!({"loadBalancerProviders": ["gcp"]}),
                false,
                "make it internal (networking.gke.io/load-balancer-type: Internal)",
            ),
            (
                "internal class",
                lb(
                    json!({"loadBalancerClass": "example.com/private"}),
                    json!({}),
                ),
                json!({"internalLoadBalancerClasses": ["example.com/private"]}),
                true,
                "",
            ),
            (
                "cloud annotation ignored with another class",
                lb(
                    json!({"loadBalancerClass": "example.com/vip"}),
                    aws_internal.clone(),
                ),
                json!({}),
                false,
                "admits every client",
            ),
            (
                "source ranges inside",
                lb(
                    json!({"loadBalancerSourceRanges": ["10.1.0.0/16", " 192.168.4.0/24 "]}),
                    json!({}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8", "192.168.0.0/16"]}),
                true,
                "",
            ),
            (
                "source ranges outside",
                lb(
                    json!({"loadBalancerSourceRanges": ["10.1.0.0/16", "172.16.0.0/12"]}),
                    json!({}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "spec.loadBalancerSourceRanges entry \"172.16.0.0/12\" admits 172.16.0.0, outside allowedSourceRanges (10.0.0.0/8)",
            ),
            (
                "source ranges none approved",
                lb(
                    json!({"loadBalancerSourceRanges": ["10.1.0.0/16"]}),
                    json!({}),
                ),
                json!({}),
                false,
                "outside allowedSourceRanges (none)",
            ),
            (
                "source ranges everyone",
                lb(
                    json!({"loadBalancerSourceRanges": ["10.1.0.0/16", "0.0.0.0/0"]}),
                    json!({}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "entry \"0.0.0.0/0\" admits every client (0.0.0.0/0)",
            ),
            (
                "source ranges everyone v6",
                lb(json!({"loadBalancerSourceRanges": ["::/0"]}), json!({})),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "entry \"::/0\" admits every client (::/0)",
            ),
            (
                "source ranges mapped everyone",
                lb(
                    json!({"loadBalancerSourceRanges": ["::ffff:0.0.0.0/96"]}),
                    json!({}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "admits every client (0.0.0.0/0)",
            ),
            (
                "source ranges mapped inside",
                lb(
                    json!({"loadBalancerSourceRanges": ["::ffff:10.1.0.0/112"]}),
                    json!({}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                true,
                "",
            ),
            (
                "source ranges malformed",
                lb(
                    json!({"loadBalancerSourceRanges": ["10.0.0.0/33"]}),
                    json!({}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "entry \"10.0.0.0/33\" is not a CIDR block",
            ),
            (
                "source range annotation",
                lb(
                    json!({}),
                    json!({"service.beta.kubernetes.io/load-balancer-source-ranges": "10.1.0.0/16, 10.2.0.0/16"}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                true,
                "",
            ),
            (
                "source range annotation outside",
                lb(
                    json!({}),
                    json!({"service.beta.kubernetes.io/load-balancer-source-ranges": "10.1.0.0/16,8.8.8.0/24"}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges] entry \"8.8.8.0/24\" admits 8.8.8.0",
            ),
            (
                "source range annotation empty is everyone",
                lb(
                    json!({}),
                    json!({"service.beta.kubernetes.io/load-balancer-source-ranges": " "}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                false,
                "without source ranges",
            ),
            (
                "field wins over annotation",
                lb(
                    json!({"loadBalancerSourceRanges": ["10.1.0.0/16"]}),
                    json!({"service.beta.kubernetes.io/load-balancer-source-ranges": "0.0.0.0/0"}),
                ),
                json!({"allowedSourceRanges": ["10.0.0.0/8"]}),
                true,
                "",
            ),
            (
                "public allowed warns",
                lb(json!({}), json!({})),
                json!({"allowPublicLoadBalancers": true}),
                true,
                "spec.externalTrafficPolicy is Cluster on a public load balancer",
            ),
            (
                "public allowed local",
                lb(
                    json!({"externalTrafficPolicy": "Local", "healthCheckNodePort": 31500}),
                    json!({}),
                ),
                json!({"allowPublicLoadBalancers": true}),
                true,
                "",
            ),
            (
                "namespace not allowed",
                lb(json!({}), aws_internal.clone()),
                json!({"loadBalancerNamespaces": ["ingress"]}),
                false,
                "spec.type \"LoadBalancer\" is not allowed in namespace \"team-a\" (loadBalancerNamespaces: ingress)",
            ),
            (
                "namespace allowed",
                lb(json!({}), aws_internal.clone()),
                json!({"loadBalancerNamespaces": ["team-a"]}),
                true,
                "",
            ),
            (
                "class not allowed",
                lb(json!({"loadBalancerClass": "example.com/vip"}), json!({})),
                json!({"allowedLoadBalancerClasses": ["service.k8s.aws/nlb"], "allowPublicLoadBalancers": true}),
                false,
                "spec.loadBalancerClass \"example.com/vip\" is not in allowedLoadBalancerClasses (service.k8s.aws/nlb)",
            ),
            (
                "lb ip not allowed",
                lb(
                    json!({"loadBalancerIP": "198.51.100.9"}),
                    aws_internal.clone(),
                ),
                json!({"allowedLoadBalancerIPs": ["192.0.2.0/24"]}),
                false,
                "spec.loadBalancerIP \"198.51.100.9\" is not in allowedLoadBalancerIPs",
            ),
            (
                "lb ip allowed",
                lb(json!({"loadBalancerIP": "192.0.2.9"}), aws_internal.clone()),
                json!({"allowedLoadBalancerIPs": ["192.0.2.0/24"]}),
                true,
                "",
            ),
            (
                "metallb ips",
                lb(
                    json!({}),
                    json!({"metallb.universe.tf/loadBalancerIPs": "192.0.2.9, 198.51.100.1",
                    "service.beta.kubernetes.io/aws-load-balancer-internal": "true"}),
                ),
                json!({"allowedLoadBalancerIPs": ["192.0.2.0/24"]}),
                false,
                "metadata.annotations[metallb.universe.tf/loadBalancerIPs] \"198.51.100.1\" is not in allowedLoadBalancerIPs",
            ),
            (
                "lb node ports refused",
                lb(json!({}), aws_internal.clone()),
                json!({"nodePortNamespaces": []}),
                false,
                "spec.allocateLoadBalancerNodePorts is not false, so the load balancer opens a node port on every node",
            ),
            (
                "lb node ports unset means allocated",
                lb(
                    json!({"allocateLoadBalancerNodePorts": null}),
                    aws_internal.clone(),
                ),
                json!({"nodePortNamespaces": ["other"]}),
                false,
                "spec.allocateLoadBalancerNodePorts is not false",
            ),
            (
                "lb without node ports",
                lb(
                    json!({"allocateLoadBalancerNodePorts": false, "ports": [{"port": 443}]}),
                    aws_internal.clone(),
                ),
                json!({"nodePortNamespaces": []}),
                true,
                "",
            ),
            (
                "lb explicit node port without allocation",
                lb(
                    json!({"allocateLoadBalancerNodePorts": false}),
                    aws_internal.clone(),
                ),
                json!({"nodePortNamespaces": []}),
                false,
                "spec.ports[0].nodePort 30443 opens a port on every node",
            ),
            (
                "nodeport allowed by default",
                service(
                    json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
                    json!({}),
                ),
                json!({}),
                true,
                "",
            ),
            (
                "nodeport namespace refused",
                service(
                    json!({"type": "NodePort", "ports": [{"port": 80}]}),
                    json!({}),
                ),
                json!({"nodePortNamespaces": ["ingress"]}),
                false,
                "spec.type \"NodePort\" is not allowed in namespace \"team-a\" (nodePortNamespaces: ingress)",
            ),
            (
                "nodeport range",
                service(
                    json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}, {"port": 81, "nodePort": 32000}]}),
                    json!({}),
                ),
                json!({"nodePortRange": "30000-30999"}),
                false,
                "spec.ports[1].nodePort 32000 is outside nodePortRange 30000-30999",
            ),
            (
                "health check port range",
                lb(
                    json!({"externalTrafficPolicy": "Local", "healthCheckNodePort": 32500}),
                    aws_internal.clone(),
                ),
                json!({"nodePortRange": "30000-30999"}),
                false,
                "spec.healthCheckNodePort 32500 is outside nodePortRange",
            ),
            (
                "external name ok",
                service(
                    json!({"type": "ExternalName", "externalName": "db.example.com"}),
                    json!({}),
                ),
                json!({}),
                true,
                "",
            ),
            (
                "external name metadata",
                service(
                    json!({"type": "ExternalName", "externalName": "metadata.google.internal"}),
                    json!({}),
                ),
                json!({}),
                false,
                "spec.externalName \"metadata.google.internal\" matches \"metadata.google.internal\" of deniedExternalNames",
            ),
            (
                "external name ip",
                service(
                    json!({"type": "ExternalName", "externalName": "169.254.169.254"}),
                    json!({}),
                ),
                json!({}),
                false,
                "is an IP address literal (the address 169.254.169.254)",
            ),
            (
                "external name other namespace",
                service(
                    json!({"type": "ExternalName", "externalName": "api.payments.svc.cluster.local"}),
                    json!({}),
                ),
                json!({}),
                false,
                "is a name of namespace \"payments\"",
            ),
            (
                "external name custom domain",
                service(
                    json!({"type": "ExternalName", "externalName": "api.payments.svc.cluster.local"}),
                    json!({}),
                ),
                json!({"clusterDomain": "corp.internal"}),
                true,
                "",
            ),
            (
                "external name missing",
                service(json!({"type": "ExternalName"}), json!({})),
                json!({}),
                false,
                "spec.externalName is empty",
            ),
            (
                "unknown type",
                service(json!({"type": "Headless"}), json!({})),
                json!({}),
                false,
                "spec.type \"Headless\" is not a Service type",
            ),
        ];
        for (name, object, settings, accept, text) in cases {
            let v = run(&object, settings, "CREATE", "alice");
            assert_eq!(v.is_accepted(), accept, "{name}: {v:?}");
            if !text.is_empty() {
                let haystack = v.message().unwrap_or_else(|| v.warnings().join("\n"));
                assert!(haystack.contains(text), "{name}: {haystack}");
            } else if accept {
                assert!(v.warnings().is_empty(), "{name}: {v:?}");
            }
        }
    }

    #[test]
    fn endpoints_table() {
        let endpoints = |ips: &[&str]| {
            json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db", "namespace": "team-a"},
                   "subsets": [{"addresses": ips.iter().map(|ip| json!({"ip": ip})).collect::<Vec<_>>(),
                                "notReadyAddresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 5432}]}]})
        };
        let slice = |kind: &str, addresses: &[&str], labels: Value| {
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": {"name": "db-1", "namespace": "team-a", "labels": labels},
                   "addressType": kind,
                   "endpoints": addresses.iter().map(|a| json!({"addresses": [a]})).collect::<Vec<_>>(),
                   "ports": [{"port": 5432}]})
        };
        let controller_label =
            json!({"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"});
        let cases: Vec<(&str, Value, Value, &str, bool, &str)> = vec![
            (
                "plain",
                endpoints(&["10.1.2.3"]),
                json!({}),
                "alice",
                true,
                "",
            ),
            (
                "metadata",
                endpoints(&["10.1.2.3", "169.254.169.254"]),
                json!({}),
                "alice",
                false,
                "subsets[0].addresses[1].ip \"169.254.169.254\" lies in 169.254.0.0/16 (link-local: the cloud metadata service 169.254.169.254)",
            ),
            (
                "mapped metadata",
                endpoints(&["::ffff:169.254.169.254"]),
                json!({}),
                "alice",
                false,
                "\"::ffff:169.254.169.254\" (169.254.169.254) lies in 169.254.0.0/16",
            ),
            (
                "leading zeros",
                endpoints(&["100.100.100.0200"]),
                json!({}),
                "alice",
                false,
                "\"100.100.100.0200\" (100.100.100.200) lies in 100.100.100.200/32 (the Alibaba Cloud metadata service)",
            ),
            (
                "aws v6 metadata",
                endpoints(&["fd00:ec2::254"]),
                json!({}),
                "alice",
                false,
                "the AWS metadata service (IPv6)",
            ),
            (
                "api server",
                endpoints(&["192.168.10.5"]),
                json!({"apiServerAndNodeCIDRs": ["192.168.10.0/24"]}),
                "alice",
                false,
                "an API server or node address (apiServerAndNodeCIDRs)",
            ),
            (
                "controller writes node address",
                endpoints(&["192.168.10.5"]),
                json!({"apiServerAndNodeCIDRs": ["192.168.10.0/24"]}),
                "system:serviceaccount:kube-system:endpoint-controller",
                true,
                "",
            ),
            (
                "not an ip",
                endpoints(&["db.example.com"]),
                json!({}),
                "alice",
                false,
                "subsets[0].addresses[0].ip \"db.example.com\" is not an IP address",
            ),
            (
                "custom denied replaces defaults",
                endpoints(&["169.254.169.254", "10.0.0.1"]),
                json!({"deniedEndpointCIDRs": ["10.0.0.0/8"]}),
                "alice",
                false,
                "subsets[0].addresses[1].ip \"10.0.0.1\" lies in 10.0.0.0/8 (listed in deniedEndpointCIDRs)",
            ),
            (
                "slice plain",
                slice("IPv4", &["10.1.2.3"], json!({})),
                json!({}),
                "alice",
                true,
                "",
            ),
            (
                "slice metadata",
                slice("IPv4", &["10.1.2.3", "169.254.169.254"], json!({})),
                json!({}),
                "alice",
                false,
                "endpoints[1].addresses[0] \"169.254.169.254\" lies in 169.254.0.0/16",
            ),
            (
                "slice v6 loopback",
                slice("IPv6", &["::1"], json!({})),
                json!({}),
                "alice",
                false,
                "lies in ::1/128 (loopback: the node itself)",
            ),
            (
                "slice controller label from user",
                slice("IPv4", &["169.254.169.254"], controller_label.clone()),
                json!({}),
                "alice",
                false,
                "lies in 169.254.0.0/16",
            ),
            (
                "slice written by controller",
                slice("IPv4", &["169.254.169.254"], controller_label.clone()),
                json!({}),
                CONTROLLER,
                true,
                "",
            ),
            (
                "slice controller user not trusted",
                slice("IPv4", &["169.254.169.254"], controller_label),
                json!({"endpointControllers": ["other"]}),
                CONTROLLER,
                false,
                "lies in 169.254.0.0/16",
            ),
            (
                "slice fqdn",
                slice("FQDN", &["db.example.com"], json!({})),
                json!({}),
                "alice",
                true,
                "",
            ),
            (
                "slice fqdn metadata",
                slice("FQDN", &["metadata.google.internal"], json!({})),
                json!({}),
                "alice",
                false,
                "endpoints[0].addresses[0] \"metadata.google.internal\" matches",
            ),
        ];
        for (name, object, settings, user, accept, text) in cases {
            let v = run(&object, settings, "CREATE", user);
            assert_eq!(v.is_accepted(), accept, "{name}: {v:?}");
            if !text.is_empty() {
                let m = v.message().unwrap_or_default();
                assert!(m.contains(text), "{name}: {m}");
            }
        }
    }

    #[test]
    fn operations_and_gate() {
        let bad = service(json!({"externalIPs": ["203.0.113.7"]}), json!({}));
        assert!(!run(&bad, json!({}), "UPDATE", "alice").is_accepted());
        assert!(run(&bad, json!({}), "DELETE", "alice").is_accepted());
        assert!(run(&bad, json!({}), "CONNECT", "alice").is_accepted());
        assert!(
            run(
                &bad,
                json!({"exemptNamespaces": ["team-a"]}),
                "CREATE",
                "alice"
            )
            .is_accepted()
        );
        let configmap = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        assert!(run(&configmap, json!({}), "CREATE", "alice").is_accepted());
        let garbage = json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": "80"}});
        let m = run(&garbage, json!({}), "CREATE", "alice")
            .message()
            .unwrap();
        assert!(m.contains("cannot be read as a Service: spec.ports"), "{m}");
        let wrong = json!({"apiVersion": "v1", "kind": "Pod"});
        let payload = json!({"request": {"kind": {"group": "", "version": "v1", "kind": "Service"},
                                         "operation": "CREATE", "object": wrong}})
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        let m = evaluate(&p.request, &p.settings).message().unwrap();
        assert!(m.contains("is a Pod, not a Service"), "{m}");
        // A request that does not name its kind is judged by the object's.
        let payload = json!({"request": {"operation": "CREATE", "object": bad}}).to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        assert!(!evaluate(&p.request, &p.settings).is_accepted());
    }

    #[test]
    fn update_that_changes_type_is_judged_on_the_new_object() {
        let cluster_ip = service(
            json!({"type": "ClusterIP", "ports": [{"port": 80}]}),
            json!({}),
        );
        let public = lb(json!({}), json!({}));
        assert!(run(&cluster_ip, json!({}), "UPDATE", "alice").is_accepted());
        let m = run(&public, json!({}), "UPDATE", "alice")
            .message()
            .unwrap();
        assert!(m.contains("admits every client"), "{m}");
    }

    #[test]
    fn violations_are_sorted_and_every_one_reported() {
        let object = service(
            json!({"type": "NodePort", "externalIPs": ["203.0.113.1", "203.0.113.2"],
                   "ports": [{"port": 1, "nodePort": 80}, {"port": 2, "nodePort": 30010}, {"port": 3, "nodePort": 90}]}),
            json!({}),
        );
        let m = run(
            &object,
            json!({"nodePortNamespaces": []}),
            "CREATE",
            "alice",
        )
        .message()
        .unwrap();
        let paths: Vec<&str> = m.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "spec.externalIPs[0]",
                "spec.externalIPs[1]",
                "spec.ports[0].nodePort",
                "spec.ports[2].nodePort",
                "spec.type"
            ]
        );
    }

    #[test]
    fn no_input_panics() {
        let values = [
            "",
            " ",
            ",",
            "::",
            ":::",
            "1.2.3.4/",
            "/",
            "0x",
            "0",
            "1.",
            ".1",
            "ff::ff::",
            "localhost.",
            "\u{0}",
            "é",
            "999999999999999999999",
            "-",
            "*",
            "a..b",
            "0.0.0.0/0,",
            "::ffff:",
            "1:2:3:4:5:6:7:8:9",
        ];
        for v in values {
            let objects = [
                service(
                    json!({"externalIPs": [v], "type": "LoadBalancer", "loadBalancerIP": v,
                               "loadBalancerSourceRanges": [v], "loadBalancerClass": v}),
                    json!({"service.beta.kubernetes.io/load-balancer-source-ranges": v, "metallb.io/loadBalancerIPs": v,
                               "service.beta.kubernetes.io/aws-load-balancer-internal": v}),
                ),
                service(
                    json!({"type": "ExternalName", "externalName": v}),
                    json!({}),
                ),
                json!({"kind": "EndpointSlice", "addressType": "FQDN", "endpoints": [{"addresses": [v]}]}),
                json!({"kind": "EndpointSlice", "addressType": "IPv4", "endpoints": [{"addresses": [v]}]}),
                json!({"kind": "Endpoints", "subsets": [{"addresses": [{"ip": v}]}]}),
            ];
            for object in objects {
                let _ = run(
                    &object,
                    json!({"allowedLoadBalancerIPs": ["10.0.0.0/8"]}),
                    "CREATE",
                    "alice",
                );
            }
        }
    }
}
