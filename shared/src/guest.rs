//! The waPC entry points every policy registers, as plain functions over bytes so that the same
//! code runs natively in tests and benchmarks.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::request::{AdmissionRequest, Payload};
use crate::settings::{Validate, validate_settings_payload};
use crate::verdict::Verdict;

/// `validate`: parses the payload, runs `evaluate`, and encodes the verdict. A payload that
/// cannot be read is rejected with a message (fail closed), never accepted.
pub fn validate<S, F>(payload: &[u8], evaluate: F) -> Vec<u8>
where
    S: DeserializeOwned + Validate + 'static,
    F: FnOnce(&AdmissionRequest<'_>, &S) -> Verdict,
{
    verdict(payload, evaluate).to_bytes()
}

/// The verdict of `validate`, for tests and benchmarks.
pub fn verdict<S, F>(payload: &[u8], evaluate: F) -> Verdict
where
    S: DeserializeOwned + Validate + 'static,
    F: FnOnce(&AdmissionRequest<'_>, &S) -> Verdict,
{
    let payload = match Payload::<Option<&RawValue>>::parse(payload) {
        Ok(payload) => payload,
        Err(message) => return Verdict::reject(message),
    };
    let settings = crate::settings::cached::<S>(payload.settings.map_or("", RawValue::get));
    match settings.as_ref() {
        Ok(settings) => evaluate(&payload.request, settings),
        Err(e) => Verdict::reject(format!("the policy settings are invalid: {e}")),
    }
}

/// `validate_settings`.
pub fn validate_settings<S: DeserializeOwned + Validate>(payload: &[u8]) -> Vec<u8> {
    validate_settings_payload::<S>(payload)
}

/// Registers `validate`, `validate_settings` and `protocol_version` for a policy whose
/// `evaluate(&AdmissionRequest, &Settings) -> Verdict` and `Settings` are in scope.
#[macro_export]
macro_rules! register_policy {
    ($settings:ty, $evaluate:path) => {
        // Only the module exports it: natively, every policy would define the same unmangled
        // symbol, and a benchmark or fuzz binary that links several policies would not link.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            use ::kubewarden_policy_sdk::wapc_guest::register_function;
            register_function("validate", |payload: &[u8]| {
                Ok($crate::guest::validate::<$settings, _>(payload, $evaluate))
            });
            register_function("validate_settings", |payload: &[u8]| {
                Ok($crate::guest::validate_settings::<$settings>(payload))
            });
            register_function(
                "protocol_version",
                ::kubewarden_policy_sdk::protocol_version_guest,
            );
        }

        // Natively, `$evaluate` is still the policy's entry point (and not dead code).
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = $evaluate;
        };
    };
}
