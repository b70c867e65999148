//! Helpers for the end-to-end tests in `tests/`: where the built bundle and the policies are.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ sits in the workspace root")
        .to_path_buf()
}

/// Every policy directory name under `policies/`.
pub fn policies() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("policies"))
        .expect("policies/ exists")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry
                .path()
                .join("Cargo.toml")
                .exists()
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// `dist/<policy>.wasm`, which `make dist` builds before the tests run.
pub fn dist_module(policy: &str) -> PathBuf {
    let path = root().join("dist").join(format!("{policy}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run `make dist` (or `make test`) first",
        path.display()
    );
    path
}

/// The `netsec` binary built by `make`.
pub fn netsec() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let path = target.join("debug/netsec");
    assert!(
        path.exists(),
        "{} is missing: run `make netsec` first",
        path.display()
    );
    path
}

/// A CNCF Distribution registry (Debian's `docker-registry`) of the test's own: on 127.0.0.1, a
/// free port, storage in a fresh directory. Dropping it stops the registry and removes its
/// storage, also when the test panics.
pub struct Registry {
    child: std::process::Child,
    dir: PathBuf,
    /// `127.0.0.1:<port>`
    pub addr: String,
}

/// Where `make test` installs the registry.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

impl Registry {
    pub fn start() -> Registry {
        Registry::start_with("")
    }

    /// A registry that serves reads and refuses every push (Distribution's read-only
    /// maintenance mode), as a registry without write permission does.
    pub fn start_read_only() -> Registry {
        Registry::start_with("  maintenance: {readonly: {enabled: true}}\n")
    }

    /// A read-only registry serving a copy of what this one holds now: what a client sees
    /// when the registry accepts reads but refuses its pushes.
    pub fn read_only_copy(&self) -> Registry {
        Registry::start_with_content("  maintenance: {readonly: {enabled: true}}\n", |storage| {
            let status = std::process::Command::new("cp")
                .arg("-a")
                .arg(self.dir.join("storage/."))
                .arg(storage)
                .status()
                .unwrap();
            assert!(status.success(), "cannot copy the registry's storage");
        })
    }

    /// `storage` is YAML appended to the `storage:` section of the configuration.
    fn start_with(storage: &str) -> Registry {
        Registry::start_with_content(storage, |_| {})
    }

    /// `fill` puts content in the storage directory before the registry starts.
    fn start_with_content(storage: &str, fill: impl FnOnce(&Path)) -> Registry {
        let binary = std::env::var_os("NETSEC_REGISTRY_BINARY")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(REGISTRY_BINARY));
        assert!(
            binary.exists(),
            "{} is missing: the OCI round trip needs the CNCF Distribution registry; \
             `make test` installs it (apt-get install docker-registry)",
            binary.display()
        );
        let dir = std::env::temp_dir().join(format!(
            "netsec-registry-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(dir.join("storage")).unwrap();
        fill(&dir.join("storage"));
        // The port is free when asked; the registry binds it a moment later.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\n\
                 log: {{level: warn}}\n\
                 storage:\n  filesystem: {{rootdirectory: {}}}\n  delete: {{enabled: true}}\n\
                 {storage}\
                 http: {{addr: \"{addr}\"}}\n",
                dir.join("storage").display()
            ),
        )
        .unwrap();
        let child = std::process::Command::new(&binary)
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("registry.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut registry = Registry { child, dir, addr };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Ok(response) = http_get(&self.addr, "/v2/", &[]) {
                assert_eq!(response.status, 200, "GET /v2/: {:?}", response);
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the registry exited ({status}): {}",
                    std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the registry did not answer on {} within 20 s",
                self.addr
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An HTTP response from the registry API.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.0 GET (the test registry speaks HTTP on loopback), enough for its API.
pub fn http_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> std::io::Result<HttpResponse> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// One scenario case of a policy, as the module receives it.
pub struct Sample {
    pub name: String,
    /// The AdmissionRequest (the inner request, not the review).
    pub request: serde_json::Value,
    pub settings: serde_json::Value,
    pub cluster: netsec_runner::cluster::Cluster,
}

impl Sample {
    /// The `validate` payload: `{"request": ..., "settings": ...}`.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"request": self.request, "settings": self.settings}))
            .expect("JSON values serialise")
    }
}

/// Every case of a policy's `scenarios.yaml` that sends a request (settings-only cases are left
/// out), with its settings and cluster.
pub fn samples(policy: &str) -> Vec<Sample> {
    use netsec_runner::scenario::ScenarioFile;
    let file = root().join("policies").join(policy).join("scenarios.yaml");
    let dir = file.parent().expect("a scenario file sits in a directory");
    let scenarios = ScenarioFile::load(&file).expect("the scenario file loads");
    scenarios
        .cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            let request = case.request(dir, i).ok()?;
            Some(Sample {
                name: case.name.clone(),
                request,
                settings: case
                    .settings
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({})),
                cluster: case.cluster(dir).ok()?,
            })
        })
        .collect()
}
