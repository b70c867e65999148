//! Which doors from outside the cluster lead to a workload's pods: Services of type
//! LoadBalancer or NodePort that select them, and the Services that Ingresses, HTTPRoutes and
//! GRPCRoutes of the namespace send traffic to.

use std::fmt;

use netsec_shared::cluster::Resource;
use netsec_shared::request::{Borrowed, ObjectMeta, StringMap};

use serde::Deserialize;

pub const SERVICE: Resource = Resource {
    api_version: "v1",
    kind: "Service",
};
pub const INGRESS: Resource = Resource {
    api_version: "networking.k8s.io/v1",
    kind: "Ingress",
};
pub const HTTP_ROUTE: Resource = Resource {
    api_version: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
};
pub const GRPC_ROUTE: Resource = Resource {
    api_version: "gateway.networking.k8s.io/v1",
    kind: "GRPCRoute",
};

/// What the policy reads of each listed object (the field masks of the lists).
pub const SERVICE_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.type",
    "spec.selector",
    "spec.ports.name",
    "spec.ports.port",
];
pub const INGRESS_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.defaultBackend.service",
    "spec.rules.http.paths.backend.service",
];
pub const ROUTE_FIELDS: &[&str] = &[
    "metadata.name",
    "spec.parentRefs.group",
    "spec.parentRefs.kind",
    "spec.rules.backendRefs.group",
    "spec.rules.backendRefs.kind",
    "spec.rules.backendRefs.name",
    "spec.rules.backendRefs.namespace",
    "spec.rules.backendRefs.port",
];

/// A Service, an Ingress or an HTTPRoute/GRPCRoute, or any level of one, in one shape: each
/// level fills only its own fields (a Service's `spec.type`, `selector`, `ports[].name/port`;
/// an Ingress's `spec.defaultBackend`, `rules[].http.paths[].backend.service.{name, port}`; a
/// route's `spec.parentRefs[].{group, kind}` and `rules[].backendRefs[]`). One type keeps one
/// deserialiser in the module, and the shared Ingress and route views the other policies
/// decode stay as they are.
#[derive(Debug, Default)]
pub struct Exposer<'a> {
    pub kind: Option<Borrowed<'a>>,
    /// Boxed: every level carries the field, and inline it made each one 136 bytes larger
    /// (the module 3.5 KB larger, for the moves of larger levels).
    metadata: Option<Box<ObjectMeta<'a>>>,
    spec: Option<Box<Exposer<'a>>>,
    /// A Service's `spec.type`.
    service_type: Option<Borrowed<'a>>,
    selector: StringMap<'a>,
    ports: Option<Vec<Exposer<'a>>>,
    /// A Service port's, a backend Service's or a backendRef's.
    name: Option<Borrowed<'a>>,
    /// A Service port's and a backendRef's number; an Ingress backend's `{name, number}`.
    port: Option<Port<'a>>,
    number: Option<i64>,
    /// Ingress.
    default_backend: Option<Box<Exposer<'a>>>,
    rules: Option<Vec<Exposer<'a>>>,
    http: Option<Box<Exposer<'a>>>,
    paths: Option<Vec<Exposer<'a>>>,
    backend: Option<Box<Exposer<'a>>>,
    service: Option<Box<Exposer<'a>>>,
    /// Routes.
    parent_refs: Option<Vec<Exposer<'a>>>,
    backend_refs: Option<Vec<Exposer<'a>>>,
    group: Option<Borrowed<'a>>,
    namespace: Option<Borrowed<'a>>,
}

netsec_shared::view_reader!(Exposer {
    "kind" => kind,
    "metadata" => metadata,
    "spec" => spec,
    "type" => service_type,
    "selector" => selector: netsec_shared::view::string_map,
    "ports" => ports,
    "name" => name,
    "port" => port,
    "number" => number,
    "defaultBackend" => default_backend,
    "rules" => rules,
    "http" => http,
    "paths" => paths,
    "backend" => backend,
    "service" => service,
    "parentRefs" => parent_refs,
    "backendRefs" => backend_refs,
    "group" => group,
    "namespace" => namespace,
});

pub type Service<'a> = Exposer<'a>;
pub type Ingress<'a> = Exposer<'a>;
pub type Route<'a> = Exposer<'a>;

/// `port`: a number in a Service port and a backendRef, a `ServiceBackendPort` object in an
/// Ingress backend.
#[derive(Debug)]
enum Port<'a> {
    Number(i64),
    Backend(Box<Exposer<'a>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Port<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct PortVisitor;
        impl<'de> serde::de::Visitor<'de> for PortVisitor {
            type Value = Port<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number or a {name, number} object")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Port::Number(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(Port::Number)
                    .map_err(|_| E::custom("port number out of range"))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<Self::Value, M::Error> {
                Exposer::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|e| Port::Backend(Box::new(e)))
            }
        }
        de.deserialize_any(PortVisitor)
    }
}

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

