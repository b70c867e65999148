//! Kubernetes `LabelSelector` (`matchLabels` + `matchExpressions`), read and matched the way the
//! API server's `LabelSelectorAsSelector` does.
//!
//! The two parts are ANDed. An empty selector (`{}`) selects everything; where the API field is a
//! pointer, an absent or null selector selects nothing (callers hold an `Option<LabelSelector>`
//! and use [`selects`]). A selector the API server could not convert (an unknown operator, `In`
//! without values, `Exists` with values, a malformed key or value) selects nothing: nothing can
//! be claimed about the pods it was meant for.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::request::{StringMap, null_as_empty};

/// A label selector borrowed from the JSON it was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector<'a> {
    pub match_labels: StringMap<'a>,
    pub match_expressions: Vec<Requirement<'a>>,
}

crate::view_reader!(LabelSelector {
    "matchLabels" => match_labels: crate::view::string_map,
    "matchExpressions" => match_expressions: crate::view::list,
});

/// One `matchExpressions` entry. The operator stays a string so that one odd object cannot make a
/// whole list unreadable; [`LabelSelector::check`] judges it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requirement<'a> {
    pub key: Cow<'a, str>,
    pub operator: Cow<'a, str>,
    pub values: Vec<Cow<'a, str>>,
}

crate::view_reader!(Requirement {
    "key" => key: crate::view::string,
    "operator" => operator: crate::view::string,
    "values" => values: crate::view::strings,
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    pub fn parse(text: &str) -> Option<Operator> {
        // Exact spelling: the API server rejects `in` or `exists`.
        match text {
            "In" => Some(Operator::In),
            "NotIn" => Some(Operator::NotIn),
            "Exists" => Some(Operator::Exists),
            "DoesNotExist" => Some(Operator::DoesNotExist),
            _ => None,
        }
    }
}

/// Why the API server would refuse a selector: where (relative to the selector) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl<'a> LabelSelector<'a> {
    /// `{}`: selects every object.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Every problem the API server's validation reports, in field order.
    pub fn check(&self) -> Vec<SelectorError> {
        let mut errors = Vec::new();
        for (key, value) in &self.match_labels {
            let path = format!("matchLabels.{key}");
            if let Err(why) = check_label_key(key) {
                errors.push(SelectorError {
                    path: path.clone(),
                    message: format!("key {key:?} {why}"),
                });
            }
            if let Err(why) = check_label_value(value) {
                errors.push(SelectorError {
                    path,
                    message: format!("value {value:?} {why}"),
                });
            }
        }
        for (i, req) in self.match_expressions.iter().enumerate() {
            let at = |field: &str| format!("matchExpressions[{i}].{field}");
            if let Err(why) = check_label_key(&req.key) {
                errors.push(SelectorError {
                    path: at("key"),
                    message: format!("{:?} {why}", req.key),
                });
            }
            match Operator::parse(&req.operator) {
                None => errors.push(SelectorError {
                    path: at("operator"),
                    message: format!(
                        "{:?} is not a valid operator (In, NotIn, Exists or DoesNotExist)",
                        req.operator
                    ),
                }),
                Some(Operator::In | Operator::NotIn) if req.values.is_empty() => {
                    errors.push(SelectorError {
                        path: at("values"),
                        message: format!("must be non-empty when the operator is {}", req.operator),
                    })
                }
                Some(Operator::Exists | Operator::DoesNotExist) if !req.values.is_empty() => errors
                    .push(SelectorError {
                        path: at("values"),
                        message: format!("must be empty when the operator is {}", req.operator),
                    }),
                Some(_) => {}
            }
            for (j, value) in req.values.iter().enumerate() {
                if let Err(why) = check_label_value(value) {
                    errors.push(SelectorError {
                        path: format!("matchExpressions[{i}].values[{j}]"),
                        message: format!("{value:?} {why}"),
                    });
                }
            }
        }
        errors
    }

    /// Whether an object with these labels is selected.
    pub fn matches(&self, labels: &StringMap<'_>) -> bool {
        if self.is_empty() {
            return true;
        }
        if !self.check().is_empty() {
            return false;
        }
        let equal = self
            .match_labels
            .iter()
            .all(|(k, v)| labels.get(k.as_ref()).is_some_and(|have| have == v));
        equal
            && self.match_expressions.iter().all(|req| {
                let have = labels.get(req.key.as_ref());
                let listed = |v: &Cow<'_, str>| req.values.iter().any(|x| x == v);
                // `check` above has ruled out unknown operators.
                match Operator::parse(&req.operator) {
                    Some(Operator::In) => have.is_some_and(listed),
                    Some(Operator::NotIn) => !have.is_some_and(listed),
                    Some(Operator::Exists) => have.is_some(),
                    Some(Operator::DoesNotExist) => have.is_none(),
                    None => false,
                }
            })
    }
}

