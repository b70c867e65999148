//! One policy on one benchmark input in a loop, for a profiler or a quick comparison of builds:
//!
//! ```text
//! cargo run --profile bench -p netsec-bench --example profile -- native mesh-injection typical
//! cargo run --profile bench -p netsec-bench --example profile -- wasm mesh-injection typical [module.wasm]
//! ```
//!
//! `wasm` uses `dist/<policy>.wasm` unless a module is named; run it under `perf record` with
//! `NETSEC_PERFMAP=1` to see the guest's functions. With `NETSEC_PROFILE_REQUESTS=N` it answers
//! exactly N requests and stops, for `valgrind --tool=callgrind`, whose instruction counts do not
//! depend on the machine's load: (count at N=101 - count at N=1) / 100 is one request's cost.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use netsec_bench::{inputs, native, root};
use netsec_runner::PolicyHost;
use netsec_runner::cluster::Cluster;
use netsec_shared::cluster::MemoryCluster;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, policy, name, rest @ ..] = args.as_slice() else {
        panic!("usage: profile native|wasm <policy> <input> [module.wasm]");
    };
    let input = inputs::all()
        .into_iter()
        .find(|i| i.policy == policy && &i.name == name)
        .expect("a benchmark input of bench/src/inputs.rs");
    let mut run: Box<dyn FnMut() -> usize> = match mode.as_str() {
        "native" => {
            let entry = native::entry(policy).expect("a policy");
            let cluster = MemoryCluster::new(input.cluster.clone());
            let payload = input.payload.clone();
            Box::new(move || entry(std::hint::black_box(&payload), &cluster).len())
        }
        "wasm" => {
            let module = rest
                .first()
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join("dist").join(format!("{policy}.wasm")));
            let mut host = PolicyHost::from_file(&module).expect("a policy module");
            host.set_cluster(Cluster::new(input.cluster.clone()).expect("cluster objects"));
            host.record_lookups(false);
            let payload = input.payload.clone();
            Box::new(move || {
                let response = host.validate_payload(std::hint::black_box(&payload));
                response.expect("an answer").message.map_or(0, |m| m.len())
            })
        }
        _ => panic!("the mode is native or wasm"),
    };
    // A fixed count of requests, for an instruction counter (`valgrind --tool=callgrind`): the
    // difference between two counts divided by the difference of requests is the cost of one,
    // whatever else the machine is doing.
    if let Some(count) = std::env::var("NETSEC_PROFILE_REQUESTS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        let answered: usize = (0..count).map(|_| run()).sum();
        println!("{mode} {policy} {name}: {count} requests ({answered} bytes of messages)");
        return;
    }
    // Rounds of about 30 ms; the fastest round is the least disturbed by the machine's noise.
    let start = Instant::now();
    let mut once = 0;
    while start.elapsed() < Duration::from_millis(200) {
        run();
        once += 1;
    }
    let per_round = (once * 30 / 200).max(1);
    let mut rounds: Vec<Duration> = (0..31)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                run();
            }
            t.elapsed() / per_round as u32
        })
        .collect();
    rounds.sort();
    println!(
        "{mode} {policy} {name} ({:.1} KB): {:.2?} fastest, {:.2?} median per request",
        input.kb(),
        rounds[0],
        rounds[15]
    );
}
