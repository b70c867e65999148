//! Which doors from outside the cluster lead to a workload's pods: Services of type
//! LoadBalancer or NodePort that select them, and the Services that Ingresses, HTTPRoutes and
//! GRPCRoutes of the namespace send traffic to.

use std::borrow::Cow;
use std::fmt;

use netsec_shared::cluster::Resource;
use netsec_shared::gateway::Route;
use netsec_shared::ingress::{Ingress, ServiceBackend};
use netsec_shared::request::{ObjectMeta, StringMap};
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

/// A Service, or its `spec`, or one of its ports: the fields that say whom it exposes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    metadata: Option<ObjectMeta<'a>>,
    #[serde(default, borrow)]
    spec: Option<Box<Service<'a>>>,
    /// In `spec`.
    #[serde(default, borrow, rename = "type")]
    service_type: Option<Cow<'a, str>>,
    #[serde(
        default,
        borrow,
        deserialize_with = "netsec_shared::request::string_map"
    )]
    selector: StringMap<'a>,
    #[serde(default, borrow)]
    ports: Option<Vec<Service<'a>>>,
    /// In a port.
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    port: Option<i64>,
}

impl<'a> Service<'a> {
    pub fn namespace(&self) -> Option<&str> {
        self.metadata.as_ref().and_then(|m| m.namespace.as_deref())
    }

    pub fn name(&self) -> &str {
        self.metadata
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .unwrap_or("<unnamed>")
    }

    fn spec(&self) -> Option<&Service<'a>> {
        self.spec.as_deref()
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
            .and_then(|s| s.ports.as_deref())
            .unwrap_or_default();
        match (name.filter(|n| !n.is_empty()), number) {
            (Some(name), _) => ports.iter().any(|p| p.name.as_deref() == Some(name)),
            (None, Some(number)) => ports.iter().any(|p| p.port == Some(number)),
            (None, None) => true,
        }
    }

    fn serves_backend(&self, backend: &ServiceBackend<'_>) -> bool {
        let port = backend.port.as_ref();
        backend.name == self.name()
            && self.has_port(
                port.and_then(|p| p.name.as_deref()),
                port.and_then(|p| p.number),
            )
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
                        name: ingress.metadata.display_name(),
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
                    name: route.metadata.display_name(),
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
    route.spec.gateway_parents().next().is_some()
        && route
            .spec
            .rules
            .iter()
            .flat_map(|r| &r.backend_refs)
            .any(|b| {
                b.service_in(namespace) == Some(service.name()) && service.has_port(None, b.port)
            })
}

/// The Services among `services` that `ingress` sends traffic to.
pub fn ingress_services<'s>(
    ingress: &Ingress<'_>,
    services: &'s [Service<'s>],
) -> Vec<&'s Service<'s>> {
    services
        .iter()
        .filter(|s| {
            ingress
                .service_backends()
                .iter()
                .any(|(_, b)| s.serves_backend(b))
        })
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
}
