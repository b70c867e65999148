//! Istio's mTLS resources: PeerAuthentication (what a workload accepts) and DestinationRule
//! (what its clients send). Only the mode fields are judged.
//!
//! Both are read as a `serde_json::Value` and walked: the module already carries that parser
//! for mutations, while typed views of these nested CRDs cost some 30 KB of module size for
//! objects that are a few hundred bytes long.

use netsec_shared::{AdmissionRequest, Findings, Verdict};
use serde_json::Value;

/// The request's object as a JSON value (a map, or an error saying why not).
pub(crate) fn object_value(request: &AdmissionRequest<'_>, what: &str) -> Result<Value, String> {
    let raw = request
        .raw_object()
        .ok_or("the request carries no object to validate")?;
    match netsec_shared::json::value(raw.get()) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(format!(
            "the object is not a JSON object, so it cannot be read as {what}"
        )),
        Err(e) => Err(format!("the object cannot be read as {what}: {e}")),
    }
}

/// `PeerAuthentication "default" of namespace "shop"`, from the request: the object's
/// metadata need not be read.
fn described(request: &AdmissionRequest<'_>, kind: &str) -> String {
    let name = match request.name.as_ref() {
        "" => "<unnamed>",
        name => name,
    };
    match request.namespace.as_ref() {
        "" => format!("{kind} {name:?}"),
        ns => format!("{kind} {name:?} of namespace {ns:?}"),
    }
}

/// A field that must be a map when present; `null` counts as absent.
fn map_at<'v>(
    value: &'v Value,
    path: &str,
) -> Result<Option<&'v serde_json::Map<String, Value>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        other => Err(format!("{path} is {other}, not a map")),
    }
}

/// A field that must be a list when present.
fn list_at<'v>(value: &'v Value, path: &str) -> Result<&'v [Value], String> {
    match value {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        other => Err(format!("{path} is {other}, not a list")),
    }
}

/// The `mode` of a `{mode: ...}` block at `path` (`mtls` or `tls`).
fn mode_at<'v>(block: &'v Value, path: &str) -> Result<Option<&'v str>, String> {
    let Some(map) = map_at(block, path)? else {
        return Ok(None);
    };
    match map.get("mode") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(mode)) => Ok(Some(mode)),
        Some(other) => Err(format!("{path}.mode is {other}, not a string")),
    }
}

/// PeerAuthentication: `spec.mtls.mode` and every `spec.portLevelMtls` mode must be STRICT or
/// unset (UNSET inherits, like leaving it out).
pub fn check_peer_authentication(request: &AdmissionRequest<'_>) -> Verdict {
    let what = described(request, "PeerAuthentication");
    let mut findings = Findings::new();
    let walked = object_value(request, "a PeerAuthentication").and_then(|pa| {
        let spec = &pa["spec"];
        map_at(spec, "spec")?;
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
        judge(
            "spec.mtls.mode".into(),
            mode_at(&spec["mtls"], "spec.mtls")?,
            "",
        );
        for (port, mtls) in map_at(&spec["portLevelMtls"], "spec.portLevelMtls")?
            .into_iter()
            .flatten()
        {
            let path = format!("spec.portLevelMtls[{port:?}]");
            let mode = mode_at(mtls, &path)?;
            judge(format!("{path}.mode"), mode, &format!(" on port {port}"));
        }
        Ok(())
    });
    match walked {
        Ok(()) => findings.into_verdict(),
        Err(message) => Verdict::reject(unreadable(message, "a PeerAuthentication")),
    }
}

fn unreadable(message: String, what: &str) -> String {
    if message.starts_with("the ") {
        message
    } else {
        format!("the object cannot be read as {what}: {message}")
    }
}

/// DestinationRule: no `tls.mode: DISABLE` in the top-level traffic policy, its port settings,
/// or any subset's traffic policy and port settings.
pub fn check_destination_rule(request: &AdmissionRequest<'_>) -> Verdict {
    let mut findings = Findings::new();
    let walked = object_value(request, "a DestinationRule").and_then(|dr| {
        let spec = &dr["spec"];
        map_at(spec, "spec")?;
        let host = spec["host"].as_str().unwrap_or_default();
        let what = format!("{} (host {host:?})", described(request, "DestinationRule"));
        check_traffic_policy(
            &mut findings,
            &what,
            "spec.trafficPolicy",
            "",
            &spec["trafficPolicy"],
        )?;
        for (i, subset) in list_at(&spec["subsets"], "spec.subsets")?
            .iter()
            .enumerate()
        {
            let path = format!("spec.subsets[{i}]");
            map_at(subset, &path)?;
            let scope = format!(
                ", subset {:?}",
                subset["name"].as_str().unwrap_or("<unnamed>")
            );
            check_traffic_policy(
                &mut findings,
                &what,
                &format!("{path}.trafficPolicy"),
                &scope,
                &subset["trafficPolicy"],
            )?;
        }
        Ok(())
    });
    match walked {
        Ok(()) => findings.into_verdict(),
        Err(message) => Verdict::reject(unreadable(message, "a DestinationRule")),
    }
}

fn check_traffic_policy(
    findings: &mut Findings,
    what: &str,
    path: &str,
    scope: &str,
    policy: &Value,
) -> Result<(), String> {
    if map_at(policy, path)?.is_none() {
        return Ok(());
    }
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
    let tls = format!("{path}.tls");
    judge(format!("{tls}.mode"), mode_at(&policy["tls"], &tls)?, scope);
    let ports = format!("{path}.portLevelSettings");
    for (i, port) in list_at(&policy["portLevelSettings"], &ports)?
        .iter()
        .enumerate()
    {
        let tls = format!("{ports}[{i}].tls");
        let scope = match port["port"]["number"].as_u64() {
            Some(number) => format!("{scope}, port {number}"),
            None => scope.to_string(),
        };
        judge(format!("{tls}.mode"), mode_at(&port["tls"], &tls)?, &scope);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use serde_json::{Value, json};

    fn run(check: fn(&AdmissionRequest<'_>) -> Verdict, object: Value) -> Verdict {
        let payload = json!({"request": {"operation": "CREATE", "name": object["metadata"]["name"],
                                         "namespace": object["metadata"]["namespace"],
                                         "object": object}})
        .to_string();
        let p = Payload::<Value>::parse(payload.as_bytes()).unwrap();
        check(&p.request)
    }

    /// (spec, Ok or a substring of the message) through `check`.
    fn check_table(
        check: fn(&AdmissionRequest<'_>) -> Verdict,
        object: fn(Value) -> Value,
        cases: &[(Value, Result<(), &str>)],
    ) {
        for (spec, want) in cases {
            let v = run(check, object(spec.clone()));
            match want {
                Ok(()) => assert!(v.is_accepted(), "{spec}: {v:?}"),
                Err(w) => {
                    let m = v.message().unwrap_or_default();
                    assert!(m.contains(w), "{spec}: {m}");
                }
            }
        }
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
                Err(
                    "the object cannot be read as a PeerAuthentication: spec.mtls.mode is 3, not a string",
                ),
            ),
        ];
        check_table(check_peer_authentication, pa, cases);
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
                Err(
                    "the object cannot be read as a DestinationRule: spec.subsets is {\"name\":\"v1\"}, not a list",
                ),
            ),
        ];
        check_table(check_destination_rule, dr, cases);
    }
}
