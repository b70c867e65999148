//! Calico's selector language (`app == 'web' && has(tier)`), parsed and evaluated as
//! projectcalico/calico's `libcalico-go/lib/selector/parser` does: `Parser.parseRoot` (an empty
//! selector is `all()`), `parseOrExpression` (`||`, lowest precedence), `parseAndExpression`
//! (`&&`), `parseOperation` (leading `!`s collapsed to one negation, then `has()`, `all()`,
//! `global()`, `label op "value"`, `label in {...}`, or a parenthesised expression), and the
//! `Evaluate` methods of the nodes in `ast.go`. [`Selector`]'s `Display` is upstream's
//! `String()` form (`collectFragments`), which parses back to the same selector.

use std::fmt;

use super::tokenizer::{SyntaxError, Token, tokenize};

/// Parentheses nest at most this deep: upstream's recursion is bounded only by Go's growable
/// stack, a wasm module's stack is not. No real selector comes near it.
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    All,
    /// `global()`: upstream's `GlobalNode.Evaluate` is true; Calico rewrites it to
    /// `!has(projectcalico.org/namespace)` where it is allowed (see [`Selector::uses_global`]).
    Global,
    Has(String),
    Eq(String, String),
    Ne(String, String),
    Contains(String, String),
    StartsWith(String, String),
    EndsWith(String, String),
    /// The set sorted and without duplicates (`ConvertToStringSetInPlace`).
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// A parsed selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub root: Node,
}

impl Selector {
    /// `all()`: what an empty selector means.
    pub fn all() -> Selector {
        Selector { root: Node::All }
    }

    pub fn parse(text: &str) -> Result<Selector, SyntaxError<'_>> {
        let tokens = tokenize(text)?;
        let parser = Parser { tokens: &tokens };
        if tokens.first() == Some(&Token::Eof) {
            return Ok(Selector::all());
        }
        let (root, rest) = parser.or_expression(0, 0)?;
        match tokens.get(rest) {
            Some(Token::Eof) | None => Ok(Selector { root }),
            Some(token) => Err(SyntaxError::AfterTheEnd(*token)),
        }
    }

    /// Whether an endpoint with these labels is selected; `labels` answers a label's value.
    pub fn matches<'l>(&self, labels: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        self.root.evaluate(labels)
    }

    /// Selects every endpoint whatever its labels (`all()`, or an empty selector).
    pub fn is_all(&self) -> bool {
        matches!(self.root, Node::All)
    }

    /// Mentions `global()`, which Calico allows only in a rule's `namespaceSelector`.
    pub fn uses_global(&self) -> bool {
        self.root.any(&|n| matches!(n, Node::Global))
    }
}

impl Node {
    fn evaluate<'l>(&self, labels: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        let with = |key: &str, test: &dyn Fn(&str) -> bool| labels(key).is_some_and(test);
        match self {
            Node::All | Node::Global => true,
            Node::Has(key) => labels(key).is_some(),
            Node::Eq(key, value) => with(key, &|v| v == value),
            // A missing label is "not equal" and "not in" (`LabelNeValueNode.Evaluate`).
            Node::Ne(key, value) => !with(key, &|v| v == value),
            Node::Contains(key, value) => with(key, &|v| v.contains(value.as_str())),
            Node::StartsWith(key, value) => with(key, &|v| v.starts_with(value.as_str())),
            Node::EndsWith(key, value) => with(key, &|v| v.ends_with(value.as_str())),
            Node::In(key, set) => with(key, &|v| set.iter().any(|s| s == v)),
            Node::NotIn(key, set) => !with(key, &|v| set.iter().any(|s| s == v)),
            Node::Not(inner) => !inner.evaluate(labels),
            Node::And(nodes) => nodes.iter().all(|n| n.evaluate(labels)),
            Node::Or(nodes) => nodes.iter().any(|n| n.evaluate(labels)),
        }
    }

    fn any(&self, test: &dyn Fn(&Node) -> bool) -> bool {
        test(self)
            || match self {
                Node::Not(inner) => inner.any(test),
                Node::And(nodes) | Node::Or(nodes) => nodes.iter().any(|n| n.any(test)),
                _ => false,
            }
    }
}

