//! `netsec sbom`: an SPDX 2.3 JSON document per policy module, listing the crates compiled into
//! it.
//!
//! Which crates: cargo's own resolution for the `wasm32-wasip1` build of the policies, taken from
//! `cargo tree -p <policy>... --target wasm32-wasip1 -e normal,no-proc-macro`. `cargo metadata`
//! would be the obvious source, but its resolve unifies features across the whole workspace (the
//! host-only runner's optional dependencies would show up in every module) and cannot drop
//! proc-macros; `cargo tree` applies the same per-selection feature resolution (resolver 2/3) as
//! the `cargo build -p <policy>...` of `make wasm`, and with the same set of packages selected the
//! same crates. Proc-macros and build scripts run on the build machine and are not linked into the
//! module, so they are left out. Versions, sources and checksums come from `Cargo.lock`.
//!
//! The fields are those SPDX 2.3 requires (clause 6 document creation, clause 7 packages, clause
//! 11 relationships); a crates.io package is named by its download URL, the SHA-256 of the
//! `.crate` file (the lockfile's checksum) and a `pkg:cargo` purl.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const WASM_TARGET: &str = "wasm32-wasip1";
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// One crate of a module's dependency graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Crate {
    pub name: String,
    pub version: String,
    /// The path of a local (workspace) package, relative to the workspace root.
    pub path: Option<String>,
    pub license: Option<String>,
    pub repository: Option<String>,
}

/// A policy crate and what it links, with the edges between them.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// `crates[0]` is the policy.
    pub crates: Vec<Crate>,
    pub depends_on: BTreeSet<(usize, usize)>,
}

/// Parses `cargo tree --prefix depth --format '{p}|{l}|{r}'` for one or more roots, one tree per
/// root. cargo prints a crate's dependencies once per invocation and marks its later appearances
/// `(*)`, also across roots, so the edges are gathered over the whole output and each root's
/// tree is what it reaches. Features are resolved once for all the roots, so a crate has the
/// same dependencies wherever it appears.
pub fn parse_cargo_tree(output: &str, workspace: &Path) -> Result<Vec<Tree>> {
    let mut crates: Vec<Crate> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut roots: Vec<usize> = Vec::new();
    // The crate at each depth on the path from the root to the current line.
    let mut path: Vec<usize> = Vec::new();
    for line in output.lines().filter(|l| !l.trim().is_empty()) {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let depth: usize = line[..digits]
            .parse()
            .map_err(|_| anyhow!("unexpected cargo tree line {line:?}"))?;
        let rest = line[digits..].trim_end();
        let rest = rest.strip_suffix(" (*)").unwrap_or(rest);
        let mut fields = rest.splitn(3, '|');
        let package = fields.next().unwrap_or_default();
        let license = fields.next().filter(|l| !l.is_empty()).map(str::to_string);
        let repository = fields.next().filter(|r| !r.is_empty()).map(str::to_string);
        let (name_version, source) = match package.split_once(" (") {
            Some((nv, source)) => (nv, source.strip_suffix(')')),
            None => (package, None),
        };
        let Some((name, version)) = name_version.split_once(" v") else {
            bail!("unexpected cargo tree line {line:?}");
        };
        let path_dep = source.filter(|s| s.starts_with('/')).map(|s| {
            Path::new(s)
                .strip_prefix(workspace)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| s.to_string())
        });
        let key = (name.to_string(), version.to_string());
        let id = *index.entry(key).or_insert_with(|| {
            crates.push(Crate {
                name: name.to_string(),
                version: version.to_string(),
                path: path_dep,
                license,
                repository,
            });
            crates.len() - 1
        });
        if depth > path.len() {
            bail!("cargo tree skips a level at {line:?}");
        }
        path.truncate(depth);
        match path.last() {
            Some(&parent) => {
                edges.insert((parent, id));
            }
            None => roots.push(id),
        }
        path.push(id);
    }
    Ok(roots
        .into_iter()
        .map(|root| {
            // Renumbered from 0 (the root) in the order first reached.
            let mut local: BTreeMap<usize, usize> = BTreeMap::from([(root, 0)]);
            let mut tree = Tree {
                crates: vec![crates[root].clone()],
                depends_on: BTreeSet::new(),
            };
            let mut queue = vec![root];
            while let Some(from) = queue.pop() {
                for &(_, to) in edges.range((from, 0)..=(from, usize::MAX)) {
                    let next = local.len();
                    let to_local = *local.entry(to).or_insert_with(|| {
                        tree.crates.push(crates[to].clone());
                        queue.push(to);
                        next
                    });
                    tree.depends_on.insert((local[&from], to_local));
                }
            }
            tree
        })
        .collect())
}