impl<'a> Exposer<'a> {
    pub fn namespace(&self) -> Option<&str> {
        self.metadata.as_ref().and_then(|m| m.namespace.as_deref())
    }

    pub fn name(&self) -> &str {
        self.metadata
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .unwrap_or("<unnamed>")
    }

    /// The name for messages, a `generateName` prefix with `*` when not named yet.
    pub fn display_name(&self) -> String {
        self.metadata
            .as_ref()
            .map(|m| m.display_name())
            .unwrap_or_else(|| "<unnamed>".to_string())
    }

    fn spec(&self) -> Option<&Exposer<'a>> {
        self.spec.as_deref()
    }

    fn list<'s>(list: &'s Option<Vec<Exposer<'a>>>) -> &'s [Exposer<'a>] {
        list.as_deref().unwrap_or_default()
    }

    fn port_number(&self) -> Option<i64> {
        match self.port {
            Some(Port::Number(n)) => Some(n),
            _ => None,
        }
    }

    /// `ClusterIP` when unset, as the API defaults it.
    pub fn service_type(&self) -> &str {
        self.spec()
            .and_then(|s| s.service_type.as_deref())
            .unwrap_or("ClusterIP")
    }

    /// Reachable from outside the cluster by itself: a port on every node, or a cloud load
    /// balancer (which allocates node ports too).
    pub fn is_external(&self) -> bool {
        matches!(self.service_type(), "LoadBalancer" | "NodePort")
    }

    /// `spec.selector` is a plain map ANDed over its pairs (`labels.SelectorFromSet`), not a
    /// LabelSelector. An empty or absent one selects no pods: the Service's endpoints are then
    /// managed by hand or by another controller (ServiceSpec.selector, and the EndpointSlice
    /// controller skips Services without a selector). ExternalName Services have no pods.
    pub fn selects(&self, labels: &StringMap<'_>) -> bool {
        let Some(spec) = self.spec() else {
            return false;
        };
        if spec.selector.is_empty() || self.service_type() == "ExternalName" {
            return false;
        }
        spec.selector
            .iter()
            .all(|(k, v)| labels.get(k.as_ref()).is_some_and(|have| have == v))
    }

    /// Whether the Service has the port a backend names: by `spec.ports[].name` or
    /// `spec.ports[].port`. A backend that names no port matches any.
    fn has_port(&self, name: Option<&str>, number: Option<i64>) -> bool {
        let ports = self
            .spec()
            .map(|s| Self::list(&s.ports))
            .unwrap_or_default();
        match (name.filter(|n| !n.is_empty()), number) {
            (Some(name), _) => ports.iter().any(|p| p.name.as_deref() == Some(name)),
            (None, Some(number)) => ports.iter().any(|p| p.port_number() == Some(number)),
            (None, None) => true,
        }
    }

    /// Whether this Service is the Ingress backend `backend` (`{name, port: {name | number}}`).
    fn serves_backend(&self, backend: &Exposer<'_>) -> bool {
        let port = match &backend.port {
            Some(Port::Backend(port)) => Some(port.as_ref()),
            _ => None,
        };
        backend.name.as_deref().unwrap_or("") == self.name()
            && self.has_port(
                port.and_then(|p| p.name.as_deref()),
                port.and_then(|p| p.number),
            )
    }

    /// An Ingress's Service backends with their paths: `spec.defaultBackend.service` and
    /// `spec.rules[i].http.paths[j].backend.service` (a `resource` backend is not a Service).
    fn service_backends(&self) -> Vec<(String, &Exposer<'a>)> {
        let mut out = Vec::new();
        let Some(spec) = self.spec() else {
            return out;
        };
        if let Some(service) = spec
            .default_backend
            .as_ref()
            .and_then(|b| b.service.as_deref())
        {
            out.push(("spec.defaultBackend.service".to_string(), service));
        }
        for (i, rule) in Self::list(&spec.rules).iter().enumerate() {
            let paths = rule
                .http
                .as_ref()
                .map(|h| Self::list(&h.paths))
                .unwrap_or_default();
            for (j, path) in paths.iter().enumerate() {
                if let Some(service) = path.backend.as_ref().and_then(|b| b.service.as_deref()) {
                    out.push((
                        format!("spec.rules[{i}].http.paths[{j}].backend.service"),
                        service,
                    ));
                }
            }
        }
        out
    }

    /// A route's parent is a Gateway unless its `group`/`kind` say otherwise (ParentReference
    /// defaults: gateway.networking.k8s.io, Gateway). Other parents (a Service, for mesh routing
    /// under GAMMA) carry no traffic from outside the cluster.
    fn is_gateway_parent(&self) -> bool {
        self.group.as_deref().unwrap_or(GATEWAY_GROUP) == GATEWAY_GROUP
            && self.kind.as_deref().unwrap_or("Gateway") == "Gateway"
    }

    /// The name of the Service of `namespace` a backendRef points to, if it is one (BackendRef
    /// defaults: the core group, kind Service, the route's namespace).
    fn backend_service_in(&self, namespace: &str) -> Option<&str> {
        let core = self.group.as_deref().unwrap_or("").is_empty();
        let service = self.kind.as_deref().unwrap_or("Service") == "Service";
        let here = self
            .namespace
            .as_deref()
            .is_none_or(|n| n.is_empty() || n == namespace);
        (core && service && here).then(|| self.name.as_deref().unwrap_or(""))
    }
}

