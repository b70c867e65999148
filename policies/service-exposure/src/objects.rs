//! Lean views of the objects the policy judges: only the fields it reads, strings borrowed from
//! the request. Field names and shapes follow k8s-openapi's `core::v1::Service`, `Endpoints`
//! and `discovery::v1::EndpointSlice`.

use std::borrow::Cow;

use netsec_shared::ObjectMeta;
use netsec_shared::request::{Borrowed, null_as_empty, object_or_null};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Service<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "object_or_null")]
    pub metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "object_or_null")]
    pub spec: ServiceSpec<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec<'a> {
    /// Empty or absent is `ClusterIP`, the API server's default.
    #[serde(default, borrow, rename = "type")]
    pub type_: Option<Cow<'a, str>>,
    #[serde(
        default,
        borrow,
        rename = "externalIPs",
        deserialize_with = "null_as_empty"
    )]
    pub external_ips: Vec<Borrowed<'a>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ports: Vec<ServicePort>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub load_balancer_source_ranges: Vec<Borrowed<'a>>,
    #[serde(default, borrow, rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub load_balancer_class: Option<Cow<'a, str>>,
    /// The API server defaults it to true for LoadBalancers.
    #[serde(default)]
    pub allocate_load_balancer_node_ports: Option<bool>,
    /// Empty or absent is `Cluster` for NodePort and LoadBalancer Services.
    #[serde(default, borrow)]
    pub external_traffic_policy: Option<Cow<'a, str>>,
    #[serde(default)]
    pub health_check_node_port: Option<i64>,
    #[serde(default, borrow)]
    pub external_name: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default)]
    pub node_port: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Endpoints<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "object_or_null")]
    pub metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub subsets: Vec<EndpointSubset<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSubset<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub addresses: Vec<EndpointAddress<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub not_ready_addresses: Vec<EndpointAddress<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EndpointAddress<'a> {
    #[serde(default, borrow)]
    pub ip: Borrowed<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSlice<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "object_or_null")]
    pub metadata: ObjectMeta<'a>,
    #[serde(default, borrow)]
    pub address_type: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub endpoints: Vec<Endpoint<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Endpoint<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub addresses: Vec<Borrowed<'a>>,
}

/// Only the kind, for requests that do not name it (hand-built ones).
#[derive(Debug, Default, Deserialize)]
pub struct Kinded<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
}

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
