//! `netsec push` / `netsec pull`: policies as OCI artifacts, in the layout `kwctl push` writes
//! and policy-server fetches (a `{}` wasm config blob, one wasm layer, the metadata's one-line
//! annotations on the manifest).

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::{Context, Result, bail};
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::{OciImageManifest, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};

use crate::metadata::Metadata;

pub const SOURCE_ANNOTATION: &str = "io.kubewarden.policy.source";
pub const OCI_SOURCE_ANNOTATION: &str = "org.opencontainers.image.source";
const SCHEME: &str = "registry://";

/// kwctl's words, so that scripts written for one read the other.
pub const UNANNOTATED: &str =
    "Cannot push a policy that is not annotated. Use `annotate` command or `push --force`";

/// How the registry is reached.
#[derive(Clone, Copy, Debug, Default)]
pub struct Transport {
    /// Plain HTTP, allowed only for a registry on this machine.
    pub insecure: bool,
}

/// A `registry://host/path:tag` or `host/path@sha256:...` reference (the scheme is optional,
/// as for kwctl).
pub fn parse_reference(text: &str) -> Result<Reference> {
    let bare = text.strip_prefix(SCHEME).unwrap_or(text);
    if let Some((scheme, _)) = bare.split_once("://") {
        bail!(
            "{text:?}: only OCI registry references are supported (registry://host/path:tag), \
             not {scheme}://"
        );
    }
    bare.parse::<Reference>()
        .with_context(|| format!("{text:?} is not an OCI reference (registry://host/path:tag)"))
}

/// The manifest annotations kwctl derives from the metadata: single-line values only (the
/// README never reaches the manifest), trimmed, plus `org.opencontainers.image.source`.
pub fn manifest_annotations(metadata: &Metadata) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(_, value)| value.lines().count() <= 1)
        .map(|(key, value)| (key.clone(), value.trim().to_string()))
        .collect();
    if let Some(source) = out.get(SOURCE_ANNOTATION).cloned() {
        out.entry(OCI_SOURCE_ANNOTATION.to_string())
            .or_insert(source);
    }
    out
}

/// The `sha256:<hex>` digest of some bytes, as OCI descriptors write it.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `host/path@sha256:...`, the reference that always names these bytes.
pub fn immutable_reference(reference: &Reference, digest: &str) -> String {
    format!(
        "{}/{}@{digest}",
        reference.registry(),
        reference.repository()
    )
}

/// Pushes an annotated module; returns its immutable reference. A module without metadata is
/// refused unless `force`, as kwctl does.
pub fn push(module: &[u8], reference: &str, force: bool, transport: Transport) -> Result<String> {
    let metadata = Metadata::from_wasm(module)?;
    if metadata.is_none() && !force {
        bail!(UNANNOTATED);
    }
    let reference = parse_reference(reference)?;
    let annotations = metadata.as_ref().map(manifest_annotations);
    let layers = vec![ImageLayer::new(
        module.to_vec(),
        WASM_LAYER_MEDIA_TYPE.to_string(),
        None,
    )];
    let config = Config {
        data: b"{}".to_vec().into(),
        media_type: WASM_CONFIG_MEDIA_TYPE.to_string(),
        annotations: None,
    };
    let manifest = OciImageManifest::build(&layers, &config, annotations);
    let (client, auth) = connect(&reference, transport)?;
    runtime()?.block_on(async {
        client
            .push(&reference, &layers, config, &auth, Some(manifest))
            .await
            .with_context(|| format!("cannot push to {reference}"))?;
        let digest = client
            .fetch_manifest_digest(&reference, &auth)
            .await
            .with_context(|| format!("cannot read back the digest of {reference}"))?;
        Ok(immutable_reference(&reference, &digest))
    })
}

/// A pulled policy and the immutable reference of its manifest.
pub struct Pulled {
    pub module: Vec<u8>,
    pub immutable_reference: String,
}

