//! `netsec scan` from the command line: read, evaluate, report, exit status.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::{Options, Prepared, input, junit, policyreport, report, sarif};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Policyreport,
}

/// Runs a scan and writes its report on stdout; returns the exit status (0, 1 or 2).
pub fn main(
    paths: &[PathBuf],
    options: &Options,
    format: Format,
    warn_only: bool,
    progress: bool,
) -> u8 {
    match scan(paths, options, format, warn_only, progress) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            2
        }
    }
}

fn scan(
    paths: &[PathBuf],
    options: &Options,
    format: Format,
    warn_only: bool,
    progress: bool,
) -> anyhow::Result<u8> {
    let policies = super::load_policies(options)?;
    let (sources, errors) =
        input::sources(paths, || std::io::read_to_string(std::io::stdin().lock()));
    let (prepared, count) = Prepared::new(policies, options, &sources)?;
    let jobs = options.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let bar = (progress && std::io::stderr().is_terminal() && count > 0).then(|| {
        let bar = indicatif::ProgressBar::new(count as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} scanning {pos}/{len} objects [{bar:30}] {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let report = super::run(&prepared, &sources, errors, jobs, &tick);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Text => report::text(&report, &mut out)?,
        Format::Json => report::json(&report, &mut out)?,
        Format::Sarif => sarif::write(&report, &mut out)?,
        Format::Junit => junit::write(&report, &mut out)?,
        Format::Policyreport => policyreport::write(&report, timestamp(), &mut out)?,
    }
    out.flush()?;
    Ok(super::exit_code(&report, warn_only))
}

/// Now, or `SOURCE_DATE_EPOCH` when set, so that reports can be reproduced.
fn timestamp() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp())
}