impl LabelSelector<'_> {
    /// Matching over labels answered by `get`, for selectors whose keys are not Kubernetes label
    /// keys (Cilium's `k8s:app`, `any:app`): the operators and their values are judged as in
    /// [`Self::matches`], the keys are left to `get`.
    pub fn matches_by<'l>(&self, get: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        if self.is_empty() {
            return true;
        }
        let equal = self
            .match_labels
            .iter()
            .all(|(k, v)| get(k).is_some_and(|have| have == v.as_ref()));
        equal
            && self.match_expressions.iter().all(|req| {
                let have = get(&req.key);
                let listed = |v: &str| req.values.iter().any(|x| x == v);
                match Operator::parse(&req.operator) {
                    Some(Operator::In) if !req.values.is_empty() => have.is_some_and(listed),
                    Some(Operator::NotIn) if !req.values.is_empty() => !have.is_some_and(listed),
                    Some(Operator::Exists) if req.values.is_empty() => have.is_some(),
                    Some(Operator::DoesNotExist) if req.values.is_empty() => have.is_none(),
                    _ => false,
                }
            })
    }
}

impl fmt::Display for LabelSelector<'_> {
    /// The string form kubectl accepts (`app=web,tier in (a,b),!legacy`); `{}` shows as such.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("{}");
        }
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for req in &self.match_expressions {
            let values = req.values.join(",");
            parts.push(match Operator::parse(&req.operator) {
                Some(Operator::In) => format!("{} in ({values})", req.key),
                Some(Operator::NotIn) => format!("{} notin ({values})", req.key),
                Some(Operator::Exists) => req.key.to_string(),
                Some(Operator::DoesNotExist) => format!("!{}", req.key),
                None => format!("{} {} ({values})", req.key, req.operator),
            });
        }
        f.write_str(&parts.join(","))
    }
}

/// A pointer selector (`*metav1.LabelSelector`): absent or null selects nothing.
pub fn selects(selector: Option<&LabelSelector<'_>>, labels: &StringMap<'_>) -> bool {
    selector.is_some_and(|s| s.matches(labels))
}

/// A selector read from policy settings: owned, since settings outlive the payload they came in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsSelector(pub LabelSelector<'static>);

/// Settings are written by hand: unlike objects read from the cluster, a misspelt field
/// (`matchLabel`) is an error, not something to skip. `Cow<'static, str>` without `borrow`
/// always deserialises owned, so the selector is read straight into its final type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StrictSelector {
    #[serde(default, deserialize_with = "null_as_empty")]
    match_labels: StringMap<'static>,
    #[serde(default, deserialize_with = "null_as_empty")]
    match_expressions: Vec<StrictRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictRequirement {
    key: Cow<'static, str>,
    operator: Cow<'static, str>,
    #[serde(default, deserialize_with = "null_as_empty")]
    values: Vec<Cow<'static, str>>,
}

impl<'de> Deserialize<'de> for SettingsSelector {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let strict = StrictSelector::deserialize(de)?;
        Ok(SettingsSelector(LabelSelector {
            match_labels: strict.match_labels,
            match_expressions: strict
                .match_expressions
                .into_iter()
                .map(|r| Requirement {
                    key: r.key,
                    operator: r.operator,
                    values: r.values,
                })
                .collect(),
        }))
    }
}

impl SettingsSelector {
    /// Reports what the API server would refuse, under the setting's name. An empty selector is
    /// refused too: in an exemption it would select every object and switch the policy off.
    pub fn validate(&self, setting: &str, errors: &mut crate::SettingsErrors) {
        if self.0.is_empty() {
            errors.add(
                setting,
                "an empty selector ({}) matches everything; give matchLabels or \
                 matchExpressions, or remove the setting",
            );
        }
        for e in self.0.check() {
            errors.add(format!("{setting}.{}", e.path), e.message);
        }
    }

    pub fn matches(&self, labels: &StringMap<'_>) -> bool {
        self.0.matches(labels)
    }
}

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err("has an empty prefix before '/'".into());
        }
        if prefix.len() > 253 {
            return Err("has a prefix longer than 253 characters".into());
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !prefix.split('.').all(label_ok) {
            return Err(format!(
                "has a prefix {prefix:?} that is not a DNS subdomain (lower-case letters, digits, '-' and '.')"
            ));
        }
    }
    if name.is_empty() {
        return Err("has an empty name".into());
    }
    check_name_chars(name)
}

