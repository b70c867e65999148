//! `rewrite` rules, parsed as CoreDNS parses them, so that the one-line form and the block
//! form are judged as the same rule.
//!
//! `rewriteParse` (`plugin/rewrite/setup.go`) reads the arguments of the `rewrite` line and,
//! when there are fewer than two, appends every token of its `{ }` block: a block is one rule
//! flattened onto one line, `continue`/`stop` and the rule type included. `newRule`
//! (`plugin/rewrite/rewrite.go`) then reads the optional mode and the rule type, and
//! `newNameRule`, `parseAnswerRules` (`name.go`) and `newCNAMERule` (`cname_target.go`) the
//! match type and the names.

use crate::corefile::Directive;
use crate::zone::dns_lower;

/// `stop` (the default) or `continue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Stop,
    Continue,
}

/// How a `name` or `cname` rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Exact,
    Prefix,
    Suffix,
    Substring,
    Regex,
}

impl Match {
    fn parse(text: &str) -> Option<Match> {
        Some(match text.to_ascii_lowercase().as_str() {
            "exact" => Match::Exact,
            "prefix" => Match::Prefix,
            "suffix" => Match::Suffix,
            "substring" => Match::Substring,
            "regex" => Match::Regex,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Match::Exact => "exact",
            Match::Prefix => "prefix",
            Match::Suffix => "suffix",
            Match::Substring => "substring",
            Match::Regex => "regex",
        }
    }
}

/// A name mapping: what a question (or CNAME target) is matched against and what replaces it.
/// `from` and `to` are as CoreDNS keeps them: names lower-cased and fully qualified
/// (`plugin.Name.Normalize`), a regex pattern as written, a regex replacement template
/// normalized too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub kind: Match,
    pub from: String,
    pub to: String,
}

/// `answer name FROM TO` or `answer value FROM TO`: rewrites of the response only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerRule {
    pub value: bool,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `name [MATCH] FROM TO [answer ...]`: rewrites the question.
    Name {
        mapping: Mapping,
        answers: Vec<AnswerRule>,
        /// `answer auto`: responses are mapped back by the reverse of the rule.
        auto: bool,
    },
    /// `cname [MATCH] FROM TO`: rewrites CNAME targets in answers and resolves the new target.
    Cname(Mapping),
    /// `class`, `type`, `edns0`, `ttl`, `rcode`: rules that leave names alone.
    Other {
        rule_type: String,
        args: Vec<String>,
    },
}

/// One parsed rule of a `rewrite` directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RewriteRule {
    pub mode: Mode,
    pub rule: Rule,
}

/// The tokens CoreDNS builds one rule from: the line's arguments, and, when there are fewer
/// than two, every token of the block after them (`rewriteParse`).
pub fn rule_tokens<'a>(d: &'a Directive<'_>) -> Vec<&'a str> {
    let mut args: Vec<&str> = d.arg_texts().collect();
    if args.len() < 2 {
        flatten(d.properties(), &mut args);
    }
    args
}

fn flatten<'a>(lines: &'a [Directive<'_>], out: &mut Vec<&'a str>) {
    for line in lines {
        out.push(line.name.text.as_ref());
        out.extend(line.arg_texts());
        if let Some(block) = &line.block {
            // A nested block's braces are tokens too; CoreDNS would refuse them as names.
            out.push("{");
            flatten(block, out);
            out.push("}");
        }
    }
}

/// `plugin.Name(s).Normalize()`: lower-case, fully qualified.
fn normalize(name: &str) -> String {
    let mut name = dns_lower(name);
    if !name.ends_with('.') {
        name.push('.');
    }
    name
}

/// Parses the rule of a `rewrite` directive; the error is the reason CoreDNS refuses it.
pub fn parse_rule(d: &Directive) -> Result<RewriteRule, String> {
    parse_tokens(&rule_tokens(d))
}

