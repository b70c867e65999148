//! The waPC host's guarantees: a runaway or trapping guest becomes a rejection, and the host
//! recovers with a fresh instance.

use std::time::{Duration, Instant};

use netsec_runner::PolicyHost;
use netsec_runner::admission::AdmissionResponse;
use netsec_runner::host::{GuestFailure, INTERRUPTED};
use serde_json::json;

fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
             (memory (export "memory") 1)
             (func (export "wapc_init"))
             (func (export "__guest_call") (param i32 i32) (result i32) {body}))"#
    ))
    .unwrap()
}

#[test]
fn a_runaway_guest_is_interrupted_at_the_deadline_and_the_host_recovers() {
    let bytes = module("(loop $forever (br $forever)) (i32.const 0)");
    let mut host = PolicyHost::with_deadline(&bytes, Duration::from_millis(300)).unwrap();
    let request = json!({"uid": "x", "object": {}});
    for _ in 0..2 {
        let started = Instant::now();
        let outcome = host.validate(&request, &json!({}));
        assert!(
            matches!(outcome, Err(GuestFailure::Interrupted)),
            "{outcome:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let response = AdmissionResponse::from_guest(&request, outcome);
        assert!(!response.allowed);
        assert_eq!(response.message(), Some(INTERRUPTED));
    }
}

#[test]
fn a_trapping_guest_is_a_rejection_not_a_crash() {
    let bytes = module("unreachable");
    let mut host = PolicyHost::load(&bytes).unwrap();
    for _ in 0..2 {
        let outcome = host.validate(&json!({"uid": "y"}), &json!({}));
        match outcome {
            Err(GuestFailure::Trapped(message)) => {
                assert!(message.contains("Guest call failure"), "{message}")
            }
            other => panic!("expected a trap, got {other:?}"),
        }
    }
}

#[test]
fn a_module_that_is_not_wasm_is_refused() {
    let err = PolicyHost::load(b"not wasm").err().unwrap();
    assert!(
        format!("{err:#}").contains("not a valid WebAssembly module"),
        "{err:#}"
    );
}