/// A recursive-descent parser over the token list; positions are indices into it. The list
/// always ends with [`Token::Eof`], and every function stops there.
struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
}

impl<'t, 'a> Parser<'t, 'a> {
    fn at(&self, i: usize) -> &'t Token<'a> {
        self.tokens.get(i).unwrap_or(&Token::Eof)
    }

    /// `parseOrExpression`: and-expressions separated by `||`.
    fn or_expression(&self, i: usize, depth: usize) -> Result<(Node, usize), SyntaxError<'a>> {
        self.separated(i, depth, true)
    }

    /// `parseOrExpression` (`or`: and-expressions separated by `||`) and `parseAndExpression`
    /// (operations separated by `&&`), as one function so that the module holds it once.
    fn separated(
        &self,
        mut i: usize,
        depth: usize,
        or: bool,
    ) -> Result<(Node, usize), SyntaxError<'a>> {
        let (separator, many): (Token, fn(Vec<Node>) -> Node) = if or {
            (Token::Or, Node::Or)
        } else {
            (Token::And, Node::And)
        };
        let mut nodes = Vec::new();
        loop {
            let (node, next) = if or {
                self.separated(i, depth, false)?
            } else {
                self.operation(i, depth)?
            };
            nodes.push(node);
            if *self.at(next) != separator {
                return Ok((one_or(nodes, many), next));
            }
            i = next + 1;
        }
    }

    /// `parseOperation`.
    fn operation(&self, mut i: usize, depth: usize) -> Result<(Node, usize), SyntaxError<'a>> {
        let mut negated = false;
        while *self.at(i) == Token::Not {
            negated = !negated;
            i += 1;
        }
        let (node, next) = match self.at(i) {
            Token::Has(label) => (Node::Has(label.to_string()), i + 1),
            Token::All => (Node::All, i + 1),
            Token::Global => (Node::Global, i + 1),
            Token::Label(label) => self.comparison(label, i + 1)?,
            Token::LParen => {
                if depth >= MAX_DEPTH {
                    return Err(SyntaxError::TooDeep);
                }
                let (node, next) = self.or_expression(i + 1, depth + 1)?;
                if *self.at(next) != Token::RParen {
                    return Err(SyntaxError::NoRParen(*self.at(next)));
                }
                (node, next + 1)
            }
            token => return Err(SyntaxError::Unexpected(*token)),
        };
        let node = if negated {
            Node::Not(Box::new(node))
        } else {
            node
        };
        Ok((node, next))
    }

    /// `label op "value"` or `label [not] in {"a", "b"}`; `i` is just after the label.
    fn comparison(&self, label: &'a str, i: usize) -> Result<(Node, usize), SyntaxError<'a>> {
        let op = self.at(i);
        if matches!(op, Token::In | Token::NotIn) {
            if *self.at(i + 1) != Token::LBrace {
                return Err(SyntaxError::NoSet(label, *op));
            }
            let mut j = i + 2;
            let mut values = Vec::new();
            // Strings separated by commas; a trailing comma is allowed, as upstream's loop does.
            while let Token::String(value) = self.at(j) {
                values.push(value.to_string());
                j += 1;
                if *self.at(j) != Token::Comma {
                    break;
                }
                j += 1;
            }
            if *self.at(j) != Token::RBrace {
                return Err(SyntaxError::UnclosedSet(label, *self.at(j)));
            }
            crate::sort::sort_by(&mut values, |a, b| a.cmp(b));
            values.dedup();
            let node = if *op == Token::In {
                Node::In(label.to_string(), values)
            } else {
                Node::NotIn(label.to_string(), values)
            };
            return Ok((node, j + 1));
        }
        let make: fn(String, String) -> Node = match op {
            Token::Eq => Node::Eq,
            Token::Ne => Node::Ne,
            Token::Contains => Node::Contains,
            Token::StartsWith => Node::StartsWith,
            Token::EndsWith => Node::EndsWith,
            Token::Eof => return Err(SyntaxError::EndAfterLabel(label)),
            other => return Err(SyntaxError::NoComparison(label, *other)),
        };
        match self.at(i + 1) {
            Token::String(value) => Ok((make(label.to_string(), value.to_string()), i + 2)),
            other => Err(SyntaxError::NoString(label, *op, *other)),
        }
    }
}

