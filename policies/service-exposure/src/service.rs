//! The Service rules: external IPs, load balancers, node ports and ExternalNames.

use netsec_shared::Findings;
use netsec_shared::annotations::split_list;
use netsec_shared::net::{IpNet, covered_family, first_uncovered, normalize, parse_cidr_sloppy};

use crate::address::Written;
use crate::internal::internal_by;
use crate::names::NameRules;
use crate::objects::Service;
use crate::settings::Settings;

/// The annotation the API server and cloud providers read when `spec.loadBalancerSourceRanges`
/// is empty (`GetLoadBalancerSourceRanges`, pkg/api/service/util.go).
pub const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// MetalLB's address requests, the successors of the deprecated `spec.loadBalancerIP`.
const METALLB_IP_ANNOTATIONS: [&str; 2] = [
    "metallb.universe.tf/loadBalancerIPs",
    "metallb.io/loadBalancerIPs",
];

pub fn check(findings: &mut Findings, namespace: &str, service: &Service<'_>, settings: &Settings) {
    let spec = &service.spec;
    external_ips(findings, service, settings);
    match spec.type_.as_deref().filter(|t| !t.is_empty()).unwrap_or("ClusterIP") {
        "ClusterIP" => {}
        "NodePort" => node_ports(findings, namespace, service, settings, false),
        "LoadBalancer" => {
            load_balancer(findings, namespace, service, settings);
            node_ports(findings, namespace, service, settings, true);
        }
        "ExternalName" => {
            let denied = settings.denied_external_names();
            let domain = settings.cluster_domain();
            let rules = NameRules {
                namespace,
                cluster_domain: &domain,
                denied: &denied,
            };
            let name = spec.external_name.as_deref().unwrap_or_default();
            rules.check(findings, "spec.externalName", name);
        }
        other => findings.violation(
            "spec.type",
            format!("{other:?} is not a Service type; use ClusterIP, NodePort, LoadBalancer or ExternalName"),
        ),
    }
}

/// CVE-2020-8554: kube-proxy captures traffic to a Service's external IPs on every node, for
/// every pod, whoever owns the address.
fn external_ips(findings: &mut Findings, service: &Service<'_>, settings: &Settings) {
    if service.spec.external_ips.is_empty() {
        return;
    }
    let allowed = settings.allowed_external_ips();
    for (i, text) in service.spec.external_ips.iter().enumerate() {
        let path = format!("spec.externalIPs[{i}]");
        match Written::parse(text) {
            None => findings.violation(path, format!("{:?} is not an IP address", &**text)),
            Some(ip) if ip.within(&allowed) => {}
            Some(ip) => findings.violation(
                path,
                format!(
                    "{} is not in allowedExternalIPs: whoever may create a Service can take \
                     every pod's and node's traffic to an external IP this way \
                     (CVE-2020-8554); remove it and expose the Service through a load balancer \
                     or Ingress, or have the policy's administrator add the address to \
                     allowedExternalIPs",
                    ip.quoted()
                ),
            ),
        }
    }
}

/// The client networks a load balancer admits, as the cloud providers read them: the field,
/// else the annotation (comma-separated), each entry trimmed; `None` when neither restricts.
fn source_ranges<'s>(service: &'s Service<'_>) -> Option<(String, Vec<&'s str>)> {
    let field = &service.spec.load_balancer_source_ranges;
    if !field.is_empty() {
        let entries = field.iter().map(|r| r.trim()).collect();
        return Some(("spec.loadBalancerSourceRanges".to_string(), entries));
    }
    let value = service
        .metadata
        .annotation(SOURCE_RANGES_ANNOTATION)?
        .trim();
    if value.is_empty() {
        return None;
    }
    let path = format!("metadata.annotations[{SOURCE_RANGES_ANNOTATION}]");
    Some((path, value.split(',').map(str::trim).collect()))
}

