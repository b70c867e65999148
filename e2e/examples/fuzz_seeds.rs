//! Writes the fuzz targets' seed corpora from the scenario tables: every case's `validate`
//! payload into `fuzz/corpus/<policy>/`, and every Corefile text of coredns-config's cases into
//! `fuzz/corpus/corefile/`. `make fuzz` runs it before fuzzing.

use std::path::Path;

use netsec_e2e::{policies, root, samples};

fn write(dir: &Path, name: String, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("the corpus directory can be created");
    std::fs::write(dir.join(name), bytes).expect("the seed can be written");
}

fn main() {
    let corpus = root().join("fuzz/corpus");
    let mut total = 0;
    for policy in policies() {
        for (i, sample) in samples(&policy).iter().enumerate() {
            write(
                &corpus.join(&policy),
                format!("seed-{i}.json"),
                &sample.payload(),
            );
            total += 1;
            let data = sample.request["object"]["data"].as_object();
            for (key, text) in data.into_iter().flatten() {
                if let Some(text) = text.as_str() {
                    write(
                        &corpus.join("corefile"),
                        format!("seed-{i}-{key}"),
                        text.as_bytes(),
                    );
                    total += 1;
                }
            }
        }
    }
    println!("wrote {total} seeds under {}", corpus.display());
}
