//! The floor of the benchmarks: a waPC guest built like the policies (same SDK, profile and
//! wasm-opt pass) whose `validate` accepts without reading its payload. What the host spends on
//! a request (serialising it, copying it into the guest, the call) is what this module costs;
//! a policy's guest time is its own time minus this.

use kubewarden_policy_sdk::wapc_guest::register_function;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", |_payload: &[u8]| {
        Ok(br#"{"accepted":true}"#.to_vec())
    });
    register_function("validate_settings", |_payload: &[u8]| {
        Ok(br#"{"valid":true}"#.to_vec())
    });
    register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}
