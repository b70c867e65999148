//! The summary table: one row per policy and input, from criterion's estimates.

use std::fmt::Write as _;
use std::path::Path;

/// Budget of ARCHITECTURE.md section 7, on typical objects.
pub const GUEST_US_PER_KB: f64 = 5.0;
pub const WASM_NATIVE_RATIO: f64 = 3.0;
pub const MODULE_KB: f64 = 300.0;
/// Issue 21's target for the cost of listed objects, per KB of their JSON.
pub const LISTED_US_PER_KB: f64 = 2.0;
/// Issue 21's targets on typical objects: at most these, the module in KiB as annotated.
pub const TARGET_US_PER_KB: f64 = 3.0;
pub const TARGET_RATIO: f64 = 2.5;
pub const TARGET_MODULE_KB: f64 = 256.0;

/// What the benchmark ran for one input.
pub struct Row {
    pub policy: &'static str,
    pub input: String,
    pub series: Option<&'static str>,
    /// The request's JSON size in KB.
    pub kb: f64,
    /// The JSON the host answered the policy's Kubernetes reads with, in KB: a context-aware
    /// policy reads it as it reads its request, so the budget counts it as input.
    pub listed_kb: f64,
    pub accepted: bool,
    /// criterion's group id.
    pub group: String,
    pub module_bytes: u64,
}

/// One of criterion's files for a benchmark function, if it ran.
fn read(criterion: &Path, group: &str, function: &str, file: &str) -> Option<serde_json::Value> {
    let path = criterion.join(group).join(function).join("new").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The median time of one benchmark function, in µs.
pub fn median_us(criterion: &Path, group: &str, function: &str) -> Option<f64> {
    let estimates = read(criterion, group, function, "estimates.json")?;
    Some(estimates["median"]["point_estimate"].as_f64()? / 1000.0)
}

/// The time per iteration of its fastest sample, in µs: on a shared machine noise only ever
/// adds time, so this is the least disturbed measure of what the code costs.
pub fn fastest_us(criterion: &Path, group: &str, function: &str) -> Option<f64> {
    let sample = read(criterion, group, function, "sample.json")?;
    let (iters, times) = (sample["iters"].as_array()?, sample["times"].as_array()?);
    iters
        .iter()
        .zip(times)
        .filter_map(|(n, t)| Some(t.as_f64()? / n.as_f64()?))
        .min_by(f64::total_cmp)
        .map(|ns| ns / 1000.0)
}

impl Row {
    /// What the guest reads, in KB: its request and the answers to its Kubernetes reads.
    pub fn input_kb(&self) -> f64 {
        self.kb + self.listed_kb
    }
}

/// Times of one input, in µs.
#[derive(Clone, Copy)]
struct Measured {
    wasm: f64,
    native: f64,
    floor: f64,
    /// Guest time from the fastest samples of the module and the floor.
    fastest_guest: f64,
}

impl Measured {
    fn read(criterion: &Path, group: &str) -> Option<Measured> {
        let fastest = |function| fastest_us(criterion, group, function);
        Some(Measured {
            wasm: median_us(criterion, group, "wasm")?,
            native: median_us(criterion, group, "native")?,
            floor: median_us(criterion, group, "floor")?,
            fastest_guest: (fastest("wasm")? - fastest("floor")?).max(0.0),
        })
    }

    fn guest(&self) -> f64 {
        (self.wasm - self.floor).max(0.0)
    }
}

/// "within" when no check misses, else which miss.
fn verdict<const N: usize>(checks: [(bool, &str); N]) -> String {
    let misses: Vec<&str> = checks
        .into_iter()
        .filter_map(|(miss, what)| miss.then_some(what))
        .collect();
    if misses.is_empty() {
        "within".to_string()
    } else {
        format!("misses {}", misses.join(", "))
    }
}

/// Writes the table to `path` and returns it.
pub fn write(
    rows: &[Row],
    criterion: &Path,
    floor_bytes: u64,
    path: &Path,
) -> std::io::Result<String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| policy | input | request KB | listed KB | verdict | wasm µs | native µs | floor µs | guest µs | guest µs/KB | fastest guest µs/KB | guest/native | growth (guest, size) | module KB | budget | issue 21 |"
    );
    let _ = writeln!(
        out,
        "|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|---|--:|---|---|"
    );
    // Each input's times, read once for both tables.
    let measured: Vec<Option<Measured>> = rows
        .iter()
        .map(|row| Measured::read(criterion, &row.group))
        .collect();
    let mut previous: Option<(&Row, f64)> = None;
    for (row, m) in rows.iter().zip(&measured) {
        let Some(m) = m else {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {:.1} | not run |||||||||||",
                row.policy, row.input, row.kb, row.listed_kb
            );
            continue;
        };
        let guest = m.guest();
        let per_kb = guest / row.input_kb();
        let fastest_per_kb = m.fastest_guest / row.input_kb();
        let ratio = guest / m.native;
        let module_kb = row.module_bytes as f64 / 1024.0;
        let growth = match previous {
            Some((prev, prev_guest))
                if prev.series.is_some()
                    && prev.series == row.series
                    && prev.policy == row.policy =>
            {
                format!(
                    "×{:.1}, ×{:.1}",
                    guest / prev_guest,
                    row.input_kb() / prev.input_kb()
                )
            }
            _ => String::new(),
        };
        let (budget, targets) = if row.input == "typical" {
            (
                verdict([
                    (per_kb > GUEST_US_PER_KB, "µs/KB"),
                    (
                        fastest_per_kb > GUEST_US_PER_KB,
                        "µs/KB in the fastest sample",
                    ),
                    (ratio >= WASM_NATIVE_RATIO, "ratio"),
                    (module_kb >= MODULE_KB, "size"),
                ]),
                verdict([
                    (per_kb > TARGET_US_PER_KB, "µs/KB"),
                    (
                        fastest_per_kb > TARGET_US_PER_KB,
                        "µs/KB in the fastest sample",
                    ),
                    (ratio > TARGET_RATIO, "ratio"),
                    (module_kb > TARGET_MODULE_KB, "size"),
                ]),
            )
        } else {
            (String::new(), String::new())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {} | {} |",
            row.policy,
            row.input,
            row.kb,
            row.listed_kb,
            if row.accepted { "accept" } else { "reject" },
            m.wasm,
            m.native,
            m.floor,
            guest,
            per_kb,
            fastest_per_kb,
            ratio,
            growth,
            module_kb,
            budget,
            targets
        );
        previous = Some((row, guest));
    }
    let _ = writeln!(
        out,
        "\nMedians of criterion runs, and the guest time per KB from the fastest samples (noise on a shared machine \
         only adds time; medians move by a quarter between runs here). floor: the no-op guest ({:.0} KB) on the same request; guest = wasm - floor; \
         listed KB: the JSON of the cluster's answers to the policy's Kubernetes reads, which µs/KB and growth \
         count with the request as the input; guest/native compares the guest's work with the same `validate` natively; growth: guest-time and \
         request-size factors from the previous size (linear when they match). Budget on typical objects: \
         ≤ {GUEST_US_PER_KB} µs/KB, guest/native < {WASM_NATIVE_RATIO}, module < {MODULE_KB} KB; issue 21's targets: \
         ≤ {TARGET_US_PER_KB} µs/KB, guest/native ≤ {TARGET_RATIO}, module ≤ {TARGET_MODULE_KB} KB (KiB, annotated).",
        floor_bytes as f64 / 1024.0
    );
    out.push_str(&listed_table(rows, &measured));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, &out)?;
    Ok(out)
}