/// Pulls a policy: the manifest must hold exactly one wasm layer, whose bytes must match the
/// layer's digest and size.
pub fn pull(reference: &str, transport: Transport) -> Result<Pulled> {
    let reference = parse_reference(reference)?;
    let (client, auth) = connect(&reference, transport)?;
    runtime()?.block_on(async {
        let (manifest, digest) = client
            .pull_image_manifest(&reference, &auth)
            .await
            .with_context(|| format!("cannot read the manifest of {reference}"))?;
        let layer = match manifest.layers.as_slice() {
            [layer] => layer,
            layers => bail!(
                "{reference} has {} layers: a policy artifact has exactly one",
                layers.len()
            ),
        };
        if layer.media_type != WASM_LAYER_MEDIA_TYPE {
            bail!(
                "{reference}: the layer's media type is {:?}, not {WASM_LAYER_MEDIA_TYPE:?}: \
                 it is not a Kubewarden policy",
                layer.media_type
            );
        }
        let mut module = Vec::new();
        client
            .pull_blob(&reference, layer, &mut module)
            .await
            .with_context(|| format!("cannot download the layer of {reference}"))?;
        check_layer(&module, &layer.digest, layer.size)
            .with_context(|| format!("{reference}: the downloaded layer is corrupt"))?;
        Ok(Pulled {
            module,
            immutable_reference: immutable_reference(&reference, &digest),
        })
    })
}

/// The bytes are those the manifest describes.
pub fn check_layer(bytes: &[u8], digest: &str, size: i64) -> Result<()> {
    let actual = sha256_digest(bytes);
    if actual != digest {
        bail!("its digest is {actual}, the manifest says {digest}");
    }
    if i64::try_from(bytes.len()).ok() != Some(size) {
        bail!("it has {} bytes, the manifest says {size}", bytes.len());
    }
    Ok(())
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn connect(
    reference: &Reference,
    transport: Transport,
) -> Result<(Client, RegistryAuth)> {
    // reqwest is built without a default crypto provider; a second install is a no-op error.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let registry = reference.resolve_registry().to_string();
    let protocol = if transport.insecure {
        if !is_loopback(&registry) {
            bail!(
                "--insecure sends the module over plain HTTP, which is allowed only to a \
                 registry on this machine (127.0.0.0/8, [::1], localhost); {registry} is not one"
            );
        }
        ClientProtocol::HttpsExcept(vec![registry.clone()])
    } else {
        ClientProtocol::Https
    };
    let client = Client::new(ClientConfig {
        protocol,
        ..Default::default()
    });
    Ok((client, docker_auth(&registry)?))
}

/// `host`, `host:port`, `[v6]:port`: is it this machine?
pub fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Credentials for the registry from the Docker config file (`$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`, credential helpers included); anonymous when it has none.
fn docker_auth(registry: &str) -> Result<RegistryAuth> {
    let dir = match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => match std::env::var_os("HOME") {
            Some(home) => std::path::Path::new(&home).join(".docker"),
            None => return Ok(RegistryAuth::Anonymous),
        },
    };
    let path = dir.join("config.json");
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(RegistryAuth::Anonymous);
        }
        Err(err) => bail!("cannot read {}: {err}", path.display()),
    };
    let found =
        docker_credential::get_credential_from_reader(std::io::BufReader::new(file), registry);
    from_docker_credential(found, registry).with_context(|| format!("{}", path.display()))
}

