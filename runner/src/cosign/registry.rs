//! Signatures and attachments in the registry, in the layout cosign writes and kwctl,
//! policy-server (sigstore-rs `cosign::Client`) and `cosign verify` read.
//!
//! - The signatures of manifest `sha256:<hex>` live in the same repository under the tag
//!   `sha256-<hex>.sig` (cosign `ociremote.SignatureTag`, sigstore-rs `Client::triangulate`): an
//!   OCI image manifest whose every layer is one signature, media type
//!   `application/vnd.dev.cosign.simplesigning.v1+json`, the payload as the blob and the base64
//!   signature in the layer annotation `dev.cosignproject.cosign/signature`. A new signature is
//!   appended to the layers already there (cosign `mutate.AppendSignatures`).
//! - An SBOM is the image under `sha256-<hex>.sbom` (cosign `attach sbom --type spdxjson`,
//!   `static.NewFile`): one layer `application/spdx+json`. `cosign sign --attachment sbom` signs
//!   that image's own digest, so its signature sits at `sha256-<sbom hex>.sig`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use oci_client::client::{Config, ImageLayer};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{IMAGE_CONFIG_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use p256::ecdsa::{SigningKey, VerifyingKey};

use super::keys;
use super::payload::SimpleSigning;
use crate::oci::{self, Transport, immutable_reference, parse_reference, sha256_digest};

pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const SPDX_JSON_MEDIA_TYPE: &str = "application/spdx+json";
pub const SIGNATURE_SUFFIX: &str = ".sig";
pub const SBOM_SUFFIX: &str = ".sbom";

/// `sha256:<hex>` → `sha256-<hex><suffix>` (cosign `AttachedImageTag`).
pub fn attached_tag(digest: &str, suffix: &str) -> String {
    format!("{}{suffix}", digest.replace(':', "-"))
}

/// What is signed: the attachment of an artifact rather than the artifact itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attachment {
    Sbom,
}

/// A private key and the annotations each signature made with it carries.
pub struct Signer {
    pub key: SigningKey,
    pub annotations: BTreeMap<String, String>,
}

/// A public key and the annotations a signature must carry to count.
pub struct Expectation {
    pub key: VerifyingKey,
    /// How messages name the key (its file).
    pub key_name: String,
    pub annotations: BTreeMap<String, String>,
}

struct Session {
    client: Client,
    auth: RegistryAuth,
}

fn session(reference: &Reference, transport: Transport) -> Result<Session> {
    let (client, auth) = oci::connect(reference, transport)?;
    Ok(Session { client, auth })
}

fn with_tag(reference: &Reference, tag: String) -> Reference {
    Reference::with_tag(
        reference.registry().to_string(),
        reference.repository().to_string(),
        tag,
    )
}

fn with_digest(reference: &Reference, digest: &str) -> Reference {
    Reference::with_digest(
        reference.registry().to_string(),
        reference.repository().to_string(),
        digest.to_string(),
    )
}

/// `host/path`, cosign's `docker-reference`.
fn repository_name(reference: &Reference) -> String {
    format!("{}/{}", reference.registry(), reference.repository())
}

fn is_not_found(err: &OciDistributionError) -> bool {
    match err {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown
            )
        }),
        _ => false,
    }
}

impl Session {
    /// The digest a reference names: a tag is resolved, a digest must exist.
    async fn resolve(&self, reference: &Reference) -> Result<String> {
        match self
            .client
            .fetch_manifest_digest(reference, &self.auth)
            .await
        {
            Ok(digest) => {
                if let Some(named) = reference.digest()
                    && named != digest
                {
                    bail!("the registry answers {digest} for {reference}");
                }
                Ok(digest)
            }
            Err(err) if is_not_found(&err) => bail!(
                "cannot resolve {reference} to a digest: the registry has no such manifest \
                 (push it first, or check the tag)"
            ),
            Err(err) => {
                Err(anyhow!(err)).with_context(|| format!("cannot resolve {reference} to a digest"))
            }
        }
    }

    /// The digest to sign or verify: the artifact's, or its attachment's.
    async fn subject(
        &self,
        reference: &Reference,
        attachment: Option<Attachment>,
    ) -> Result<String> {
        let digest = self.resolve(reference).await?;
        match attachment {
            None => Ok(digest),
            Some(Attachment::Sbom) => {
                let sbom = with_tag(reference, attached_tag(&digest, SBOM_SUFFIX));
                self.resolve(&sbom).await.with_context(|| {
                    format!(
                        "{} has no SBOM attached",
                        immutable_reference(reference, &digest)
                    )
                })
            }
        }
    }

