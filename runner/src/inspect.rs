//! `netsec inspect`: the embedded metadata, in kwctl's human form or as YAML/JSON.

use std::fmt::Write as _;

use crate::metadata::{Metadata, USAGE_ANNOTATION};

/// A readable report, with the same facts `kwctl inspect` lists.
pub fn render(metadata: &Metadata) -> String {
    let mut out = String::new();
    let annotation = |key: &str| metadata.annotation(key).unwrap_or("").to_string();
    let _ = writeln!(out, "Details");
    for (label, key) in [
        ("title", "io.kubewarden.policy.title"),
        ("version", "io.kubewarden.policy.version"),
        ("description", "io.kubewarden.policy.description"),
        ("author", "io.kubewarden.policy.author"),
        ("url", "io.kubewarden.policy.url"),
        ("source", "io.kubewarden.policy.source"),
        ("license", "io.kubewarden.policy.license"),
    ] {
        let _ = writeln!(out, "{label:<24}{}", annotation(key));
    }
    let _ = writeln!(out, "{:<24}{}", "mutating:", metadata.mutating);
    let _ = writeln!(
        out,
        "{:<24}{}",
        "background audit:", metadata.background_audit
    );
    let _ = writeln!(
        out,
        "{:<24}{}",
        "context aware:",
        !metadata.context_aware_resources.is_empty()
    );
    let _ = writeln!(out, "{:<24}{}", "execution mode:", metadata.execution_mode);
    let _ = writeln!(
        out,
        "{:<24}{}",
        "protocol version:",
        metadata.protocol_version.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(out, "\nAnnotations");
    for (key, value) in metadata.annotations.iter().flatten() {
        if key != USAGE_ANNOTATION {
            let _ = writeln!(out, "{key:<40}{value}");
        }
    }
    let _ = writeln!(out, "\nRules");
    let _ = write!(
        out,
        "{}",
        serde_yaml::to_string(&metadata.rules).unwrap_or_default()
    );
    if !metadata.context_aware_resources.is_empty() {
        let _ = writeln!(out, "\nContext aware resources");
        let _ = write!(
            out,
            "{}",
            serde_yaml::to_string(&metadata.context_aware_resources).unwrap_or_default()
        );
    }
    if let Some(caps) = &metadata.host_capabilities {
        let _ = writeln!(out, "\nHost capabilities");
        for cap in caps {
            let _ = writeln!(out, "- {cap}");
        }
    }
    if let Some(usage) = metadata.annotation(USAGE_ANNOTATION) {
        let _ = writeln!(out, "\nUsage\n{usage}");
    }
    out
}