fn load_balancer(
    findings: &mut Findings,
    namespace: &str,
    service: &Service<'_>,
    settings: &Settings,
) {
    let spec = &service.spec;
    if let Some(allowed) = &settings.load_balancer_namespaces
        && !allowed.contains(namespace)
    {
        findings.violation(
            "spec.type",
            format!(
                "\"LoadBalancer\" is not allowed in namespace {namespace:?} \
                 (loadBalancerNamespaces: {}); expose the workload through the cluster's \
                 Ingress or Gateway instead",
                listing(&allowed.0)
            ),
        );
    }
    let class = spec
        .load_balancer_class
        .as_deref()
        .filter(|c| !c.is_empty());
    if let (Some(class), Some(allowed)) = (class, &settings.allowed_load_balancer_classes)
        && !allowed.iter().any(|c| c == class)
    {
        findings.violation(
            "spec.loadBalancerClass",
            format!(
                "{class:?} is not in allowedLoadBalancerClasses ({}); use one of them, or leave \
                 the field out for the cluster's default load balancer",
                listing(allowed)
            ),
        );
    }
    requested_ips(findings, service, settings);

    // Internal by a trusted provider's annotation, or by a private class: nothing else to judge.
    let private_class = class.is_some_and(|c| {
        settings
            .internal_load_balancer_classes
            .iter()
            .any(|i| i == c)
    });
    if private_class
        || internal_by(&service.metadata, class, |id| settings.trusts_provider(id)).is_some()
    {
        return;
    }
    let ranges = source_ranges(service);
    if settings.allow_public_load_balancers {
        let everyone = match &ranges {
            None => true,
            Some((_, entries)) => admits_everyone(entries),
        };
        let policy = spec
            .external_traffic_policy
            .as_deref()
            .filter(|p| !p.is_empty());
        if everyone && policy.unwrap_or("Cluster") == "Cluster" {
            findings.warn(
                "spec.externalTrafficPolicy is Cluster on a public load balancer: nodes forward \
                 clients' connections from their own addresses, so per-client rate limits and \
                 source-address rules downstream (rate-limit-annotations) see node addresses; \
                 set externalTrafficPolicy: Local to keep the clients' addresses",
            );
        }
        return;
    }
    match ranges {
        None => findings.violation(
            "spec.type",
            format!(
                "\"LoadBalancer\" without source ranges admits every client on the internet; \
                 make it internal ({}), or list the client networks (inside allowedSourceRanges: \
                 {}) in spec.loadBalancerSourceRanges",
                internal_hints(settings),
                listing(&settings.allowed_source_ranges)
            ),
        ),
        Some((path, entries)) => {
            let allowed = settings.allowed_source_ranges();
            for entry in entries {
                check_source_range(findings, &path, entry, &allowed, settings);
            }
        }
    }
}

/// Do the entries admit every IPv4 or every IPv6 client? Entries that do not parse count for
/// nothing here; they are reported where they are checked.
fn admits_everyone(entries: &[&str]) -> bool {
    let nets: Vec<IpNet> = entries
        .iter()
        .filter_map(|e| parse_cidr_sloppy(e))
        .collect();
    covered_family(&nets).is_some()
}

fn check_source_range(
    findings: &mut Findings,
    path: &str,
    entry: &str,
    allowed: &[IpNet],
    settings: &Settings,
) {
    let Some(net) = parse_cidr_sloppy(entry) else {
        findings.violation(
            path,
            format!("entry {entry:?} is not a CIDR block; write networks such as 203.0.113.0/24"),
        );
        return;
    };
    let shown = normalize(&net);
    if shown.prefix_len() == 0 {
        findings.violation(
            path,
            format!(
                "entry {entry:?} admits every client ({shown}), which makes the load balancer \
                 public; list only the client networks, make it internal ({}), or have the \
                 policy's administrator set allowPublicLoadBalancers",
                internal_hints(settings)
            ),
        );
        return;
    }
    if let Some(outside) = first_uncovered(&net, allowed) {
        findings.violation(
            path,
            format!(
                "entry {entry:?} admits {outside}, outside allowedSourceRanges ({}); narrow it to \
                 the approved client networks",
                listing(&settings.allowed_source_ranges)
            ),
        );
    }
}

