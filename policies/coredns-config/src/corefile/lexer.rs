//! Splits a Corefile into tokens the way CoreDNS's Caddyfile lexer does: whitespace separates
//! tokens, `#` comments out the rest of the line (even in the middle of a word), and a `"` that
//! starts a token quotes it up to the next unescaped `"`, across lines. Inside quotes only `\"`
//! is an escape; any other backslash is kept as written.

use std::borrow::Cow;

use super::{ParseError, Position};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub text: Cow<'a, str>,
    pub position: Position,
    /// The line the token ends on (a quoted token may span lines).
    pub end_line: u32,
    /// A quoted `{` or `}` is text, never a brace.
    pub quoted: bool,
    /// Tokens spliced in by one `import` of a snippet share a source; the Corefile is 0.
    pub source: u32,
}

impl Token<'_> {
    /// An unquoted `text`.
    pub fn is(&self, text: &str) -> bool {
        !self.quoted && self.text == text
    }
}

pub fn tokenize(input: &str) -> Result<Vec<Token<'_>>, ParseError> {
    // About one token in eight bytes of a Corefile (kubeadm's has 42 in 380): room for them
    // at once, where growing from empty would copy them four times over.
    let mut tokens = Vec::with_capacity(input.len() / 8 + 4);
    let (mut line, mut column) = (1u32, 0u32);
    let mut at = 0;
    // Whole words and comments are skipped in inner loops, and their text is cut from the
    // input in one piece: the Corefile is read once, a character at a time only in quotes.
    while let Some(ch) = char_at(input, at) {
        let start = at;
        at += ch.len_utf8();
        column = column.saturating_add(1);
        let here = Position { line, column };
        if ch == '\n' {
            line = line.saturating_add(1);
            column = 0;
        } else if ch.is_whitespace() {
        } else if ch == '#' {
            // To the end of the line, whose newline resets the column.
            at = input[at..].find('\n').map_or(input.len(), |n| at + n);
        } else if ch == '"' {
            let mut text = String::new();
            let mut escaped = false;
            loop {
                let Some(ch) = char_at(input, at) else {
                    return Err(ParseError::new(
                        here,
                        "this quoted string is never closed; add the closing '\"'",
                    ));
                };
                at += ch.len_utf8();
                column = column.saturating_add(1);
                if ch == '\n' {
                    line = line.saturating_add(1);
                    column = 0;
                }
                if escaped {
                    escaped = false;
                    if ch != '"' {
                        text.push('\\');
                    }
                    text.push(ch);
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    break;
                } else {
                    text.push(ch);
                }
            }
            tokens.push(Token {
                text: Cow::Owned(text),
                position: here,
                end_line: line,
                quoted: true,
                source: 0,
            });
        } else {
            // ASCII a byte at a time, the rest a character at a time: a word ends where Go's
            // `unicode.IsSpace` (which `char::is_whitespace` agrees with on ASCII: space and
            // `\t` to `\r`) or a `#` says.
            while let Some(&b) = input.as_bytes().get(at) {
                if b.is_ascii() {
                    if b == b'#' || matches!(b, b' ' | b'\t'..=b'\r') {
                        break;
                    }
                    at += 1;
                } else {
                    match char_at(input, at).filter(|c| !c.is_whitespace()) {
                        Some(ch) => at += ch.len_utf8(),
                        None => break,
                    }
                }
                column = column.saturating_add(1);
            }
            tokens.push(Token {
                text: Cow::Borrowed(&input[start..at]),
                position: here,
                end_line: here.line,
                quoted: false,
                source: 0,
            });
        }
    }
    Ok(tokens)
}

/// The character at byte `at`, which is always a character boundary here. The ASCII case is
/// inlined into the lexer's loops; decoding UTF-8 stays a call of its own.
#[inline(always)]
fn char_at(input: &str, at: usize) -> Option<char> {
    match *input.as_bytes().get(at)? {
        b if b.is_ascii() => Some(char::from(b)),
        _ => decode_at(input, at),
    }
}

