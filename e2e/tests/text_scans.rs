//! The modules scan JSON strings and check UTF-8 sixteen bytes at a time with wasm's SIMD
//! (`shared/src/json/syntax.rs`, `shared/src/mem.rs`), code that only the wasm build compiles:
//! here a quote, a backslash, an escape, a control character or a character outside ASCII sits
//! at every offset around the 16-byte steps, in a module's settings, and what the module read
//! must be what serde_json reads from the same text.

use netsec_e2e::dist_module;
use netsec_runner::PolicyHost;
use serde_json::{Value, json};

/// ingress-tls's `allowHostlessRules` is a boolean: the module's message quotes the string it
/// was given instead, as serde quotes it (`invalid type: string "…"`), so the decoded text shows.
fn settings_message(host: &mut PolicyHost, settings_text: &[u8]) -> String {
    let mut payload = br#"{"request":{"uid":"1","kind":{"group":"networking.k8s.io","version":"v1","kind":"Ingress"},"resource":{"group":"networking.k8s.io","version":"v1","resource":"ingresses"},"operation":"CREATE","userInfo":{},"object":{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"a","namespace":"b"},"spec":{}}},"settings":"#.to_vec();
    payload.extend_from_slice(settings_text);
    payload.push(b'}');
    let response = host
        .validate_payload(&payload)
        .expect("a well-formed answer");
    assert!(!response.accepted, "{}", String::from_utf8_lossy(&payload));
    response.message.unwrap_or_default()
}

fn host() -> PolicyHost {
    PolicyHost::from_file(&dist_module("ingress-tls")).expect("the module loads")
}

#[test]
fn strings_are_read_as_serde_json_reads_them_at_every_offset() {
    let mut host = host();
    // As written in JSON, and as serde_json decodes it.
    let specials: &[&str] = &[
        r#"\""#,
        r"\\",
        r"\n",
        r"\u00e9",
        r"\ud83d\ude00",
        "é",
        "😀",
        "/",
    ];
    for special in specials {
        for at in 0..40 {
            let written = format!("{}{special}{}", "a".repeat(at), "b".repeat(40 - at));
            let text = format!(r#"{{"allowHostlessRules":"{written}"}}"#);
            let decoded: Value = serde_json::from_str(&text).unwrap();
            let decoded = decoded["allowHostlessRules"].as_str().unwrap().to_string();
            let message = settings_message(&mut host, text.as_bytes());
            let want = format!("invalid type: string {decoded:?}");
            assert!(message.contains(&want), "{text}: {message}");
        }
    }
}

#[test]
fn control_characters_and_broken_utf8_are_refused_at_every_offset() {
    let mut host = host();
    for at in 0..40 {
        let text = format!(r#"{{"allowHostlessRules":"{}"}}"#, "a".repeat(at));
        // A raw control character inside the string, where JSON wants an escape.
        let mut raw = text.clone().into_bytes();
        raw.insert(raw.len() - 2, 0x07);
        assert!(serde_json::from_slice::<Value>(&raw).is_err());
        let message = settings_message(&mut host, &raw);
        assert!(message.contains("control character"), "{at}: {message}");
        // A byte that is no UTF-8, and a character cut short at the end of the text.
        for broken in [&[0xff][..], &[0xc3][..], &[0xe2, 0x82][..]] {
            let mut raw = text.clone().into_bytes();
            let end = raw.len() - 2;
            raw.splice(end..end, broken.iter().copied());
            let message = settings_message(&mut host, &raw);
            assert!(message.contains("UTF-8"), "{at} {broken:?}: {message}");
        }
    }
    // Valid text of every length around the steps still reads (the check passes it whole).
    for n in 0..40 {
        let text = json!({"allowHostlessRules": "é".repeat(n)}).to_string();
        let message = settings_message(&mut host, text.as_bytes());
        assert!(message.contains("invalid type: string"), "{n}: {message}");
    }
}