fn one_or(mut nodes: Vec<Node>, many: fn(Vec<Node>) -> Node) -> Node {
    match nodes.pop() {
        Some(node) if nodes.is_empty() => node,
        Some(node) => {
            nodes.push(node);
            many(nodes)
        }
        None => many(nodes),
    }
}

/// A string in the quotes it can be written in: `"` unless it holds one (the language has no
/// escapes, so no parsed string holds both).
fn quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    if s.contains('"') {
        write!(f, "'{s}'")
    } else {
        write!(f, "\"{s}\"")
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compare = |f: &mut fmt::Formatter<'_>, key: &str, op: &str, value: &str| {
            write!(f, "{key} {op} ")?;
            quoted(f, value)
        };
        let set = |f: &mut fmt::Formatter<'_>, key: &str, op: &str, values: &[String]| {
            write!(f, "{key} {op} {{")?;
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                quoted(f, v)?;
            }
            f.write_str("}")
        };
        let join = |f: &mut fmt::Formatter<'_>, nodes: &[Node], op: &str| {
            f.write_str("(")?;
            for (i, n) in nodes.iter().enumerate() {
                if i > 0 {
                    f.write_str(op)?;
                }
                write!(f, "{n}")?;
            }
            f.write_str(")")
        };
        match self {
            Node::All => f.write_str("all()"),
            Node::Global => f.write_str("global()"),
            Node::Has(key) => write!(f, "has({key})"),
            Node::Eq(k, v) => compare(f, k, "==", v),
            Node::Ne(k, v) => compare(f, k, "!=", v),
            Node::Contains(k, v) => compare(f, k, "contains", v),
            Node::StartsWith(k, v) => compare(f, k, "starts with", v),
            Node::EndsWith(k, v) => compare(f, k, "ends with", v),
            Node::In(k, values) => set(f, k, "in", values),
            Node::NotIn(k, values) => set(f, k, "not in", values),
            Node::Not(inner) => write!(f, "!{inner}"),
            Node::And(nodes) => join(f, nodes, " && "),
            Node::Or(nodes) => join(f, nodes, " || "),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn eval(selector: &str, labels: &BTreeMap<String, String>) -> bool {
        let s = Selector::parse(selector).unwrap_or_else(|e| panic!("{selector:?}: {e}"));
        s.matches(&|k| labels.get(k).map(String::as_str))
    }

    #[test]
    fn evaluation_table() {
        let web = labels(&[("app", "web"), ("tier", "frontend"), ("empty", "")]);
        let none = labels(&[]);
        #[rustfmt::skip]
        let cases: &[(&str, &BTreeMap<String, String>, bool)] = &[
            ("", &web, true),
            ("   ", &none, true),
            ("all()", &none, true),
            ("global()", &web, true),
            ("app == 'web'", &web, true),
            ("app == \"web\"", &web, true),
            ("app == 'db'", &web, false),
            ("app == ''", &none, false),
            ("empty == ''", &web, true),
            ("app != 'db'", &web, true),
            ("app != 'web'", &web, false),
            ("app != 'web'", &none, true),
            ("has(tier)", &web, true),
            ("has(empty)", &web, true),
            ("has(zone)", &web, false),
            ("!has(zone)", &web, true),
            ("!!has(zone)", &web, false),
            ("! ! ! has(zone)", &web, true),
            ("app in {'db', 'web'}", &web, true),
            ("app in {'db'}", &web, false),
            ("app in {}", &web, false),
            ("app in {'web',}", &web, true),
            ("zone in {'a'}", &web, false),
            ("app not in {'db'}", &web, true),
            ("app not in {'web'}", &web, false),
            ("zone not in {'a'}", &web, true),
            ("app notin {}", &web, true),
            ("tier starts with 'front'", &web, true),
            ("tier starts with ''", &web, true),
            ("zone starts with ''", &web, false),
            ("tier ends with 'end'", &web, true),
            ("tier ends with 'front'", &web, false),
            ("tier contains 'ten'", &web, true),
            ("tier contains 'x'", &web, false),
            ("app == 'web' && has(tier)", &web, true),
            ("app == 'web' && has(zone)", &web, false),
            ("app == 'db' || has(tier)", &web, true),
            // && binds tighter than ||.
            ("app == 'db' && has(zone) || has(tier)", &web, true),
            ("app == 'db' && (has(zone) || has(tier))", &web, false),
            ("!(app == 'web' && has(tier))", &web, false),
            ("!app == 'web'", &web, false),
            ("((app == 'web'))", &web, true),
            ("app=='web'&&tier=='frontend'", &web, true),
            ("\tapp\t==\t'web'\t", &web, true),
            ("app.kubernetes.io/name == 'x'", &none, false),
            ("has(projectcalico.org/namespace)", &labels(&[("projectcalico.org/namespace", "a")]), true),
            ("App == 'web'", &web, false),
            ("app == 'Web'", &web, false),
        ];
        for (selector, labels, want) in cases {
            assert_eq!(eval(selector, labels), *want, "{selector:?} on {labels:?}");
        }
    }

    #[test]
    fn parse_errors() {
        let deep = format!(
            "{}all(){}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let cases: &[(&str, &str)] = &[
            ("app", "unexpected end of selector after label \"app\""),
            (
                "app ==",
                "expected a quoted string after app '==', found end of the selector",
            ),
            (
                "app == web",
                "expected a quoted string after app '==', found label \"web\"",
            ),
            (
                "app == has(x)",
                "expected a quoted string after app '==', found has(x)",
            ),
            (
                "app in 'web'",
                "expected a set literal {...} after app 'in'",
            ),
            (
                "app in {'a' 'b'}",
                "expected '}' to close the set of app, found string \"b\"",
            ),
            (
                "app in {'a'",
                "expected '}' to close the set of app, found end of the selector",
            ),
            ("app in {,}", "found ','"),
            ("(app == 'a'", "expected ')', found end of the selector"),
            (
                "app == 'a')",
                "unexpected ')' after the end of the expression",
            ),
            ("()", "unexpected ')'"),
            ("!", "unexpected end of the selector"),
            ("&& has(a)", "unexpected '&&'"),
            ("has(a) &&", "unexpected end of the selector"),
            (
                "has(a) has(b)",
                "unexpected has(b) after the end of the expression",
            ),
            ("'web'", "unexpected string \"web\""),
            ("all() all()", "unexpected all() after the end"),
            (deep.as_str(), "parentheses nest deeper than 64 levels"),
        ];
        for (selector, want) in cases {
            let err = Selector::parse(selector).unwrap_err().to_string();
            assert!(err.contains(want), "{selector:?}: {err}");
        }
        let deep_ok = format!("{}all(){}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Selector::parse(&deep_ok).is_ok());
    }

    #[test]
    fn prints_calicos_canonical_form() {
        let cases: &[(&str, &str)] = &[
            ("", "all()"),
            ("a=='b'", "a == \"b\""),
            ("a=='say \"hi\"'", "a == 'say \"hi\"'"),
            ("a in {'z','a','z'}", "a in {\"a\", \"z\"}"),
            ("a notin {}", "a not in {}"),
            ("a startswith 'x'", "a starts with \"x\""),
            (
                "!has(a) && b != 'c' || global()",
                "((!has(a) && b != \"c\") || global())",
            ),
            ("!(a == 'b')", "!a == \"b\""),
            ("((a contains 'b'))", "a contains \"b\""),
        ];
        for (text, want) in cases {
            let s = Selector::parse(text).unwrap();
            assert_eq!(s.to_string(), *want, "{text:?}");
            assert_eq!(Selector::parse(want).unwrap(), s, "{want:?} parses back");
        }
        assert!(
            Selector::parse("a == 'b' || global()")
                .unwrap()
                .uses_global()
        );
        assert!(!Selector::parse("has(global)").unwrap().uses_global());
        assert!(Selector::parse(" all( ) ").unwrap().is_all());
        assert!(!Selector::parse("all() && all()").unwrap().is_all());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn label() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("app".to_string()),
            Just("tier".to_string()),
            Just("in".to_string()),
            Just("has".to_string()),
            "[a-zA-Z0-9_./-]{1,12}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("web".to_string()),
            Just(String::new()),
            "[a-z\"]{0,4}",
            "[a-z' &|(){}!=]{0,6}",
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            Just(Node::All),
            Just(Node::Global),
            label().prop_map(Node::Has),
            (label(), value()).prop_map(|(k, v)| Node::Eq(k, v)),
            (label(), value()).prop_map(|(k, v)| Node::Ne(k, v)),
            (label(), value()).prop_map(|(k, v)| Node::Contains(k, v)),
            (label(), value()).prop_map(|(k, v)| Node::StartsWith(k, v)),
            (label(), value()).prop_map(|(k, v)| Node::EndsWith(k, v)),
            (label(), prop::collection::btree_set(value(), 0..3))
                .prop_map(|(k, v)| Node::In(k, v.into_iter().collect())),
            (label(), prop::collection::btree_set(value(), 0..3))
                .prop_map(|(k, v)| Node::NotIn(k, v.into_iter().collect())),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|n| Node::Not(Box::new(n))),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Node::And),
                prop::collection::vec(inner, 2..4).prop_map(Node::Or),
            ]
        })
    }

    fn label_map() -> impl Strategy<Value = BTreeMap<String, String>> {
        prop::collection::btree_map(
            prop_oneof![Just("app".to_string()), Just("tier".to_string()), label()],
            value(),
            0..4,
        )
    }

    proptest! {
        /// Any text: no panic, and what parses prints to a form that parses to the same tree.
        #[test]
        fn arbitrary_text_never_panics(text in "[ a-z()!=&|{},'\"\\t]{0,40}|.{0,40}") {
            if let Ok(s) = Selector::parse(&text) {
                // `!(!a)` is a double negation upstream's parser keeps and its printed `!!a`
                // collapses: equal after one round, then a fixed point.
                let printed = s.to_string();
                let parsed = Selector::parse(&printed);
                prop_assert!(parsed.is_ok(), "{}: {:?}", printed, parsed);
                let parsed = parsed.unwrap();
                let again = parsed.to_string();
                prop_assert_eq!(Selector::parse(&again), Ok(parsed.clone()));
                let labels: [(&str, &str); 2] = [("a", "b"), ("app", "")];
                let get = |k: &str| labels.iter().find(|(l, _)| *l == k).map(|(_, v)| *v);
                prop_assert_eq!(parsed.matches(&get), s.matches(&get));
            }
        }

        /// A printed tree parses back to a selector that selects exactly the same labels, and
        /// printing is a fixed point after one round (`!!x` collapses, nesting flattens).
        #[test]
        fn printing_round_trips(tree in node(), labels in label_map()) {
            let printed = tree.to_string();
            let parsed = Selector::parse(&printed);
            prop_assert!(parsed.is_ok(), "{}: {:?}", printed, parsed);
            let parsed = parsed.unwrap();
            let get = |k: &str| labels.get(k).map(String::as_str);
            prop_assert_eq!(parsed.matches(&get), tree.evaluate(&get), "{}", printed);
            let again = parsed.to_string();
            prop_assert_eq!(Selector::parse(&again), Ok(parsed), "{}", again);
        }
    }
}
