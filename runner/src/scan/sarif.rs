//! SARIF 2.1.0 (OASIS), the format GitHub code scanning reads: one rule per policy, one result per
//! rejection, warning or mutation, located at the file and line of the object's document. Input
//! errors and skipped documents are the invocation's notifications.

use std::io::Write;

use serde_json::{Value, json};

use super::{Outcome, Report};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The number GitHub orders security alerts by (`security-severity`), from Kubewarden's
/// `io.kubewarden.policy.severity` annotation.
fn security_severity(severity: &str) -> Option<&'static str> {
    match severity {
        "critical" => Some("9.5"),
        "high" => Some("8.0"),
        "medium" => Some("5.5"),
        "low" => Some("3.0"),
        _ => None,
    }
}

/// A relative URI reference for a path: unreserved characters and `/` as they are, the rest
/// percent-encoded (RFC 3986 section 2).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn location(file: &str, line: usize) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(file), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line.max(1)}
        }
    })
}

pub fn to_value(report: &Report) -> Value {
    let rules: Vec<Value> = report
        .policies
        .iter()
        .map(|p| {
            let mut properties = json!({"tags": ["kubernetes", "kubewarden", "admission-policy"]});
            if let Some(category) = &p.category {
                properties["category"] = json!(category);
            }
            if let Some(score) = p.severity.as_deref().and_then(security_severity) {
                properties["security-severity"] = json!(score);
            }
            let description = if p.description.is_empty() {
                format!("Kubewarden policy {}", p.id)
            } else {
                p.description.clone()
            };
            json!({
                "id": p.id,
                "shortDescription": {"text": description},
                "help": {"text": format!("Evaluated by {}.", p.modules.join(", "))},
                "defaultConfiguration": {"level": if p.monitor { "warning" } else { "error" }},
                "properties": properties,
            })
        })
        .collect();
    let index = |id: &str| report.policies.iter().position(|p| p.id == id);
    let mut results = Vec::new();
    for object in &report.objects {
        let logical = json!([{
            "name": object.name,
            "fullyQualifiedName": format!("{}/{}", object.api_version, object.title().replace(' ', "/")),
            "kind": "resource",
        }]);
        for verdict in &object.verdicts {
            let mut emit = |level: &str, text: String| {
                let mut result = json!({
                    "ruleId": verdict.policy,
                    "level": level,
                    "message": {"text": text},
                    "locations": [location(&object.file, object.line)],
                });
                result["locations"][0]["logicalLocations"] = logical.clone();
                if let Some(i) = index(&verdict.policy) {
                    result["ruleIndex"] = json!(i);
                }
                if !verdict.missing_context.is_empty() {
                    result["properties"] = json!({"missingContext": verdict.missing_context});
                }
                results.push(result);
            };
            let title = object.title();
            let message = verdict.message.clone().unwrap_or_default();
            match verdict.outcome {
                Outcome::Rejected | Outcome::Error => emit(
                    if verdict.enforced { "error" } else { "warning" },
                    format!(
                        "{title} is {} by {}: {message}",
                        if verdict.outcome == Outcome::Error {
                            "not evaluable"
                        } else {
                            "rejected"
                        },
                        verdict.policy
                    ),
                ),
                Outcome::Accepted => {}
            }
            for warning in &verdict.warnings {
                emit("warning", format!("{title}: {warning}"));
            }
            if let Some(patch) = &verdict.patch {
                emit(
                    "note",
                    format!("{title} would be mutated by {}: {patch}", verdict.policy),
                );
            }
        }
    }
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": format!("{}: {}", e.file, e.message)},
                "locations": [location(&e.file, e.line.unwrap_or(1))],
            })
        })
        .collect();
    notifications.extend(report.skipped.iter().map(|s| {
        json!({
            "level": "note",
            "message": {"text": format!("skipped: {}", s.reason)},
            "locations": [location(&s.file, s.line)],
        })
    }));
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "netsec",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory the scan ran in."}}},
            "results": results,
        }]
    })
}

pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(
            uri("examples/shop app/a.yaml"),
            "examples/shop%20app/a.yaml"
        );
        assert_eq!(uri("é.yaml"), "%C3%A9.yaml");
    }
}
