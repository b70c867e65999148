//! `netsec scan` throughput: 10,000 objects (the example application's Deployments, Services,
//! HPAs, NetworkPolicies, Ingresses, Gateways and HTTPRoutes, passing and failing, spread over
//! 50 namespaces and 100 files) through the seven policies of dist/, on every available core.
//! Budget (issue 19): under 10 s on the team's 2-core machine. Each iteration is a whole scan:
//! loading and checking the policies, the context pass and the evaluation pass over the files;
//! wasmtime's compiled modules are cached in the process, so only the first iteration compiles.
//!
//! `cargo bench -p netsec-bench --bench scan` (needs dist/: `make dist`).

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use netsec_bench::{root, target_dir};
use netsec_runner::scan::{self, Options, Prepared, input};

const OBJECTS: usize = 10_000;
const FILES: usize = 100;

/// Writes the objects, in files of `OBJECTS / FILES` documents each.
fn write_inputs(dir: &std::path::Path) {
    let mut templates = Vec::new();
    for variant in ["passing", "failing"] {
        let (sources, _) = input::sources(&[root().join("examples/shop").join(variant)], || {
            Ok(String::new())
        });
        for source in &sources {
            input::read(source, &mut |event| {
                if let input::Event::Object(doc) = event
                    && doc.object["kind"] != "Namespace"
                {
                    templates.push(doc.object);
                }
            });
        }
    }
    assert!(!templates.is_empty(), "examples/shop holds the application");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let per_file = OBJECTS / FILES;
    for f in 0..FILES {
        let mut text = String::new();
        for i in 0..per_file {
            let n = f * per_file + i;
            let mut object = templates[n % templates.len()].clone();
            let ns = format!("team-{}", n % 50);
            object["metadata"]["namespace"] = ns.clone().into();
            let name = format!("{}-{n}", object["metadata"]["name"].as_str().unwrap_or("x"));
            object["metadata"]["name"] = name.into();
            text.push_str("---\n");
            text.push_str(&serde_yaml::to_string(&object).unwrap());
        }
        std::fs::write(dir.join(format!("app-{f:03}.yaml")), text).unwrap();
    }
}

fn main() {
    let dir = target_dir().join("bench/scan-input");
    write_inputs(&dir);
    let options = Options {
        bundle: Some(root().join("dist")),
        namespace: "default".into(),
        ..Options::default()
    };
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let paths: Vec<PathBuf> = vec![dir.clone()];
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(60))
        .output_directory(&target_dir().join("criterion"))
        .configure_from_args();
    let mut group = criterion.benchmark_group("scan");
    group.throughput(Throughput::Elements(OBJECTS as u64));
    group.bench_function(format!("{OBJECTS} objects, 7 policies, {jobs} jobs"), |b| {
        b.iter(|| {
            let policies = scan::load_policies(&options).expect("run `make dist` first");
            let (sources, errors) = input::sources(&paths, || Ok(String::new()));
            let (prepared, count) = Prepared::new(policies, &options, &sources).unwrap();
            assert_eq!(count, OBJECTS);
            let report = scan::run(&prepared, &sources, errors, jobs, &|| {});
            assert_eq!(report.objects.len(), OBJECTS);
            report.tally()
        })
    });
    group.finish();
    criterion.final_summary();
}
