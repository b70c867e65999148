//! The summary table: one row per policy and input, from criterion's estimates.

use std::fmt::Write as _;
use std::path::Path;

/// Budget of ARCHITECTURE.md section 7, on typical objects.
pub const GUEST_US_PER_KB: f64 = 5.0;
pub const WASM_NATIVE_RATIO: f64 = 3.0;
pub const MODULE_KB: f64 = 300.0;

/// What the benchmark ran for one input.
pub struct Row {
    pub policy: &'static str,
    pub input: String,
    pub series: Option<&'static str>,
    /// The request's JSON size in KB.
    pub kb: f64,
    pub accepted: bool,
    /// criterion's group id.
    pub group: String,
    pub module_bytes: u64,
}

/// The median of one benchmark function, in µs, if it ran.
fn median_us(criterion: &Path, group: &str, function: &str) -> Option<f64> {
    let file = criterion
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(file).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(estimates["median"]["point_estimate"].as_f64()? / 1000.0)
}

struct Measured {
    wasm: f64,
    native: f64,
    floor: f64,
}

impl Measured {
    fn guest(&self) -> f64 {
        (self.wasm - self.floor).max(0.0)
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
        "| policy | input | request KB | verdict | wasm µs | native µs | floor µs | guest µs | guest µs/KB | guest/native | growth (guest, size) | module KB | budget |"
    );
    let _ = writeln!(out, "|---|---|--:|---|--:|--:|--:|--:|--:|--:|---|--:|---|");
    let mut previous: Option<(&Row, f64)> = None;
    for row in rows {
        let measured = (|| {
            Some(Measured {
                wasm: median_us(criterion, &row.group, "wasm")?,
                native: median_us(criterion, &row.group, "native")?,
                floor: median_us(criterion, &row.group, "floor")?,
            })
        })();
        let Some(m) = measured else {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | not run |||||||||",
                row.policy, row.input, row.kb
            );
            continue;
        };
        let guest = m.guest();
        let per_kb = guest / row.kb;
        let ratio = guest / m.native;
        let module_kb = row.module_bytes as f64 / 1024.0;
        let growth = match previous {
            Some((prev, prev_guest))
                if prev.series.is_some()
                    && prev.series == row.series
                    && prev.policy == row.policy =>
            {
                format!("×{:.1}, ×{:.1}", guest / prev_guest, row.kb / prev.kb)
            }
            _ => String::new(),
        };
        let budget = if row.input == "typical" {
            let misses: Vec<&str> = [
                (per_kb > GUEST_US_PER_KB, "µs/KB"),
                (ratio >= WASM_NATIVE_RATIO, "ratio"),
                (module_kb >= MODULE_KB, "size"),
            ]
            .into_iter()
            .filter_map(|(miss, what)| miss.then_some(what))
            .collect();
            if misses.is_empty() {
                "within".to_string()
            } else {
                format!("misses {}", misses.join(", "))
            }
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {:.0} | {} |",
            row.policy,
            row.input,
            row.kb,
            if row.accepted { "accept" } else { "reject" },
            m.wasm,
            m.native,
            m.floor,
            guest,
            per_kb,
            ratio,
            growth,
            module_kb,
            budget
        );
        previous = Some((row, guest));
    }
    let _ = writeln!(
        out,
        "\nMedians of criterion runs. floor: the no-op guest ({:.0} KB) on the same request; guest = wasm - floor; \
         guest/native compares the guest's work with the same `validate` natively; growth: guest-time and \
         request-size factors from the previous size (linear when they match). Budget on typical objects: \
         ≤ {GUEST_US_PER_KB} µs/KB, guest/native < {WASM_NATIVE_RATIO}, module < {MODULE_KB} KB.",
        floor_bytes as f64 / 1024.0
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, &out)?;
    Ok(out)
}
