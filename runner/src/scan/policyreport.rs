//! `wgpolicyk8s.io/v1alpha2` PolicyReport (namespaced objects) and ClusterPolicyReport
//! (cluster-scoped ones), one per object, laid out as Kubewarden's audit-scanner writes them
//! (`internal/report/report.go`: `NewPolicyReport`, `NewPolicyReportResult`): label
//! `app.kubernetes.io/managed-by: kubewarden`, `scope` naming the object, results with source
//! `kubewarden`, the policy's unique name, category, severity (`info` in monitor mode), result
//! pass/fail/error, `scored: true`, an empty `resourceSelector`, `message` and the
//! validating/mutating/context-aware properties, and the summary counts.
//!
//! Two differences, because the objects do not exist yet: audit-scanner names a report after the
//! object's UID and makes the object its owner; a scanned manifest has no UID, so the report's
//! name is derived from the object's identity, and there is no ownerReference (one to an invented
//! UID would have the garbage collector delete the report as soon as it is applied). The
//! policies' UID and resourceVersion properties are left out for the same reason.

use std::io::Write;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{ObjectResult, Outcome, Report};

/// A stable UUID-shaped name for an object that has no UID yet.
fn report_name(object: &ObjectResult) -> String {
    let identity = format!(
        "{}/{}/{}/{}",
        object.api_version,
        object.kind,
        object.namespace.as_deref().unwrap_or_default(),
        object.name
    );
    let h = hex::encode(Sha256::digest(identity.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The reports, one per object; `timestamp` is the seconds since the epoch of the results.
pub fn reports(report: &Report, timestamp: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for object in &report.objects {
        let mut summary = json!({"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0});
        let mut results = Vec::new();
        for verdict in &object.verdicts {
            let info = report.policies.iter().find(|p| p.id == verdict.policy);
            let result = match verdict.outcome {
                Outcome::Accepted => "pass",
                Outcome::Rejected => "fail",
                Outcome::Error => "error",
            };
            summary[result] = json!(summary[result].as_u64().unwrap_or(0) + 1);
            let mut properties = serde_json::Map::new();
            let mutating = info.is_some_and(|p| p.mutating);
            properties.insert(
                if mutating { "mutating" } else { "validating" }.into(),
                json!("true"),
            );
            if info.is_some_and(|p| p.context_aware) {
                properties.insert("context-aware".into(), json!("true"));
            }
            let mut entry = json!({
                "source": "kubewarden",
                "policy": verdict.policy,
                "result": result,
                "scored": true,
                "timestamp": {"seconds": timestamp, "nanos": 0},
                "resourceSelector": {},
                "properties": properties,
            });
            if let Some(category) = info.and_then(|p| p.category.as_ref()) {
                entry["category"] = json!(category);
            }
            let severity = match info {
                Some(p) if p.monitor => Some("info".to_string()),
                Some(p) => p.severity.clone(),
                None => None,
            };
            if let Some(severity) = severity {
                entry["severity"] = json!(severity);
            }
            // audit-scanner leaves the message out when the policy errored.
            if let (Some(message), false) = (&verdict.message, verdict.outcome == Outcome::Error) {
                entry["message"] = json!(message);
            }
            results.push(entry);
        }
        let mut scope = json!({
            "apiVersion": object.api_version,
            "kind": object.kind,
            "name": object.name,
        });
        let mut metadata = json!({
            "name": report_name(object),
            "labels": {"app.kubernetes.io/managed-by": "kubewarden"},
        });
        let kind = match &object.namespace {
            Some(ns) => {
                scope["namespace"] = json!(ns);
                metadata["namespace"] = json!(ns);
                "PolicyReport"
            }
            None => "ClusterPolicyReport",
        };
        out.push(json!({
            "apiVersion": "wgpolicyk8s.io/v1alpha2",
            "kind": kind,
            "metadata": metadata,
            "scope": scope,
            "summary": summary,
            "results": results,
        }));
    }
    out
}

/// The reports as a YAML stream, ready for `kubectl apply -f`.
pub fn write(report: &Report, timestamp: i64, out: &mut dyn Write) -> std::io::Result<()> {
    for value in reports(report, timestamp) {
        writeln!(out, "---")?;
        let text = serde_yaml::to_string(&value).map_err(std::io::Error::other)?;
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}
