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
    /// A quoted `{` or `}` is text, never a brace.
    pub quoted: bool,
    /// Whether it is the first token of its line: the one before it ends on an earlier line.
    /// The parser asks this of nearly every token it reads.
    pub starts_line: bool,
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
    let bytes = input.as_bytes();
    let mut cursor = Cursor::new();
    let mut at = 0;
    // The line the last token ends on (none before the first line).
    let mut last_line = 0;
    // Bytes are classed by a table, words and indentation are skipped in inner loops, and a
    // column is worked out only where a token starts: the Corefile is read once, a character
    // at a time only in quotes.
    while let Some(&b) = bytes.get(at) {
        let start = at;
        match CLASSES[usize::from(b)] {
            Class::Newline => {
                at += 1;
                cursor.new_line(at);
            }
            // Indentation comes in runs.
            Class::Space => {
                at += 1;
                while bytes
                    .get(at)
                    .is_some_and(|&b| CLASSES[usize::from(b)] == Class::Space)
                {
                    at += 1;
                }
            }
            // To the end of the line, whose newline is read next.
            Class::Comment => at = input[at..].find('\n').map_or(input.len(), |n| at + n),
            Class::Quote => {
                let here = cursor.position(start);
                let mut text = String::new();
                let mut escaped = false;
                at += 1;
                loop {
                    let Some(ch) = char_at(input, at) else {
                        return Err(ParseError::new(
                            here,
                            "this quoted string is never closed; add the closing '\"'",
                        ));
                    };
                    at += ch.len_utf8();
                    cursor.passed(ch);
                    if ch == '\n' {
                        cursor.new_line(at);
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
                    quoted: true,
                    starts_line: here.line > last_line,
                });
                last_line = cursor.line;
            }
            Class::Word | Class::Wide => {
                let here = cursor.position(start);
                // A word ends at a space, a newline or a `#`; a quote inside it is text. Go's
                // `unicode.IsSpace` separates words (as `char::is_whitespace` does), so a
                // non-ASCII character is decoded to tell.
                loop {
                    while bytes.get(at).is_some_and(|&b| IN_WORD[usize::from(b)]) {
                        at += 1;
                    }
                    match char_at(input, at) {
                        Some(ch) if !ch.is_ascii() && !ch.is_whitespace() => {
                            at += ch.len_utf8();
                            cursor.passed(ch);
                        }
                        _ => break,
                    }
                }
                // A Unicode space where a word would start is a separator like any other.
                if at == start {
                    let space = char_at(input, at).unwrap_or_default();
                    at += space.len_utf8();
                    cursor.passed(space);
                    continue;
                }
                tokens.push(Token {
                    text: Cow::Borrowed(&input[start..at]),
                    position: here,
                    quoted: false,
                    starts_line: here.line > last_line,
                });
                last_line = here.line;
            }
        }
    }
    Ok(tokens)
}

/// What a byte is to the lexer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    /// An ASCII space other than the newline (as Go's `unicode.IsSpace`: space, `\t` and
    /// `\v`, `\f`, `\r`).
    Space,
    Newline,
    Comment,
    Quote,
    /// The first or a later byte of a non-ASCII character.
    Wide,
}

const CLASSES: [Class; 256] = {
    let mut classes = [Class::Word; 256];
    let mut b = 0x80;
    while b < 256 {
        classes[b] = Class::Wide;
        b += 1;
    }
    classes[b' ' as usize] = Class::Space;
    classes[b'\t' as usize] = Class::Space;
    classes[0x0b] = Class::Space;
    classes[0x0c] = Class::Space;
    classes[b'\r' as usize] = Class::Space;
    classes[b'\n' as usize] = Class::Newline;
    classes[b'#' as usize] = Class::Comment;
    classes[b'"' as usize] = Class::Quote;
    classes
};

