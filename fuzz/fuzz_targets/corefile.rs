#![no_main]
// The Corefile parser on arbitrary text, both as a whole Corefile and as the plugin lines of an
// `.override`/`.server` file.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = coredns_config::corefile::parse(text);
    let _ = coredns_config::corefile::parse_directives(text);
    let _ = coredns_config::corefile::tokenize(text);
});
