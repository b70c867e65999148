//! Host patterns and the sets of names they cover, as each API reads a leading `*.`.
//!
//! - Ingress: `*.example.com` covers exactly one more label (`IngressRule.host` in the
//!   networking/v1 API; `validateIngressRules` and `validateIngressTLS` in Kubernetes'
//!   `pkg/apis/networking/validation` accept a `*` only as the whole first label, through
//!   `IsWildcardDNS1123Subdomain`).
//! - Gateway API (`Hostname` in `apis/v1/shared_types.go`) and Istio (`host.Name.Matches` in
//!   `pkg/config/host`, a suffix comparison): `*.example.com` is a suffix match of any depth.
//!
//! Neither covers `example.com` itself. Two claims conflict when their sets intersect, which
//! [`Pattern::intersects`] decides exactly for every pair of the three shapes.

use std::borrow::Cow;

use netsec_shared::host::check_domain;

/// How an API reads a leading `*.` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wildcards {
    /// Ingress: one label.
    OneLabel,
    /// Gateway API, Istio, and this policy's settings: any number of labels.
    AnyDepth,
}

/// The set of names a host covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// The name itself.
    Exact,
    /// `x.<base>` for one label `x`.
    OneLabel,
    /// Every name strictly under `<base>`.
    Suffix,
}

/// A host read as a set of names: `base` is the name, or what follows `*.`; lower-case, without
/// a trailing dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern<'a> {
    pub shape: Shape,
    pub base: Cow<'a, str>,
}

impl<'a> Pattern<'a> {
    /// Reads `host` as `wildcards` says. The error says why it is not a DNS name with at most one
    /// leading wildcard label.
    pub fn parse(host: &'a str, wildcards: Wildcards) -> Result<Pattern<'a>, String> {
        let (shape, rest) = match host.strip_prefix("*.") {
            Some(rest) => (
                match wildcards {
                    Wildcards::OneLabel => Shape::OneLabel,
                    Wildcards::AnyDepth => Shape::Suffix,
                },
                rest,
            ),
            None => (Shape::Exact, host),
        };
        if rest.contains('*') {
            return Err("a wildcard may only be the whole first label (*.example.com)".into());
        }
        check_domain(rest)?;
        let rest = rest.strip_suffix('.').unwrap_or(rest);
        let base = if rest.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(rest.to_ascii_lowercase())
        } else {
            Cow::Borrowed(rest)
        };
        Ok(Pattern { shape, base })
    }

    /// Do the two patterns cover a name in common?
    pub fn intersects(&self, other: &Pattern<'_>) -> bool {
        let (a, b) = (self.base.as_ref(), other.base.as_ref());
        match (self.shape, other.shape) {
            (Shape::Exact, Shape::Exact) => a == b,
            (Shape::Exact, Shape::OneLabel) => one_label_under(a, b),
            (Shape::OneLabel, Shape::Exact) => one_label_under(b, a),
            (Shape::Exact, Shape::Suffix) => strictly_under(a, b),
            (Shape::Suffix, Shape::Exact) => strictly_under(b, a),
            (Shape::OneLabel, Shape::OneLabel) => a == b,
            // x.a is under b when a is b or a is under b; when b is under a, x.a is too short.
            (Shape::OneLabel, Shape::Suffix) => a == b || strictly_under(a, b),
            (Shape::Suffix, Shape::OneLabel) => a == b || strictly_under(b, a),
            (Shape::Suffix, Shape::Suffix) => {
                a == b || strictly_under(a, b) || strictly_under(b, a)
            }
        }
    }

    /// Is every name `other` covers covered by `self`?
    pub fn contains(&self, other: &Pattern<'_>) -> bool {
        let (a, b) = (self.base.as_ref(), other.base.as_ref());
        match (self.shape, other.shape) {
            (Shape::Exact, Shape::Exact) => a == b,
            (Shape::Exact, _) => false,
            (Shape::OneLabel, Shape::Exact) => one_label_under(b, a),
            (Shape::OneLabel, Shape::OneLabel) => a == b,
            (Shape::OneLabel, Shape::Suffix) => false,
            (Shape::Suffix, Shape::Exact) => strictly_under(b, a),
            (Shape::Suffix, _) => a == b || strictly_under(b, a),
        }
    }

    /// How specific the pattern is, for choosing among the settings entries that contain a
    /// host: an exact name first, then the longest domain.
    pub fn specificity(&self) -> (bool, usize) {
        (self.shape == Shape::Exact, self.base.len())
    }
}

impl std::fmt::Display for Pattern<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.shape {
            Shape::Exact => f.write_str(&self.base),
            _ => write!(f, "*.{}", self.base),
        }
    }
}

/// Is `name` a subdomain of `parent`, at any depth (not `parent` itself)?
fn strictly_under(name: &str, parent: &str) -> bool {
    name.len() > parent.len() + 1
        && name.ends_with(parent)
        && name.as_bytes()[name.len() - parent.len() - 1] == b'.'
}

