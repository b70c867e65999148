//! The tokens of Calico's selector language, cut the way projectcalico/calico's
//! `libcalico-go/lib/selector/tokenizer` `AppendTokens` cuts them: one pass, left to right, with
//! the operator words (`contains`, `starts with`, `ends with`, `not in`, `in`) recognised only
//! right after a label, and `has(`, `all(`, `global(` only where a label could start.

use std::fmt;

/// Labels longer than this are refused (upstream `MaxLabelLength`).
pub const MAX_LABEL_LENGTH: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    Label(&'a str),
    /// A quoted string, without its quotes. The language has no escapes: a string in `'...'`
    /// holds no `'`, one in `"..."` no `"`.
    String(&'a str),
    LBrace,
    RBrace,
    Comma,
    Eq,
    Ne,
    In,
    Not,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    All,
    Has(&'a str),
    LParen,
    RParen,
    And,
    Or,
    Global,
    Eof,
}

/// Why a selector does not parse, with what the message names. The message is written only when
/// shown (`Display`): a policy that only asks whether a selector parses carries none of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxError<'a> {
    Plain(&'static str),
    /// No label where one must start: the character found there, `None` at the end.
    NoLabel(Option<char>),
    TooLong(&'a str),
    Unterminated(char),
    NoOperatorAfter(&'a str),
    NoClosingParen(&'static str),
    TooDeep,
    Unexpected(Token<'a>),
    AfterTheEnd(Token<'a>),
    NoRParen(Token<'a>),
    /// The label, the operator.
    NoSet(&'a str, Token<'a>),
    /// The label, what was found.
    UnclosedSet(&'a str, Token<'a>),
    EndAfterLabel(&'a str),
    NoComparison(&'a str, Token<'a>),
    /// The label, the operator, what was found.
    NoString(&'a str, Token<'a>, Token<'a>),
}

impl fmt::Display for SyntaxError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SyntaxError::Plain(message) => f.write_str(message),
            SyntaxError::NoLabel(Some(c)) => write!(f, "expected a label, found {c:?}"),
            SyntaxError::NoLabel(None) => {
                f.write_str("expected a label, found the end of the selector")
            }
            SyntaxError::TooLong(label) => write!(
                f,
                "label {:?}... is longer than {MAX_LABEL_LENGTH} characters",
                label.get(..32).unwrap_or(label)
            ),
            SyntaxError::Unterminated(quote) => write!(f, "unterminated string starting {quote}"),
            SyntaxError::NoOperatorAfter(label) => {
                write!(f, "expected an operator after label {label:?}")
            }
            SyntaxError::NoClosingParen(name) => write!(f, "no closing ')' after {name}"),
            SyntaxError::TooDeep => write!(
                f,
                "parentheses nest deeper than {} levels",
                super::selector::MAX_DEPTH
            ),
            SyntaxError::Unexpected(token) => write!(f, "unexpected {token}"),
            SyntaxError::AfterTheEnd(token) => {
                write!(f, "unexpected {token} after the end of the expression")
            }
            SyntaxError::NoRParen(token) => write!(f, "expected ')', found {token}"),
            SyntaxError::NoSet(label, op) => {
                write!(f, "expected a set literal {{...}} after {label} {op}")
            }
            SyntaxError::UnclosedSet(label, found) => {
                write!(
                    f,
                    "expected '}}' to close the set of {label}, found {found}"
                )
            }
            SyntaxError::EndAfterLabel(label) => {
                write!(f, "unexpected end of selector after label {label:?}")
            }
            SyntaxError::NoComparison(label, found) => write!(
                f,
                "expected an operator (==, !=, in, not in, contains, starts with, ends with) \
                 after label {label:?}, found {found}"
            ),
            SyntaxError::NoString(label, op, found) => write!(
                f,
                "expected a quoted string after {label} {op}, found {found}"
            ),
        }
    }
}

/// A token as messages name it.
impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fixed = match self {
            Token::Label(l) => return write!(f, "label {l:?}"),
            Token::String(s) => return write!(f, "string {s:?}"),
            Token::Has(l) => return write!(f, "has({l})"),
            Token::Eof => "end of the selector",
            Token::LBrace => "'{'",
            Token::RBrace => "'}'",
            Token::Comma => "','",
            Token::Eq => "'=='",
            Token::Ne => "'!='",
            Token::In => "'in'",
            Token::Not => "'!'",
            Token::NotIn => "'not in'",
            Token::Contains => "'contains'",
            Token::StartsWith => "'starts with'",
            Token::EndsWith => "'ends with'",
            Token::All => "all()",
            Token::LParen => "'('",
            Token::RParen => "')'",
            Token::And => "'&&'",
            Token::Or => "'||'",
            Token::Global => "global()",
        };
        f.write_str(fixed)
    }
}

/// The characters of a label (upstream `identifierChar`).
pub fn identifier_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-')
}

/// Only spaces and tabs separate tokens (upstream `trimWhitespace`); a newline is an error.
fn trim(input: &str) -> &str {
    input.trim_start_matches([' ', '\t'])
}

/// The end of the input or a character that cannot continue a word (upstream `isWordBoundary`).
fn word_boundary(rest: &str) -> bool {
    rest.bytes().next().is_none_or(|c| !identifier_char(c))
}

/// `words` in sequence, spaces and tabs allowed between them (so `notin` and `not  in` both
/// count), then a word boundary (upstream `cutMultiWordPrefixCheckBreak`, and
/// `cutPrefixCheckBreak` for one word).
fn cut_words<'a>(input: &'a str, words: &[&str]) -> Option<&'a str> {
    let mut rest = input;
    for word in words {
        rest = trim(rest.strip_prefix(word)?);
    }
    word_boundary(rest).then_some(rest)
}

/// A label at the start of `input` and what follows it (upstream `cutIdentifier`).
fn cut_identifier(input: &str) -> Result<(&str, &str), SyntaxError<'_>> {
    let end = input
        .bytes()
        .position(|c| !identifier_char(c))
        .unwrap_or(input.len());
    let (ident, rest) = input.split_at(end);
    if ident.is_empty() {
        return Err(SyntaxError::NoLabel(input.chars().next()));
    }
    if ident.len() > MAX_LABEL_LENGTH {
        return Err(SyntaxError::TooLong(ident));
    }
    Ok((ident, rest))
}

/// `name(` `)`: the closing parenthesis may follow spaces.
fn cut_call<'a>(input: &'a str, name: &'static str) -> Option<Result<&'a str, SyntaxError<'a>>> {
    let rest = trim(input.strip_prefix(name)?);
    Some(
        rest.strip_prefix(')')
            .ok_or(SyntaxError::NoClosingParen(name)),
    )
}