/// The module graphs of `policies`, built together as `make wasm` builds them.
pub fn cargo_trees(workspace: &Path, policies: &[String]) -> Result<BTreeMap<String, Tree>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace)
        .args(["tree", "--locked", "--target", WASM_TARGET])
        .args(["-e", "normal,no-proc-macro", "--prefix", "depth"])
        .args(["--format", "{p}|{l}|{r}"]);
    for policy in policies {
        command.args(["-p", policy]);
    }
    let out = command
        .output()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;
    if !out.status.success() {
        bail!(
            "`cargo tree` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let workspace = workspace
        .canonicalize()
        .with_context(|| format!("{}", workspace.display()))?;
    let trees = parse_cargo_tree(&String::from_utf8_lossy(&out.stdout), &workspace)?;
    let mut by_name = BTreeMap::new();
    for tree in trees {
        let name = tree.crates[0].name.clone();
        by_name.insert(name, tree);
    }
    for policy in policies {
        if !by_name.contains_key(policy) {
            bail!("`cargo tree` printed no dependency tree for {policy}");
        }
    }
    Ok(by_name)
}

/// `Cargo.lock`: (name, version) → (source, checksum).
#[derive(Debug, Default)]
pub struct Lockfile {
    packages: HashMap<(String, String), (Option<String>, Option<String>)>,
}

impl Lockfile {
    pub fn parse(text: &str) -> Result<Lockfile> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            package: Vec<Package>,
        }
        #[derive(Deserialize)]
        struct Package {
            name: String,
            version: String,
            source: Option<String>,
            checksum: Option<String>,
        }
        let file: File = toml::from_str(text).context("Cargo.lock is not valid TOML")?;
        Ok(Lockfile {
            packages: file
                .package
                .into_iter()
                .map(|p| ((p.name, p.version), (p.source, p.checksum)))
                .collect(),
        })
    }

    fn get(&self, krate: &Crate) -> (Option<&str>, Option<&str>) {
        self.packages
            .get(&(krate.name.clone(), krate.version.clone()))
            .map(|(s, c)| (s.as_deref(), c.as_deref()))
            .unwrap_or_default()
    }
}

/// A license field as an SPDX license expression: cargo's legacy `A/B` means `A OR B`; anything
/// that is not an expression is NOASSERTION rather than an invalid document.
fn license_expression(license: Option<&str>) -> String {
    let Some(license) = license.map(str::trim).filter(|l| !l.is_empty()) else {
        return "NOASSERTION".into();
    };
    let expression = license.replace('/', " OR ");
    let valid = expression
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " .+-()".contains(c));
    if valid {
        expression
    } else {
        "NOASSERTION".into()
    }
}

/// SPDX identifiers allow letters, digits, `.` and `-`.
fn spdx_id(krate: &Crate) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "SPDXRef-Package-{}-{}",
        clean(&krate.name),
        clean(&krate.version)
    )
}

/// The document's creation time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub fn creation_time() -> Result<String> {
    creation_time_from(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
}

