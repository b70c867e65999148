//! The readable report (grouped by file, then object) and the JSON one.

use std::io::Write;

use serde_json::json;

use super::{Outcome, Report, Verdict};

/// Text for people: each file, each object at its line, each policy's verdict.
pub fn text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut current: Option<&str> = None;
    for object in &report.objects {
        if current != Some(object.file.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", object.file)?;
            current = Some(&object.file);
        }
        writeln!(
            out,
            "  {}:{} {} ({})",
            object.file,
            object.line,
            object.title(),
            object.api_version
        )?;
        if object.verdicts.is_empty() {
            writeln!(out, "    no policy applies")?;
        }
        for verdict in &object.verdicts {
            write_verdict(verdict, out)?;
        }
    }
    if !report.skipped.is_empty() {
        writeln!(out, "\nSkipped documents")?;
        for s in &report.skipped {
            writeln!(out, "  {}:{} {}", s.file, s.line, s.reason)?;
        }
    }
    if !report.errors.is_empty() {
        writeln!(out, "\nInput errors")?;
        for e in &report.errors {
            match e.line {
                Some(line) => writeln!(out, "  {}:{line} {}", e.file, e.message)?,
                None => writeln!(out, "  {} {}", e.file, e.message)?,
            }
        }
    }
    let t = report.tally();
    writeln!(
        out,
        "\n{} objects, {} policies: {} accepted, {} rejected, {} errors, {} would mutate; {} skipped documents, {} input errors",
        t.objects,
        report.policies.len(),
        t.accepted,
        t.rejected,
        t.errors,
        t.mutated,
        report.skipped.len(),
        report.errors.len()
    )
}

fn write_verdict(v: &Verdict, out: &mut dyn Write) -> std::io::Result<()> {
    let label = match (v.outcome, v.enforced) {
        (Outcome::Accepted, _) if v.patch.is_some() => "would mutate",
        (Outcome::Accepted, _) => "accepted",
        (Outcome::Rejected, true) => "REJECTED",
        (Outcome::Rejected, false) => "rejected (monitor mode, not enforced)",
        (Outcome::Error, true) => "ERROR",
        (Outcome::Error, false) => "error (monitor mode, not enforced)",
    };
    match &v.message {
        Some(message) if !message.is_empty() => {
            // Several violations come one per line; keep them under the policy.
            let message = message.replace('\n', "\n      ");
            writeln!(out, "    {}: {label}: {message}", v.policy)?
        }
        _ => writeln!(out, "    {}: {label}", v.policy)?,
    }
    for warning in &v.warnings {
        writeln!(out, "      warning: {warning}")?;
    }
    if let Some(patch) = &v.patch {
        writeln!(out, "      patch: {patch}")?;
    }
    for missing in &v.missing_context {
        writeln!(out, "      missing context: {missing}")?;
    }
    Ok(())
}

/// The whole report as one JSON document.
pub fn json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let value = json!({
        "policies": report.policies,
        "objects": report.objects,
        "skipped": report.skipped,
        "errors": report.errors,
        "summary": report.tally(),
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}
