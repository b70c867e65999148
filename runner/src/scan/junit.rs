//! JUnit XML, which CI systems show as test results: one test suite per file, one test case per
//! object × policy, a `<failure>` for a rejection and an `<error>` for a policy that could not
//! answer. Input errors are a suite of their own.

use std::io::Write;

use super::{Outcome, Report};

/// Escapes text for XML attributes and content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let t = report.tally();
    let blocking = report
        .objects
        .iter()
        .flat_map(|o| &o.verdicts)
        .filter(|v| v.blocks())
        .count();
    let (failures, errors) = report
        .objects
        .iter()
        .flat_map(|o| &o.verdicts)
        .filter(|v| v.blocks())
        .fold((0, 0), |(f, e), v| match v.outcome {
            Outcome::Error => (f, e + 1),
            _ => (f + 1, e),
        });
    debug_assert_eq!(failures + errors, blocking);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="netsec scan" tests="{}" failures="{failures}" errors="{}">"#,
        t.accepted + t.rejected + t.errors + report.errors.len(),
        errors + report.errors.len()
    )?;
    let mut files: Vec<&str> = Vec::new();
    for o in &report.objects {
        if !files.contains(&o.file.as_str()) {
            files.push(&o.file);
        }
    }
    for file in files {
        let objects: Vec<_> = report.objects.iter().filter(|o| o.file == file).collect();
        let verdicts = objects.iter().flat_map(|o| &o.verdicts);
        let tests = verdicts.clone().count();
        let failures = verdicts
            .clone()
            .filter(|v| v.blocks() && v.outcome == Outcome::Rejected)
            .count();
        let errors = verdicts
            .filter(|v| v.blocks() && v.outcome == Outcome::Error)
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="{errors}">"#,
            escape(file)
        )?;
        for object in objects {
            let class = format!("{}:{} {}", object.file, object.line, object.title());
            for v in &object.verdicts {
                write!(
                    out,
                    r#"    <testcase classname="{}" name="{}" file="{}" line="{}""#,
                    escape(&class),
                    escape(&v.policy),
                    escape(&object.file),
                    object.line
                )?;
                let message = v.message.clone().unwrap_or_default();
                let mut details = Vec::new();
                details.extend(v.warnings.iter().map(|w| format!("warning: {w}")));
                if let Some(patch) = &v.patch {
                    details.push(format!("would mutate: {patch}"));
                }
                details.extend(
                    v.missing_context
                        .iter()
                        .map(|m| format!("missing context: {m}")),
                );
                let element = match (v.outcome, v.enforced) {
                    (Outcome::Rejected, true) => Some("failure"),
                    (Outcome::Error, true) => Some("error"),
                    _ => None,
                };
                if element.is_none() && details.is_empty() && message.is_empty() {
                    writeln!(out, "/>")?;
                    continue;
                }
                writeln!(out, ">")?;
                if let Some(element) = element {
                    writeln!(
                        out,
                        r#"      <{element} message="{}" type="{}">{}</{element}>"#,
                        escape(&message),
                        if element == "error" {
                            "error"
                        } else {
                            "rejected"
                        },
                        escape(&message)
                    )?;
                } else if !message.is_empty() {
                    details.insert(
                        0,
                        format!(
                            "{}: {message}",
                            if v.enforced {
                                "message"
                            } else {
                                "monitor mode"
                            }
                        ),
                    );
                }
                if !details.is_empty() {
                    writeln!(
                        out,
                        "      <system-out>{}</system-out>",
                        escape(&details.join("\n"))
                    )?;
                }
                writeln!(out, "    </testcase>")?;
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="input" tests="{0}" failures="0" errors="{0}">"#,
            report.errors.len()
        )?;
        for e in &report.errors {
            let at = match e.line {
                Some(line) => format!("{}:{line}", e.file),
                None => e.file.clone(),
            };
            writeln!(
                out,
                r#"    <testcase classname="input" name="{}"><error message="{}" type="input"/></testcase>"#,
                escape(&at),
                escape(&e.message)
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("x\u{1}y\n"), "x\u{fffd}y\n");
    }
}
