//! Lean views of the objects the policy judges: only the fields it reads, strings borrowed from
//! the request. Field names and shapes follow k8s-openapi's `core::v1::Service`, `Endpoints`
//! and `discovery::v1::EndpointSlice`.

use std::borrow::Cow;

use netsec_shared::ObjectMeta;
use netsec_shared::request::Borrowed;
use serde::Deserialize;

#[derive(Debug, Default)]
pub struct Service<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub spec: ServiceSpec<'a>,
}

netsec_shared::view_reader!(Service {
    "kind" => kind: netsec_shared::view::optional_string,
    "metadata" => metadata: netsec_shared::view::object,
    "spec" => spec: netsec_shared::view::object,
});

#[derive(Debug, Default)]
pub struct ServiceSpec<'a> {
    /// Empty or absent is `ClusterIP`, the API server's default.
    pub type_: Option<Cow<'a, str>>,
    pub external_ips: Vec<Borrowed<'a>>,
    pub ports: Vec<ServicePort>,
    pub load_balancer_source_ranges: Vec<Borrowed<'a>>,
    pub load_balancer_ip: Option<Cow<'a, str>>,
    pub load_balancer_class: Option<Cow<'a, str>>,
    /// The API server defaults it to true for LoadBalancers.
    pub allocate_load_balancer_node_ports: Option<bool>,
    /// Empty or absent is `Cluster` for NodePort and LoadBalancer Services.
    pub external_traffic_policy: Option<Cow<'a, str>>,
    pub health_check_node_port: Option<i64>,
    pub external_name: Option<Cow<'a, str>>,
}

netsec_shared::view_reader!(ServiceSpec {
    "type" => type_: netsec_shared::view::optional_string,
    "externalIPs" => external_ips: netsec_shared::view::list,
    "ports" => ports: netsec_shared::view::list,
    "loadBalancerSourceRanges" => load_balancer_source_ranges: netsec_shared::view::list,
    "loadBalancerIP" => load_balancer_ip: netsec_shared::view::optional_string,
    "loadBalancerClass" => load_balancer_class: netsec_shared::view::optional_string,
    "allocateLoadBalancerNodePorts" => allocate_load_balancer_node_ports,
    "externalTrafficPolicy" => external_traffic_policy: netsec_shared::view::optional_string,
    "healthCheckNodePort" => health_check_node_port,
    "externalName" => external_name: netsec_shared::view::optional_string,
});

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default)]
    pub node_port: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Endpoints<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub subsets: Vec<EndpointSubset<'a>>,
}

netsec_shared::view_reader!(Endpoints {
    "kind" => kind: netsec_shared::view::optional_string,
    "metadata" => metadata: netsec_shared::view::object,
    "subsets" => subsets: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct EndpointSubset<'a> {
    pub addresses: Vec<EndpointAddress<'a>>,
    pub not_ready_addresses: Vec<EndpointAddress<'a>>,
}

netsec_shared::view_reader!(EndpointSubset {
    "addresses" => addresses: netsec_shared::view::list,
    "notReadyAddresses" => not_ready_addresses: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct EndpointAddress<'a> {
    pub ip: Borrowed<'a>,
}

netsec_shared::view_reader!(EndpointAddress {
    "ip" => ip,
});

#[derive(Debug, Default)]
pub struct EndpointSlice<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub address_type: Cow<'a, str>,
    pub endpoints: Vec<Endpoint<'a>>,
}

netsec_shared::view_reader!(EndpointSlice {
    "kind" => kind: netsec_shared::view::optional_string,
    "metadata" => metadata: netsec_shared::view::object,
    "addressType" => address_type: netsec_shared::view::string,
    "endpoints" => endpoints: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct Endpoint<'a> {
    pub addresses: Vec<Borrowed<'a>>,
}

netsec_shared::view_reader!(Endpoint {
    "addresses" => addresses: netsec_shared::view::list,
});

/// Only the kind, for requests that do not name it (hand-built ones).
#[derive(Debug, Default)]
pub struct Kinded<'a> {
    pub kind: Option<Cow<'a, str>>,
}

netsec_shared::view_reader!(Kinded {
    "kind" => kind: netsec_shared::view::optional_string,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_fields_are_read_and_strings_borrowed() {
        let json = r#"{"kind":"Service","metadata":{"name":"web","namespace":"a"},
            "spec":{"type":"LoadBalancer","externalIPs":["203.0.113.1"],"ports":[{"port":80,"nodePort":30080,"name":"http"}],
                    "loadBalancerSourceRanges":[" 10.0.0.0/8"],"loadBalancerIP":"192.0.2.1","loadBalancerClass":"x.io/y",
                    "allocateLoadBalancerNodePorts":false,"externalTrafficPolicy":"Local","healthCheckNodePort":31000,
                    "clusterIP":"10.96.0.10","selector":{"app":"web"}},
            "status":{"loadBalancer":{}}}"#;
        let svc: Service = netsec_shared::json::from_str(json).unwrap();
        let spec = &svc.spec;
        assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
        assert!(matches!(
            spec.external_ips[0].0,
            Cow::Borrowed("203.0.113.1")
        ));
        assert_eq!(spec.ports[0].node_port, Some(30080));
        assert_eq!(&*spec.load_balancer_source_ranges[0], " 10.0.0.0/8");
        assert_eq!(spec.allocate_load_balancer_node_ports, Some(false));
        assert_eq!(spec.health_check_node_port, Some(31000));
        let null_lists: Service = netsec_shared::json::from_str(
            r#"{"spec":{"externalIPs":null,"ports":null,"loadBalancerSourceRanges":null}}"#,
        )
        .unwrap();
        assert!(null_lists.spec.external_ips.is_empty());
        for bad in [
            r#"{"spec":[]}"#,
            r#"{"spec":{"externalIPs":[7]}}"#,
            r#"{"spec":{"ports":[{"nodePort":"x"}]}}"#,
        ] {
            assert!(
                netsec_shared::json::from_str::<Service>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn endpoints_and_slices() {
        let eps: Endpoints = netsec_shared::json::from_str(
            r#"{"subsets":[{"addresses":[{"ip":"10.0.0.1","nodeName":"n"}],"notReadyAddresses":[{"ip":"10.0.0.2"}],"ports":[{"port":80}]}]}"#,
        )
        .unwrap();
        assert_eq!(&*eps.subsets[0].not_ready_addresses[0].ip, "10.0.0.2");
        let slice: EndpointSlice = netsec_shared::json::from_str(
            r#"{"addressType":"IPv6","endpoints":[{"addresses":["fd00::1"],"conditions":{"ready":true}}]}"#,
        )
        .unwrap();
        assert_eq!(slice.address_type, "IPv6");
        assert_eq!(&*slice.endpoints[0].addresses[0], "fd00::1");
    }
}
