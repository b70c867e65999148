#![no_main]
// Calico's selector parser on arbitrary text: no panic, and what parses prints to a selector
// that parses again.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(selector) = netsec_shared::calico::Selector::parse(text) {
        let printed = selector.to_string();
        assert!(
            netsec_shared::calico::Selector::parse(&printed).is_ok(),
            "{text:?} printed as {printed:?}, which does not parse"
        );
    }
});