/// A label value: empty, or a name of at most 63 characters.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    check_name_chars(value)
}

/// Kubernetes' "qualified name" part: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, up to 63.
fn check_name_chars(name: &str) -> Result<(), String> {
    if name.len() > 63 {
        return Err("is longer than 63 characters".into());
    }
    let bytes = name.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    let ends_ok = bytes.first().is_some_and(alnum) && bytes.last().is_some_and(alnum);
    if !ends_ok || !bytes.iter().all(inner) {
        return Err(
            "must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{SettingsErrors, Validate, parse_settings};
    use crate::testing::string_map as labels;

    fn selector(json: &str) -> LabelSelector<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn matching_table() {
        let web = labels(&[("app", "web"), ("tier", "frontend"), ("empty", "")]);
        let none = labels(&[]);
        // (selector, labels, selected, why)
        #[rustfmt::skip]
        let cases: &[(&str, &StringMap, bool, &str)] = &[
            ("{}", &web, true, "empty selects everything"),
            ("{}", &none, true, "empty selects unlabelled pods too"),
            (r#"{"matchLabels":null,"matchExpressions":null}"#, &none, true, "nulls are empty"),
            (r#"{"matchLabels":{}}"#, &web, true, "empty matchLabels"),
            (r#"{"matchLabels":{"app":"web"}}"#, &web, true, "equal"),
            (r#"{"matchLabels":{"app":"db"}}"#, &web, false, "different value"),
            (r#"{"matchLabels":{"app":"web","x":"y"}}"#, &web, false, "all must hold"),
            (r#"{"matchLabels":{"app":"web"}}"#, &none, false, "absent label"),
            (r#"{"matchLabels":{"empty":""}}"#, &web, true, "empty value present"),
            (r#"{"matchLabels":{"gone":""}}"#, &web, false, "empty value needs the key"),
            (r#"{"matchExpressions":[{"key":"app","operator":"In","values":["db","web"]}]}"#, &web, true, "In listed"),
            (r#"{"matchExpressions":[{"key":"app","operator":"In","values":["db"]}]}"#, &web, false, "In not listed"),
            (r#"{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}"#, &web, false, "In needs the key"),
            (r#"{"matchExpressions":[{"key":"app","operator":"NotIn","values":["db"]}]}"#, &web, true, "NotIn not listed"),
            (r#"{"matchExpressions":[{"key":"app","operator":"NotIn","values":["web"]}]}"#, &web, false, "NotIn listed"),
            (r#"{"matchExpressions":[{"key":"zone","operator":"NotIn","values":["a"]}]}"#, &web, true, "NotIn holds when absent"),
            (r#"{"matchExpressions":[{"key":"tier","operator":"Exists"}]}"#, &web, true, "Exists"),
            (r#"{"matchExpressions":[{"key":"empty","operator":"Exists","values":null}]}"#, &web, true, "Exists with empty value"),
            (r#"{"matchExpressions":[{"key":"zone","operator":"Exists"}]}"#, &web, false, "Exists absent"),
            (r#"{"matchExpressions":[{"key":"zone","operator":"DoesNotExist"}]}"#, &web, true, "DoesNotExist"),
            (r#"{"matchExpressions":[{"key":"app","operator":"DoesNotExist"}]}"#, &web, false, "DoesNotExist present"),
            (r#"{"matchExpressions":[{"key":"app","operator":"DoesNotExist"}]}"#, &none, true, "DoesNotExist selects unlabelled"),
            (r#"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["backend"]}]}"#, &web, false, "labels and expressions are ANDed"),
            (r#"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["frontend"]}]}"#, &web, true, "both hold"),
            // What LabelSelectorAsSelector refuses selects nothing.
            (r#"{"matchExpressions":[{"key":"app","operator":"In","values":[]}]}"#, &web, false, "In without values"),
            (r#"{"matchExpressions":[{"key":"app","operator":"NotIn"}]}"#, &web, false, "NotIn without values"),
            (r#"{"matchExpressions":[{"key":"app","operator":"Exists","values":["web"]}]}"#, &web, false, "Exists with values"),
            (r#"{"matchExpressions":[{"key":"zone","operator":"DoesNotExist","values":["a"]}]}"#, &web, false, "DoesNotExist with values"),
            (r#"{"matchExpressions":[{"key":"app","operator":"in","values":["web"]}]}"#, &web, false, "operators are case-sensitive"),
            (r#"{"matchExpressions":[{"key":"app","operator":"Equals","values":["web"]}]}"#, &web, false, "unknown operator"),
            (r#"{"matchExpressions":[{"key":"","operator":"DoesNotExist"}]}"#, &web, false, "empty key"),
            (r#"{"matchLabels":{"app":"we b"}}"#, &web, false, "invalid value"),
        ];
        for (json, labels, want, why) in cases {
            assert_eq!(selector(json).matches(labels), *want, "{why}: {json}");
        }
    }

    #[test]
    fn pointer_selectors() {
        let web = labels(&[("app", "web")]);
        assert!(!selects(None, &web), "a null selector selects nothing");
        assert!(selects(Some(&LabelSelector::default()), &web));
    }

    #[test]
    fn keys_and_values() {
        let ok_keys = [
            "app",
            "app.kubernetes.io/name",
            "A_b.c-9",
            "x/y",
            "a-b.example.com/Name",
        ];
        for key in ok_keys {
            assert_eq!(check_label_key(key), Ok(()), "{key}");
        }
        let long = "a".repeat(64);
        let bad_keys = [
            "",
            "/app",
            "app/",
            "-app",
            "app-",
            "a b",
            "Example.com/app",
            "a..b/app",
            long.as_str(),
            "a/b/c",
        ];
        for key in bad_keys {
            assert!(check_label_key(key).is_err(), "{key}");
        }
        assert_eq!(check_label_value(""), Ok(()));
        assert_eq!(check_label_value("v1.2_3-x"), Ok(()));
        assert!(check_label_value("-v").is_err());
        assert!(check_label_value(&"v".repeat(64)).is_err());
    }

    #[test]
    fn check_names_the_field() {
        let s = selector(
            r#"{"matchLabels":{"a":"-"},"matchExpressions":[
                {"key":"k","operator":"In"},
                {"key":"k","operator":"Exists","values":["x"]},
                {"key":"k","operator":"Like","values":["x"]},
                {"key":"a b","operator":"In","values":["ok","no pe"]}]}"#,
        );
        let got: Vec<String> = s.check().iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            vec![
                "matchLabels.a: value \"-\" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                "matchExpressions[0].values: must be non-empty when the operator is In",
                "matchExpressions[1].values: must be empty when the operator is Exists",
                "matchExpressions[2].operator: \"Like\" is not a valid operator (In, NotIn, Exists or DoesNotExist)",
                "matchExpressions[3].key: \"a b\" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                "matchExpressions[3].values[1]: \"no pe\" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
            ]
        );
    }

    #[test]
    fn display_is_the_kubectl_form() {
        let s = selector(
            r#"{"matchLabels":{"app":"web"},"matchExpressions":[
                {"key":"tier","operator":"In","values":["a","b"]},
                {"key":"env","operator":"NotIn","values":["dev"]},
                {"key":"team","operator":"Exists"},
                {"key":"legacy","operator":"DoesNotExist"}]}"#,
        );
        assert_eq!(
            s.to_string(),
            "app=web,tier in (a,b),env notin (dev),team,!legacy"
        );
        assert_eq!(LabelSelector::default().to_string(), "{}");
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "camelCase")]
    struct S {
        exempt: Option<SettingsSelector>,
    }

    impl Validate for S {
        fn validate(&self, errors: &mut SettingsErrors) {
            if let Some(s) = &self.exempt {
                s.validate("exempt", errors);
            }
        }
    }

    #[test]
    fn settings_selector() {
        let s: S = parse_settings(br#"{"exempt":{"matchLabels":{"app":"web"}}}"#).unwrap();
        let exempt = s.exempt.unwrap();
        assert!(matches!(
            exempt.0.match_labels.keys().next(),
            Some(Cow::Owned(_))
        ));
        assert!(exempt.matches(&labels(&[("app", "web")])));
        assert!(!exempt.matches(&labels(&[("app", "db")])));

        let cases: &[(&str, &str)] = &[
            (
                r#"{"exempt":{}}"#,
                "exempt: an empty selector ({}) matches everything",
            ),
            (
                r#"{"exempt":{"matchExpressions":[{"key":"a","operator":"In"}]}}"#,
                "exempt.matchExpressions[0].values: must be non-empty",
            ),
            (
                r#"{"exempt":{"matchLabels":{"a":1}}}"#,
                "exempt.matchLabels.a: invalid type: integer",
            ),
            (
                r#"{"exempt":{"matchLabel":{"a":"b"}}}"#,
                "exempt: unknown field `matchLabel`",
            ),
        ];
        for (json, want) in cases {
            let err = parse_settings::<S>(json.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{json}: {err}");
        }
    }
}