    /// The layers (with their blobs) of the image at `tag`, or nothing when there is none.
    async fn existing_layers(&self, image: &Reference) -> Result<Option<Vec<ImageLayer>>> {
        let manifest = match self.client.pull_image_manifest(image, &self.auth).await {
            Ok((manifest, _)) => manifest,
            Err(err) if is_not_found(&err) => return Ok(None),
            Err(err) => return Err(anyhow!(err)).with_context(|| format!("cannot read {image}")),
        };
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for descriptor in &manifest.layers {
            let mut data = Vec::new();
            self.client
                .pull_blob(image, descriptor, &mut data)
                .await
                .with_context(|| format!("cannot read layer {} of {image}", descriptor.digest))?;
            oci::check_layer(&data, &descriptor.digest, descriptor.size)
                .with_context(|| format!("{image}: layer {} is corrupt", descriptor.digest))?;
            layers.push(ImageLayer::new(
                data,
                descriptor.media_type.clone(),
                descriptor.annotations.clone(),
            ));
        }
        Ok(Some(layers))
    }

    /// Pushes an OCI image of `layers` under `tag`; returns its manifest digest.
    async fn push_image(&self, image: &Reference, layers: &[ImageLayer]) -> Result<String> {
        let config = Config::new(
            image_config(layers),
            IMAGE_CONFIG_MEDIA_TYPE.to_string(),
            None,
        );
        let mut manifest = OciImageManifest::build(layers, &config, None);
        manifest.media_type = Some(OCI_IMAGE_MEDIA_TYPE.to_string());
        self.client
            .push(image, layers, config, &self.auth, Some(manifest))
            .await
            .with_context(|| format!("the registry refused {image}"))?;
        self.client
            .fetch_manifest_digest(image, &self.auth)
            .await
            .with_context(|| format!("cannot read back the digest of {image}"))
    }

    /// Signs `digest` of `reference`'s repository; returns the signature image's reference.
    async fn sign(&self, reference: &Reference, digest: &str, signer: &Signer) -> Result<String> {
        let payload =
            SimpleSigning::new(&repository_name(reference), digest, &signer.annotations).to_bytes();
        let signature = keys::sign(&signer.key, &payload);
        let layer = ImageLayer::new(
            payload,
            SIMPLE_SIGNING_MEDIA_TYPE.to_string(),
            Some(BTreeMap::from([(
                SIGNATURE_ANNOTATION.to_string(),
                signature,
            )])),
        );
        let tag = attached_tag(digest, SIGNATURE_SUFFIX);
        let image = with_tag(reference, tag.clone());
        let mut layers = self.existing_layers(&image).await?.unwrap_or_default();
        // ECDSA here is deterministic (RFC 6979): signing the same payload again gives the same
        // layer, which is kept once.
        if !layers.contains(&layer) {
            layers.push(layer);
        }
        self.push_image(&image, &layers).await?;
        Ok(format!("{}:{tag}", repository_name(reference)))
    }

    async fn attach_sbom(
        &self,
        reference: &Reference,
        digest: &str,
        sbom: &[u8],
    ) -> Result<String> {
        let image = with_tag(reference, attached_tag(digest, SBOM_SUFFIX));
        let layer = ImageLayer::new(sbom.to_vec(), SPDX_JSON_MEDIA_TYPE.to_string(), None);
        self.push_image(&image, &[layer]).await
    }

