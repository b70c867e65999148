//! The `egress-restrictions` rules: a pure function from the request and settings to a verdict.
//!
//! Kubernetes NetworkPolicies, Cilium's and Calico's policies are converted into one model of
//! what they allow out ([`netsec_shared::netpol::allowance`]); every check below is written
//! once, against that model.

use netsec_shared::net::{self, Family, IpNet};
use netsec_shared::netpol::allowance::{
    self, Allowance, Block, Egress, Item, Peer, fqdn_allows_all, fqdn_covers,
};
use netsec_shared::netpol::egress::NetworkPolicy;
use netsec_shared::selector::LabelSelector;
use netsec_shared::workload::{Workload, WorkloadKind};
use netsec_shared::{AdmissionRequest, Findings, Operation, Verdict};

use crate::ports::{PortRange, Protocol, covered};
use crate::settings::Settings;

/// The policy APIs judged besides Kubernetes' own.
#[derive(Clone, Copy)]
enum Api {
    Cilium,
    Calico,
}

fn family_of(group: &str, kind: &str) -> Option<Api> {
    match (group, kind) {
        ("cilium.io", "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy") => {
            Some(Api::Cilium)
        }
        (
            "projectcalico.org" | "crd.projectcalico.org",
            "NetworkPolicy" | "GlobalNetworkPolicy",
        ) => Some(Api::Calico),
        _ => None,
    }
}

pub fn evaluate(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Verdict::accept();
    }
    if settings.exempt_namespaces.contains(&request.namespace) {
        return Verdict::accept();
    }
    if let Some(family) = family_of(&request.kind.group, &request.kind.kind) {
        let what = format!("a {}", request.kind.kind);
        let object: Item = match request.object(&what) {
            Ok(object) => object,
            Err(message) => return Verdict::reject(message),
        };
        let egress = match family {
            Api::Cilium => allowance::from_cilium(&object),
            Api::Calico => allowance::from_calico(&object),
        };
        return check_egress(&egress, settings);
    }
    match request.kind.kind.as_ref() {
        "NetworkPolicy" | "" => {}
        kind => {
            return match WorkloadKind::from_kind(kind) {
                Some(kind) => check_workload(request, kind, settings),
                // The metadata selects NetworkPolicies and workloads; nothing else is ours.
                None => Verdict::accept(),
            };
        }
    }
    let policy: NetworkPolicy = match request.view("a NetworkPolicy") {
        Ok(policy) => policy,
        Err(message) => return Verdict::reject(message),
    };
    if let Some(other) = policy.kind.as_deref().filter(|k| *k != "NetworkPolicy") {
        return Verdict::reject(format!(
            "the object is a {other}, not a NetworkPolicy; this policy validates NetworkPolicy objects"
        ));
    }
    check(policy, settings)
}

/// `hostNetwork: true` puts pods on the node's network, where no NetworkPolicy applies.
fn check_workload(
    request: &AdmissionRequest<'_>,
    kind: WorkloadKind,
    settings: &Settings,
) -> Verdict {
    if !settings.deny_host_network {
        return Verdict::accept();
    }
    let workload = match Workload::from_request(request, kind) {
        Ok(workload) => workload,
        Err(message) => return Verdict::reject(message),
    };
    let mut findings = Findings::new();
    if workload.pod_spec.host_network {
        let path = match kind.template_path() {
            "" => "spec.hostNetwork".to_string(),
            template => format!("{template}.spec.hostNetwork"),
        };
        findings.violation(
            path,
            format!(
                "is true: the pods of {} share the node's network, which no NetworkPolicy \
                 governs, so they bypass every egress rule; remove it (or denyHostNetwork: false)",
                workload.describe()
            ),
        );
    }
    findings.into_verdict()
}

/// All the rules over a parsed NetworkPolicy.
pub fn check(policy: NetworkPolicy<'_>, settings: &Settings) -> Verdict {
    check_egress(&allowance::from_network_policy(policy), settings)
}

/// All the rules over the egress of a policy of any family.
pub fn check_egress(egress: &Egress<'_>, settings: &Settings) -> Verdict {
    let mut findings = Findings::new();
    for (path, message) in &egress.invalid {
        findings.violation(path, message);
    }
    for rule in &egress.allowances {
        check_peers(&mut findings, settings, rule);
        check_ports(&mut findings, settings, rule);
    }
    if egress.restricts {
        dns_warning(&mut findings, &egress.allowances);
    }
    findings.into_verdict()
}

