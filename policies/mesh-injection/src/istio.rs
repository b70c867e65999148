//! Istio's mTLS resources: PeerAuthentication (what a workload accepts) and DestinationRule
//! (what its clients send). Only the mode fields are read.

use std::borrow::Cow;
use std::collections::BTreeMap;

use netsec_shared::request::null_as_empty;
use netsec_shared::{AdmissionRequest, Findings, ObjectMeta, Verdict};
use serde::Deserialize;

#[derive(Deserialize)]
struct PeerAuthentication<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    spec: PeerAuthenticationSpec<'a>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PeerAuthenticationSpec<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    mtls: Mode<'a>,
    /// Keyed by port number, which JSON writes as a string.
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    port_level_mtls: BTreeMap<Cow<'a, str>, Option<Mode<'a>>>,
}

/// `{mode: ...}`, the shape of both `mtls` and `tls`.
#[derive(Default, Deserialize)]
struct Mode<'a> {
    #[serde(default, borrow)]
    mode: Option<Cow<'a, str>>,
}

impl Mode<'_> {
    fn get(&self) -> Option<&str> {
        self.mode.as_deref()
    }
}

fn described(meta: &ObjectMeta<'_>, kind: &str) -> String {
    match meta.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        Some(ns) => format!("{kind} {:?} of namespace {ns:?}", meta.display_name()),
        None => format!("{kind} {:?}", meta.display_name()),
    }
}

/// PeerAuthentication: `spec.mtls.mode` and every `spec.portLevelMtls` mode must be STRICT or
/// unset (UNSET inherits, like leaving it out).
pub fn check_peer_authentication(request: &AdmissionRequest<'_>) -> Verdict {
    let pa: PeerAuthentication = match request.object("a PeerAuthentication") {
        Ok(pa) => pa,
        Err(message) => return Verdict::reject(message),
    };
    let what = described(&pa.metadata, "PeerAuthentication");
    let mut findings = Findings::new();
    let mut judge = |path: String, mode: Option<&str>, scope: &str| {
        let why = match mode {
            None | Some("UNSET") | Some("STRICT") => return,
            Some("PERMISSIVE") => "which accepts plain-text connections beside mTLS",
            Some("DISABLE") => "which turns mutual TLS off",
            Some(_) => "which is not an Istio mTLS mode (UNSET, DISABLE, PERMISSIVE, STRICT)",
        };
        findings.violation(
            path,
            format!(
                "is {:?} in {what}, {why}{scope}; set it to STRICT (or remove it to inherit \
                 the mode)",
                mode.unwrap_or_default()
            ),
        );
    };
    judge("spec.mtls.mode".into(), pa.spec.mtls.get(), "");
    for (port, mtls) in &pa.spec.port_level_mtls {
        judge(
            format!("spec.portLevelMtls[{port:?}].mode"),
            mtls.as_ref().and_then(Mode::get),
            &format!(" on port {port}"),
        );
    }
    findings.into_verdict()
}

#[derive(Deserialize)]
struct DestinationRule<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    spec: DestinationRuleSpec<'a>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DestinationRuleSpec<'a> {
    #[serde(default, borrow)]
    host: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    traffic_policy: TrafficPolicy<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    subsets: Vec<Subset<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrafficPolicy<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    tls: Mode<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    port_level_settings: Vec<PortSettings<'a>>,
}

#[derive(Default, Deserialize)]
struct PortSettings<'a> {
    #[serde(default, deserialize_with = "null_as_empty")]
    port: PortSelector,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    tls: Mode<'a>,
}

#[derive(Default, Deserialize)]
struct PortSelector {
    #[serde(default)]
    number: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subset<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    traffic_policy: TrafficPolicy<'a>,
}

/// DestinationRule: no `tls.mode: DISABLE` in the top-level traffic policy, its port settings,
/// or any subset's traffic policy and port settings.
pub fn check_destination_rule(request: &AdmissionRequest<'_>) -> Verdict {
    let dr: DestinationRule = match request.object("a DestinationRule") {
        Ok(dr) => dr,
        Err(message) => return Verdict::reject(message),
    };
    let host = dr.spec.host.as_deref().unwrap_or_default();
    let what = format!(
        "{} (host {host:?})",
        described(&dr.metadata, "DestinationRule")
    );
    let mut findings = Findings::new();
    check_traffic_policy(
        &mut findings,
        &what,
        "spec.trafficPolicy",
        "",
        &dr.spec.traffic_policy,
    );
    for (i, subset) in dr.spec.subsets.iter().enumerate() {
        let scope = format!(
            ", subset {:?}",
            subset.name.as_deref().unwrap_or("<unnamed>")
        );
        check_traffic_policy(
            &mut findings,
            &what,
            &format!("spec.subsets[{i}].trafficPolicy"),
            &scope,
            &subset.traffic_policy,
        );
    }
    findings.into_verdict()
}

