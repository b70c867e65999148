//! The OCI round trip against a real registry (CNCF Distribution on 127.0.0.1): `make publish`
//! pushes every policy as `make push` does, and what comes back is byte for byte what went in, in
//! the layout `kwctl push` writes.

use std::collections::BTreeMap;
use std::process::Command;

use netsec_e2e::{Registry, dist_module, http_get, netsec, policies, root};
use netsec_runner::bundle::PolicyDir;
use netsec_runner::metadata::Metadata;
use netsec_runner::oci::sha256_digest;
use serde_json::Value;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn run(command: &mut Command) -> (i32, String, String) {
    let out = command.current_dir(root()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn netsec_cmd(args: &[&str]) -> (i32, String, String) {
    run(Command::new(netsec()).args(args))
}

/// A scratch path, removed when dropped (also when the test fails).
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

fn temp_file(name: &str) -> Scratch {
    Scratch(std::env::temp_dir().join(format!("netsec-e2e-{}-{name}", std::process::id())))
}

fn manifest(registry: &Registry, repository: &str, reference: &str) -> (Value, String) {
    let response = http_get(
        &registry.addr,
        &format!("/v2/{repository}/manifests/{reference}"),
        &[("Accept", OCI_MANIFEST)],
    )
    .unwrap();
    assert_eq!(
        response.status, 200,
        "{repository}:{reference}: {response:?}"
    );
    assert_eq!(response.header("content-type"), Some(OCI_MANIFEST));
    let digest = response
        .header("docker-content-digest")
        .unwrap()
        .to_string();
    assert_eq!(
        digest,
        sha256_digest(&response.body),
        "the manifest's digest"
    );
    (serde_json::from_slice(&response.body).unwrap(), digest)
}

fn blob(registry: &Registry, repository: &str, digest: &str) -> Vec<u8> {
    let response = http_get(
        &registry.addr,
        &format!("/v2/{repository}/blobs/{digest}"),
        &[],
    )
    .unwrap();
    assert_eq!(response.status, 200, "{repository}@{digest}");
    response.body
}

#[test]
fn make_push_round_trip_in_kwctl_layout() {
    let registry = Registry::start();
    let target = format!("{}/netsec", registry.addr);
    // A make of its own, not a sub-make of the `make test` that runs this suite.
    let (code, stdout, stderr) = run(Command::new("make")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .args(["--no-print-directory", "-s", "publish"])
        .arg(format!("REGISTRY={target}")));
    assert_eq!(code, 0, "make publish failed:\n{stdout}\n{stderr}");

    let names = policies();
    for name in &names {
        let policy = PolicyDir::load(&root().join("policies").join(name)).unwrap();
        let repository = format!("netsec/{name}");
        let tag = format!("v{}", policy.version);
        let module = std::fs::read(dist_module(name)).unwrap();

        // The immutable reference printed is the manifest's digest.
        let (manifest, digest) = manifest(&registry, &repository, &tag);
        let immutable = format!("{}/{repository}@{digest}", registry.addr);
        assert!(
            stdout.contains(&format!("Policy successfully pushed: {immutable}\n")),
            "{name}: {immutable} not printed:\n{stdout}"
        );

        // kwctl's layout: no mediaType field, a `{}` wasm config, one wasm layer.
        assert_eq!(manifest["schemaVersion"], 2, "{name}");
        assert!(manifest.get("mediaType").is_none(), "{name}: {manifest}");
        let config = &manifest["config"];
        assert_eq!(config["mediaType"], "application/vnd.wasm.config.v1+json");
        assert_eq!(config["size"], 2);
        assert_eq!(config["digest"], sha256_digest(b"{}"));
        assert_eq!(
            blob(&registry, &repository, config["digest"].as_str().unwrap()),
            b"{}"
        );
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1, "{name}");
        assert_eq!(
            layers[0]["mediaType"],
            "application/vnd.wasm.content.layer.v1+wasm"
        );
        assert_eq!(layers[0]["digest"], sha256_digest(&module));
        assert_eq!(layers[0]["size"], module.len());
        assert_eq!(
            blob(
                &registry,
                &repository,
                layers[0]["digest"].as_str().unwrap()
            ),
            module
        );

        // The metadata's single-line annotations, plus the OCI source.
        let embedded = Metadata::from_wasm(&module).unwrap().unwrap();
        let mut want: BTreeMap<String, String> = embedded
            .annotations
            .clone()
            .unwrap()
            .into_iter()
            .filter(|(k, _)| k != "io.kubewarden.policy.usage")
            .collect();
        assert!(
            want.values().all(|v| !v.contains('\n')),
            "{name}: only the README is multi-line"
        );
        let source = want["io.kubewarden.policy.source"].clone();
        want.insert("org.opencontainers.image.source".into(), source);
        let got: BTreeMap<String, String> =
            serde_json::from_value(manifest["annotations"].clone()).unwrap();
        assert_eq!(got, want, "{name}: manifest annotations");

        // Pulled back by tag and by digest, byte for byte.
        for reference in [
            format!("registry://{}/{repository}:{tag}", registry.addr),
            format!("registry://{immutable}"),
        ] {
            let out = temp_file(&format!("{name}.wasm"));
            let (code, stdout, stderr) = netsec_cmd(&[
                "pull",
                "--insecure",
                "-o",
                out.to_str().unwrap(),
                &reference,
            ]);
            assert_eq!(code, 0, "pull {reference}: {stderr}");
            assert!(stdout.contains(&immutable), "{stdout}");
            assert_eq!(
                std::fs::read(&out).unwrap(),
                module,
                "{reference}: pulled bytes"
            );
        }
    }
    assert!(names.len() >= 6);
}

#[test]
fn unannotated_module_is_refused_as_kwctl_refuses_it() {
    let registry = Registry::start();
    // A valid module with no io.kubewarden.metadata section.
    let bare = temp_file("bare.wasm");
    std::fs::write(&bare, b"\0asm\x01\0\0\0").unwrap();
    let reference = format!("registry://{}/netsec/bare:v0.1.0", registry.addr);
    let (code, stdout, stderr) =
        netsec_cmd(&["push", "--insecure", bare.to_str().unwrap(), &reference]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains(
            "Cannot push a policy that is not annotated. Use `annotate` command or `push --force`"
        ),
        "{stderr}"
    );
    let response = http_get(
        &registry.addr,
        "/v2/netsec/bare/manifests/v0.1.0",
        &[("Accept", OCI_MANIFEST)],
    )
    .unwrap();
    assert_eq!(response.status, 404, "nothing was pushed");

    // --force pushes it, as kwctl does, without annotations.
    let (code, stdout, stderr) = netsec_cmd(&[
        "push",
        "--force",
        "--insecure",
        "-o",
        "json",
        bare.to_str().unwrap(),
        &reference,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("non-annotated"), "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    let (manifest, digest) = manifest(&registry, "netsec/bare", "v0.1.0");
    assert_eq!(
        printed["immutable_ref"],
        format!("{}/netsec/bare@{digest}", registry.addr)
    );
    assert!(manifest.get("annotations").is_none(), "{manifest}");
}

#[test]
fn plain_http_needs_insecure_and_missing_artifacts_are_reported() {
    let registry = Registry::start();
    let module = dist_module("ingress-tls");
    let reference = format!("registry://{}/netsec/ingress-tls:v0.0.0", registry.addr);
    // Without --insecure the client speaks TLS, which a plain-HTTP registry cannot answer.
    let (code, _, stderr) = netsec_cmd(&["push", module.to_str().unwrap(), &reference]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot push to"), "{stderr}");

    let out = temp_file("missing.wasm");
    let (code, _, stderr) = netsec_cmd(&[
        "pull",
        "--insecure",
        "-o",
        out.to_str().unwrap(),
        &format!("registry://{}/netsec/missing:v1.0.0", registry.addr),
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot read the manifest"), "{stderr}");
    assert!(!out.exists());

    let (code, _, stderr) = netsec_cmd(&[
        "pull",
        "-o",
        out.to_str().unwrap(),
        "https://example.com/policy.wasm",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("registry://host/path:tag"), "{stderr}");
}

#[test]
fn credentials_come_from_the_docker_config() {
    let registry = Registry::start();
    let module = dist_module("ingress-tls");
    let reference = format!("registry://{}/netsec/ingress-tls:v0.0.1", registry.addr);
    let config_dir = temp_file("docker");
    std::fs::create_dir_all(&config_dir).unwrap();
    let push = || {
        run(Command::new(netsec())
            .env("DOCKER_CONFIG", config_dir.as_os_str())
            .args(["push", "--insecure", module.to_str().unwrap(), &reference]))
    };

    // Credentials for this registry (which asks for none) are read and sent without harm.
    let config = format!(
        r#"{{"auths": {{"{}": {{"auth": "YWxpY2U6czNjcmV0"}}}}}}"#,
        registry.addr
    );
    std::fs::write(config_dir.join("config.json"), config).unwrap();
    let (code, stdout, stderr) = push();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Policy successfully pushed"), "{stdout}");

    // A config file that cannot be read is reported, not silently ignored.
    std::fs::write(
        config_dir.join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "not base64!"}}}}}}"#,
            registry.addr
        ),
    )
    .unwrap();
    let (code, _, stderr) = push();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read the Docker credentials") && stderr.contains("config.json"),
        "{stderr}"
    );
}