/// `newRule`: `[continue|stop] TYPE ARGS...`.
pub fn parse_tokens(args: &[&str]) -> Result<RewriteRule, String> {
    let Some(first) = args.first() else {
        return Err("it names no rule type".into());
    };
    let (mode, rest) = match first.to_ascii_lowercase().as_str() {
        "continue" => (Mode::Continue, &args[1..]),
        "stop" => (Mode::Stop, &args[1..]),
        _ => (Mode::Stop, args),
    };
    let Some((rule_type, rest)) = rest.split_first() else {
        return Err(format!("{first} must be followed by a rule type"));
    };
    let rule_type = rule_type.to_ascii_lowercase();
    let rule = match rule_type.as_str() {
        "answer" => return Err("response rewrites (answer) must follow a name rule".into()),
        "name" => parse_name(rest)?,
        "cname" => Rule::Cname(parse_cname(rest)?),
        "class" | "type" if rest.len() != 2 => {
            return Err(format!("{rule_type} rules take exactly two arguments"));
        }
        "class" | "type" | "edns0" | "ttl" | "rcode" => Rule::Other {
            rule_type,
            args: rest.iter().map(|s| s.to_string()).collect(),
        },
        _ => {
            return Err(format!(
                "{rule_type:?} is not a rule type (name, answer, class, type, edns0, ttl, cname, rcode)"
            ));
        }
    };
    Ok(RewriteRule { mode, rule })
}

/// `newNameRule`: `FROM TO` (exact), or `MATCH FROM TO [answer ...]`.
fn parse_name(args: &[&str]) -> Result<Rule, String> {
    let (kind, from, to, answers) = match args {
        [from, to] => (Match::Exact, *from, *to, &[][..]),
        [kind, from, to, answers @ ..] => {
            let kind = Match::parse(kind).ok_or_else(|| {
                format!("name rules match exact, prefix, suffix, substring or regex, not {kind:?}")
            })?;
            (kind, *from, *to, answers)
        }
        _ => return Err("a name rule needs a name to match and its replacement".into()),
    };
    let from = match kind {
        Match::Regex => from.to_string(),
        _ => normalize(from),
    };
    let (auto, answers) = if answers.is_empty() {
        (false, Vec::new())
    } else {
        parse_answers(answers)?
    };
    Ok(Rule::Name {
        mapping: Mapping {
            kind,
            from,
            to: normalize(to),
        },
        answers,
        auto,
    })
}

/// `parseAnswerRules`: `answer auto`, `answer name FROM TO`, `answer value FROM TO`, where
/// `answer` may be left out after the first.
fn parse_answers(args: &[&str]) -> Result<(bool, Vec<AnswerRule>), String> {
    if args.len() < 2 {
        return Err("what follows the name rule is not an answer rule".into());
    }
    let (mut auto, mut rules, mut names) = (false, Vec::new(), 0usize);
    let mut i = 0;
    let mut first = true;
    while i < args.len() {
        if first && args[i] != "answer" {
            return Err(format!(
                "{:?} follows the name rule where `answer` is expected",
                args[i]
            ));
        }
        first = false;
        if args[i] == "answer" {
            i += 1;
        }
        let Some(what) = args.get(i) else {
            return Err("an answer rule names no type (auto, name or value)".into());
        };
        i += 1;
        match *what {
            "auto" => auto = true,
            "name" | "value" => {
                let (Some(from), Some(to)) = (args.get(i), args.get(i + 1)) else {
                    return Err(format!("answer {what} needs a pattern and a replacement"));
                };
                names += usize::from(*what == "name");
                rules.push(AnswerRule {
                    value: *what == "value",
                    from: from.to_string(),
                    to: normalize(to),
                });
                i += 2;
            }
            other => {
                return Err(format!(
                    "{other:?} is not an answer rule type (auto, name or value)"
                ));
            }
        }
    }
    if auto && names > 0 {
        return Err("answer auto cannot be combined with answer name rules".into());
    }
    Ok((auto, rules))
}

