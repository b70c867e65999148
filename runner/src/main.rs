//! The `netsec` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use netsec_runner::admission::{AdmissionResponse, read_request_file};
use netsec_runner::cluster::Cluster;
use netsec_runner::host::{DEFAULT_DEADLINE, PolicyHost};
use netsec_runner::metadata::Metadata;
use netsec_runner::{annotate, inspect, scenario};

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
    }
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