/// One way traffic from outside reaches a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Door {
    /// A Service of type LoadBalancer or NodePort.
    Service { name: String, service_type: String },
    /// An Ingress whose backend (at `path`) is a Service selecting the pods.
    Ingress {
        name: String,
        path: String,
        service: String,
    },
    /// An HTTPRoute or GRPCRoute attached to a Gateway, whose backendRef is such a Service.
    Route {
        kind: &'static str,
        name: String,
        service: String,
    },
}

impl fmt::Display for Door {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Door::Service { name, service_type } => {
                write!(f, "Service {name:?} of type {service_type}")
            }
            Door::Ingress {
                name,
                path,
                service,
            } => write!(f, "Ingress {name:?} (Service {service:?} at {path})"),
            Door::Route {
                kind,
                name,
                service,
            } => write!(f, "{kind} {name:?} (backendRef Service {service:?})"),
        }
    }
}

/// What a namespace holds that can expose workloads.
#[derive(Default)]
pub struct Doors<'a> {
    pub namespace: &'a str,
    pub services: Vec<Service<'a>>,
    pub ingresses: Vec<Ingress<'a>>,
    /// HTTPRoutes then GRPCRoutes, with their kind.
    pub routes: Vec<(&'static str, Route<'a>)>,
}

impl Doors<'_> {
    /// Every door that leads to pods with `labels`, in a stable order.
    pub fn leading_to(&self, labels: &StringMap<'_>) -> Vec<Door> {
        self.services
            .iter()
            .flat_map(|s| self.through(s, labels))
            .collect()
    }

    /// The doors through `service` (listed or not) to pods with `labels`: the Service itself
    /// when it is external, and the Ingresses and routes of the namespace that send traffic to
    /// it.
    pub fn through(&self, service: &Service<'_>, labels: &StringMap<'_>) -> Vec<Door> {
        let mut doors = Vec::new();
        if !service.selects(labels) {
            return doors;
        }
        if service.is_external() {
            doors.push(Door::Service {
                name: service.name().to_string(),
                service_type: service.service_type().to_string(),
            });
        }
        for ingress in &self.ingresses {
            for (path, backend) in ingress.service_backends() {
                if service.serves_backend(backend) {
                    doors.push(Door::Ingress {
                        name: ingress.display_name(),
                        path,
                        service: service.name().to_string(),
                    });
                }
            }
        }
        for (kind, route) in &self.routes {
            if route_reaches(route, self.namespace, service) {
                doors.push(Door::Route {
                    kind,
                    name: route.display_name(),
                    service: service.name().to_string(),
                });
            }
        }
        doors
    }
}

/// Whether a route sends traffic from a Gateway to `service`. A route whose parents are all
/// Services (GAMMA, mesh-internal routing) carries no traffic from outside. A backendRef to a
/// Service must give its port (`spec.ports[].port`).
fn route_reaches(route: &Route<'_>, namespace: &str, service: &Service<'_>) -> bool {
    let Some(spec) = route.spec() else {
        return false;
    };
    Exposer::list(&spec.parent_refs)
        .iter()
        .any(Exposer::is_gateway_parent)
        && Exposer::list(&spec.rules)
            .iter()
            .flat_map(|r| Exposer::list(&r.backend_refs))
            .any(|b| {
                b.backend_service_in(namespace) == Some(service.name())
                    && service.has_port(None, b.port_number())
            })
}