pub fn from_docker_credential(
    found: Result<docker_credential::DockerCredential, docker_credential::CredentialRetrievalError>,
    registry: &str,
) -> Result<RegistryAuth> {
    use docker_credential::{CredentialRetrievalError as E, DockerCredential as C};
    match found {
        Ok(C::UsernamePassword(user, password)) => Ok(RegistryAuth::Basic(user, password)),
        Ok(C::IdentityToken(token)) => Ok(RegistryAuth::Bearer(token)),
        Err(E::NoCredentialConfigured) => Ok(RegistryAuth::Anonymous),
        Err(err) => bail!("cannot read the Docker credentials for {registry}: {err:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        for (text, registry, repository, tag) in [
            (
                "registry://127.0.0.1:5000/netsec/ingress-tls:v0.1.0",
                "127.0.0.1:5000",
                "netsec/ingress-tls",
                Some("v0.1.0"),
            ),
            (
                "ghcr.io/netsec-policies/policies/ingress-tls:v1.2.3",
                "ghcr.io",
                "netsec-policies/policies/ingress-tls",
                Some("v1.2.3"),
            ),
            ("localhost:5000/p", "localhost:5000", "p", Some("latest")),
        ] {
            let r = parse_reference(text).unwrap();
            assert_eq!(r.registry(), registry, "{text}");
            assert_eq!(r.repository(), repository, "{text}");
            assert_eq!(r.tag(), tag, "{text}");
        }
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = parse_reference(&format!("registry://127.0.0.1:5000/p@{digest}")).unwrap();
        assert_eq!(r.digest(), Some(digest.as_str()));
        assert_eq!(
            immutable_reference(&r, &digest),
            format!("127.0.0.1:5000/p@{digest}")
        );

        for (bad, want) in [
            ("https://example.com/p.wasm", "not https://"),
            ("file:///tmp/p.wasm", "not file://"),
            ("registry://Upper/Case", "not an OCI reference"),
            ("", "not an OCI reference"),
        ] {
            let err = format!("{:#}", parse_reference(bad).unwrap_err());
            assert!(err.contains(want), "{bad}: {err}");
        }
    }

    #[test]
    fn loopback() {
        for yes in [
            "127.0.0.1:5000",
            "127.1.2.3",
            "localhost:80",
            "LOCALHOST",
            "[::1]:5000",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "10.0.0.1:5000",
            "ghcr.io",
            "localhost.example.com:5000",
            "[::2]:5000",
            "0.0.0.0:5000",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn insecure_is_refused_off_this_machine() {
        let r = parse_reference("registry.example.com/p:v1").unwrap();
        let err = connect(&r, Transport { insecure: true })
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("registry.example.com is not one"), "{err}");
    }

    #[test]
    fn annotations_as_kwctl_writes_them() {
        let yaml = "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\n\
            mutating: false\n\
            annotations:\n  io.kubewarden.policy.source: https://example.com/src\n  \
            io.kubewarden.policy.usage: \"# manual\\n\\ntext\"\n  io.kubewarden.policy.title: \" p \"\n";
        let metadata: Metadata = serde_yaml::from_str(yaml).unwrap();
        let got = manifest_annotations(&metadata);
        assert_eq!(got.get("io.kubewarden.policy.usage"), None);
        assert_eq!(got["io.kubewarden.policy.title"], "p");
        assert_eq!(got[OCI_SOURCE_ANNOTATION], "https://example.com/src");

        let yaml = yaml.replace(
            "annotations:\n",
            "annotations:\n  org.opencontainers.image.source: https://example.com/other\n",
        );
        let metadata: Metadata = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(
            manifest_annotations(&metadata)[OCI_SOURCE_ANNOTATION],
            "https://example.com/other",
            "an explicit source is kept"
        );
    }

    #[test]
    fn layer_digest_and_size_are_checked() {
        let bytes = b"\0asm\x01\0\0\0";
        let digest = sha256_digest(bytes);
        assert!(digest.starts_with("sha256:") && digest.len() == 7 + 64);
        check_layer(bytes, &digest, 8).unwrap();
        let err = check_layer(b"\0asm\x01\0\0\x01", &digest, 8).unwrap_err();
        assert!(
            err.to_string().contains("the manifest says sha256:"),
            "{err}"
        );
        let err = check_layer(bytes, &digest, 9).unwrap_err();
        assert!(err.to_string().contains("8 bytes"), "{err}");
    }

    #[test]
    fn docker_config_credentials() {
        let config = r#"{"auths": {"127.0.0.1:5000": {"auth": "YWxpY2U6czNjcmV0"}}}"#;
        let found =
            docker_credential::get_credential_from_reader(config.as_bytes(), "127.0.0.1:5000");
        match from_docker_credential(found, "127.0.0.1:5000").unwrap() {
            RegistryAuth::Basic(user, password) => {
                assert_eq!((user.as_str(), password.as_str()), ("alice", "s3cret"));
            }
            _ => panic!("basic credentials expected"),
        }
        let found = docker_credential::get_credential_from_reader(config.as_bytes(), "ghcr.io");
        assert!(matches!(
            from_docker_credential(found, "ghcr.io").unwrap(),
            RegistryAuth::Anonymous
        ));
        let found = docker_credential::get_credential_from_reader(
            r#"{"auths": {"ghcr.io": {"auth": "!!"}}}"#.as_bytes(),
            "ghcr.io",
        );
        assert!(from_docker_credential(found, "ghcr.io").is_err());
    }
}