/// The tokens of `input`, ending with [`Token::Eof`].
pub fn tokenize(mut input: &str) -> Result<Vec<Token<'_>>, SyntaxError<'_>> {
    let mut tokens = Vec::new();
    loop {
        input = trim(input);
        let Some(first) = input.bytes().next() else {
            tokens.push(Token::Eof);
            return Ok(tokens);
        };
        let simple = match first {
            b'(' => Some(Token::LParen),
            b')' => Some(Token::RParen),
            b'{' => Some(Token::LBrace),
            b'}' => Some(Token::RBrace),
            b',' => Some(Token::Comma),
            _ => None,
        };
        if let Some(token) = simple {
            tokens.push(token);
            input = &input[1..];
            continue;
        }
        match first {
            b'"' | b'\'' => {
                let quote = first as char;
                let body = &input[1..];
                let end = body.find(quote).ok_or(SyntaxError::Unterminated(quote))?;
                tokens.push(Token::String(&body[..end]));
                input = &body[end + 1..];
            }
            b'=' => {
                input = input.strip_prefix("==").ok_or(SyntaxError::Plain(
                    "expected == (a single = is not an operator)",
                ))?;
                tokens.push(Token::Eq);
            }
            b'!' => match input.strip_prefix("!=") {
                Some(rest) => {
                    tokens.push(Token::Ne);
                    input = rest;
                }
                None => {
                    tokens.push(Token::Not);
                    input = &input[1..];
                }
            },
            b'&' => {
                input = input
                    .strip_prefix("&&")
                    .ok_or(SyntaxError::Plain("expected &&"))?;
                tokens.push(Token::And);
            }
            b'|' => {
                input = input
                    .strip_prefix("||")
                    .ok_or(SyntaxError::Plain("expected ||"))?;
                tokens.push(Token::Or);
            }
            _ => {
                if let Some(Token::Label(label)) = tokens.last() {
                    // After a label only an operator word may come.
                    let operators: [(&[&str], Token); 5] = [
                        (&["contains"], Token::Contains),
                        (&["starts", "with"], Token::StartsWith),
                        (&["ends", "with"], Token::EndsWith),
                        (&["not", "in"], Token::NotIn),
                        (&["in"], Token::In),
                    ];
                    let found = operators
                        .into_iter()
                        .find_map(|(words, token)| Some((cut_words(input, words)?, token)));
                    let Some((rest, token)) = found else {
                        return Err(SyntaxError::NoOperatorAfter(label));
                    };
                    tokens.push(token);
                    input = rest;
                } else if let Some(rest) = input.strip_prefix("has(") {
                    let (label, rest) = cut_identifier(trim(rest))?;
                    input = trim(rest)
                        .strip_prefix(')')
                        .ok_or(SyntaxError::NoClosingParen("has("))?;
                    tokens.push(Token::Has(label));
                } else if let Some(rest) = cut_call(input, "all(") {
                    input = rest?;
                    tokens.push(Token::All);
                } else if let Some(rest) = cut_call(input, "global(") {
                    input = rest?;
                    tokens.push(Token::Global);
                } else {
                    let (label, rest) = cut_identifier(input)?;
                    tokens.push(Token::Label(label));
                    input = rest;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Token::*;
    use super::*;

    #[test]
    fn token_table() {
        let cases: &[(&str, &[Token])] = &[
            ("", &[Eof]),
            (" \t ", &[Eof]),
            ("a == 'b'", &[Label("a"), Eq, String("b"), Eof]),
            ("a!=\"b\"", &[Label("a"), Ne, String("b"), Eof]),
            ("has(a/b)", &[Has("a/b"), Eof]),
            ("has( x )", &[Has("x"), Eof]),
            ("!has(x)", &[Not, Has("x"), Eof]),
            ("all()", &[All, Eof]),
            ("all( )", &[All, Eof]),
            ("global()", &[Global, Eof]),
            (
                "a in {'x', \"y\"}",
                &[
                    Label("a"),
                    In,
                    LBrace,
                    String("x"),
                    Comma,
                    String("y"),
                    RBrace,
                    Eof,
                ],
            ),
            ("a not in {}", &[Label("a"), NotIn, LBrace, RBrace, Eof]),
            ("a notin{}", &[Label("a"), NotIn, LBrace, RBrace, Eof]),
            (
                "a starts with''",
                &[Label("a"), StartsWith, String(""), Eof],
            ),
            (
                "a startswith 'x'",
                &[Label("a"), StartsWith, String("x"), Eof],
            ),
            (
                "a ends  with 'x'",
                &[Label("a"), EndsWith, String("x"), Eof],
            ),
            ("a contains 'x'", &[Label("a"), Contains, String("x"), Eof]),
            (
                "(a==''||b=='')&&c==''",
                &[
                    LParen,
                    Label("a"),
                    Eq,
                    String(""),
                    Or,
                    Label("b"),
                    Eq,
                    String(""),
                    RParen,
                    And,
                    Label("c"),
                    Eq,
                    String(""),
                    Eof,
                ],
            ),
            // Operator words are only words right after a label.
            ("in == 'x'", &[Label("in"), Eq, String("x"), Eof]),
            ("hasx", &[Label("hasx"), Eof]),
            ("'it''s'", &[String("it"), String("s"), Eof]),
            ("\"it's\"", &[String("it's"), Eof]),
        ];
        for (text, want) in cases {
            assert_eq!(tokenize(text).as_deref(), Ok(*want), "{text:?}");
        }
    }

    #[test]
    fn errors() {
        let long = format!("{} == 'x'", "a".repeat(MAX_LABEL_LENGTH + 1));
        let cases: &[(&str, &str)] = &[
            ("a = 'b'", "expected =="),
            ("a & b", "expected &&"),
            ("a | b", "expected ||"),
            ("a == 'b", "unterminated string"),
            ("a inx {}", "expected an operator after label \"a\""),
            ("a containsx 'b'", "expected an operator after label"),
            ("a b", "expected an operator after label \"a\""),
            ("has(x", "no closing ')' after has("),
            ("has()", "expected a label, found ')'"),
            ("all(x)", "no closing ')' after all("),
            ("global(", "no closing ')' after global("),
            ("a\n== 'b'", "expected an operator after label"),
            ("\na == 'b'", "expected a label, found '\\n'"),
            ("é", "expected a label, found 'é'"),
            (long.as_str(), "is longer than 512 characters"),
        ];
        for (text, want) in cases {
            let err = tokenize(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