fn check_peers(findings: &mut Findings, settings: &Settings, rule: &Allowance<'_>) {
    for peer in &rule.peers {
        match peer {
            Peer::Unrestricted { path, message } => {
                if !settings.allow_unrestricted_peers {
                    findings.violation(path, message.as_ref());
                }
            }
            Peer::Block(block) => check_block(findings, settings, block),
            Peer::Name { path, pattern } => check_name(findings, settings, path, pattern),
            Peer::Namespaces { path, selector } => {
                let Some(allowed) = &settings.allowed_namespace_selectors else {
                    continue;
                };
                if allowed.iter().any(|a| same_selector(&a.0, selector)) {
                    continue;
                }
                let described = if selector.is_empty() {
                    "{} selects every namespace".to_string()
                } else {
                    format!("\"{selector}\" is not an allowed namespace selector")
                };
                let choices: Vec<String> = allowed.iter().map(|a| format!("\"{}\"", a.0)).collect();
                findings.violation(
                    path,
                    format!(
                        "{described}; use one of allowedNamespaceSelectors: {}",
                        choices.join(", ")
                    ),
                );
            }
        }
    }
}

/// A DNS name or pattern (Cilium `toFQDNs`, Calico `domains`) against `allowedFQDNs`.
fn check_name(findings: &mut Findings, settings: &Settings, path: &str, pattern: &str) {
    if fqdn_allows_all(pattern) {
        if !settings.allow_unrestricted_peers {
            findings.violation(
                path,
                format!(
                    "{pattern:?} matches every domain name, so it allows traffic to every address \
                     outside the cluster; list the names the pods need (or \
                     allowUnrestrictedPeers: true)"
                ),
            );
        }
        return;
    }
    let allowed = &settings.allowed_fqdns;
    if allowed.is_empty() {
        if !settings.allowed_cidrs.is_empty() {
            findings.violation(
                path,
                format!(
                    "{pattern:?} is a domain name, whose addresses allowedCIDRs cannot check, and \
                     allowedFQDNs lists no names; add it to allowedFQDNs or use CIDR blocks"
                ),
            );
        }
        return;
    }
    if !allowed.iter().any(|a| fqdn_covers(a, pattern)) {
        findings.violation(
            path,
            format!(
                "{pattern:?} is not covered by allowedFQDNs ({}); use names they cover",
                allowed.join(", ")
            ),
        );
    }
}

/// Selectors are equal when they select the same way: the order of expressions and of their
/// values does not matter.
fn same_selector(a: &LabelSelector<'_>, b: &LabelSelector<'_>) -> bool {
    fn canonical<'s>(s: &'s LabelSelector<'_>) -> Vec<(&'s str, &'s str, Vec<&'s str>)> {
        let mut expressions: Vec<_> = s
            .match_expressions
            .iter()
            .map(|r| {
                let mut values: Vec<&str> = r.values.iter().map(|v| v.as_ref()).collect();
                netsec_shared::sort::sort_by(&mut values, Ord::cmp);
                values.dedup();
                (r.key.as_ref(), r.operator.as_ref(), values)
            })
            .collect();
        netsec_shared::sort::sort_by(&mut expressions, Ord::cmp);
        expressions.dedup();
        expressions
    }
    a.match_labels == b.match_labels && canonical(a) == canonical(b)
}

