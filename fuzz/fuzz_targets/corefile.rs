#![no_main]
// The Corefile parser on arbitrary text, both as a whole Corefile and as the plugin lines of an
// `.override`/`.server` file; the rewrite rules of what parses; and the same text as a hosts
// file (k3s's NodeHosts), which a `hosts` plugin reads from the ConfigMap.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = coredns_config::corefile::tokenize(text);
    let _ = coredns_config::hostsfile::parse(text);
    let _ = coredns_config::corefile::parse(text);
    if let Ok(file) = coredns_config::corefile::parse_directives(text) {
        for block in &file.blocks {
            for d in &block.directives {
                let _ = coredns_config::rewrite::parse_rule(d);
            }
        }
    }
});