fn creation_time_from(source_date_epoch: Option<&str>) -> Result<String> {
    let time = match source_date_epoch {
        Some(epoch) => {
            let seconds: i64 = epoch
                .trim()
                .parse()
                .map_err(|_| anyhow!("SOURCE_DATE_EPOCH={epoch:?} is not a number of seconds"))?;
            chrono::DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| anyhow!("SOURCE_DATE_EPOCH={epoch} is out of range"))?
        }
        None => chrono::Utc::now(),
    };
    Ok(time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The SPDX 2.3 document of one module: `tree` its crates, `module` its bytes (the policy
/// package carries the module's SHA-256 and file name, tying the document to the artifact).
pub fn document(
    tree: &Tree,
    lock: &Lockfile,
    module_name: &str,
    module: &[u8],
    created: &str,
) -> Value {
    let root = &tree.crates[0];
    let module_sha256 = hex::encode(Sha256::digest(module));
    let repository = root
        .repository
        .clone()
        .unwrap_or_else(|| "https://spdx.org/spdxdocs".into());
    let mut order: Vec<usize> = (1..tree.crates.len()).collect();
    order.sort_by(|&a, &b| tree.crates[a].cmp(&tree.crates[b]));
    order.insert(0, 0);

    let packages: Vec<Value> = order
        .iter()
        .map(|&i| {
            let krate = &tree.crates[i];
            let (source, checksum) = lock.get(krate);
            let mut package = json!({
                "name": krate.name,
                "SPDXID": spdx_id(krate),
                "versionInfo": krate.version,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": license_expression(krate.license.as_deref()),
                "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": if i == 0 { "APPLICATION" } else { "LIBRARY" },
            });
            let object = package.as_object_mut().expect("a JSON object");
            if let Some(repo) = &krate.repository {
                object.insert("homepage".into(), json!(repo));
            }
            if source == Some(CRATES_IO) {
                object.insert(
                    "downloadLocation".into(),
                    json!(format!(
                        "https://crates.io/api/v1/crates/{}/{}/download",
                        krate.name, krate.version
                    )),
                );
                object.insert(
                    "externalRefs".into(),
                    json!([{
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": format!("pkg:cargo/{}@{}", krate.name, krate.version),
                    }]),
                );
            } else if let Some(git) = source.and_then(|s| s.strip_prefix("git+")) {
                object.insert("downloadLocation".into(), json!(format!("git+{git}")));
            } else if let (Some(path), Some(repo)) = (&krate.path, &root.repository) {
                // A workspace package: the repository, at the package's directory.
                object.insert(
                    "downloadLocation".into(),
                    json!(format!("git+{repo}#{path}")),
                );
            }
            if i == 0 {
                object.insert("packageFileName".into(), json!(module_name));
                object.insert(
                    "checksums".into(),
                    json!([{"algorithm": "SHA256", "checksumValue": module_sha256}]),
                );
            } else if let Some(checksum) = checksum {
                object.insert(
                    "checksums".into(),
                    json!([{"algorithm": "SHA256", "checksumValue": checksum}]),
                );
            }
            package
        })
        .collect();

    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": spdx_id(root),
    })];
    relationships.extend(tree.depends_on.iter().map(|&(from, to)| {
        json!({
            "spdxElementId": spdx_id(&tree.crates[from]),
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": spdx_id(&tree.crates[to]),
        })
    }));

    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}-{}", root.name, root.version),
        "documentNamespace": format!(
            "{}/spdx/{}-{}-sha256-{module_sha256}",
            repository.trim_end_matches('/'),
            root.name,
            root.version
        ),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: netsec-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