fn check_block(findings: &mut Findings, settings: &Settings, block: &Block<'_>) {
    let cidr_path = &block.path;
    let net = match parse_block(&block.cidr, block.address_allowed) {
        Ok(net) => net,
        Err(message) => {
            findings.violation(cidr_path, format!("{message}; write it as address/prefix"));
            return;
        }
    };
    let mut excepts = Vec::with_capacity(block.except.len());
    for (k, except) in block.except.iter().enumerate() {
        match parse_block(except, block.address_allowed) {
            Ok(e) => excepts.push(e),
            Err(message) => findings.violation(
                format!("{}[{k}]", block.except_field.as_deref().unwrap_or_default()),
                format!("{message}; write it as address/prefix"),
            ),
        }
    }
    // Formatted only for a message: most blocks pass.
    let shown = || match block.entity {
        Some(entity) => format!("{entity:?} (every address outside the cluster: {net})"),
        None => describe(&block.cidr, &net),
    };

    let normal = net::normalize(&net);
    let (family, min) = match net::family(&net) {
        Family::V4 => ("IPv4", settings.min_prefix_length.ipv4),
        Family::V6 => ("IPv6", settings.min_prefix_length.ipv6),
    };
    if normal.prefix_len() < min {
        findings.violation(
            cidr_path,
            format!(
                "{} is broader than /{min}, the broadest {family} block allowed \
                 (minPrefixLength); allow the specific ranges the pods need (an except list \
                 does not make a broad block acceptable)",
                shown()
            ),
        );
    }

    let allowed = &settings.allowed_cidrs;
    if !allowed.is_empty() && !allowed.iter().any(|a| net::contains(&a.net, &net)) {
        let list: Vec<&str> = allowed.iter().map(|a| a.text.as_str()).collect();
        findings.violation(
            cidr_path,
            format!(
                "{} is not inside any allowed CIDR ({}); use a block inside one of them",
                shown(),
                list.join(", ")
            ),
        );
    }

    for denied in &settings.denied_cidrs {
        if !net::overlaps(&net, &denied.net) {
            continue;
        }
        // CIDR blocks either nest or are disjoint: the overlap is the smaller of the two.
        let overlap = if net::contains(&net, &denied.net) {
            denied.net
        } else {
            net
        };
        if let Some(address) = net::first_uncovered(&overlap, &excepts) {
            let remedy = match &block.except_field {
                Some(field) => format!("add {denied} to {field}, or narrow the block"),
                None if block.entity.is_some() => {
                    "allow the blocks the pods need with toCIDRSet instead".to_string()
                }
                None => "narrow the block, or use toCIDRSet with an except".to_string(),
            };
            findings.violation(
                cidr_path,
                format!(
                    "{} reaches the denied range {denied} (address {address}){}; {remedy}",
                    shown(),
                    if denied.is_metadata_endpoint() {
                        ", a cloud metadata endpoint that hands out node credentials"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
}

/// A block; where the API takes an address too (Cilium, Calico), a single address is its /32 or
/// /128. Read by `ipnet`'s parser either way (the standard library's would add kilobytes).
fn parse_block(text: &str, address_allowed: bool) -> Result<IpNet, String> {
    if address_allowed && !text.contains('/') {
        let bits = if text.contains(':') { 128 } else { 32 };
        return net::parse_cidr(&format!("{}/{bits}", text.trim()))
            .map_err(|_| format!("{text:?} is not an IP address or CIDR block"));
    }
    net::parse_cidr(text)
}

/// `"::ffff:10.0.0.0/104"` is shown with the IPv4 block it reaches.
fn describe(text: &str, net: &IpNet) -> String {
    let normal = net::normalize(net);
    if normal != *net {
        format!("{text:?} (the IPv4 block {normal})")
    } else {
        format!("{text:?}")
    }
}

fn check_ports(findings: &mut Findings, settings: &Settings, rule: &Allowance<'_>) {
    let allowed = &settings.allowed_ports;
    let Some(entries) = &rule.ports else {
        if settings.require_ports || !allowed.is_empty() {
            findings.violation(
                &rule.path,
                format!(
                    "lists no ports, so it allows every port; list them in {}",
                    rule.ports_field
                ),
            );
        }
        return;
    };
    if allowed.is_empty() {
        return;
    }
    for entry in entries {
        match &entry.ranges {
            Ok(ranges) => {
                let mut outside = Vec::new();
                let mut every = true;
                for range in ranges.iter().filter(|r| !covered(r, allowed)) {
                    every &= *range == PortRange::all(range.protocol);
                    outside.push(*range);
                }
                if outside.is_empty() {
                    continue;
                }
                let what = if every {
                    let mut protocols = String::new();
                    for range in &outside {
                        if !protocols.is_empty() {
                            protocols.push_str(", ");
                        }
                        protocols.push_str(range.protocol.name());
                    }
                    format!("has no port, so it allows every {protocols} port")
                } else {
                    format!("allows {}", list(&outside))
                };
                findings.violation(
                    &entry.path,
                    format!(
                        "{what}, outside allowedPorts ({}); use ports inside them",
                        list(allowed)
                    ),
                );
            }
            Err(message) => findings.violation(&entry.path, message),
        }
    }
}

fn list(ranges: &[PortRange]) -> String {
    ranges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pods whose egress a policy governs lose name resolution unless some rule lets port 53 out.
fn dns_warning(findings: &mut Findings, rules: &[Allowance<'_>]) {
    let allows = |protocol: Protocol| {
        rules.iter().any(|rule| match &rule.ports {
            None => true,
            Some(entries) => entries.iter().any(|e| {
                e.ranges
                    .as_ref()
                    .is_ok_and(|r| r.iter().any(|r| r.contains_port(protocol, 53)))
            }),
        })
    };
    let missing: Vec<&str> = [(Protocol::Udp, "53/UDP"), (Protocol::Tcp, "53/TCP")]
        .into_iter()
        .filter(|(protocol, _)| !allows(*protocol))
        .map(|(_, name)| name)
        .collect();
    if !missing.is_empty() {
        findings.warn(format!(
            "this policy restricts egress but no rule allows DNS on {}: the pods it selects cannot \
             resolve names unless another NetworkPolicy allows it (e.g. to k8s-app: kube-dns in \
             kube-system)",
            missing.join(" and ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use serde_json::{Value, json};

    fn run(spec: Value, settings: Value) -> Verdict {
        let payload = json!({
            "request": {"uid": "1", "operation": "CREATE", "namespace": "team-a",
                        "kind": {"group": "networking.k8s.io", "version": "v1", "kind": "NetworkPolicy"},
                        "object": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                   "metadata": {"name": "p", "namespace": "team-a"}, "spec": spec}},
            "settings": settings,
        })
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(&p.request, &p.settings)
    }

    fn to(cidr: &str, except: &[&str]) -> Value {
        json!({"policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": cidr, "except": except}}],
               "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}, {"port": 443}]}]})
    }

    #[test]
    fn cidr_table() {
        let cases: &[(&str, &[&str], Value, Option<&str>)] = &[
            ("10.0.0.0/8", &[], json!({}), None),
            ("0.0.0.0/0", &[], json!({}), Some("broader than /8")),
            ("0.0.0.0/1", &[], json!({}), Some("broader than /8")),
            (
                "::/0",
                &[],
                json!({}),
                Some("broader than /32, the broadest IPv6"),
            ),
            (
                "::ffff:0:0/100",
                &[],
                json!({}),
                Some("(the IPv4 block 0.0.0.0/4) is broader than /8"),
            ),
            ("2001:db8::/32", &[], json!({}), None),
            (
                "169.254.0.0/16",
                &[],
                json!({}),
                Some(
                    "reaches the denied range 169.254.169.254/32 (address 169.254.169.254), a cloud metadata endpoint",
                ),
            ),
            ("169.254.0.0/16", &["169.254.169.0/24"], json!({}), None),
            (
                "169.254.0.0/16",
                &["169.254.169.255/32"],
                json!({}),
                Some("denied range"),
            ),
            (
                "::ffff:169.254.0.0/112",
                &[],
                json!({}),
                Some("(the IPv4 block 169.254.0.0/16) reaches the denied range"),
            ),
            (
                "::ffff:169.254.0.0/112",
                &["169.254.169.254/32"],
                json!({}),
                None,
            ),
            (
                "fd00:ec2::/64",
                &[],
                json!({}),
                Some("reaches the denied range fd00:ec2::254/128"),
            ),
            ("169.254.0.0/16", &[], json!({"deniedCIDRs": []}), None),
            (
                "10.1.0.0/16",
                &[],
                json!({"allowedCIDRs": ["10.0.0.0/8"]}),
                None,
            ),
            (
                "11.0.0.0/16",
                &[],
                json!({"allowedCIDRs": ["10.0.0.0/8"]}),
                Some("is not inside any allowed CIDR (10.0.0.0/8)"),
            ),
            (
                "10.0.0.0/7",
                &[],
                json!({"allowedCIDRs": ["10.0.0.0/8"]}),
                Some("not inside any allowed CIDR"),
            ),
            ("10.0.0.1", &[], json!({}), Some("is not a CIDR block")),
            (
                "10.0.0.0/8",
                &["bad"],
                json!({}),
                Some("except[0] \"bad\" is not a CIDR block"),
            ),
        ];
        for (cidr, except, settings, want) in cases {
            let v = run(to(cidr, except), settings.clone());
            match want {
                None => assert!(v.is_accepted(), "{cidr} {except:?}: {:?}", v.message()),
                Some(w) => {
                    let m = v.message().unwrap_or_default();
                    assert!(m.contains(w), "{cidr} {except:?}: {m}");
                }
            }
        }
    }

    #[test]
    fn rules_and_ports() {
        let unrestricted = json!({"policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]});
        assert!(
            run(unrestricted.clone(), json!({}))
                .message()
                .unwrap()
                .contains("spec.egress[0] has no `to`")
        );
        assert!(run(unrestricted, json!({"allowUnrestrictedPeers": true})).is_accepted());
        let deny_all = json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": []});
        let v = run(deny_all, json!({}));
        assert!(v.is_accepted());
        assert!(
            v.warnings()[0].contains("53/UDP and 53/TCP"),
            "{:?}",
            v.warnings()
        );

        let pod_peer =
            |ports: Value| json!({"egress": [{"to": [{"podSelector": {}}], "ports": ports}]});
        let allowed = json!({"allowedPorts": ["53/UDP", "53/TCP", "8000-8100/TCP"]});
        assert!(
            run(
                pod_peer(json!([{"port": 53, "protocol": "UDP"}, {"port": 53}])),
                allowed.clone()
            )
            .is_accepted()
        );
        assert!(
            run(
                pod_peer(json!([{"port": 8000, "endPort": 8100}])),
                allowed.clone()
            )
            .is_accepted()
        );
        let m = run(
            pod_peer(json!([{"port": 8000, "endPort": 8101}])),
            allowed.clone(),
        )
        .message()
        .unwrap();
        assert!(
            m.contains("spec.egress[0].ports[0] allows 8000-8101/TCP, outside allowedPorts"),
            "{m}"
        );
        let m = run(pod_peer(json!([{"port": "dns"}])), allowed.clone())
            .message()
            .unwrap();
        assert!(m.contains("named port \"dns\""), "{m}");
        let m = run(pod_peer(json!([{"protocol": "UDP"}])), allowed.clone())
            .message()
            .unwrap();
        assert!(
            m.contains("has no port, so it allows every UDP port"),
            "{m}"
        );
        let m = run(pod_peer(json!(null)), allowed).message().unwrap();
        assert!(m.contains("lists no ports"), "{m}");
        assert!(run(pod_peer(json!(null)), json!({})).is_accepted());
        assert!(!run(pod_peer(json!(null)), json!({"requirePorts": true})).is_accepted());
    }

    #[test]
    fn dns_warning_names_missing_protocols() {
        let only_udp = json!({"egress": [{"to": [{"podSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]}]});
        let v = run(only_udp, json!({}));
        assert!(v.is_accepted());
        assert_eq!(v.warnings().len(), 1);
        assert!(
            v.warnings()[0].contains("DNS on 53/TCP:"),
            "{:?}",
            v.warnings()
        );
        let both = json!({"egress": [{"to": [{"podSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 1, "endPort": 100}]}]});
        assert!(run(both, json!({})).warnings().is_empty());
        let ingress_only = json!({"policyTypes": ["Ingress"], "ingress": []});
        assert!(run(ingress_only, json!({})).warnings().is_empty());
    }
}

#[cfg(test)]
mod workload_and_selector_tests {
    use super::*;
    use netsec_shared::Payload;
    use serde_json::{Value, json};

    fn run(kind: &str, object: Value, settings: Value) -> Verdict {
        let payload = json!({
            "request": {"uid": "1", "operation": "CREATE", "namespace": "team-a",
                        "kind": {"group": "", "version": "v1", "kind": kind}, "object": object},
            "settings": settings,
        })
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(&p.request, &p.settings)
    }

    #[test]
    fn host_network() {
        let pod = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostNetwork": true, "containers": []}});
        let m = run("Pod", pod.clone(), json!({})).message().unwrap();
        assert!(m.starts_with("spec.hostNetwork is true"), "{m}");
        assert!(run("Pod", pod, json!({"denyHostNetwork": false})).is_accepted());
        let cron = json!({"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostNetwork": true}}}}}});
        let m = run("CronJob", cron, json!({})).message().unwrap();
        assert!(
            m.starts_with("spec.jobTemplate.spec.template.spec.hostNetwork is true"),
            "{m}"
        );
        let fine = json!({"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"hostNetwork": false}}}});
        assert!(run("Deployment", fine, json!({})).is_accepted());
        assert!(run("Service", json!({"kind": "Service"}), json!({})).is_accepted());
    }

    #[test]
    fn namespace_selectors() {
        let policy = |selector: Value| {
            json!({"kind": "NetworkPolicy", "metadata": {"name": "p"},
                   "spec": {"egress": [{"to": [{"namespaceSelector": selector}], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}]}})
        };
        let settings = json!({"allowedNamespaceSelectors": [
            {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}, {"key": "env", "operator": "Exists"}]}]});
        let ok = [
            json!({"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}),
            json!({"matchExpressions": [{"key": "env", "operator": "Exists"}, {"key": "team", "operator": "In", "values": ["b", "a"]}]}),
        ];
        for selector in ok {
            let v = run("NetworkPolicy", policy(selector.clone()), settings.clone());
            assert!(v.is_accepted(), "{selector}: {:?}", v.message());
        }
        let m = run("NetworkPolicy", policy(json!({})), settings.clone())
            .message()
            .unwrap();
        assert!(
            m.contains("namespaceSelector {} selects every namespace"),
            "{m}"
        );
        let m = run(
            "NetworkPolicy",
            policy(json!({"matchLabels": {"team": "a"}})),
            settings.clone(),
        )
        .message()
        .unwrap();
        assert!(
            m.contains("\"team=a\" is not an allowed namespace selector"),
            "{m}"
        );
        assert!(
            run(
                "NetworkPolicy",
                policy(json!({})),
                json!({"allowedNamespaceSelectors": [{}]})
            )
            .is_accepted()
        );
        assert!(run("NetworkPolicy", policy(json!({})), json!({})).is_accepted());
    }
}

#[cfg(test)]
mod family_tests {
    use super::*;
    use netsec_shared::Payload;
    use serde_json::{Value, json};

    fn run(api_version: &str, kind: &str, spec: Value, settings: Value) -> Verdict {
        let (group, version) = api_version.split_once('/').unwrap();
        let payload = json!({
            "request": {"uid": "1", "operation": "CREATE", "namespace": "team-a",
                        "kind": {"group": group, "version": version, "kind": kind},
                        "object": {"apiVersion": api_version, "kind": kind,
                                   "metadata": {"name": "p", "namespace": "team-a"}, "spec": spec}},
            "settings": settings,
        })
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        evaluate(&p.request, &p.settings)
    }

    /// (spec, settings, None when accepted or a part of the message)
    fn table(api_version: &str, kind: &str, cases: &[(Value, Value, Option<&str>)]) {
        for (spec, settings, want) in cases {
            let v = run(api_version, kind, spec.clone(), settings.clone());
            match want {
                None => assert!(v.is_accepted(), "{spec}: {:?}", v.message()),
                Some(w) => {
                    let m = v.message().unwrap_or_default();
                    assert!(m.contains(w), "{spec}: {m}");
                }
            }
        }
    }

    #[test]
    fn cilium() {
        let none = json!({});
        let rule = |r: Value| json!({"endpointSelector": {}, "egress": [r]});
        table(
            "cilium.io/v2",
            "CiliumNetworkPolicy",
            &[
                (rule(json!({"toCIDR": ["10.0.0.0/8"]})), none.clone(), None),
                (
                    rule(json!({"toCIDR": ["0.0.0.0/0"]})),
                    none.clone(),
                    Some("toCIDR[0] \"0.0.0.0/0\" is broader than /8"),
                ),
                (
                    rule(json!({"toCIDR": ["10.0.0.300"]})),
                    none.clone(),
                    Some("is not an IP address or CIDR block"),
                ),
                (
                    rule(
                        json!({"toCIDRSet": [{"cidr": "169.254.0.0/16", "except": ["169.254.169.254/32"]}]}),
                    ),
                    none.clone(),
                    None,
                ),
                (
                    rule(json!({"toCIDRSet": [{"cidr": "169.254.0.0/16", "except": ["x"]}]})),
                    none.clone(),
                    Some("toCIDRSet[0].except[0] \"x\" is not an IP address"),
                ),
                (
                    rule(json!({"toEntities": ["world"]})),
                    none.clone(),
                    Some("\"world\" (every address outside the cluster: 0.0.0.0/0)"),
                ),
                (
                    rule(json!({"toEntities": ["all"]})),
                    json!({"allowUnrestrictedPeers": true}),
                    None,
                ),
                (
                    rule(json!({"toFQDNs": [{"matchPattern": "**"}]})),
                    none.clone(),
                    Some("matchPattern \"**\" matches every domain name"),
                ),
                (
                    rule(json!({"toFQDNs": [{"matchName": "a.example.com"}]})),
                    json!({"allowedFQDNs": ["**.example.com"]}),
                    None,
                ),
                (
                    rule(
                        json!({"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}]}]}),
                    ),
                    json!({"allowedPorts": ["53/UDP"]}),
                    None,
                ),
                (
                    rule(
                        json!({"toEndpoints": [{}], "toPorts": [{"ports": [{"protocol": "TCP"}]}]}),
                    ),
                    json!({"allowedPorts": ["53/UDP"]}),
                    Some("has no port, so it allows every TCP port"),
                ),
                (
                    rule(json!({"toEndpoints": [{}], "toPorts": [{}]})),
                    json!({"allowedPorts": ["53/UDP"]}),
                    Some("toPorts[0] has no port, so it allows every TCP, UDP, SCTP port"),
                ),
                (
                    rule(json!({"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "99999"}]}]})),
                    json!({"allowedPorts": ["53/UDP"]}),
                    Some("port 99999 is not from 1 to 65535"),
                ),
            ],
        );
    }

    #[test]
    fn calico() {
        let none = json!({});
        let rule = |r: Value| json!({"selector": "all()", "egress": [r]});
        table(
            "projectcalico.org/v3",
            "NetworkPolicy",
            &[
                (
                    rule(json!({"action": "Allow", "destination": {"nets": ["10.0.0.0/8"]}})),
                    none.clone(),
                    None,
                ),
                (
                    rule(json!({"action": "Allow", "destination": {"nets": ["10.0.0.1"]}})),
                    none.clone(),
                    None,
                ),
                (
                    rule(json!({"action": "Allow", "destination": {"nets": ["0.0.0.0/1"]}})),
                    none.clone(),
                    Some("destination.nets[0] \"0.0.0.0/1\" is broader than /8"),
                ),
                (
                    rule(json!({"action": "Deny", "destination": {"nets": ["0.0.0.0/0"]}})),
                    none.clone(),
                    None,
                ),
                (
                    rule(json!({"action": "Allow", "destination": {"selector": "app == 'db'"}})),
                    none.clone(),
                    None,
                ),
                (
                    rule(json!({"action": "Allow", "destination": {"selector": " "}})),
                    none.clone(),
                    Some("allows traffic to every destination"),
                ),
                (
                    rule(json!({"action": "Allow", "destination": {"domains": ["*"]}})),
                    none.clone(),
                    Some("domains[0] \"*\" matches every domain name"),
                ),
                (
                    rule(
                        json!({"action": "Allow", "protocol": "tcp", "destination": {"selector": "all()", "ports": ["80:90"]}}),
                    ),
                    json!({"allowedPorts": ["80-90/TCP"]}),
                    None,
                ),
                (
                    rule(
                        json!({"action": "Allow", "protocol": "TCP", "destination": {"selector": "all()", "ports": ["90:80"]}}),
                    ),
                    json!({"allowedPorts": ["80-90/TCP"]}),
                    Some("the range ends before it starts"),
                ),
                (
                    rule(
                        json!({"action": "Allow", "protocol": 1, "destination": {"selector": "all()"}}),
                    ),
                    json!({"allowedPorts": ["80/TCP"]}),
                    Some("protocol 1 has no ports"),
                ),
            ],
        );
        let v = run(
            "crd.projectcalico.org/v1",
            "GlobalNetworkPolicy",
            json!({"egress": [{"action": "Allow"}]}),
            json!({}),
        );
        assert!(
            v.message()
                .unwrap()
                .contains("spec.egress[0] allows traffic to every destination")
        );
    }
}
