//! Settings: parsing with errors that name the setting, validation that reports every problem at
//! once, and namespace exemptions.

use std::any::Any;
use std::cell::RefCell;
use std::fmt::Display;
use std::rc::Rc;

use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Settings a policy can check beyond their shape.
pub trait Validate {
    /// Pushes one message per problem; nothing pushed means valid.
    fn validate(&self, errors: &mut SettingsErrors);
}

/// Problems found in the settings, each naming its setting.
#[derive(Debug, Default)]
pub struct SettingsErrors(Vec<String>);

impl SettingsErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `setting: message`.
    pub fn add(&mut self, setting: impl Display, message: impl Display) {
        self.0.push(format!("{setting}: {message}"));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0.join("; "))
        }
    }
}

/// Parses and validates settings; the error names the setting.
pub fn parse_settings<S: DeserializeOwned + Validate>(json: &[u8]) -> Result<S, String> {
    // kwctl and policy-server send `{}` when no settings are given; empty and null mean the same.
    let trimmed = json.trim_ascii();
    let json: &[u8] = match trimmed {
        b"" | b"null" => b"{}",
        // serde would read `[]` as a struct written as a sequence: settings are a map or nothing.
        [b'{', ..] => trimmed,
        _ => return Err("the settings must be a JSON object of setting names to values".into()),
    };
    let settings: S = crate::json::from_slice(json)?;
    let mut errors = SettingsErrors::new();
    settings.validate(&mut errors);
    errors.into_result().map(|()| settings)
}

thread_local! {
    /// The settings text [`cached`] read last, and its outcome.
    static LAST: RefCell<Option<(String, Rc<dyn Any>)>> = const { RefCell::new(None) };
}

/// `read` of the settings [`cached`] read last, if they were read as `S` and are valid: the
/// settings the request being read most likely brings, since policy-server sends a policy's
/// settings unchanged with every request. For a reader that must decide before it reaches the
/// payload's `settings` (they follow the request): a guess, which must only make the module
/// faster.
pub fn with_last<S: 'static, R>(read: impl FnOnce(&S) -> R) -> Option<R> {
    LAST.with(|last| {
        let last = last.try_borrow().ok()?;
        let outcome = last.as_ref()?.1.downcast_ref::<Result<S, String>>()?;
        outcome.as_ref().ok().map(read)
    })
}

/// The settings of `json`, parsed and validated once per distinct text. policy-server sends a
/// policy's settings with every request, unchanged, and reading them again each time is most of
/// the fixed cost of a request; the module keeps the last text it read and its outcome (one
/// module may serve policies with different settings, so the text is the key).
pub fn cached<S: DeserializeOwned + Validate + 'static>(json: &str) -> Rc<Result<S, String>> {
    // What is kept for the next requests is allocated outside the request's region (see
    // `crate::arena`); a hit allocates nothing.
    crate::arena::outside(|| {
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some((text, parsed)) = last.as_ref()
                && text == json
                && let Ok(hit) = parsed.clone().downcast::<Result<S, String>>()
            {
                return hit;
            }
            let parsed = Rc::new(parse_settings::<S>(json.as_bytes()));
            *last = Some((json.to_string(), parsed.clone()));
            parsed
        })
    })
}

/// The waPC `validate_settings` function body.
pub fn validate_settings_payload<S: DeserializeOwned + Validate>(payload: &[u8]) -> Vec<u8> {
    let response = match parse_settings::<S>(payload) {
        Ok(_) => SettingsValidationResponse {
            valid: true,
            message: None,
        },
        Err(message) => SettingsValidationResponse {
            valid: false,
            message: Some(message),
        },
    };
    serde_json::to_vec(&response).unwrap_or_default()
}

/// Namespaces a policy leaves alone, by exact name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExemptNamespaces(pub Vec<String>);

impl ExemptNamespaces {
    pub fn of(names: &[&str]) -> Self {
        ExemptNamespaces(names.iter().map(|n| n.to_string()).collect())
    }

    pub fn contains(&self, namespace: &str) -> bool {
        !namespace.is_empty() && self.0.iter().any(|n| n == namespace)
    }

    /// A name that is not a valid namespace name can never match: it is a typo to report.
    pub fn validate(&self, setting: &str, errors: &mut SettingsErrors) {
        for (i, name) in self.0.iter().enumerate() {
            if let Err(why) = check_dns_label(name) {
                errors.add(
                    format!("{setting}[{i}]"),
                    format!("{name:?} is not a namespace name: {why}"),
                );
            }
        }
    }
}

