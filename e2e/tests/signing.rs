//! Signing, verification and SBOM attachment against a real registry (CNCF Distribution on
//! 127.0.0.1), in cosign's layout: `netsec push --sbom --key`, `netsec sign`, `netsec verify`.

use std::path::Path;
use std::process::Command;

use netsec_e2e::{Registry, dist_module, http_get, netsec, root};
use netsec_runner::oci::sha256_digest;
use serde_json::Value;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const PASSWORD: &str = "correct horse";

struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir =
        std::env::temp_dir().join(format!("netsec-e2e-signing-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Runs netsec with the test's password in the environment (and no other).
fn netsec_with(password: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(netsec())
        .current_dir(root())
        .env_remove("COSIGN_PASSWORD")
        .env("NETSEC_PASSWORD", password)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn netsec_ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = netsec_with(PASSWORD, args);
    assert_eq!(code, 0, "netsec {args:?}:\n{stdout}\n{stderr}");
    stdout
}

/// Exits 1 with every `want` in its error.
fn netsec_fails(args: &[&str], want: &[&str]) -> String {
    let (code, stdout, stderr) = netsec_with(PASSWORD, args);
    assert_eq!(code, 1, "netsec {args:?} should fail:\n{stdout}\n{stderr}");
    for w in want {
        assert!(
            stderr.contains(w),
            "netsec {args:?}: {w:?} not in\n{stderr}"
        );
    }
    stderr
}

fn keygen(dir: &Path) -> (String, String) {
    let out = netsec_ok(&["keygen", "-o", dir.to_str().unwrap()]);
    assert!(
        out.contains("cosign.key") && out.contains("cosign.pub"),
        "{out}"
    );
    (
        dir.join("cosign.key").display().to_string(),
        dir.join("cosign.pub").display().to_string(),
    )
}

/// The manifest at `reference` (tag or digest) and its digest, or None on 404.
fn manifest(registry: &Registry, repository: &str, reference: &str) -> Option<(Value, String)> {
    let response = http_get(
        &registry.addr,
        &format!("/v2/{repository}/manifests/{reference}"),
        &[("Accept", OCI_MANIFEST)],
    )
    .unwrap();
    if response.status == 404 {
        return None;
    }
    assert_eq!(
        response.status, 200,
        "{repository}:{reference}: {response:?}"
    );
    let digest = sha256_digest(&response.body);
    Some((serde_json::from_slice(&response.body).unwrap(), digest))
}

fn blob(registry: &Registry, repository: &str, digest: &str) -> Vec<u8> {
    let response = http_get(
        &registry.addr,
        &format!("/v2/{repository}/blobs/{digest}"),
        &[],
    )
    .unwrap();
    assert_eq!(response.status, 200, "{repository}@{digest}");
    assert_eq!(sha256_digest(&response.body), digest);
    response.body
}

/// PUTs a manifest as is, as an attacker with push rights would copy one.
fn put_manifest(registry: &Registry, repository: &str, tag: &str, body: &[u8]) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&registry.addr).unwrap();
    let head = format!(
        "PUT /v2/{repository}/manifests/{tag} HTTP/1.0\r\nHost: {}\r\n\
         Content-Type: {OCI_MANIFEST}\r\nContent-Length: {}\r\n\r\n",
        registry.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.0 201") || response.starts_with("HTTP/1.1 201"),
        "{response}"
    );
}

fn raw_manifest(registry: &Registry, repository: &str, reference: &str) -> Vec<u8> {
    http_get(
        &registry.addr,
        &format!("/v2/{repository}/manifests/{reference}"),
        &[("Accept", OCI_MANIFEST)],
    )
    .unwrap()
    .body
}

/// The module with one more custom section: still an annotated policy, another digest.
fn tampered(module: &[u8]) -> Vec<u8> {
    let mut out = module.to_vec();
    out.extend([0u8, 6, 5]);
    out.extend(b"extra");
    out
}