/// Is `name` one label more than `parent`?
fn one_label_under(name: &str, parent: &str) -> bool {
    strictly_under(name, parent) && !name[..name.len() - parent.len() - 1].contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(host: &str, w: Wildcards) -> Pattern<'_> {
        Pattern::parse(host, w).unwrap()
    }

    const ING: Wildcards = Wildcards::OneLabel;
    const GW: Wildcards = Wildcards::AnyDepth;

    #[test]
    fn parsing() {
        assert_eq!(p("Shop.Example.com.", GW).to_string(), "shop.example.com");
        assert_eq!(p("*.example.com", ING).shape, Shape::OneLabel);
        assert_eq!(p("*.example.com", GW).shape, Shape::Suffix);
        assert_eq!(p("*.example.com", GW).to_string(), "*.example.com");
        for bad in [
            "", "*", "*.", "a.*.com", "**.a.com", "*a.com", "a..b", "a b.com", "-a.com", "a/b",
        ] {
            assert!(Pattern::parse(bad, GW).is_err(), "{bad}");
        }
        assert!(matches!(p("a.example.com", GW).base, Cow::Borrowed(_)));
    }

    #[test]
    fn overlaps_both_ways() {
        let cases = [
            ("a.example.com", ING, "a.example.com", GW, true),
            ("a.example.com", ING, "b.example.com", GW, false),
            ("*.example.com", ING, "a.example.com", GW, true),
            ("*.example.com", ING, "a.b.example.com", GW, false),
            ("*.example.com", ING, "example.com", GW, false),
            ("*.example.com", GW, "a.b.example.com", GW, true),
            ("*.example.com", GW, "example.com", GW, false),
            ("*.example.com", ING, "*.b.example.com", GW, false),
            ("*.b.example.com", ING, "*.example.com", GW, true),
            ("*.example.com", ING, "*.example.com", GW, true),
            ("*.example.com", ING, "*.example.com", ING, true),
            ("*.a.example.com", ING, "*.example.com", ING, false),
            ("*.a.example.com", GW, "*.example.com", GW, true),
            ("*.example.com", GW, "*.example.org", GW, false),
            ("*.ample.com", GW, "a.example.com", ING, false),
        ];
        for (a, wa, b, wb, want) in cases {
            let (x, y) = (p(a, wa), p(b, wb));
            assert_eq!(x.intersects(&y), want, "{a:?} {wa:?} ∩ {b:?} {wb:?}");
            assert_eq!(y.intersects(&x), want, "{b:?} {wb:?} ∩ {a:?} {wa:?}");
        }
    }

    /// Every name over a small alphabet, up to five labels: enough to hold a witness of any
    /// intersection or non-containment of patterns whose bases have at most three labels.
    fn universe() -> Vec<String> {
        let mut all = vec![];
        let mut level: Vec<String> = vec![String::new()];
        for _ in 0..5 {
            let mut next = vec![];
            for name in &level {
                for label in ["a", "b", "c"] {
                    next.push(if name.is_empty() {
                        label.to_string()
                    } else {
                        format!("{label}.{name}")
                    });
                }
            }
            all.extend(next.iter().cloned());
            level = next;
        }
        all
    }

    fn covers(p: &Pattern<'_>, name: &str) -> bool {
        match p.shape {
            Shape::Exact => name == p.base,
            Shape::OneLabel => one_label_under(name, &p.base),
            Shape::Suffix => strictly_under(name, &p.base),
        }
    }

    fn patterns() -> Vec<Pattern<'static>> {
        let mut bases = vec![];
        for a in ["a", "b"] {
            bases.push(a.to_string());
            for b in ["a", "b"] {
                bases.push(format!("{a}.{b}"));
                for c in ["a", "b"] {
                    bases.push(format!("{a}.{b}.{c}"));
                }
            }
        }
        let mut out = vec![];
        for base in bases {
            for shape in [Shape::Exact, Shape::OneLabel, Shape::Suffix] {
                out.push(Pattern {
                    shape,
                    base: Cow::Owned(base.clone()),
                });
            }
        }
        out
    }

    /// The set operations agree with the sets themselves, pattern pair by pattern pair.
    #[test]
    fn intersection_and_containment_match_the_sets() {
        let names = universe();
        let all = patterns();
        for x in &all {
            let xs: Vec<bool> = names.iter().map(|n| covers(x, n)).collect();
            for y in &all {
                let ys: Vec<bool> = names.iter().map(|n| covers(y, n)).collect();
                let meet = xs.iter().zip(&ys).any(|(a, b)| *a && *b);
                let within = xs.iter().zip(&ys).all(|(a, b)| !*b || *a);
                assert_eq!(x.intersects(y), meet, "{x:?} ∩ {y:?}");
                assert_eq!(x.contains(y), within, "{x:?} ⊇ {y:?}");
            }
        }
    }

    fn label() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "xn--p1ai", "shop", "1"]).prop_map(String::from)
    }

    fn host() -> impl Strategy<Value = String> {
        (prop::bool::ANY, prop::collection::vec(label(), 1..5)).prop_map(|(wild, labels)| {
            let name = labels.join(".");
            if wild { format!("*.{name}") } else { name }
        })
    }

    proptest! {
        /// Symmetry, reflexivity, and containment implying intersection, on random hosts of
        /// both APIs; a name it covers witnesses every intersection found.
        #[test]
        fn laws(a in host(), b in host(), wa in prop::bool::ANY, wb in prop::bool::ANY) {
            let w = |one| if one { Wildcards::OneLabel } else { Wildcards::AnyDepth };
            let (x, y) = (p(&a, w(wa)), p(&b, w(wb)));
            prop_assert_eq!(x.intersects(&y), y.intersects(&x));
            prop_assert!(x.intersects(&x) && x.contains(&x));
            if x.contains(&y) {
                prop_assert!(x.intersects(&y));
            }
            if x.contains(&y) && y.contains(&x) {
                prop_assert_eq!(&x, &y);
            }
            // A witness: the deeper base with one extra label, or the base itself when exact.
            if x.intersects(&y) {
                let deeper = if x.base.len() >= y.base.len() { &x } else { &y };
                let witness = match deeper.shape {
                    Shape::Exact => deeper.base.to_string(),
                    _ => format!("zz.{}", deeper.base),
                };
                prop_assert!(covers(&x, &witness) && covers(&y, &witness),
                    "{} witnesses {:?} and {:?}", witness, x, y);
            }
        }
    }
}