/// RFC 1123 label, as Kubernetes requires of namespace names.
pub fn check_dns_label(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > 63 {
        return Err("it is longer than 63 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "{c:?} is not allowed (lower-case letters, digits and '-' only)"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Knob {
        level: u8,
    }

    impl Validate for Knob {
        fn validate(&self, errors: &mut SettingsErrors) {
            if self.level > 3 {
                errors.add("level", "must be at most 3");
            }
        }
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Other {
        level: String,
    }

    impl Validate for Other {
        fn validate(&self, _: &mut SettingsErrors) {}
    }

    #[test]
    fn cached_settings_are_read_once_per_text() {
        let first = cached::<Knob>(r#"{"level":1}"#);
        assert_eq!(first.as_ref().as_ref().unwrap().level, 1);
        assert!(Rc::ptr_eq(&first, &cached::<Knob>(r#"{"level":1}"#)));
        let changed = cached::<Knob>(r#"{"level":2}"#);
        assert_eq!(changed.as_ref().as_ref().unwrap().level, 2);
        // The same text read as another type is that type's reading, not the cached one.
        let other = cached::<Other>(r#"{"level":"2"}"#);
        assert_eq!(other.as_ref().as_ref().unwrap().level, "2");
        assert_eq!(
            cached::<Knob>(r#"{"level":2}"#)
                .as_ref()
                .as_ref()
                .unwrap()
                .level,
            2
        );
        // Failures are kept too, with their message; empty and null are the defaults.
        let invalid = cached::<Knob>(r#"{"level":9}"#);
        assert_eq!(
            invalid.as_ref().as_ref().unwrap_err(),
            "level: must be at most 3"
        );
        assert!(
            cached::<Knob>(r#"{"levle":1}"#)
                .as_ref()
                .as_ref()
                .unwrap_err()
                .contains("levle")
        );
        assert_eq!(
            cached::<Knob>("").as_ref().as_ref().unwrap(),
            &Knob::default()
        );
        assert_eq!(
            cached::<Knob>("null").as_ref().as_ref().unwrap(),
            &Knob::default()
        );
        assert!(cached::<Knob>("[]").as_ref().is_err());
    }

    #[test]
    fn the_last_settings_read_are_known_as_their_type_only() {
        let _ = cached::<Knob>(r#"{"level":3}"#);
        assert_eq!(with_last(|k: &Knob| k.level), Some(3));
        assert_eq!(with_last(|o: &Other| o.level.clone()), None);
        let _ = cached::<Other>(r#"{"level":"x"}"#);
        assert_eq!(with_last(|k: &Knob| k.level), None);
        assert_eq!(with_last(|o: &Other| o.level.clone()), Some("x".into()));
        // Invalid settings are no guess.
        let _ = cached::<Knob>(r#"{"level":9}"#);
        assert_eq!(with_last(|k: &Knob| k.level), None);
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "camelCase")]
    struct S {
        exempt_namespaces: ExemptNamespaces,
        limit: u32,
    }

    impl Validate for S {
        fn validate(&self, errors: &mut SettingsErrors) {
            self.exempt_namespaces.validate("exemptNamespaces", errors);
            if self.limit > 10 {
                errors.add("limit", "must be at most 10");
            }
        }
    }

    #[test]
    fn settings_table() {
        let cases: &[(&str, Result<(), &str>)] = &[
            ("{}", Ok(())),
            ("", Ok(())),
            ("  \n", Ok(())),
            (
                r#"{"limit": 3, "exemptNamespaces": ["kube-system"]}"#,
                Ok(()),
            ),
            (r#"{"limt": 3}"#, Err("unknown field `limt`")),
            (r#"{"limit": "3"}"#, Err("limit: invalid type: string")),
            (r#"{"limit": -1}"#, Err("limit: invalid value")),
            (r#"{"limit": 11}"#, Err("limit: must be at most 10")),
            (
                r#"{"exemptNamespaces": ["ok", "Kube_System"]}"#,
                Err("exemptNamespaces[1]: \"Kube_System\" is not a namespace name"),
            ),
            (r#"{"exemptNamespaces": [""]}"#, Err("exemptNamespaces[0]")),
            (
                r#"{"exemptNamespaces": [7]}"#,
                Err("exemptNamespaces[0]: invalid type"),
            ),
            ("null", Ok(())),
            (r#"[]"#, Err("must be a JSON object")),
            (r#""x""#, Err("must be a JSON object")),
            (
                r#"{"limit": 11, "exemptNamespaces": ["-a"]}"#,
                Err(
                    "exemptNamespaces[0]: \"-a\" is not a namespace name: it must start and end with a letter or digit; limit: must be at most 10",
                ),
            ),
        ];
        for (json, want) in cases {
            let got = parse_settings::<S>(json.as_bytes()).map(|_| ());
            match (got, want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(w)) => assert!(e.contains(w), "{json}: {e} lacks {w}"),
                (got, want) => panic!("{json}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn validate_settings_response() {
        let ok: serde_json::Value =
            serde_json::from_slice(&validate_settings_payload::<S>(b"{}")).unwrap();
        assert_eq!(ok["valid"], true);
        let bad: serde_json::Value =
            serde_json::from_slice(&validate_settings_payload::<S>(br#"{"x":1}"#)).unwrap();
        assert_eq!(bad["valid"], false);
        assert!(
            bad["message"]
                .as_str()
                .unwrap()
                .contains("unknown field `x`")
        );
    }

    #[test]
    fn exemptions() {
        let ex = ExemptNamespaces::of(&["kube-system"]);
        assert!(ex.contains("kube-system"));
        assert!(!ex.contains("kube-systemx"));
        assert!(!ex.contains(""));
        assert!(!ExemptNamespaces::default().contains("kube-system"));
    }
}