/// `spec.loadBalancerIP` and MetalLB's address annotations, against `allowedLoadBalancerIPs`.
fn requested_ips(findings: &mut Findings, service: &Service<'_>, settings: &Settings) {
    let Some(allowed) = settings.allowed_load_balancer_ips() else {
        return;
    };
    let mut requested: Vec<(String, &str)> = Vec::new();
    if let Some(ip) = service
        .spec
        .load_balancer_ip
        .as_deref()
        .filter(|ip| !ip.is_empty())
    {
        requested.push(("spec.loadBalancerIP".to_string(), ip));
    }
    for key in METALLB_IP_ANNOTATIONS {
        if let Some(value) = service.metadata.annotation(key) {
            for ip in split_list(value) {
                requested.push((format!("metadata.annotations[{key}]"), ip));
            }
        }
    }
    for (path, text) in requested {
        match Written::parse(text) {
            None => findings.violation(path, format!("{text:?} is not an IP address")),
            Some(ip) if ip.within(&allowed) => {}
            Some(ip) => findings.violation(
                path,
                format!(
                    "{} is not in allowedLoadBalancerIPs; request an address of the load \
                     balancer pools this namespace may use, or let the controller choose one",
                    ip.quoted()
                ),
            ),
        }
    }
}

/// Node ports of NodePort and LoadBalancer Services: where they may be opened, and in what range.
fn node_ports(
    findings: &mut Findings,
    namespace: &str,
    service: &Service<'_>,
    settings: &Settings,
    load_balancer: bool,
) {
    let spec = &service.spec;
    let allowed = settings
        .node_port_namespaces
        .as_ref()
        .is_none_or(|list| list.contains(namespace));
    let listed = || {
        settings
            .node_port_namespaces
            .as_ref()
            .map(|l| listing(&l.0))
            .unwrap_or_default()
    };
    if !allowed && !load_balancer {
        findings.violation(
            "spec.type",
            format!(
                "\"NodePort\" is not allowed in namespace {namespace:?} (nodePortNamespaces: \
                 {}): it opens the Service's ports on every node's address; use a ClusterIP \
                 Service behind the cluster's Ingress or Gateway",
                listed()
            ),
        );
    }
    // Node ports a LoadBalancer allocates (allocateLoadBalancerNodePorts, true unless set false)
    // open the same ports on every node, beside the load balancer.
    let allocates = load_balancer && spec.allocate_load_balancer_node_ports != Some(false);
    if !allowed && allocates {
        findings.violation(
            "spec.allocateLoadBalancerNodePorts",
            format!(
                "is not false, so the load balancer opens a node port on every node, which \
                 namespace {namespace:?} may not do (nodePortNamespaces: {}); set it to false \
                 where the load balancer sends traffic to pods directly",
                listed()
            ),
        );
    }
    let (first, last) = settings.node_port_range();
    for (i, port) in spec.ports.iter().enumerate() {
        let Some(node_port) = port.node_port.filter(|p| *p != 0) else {
            continue;
        };
        let path = format!("spec.ports[{i}].nodePort");
        if !allowed && load_balancer && !allocates {
            findings.violation(
                &path,
                format!(
                    "{node_port} opens a port on every node, which namespace {namespace:?} may \
                     not do (nodePortNamespaces: {}); remove it",
                    listed()
                ),
            );
        }
        if !(i64::from(first)..=i64::from(last)).contains(&node_port) {
            findings.violation(
                path,
                format!("{node_port} is outside nodePortRange {first}-{last}; pick a port in the range or leave it out for Kubernetes to choose"),
            );
        }
    }
    if let Some(port) = spec.health_check_node_port.filter(|p| *p != 0)
        && !(i64::from(first)..=i64::from(last)).contains(&port)
    {
        findings.violation(
            "spec.healthCheckNodePort",
            format!("{port} is outside nodePortRange {first}-{last}; pick a port in the range or leave it out for Kubernetes to choose"),
        );
    }
}

fn listing<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The internal annotations of the trusted providers, for the advice.
fn internal_hints(settings: &Settings) -> String {
    let hints: Vec<&str> = crate::internal::PROVIDERS
        .iter()
        .filter(|p| settings.trusts_provider(p.id))
        .take(3)
        .map(|p| p.hint)
        .collect();
    let more = crate::internal::PROVIDERS
        .iter()
        .filter(|p| settings.trusts_provider(p.id))
        .count()
        > 3;
    format!(
        "{}{}",
        hints.join("; "),
        if more {
            "; or another provider's, see the README"
        } else {
            ""
        }
    )
}
