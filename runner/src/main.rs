//! The `netsec` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use netsec_runner::admission::{AdmissionResponse, read_request_file};
use netsec_runner::bundle::{self, Generated};
use netsec_runner::cluster::Cluster;
use netsec_runner::cosign::registry::{self, Attachment};
use netsec_runner::cosign::{keys, payload};
use netsec_runner::host::{DEFAULT_DEADLINE, PolicyHost};
use netsec_runner::manifests::GroupsFile;
use netsec_runner::metadata::Metadata;
use netsec_runner::oci::{self, Transport};
use netsec_runner::{annotate, artifacthub, inspect, manifests, sbom, scenario};

#[derive(Parser)]
#[command(
    name = "netsec",
    version,
    about = "Evaluate, test and package netsec Kubewarden policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one request like `kwctl run` and print the AdmissionResponse.
    Run {
        #[arg(long, conflicts_with = "settings_path")]
        settings_json: Option<String>,
        #[arg(short = 's', long)]
        settings_path: Option<PathBuf>,
        /// YAML or JSON objects answered to the policy's Kubernetes lookups.
        #[arg(long)]
        cluster: Option<PathBuf>,
        /// An AdmissionReview or AdmissionRequest JSON file.
        #[arg(short = 'r', long)]
        request_path: PathBuf,
        /// Seconds before the evaluation is interrupted.
        #[arg(long, default_value_t = DEFAULT_DEADLINE.as_secs())]
        timeout: u64,
        /// Show the policy's log events on stderr.
        #[arg(short, long)]
        verbose: bool,
        policy: PathBuf,
    },
    /// Run scenario files against a policy module.
    Check {
        #[arg(long)]
        policy: PathBuf,
        /// Print only failures and the closing tally.
        #[arg(short, long)]
        quiet: bool,
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Embed metadata (and the README) into a module, as `kwctl annotate` does.
    Annotate {
        #[arg(short, long)]
        metadata: PathBuf,
        #[arg(short, long)]
        usage: Option<PathBuf>,
        #[arg(short, long)]
        output: PathBuf,
        input: PathBuf,
    },
    /// Print the metadata embedded in a module.
    Inspect {
        #[arg(short, long, value_enum, default_value_t = Format::Text)]
        output: Format,
        policy: PathBuf,
    },
    /// Push an annotated module to an OCI registry, as `kwctl push` does; prints the immutable
    /// reference (host/path@sha256:...).
    Push {
        /// Push a module that has no metadata (it then has no manifest annotations).
        #[arg(short, long)]
        force: bool,
        /// Use plain HTTP: only for a registry on this machine (127.0.0.1, [::1], localhost).
        #[arg(long)]
        insecure: bool,
        #[arg(short, long, value_enum, default_value_t = PushFormat::Text)]
        output: PushFormat,
        /// An SPDX JSON SBOM to attach as cosign does (the `sha256-<digest>.sbom` tag).
        #[arg(long)]
        sbom: Option<PathBuf>,
        /// Sign the SBOM and then the module with this cosign private key (password from
        /// NETSEC_PASSWORD or COSIGN_PASSWORD, or asked on the terminal).
        #[arg(long)]
        key: Option<PathBuf>,
        /// KEY=VALUE to record in the signatures; repeatable; needs --key.
        #[arg(short, long = "annotation", requires = "key")]
        annotation: Vec<String>,
        policy: PathBuf,
        /// registry://host/path:tag (the scheme may be left out).
        reference: String,
    },
    /// Create a cosign key pair (ECDSA P-256): DIR/cosign.key, encrypted with the password from
    /// NETSEC_PASSWORD or COSIGN_PASSWORD (or asked twice), and DIR/cosign.pub.
    Keygen {
        #[arg(short, long, default_value = ".")]
        output: PathBuf,
    },
    /// Sign a pushed policy (or its attached SBOM) as `cosign sign --key` does: a tag is
    /// resolved to its digest first, and the digest is what is signed.
    Sign {
        /// A cosign private key (cosign.key).
        #[arg(short, long)]
        key: PathBuf,
        /// KEY=VALUE to record in the signature; repeatable.
        #[arg(short, long = "annotation")]
        annotation: Vec<String>,
        #[command(flatten)]
        target: SignatureTarget,
    },
    /// Verify a pushed policy's signature as `kwctl verify --verification-key` does: exit 1 unless some
    /// signature of its digest is made by the key and carries every --annotation.
    Verify {
        /// A cosign public key (cosign.pub).
        #[arg(short, long)]
        key: PathBuf,
        /// KEY=VALUE the signature must carry; repeatable.
        #[arg(short, long = "annotation")]
        annotation: Vec<String>,
        #[command(flatten)]
        target: SignatureTarget,
    },
    /// Write dist/<policy>.spdx.json, the SPDX 2.3 SBOM of each built module: the crates
    /// compiled into it for wasm32-wasip1, from cargo and Cargo.lock.
    Sbom {
        /// The workspace root, which holds Cargo.lock.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where the modules are and the SBOMs go.
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// The policies, resolved together as `make wasm` builds them.
        #[arg(required = true)]
        policies: Vec<String>,
    },
    /// Pull a policy from an OCI registry, checking its layer against the manifest's digest.
    Pull {
        #[arg(long)]
        insecure: bool,
        #[arg(short, long)]
        output: PathBuf,
        /// registry://host/path:tag or registry://host/path@sha256:...
        reference: String,
    },
    /// Write the Artifact Hub repository of every policy (artifacthub/).
    Artifacthub {
        /// The repository root, which holds policies/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(short, long, default_value = "artifacthub")]
        output: PathBuf,
        /// Only report files that are missing or out of date; exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Run the bundle's policies over manifests (files, directories, `-` for stdin) as the API
    /// server and policy-server would on CREATE; exit 1 if any object is rejected, 2 on an input
    /// error.
    Scan {
        /// Manifest files or directories (*.yaml, *.yml, *.json, recursively); `-` reads stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The bundle of modules to apply (default dist/); with --policies, registry modules of
        /// the same name and version are taken from it instead of pulled.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// A policy module (file or registry:// reference), with its metadata's rules and
        /// default settings; repeatable.
        #[arg(long = "policy")]
        policy: Vec<String>,
        /// ClusterAdmissionPolicy, AdmissionPolicy and policy-group manifests (file or
        /// directory): the scan uses their modules, settings, rules and selectors; repeatable.
        #[arg(long = "policies")]
        policies: Vec<PathBuf>,
        /// Objects already in the cluster (`kubectl get -A -o yaml`), for context-aware
        /// policies; repeatable.
        #[arg(long)]
        cluster: Vec<PathBuf>,
        /// The namespace of namespaced objects that name none.
        #[arg(short, long, default_value = "default")]
        namespace: String,
        /// The user the requests come from (default: kubernetes-admin in system:masters).
        #[arg(long)]
        user: Option<String>,
        /// A group of that user; repeatable (default: system:authenticated).
        #[arg(long = "group")]
        group: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = ScanFormat::Text)]
        output: ScanFormat,
        /// Exit 0 even when objects are rejected (input errors still exit 2).
        #[arg(long)]
        warn_only: bool,
        /// Plain HTTP for registry:// references on this machine.
        #[arg(long)]
        insecure: bool,
        /// Parallel evaluations (default: the available cores).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// No progress bar, even on a terminal.
        #[arg(long)]
        no_progress: bool,
    },
    /// Write the cluster manifests of every policy and policy group (deploy/).
    Manifests {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(short, long, default_value = "deploy")]
        output: PathBuf,
        /// host/path the policies are pushed to (`make push REGISTRY=`); by default the
        /// repository of each policy's io.kubewarden.policy.ociUrl.
        #[arg(long)]
        registry: Option<String>,
        /// The policy groups to write.
        #[arg(long, default_value = "policy-groups.yml")]
        groups: PathBuf,
        #[arg(long)]
        check: bool,
    },
}