#[inline(never)]
fn decode_at(input: &str, at: usize) -> Option<char> {
    input.get(at..)?.chars().next()
}

/// Whether the text holds the start of a `{$VAR}` or `{%VAR%}` placeholder: one pass, where
/// two substring searches would build two searchers for every word.
pub fn mentions_placeholder(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'{' && (w[1] == b'$' || w[1] == b'%'))
}

/// The `{$VAR}` and `{%VAR%}` placeholders in a token's text, which CoreDNS replaces with
/// environment variables when it loads the file.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    // Every token is asked, and few hold one.
    if !mentions_placeholder(text) {
        return found;
    }
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let end = if after.starts_with("{$") {
            after.find('}').filter(|&e| e > 2).map(|e| e + 1)
        } else if after.starts_with("{%") {
            after
                .get(2..)
                .and_then(|a| a.find("%}"))
                .filter(|&e| e > 0)
                .map(|e| e + 4)
        } else {
            None
        };
        match end {
            Some(end) => {
                found.push(&after[..end]);
                rest = &after[end..];
            }
            None => rest = &after[1..],
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<String> {
        tokenize(input)
            .unwrap()
            .into_iter()
            .map(|t| t.text.into_owned())
            .collect()
    }

    #[test]
    fn words_comments_and_quotes() {
        assert_eq!(texts(".:53 {\n  errors\n}"), [".:53", "{", "errors", "}"]);
        assert_eq!(texts("log # a comment {\nwhoami"), ["log", "whoami"]);
        assert_eq!(texts("a#b c\nd"), ["a", "d"]);
        assert_eq!(
            texts(r#"answer "a b" "x\"y" "c\d""#),
            ["answer", "a b", "x\"y", "c\\d"]
        );
        assert_eq!(texts("a\"b\" c"), ["a\"b\"", "c"]);
        assert_eq!(texts("\"#not a comment\""), ["#not a comment"]);
        assert_eq!(texts("\"\" x"), ["", "x"]);
        assert_eq!(texts("a\r\nb\tc"), ["a", "b", "c"]);
        assert!(texts("  \n# only a comment\n").is_empty());
        // Go's unicode.IsSpace splits words at the vertical tab, the form feed and Unicode
        // spaces too; other non-ASCII characters belong to the word.
        assert_eq!(texts("a\x0bb\x0cc"), ["a", "b", "c"]);
        assert_eq!(texts("a\u{a0}b\u{2003}c"), ["a", "b", "c"]);
        assert_eq!(texts("zoné.example é#x"), ["zoné.example", "é"]);
        assert_eq!(tokenize("é\u{a0}x").unwrap()[1].position.column, 3);
    }

    #[test]
    fn positions() {
        let tokens = tokenize("a\n  bc \"x\ny\" d").unwrap();
        let at: Vec<_> = tokens
            .iter()
            .map(|t| (t.position.line, t.position.column, t.end_line))
            .collect();
        assert_eq!(at, [(1, 1, 1), (2, 3, 2), (2, 6, 3), (3, 4, 3)]);
        assert!(tokens[2].quoted && !tokens[1].quoted);
        assert!(tokenize("é \"{\"").unwrap()[1].position.column == 3);
    }

    #[test]
    fn unclosed_quote_is_an_error_at_its_start() {
        let err = tokenize("forward . 1.1.1.1\n  tls_servername \"dns.example").unwrap_err();
        assert_eq!(
            err.position,
            Position {
                line: 2,
                column: 18
            }
        );
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn placeholder_detection() {
        assert_eq!(placeholders("{$UPSTREAM}"), ["{$UPSTREAM}"]);
        assert_eq!(placeholders("tls://{%IP%}:853"), ["{%IP%}"]);
        assert_eq!(placeholders("{$A}.{$B}"), ["{$A}", "{$B}"]);
        assert!(placeholders("{1}.example.org").is_empty());
        assert!(placeholders("{$}").is_empty());
        assert!(placeholders("{%%}").is_empty());
        assert!(placeholders("{$unterminated").is_empty());
    }
}