/// `newCNAMERule`: `FROM TO` (exact) or `MATCH FROM TO`, lower-cased.
fn parse_cname(args: &[&str]) -> Result<Mapping, String> {
    let (kind, from, to) = match args {
        [from, to] => (Match::Exact, *from, *to),
        [kind, from, to] => (
            Match::parse(kind).ok_or_else(|| format!("{kind:?} is not a cname rewrite type"))?,
            *from,
            *to,
        ),
        _ => return Err("a cname rule takes a target to match and its replacement".into()),
    };
    let (from, to) = match kind {
        Match::Exact => (normalize(from), normalize(to)),
        _ => (dns_lower(from), dns_lower(to)),
    };
    Ok(Mapping { kind, from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corefile::parse_directives;

    fn rule(text: &str) -> Result<RewriteRule, String> {
        let file = parse_directives(text).unwrap();
        parse_rule(&file.blocks[0].directives[0])
    }

    fn name(kind: Match, from: &str, to: &str) -> Mapping {
        Mapping {
            kind,
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn one_line_and_block_forms_are_the_same_rule() {
        let line =
            rule("rewrite stop name exact Kubernetes.default.svc.cluster.local evil.example.com\n")
                .unwrap();
        let block = rule("rewrite stop {\n  name exact kubernetes.default.svc.cluster.local evil.example.com\n}\n").unwrap();
        let bare = rule(
            "rewrite {\n  name exact kubernetes.default.svc.cluster.local evil.example.com\n}\n",
        )
        .unwrap();
        let mode_inside = rule("rewrite {\n  stop name exact kubernetes.default.svc.cluster.local\n  evil.example.com\n}\n").unwrap();
        assert_eq!(line, block);
        assert_eq!(block, bare);
        assert_eq!(bare, mode_inside);
        assert_eq!(line.mode, Mode::Stop);
        let Rule::Name { mapping, .. } = &line.rule else {
            panic!("{line:?}")
        };
        assert_eq!(
            *mapping,
            name(
                Match::Exact,
                "kubernetes.default.svc.cluster.local.",
                "evil.example.com."
            )
        );
    }

    #[test]
    fn match_types_modes_and_answers() {
        let r = rule("rewrite continue {\n  name regex (.*)\\.corp\\.example {1}.default.svc.cluster.local\n  answer name (.*)\\.default\\.svc\\.cluster\\.local {1}.corp.example\n}\n").unwrap();
        assert_eq!(r.mode, Mode::Continue);
        let Rule::Name {
            mapping,
            answers,
            auto,
        } = r.rule
        else {
            panic!()
        };
        assert_eq!(
            mapping,
            name(
                Match::Regex,
                "(.*)\\.corp\\.example",
                "{1}.default.svc.cluster.local."
            )
        );
        assert!(!auto);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].to, "{1}.corp.example.");
        for (text, kind) in [
            ("prefix", Match::Prefix),
            ("SUFFIX", Match::Suffix),
            ("substring", Match::Substring),
        ] {
            let r = rule(&format!("rewrite name {text} a b\n")).unwrap();
            let Rule::Name { mapping, .. } = r.rule else {
                panic!()
            };
            assert_eq!(mapping, name(kind, "a.", "b."));
        }
        let r = rule("rewrite name suffix .a. .b. answer auto\n").unwrap();
        assert!(matches!(r.rule, Rule::Name { auto: true, .. }));
        let r = rule("rewrite cname regex (.*)\\.Example\\.org {1}.cdn.net\n").unwrap();
        assert_eq!(
            r.rule,
            Rule::Cname(name(Match::Regex, "(.*)\\.example\\.org", "{1}.cdn.net"))
        );
        let r = rule("rewrite stop {\n  ttl regex (.*)\\.example\\.org 10\n}\n").unwrap();
        assert!(matches!(r.rule, Rule::Other { ref rule_type, .. } if rule_type == "ttl"));
        let r = rule("rewrite edns0 local set 0xffee abcd\n").unwrap();
        assert!(matches!(r.rule, Rule::Other { ref args, .. } if args.len() == 4));
    }

    #[test]
    fn what_coredns_refuses() {
        for (text, why) in [
            ("rewrite\n", "no rule type"),
            ("rewrite stop\n", "must be followed by a rule type"),
            ("rewrite answer name a b\n", "must follow a name rule"),
            ("rewrite bogus a b\n", "not a rule type"),
            ("rewrite name a\n", "needs a name to match"),
            ("rewrite name fuzzy a b\n", "not \"fuzzy\""),
            ("rewrite class CH\n", "exactly two"),
            ("rewrite name regex a b extra\n", "not an answer rule"),
            ("rewrite name regex a b answer\n", "not an answer rule"),
            (
                "rewrite name regex a b junk name c d\n",
                "where `answer` is expected",
            ),
            (
                "rewrite name regex (a) b answer auto answer name a b\n",
                "cannot be combined",
            ),
            ("rewrite cname a\n", "cname rule"),
        ] {
            let err = rule(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