/// What `sign` and `verify` work on.
#[derive(clap::Args)]
struct SignatureTarget {
    /// The policy's attached SBOM instead of the policy.
    #[arg(long, value_enum)]
    attachment: Option<AttachmentKind>,
    /// Plain HTTP: only for a registry on this machine.
    #[arg(long)]
    insecure: bool,
    /// registry://host/path:tag or registry://host/path@sha256:...
    reference: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum AttachmentKind {
    Sbom,
}

impl From<AttachmentKind> for Attachment {
    fn from(kind: AttachmentKind) -> Attachment {
        match kind {
            AttachmentKind::Sbom => Attachment::Sbom,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum PushFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScanFormat {
    Text,
    Json,
    Sarif,
    Junit,
    Policyreport,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Yaml,
    Json,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run {
            settings_json,
            settings_path,
            cluster,
            request_path,
            timeout,
            verbose,
            policy,
        } => {
            let settings = read_settings(settings_json.as_deref(), settings_path.as_deref())?;
            let request = read_request_file(&request_path)?;
            let bytes = std::fs::read(&policy)
                .with_context(|| format!("cannot read {}", policy.display()))?;
            let mut host = PolicyHost::with_deadline(&bytes, Duration::from_secs(timeout.max(1)))?;
            host.set_verbose(verbose);
            if let Some(path) = cluster {
                host.set_cluster(Cluster::from_file(&path)?);
            }
            if let Err(message) = host.validate_settings(&settings)? {
                eprintln!("Provided settings are not valid: {message}");
                return Ok(ExitCode::FAILURE);
            }
            let outcome = host.validate(&request, &settings);
            let response = AdmissionResponse::from_guest(&request, outcome);
            println!("{}", serde_json::to_string(&response)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            policy,
            quiet,
            scenarios,
        } => {
            let mut host = PolicyHost::from_file(&policy)?;
            let tally = if quiet {
                let mut buffer = Vec::new();
                let tally = scenario::check(&mut host, &scenarios, &mut buffer)?;
                for line in String::from_utf8_lossy(&buffer).lines() {
                    if !line.starts_with("ok ") {
                        println!("{line}");
                    }
                }
                tally
            } else {
                scenario::check(&mut host, &scenarios, &mut std::io::stdout())?
            };
            Ok(if tally.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Annotate {
            metadata,
            usage,
            output,
            input,
        } => {
            annotate::annotate_file(&input, &metadata, usage.as_deref(), &output)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { output, policy } => {
            let bytes = std::fs::read(&policy)
                .with_context(|| format!("cannot read {}", policy.display()))?;
            let Some(metadata) = Metadata::from_wasm(&bytes)? else {
                bail!(
                    "{} has no embedded metadata: annotate it first",
                    policy.display()
                );
            };
            match output {
                Format::Text => print!("{}", inspect::render(&metadata)),
                Format::Yaml => print!("{}", serde_yaml::to_string(&metadata)?),
                Format::Json => println!("{}", serde_json::to_string_pretty(&metadata)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Push {
            force,
            insecure,
            output,
            sbom,
            key,
            annotation,
            policy,
            reference,
        } => {
            let module = std::fs::read(&policy)
                .with_context(|| format!("cannot read {}", policy.display()))?;
            if force && netsec_runner::metadata::Metadata::from_wasm(&module)?.is_none() {
                eprintln!("Warning: pushing a non-annotated policy!");
            }
            // Everything that can fail locally (the SBOM file, the key and its password) fails
            // before anything is pushed.
            let sbom = sbom
                .map(|path| {
                    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
                })
                .transpose()?;
            let signer = key.map(|key| load_signer(&key, &annotation)).transpose()?;
            let transport = Transport { insecure };
            let pushed = oci::push(&module, &reference, force, transport)?;
            let extras = if sbom.is_some() || signer.is_some() {
                registry::attach_and_sign(&pushed, sbom.as_deref(), signer.as_ref(), transport)
                    .with_context(|| {
                        if signer.is_some() {
                            format!("{pushed} was pushed, but is not signed (push it again)")
                        } else {
                            format!("{pushed} was pushed without its SBOM (push it again)")
                        }
                    })?
            } else {
                registry::Extras::default()
            };
            match output {
                PushFormat::Text => {
                    println!("Policy successfully pushed: {pushed}");
                    if let Some(sbom) = &extras.sbom {
                        println!("SBOM attached: {sbom}");
                    }
                    for signature in &extras.signatures {
                        println!("Signature pushed: {signature}");
                    }
                }
                PushFormat::Json => {
                    let mut out = serde_json::json!({ "immutable_ref": pushed });
                    if let Some(sbom) = &extras.sbom {
                        out["sbom"] = sbom.as_str().into();
                    }
                    if !extras.signatures.is_empty() {
                        out["signatures"] = extras.signatures.clone().into();
                    }
                    println!("{out}")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { output } => {
            let private = output.join("cosign.key");
            let public = output.join("cosign.pub");
            for path in [&private, &public] {
                if path.exists() {
                    bail!(
                        "{} already exists: remove it, or write the new pair elsewhere with -o",
                        path.display()
                    );
                }
            }
            let password = keys::password(true)?;
            let key = keys::generate()?;
            let private_pem = keys::encrypt_private_key(&key, &password)?;
            let public_pem = keys::public_key_pem(key.verifying_key())?;
            std::fs::create_dir_all(&output)
                .with_context(|| format!("cannot create {}", output.display()))?;
            write_private(&private, private_pem.as_bytes())?;
            std::fs::write(&public, public_pem)
                .with_context(|| format!("cannot write {}", public.display()))?;
            println!("Private key written to {}", private.display());
            println!("Public key written to {}", public.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign {
            key,
            annotation,
            target,
        } => {
            let signer = load_signer(&key, &annotation)?;
            let (signed, signature) = registry::sign(
                &target.reference,
                target.attachment.map(Into::into),
                &signer,
                Transport {
                    insecure: target.insecure,
                },
            )?;
            println!("Signed {signed}: {signature}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            key,
            annotation,
            target,
        } => {
            let text =
                std::fs::read(&key).with_context(|| format!("cannot read {}", key.display()))?;
            let key_name = key.display().to_string();
            let expect = registry::Expectation {
                key: keys::parse_public_key(&text, &key_name)?,
                key_name,
                annotations: payload::parse_annotations(&annotation)?,
            };
            let verified = registry::verify(
                &target.reference,
                target.attachment.map(Into::into),
                &expect,
                Transport {
                    insecure: target.insecure,
                },
            )?;
            println!(
                "Policy successfully verified: {} (signature in {})",
                verified.reference, verified.signature
            );
            if !verified.annotations.is_empty() {
                println!(
                    "Annotations: {}",
                    serde_json::to_string(&verified.annotations)?
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sbom {
            root,
            dist,
            policies,
        } => {
            let written = sbom::write_all(&root, &dist, &policies)?;
            println!("{} SBOMs written: {}", written.len(), written.join(", "));
            Ok(ExitCode::SUCCESS)
        }
        Command::Pull {
            insecure,
            output,
            reference,
        } => {
            let pulled = oci::pull(&reference, Transport { insecure })?;
            std::fs::write(&output, &pulled.module)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "Policy successfully pulled: {} to {}",
                pulled.immutable_reference,
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Artifacthub {
            root,
            output,
            check,
        } => {
            let policies = bundle::load_all(&root)?;
            let out = root.join(&output);
            let files = artifacthub::generate(&policies, &out)?;
            // Earlier versions' packages stay: Artifact Hub lists every version.
            finish(&out, &files, check, false)
        }
        Command::Scan {
            paths,
            bundle,
            policy,
            policies,
            cluster,
            namespace,
            user,
            group,
            output,
            warn_only,
            insecure,
            jobs,
            no_progress,
        } => {
            use netsec_runner::scan::command::{self as scan, Format as F};
            let options = netsec_runner::scan::Options {
                bundle,
                policy,
                policies,
                cluster,
                namespace,
                user,
                groups: group,
                insecure,
                jobs,
            };
            let format = match output {
                ScanFormat::Text => F::Text,
                ScanFormat::Json => F::Json,
                ScanFormat::Sarif => F::Sarif,
                ScanFormat::Junit => F::Junit,
                ScanFormat::Policyreport => F::Policyreport,
            };
            let code = scan::main(&paths, &options, format, warn_only, !no_progress);
            Ok(ExitCode::from(code))
        }
        Command::Manifests {
            root,
            output,
            registry,
            groups,
            check,
        } => {
            let policies = bundle::load_all(&root)?;
            let groups = GroupsFile::load(&root.join(groups))?;
            let files = manifests::generate(&policies, &groups, registry.as_deref())?;
            finish(&root.join(&output), &files, check, true)
        }
    }
}

/// Writes generated files (and, for a directory that only holds generated files, removes the
/// others), or with `check` reports how the directory differs.
fn finish(dir: &Path, files: &[Generated], check: bool, exclusive: bool) -> Result<ExitCode> {
    if check {
        let differences = bundle::differences(dir, files, exclusive)?;
        for line in &differences {
            println!("{line}");
        }
        return Ok(if differences.is_empty() {
            ExitCode::SUCCESS
        } else {
            println!("run `make artifacthub manifests` and commit the result");
            ExitCode::FAILURE
        });
    }
    if exclusive {
        bundle::remove_stale(dir, files)?;
    }
    bundle::write_all(dir, files)?;
    println!("{}: {} files", dir.display(), files.len());
    Ok(ExitCode::SUCCESS)
}

/// A private key and the annotations its signatures carry; asks for the password.
fn load_signer(key: &Path, annotations: &[String]) -> Result<registry::Signer> {
    let annotations = payload::parse_annotations(annotations)?;
    let text = std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?;
    let password = keys::password(false)?;
    Ok(registry::Signer {
        key: keys::decrypt_private_key(&text, &password, &key.display().to_string())?,
        annotations,
    })
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn read_settings(json: Option<&str>, path: Option<&Path>) -> Result<Value> {
    let settings: Value = match (json, path) {
        (Some(text), _) => {
            serde_json::from_str(text).context("--settings-json is not valid JSON")?
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_yaml::from_str(&text)
                .with_context(|| format!("{} is not valid YAML or JSON", path.display()))?
        }
        (None, None) => Value::Object(Default::default()),
    };
    Ok(match settings {
        Value::Null => Value::Object(Default::default()),
        other => other,
    })
}