/// The cost of listed objects alone, per policy: across a series that grows the cluster's
/// answers (its first and last inputs), the added guest time per added KB of listed JSON. The
/// request's own cost, the same at both ends, drops out, which the µs/KB of a row (request and
/// listing together) does not show.
fn listed_table(rows: &[Row], measured: &[Option<Measured>]) -> String {
    let mut out = String::new();
    // Each series' first and last input, with their times.
    type Input<'r> = (&'r Row, Option<Measured>);
    let mut series: Vec<(Input, Input)> = Vec::new();
    for (row, m) in rows.iter().zip(measured.iter().copied()) {
        match series.last_mut() {
            Some(((first, _), last))
                if row.series.is_some()
                    && first.series == row.series
                    && first.policy == row.policy =>
            {
                *last = (row, m)
            }
            _ if row.series.is_some() => series.push(((row, m), (row, m))),
            _ => {}
        }
    }
    for ((first, a), (last, b)) in series {
        let added_kb = last.listed_kb - first.listed_kb;
        if added_kb < 1.0 {
            continue;
        }
        let (Some(a), Some(b)) = (a, b) else {
            continue;
        };
        if out.is_empty() {
            out.push_str(
                "\n| policy | series | listed KB | guest µs per listed KB | fastest | target |\n|---|---|--:|--:|--:|---|\n",
            );
        }
        let per_kb = (b.guest() - a.guest()) / added_kb;
        let fastest = (b.fastest_guest - a.fastest_guest) / added_kb;
        let _ = writeln!(
            out,
            "| {} | {} → {} | {:.1} → {:.1} | {:.2} | {:.2} | {} |",
            first.policy,
            first.input,
            last.input,
            first.listed_kb,
            last.listed_kb,
            per_kb,
            fastest,
            if fastest <= LISTED_US_PER_KB {
                "within"
            } else {
                "misses"
            }
        );
    }
    if !out.is_empty() {
        let _ = writeln!(
            out,
            "\nListed objects: the guest time the larger answer adds, per KB of JSON it adds \
             (first and last input of a series that grows the cluster's answers); target ≤ \
             {LISTED_US_PER_KB} µs per listed KB (issue 21)."
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::verdict;

    #[test]
    fn verdicts_name_what_misses() {
        assert_eq!(verdict([(false, "µs/KB"), (false, "size")]), "within");
        assert_eq!(
            verdict([(true, "µs/KB"), (false, "ratio"), (true, "size")]),
            "misses µs/KB, size"
        );
    }
}