    /// Checks the signatures of `digest` as kwctl does (policy-fetcher's
    /// `PublicKeyAndAnnotationsVerifier` over sigstore-rs `SignatureLayer`s): a layer counts when
    /// it is a simple-signing layer whose blob matches its descriptor, whose payload names this
    /// very digest, whose signature the key verifies, and whose annotations include the expected
    /// ones; one such layer is enough.
    async fn verify(
        &self,
        reference: &Reference,
        digest: &str,
        expect: &Expectation,
    ) -> Result<Verified> {
        let tag = attached_tag(digest, SIGNATURE_SUFFIX);
        let image = with_tag(reference, tag.clone());
        let subject = immutable_reference(reference, digest);
        let Some(layers) = self.existing_layers(&image).await? else {
            bail!("{subject} is not signed: there is no {tag} signature image in the repository");
        };
        let mut reasons = Vec::new();
        for (index, layer) in layers.iter().enumerate() {
            match check_layer(layer, digest, expect) {
                Ok(payload) => {
                    return Ok(Verified {
                        reference: subject,
                        signature: format!("{}:{tag}", repository_name(reference)),
                        annotations: payload.optional.unwrap_or_default(),
                    });
                }
                Err(reason) => reasons.push(format!("signature {}: {reason}", index + 1)),
            }
        }
        let wanted = if expect.annotations.is_empty() {
            String::new()
        } else {
            format!(
                " with the annotations {}",
                expect
                    .annotations
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        bail!(
            "{subject} is not signed by {}{wanted}: {}",
            expect.key_name,
            if reasons.is_empty() {
                format!("{tag} holds no signature")
            } else {
                reasons.join("; ")
            }
        )
    }
}

/// An OCI image config for a signature or attachment image: no platform, one diff id per layer
/// (the layers are not compressed, so a layer's diff id is its digest). Verifiers read only the
/// layers.
fn image_config(layers: &[ImageLayer]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256_digest(&l.data)).collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "",
        "os": "",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .expect("a JSON value serialises")
}

fn check_layer(
    layer: &ImageLayer,
    digest: &str,
    expect: &Expectation,
) -> std::result::Result<SimpleSigning, String> {
    if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
        return Err(format!(
            "media type {:?} is not a signature",
            layer.media_type
        ));
    }
    let payload = SimpleSigning::parse(&layer.data).map_err(|e| format!("{e:#}"))?;
    if payload.critical.image.docker_manifest_digest != digest {
        return Err(format!(
            "it signs {}, not this manifest",
            payload.critical.image.docker_manifest_digest
        ));
    }
    let Some(signature) = layer
        .annotations
        .as_ref()
        .and_then(|a| a.get(SIGNATURE_ANNOTATION))
    else {
        return Err(format!("no {SIGNATURE_ANNOTATION} annotation"));
    };
    if !keys::verify(&expect.key, &layer.data, signature) {
        return Err("made with another key".to_string());
    }
    if !payload.satisfies_annotations(&expect.annotations) {
        return Err(format!(
            "its annotations {} lack some expected ones",
            serde_json::to_string(&payload.optional).unwrap_or_default()
        ));
    }
    Ok(payload)
}

/// A signature that satisfied the expectation.
#[derive(Debug)]
pub struct Verified {
    /// `host/path@sha256:...` of what was verified.
    pub reference: String,
    /// `host/path:sha256-<hex>.sig`
    pub signature: String,
    pub annotations: BTreeMap<String, serde_json::Value>,
}

fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    oci::runtime()?.block_on(future)
}

/// `netsec sign`: resolves `reference` (a tag to its digest), and signs it or its attachment.
/// Returns the immutable reference signed and the signature image.
pub fn sign(
    reference: &str,
    attachment: Option<Attachment>,
    signer: &Signer,
    transport: Transport,
) -> Result<(String, String)> {
    let reference = parse_reference(reference)?;
    let session = session(&reference, transport)?;
    block_on(async {
        let digest = session.subject(&reference, attachment).await?;
        let signature = session.sign(&reference, &digest, signer).await?;
        Ok((immutable_reference(&reference, &digest), signature))
    })
}

/// `netsec verify`.
pub fn verify(
    reference: &str,
    attachment: Option<Attachment>,
    expect: &Expectation,
    transport: Transport,
) -> Result<Verified> {
    let reference = parse_reference(reference)?;
    let session = session(&reference, transport)?;
    block_on(async {
        let digest = session.subject(&reference, attachment).await?;
        session.verify(&reference, &digest, expect).await
    })
}

/// What `netsec push` left in the registry besides the module.
#[derive(Debug, Default)]
pub struct Extras {
    /// `host/path@sha256:...` of the SBOM image.
    pub sbom: Option<String>,
    /// The signature images, the module's last.
    pub signatures: Vec<String>,
}

