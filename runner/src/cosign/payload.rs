//! Cosign's "simple signing" payload: the JSON the signature covers, stored as the layer of the
//! signature image.
//!
//! The shape is sigstore/sigstore `pkg/signature/payload` (`SimpleContainerImage`, written by
//! `Cosign.MarshalJSON`): `{"critical": {"identity": {"docker-reference": REPO}, "image":
//! {"docker-manifest-digest": DIGEST}, "type": "cosign container image signature"},
//! "optional": ANNOTATIONS or null}`, with `docker-reference` the repository without tag or
//! digest (`name.Digest.Repository.Name()`). Go's encoder writes struct fields in declaration
//! order and map keys sorted, which is what serde_json does with these structs and a BTreeMap.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SimpleSigning {
    pub critical: Critical,
    pub optional: Option<BTreeMap<String, Value>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Critical {
    pub identity: Identity,
    pub image: Image,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Identity {
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Image {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload for the manifest `digest` of `repository` (`host/path`), with the signer's
    /// annotations under `optional` (`null` when there are none, as cosign writes it).
    pub fn new(repository: &str, digest: &str, annotations: &BTreeMap<String, String>) -> Self {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: repository.to_string(),
                },
                image: Image {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: COSIGN_SIGNATURE_TYPE.to_string(),
            },
            optional: (!annotations.is_empty()).then(|| {
                annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect()
            }),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("strings and maps always serialise")
    }

    /// Reads a payload; a payload of another type is refused, as cosign's `Cosign.UnmarshalJSON`
    /// refuses it.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let payload: SimpleSigning =
            serde_json::from_slice(bytes).context("not a cosign simple signing payload")?;
        if payload.critical.kind != COSIGN_SIGNATURE_TYPE {
            bail!(
                "the payload's critical.type is {:?}, not {COSIGN_SIGNATURE_TYPE:?}",
                payload.critical.kind
            );
        }
        Ok(payload)
    }

    /// Whether every requested annotation is in `optional` with that value, as sigstore-rs
    /// `Optional::satisfies_annotations` decides it for kwctl and policy-server: strings compare
    /// as they are, numbers and booleans by their JSON text, anything else never matches.
    /// sigstore-rs reads `creator` and `timestamp` into fields of their own, outside the map it
    /// matches against, so they never satisfy a requested annotation there either.
    pub fn satisfies_annotations(&self, wanted: &BTreeMap<String, String>) -> bool {
        if wanted.is_empty() {
            return true;
        }
        let Some(optional) = &self.optional else {
            return false;
        };
        wanted.iter().all(|(key, want)| {
            if key == "creator" || key == "timestamp" {
                return false;
            }
            match optional.get(key) {
                Some(Value::String(s)) => s == want,
                Some(Value::Number(n)) => n.to_string() == *want,
                Some(Value::Bool(b)) => b.to_string() == *want,
                _ => false,
            }
        })
    }
}

/// `key=value` command-line annotations; a key given twice is an error, not a silent override.
pub fn parse_annotations(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("annotation {pair:?} is not KEY=VALUE");
        };
        if key.is_empty() {
            bail!("annotation {pair:?} has an empty key");
        }
        if out.insert(key.to_string(), value.to_string()).is_some() {
            bail!("annotation {key:?} is given twice");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> String {
        format!("sha256:{}", "ab".repeat(32))
    }

    #[test]
    fn bytes_are_those_cosign_writes() {
        let payload = SimpleSigning::new("127.0.0.1:5000/netsec/p", &digest(), &BTreeMap::new());
        assert_eq!(
            String::from_utf8(payload.to_bytes()).unwrap(),
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"127.0.0.1:5000/netsec/p"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
                digest()
            )
        );
        let annotations = parse_annotations(&["z=1".into(), "a=b=c".into()]).unwrap();
        let payload = SimpleSigning::new("ghcr.io/o/p", &digest(), &annotations);
        let text = String::from_utf8(payload.to_bytes()).unwrap();
        assert!(
            text.ends_with(r#""optional":{"a":"b=c","z":"1"}}"#),
            "{text}"
        );
        assert_eq!(SimpleSigning::parse(text.as_bytes()).unwrap(), payload);
    }

    #[test]
    fn annotations_match_as_sigstore_rs_matches_them() {
        let payload = SimpleSigning::parse(
            br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},
                "optional":{"env":"prod","n":3,"ok":true,"list":["a"],"creator":"ci"}}"#,
        )
        .unwrap();
        let want = |pairs: &[&str]| {
            parse_annotations(&pairs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert!(payload.satisfies_annotations(&want(&[])));
        assert!(payload.satisfies_annotations(&want(&["env=prod"])));
        assert!(payload.satisfies_annotations(&want(&["env=prod", "n=3", "ok=true"])));
        assert!(!payload.satisfies_annotations(&want(&["env=dev"])));
        assert!(!payload.satisfies_annotations(&want(&["env=prod", "team=x"])));
        assert!(!payload.satisfies_annotations(&want(&["ok=True"])));
        assert!(!payload.satisfies_annotations(&want(&["list=a"])));
        assert!(!payload.satisfies_annotations(&want(&["creator=ci"])));

        let bare = SimpleSigning::new("r", "sha256:00", &BTreeMap::new());
        assert!(bare.satisfies_annotations(&want(&[])));
        assert!(!bare.satisfies_annotations(&want(&["env=prod"])));
    }

    #[test]
    fn other_payloads_are_refused() {
        for (bad, why) in [
            (&b"not json"[..], "not a cosign simple signing payload"),
            (br#"{"critical":{}}"#, "not a cosign simple signing payload"),
            (
                br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"atomic container signature"},"optional":null}"#,
                "not \"cosign container image signature\"",
            ),
        ] {
            let err = format!("{:#}", SimpleSigning::parse(bad).unwrap_err());
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn annotation_arguments() {
        for (bad, why) in [("novalue", "not KEY=VALUE"), ("=v", "empty key")] {
            let err = parse_annotations(&[bad.to_string()])
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{err}");
        }
        let err = parse_annotations(&["a=1".into(), "a=2".into()]).unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        assert_eq!(parse_annotations(&["a=".into()]).unwrap()["a"], "");
    }
}
