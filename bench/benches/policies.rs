//! `make bench`: every policy on its benchmark inputs, through its module with a warm instance
//! (as policy-server reuses instances), natively, and the no-op floor module on the same
//! request; then the summary table in `target/bench/summary.md`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use netsec_bench::summary::{self, Row};
use netsec_bench::{inputs, native, root, target_dir};
use netsec_runner::PolicyHost;
use netsec_runner::cluster::Cluster;
use netsec_runner::host::GuestResponse;
use netsec_shared::cluster::MemoryCluster;

fn main() {
    let noop_path = std::env::var_os("NETSEC_NOOP_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("wasm-opt/netsec-noop.wasm"));
    let mut floor =
        PolicyHost::from_file(&noop_path).expect("run `make bench`: it builds the no-op module");
    let out = target_dir().join("criterion");
    let mut criterion = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .output_directory(&out)
        .configure_from_args();

    let mut rows = Vec::new();
    for input in inputs::all() {
        let module = root().join("dist").join(format!("{}.wasm", input.policy));
        let mut host = PolicyHost::from_file(&module).expect("run `make bench`: it builds dist/");
        host.set_cluster(
            Cluster::new(input.cluster.clone()).expect("the cluster objects are well-formed"),
        );
        let entry = native::entry(input.policy)
            .unwrap_or_else(|| panic!("{}: add it to bench/src/native.rs", input.policy));
        let cluster = MemoryCluster::new(input.cluster.clone());

        // Both sides must decide the same, or the comparison means nothing.
        let wasm = host
            .validate_payload(&input.payload)
            .expect("the module answers");
        let listed: usize = host.take_lookups().iter().map(|l| l.answer_bytes).sum();
        // Known now; noting every read of every iteration would time the host's bookkeeping.
        host.record_lookups(false);
        let native: GuestResponse =
            serde_json::from_slice(&entry(&input.payload, &cluster)).expect("a response");
        assert_eq!(
            (wasm.accepted, &wasm.message),
            (native.accepted, &native.message),
            "{} {}: the module and the native code disagree",
            input.policy,
            input.name
        );
        assert!(
            floor
                .validate_payload(&input.payload)
                .expect("the floor answers")
                .accepted
        );

        let id = format!("{}.{}", input.policy, input.name);
        let mut group = criterion.benchmark_group(&id);
        group.throughput(Throughput::Bytes(input.payload.len() as u64));
        group.bench_function("wasm", |b| {
            b.iter(|| host.validate_payload(black_box(&input.payload)).unwrap())
        });
        group.bench_function("native", |b| {
            b.iter(|| entry(black_box(&input.payload), &cluster))
        });
        group.bench_function("floor", |b| {
            b.iter(|| floor.validate_payload(black_box(&input.payload)).unwrap())
        });
        group.finish();

        rows.push(Row {
            policy: input.policy,
            input: input.name.clone(),
            series: input.series,
            kb: input.kb(),
            listed_kb: listed as f64 / 1024.0,
            accepted: wasm.accepted,
            group: id,
            module_bytes: std::fs::metadata(&module).map(|m| m.len()).unwrap_or(0),
        });
    }
    criterion.final_summary();

    let floor_bytes = std::fs::metadata(&noop_path).map(|m| m.len()).unwrap_or(0);
    let path = target_dir().join("bench/summary.md");
    let table = summary::write(&rows, &out, floor_bytes, &path).expect("the summary is written");
    println!("\n{table}\nwritten to {}", path.display());
}
