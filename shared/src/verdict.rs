//! What a policy decides, and its conversion to the Kubewarden response.

use std::cmp::Ordering;

use serde::Serialize;

/// One thing wrong with the object: where (a field path such as `spec.rules[1].host`) and a
/// sentence that starts right after the path, says what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl Violation {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The sentence shown to the user.
    pub fn render(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{} {}", self.path, self.message)
        }
    }
}

/// The decision on one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Accept {
        warnings: Vec<String>,
    },
    Reject {
        violations: Vec<Violation>,
        warnings: Vec<String>,
    },
    /// Accept the object with these changes (the whole mutated object).
    Mutate {
        object: serde_json::Value,
        warnings: Vec<String>,
    },
}

impl Verdict {
    pub fn accept() -> Self {
        Verdict::Accept {
            warnings: Vec::new(),
        }
    }

    /// A rejection with a single object-level message (unreadable object, failed lookup).
    pub fn reject(message: impl Into<String>) -> Self {
        Verdict::Reject {
            violations: vec![Violation::new("", message)],
            warnings: Vec::new(),
        }
    }

    pub fn is_accepted(&self) -> bool {
        !matches!(self, Verdict::Reject { .. })
    }

    pub fn warnings(&self) -> &[String] {
        match self {
            Verdict::Accept { warnings }
            | Verdict::Reject { warnings, .. }
            | Verdict::Mutate { warnings, .. } => warnings,
        }
    }

    /// The rejection message: one sentence per violation, sorted by path, one per line.
    pub fn message(&self) -> Option<String> {
        match self {
            Verdict::Reject { violations, .. } => Some(
                violations
                    .iter()
                    .map(Violation::render)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        }
    }

    /// The waPC response bytes: the SDK's `ValidationResponse` without its empty fields, which
    /// the host reads back as `None`. An accept, the common answer, is `{"accepted":true}`
    /// instead of six fields, most of them null.
    pub fn to_bytes(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Wire<'a> {
            accepted: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            mutated_object: Option<&'a serde_json::Value>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            warnings: &'a [String],
        }
        let wire = Wire {
            accepted: self.is_accepted(),
            message: self.message(),
            mutated_object: match self {
                Verdict::Mutate { object, .. } => Some(object),
                _ => None,
            },
            warnings: self.warnings(),
        };
        // Only strings, bools and a JSON value: it always serialises.
        serde_json::to_vec(&wire).unwrap_or_default()
    }
}

/// Collects the violations and warnings of one evaluation, then makes the verdict.
#[derive(Debug, Default)]
pub struct Findings {
    violations: Vec<Violation>,
    warnings: Vec<String>,
}

impl Findings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn violation(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.violations.push(Violation::new(path, message));
    }

    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    pub fn has_violations(&self) -> bool {
        !self.violations.is_empty()
    }

    /// Reject if anything was found, else accept; violations sorted by path (indices in
    /// numeric order) and de-duplicated, warnings in the order they were raised.
    pub fn into_verdict(self) -> Verdict {
        let Findings {
            mut violations,
            mut warnings,
        } = self;
        warnings.dedup();
        if violations.is_empty() {
            return Verdict::Accept { warnings };
        }
        crate::sort::sort_by(&mut violations, |a, b| {
            natural_cmp(&a.path, &b.path).then_with(|| a.message.cmp(&b.message))
        });
        violations.dedup();
        Verdict::Reject {
            violations,
            warnings,
        }
    }

    /// Accept with the mutated object unless something was found.
    pub fn into_mutation(self, object: serde_json::Value) -> Verdict {
        match self.into_verdict() {
            Verdict::Accept { warnings } => Verdict::Mutate { object, warnings },
            other => other,
        }
    }
}

