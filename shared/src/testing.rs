//! Helpers for the policies' native unit tests. Nothing here is reachable from a policy's
//! entry points, so the linker leaves it out of the `.wasm` modules.

use std::borrow::Cow;
use std::fmt::Debug;

use serde::de::DeserializeOwned;

use crate::request::StringMap;
use crate::settings::{Validate, parse_settings};

/// A label or annotation map from literal pairs.
pub fn string_map<'a>(pairs: &[(&'a str, &'a str)]) -> StringMap<'a> {
    pairs
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
        .collect()
}

/// Runs a table of settings documents: `None` means the document must be accepted, `Some(text)`
/// that it must be refused with a message containing `text`.
pub fn assert_settings_table<S>(cases: &[(&str, Option<&str>)])
where
    S: DeserializeOwned + Validate + Debug,
{
    for (json, want) in cases {
        match (parse_settings::<S>(json.as_bytes()), want) {
            (Ok(_), None) => {}
            (Err(e), Some(w)) => assert!(e.contains(w), "{json}: {e}"),
            (got, want) => panic!("{json}: got {got:?}, want error {want:?}"),
        }
    }
}