#[test]
fn push_sign_verify_in_cosign_layout() {
    let registry = Registry::start();
    let keys = scratch("keys");
    let (alice_key, alice_pub) = keygen(&keys.0.join("alice"));
    let (bob_key, bob_pub) = keygen(&keys.0.join("bob"));
    let module_path = dist_module("ingress-tls");
    let module = std::fs::read(&module_path).unwrap();
    let sbom_path = root().join("dist/ingress-tls.spdx.json");
    let sbom = std::fs::read(&sbom_path).unwrap();
    let repository = "netsec/ingress-tls";
    let tag_ref = format!("registry://{}/{repository}:v1.0.0", registry.addr);

    // Push, attach the SBOM, sign both: the module's signature is printed last.
    let out = netsec_ok(&[
        "push",
        "--insecure",
        "--sbom",
        sbom_path.to_str().unwrap(),
        "--key",
        &alice_key,
        "--annotation",
        "env=prod",
        module_path.to_str().unwrap(),
        &tag_ref,
    ]);
    let digest = sha256_digest(&raw_manifest(&registry, repository, "v1.0.0"));
    let hex = digest.strip_prefix("sha256:").unwrap();
    let immutable = format!("{}/{repository}@{digest}", registry.addr);
    assert!(
        out.contains(&format!("Policy successfully pushed: {immutable}\n")),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[3].ends_with(&format!(":sha256-{hex}.sig")), "{out}");

    // The signature image: an OCI manifest of simple-signing layers.
    let (signature, _) = manifest(&registry, repository, &format!("sha256-{hex}.sig")).unwrap();
    assert_eq!(signature["mediaType"], OCI_MANIFEST);
    let layers = signature["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "{signature}");
    assert_eq!(layers[0]["mediaType"], SIMPLE_SIGNING);
    assert!(layers[0]["annotations"][SIGNATURE_ANNOTATION].is_string());
    let payload: Value = serde_json::from_slice(&blob(
        &registry,
        repository,
        layers[0]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(
        payload,
        serde_json::json!({
            "critical": {
                "identity": {"docker-reference": format!("{}/{repository}", registry.addr)},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": {"env": "prod"},
        })
    );

    // Verified by tag and by digest, with and without the annotation; not by another key, not
    // with an annotation the signature lacks.
    for reference in [tag_ref.clone(), format!("registry://{immutable}")] {
        let out = netsec_ok(&["verify", "--insecure", "--key", &alice_pub, &reference]);
        assert!(
            out.contains(&format!("Policy successfully verified: {immutable}")),
            "{out}"
        );
        netsec_ok(&[
            "verify",
            "--insecure",
            "--key",
            &alice_pub,
            "-a",
            "env=prod",
            &reference,
        ]);
    }
    netsec_fails(
        &["verify", "--insecure", "--key", &bob_pub, &tag_ref],
        &["is not signed by", "made with another key"],
    );
    netsec_fails(
        &[
            "verify",
            "--insecure",
            "--key",
            &alice_pub,
            "-a",
            "env=dev",
            &tag_ref,
        ],
        &["with the annotations env=dev", "lack some expected"],
    );

    // The SBOM: cosign's `.sbom` attachment, byte for byte, and its own digest signed.
    let (attachment, sbom_digest) =
        manifest(&registry, repository, &format!("sha256-{hex}.sbom")).unwrap();
    let layers = attachment["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], "application/spdx+json");
    assert_eq!(
        blob(&registry, repository, layers[0]["digest"].as_str().unwrap()),
        sbom
    );
    let sbom_json: Value = serde_json::from_slice(&sbom).unwrap();
    assert_eq!(sbom_json["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        sbom_json["packages"][0]["checksums"][0]["checksumValue"],
        sha256_digest(&module).strip_prefix("sha256:").unwrap(),
        "the SBOM names the module it describes"
    );
    let sbom_hex = sbom_digest.strip_prefix("sha256:").unwrap();
    let (sbom_signature, _) =
        manifest(&registry, repository, &format!("sha256-{sbom_hex}.sig")).unwrap();
    let payload: Value = serde_json::from_slice(&blob(
        &registry,
        repository,
        sbom_signature["layers"][0]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        sbom_digest
    );
    let out = netsec_ok(&[
        "verify",
        "--insecure",
        "--key",
        &alice_pub,
        "--attachment",
        "sbom",
        &tag_ref,
    ]);
    assert!(out.contains(&sbom_digest), "{out}");
    netsec_ok(&[
        "verify",
        "--insecure",
        "--key",
        &alice_pub,
        &format!("registry://{}/{repository}@{sbom_digest}", registry.addr),
    ]);
    netsec_fails(
        &[
            "verify",
            "--insecure",
            "--key",
            &bob_pub,
            "--attachment",
            "sbom",
            &tag_ref,
        ],
        &["made with another key"],
    );

    // A second signer is appended, the first is kept.
    let out = netsec_ok(&["sign", "--insecure", "--key", &bob_key, &tag_ref]);
    assert!(out.contains(&format!("Signed {immutable}")), "{out}");
    let (signature, _) = manifest(&registry, repository, &format!("sha256-{hex}.sig")).unwrap();
    assert_eq!(signature["layers"].as_array().unwrap().len(), 2);
    netsec_ok(&["verify", "--insecure", "--key", &bob_pub, &tag_ref]);
    netsec_ok(&[
        "verify",
        "--insecure",
        "--key",
        &alice_pub,
        "-a",
        "env=prod",
        &tag_ref,
    ]);
    // The same signature again is not duplicated (ECDSA here is deterministic).
    netsec_ok(&["sign", "--insecure", "--key", &bob_key, &tag_ref]);
    let (signature, _) = manifest(&registry, repository, &format!("sha256-{hex}.sig")).unwrap();
    assert_eq!(signature["layers"].as_array().unwrap().len(), 2);

    // A tampered module under the same tag has another digest, which nobody signed.
    let tampered_path = keys.0.join("tampered.wasm");
    std::fs::write(&tampered_path, tampered(&module)).unwrap();
    netsec_ok(&[
        "push",
        "--insecure",
        tampered_path.to_str().unwrap(),
        &tag_ref,
    ]);
    let new_digest = sha256_digest(&raw_manifest(&registry, repository, "v1.0.0"));
    assert_ne!(new_digest, digest);
    netsec_fails(
        &["verify", "--insecure", "--key", &alice_pub, &tag_ref],
        &["is not signed", &new_digest],
    );
    // Nor does the old signature, copied next to it, sign it.
    let new_hex = new_digest.strip_prefix("sha256:").unwrap();
    let old_signature = raw_manifest(&registry, repository, &format!("sha256-{hex}.sig"));
    put_manifest(
        &registry,
        repository,
        &format!("sha256-{new_hex}.sig"),
        &old_signature,
    );
    netsec_fails(
        &["verify", "--insecure", "--key", &alice_pub, &tag_ref],
        &["is not signed by", "not this manifest"],
    );
    // The original, by digest, still verifies.
    netsec_ok(&[
        "verify",
        "--insecure",
        "--key",
        &alice_pub,
        &format!("registry://{immutable}"),
    ]);
}

#[test]
fn bad_inputs_fail_before_anything_looks_signed() {
    let registry = Registry::start();
    let keys = scratch("bad");
    let (key, public) = keygen(&keys.0.join("k"));
    let module = dist_module("ingress-tls");
    let module = module.to_str().unwrap();
    let reference = format!("registry://{}/netsec/bad:v1.0.0", registry.addr);

    // keygen does not overwrite a key.
    netsec_fails(
        &["keygen", "-o", keys.0.join("k").to_str().unwrap()],
        &["already exists"],
    );

    // A wrong password: nothing is pushed at all.
    let (code, _, stderr) = netsec_with(
        "wrong",
        &["push", "--insecure", "--key", &key, module, &reference],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("wrong password"), "{stderr}");
    assert!(manifest(&registry, "netsec/bad", "v1.0.0").is_none());

    // A key of another type: the public key given as the private one, and the reverse.
    netsec_fails(
        &["push", "--insecure", "--key", &public, module, &reference],
        &["not a cosign private key"],
    );
    assert!(manifest(&registry, "netsec/bad", "v1.0.0").is_none());
    netsec_fails(
        &["verify", "--insecure", "--key", &key, &reference],
        &["not a \"PUBLIC KEY\""],
    );

    // A reference that does not resolve.
    netsec_fails(
        &["sign", "--insecure", "--key", &key, &reference],
        &["cannot resolve", "no such manifest"],
    );
    netsec_fails(
        &["verify", "--insecure", "--key", &public, &reference],
        &["cannot resolve"],
    );

    // Pushed without a key: not signed, and said so; it has no SBOM either.
    netsec_ok(&["push", "--insecure", module, &reference]);
    netsec_fails(
        &["verify", "--insecure", "--key", &public, &reference],
        &["is not signed: there is no sha256-"],
    );
    netsec_fails(
        &[
            "sign",
            "--insecure",
            "--key",
            &key,
            "--attachment",
            "sbom",
            &reference,
        ],
        &["has no SBOM attached"],
    );
    netsec_fails(
        &[
            "sign",
            "--insecure",
            "--key",
            &key,
            "-a",
            "novalue",
            &reference,
        ],
        &["not KEY=VALUE"],
    );

    // A registry that refuses pushes: the error says so, and no signature appears.
    let read_only = Registry::start_read_only();
    let refused = format!("registry://{}/netsec/bad:v1.0.0", read_only.addr);
    netsec_fails(
        &["push", "--insecure", "--key", &key, module, &refused],
        &["cannot push to"],
    );
    assert!(manifest(&read_only, "netsec/bad", "v1.0.0").is_none());
    // A registry that holds the module but refuses the signature: it stays unsigned.
    let refusing = registry.read_only_copy();
    let held = format!("registry://{}/netsec/bad:v1.0.0", refusing.addr);
    netsec_fails(
        &["sign", "--insecure", "--key", &key, &held],
        &["the registry refused", ".sig"],
    );
    netsec_fails(
        &["verify", "--insecure", "--key", &public, &held],
        &["is not signed: there is no sha256-"],
    );
    netsec_fails(
        &["push", "--insecure", "--key", &key, module, &held],
        &["cannot push to"],
    );
    // Nor does a registry that is gone.
    let gone = format!("registry://{}/netsec/bad:v1.0.0", registry.addr);
    drop(registry);
    netsec_fails(
        &["sign", "--insecure", "--key", &key, &gone],
        &["cannot resolve"],
    );
}

#[test]
fn make_publish_signs_with_signing_key() {
    let registry = Registry::start();
    let keys = scratch("make");
    let (key, public) = keygen(&keys.0.join("k"));
    let target = format!("{}/netsec", registry.addr);
    // A make of its own, not a sub-make of the `make test` that runs this suite.
    let out = Command::new("make")
        .current_dir(root())
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .env_remove("COSIGN_PASSWORD")
        .env("NETSEC_PASSWORD", PASSWORD)
        .args([
            "--no-print-directory",
            "-s",
            "publish",
            "POLICIES=ingress-tls",
        ])
        .arg(format!("REGISTRY={target}"))
        .arg(format!("SIGNING_KEY={key}"))
        .arg("SIGNING_ANNOTATIONS=env=prod release=v1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "make publish failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("SBOM attached: "), "{stdout}");
    assert_eq!(stdout.matches("Signature pushed: ").count(), 2, "{stdout}");
    let version = netsec_runner::bundle::PolicyDir::load(&root().join("policies/ingress-tls"))
        .unwrap()
        .version;
    let reference = format!("registry://{target}/ingress-tls:v{version}");
    for attachment in [&[][..], &["--attachment", "sbom"][..]] {
        let mut args = vec!["verify", "--insecure", "--key", public.as_str()];
        args.extend(["-a", "env=prod", "-a", "release=v1"]);
        args.extend(attachment);
        args.push(&reference);
        netsec_ok(&args);
    }
}
