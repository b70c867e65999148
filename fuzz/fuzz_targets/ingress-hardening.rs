#![no_main]
// The policy on the whole payload, and the nginx tokenizer it reads annotation values with on
// the bytes as text, in each of the ways a value is read.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let verdict = netsec_fuzz::netsec_shared::guest::verdict::<
        ingress_hardening::Settings,
        ingress_hardening::Views,
        _,
    >(data, ingress_hardening::evaluate);
    netsec_fuzz::check(verdict);
    let _ = netsec_fuzz::netsec_shared::guest::validate_settings::<ingress_hardening::Settings>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = netsec_fuzz::netsec_shared::nginx::statements(text);
        for token in netsec_fuzz::netsec_shared::nginx::tokens(text) {
            let _ = token;
        }
        use ingress_hardening::directives::{Reading, read};
        for reading in [Reading::Snippet, Reading::ModSecurity, Reading::Value] {
            let _ = read(text, reading);
        }
    }
});
