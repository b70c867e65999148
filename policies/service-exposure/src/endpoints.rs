//! Endpoints and EndpointSlices written by users.
//!
//! A Service without a selector forwards to whatever addresses its Endpoints or EndpointSlices
//! list; kube-proxy and the mesh data paths do not ask who wrote them. Whoever may write these
//! objects can then send the Service's clients (an ingress controller among them,
//! CVE-2021-25740) to the node's metadata service or the API server. The endpoint controllers
//! of kube-controller-manager write them for Services with selectors, with pod addresses
//! (host-network pods carry node addresses); their writes, told by the request's `userInfo`,
//! are not judged. The `endpointslice.kubernetes.io/managed-by` label is written by whoever
//! writes the slice, so it names a manager but proves nothing: a user's slice that carries the
//! controllers' label is judged like any other.
//!
//! The API server already refuses unspecified, loopback and link-local addresses here
//! (`ValidateEndpointIP`, via `validateEndpointAddress` and the EndpointSlice validation's
//! `ValidateNonSpecialIP`), read with `ParseIPSloppy`; the metadata addresses outside those
//! blocks (AWS `fd00:ec2::254`, Alibaba `100.100.100.200`) and the cluster's own hosts it lets
//! through.

use netsec_shared::Findings;
use netsec_shared::net::IpNet;

use crate::address::{Written, denied_by};
use crate::names::NameRules;
use crate::objects::{EndpointSlice, Endpoints};
use crate::settings::Settings;

/// The label the EndpointSlice controllers set on the slices they manage.
pub const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";

pub fn check_endpoints(findings: &mut Findings, endpoints: &Endpoints<'_>, settings: &Settings) {
    let denied = settings.denied_endpoints();
    for (i, subset) in endpoints.subsets.iter().enumerate() {
        let lists = [
            ("addresses", &subset.addresses),
            ("notReadyAddresses", &subset.not_ready_addresses),
        ];
        for (field, addresses) in lists {
            for (j, address) in addresses.iter().enumerate() {
                let path = || format!("subsets[{i}].{field}[{j}].ip");
                check_ip(findings, path, &address.ip, &denied);
            }
        }
    }
}

pub fn check_slice(
    findings: &mut Findings,
    namespace: &str,
    slice: &EndpointSlice<'_>,
    settings: &Settings,
) {
    let denied = settings.denied_endpoints();
    let names = settings.denied_external_names();
    let domain = settings.cluster_domain();
    let rules = NameRules {
        namespace,
        cluster_domain: &domain,
        denied: &names,
    };
    let fqdn = slice.address_type == "FQDN";
    for (i, endpoint) in slice.endpoints.iter().enumerate() {
        for (j, address) in endpoint.addresses.iter().enumerate() {
            let path = || format!("endpoints[{i}].addresses[{j}]");
            if fqdn {
                rules.check(findings, &path(), address);
            } else {
                check_ip(findings, path, address, &denied);
            }
        }
    }
}

/// One address; the path is only built for a finding (a slice holds up to a thousand).
fn check_ip(
    findings: &mut Findings,
    path: impl Fn() -> String,
    text: &str,
    denied: &[(IpNet, &'static str)],
) {
    let Some(ip) = Written::parse(text) else {
        findings.violation(path(), format!("{text:?} is not an IP address"));
        return;
    };
    if let Some((block, why)) = denied_by(ip.addr, denied) {
        findings.violation(
            path(),
            format!(
                "{} lies in {block} ({why}), which endpoints written by users may not reach: a \
                 Service would forward its clients there; point the Service at pods with a \
                 selector, or at an address outside deniedEndpointCIDRs",
                ip.quoted()
            ),
        );
    }
}