/// Orders paths so that `spec.rules[2]` comes before `spec.rules[10]`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (da, db) = (trim_zeros(&a[..na]), trim_zeros(&b[..nb]));
                let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[na..];
                b = &b[nb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::response::ValidationResponse;

    #[test]
    fn natural_order() {
        let cases = [
            ("spec.rules[2]", "spec.rules[10]", Ordering::Less),
            (
                "spec.rules[10].host",
                "spec.rules[9].host",
                Ordering::Greater,
            ),
            ("spec.tls[0]", "spec.rules[0]", Ordering::Greater),
            ("a[007]", "a[7]", Ordering::Equal),
            ("", "spec", Ordering::Less),
            (
                "metadata.annotations",
                "metadata.annotations",
                Ordering::Equal,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(natural_cmp(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn findings_to_verdict() {
        let mut f = Findings::new();
        assert!(f.into_verdict().is_accepted());

        f = Findings::new();
        f.warn("careful");
        f.warn("careful");
        let v = f.into_verdict();
        assert_eq!(
            v,
            Verdict::Accept {
                warnings: vec!["careful".into()]
            }
        );

        f = Findings::new();
        f.violation("spec.rules[10].host", "\"b\" is bad");
        f.violation("spec.rules[2].host", "\"a\" is bad");
        f.violation("spec.rules[2].host", "\"a\" is bad");
        f.violation("", "object-level problem");
        let v = f.into_verdict();
        assert!(!v.is_accepted());
        assert_eq!(
            v.message().unwrap(),
            "object-level problem\nspec.rules[2].host \"a\" is bad\nspec.rules[10].host \"b\" is bad"
        );
    }

    /// The response policy-server reads from the verdict's bytes.
    fn read_back(verdict: &Verdict) -> ValidationResponse {
        serde_json::from_slice(&verdict.to_bytes()).unwrap()
    }

    #[test]
    fn response_shape() {
        let resp = read_back(&Verdict::reject("no"));
        assert!(!resp.accepted);
        assert_eq!(resp.message.as_deref(), Some("no"));
        assert!(resp.warnings.is_none());

        let mut f = Findings::new();
        f.warn("w");
        let resp = read_back(&f.into_mutation(serde_json::json!({"kind": "Namespace"})));
        assert!(resp.accepted);
        assert_eq!(resp.mutated_object.unwrap()["kind"], "Namespace");
        assert_eq!(resp.warnings.unwrap(), vec!["w".to_string()]);

        let mut f = Findings::new();
        f.violation("x", "bad");
        let v = f.into_mutation(serde_json::json!({}));
        assert!(!v.is_accepted());

        assert_eq!(Verdict::accept().to_bytes(), br#"{"accepted":true}"#);
    }

    /// The bytes are what policy-server reads: the SDK's ValidationResponse, empty fields None.
    #[test]
    fn wire_bytes_read_back_as_the_sdk_response() {
        let mut warned = Findings::new();
        warned.warn("w");
        let mut rejected = Findings::new();
        rejected.violation("spec.x", "is \"bad\"");
        rejected.warn("w");
        let object = serde_json::json!({"kind": "Namespace", "n": 1.5});
        let w = || Some(vec!["w".to_string()]);
        // (verdict, accepted, message, mutated object, warnings)
        let cases = [
            (Verdict::accept(), true, None, None, None),
            (warned.into_verdict(), true, None, None, w()),
            (
                rejected.into_verdict(),
                false,
                Some("spec.x is \"bad\"".to_string()),
                None,
                w(),
            ),
            (
                Verdict::Mutate {
                    object: object.clone(),
                    warnings: Vec::new(),
                },
                true,
                None,
                Some(object),
                None,
            ),
        ];
        for (verdict, accepted, message, mutated_object, warnings) in cases {
            let back = read_back(&verdict);
            assert_eq!(back.accepted, accepted);
            assert_eq!(back.message, message);
            assert_eq!(back.code, None);
            assert_eq!(back.mutated_object, mutated_object);
            assert!(back.audit_annotations.is_none());
            assert_eq!(back.warnings, warnings);
        }
    }
}