/// The ASCII bytes that continue a word: all but spaces, the newline and `#` (a `"` inside a
/// word is text).
const IN_WORD: [bool; 256] = {
    let mut in_word = [false; 256];
    let mut b = 0;
    while b < 0x80 {
        in_word[b] = matches!(CLASSES[b], Class::Word | Class::Quote);
        b += 1;
    }
    in_word
};

/// The line being read, for positions: a column counts characters, so the bytes of the line
/// so far that did not start one are counted as they are passed.
struct Cursor {
    line: u32,
    line_start: usize,
    continuation_bytes: usize,
}

impl Cursor {
    fn new() -> Self {
        Cursor {
            line: 1,
            line_start: 0,
            continuation_bytes: 0,
        }
    }

    /// A newline was read; the next line starts at byte `at`.
    fn new_line(&mut self, at: usize) {
        self.line = self.line.saturating_add(1);
        self.line_start = at;
        self.continuation_bytes = 0;
    }

    /// Notes a character read past, for its bytes after the first.
    #[inline(always)]
    fn passed(&mut self, ch: char) {
        self.continuation_bytes += ch.len_utf8() - 1;
    }

    /// Where the character at byte `at` of the current line is (the characters before it on
    /// the line have been passed).
    fn position(&self, at: usize) -> Position {
        let column = (at - self.line_start - self.continuation_bytes).saturating_add(1);
        Position {
            line: self.line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
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

/// Whether the text holds the start of a `{$VAR}` or `{%VAR%}` placeholder. Its braces are
/// found by `memchr` (a word at a time), and only they are looked past: a whole Corefile is
/// asked before its tokens are.
pub fn mentions_placeholder(text: &str) -> bool {
    let mut rest = text;
    while let Some(brace) = rest.find('{') {
        let after = &rest.as_bytes()[brace + 1..];
        if matches!(after.first(), Some(b'$' | b'%')) {
            return true;
        }
        rest = &rest[brace + 1..];
    }
    false
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
                // `%}` found by its `%`: a search for a two-byte string would link a
                // substring searcher for this one use.
                .and_then(|a| {
                    a.match_indices('%')
                        .find(|(i, _)| a[i + 1..].starts_with('}'))
                })
                .map(|(i, _)| i)
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
            .map(|t| (t.position.line, t.position.column))
            .collect();
        assert_eq!(at, [(1, 1), (2, 3), (2, 6), (3, 4)]);
        // `d` follows on the line where the quoted token ends: it does not start a line.
        let starts: Vec<_> = tokens.iter().map(|t| t.starts_line).collect();
        assert_eq!(starts, [true, true, false, false]);
        assert!(tokens[2].quoted && !tokens[1].quoted);
        assert!(tokenize("é \"{\"").unwrap()[1].position.column == 3);
        // Runs of indentation, mixed with tabs and other spaces, count a column each.
        let tokens = tokenize("\t  \t\u{a0} x\r\n    \ty").unwrap();
        let at: Vec<_> = tokens
            .iter()
            .map(|t| (t.position.line, t.position.column))
            .collect();
        assert_eq!(at, [(1, 7), (2, 6)]);
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
        for (text, mentions) in [
            ("{$UPSTREAM}", true),
            ("a{%IP%}", true),
            ("{ {{$X}", true),
            ("{", false),
            ("{1}.{x}.org", false),
            ("$ % {", false),
            ("", false),
        ] {
            assert_eq!(mentions_placeholder(text), mentions, "{text:?}");
        }
        assert_eq!(placeholders("{$UPSTREAM}"), ["{$UPSTREAM}"]);
        assert_eq!(placeholders("tls://{%IP%}:853"), ["{%IP%}"]);
        assert_eq!(placeholders("{$A}.{$B}"), ["{$A}", "{$B}"]);
        assert!(placeholders("{1}.example.org").is_empty());
        assert!(placeholders("{$}").is_empty());
        assert!(placeholders("{%%}").is_empty());
        assert!(placeholders("{$unterminated").is_empty());
    }
}
