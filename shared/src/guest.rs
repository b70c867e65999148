//! The waPC entry points every policy registers, as plain functions over bytes so that the same
//! code runs natively in tests and benchmarks.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::request::{AdmissionRequest, OwnObject, Payload, Views};
use crate::settings::{Validate, validate_settings_payload};
use crate::verdict::Verdict;

/// `validate`: parses the payload, runs `evaluate`, and encodes the verdict. A payload that
/// cannot be read is rejected with a message (fail closed), never accepted.
pub fn validate<S, V, F>(payload: &[u8], evaluate: F) -> Vec<u8>
where
    S: DeserializeOwned + Validate + 'static,
    V: Views,
    F: FnOnce(&AdmissionRequest<'_>, &S) -> Verdict,
{
    crate::arena::during(|| verdict::<S, V, F>(payload, evaluate).to_bytes())
}

/// The verdict of `validate`, for tests and benchmarks. `V` are the shared views the policy
/// reads objects through, decoded in the pass that reads the request.
pub fn verdict<S, V, F>(payload: &[u8], evaluate: F) -> Verdict
where
    S: DeserializeOwned + Validate + 'static,
    V: Views,
    F: FnOnce(&AdmissionRequest<'_>, &S) -> Verdict,
{
    let payload = match Payload::<Option<&RawValue>>::parse_with::<V>(payload) {
        Ok(payload) => payload,
        Err(message) => return Verdict::reject(message),
    };
    let settings = crate::settings::cached::<S>(payload.settings.map_or("", RawValue::get));
    match settings.as_ref() {
        Ok(settings) => evaluate(&payload.request, settings),
        Err(e) => Verdict::reject(format!("the policy settings are invalid: {e}")),
    }
}

/// [`validate`] for a policy that reads the objects of some kinds as its own view `O`
/// ([`OwnObject`]): the object comes decoded in the pass that reads the request (`None` when
/// `O` does not want its kind, or it did not decode: the policy then reads it raw as before).
pub fn validate_own<S, V, O, F>(payload: &[u8], evaluate: F) -> Vec<u8>
where
    S: DeserializeOwned + Validate + 'static,
    V: Views,
    O: OwnObject,
    for<'a> O::Of<'a>: serde::Deserialize<'a>,
    F: for<'a> FnOnce(&AdmissionRequest<'a>, Option<O::Of<'a>>, &S) -> Verdict,
{
    crate::arena::during(|| verdict_own::<S, V, O, F>(payload, evaluate).to_bytes())
}

/// The verdict of [`validate_own`], for tests and benchmarks.
pub fn verdict_own<S, V, O, F>(payload: &[u8], evaluate: F) -> Verdict
where
    S: DeserializeOwned + Validate + 'static,
    V: Views,
    O: OwnObject,
    for<'a> O::Of<'a>: serde::Deserialize<'a>,
    F: for<'a> FnOnce(&AdmissionRequest<'a>, Option<O::Of<'a>>, &S) -> Verdict,
{
    let (payload, own) = match Payload::<Option<&RawValue>>::parse_own::<V, O>(payload) {
        Ok(parsed) => parsed,
        Err(message) => return Verdict::reject(message),
    };
    let settings = crate::settings::cached::<S>(payload.settings.map_or("", RawValue::get));
    match settings.as_ref() {
        Ok(settings) => evaluate(&payload.request, own, settings),
        Err(e) => Verdict::reject(format!("the policy settings are invalid: {e}")),
    }
}

/// A waPC host call (`binding`/`namespace`/`operation`): the host's answer, or its error as
/// the text it wrote. wapc-guest's `host_call` boxes the error as a `dyn Error` whose only
/// reading is its `Display`, `Host error: ` and the text through `from_utf8_lossy`, which the
/// policies then cut off again. Read here, the text is the host's as it wrote it, and the
/// boxing and formatting leave the modules (1.2 to 1.7 KB of each context-aware one). The
/// imports are waPC's (wapc-guest `protocol.rs`): `__host_call` says 1 for an answer, which
/// `__host_response` then copies out, anything else for an error, which `__host_error` does.
pub fn host_call(
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    // Outside wasm, wapc-guest answers every call with an error, in its words around the
    // host's text.
    #[cfg(not(target_arch = "wasm32"))]
    return kubewarden_policy_sdk::wapc_guest::host_call(binding, namespace, operation, payload)
        .map_err(|e| {
            let text = e.to_string();
            match text.strip_prefix("Host error: ") {
                Some(host) => host.to_string(),
                None => text,
            }
        });
    #[cfg(target_arch = "wasm32")]
    {
        #[link(wasm_import_module = "wapc")]
        unsafe extern "C" {
            #[allow(clippy::too_many_arguments)]
            fn __host_call(
                binding: *const u8,
                binding_len: usize,
                namespace: *const u8,
                namespace_len: usize,
                operation: *const u8,
                operation_len: usize,
                payload: *const u8,
                payload_len: usize,
            ) -> usize;
            fn __host_response_len() -> usize;
            fn __host_response(into: *mut u8);
            fn __host_error_len() -> usize;
            fn __host_error(into: *mut u8);
        }
        // SAFETY: each pointer is valid for its length, which is all the host reads.
        let answered = unsafe {
            __host_call(
                binding.as_ptr(),
                binding.len(),
                namespace.as_ptr(),
                namespace.len(),
                operation.as_ptr(),
                operation.len(),
                payload.as_ptr(),
                payload.len(),
            )
        } == 1;
        // SAFETY: the host reports the length of what it holds, then writes exactly that many
        // bytes to the buffer, which has room for them.
        let bytes = unsafe {
            let len = if answered {
                __host_response_len()
            } else {
                __host_error_len()
            };
            let mut bytes = Vec::with_capacity(len);
            if answered {
                __host_response(bytes.as_mut_ptr());
            } else {
                __host_error(bytes.as_mut_ptr());
            }
            bytes.set_len(len);
            bytes
        };
        match answered {
            true => Ok(bytes),
            false => Err(String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
        }
    }
}

/// `validate_settings`.
pub fn validate_settings<S: DeserializeOwned + Validate>(payload: &[u8]) -> Vec<u8> {
    crate::arena::during(|| validate_settings_payload::<S>(payload))
}

/// `protocol_version`: the SDK's own `ProtocolVersion`, encoded here rather than through
/// `protocol_version_guest`, whose `?` boxes a `serde_json::Error` as the handler's
/// `dyn Error`: that made `__guest_call`'s `to_string()` link serde_json's error messages and,
/// through them, std's I/O error names (6.4 to 6.6 KB of every module) for an encoding that
/// cannot fail.
pub fn protocol_version() -> Vec<u8> {
    serde_json::to_vec(&kubewarden_policy_sdk::metadata::ProtocolVersion::default())
        .unwrap_or_default()
}

/// Registers `validate`, `validate_settings` and `protocol_version` for a policy whose
/// `evaluate(&AdmissionRequest, &Settings) -> Verdict`, `Settings` and `Views` (the shared
/// views it reads objects through, [`crate::request::Views`]) are in scope.
///
/// `register_policy!(own $settings, $views, $own, $evaluate)` registers [`validate_own`]: the
/// policy's `evaluate(&AdmissionRequest, Option<$own::Of>, &Settings)` receives the object its
/// [`OwnObject`] `$own` decoded in the request's pass.
#[macro_export]
macro_rules! register_policy {
    (own $settings:ty, $views:ty, $own:ty, $evaluate:path) => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            use ::kubewarden_policy_sdk::wapc_guest::register_function;
            register_function("validate", |payload: &[u8]| {
                Ok($crate::guest::validate_own::<$settings, $views, $own, _>(
                    payload, $evaluate,
                ))
            });
            register_function("validate_settings", |payload: &[u8]| {
                Ok($crate::guest::validate_settings::<$settings>(payload))
            });
            register_function("protocol_version", |_: &[u8]| {
                Ok($crate::guest::protocol_version())
            });
        }

        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = $evaluate;
        };
    };
    ($settings:ty, $views:ty, $evaluate:path) => {
        // Only the module exports it: natively, every policy would define the same unmangled
        // symbol, and a benchmark or fuzz binary that links several policies would not link.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            use ::kubewarden_policy_sdk::wapc_guest::register_function;
            register_function("validate", |payload: &[u8]| {
                Ok($crate::guest::validate::<$settings, $views, _>(
                    payload, $evaluate,
                ))
            });
            register_function("validate_settings", |payload: &[u8]| {
                Ok($crate::guest::validate_settings::<$settings>(payload))
            });
            register_function("protocol_version", |_: &[u8]| {
                Ok($crate::guest::protocol_version())
            });
        }

        // Natively, `$evaluate` is still the policy's entry point (and not dead code).
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = $evaluate;
        };
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn protocol_version_is_the_sdks() {
        let ours = super::protocol_version();
        assert_eq!(ours, b"\"v1\"");
        assert_eq!(
            ours,
            kubewarden_policy_sdk::protocol_version_guest(&[]).unwrap()
        );
    }
}