/// Writes `<dist>/<policy>.spdx.json` for each policy, from `<dist>/<policy>.wasm`.
pub fn write_all(workspace: &Path, dist: &Path, policies: &[String]) -> Result<Vec<String>> {
    if policies.is_empty() {
        bail!("name the policies to describe");
    }
    let lock_path = workspace.join("Cargo.lock");
    let lock = Lockfile::parse(
        &std::fs::read_to_string(&lock_path)
            .with_context(|| format!("cannot read {}", lock_path.display()))?,
    )?;
    let trees = cargo_trees(workspace, policies)?;
    let created = creation_time()?;
    let mut written = Vec::new();
    for policy in policies {
        let module_name = format!("{policy}.wasm");
        let module_path = dist.join(&module_name);
        let module = std::fs::read(&module_path).with_context(|| {
            format!(
                "cannot read {}: the SBOM describes the built module (`make dist`)",
                module_path.display()
            )
        })?;
        let document = document(&trees[policy], &lock, &module_name, &module, &created);
        let out = dist.join(format!("{policy}.spdx.json"));
        let mut text = serde_json::to_string_pretty(&document)?;
        text.push('\n');
        std::fs::write(&out, text).with_context(|| format!("cannot write {}", out.display()))?;
        written.push(out.display().to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "\
0netsec-policy v0.1.0 (/ws/policies/p)|Apache-2.0|https://github.com/o/r
1netsec-shared v0.1.0 (/ws/shared)|Apache-2.0|https://github.com/o/r
2serde v1.0.0|MIT OR Apache-2.0|https://github.com/serde-rs/serde
3serde_core v1.0.0|MIT/Apache-2.0|
1serde v1.0.0|MIT OR Apache-2.0|https://github.com/serde-rs/serde (*)
1odd v0.2.0+build.1||

0other v0.3.0 (/ws/policies/other)|Apache-2.0|https://github.com/o/r
1serde v1.0.0|MIT OR Apache-2.0|https://github.com/serde-rs/serde (*)
";

    const LOCK: &str = r#"
version = 4

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aaaa"

[[package]]
name = "serde_core"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bbbb"

[[package]]
name = "odd"
version = "0.2.0+build.1"
source = "git+https://example.com/odd?rev=1#0123"

[[package]]
name = "netsec-shared"
version = "0.1.0"
"#;

    #[test]
    fn trees_are_split_per_root_and_edges_kept() {
        let trees = parse_cargo_tree(TREE, Path::new("/ws")).unwrap();
        assert_eq!(trees.len(), 2);
        let mut names: Vec<&str> = trees[0].crates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[0], "netsec-policy");
        names.sort();
        assert_eq!(
            names,
            [
                "netsec-policy",
                "netsec-shared",
                "odd",
                "serde",
                "serde_core"
            ]
        );
        let shared = trees[0].crates.iter().find(|c| c.name == "netsec-shared");
        assert_eq!(shared.unwrap().path.as_deref(), Some("shared"));
        let edge_names = |t: &Tree| -> Vec<(String, String)> {
            t.depends_on
                .iter()
                .map(|&(a, b)| (t.crates[a].name.clone(), t.crates[b].name.clone()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            edge_names(&trees[0]),
            [
                pair("netsec-policy", "netsec-shared"),
                pair("netsec-policy", "odd"),
                pair("netsec-policy", "serde"),
                pair("netsec-shared", "serde"),
                pair("serde", "serde_core"),
            ]
        );
        // serde's dependencies were printed under the first root only, marked (*) after.
        let names: Vec<&str> = trees[1].crates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["other", "serde", "serde_core"]);
        assert_eq!(
            edge_names(&trees[1]),
            [pair("other", "serde"), pair("serde", "serde_core")]
        );
        assert!(parse_cargo_tree("1orphan v1.0.0||", Path::new("/ws")).is_err());
        assert!(parse_cargo_tree("0a v1.0.0||\n2b v1.0.0||", Path::new("/ws")).is_err());
    }

    #[test]
    fn document_is_spdx_2_3() {
        let trees = parse_cargo_tree(TREE, Path::new("/ws")).unwrap();
        let lock = Lockfile::parse(LOCK).unwrap();
        let doc = document(
            &trees[0],
            &lock,
            "netsec-policy.wasm",
            b"\0asm",
            "2026-01-02T03:04:05Z",
        );
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["dataLicense"], "CC0-1.0");
        assert_eq!(doc["creationInfo"]["created"], "2026-01-02T03:04:05Z");
        let module_hash = hex::encode(Sha256::digest(b"\0asm"));
        assert_eq!(
            doc["documentNamespace"],
            format!("https://github.com/o/r/spdx/netsec-policy-0.1.0-sha256-{module_hash}")
        );
        let packages = doc["packages"].as_array().unwrap();
        let by_name = |n: &str| packages.iter().find(|p| p["name"] == n).unwrap();
        assert_eq!(
            packages[0]["name"], "netsec-policy",
            "the module comes first"
        );
        assert_eq!(packages[0]["checksums"][0]["checksumValue"], module_hash);
        assert_eq!(packages[0]["packageFileName"], "netsec-policy.wasm");
        assert_eq!(packages[0]["primaryPackagePurpose"], "APPLICATION");
        assert_eq!(
            packages[0]["downloadLocation"],
            "git+https://github.com/o/r#policies/p"
        );
        let serde = by_name("serde");
        assert_eq!(
            serde["downloadLocation"],
            "https://crates.io/api/v1/crates/serde/1.0.0/download"
        );
        assert_eq!(serde["checksums"][0]["checksumValue"], "aaaa");
        assert_eq!(
            serde["externalRefs"][0]["referenceLocator"],
            "pkg:cargo/serde@1.0.0"
        );
        assert_eq!(
            by_name("serde_core")["licenseDeclared"],
            "MIT OR Apache-2.0"
        );
        let odd = by_name("odd");
        assert_eq!(odd["SPDXID"], "SPDXRef-Package-odd-0.2.0-build.1");
        assert_eq!(odd["licenseDeclared"], "NOASSERTION");
        assert_eq!(
            odd["downloadLocation"],
            "git+https://example.com/odd?rev=1#0123"
        );
        assert!(odd.get("checksums").is_none());
        assert_eq!(
            by_name("netsec-shared")["downloadLocation"],
            "git+https://github.com/o/r#shared"
        );

        let relationships = doc["relationships"].as_array().unwrap();
        assert_eq!(relationships[0]["relationshipType"], "DESCRIBES");
        assert_eq!(
            relationships[0]["relatedSpdxElement"],
            "SPDXRef-Package-netsec-policy-0.1.0"
        );
        assert_eq!(relationships.len(), 1 + 5);
        // Every relationship names a package of the document.
        let ids: BTreeSet<&str> = packages
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), packages.len(), "identifiers are unique");
        for r in &relationships[1..] {
            assert!(ids.contains(r["spdxElementId"].as_str().unwrap()), "{r}");
            assert!(
                ids.contains(r["relatedSpdxElement"].as_str().unwrap()),
                "{r}"
            );
        }
    }

    #[test]
    fn licenses() {
        for (field, want) in [
            (Some("MIT OR Apache-2.0"), "MIT OR Apache-2.0"),
            (Some("MIT/Apache-2.0"), "MIT OR Apache-2.0"),
            (
                Some("(MIT OR Apache-2.0) AND Unicode-3.0"),
                "(MIT OR Apache-2.0) AND Unicode-3.0",
            ),
            (
                Some("Apache-2.0 WITH LLVM-exception"),
                "Apache-2.0 WITH LLVM-exception",
            ),
            (Some("see LICENSE, it's custom"), "NOASSERTION"),
            (Some(""), "NOASSERTION"),
            (None, "NOASSERTION"),
        ] {
            assert_eq!(license_expression(field), want, "{field:?}");
        }
    }

    #[test]
    fn source_date_epoch() {
        assert_eq!(
            creation_time_from(Some("1700000000")).unwrap(),
            "2023-11-14T22:13:20Z"
        );
        assert!(creation_time_from(Some("soon")).is_err());
        assert!(creation_time_from(None).unwrap().ends_with('Z'));
    }
}