/// The Services among `services` that `ingress` sends traffic to.
pub fn ingress_services<'s>(
    ingress: &Ingress<'_>,
    services: &'s [Service<'s>],
) -> Vec<&'s Service<'s>> {
    let backends = ingress.service_backends();
    services
        .iter()
        .filter(|s| backends.iter().any(|(_, b)| s.serves_backend(b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::testing::string_map;

    fn service(json: &str) -> Service<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn service_selection_is_a_plain_map() {
        let web = string_map(&[("app", "web"), ("tier", "front")]);
        let cases: &[(&str, bool)] = &[
            (r#"{"spec":{"selector":{"app":"web"}}}"#, true),
            (
                r#"{"spec":{"selector":{"app":"web","tier":"front"}}}"#,
                true,
            ),
            (
                r#"{"spec":{"selector":{"app":"web","tier":"back"}}}"#,
                false,
            ),
            (r#"{"spec":{"selector":{"app":"db"}}}"#, false),
            (r#"{"spec":{"selector":{}}}"#, false),
            (r#"{"spec":{"selector":null}}"#, false),
            (r#"{"spec":{}}"#, false),
            (r#"{}"#, false),
            (
                r#"{"spec":{"type":"ExternalName","selector":{"app":"web"}}}"#,
                false,
            ),
            // A LabelSelector written where a map belongs is not one: it matches no label.
            (r#"{"spec":{"selector":{"matchLabels":"x"}}}"#, false),
        ];
        for (json, want) in cases {
            assert_eq!(service(json).selects(&web), *want, "{json}");
        }
    }

    #[test]
    fn types_and_ports() {
        let s = service(
            r#"{"metadata":{"name":"web"},"spec":{"type":"NodePort","selector":{"app":"web"},
                "ports":[{"name":"http","port":80,"targetPort":8080},{"port":443}]}}"#,
        );
        assert!(s.is_external());
        assert!(s.has_port(Some("http"), None));
        assert!(!s.has_port(Some("https"), None));
        assert!(s.has_port(None, Some(443)));
        assert!(
            !s.has_port(None, Some(8080)),
            "the target port is not the Service port"
        );
        assert!(s.has_port(None, None));
        assert!(!service(r#"{"spec":{"selector":{"a":"b"}}}"#).is_external());
    }

    #[test]
    fn ingress_backends_by_port_name_and_number() {
        let services: Vec<Service> = vec![
            service(r#"{"metadata":{"name":"web"},"spec":{"ports":[{"name":"http","port":80}]}}"#),
            service(r#"{"metadata":{"name":"api"},"spec":{"ports":[{"port":8080}]}}"#),
            service(r#"{"metadata":{"name":"db"},"spec":{"ports":[{"port":5432}]}}"#),
        ];
        let ingress: Ingress = serde_json::from_str(
            r#"{"spec":{"defaultBackend":{"service":{"name":"web","port":{"name":"http"}}},
                "rules":[{"host":"a.example","http":{"paths":[
                    {"path":"/","backend":{"service":{"name":"api","port":{"number":8080}}}},
                    {"path":"/db","backend":{"service":{"name":"db","port":{"number":80}}}},
                    {"path":"/r","backend":{"resource":{"kind":"Bucket","name":"db"}}}]}},
                    {"host":"b.example"}]}}"#,
        )
        .unwrap();
        let paths: Vec<String> = ingress
            .service_backends()
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            paths,
            [
                "spec.defaultBackend.service",
                "spec.rules[0].http.paths[0].backend.service",
                "spec.rules[0].http.paths[1].backend.service"
            ]
        );
        let names: Vec<&str> = ingress_services(&ingress, &services)
            .iter()
            .map(|s| s.name())
            .collect();
        assert_eq!(
            names,
            ["web", "api"],
            "db's port 80 is not one of its ports"
        );
        let wrong: Result<Ingress, _> = serde_json::from_str(
            r#"{"spec":{"rules":[{"http":{"paths":[{"backend":{"service":{"name":"a","port":"x"}}}]}}]}}"#,
        );
        assert!(wrong.is_err(), "a port is a number or an object");
    }

    #[test]
    fn routes_reach_services_from_gateways_only() {
        let web = service(
            r#"{"metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}"#,
        );
        let cases: &[(&str, bool)] = &[
            (
                r#"{"spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"web","port":80}]}]}}"#,
                true,
            ),
            (
                r#"{"spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"web","port":81}]}]}}"#,
                false,
            ),
            (
                r#"{"spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"web","namespace":"other","port":80}]}]}}"#,
                false,
            ),
            (
                r#"{"spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"web","kind":"ServiceImport","group":"multicluster.x-k8s.io","port":80}]}]}}"#,
                false,
            ),
            (
                r#"{"spec":{"parentRefs":[{"name":"web","kind":"Service","group":""}],"rules":[{"backendRefs":[{"name":"web","port":80}]}]}}"#,
                false,
            ),
            (
                r#"{"spec":{"parentRefs":[{"name":"gw","group":"gateway.networking.k8s.io","kind":"Gateway"}],"rules":[{"backendRefs":[{"name":"web","namespace":"ns","port":80}]}]}}"#,
                true,
            ),
            (
                r#"{"spec":{"rules":[{"backendRefs":[{"name":"web","port":80}]}]}}"#,
                false,
            ),
        ];
        for (json, want) in cases {
            let route: Route = serde_json::from_str(json).unwrap();
            assert_eq!(route_reaches(&route, "ns", &web), *want, "{json}");
        }
    }
}
