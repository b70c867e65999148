//! The `coredns-config` policy: a pure function from the request and settings to a verdict.

use std::borrow::Cow;
use std::collections::BTreeMap;

use netsec_shared::request::null_as_empty;
use netsec_shared::{AdmissionRequest, Findings, Verdict};
use serde::Deserialize;

use crate::checks::{File, FileKind, check};
use crate::corefile::{ParseError, parse, parse_directives};
use crate::pattern::glob_covers;
use crate::settings::{ConfigMapRef, Settings};

/// Just enough of the object to decide whether it is a ConfigMap CoreDNS loads; the data is
/// skipped unread.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    metadata: Option<Meta<'a>>,
}

#[derive(Default, Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    namespace: Option<Cow<'a, str>>,
}

type Data<'a> = BTreeMap<Cow<'a, str>, Cow<'a, str>>;

/// The data of a selected ConfigMap. Keys of `binaryData` are mounted as files too, so a
/// `.server` file hidden there would be imported just the same.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    data: Data<'a>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    binary_data: Data<'a>,
}

pub fn evaluate(request: &AdmissionRequest<'_>, settings: &Settings) -> Verdict {
    if !request.operation.is_write() {
        return Verdict::accept();
    }
    let kind = request.kind.kind.as_ref();
    if !kind.is_empty() && kind != "ConfigMap" {
        return Verdict::accept();
    }
    let head: Head = match request.object("a ConfigMap") {
        Ok(head) => head,
        Err(message) => return Verdict::reject(message),
    };
    if let Some(other) = head.kind.as_deref().filter(|k| *k != "ConfigMap") {
        return Verdict::reject(format!(
            "the object is a {other}, not a ConfigMap; this policy validates ConfigMaps only"
        ));
    }
    let meta = head.metadata.unwrap_or_default();
    let namespace = match request.namespace.as_ref() {
        "" => meta.namespace.as_deref().unwrap_or(""),
        ns => ns,
    };
    let name = match meta.name.as_deref() {
        Some(n) if !n.is_empty() => n,
        _ => request.name.as_ref(),
    };
    let Some(selected) = settings
        .config_maps
        .iter()
        .find(|c| c.namespace == namespace && c.name == name)
    else {
        return Verdict::accept();
    };
    let body: Body = match request.object("a ConfigMap") {
        Ok(body) => body,
        Err(message) => return Verdict::reject(message),
    };
    check_config_map(&body, selected, settings)
}

fn check_config_map(body: &Body<'_>, selected: &ConfigMapRef, settings: &Settings) -> Verdict {
    let mut findings = Findings::new();
    let mut files = Vec::new();
    let wanted = |key: &str| selected.keys.iter().any(|p| glob_covers(p, key));
    for (key, value) in body.data.iter().filter(|(k, _)| wanted(k)) {
        let label = format!("data[{key}]");
        files.extend(parse_file(&label, key, value, &mut findings));
    }
    for (key, value) in body.binary_data.iter().filter(|(k, _)| wanted(k)) {
        let label = format!("binaryData[{key}]");
        match decode_base64(value).and_then(|bytes| String::from_utf8(bytes).ok()) {
            Some(text) => files.extend(parse_file(&label, key, &text, &mut findings)),
            None => findings.violation(
                label,
                "is not base64-encoded UTF-8 text, so CoreDNS would load it as a Corefile nobody can read; put the Corefile in data",
            ),
        }
    }
    check(&files, settings, &mut findings);
    findings.into_verdict()
}

fn parse_file(label: &str, key: &str, text: &str, findings: &mut Findings) -> Option<File> {
    let kind = if key.ends_with(".override") {
        FileKind::Override
    } else {
        FileKind::Server
    };
    let parsed = match kind {
        FileKind::Override => parse_directives(text),
        FileKind::Server => parse(text),
    };
    match parsed {
        Ok(corefile) => Some(File {
            label: label.to_string(),
            kind,
            corefile,
        }),
        Err(ParseError { position, message }) => {
            findings.violation(
                format!(
                    "{label} line {}, column {}:",
                    position.line, position.column
                ),
                format!("the Corefile cannot be parsed: {message}; CoreDNS would not load it"),
            );
            None
        }
    }
}

/// Standard base64 with padding, as the API server encodes `binaryData`.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    if text.len() % 4 != 0 || text.len() - bytes.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | value(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            2 => out.push((acc >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
        assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
        assert_eq!(
            decode_base64("LiB7CiAgbG9nCn0K").unwrap(),
            b". {\n  log\n}\n"
        );
        for bad in ["Zg=", "Z===", "Zm9v!A==", "Zm9vYmFy===="] {
            assert!(decode_base64(bad).is_none(), "{bad}");
        }
    }
}