/// After the module is pushed (`immutable`, `host/path@sha256:...`): attaches the SBOM, signs
/// the SBOM, then signs the module. The module's signature goes last, so that a failure on the
/// way never leaves a module that looks signed with an incomplete set of attachments.
pub fn attach_and_sign(
    immutable: &str,
    sbom: Option<&[u8]>,
    signer: Option<&Signer>,
    transport: Transport,
) -> Result<Extras> {
    let reference = parse_reference(immutable)?;
    let digest = reference
        .digest()
        .ok_or_else(|| anyhow!("{immutable} has no digest"))?
        .to_string();
    let session = session(&reference, transport)?;
    block_on(async {
        let mut extras = Extras::default();
        if let Some(sbom) = sbom {
            let sbom_digest = session
                .attach_sbom(&reference, &digest, sbom)
                .await
                .context("cannot attach the SBOM")?;
            extras.sbom = Some(immutable_reference(&reference, &sbom_digest));
            if let Some(signer) = signer {
                let signed = session
                    .sign(&with_digest(&reference, &sbom_digest), &sbom_digest, signer)
                    .await
                    .context("cannot sign the SBOM")?;
                extras.signatures.push(signed);
            }
        }
        if let Some(signer) = signer {
            let signed = session
                .sign(&reference, &digest, signer)
                .await
                .context("cannot sign the module")?;
            extras.signatures.push(signed);
        }
        Ok(extras)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_cosigns() {
        let digest = format!("sha256:{}", "0f".repeat(32));
        assert_eq!(
            attached_tag(&digest, SIGNATURE_SUFFIX),
            format!("sha256-{}.sig", "0f".repeat(32))
        );
        assert_eq!(
            attached_tag(&digest, SBOM_SUFFIX),
            format!("sha256-{}.sbom", "0f".repeat(32))
        );
    }

    fn expectation(key: &SigningKey, annotations: &[(&str, &str)]) -> Expectation {
        Expectation {
            key: *key.verifying_key(),
            key_name: "cosign.pub".into(),
            annotations: annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn signature_layer(key: &SigningKey, digest: &str, annotations: &[(&str, &str)]) -> ImageLayer {
        let annotations = annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let payload =
            SimpleSigning::new("127.0.0.1:5000/netsec/p", digest, &annotations).to_bytes();
        let signature = keys::sign(key, &payload);
        ImageLayer::new(
            payload,
            SIMPLE_SIGNING_MEDIA_TYPE.to_string(),
            Some(BTreeMap::from([(
                SIGNATURE_ANNOTATION.to_string(),
                signature,
            )])),
        )
    }

    #[test]
    fn a_layer_counts_only_with_the_key_the_digest_and_the_annotations() {
        let key = keys::generate().unwrap();
        let other = keys::generate().unwrap();
        let digest = format!("sha256:{}", "12".repeat(32));
        let layer = signature_layer(&key, &digest, &[("env", "prod")]);

        assert!(check_layer(&layer, &digest, &expectation(&key, &[])).is_ok());
        assert!(check_layer(&layer, &digest, &expectation(&key, &[("env", "prod")])).is_ok());
        let err = check_layer(&layer, &digest, &expectation(&key, &[("env", "dev")])).unwrap_err();
        assert!(err.contains("lack some expected"), "{err}");
        let err = check_layer(&layer, &digest, &expectation(&other, &[])).unwrap_err();
        assert_eq!(err, "made with another key");
        let tampered = format!("sha256:{}", "13".repeat(32));
        let err = check_layer(&layer, &tampered, &expectation(&key, &[])).unwrap_err();
        assert!(err.contains("not this manifest"), "{err}");

        // The payload changed after signing.
        let mut forged = layer.clone();
        forged.data = String::from_utf8(layer.data.to_vec())
            .unwrap()
            .replace("prod", "dev")
            .into_bytes()
            .into();
        let err = check_layer(&forged, &digest, &expectation(&key, &[])).unwrap_err();
        assert_eq!(err, "made with another key");

        let mut unsigned = layer.clone();
        unsigned.annotations = None;
        let err = check_layer(&unsigned, &digest, &expectation(&key, &[])).unwrap_err();
        assert!(err.contains(SIGNATURE_ANNOTATION), "{err}");

        let mut other_type = layer;
        other_type.media_type = SPDX_JSON_MEDIA_TYPE.into();
        assert!(check_layer(&other_type, &digest, &expectation(&key, &[])).is_err());
    }

    #[test]
    fn the_config_lists_every_layer() {
        let key = keys::generate().unwrap();
        let layers = [
            signature_layer(&key, "sha256:00", &[]),
            signature_layer(&key, "sha256:00", &[("a", "b")]),
        ];
        let config: serde_json::Value = serde_json::from_slice(&image_config(&layers)).unwrap();
        assert_eq!(
            config["rootfs"]["diff_ids"],
            serde_json::json!([
                sha256_digest(&layers[0].data),
                sha256_digest(&layers[1].data)
            ])
        );
    }
}