fn check_traffic_policy(
    findings: &mut Findings,
    what: &str,
    path: &str,
    scope: &str,
    policy: &TrafficPolicy<'_>,
) {
    let mut judge = |path: String, mode: Option<&str>, scope: &str| {
        if mode == Some("DISABLE") {
            findings.violation(
                path,
                format!(
                    "is \"DISABLE\" in {what}{scope}, which sends plain text to the destination; \
                     use ISTIO_MUTUAL, or remove tls so that Istio uses mTLS automatically"
                ),
            );
        }
    };
    judge(format!("{path}.tls.mode"), policy.tls.get(), scope);
    for (i, port) in policy.port_level_settings.iter().enumerate() {
        let scope = match port.port.number {
            Some(number) => format!("{scope}, port {number}"),
            None => scope.to_string(),
        };
        judge(
            format!("{path}.portLevelSettings[{i}].tls.mode"),
            port.tls.get(),
            &scope,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use serde_json::{Value, json};

    fn run(check: fn(&AdmissionRequest<'_>) -> Verdict, object: Value) -> Verdict {
        let payload = json!({"request": {"operation": "CREATE", "object": object}}).to_string();
        let p = Payload::<Value>::parse(payload.as_bytes()).unwrap();
        check(&p.request)
    }

    fn pa(spec: Value) -> Value {
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
               "metadata": {"name": "default", "namespace": "shop"}, "spec": spec})
    }

    fn dr(spec: Value) -> Value {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
               "metadata": {"name": "reviews", "namespace": "shop"}, "spec": spec})
    }

    #[test]
    fn peer_authentication_modes() {
        let cases: &[(Value, Result<(), &str>)] = &[
            (json!({"mtls": {"mode": "STRICT"}}), Ok(())),
            (json!({}), Ok(())),
            (json!(null), Ok(())),
            (json!({"mtls": null, "portLevelMtls": null}), Ok(())),
            (json!({"mtls": {"mode": "UNSET"}}), Ok(())),
            (
                json!({"mtls": {"mode": "STRICT"}, "portLevelMtls": {"8080": {"mode": "STRICT"}, "9090": {}}}),
                Ok(()),
            ),
            (
                json!({"mtls": {"mode": "PERMISSIVE"}}),
                Err(
                    "spec.mtls.mode is \"PERMISSIVE\" in PeerAuthentication \"default\" of namespace \"shop\", which accepts plain-text connections beside mTLS; set it to STRICT",
                ),
            ),
            (
                json!({"mtls": {"mode": "DISABLE"}}),
                Err("which turns mutual TLS off"),
            ),
            (
                json!({"mtls": {"mode": "STRICT"}, "portLevelMtls": {"8080": {"mode": "DISABLE"}}}),
                Err(
                    "spec.portLevelMtls[\"8080\"].mode is \"DISABLE\" in PeerAuthentication \"default\" of namespace \"shop\", which turns mutual TLS off on port 8080",
                ),
            ),
            (
                json!({"mtls": {"mode": "strict"}}),
                Err("is not an Istio mTLS mode"),
            ),
            (
                json!({"mtls": {"mode": 3}}),
                Err("cannot be read as a PeerAuthentication: spec.mtls.mode: invalid type"),
            ),
        ];
        for (spec, want) in cases {
            let v = run(check_peer_authentication, pa(spec.clone()));
            match want {
                Ok(()) => assert!(v.is_accepted(), "{spec}: {v:?}"),
                Err(w) => {
                    let m = v.message().unwrap_or_default();
                    assert!(m.contains(w), "{spec}: {m}");
                }
            }
        }
        // Both wrong: both reported, top level first.
        let v = run(
            check_peer_authentication,
            pa(
                json!({"mtls": {"mode": "PERMISSIVE"}, "portLevelMtls": {"10000": {"mode": "PERMISSIVE"}, "80": {"mode": "DISABLE"}}}),
            ),
        );
        let m = v.message().unwrap();
        assert_eq!(m.lines().count(), 3, "{m}");
        assert!(m.starts_with("spec.mtls.mode"), "{m}");
    }

    #[test]
    fn destination_rule_disable_anywhere() {
        let cases: &[(Value, Result<(), &str>)] = &[
            (
                json!({"host": "reviews", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}),
                Ok(()),
            ),
            (json!({"host": "reviews"}), Ok(())),
            (
                json!({"host": "reviews", "trafficPolicy": null, "subsets": null}),
                Ok(()),
            ),
            (
                json!({"host": "api.example.com", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}),
                Ok(()),
            ),
            (
                json!({"host": "reviews", "trafficPolicy": {"tls": {"mode": "DISABLE"}}}),
                Err(
                    "spec.trafficPolicy.tls.mode is \"DISABLE\" in DestinationRule \"reviews\" of namespace \"shop\" (host \"reviews\"), which sends plain text",
                ),
            ),
            (
                json!({"host": "reviews", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 80}, "tls": {"mode": "ISTIO_MUTUAL"}}, {"port": {"number": 9080}, "tls": {"mode": "DISABLE"}}]}}),
                Err(
                    "spec.trafficPolicy.portLevelSettings[1].tls.mode is \"DISABLE\" in DestinationRule \"reviews\" of namespace \"shop\" (host \"reviews\"), port 9080",
                ),
            ),
            (
                json!({"host": "reviews", "subsets": [{"name": "v1"}, {"name": "v2", "trafficPolicy": {"tls": {"mode": "DISABLE"}}}]}),
                Err("spec.subsets[1].trafficPolicy.tls.mode is \"DISABLE\""),
            ),
            (
                json!({"host": "reviews", "subsets": [{"name": "v1", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 9080}, "tls": {"mode": "DISABLE"}}]}}]}),
                Err(
                    "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.mode is \"DISABLE\" in DestinationRule \"reviews\" of namespace \"shop\" (host \"reviews\"), subset \"v1\", port 9080",
                ),
            ),
            (
                json!({"subsets": {"name": "v1"}}),
                Err("cannot be read as a DestinationRule: spec.subsets: invalid type"),
            ),
        ];
        for (spec, want) in cases {
            let v = run(check_destination_rule, dr(spec.clone()));
            match want {
                Ok(()) => assert!(v.is_accepted(), "{spec}: {v:?}"),
                Err(w) => {
                    let m = v.message().unwrap_or_default();
                    assert!(m.contains(w), "{spec}: {m}");
                }
            }
        }
    }
}
