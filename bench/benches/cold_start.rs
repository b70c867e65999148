//! Cold start: the time wasmtime takes to compile each policy module, as policy-server does for
//! every module when it starts and again on each policy update (ARCHITECTURE.md section 7). Ends
//! with `target/bench/cold-start.md`.

use std::fmt::Write as _;
use std::time::Duration;

use criterion::Criterion;
use netsec_bench::summary::{fastest_us, median_us};
use netsec_bench::{root, target_dir};

/// Budget of issue 21 for one module's compilation.
const COLD_START_MS: f64 = 50.0;

fn main() {
    let out = target_dir().join("criterion");
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3))
        .output_directory(&out)
        .configure_from_args();

    let mut policies: Vec<String> = std::fs::read_dir(root().join("policies"))
        .expect("policies/")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            root()
                .join("policies")
                .join(name)
                .join("Cargo.toml")
                .is_file()
        })
        .collect();
    policies.sort();
    let mut group = criterion.benchmark_group("cold-start");
    for policy in &policies {
        let module = root().join("dist").join(format!("{policy}.wasm"));
        let bytes = std::fs::read(&module).expect("run `make bench`: it builds dist/");
        netsec_runner::host::compile_cold(&bytes).expect("the module compiles");
        group.bench_function(policy.as_str(), |b| {
            b.iter(|| netsec_runner::host::compile_cold(std::hint::black_box(&bytes)).unwrap())
        });
    }
    group.finish();
    criterion.final_summary();

    let mut table = String::from(
        "| policy | module KB | compile ms (median) | compile ms (fastest) | budget |\n|---|--:|--:|--:|---|\n",
    );
    for policy in &policies {
        let kb = std::fs::metadata(root().join("dist").join(format!("{policy}.wasm")))
            .map_or(0.0, |m| m.len() as f64 / 1024.0);
        let (median, fastest) = (
            median_us(&out, "cold-start", policy),
            fastest_us(&out, "cold-start", policy),
        );
        let ms = |us: Option<f64>| us.map_or("not run".into(), |us| format!("{:.1}", us / 1000.0));
        let verdict = match fastest {
            Some(us) if us / 1000.0 <= COLD_START_MS => "within",
            Some(_) => "misses",
            None => "",
        };
        let _ = writeln!(
            table,
            "| {policy} | {kb:.0} | {} | {} | {verdict} |",
            ms(median),
            ms(fastest)
        );
    }
    let _ = writeln!(
        table,
        "\nwasmtime's compilation of each module (cranelift, the host's engine configuration), cache \
         bypassed; budget ≤ {COLD_START_MS} ms per module."
    );
    let path = target_dir().join("bench/cold-start.md");
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("target/bench");
    std::fs::write(&path, &table).expect("the table is written");
    println!("\n{table}\nwritten to {}", path.display());
}
