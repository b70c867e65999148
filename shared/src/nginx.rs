//! nginx configuration text read the way nginx reads it.
//!
//! The rules are those of `ngx_conf_read_token` in nginx's `src/core/ngx_conf_file.c` (read at
//! nginx/nginx 3f6f782, 2026), followed case by case:
//! - words are separated by blanks (space, tab, CR, LF); `;` ends a statement and `{` ends one
//!   that opens a block, also right after a word; a `}` closes a block only where a word could
//!   start, and is an error after the first word of a statement;
//! - a word that starts with `"` or `'` runs to the matching quote, which must be followed by a
//!   blank, `;`, `{` or `)` (the `)` then starts the next word, as in `if ($a = "b")`); a quote
//!   inside a word is an ordinary character, as are `#` and `}`;
//! - a `{` right after a `$` belongs to the word (`${name}`), it does not open a block;
//! - a backslash takes the next character as it is (it cannot end a word or close a quote); when
//!   the word is stored, `\"`, `\'` and `\\` lose the backslash, `\t`, `\r`, `\n` become the
//!   control characters and any other backslash stays;
//! - `#` where a word could start comments out the rest of the line.
//!
//! nginx stops at the first error. [`Tokens`] reports it and then reads on from the next
//! character as if a statement started there, so that a scanner can still see what follows;
//! a caller that wants nginx's verdict stops at the first `Err`.
//!
//! nginx also refuses a word of 4 KB or more (`NGX_CONF_BUFFER`); that limit is not modelled,
//! as it only adds an error.
//!
//! The text is usually a fragment pasted into a larger file (an annotation's snippet), so its
//! end is not the end of a file: a word running to the end is still a word, and what is left
//! open there (a quote, a statement) is reported as such.

use std::borrow::Cow;
use std::fmt;

/// One token of nginx configuration text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A word with its quotes removed and its escapes resolved.
    Word(Cow<'a, str>),
    /// `;`: the statement is complete.
    End,
    /// `{`: the statement is complete and opens a block.
    BlockStart,
    /// `}` where a statement could start: the innermost block ends.
    BlockEnd,
}

/// Why nginx would refuse the text, at `line` (1-based, counted as nginx counts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError {
    pub line: usize,
    pub kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `;` or `{` with no word before it, or a character other than a blank, `;` or `{` right
    /// after a closing quote.
    Unexpected(char),
    /// `}` after the first word of a statement.
    BlockEndInStatement,
    /// The text ends inside a quoted word opened with this quote on `line`.
    UnclosedQuote(char),
    /// The text ends inside a statement that has words but no `;` or `{`.
    UnendedStatement,
    /// A `}` that closes no block of the text ([`statements`] only).
    UnopenedBlockEnd,
    /// A block opened on `line` is still open at the end of the text ([`statements`] only).
    UnclosedBlock,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match self.kind {
            ErrorKind::Unexpected(c) => write!(f, "unexpected {c:?} on line {line}"),
            ErrorKind::BlockEndInStatement => write!(
                f,
                "unexpected '}}' on line {line}, inside a statement not ended by ';'"
            ),
            ErrorKind::UnclosedQuote(q) => {
                write!(f, "the quote {q:?} opened on line {line} is never closed")
            }
            ErrorKind::UnendedStatement => {
                write!(f, "the statement on line {line} does not end with ';'")
            }
            ErrorKind::UnopenedBlockEnd => {
                write!(f, "the '}}' on line {line} closes a block it did not open")
            }
            ErrorKind::UnclosedBlock => {
                write!(f, "the block opened on line {line} is never closed")
            }
        }
    }
}

/// Where the reader is, as the flags of `ngx_conf_read_token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between words (`last_space`).
    Space,
    /// In an unquoted word.
    Word,
    /// In a quoted word (`d_quoted`/`s_quoted`), with its quote.
    Quoted(u8),
    /// After a closing quote (`need_space`).
    NeedSpace,
    /// In a `#` comment (`sharp_comment`).
    Comment,
}

/// The tokens of `text`; see the module documentation.
pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    /// Words read so far in the current statement (`cf->args->nelts`).
    args: usize,
    state: State,
    /// The last character was a `$` (`variable`): a `{` after it is part of the word.
    variable: bool,
    /// The line the last word started on (`start_line`).
    word_line: usize,
    done: bool,
}

/// Reads `text` as nginx configuration.
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens {
        text,
        pos: 0,
        line: 1,
        args: 0,
        state: State::Space,
        variable: false,
        word_line: 1,
        done: false,
    }
}

impl<'a> Tokens<'a> {
    /// The current line (1-based).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The line the last word read started on.
    pub fn word_line(&self) -> usize {
        self.word_line
    }

    fn error(&mut self, kind: ErrorKind) -> Option<Result<Token<'a>, TokenError>> {
        // Read on as if a statement started after the offending character.
        self.args = 0;
        self.state = State::Space;
        self.variable = false;
        Some(Err(TokenError {
            line: self.line,
            kind,
        }))
    }

    fn word(&mut self, start: usize, end: usize) -> Token<'a> {
        self.args += 1;
        Token::Word(unescape(&self.text[start..end]))
    }

    fn end(&mut self, token: Token<'a>) -> Option<Result<Token<'a>, TokenError>> {
        self.args = 0;
        Some(Ok(token))
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Token<'a>, TokenError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = self.text.as_bytes();
        let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        // Start of the word being read, after its opening quote.
        let mut start = self.pos;
        while self.pos < bytes.len() {
            let b = bytes[self.pos];
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
            }
            match self.state {
                State::Comment => {
                    if b == b'\n' {
                        self.state = State::Space;
                    }
                }
                State::NeedSpace => match b {
                    _ if blank(b) => self.state = State::Space,
                    b';' => {
                        self.state = State::Space;
                        return self.end(Token::End);
                    }
                    b'{' => {
                        self.state = State::Space;
                        return self.end(Token::BlockStart);
                    }
                    // `)` ends the quoted word and starts the next one.
                    b')' => {
                        start = self.pos - 1;
                        self.word_line = self.line;
                        self.state = State::Word;
                    }
                    _ => {
                        // Read on after the whole character, not inside it.
                        let c = char_at(self.text, self.pos - 1);
                        self.pos += c.len_utf8() - 1;
                        return self.error(ErrorKind::Unexpected(c));
                    }
                },
                State::Space => match b {
                    _ if blank(b) => {}
                    b';' | b'{' if self.args == 0 => {
                        return self.error(ErrorKind::Unexpected(b as char));
                    }
                    b';' => return self.end(Token::End),
                    b'{' => return self.end(Token::BlockStart),
                    b'}' if self.args > 0 => return self.error(ErrorKind::BlockEndInStatement),
                    b'}' => return self.end(Token::BlockEnd),
                    b'#' => self.state = State::Comment,
                    b'"' | b'\'' => {
                        start = self.pos;
                        self.word_line = self.line;
                        self.state = State::Quoted(b);
                    }
                    b'\\' => {
                        start = self.pos - 1;
                        self.word_line = self.line;
                        self.state = State::Word;
                        self.skip_escaped();
                    }
                    _ => {
                        start = self.pos - 1;
                        self.word_line = self.line;
                        self.state = State::Word;
                        self.variable = b == b'$';
                    }
                },
                State::Word | State::Quoted(_) if b == b'{' && self.variable => {}
                State::Word | State::Quoted(_) if b == b'$' => self.variable = true,
                State::Word => match b {
                    b'\\' => {
                        self.variable = false;
                        self.skip_escaped();
                    }
                    _ if blank(b) => {
                        self.state = State::Space;
                        self.variable = false;
                        return Some(Ok(self.word(start, self.pos - 1)));
                    }
                    b';' | b'{' => {
                        // The word, then the end of the statement at the same character.
                        self.pos -= 1;
                        self.state = State::Space;
                        self.variable = false;
                        return Some(Ok(self.word(start, self.pos)));
                    }
                    _ => self.variable = false,
                },
                State::Quoted(q) => match b {
                    b'\\' => {
                        self.variable = false;
                        self.skip_escaped();
                    }
                    _ if b == q => {
                        self.state = State::NeedSpace;
                        self.variable = false;
                        return Some(Ok(self.word(start, self.pos - 1)));
                    }
                    _ => self.variable = false,
                },
            }
        }
        // The end of the text.
        match self.state {
            State::Word => {
                // The text around a fragment ends the word; what is left open is then the
                // statement, reported on the next call.
                self.state = State::Space;
                Some(Ok(self.word(start, bytes.len())))
            }
            State::Quoted(q) => {
                self.done = true;
                Some(Err(TokenError {
                    line: self.word_line,
                    kind: ErrorKind::UnclosedQuote(q as char),
                }))
            }
            _ => {
                self.done = true;
                (self.args > 0).then_some(Err(TokenError {
                    line: self.line,
                    kind: ErrorKind::UnendedStatement,
                }))
            }
        }
    }
}

impl Tokens<'_> {
    /// After a backslash: the next character is taken as it is (`quoted`), even a line break.
    fn skip_escaped(&mut self) {
        let bytes = self.text.as_bytes();
        if self.pos < bytes.len() {
            if bytes[self.pos] == b'\n' {
                self.line += 1;
            }
            // A whole character: the word is sliced at character boundaries.
            self.pos += char_at(self.text, self.pos).len_utf8();
        }
    }
}

/// The character at byte `at`, which is a character boundary.
fn char_at(text: &str, at: usize) -> char {
    text[at..].chars().next().unwrap_or('\u{fffd}')
}

/// A word's text as nginx stores it: `\"`, `\'`, `\\` lose the backslash, `\t`, `\r`, `\n`
/// become the control characters, any other backslash stays.
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some(&n @ ('"' | '\'' | '\\')) => {
                chars.next();
                out.push(n);
            }
            Some('t') => {
                chars.next();
                out.push('\t');
            }
            Some('r') => {
                chars.next();
                out.push('\r');
            }
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            _ => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// How a statement ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementEnd {
    /// `;`
    Semicolon,
    /// `{`: a block follows.
    Block,
    /// The text ends first (reported as [`ErrorKind::UnendedStatement`] by [`Tokens`]).
    EndOfText,
}

/// A statement: its words (the first is the directive) and how it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement<'a> {
    pub words: Vec<Cow<'a, str>>,
    pub end: StatementEnd,
    /// The line of its first word.
    pub line: usize,
}

impl Statement<'_> {
    /// The directive: the first word, quotes and escapes resolved.
    pub fn directive(&self) -> &str {
        self.words.first().map_or("", |w| w.as_ref())
    }
}

/// The statements of `text` with the block structure flattened, or the first error nginx would
/// stop at (including a `}` that closes no block of the text and a block left open).
pub fn statements(text: &str) -> Result<Vec<Statement<'_>>, TokenError> {
    let mut out = Vec::new();
    let mut words = Vec::new();
    let mut line = 1;
    // The lines of the blocks still open.
    let mut open: Vec<usize> = Vec::new();
    let mut tokens = tokens(text);
    while let Some(token) = tokens.next() {
        match token {
            Ok(Token::Word(w)) => {
                if words.is_empty() {
                    line = tokens.word_line();
                }
                words.push(w);
            }
            Ok(Token::End) | Ok(Token::BlockStart) => {
                let end = if token == Ok(Token::End) {
                    StatementEnd::Semicolon
                } else {
                    open.push(tokens.line());
                    StatementEnd::Block
                };
                out.push(Statement {
                    words: std::mem::take(&mut words),
                    end,
                    line,
                });
            }
            Ok(Token::BlockEnd) => {
                if open.pop().is_none() {
                    return Err(TokenError {
                        line: tokens.line(),
                        kind: ErrorKind::UnopenedBlockEnd,
                    });
                }
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(line) = open.pop() {
        return Err(TokenError {
            line,
            kind: ErrorKind::UnclosedBlock,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text)
            .map(|t| match t {
                Ok(Token::Word(w)) => format!("<{w}>"),
                Ok(Token::End) => ";".into(),
                Ok(Token::BlockStart) => "{".into(),
                Ok(Token::BlockEnd) => "}".into(),
                Err(e) => format!("!{e}"),
            })
            .collect()
    }

    #[test]
    fn words_and_statements() {
        let cases: &[(&str, &str)] = &[
            ("root /;", "<root> </> ;"),
            ("\"root\" /;", "<root> </> ;"),
            ("'alias' /srv/;", "<alias> </srv/> ;"),
            ("root\t'/x';", "<root> </x> ;"),
            (
                "location /x{alias /y;}",
                "<location> </x> { <alias> </y> ; }",
            ),
            ("a \"b c\" 'd\"e';", "<a> <b c> <d\"e> ;"),
            ("a \"x\\\"y\";", "<a> <x\"y> ;"),
            ("a 'x\\'y';", "<a> <x'y> ;"),
            ("a x\\\\y;", "<a> <x\\y> ;"),
            ("a x\\ty\\n;", "<a> <x\ty\n> ;"),
            ("a x\\qy;", "<a> <x\\qy> ;"),
            ("a x\\;y;", "<a> <x\\;y> ;"),
            ("a x\\ y;", "<a> <x\\ y> ;"),
            ("\\root /;", "<\u{d}oot> </> ;"),
            ("a x\"y;", "<a> <x\"y> ;"),
            ("a x}y;", "<a> <x}y> ;"),
            ("a x#y;", "<a> <x#y> ;"),
            ("# root /;\nb;", "<b> ;"),
            ("a; # c\n root /;", "<a> ; <root> </> ;"),
            ("", ""),
            ("  \n\t", ""),
            (
                "more_set_headers \"X: y\"",
                "<more_set_headers> <X: y> !the statement on line 1 does not end with ';'",
            ),
            (
                "a \"x",
                "<a> !the quote '\"' opened on line 1 is never closed",
            ),
            (
                "a\n'x\ny",
                "<a> !the quote '\\'' opened on line 2 is never closed",
            ),
            ("\"root\"x /;", "<root> !unexpected 'x' on line 1 </> ;"),
            ("\"a\"}", "<a> !unexpected '}' on line 1"),
            (";", "!unexpected ';' on line 1"),
            ("{ root /; }", "!unexpected '{' on line 1 <root> </> ; }"),
            (
                "a }",
                "<a> !unexpected '}' on line 1, inside a statement not ended by ';'",
            ),
            (
                "a\\",
                "<a\\> !the statement on line 1 does not end with ';'",
            ),
            ("é \"ü\";", "<é> <ü> ;"),
            ("a \\é;", "<a> <\\é> ;"),
            (
                "if ($a = \"b\") { return 403; }",
                "<if> <($a> <=> <b> <)> { <return> <403> ; }",
            ),
            ("set $x ${host}y;", "<set> <$x> <${host}y> ;"),
            ("a ${x};", "<a> <${x}> ;"),
            ("a x${;", "<a> <x${> ;"),
            ("a x$ {y;}", "<a> <x$> { <y> ; }"),
            ("a \"${\" {", "<a> <${> {"),
        ];
        for (text, want) in cases {
            assert_eq!(words(text).join(" "), *want, "{text:?}");
        }
    }

    #[test]
    fn statements_and_blocks() {
        let s = statements("location /x {\n  \"alias\" /y;\n}\nroot /z;").unwrap();
        let got: Vec<(&str, StatementEnd, usize)> =
            s.iter().map(|s| (s.directive(), s.end, s.line)).collect();
        assert_eq!(
            got,
            [
                ("location", StatementEnd::Block, 1),
                ("alias", StatementEnd::Semicolon, 2),
                ("root", StatementEnd::Semicolon, 4),
            ]
        );
        let e = statements("a;\n}\nroot /;").unwrap_err();
        assert_eq!((e.line, e.kind), (2, ErrorKind::UnopenedBlockEnd));
        let e = statements("server {\n listen 1;").unwrap_err();
        assert_eq!((e.line, e.kind), (1, ErrorKind::UnclosedBlock));
        let e = statements("a \"b").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnclosedQuote('"'));
        assert!(statements("a b").is_err());
        assert!(statements("").unwrap().is_empty());
    }

    #[test]
    fn lines_follow_line_breaks_also_escaped_ones() {
        let e = statements("a;\nb \\\n c }").unwrap_err();
        assert_eq!((e.line, e.kind), (3, ErrorKind::BlockEndInStatement));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// A word nginx reads as itself unquoted: no blank, quote, backslash or separator.
        fn plain_word() -> impl Strategy<Value = String> {
            "[a-z_/.$0-9é]{1,8}"
        }

        /// `word` written in one of the ways nginx reads as `word`.
        fn spell(word: &str, how: u8) -> String {
            let escape = |q: char| {
                word.chars()
                    .flat_map(|c| {
                        let esc = c == q || c == '\\';
                        esc.then_some('\\').into_iter().chain(std::iter::once(c))
                    })
                    .collect::<String>()
            };
            match how % 3 {
                0 => word.to_string(),
                1 => format!("\"{}\"", escape('"')),
                _ => format!("'{}'", escape('\'')),
            }
        }

        proptest! {
            #[test]
            fn no_panic_on_any_text(text in any::<String>()) {
                let n = tokens(&text).take(10_000).count();
                prop_assert!(n <= text.len() + 1);
                let _ = statements(&text);
            }

            #[test]
            fn no_panic_on_configuration_like_text(text in "[a-z \"'\\\\;{}#\n\té]{0,40}") {
                for t in tokens(&text) {
                    if let Ok(Token::Word(w)) = t {
                        prop_assert!(w.len() <= text.len());
                    }
                }
                let _ = statements(&text);
            }

            #[test]
            fn quoting_does_not_change_a_directive(
                stmts in proptest::collection::vec(
                    (plain_word(), proptest::collection::vec(plain_word(), 0..3), any::<u8>(),
                     proptest::collection::vec(any::<u8>(), 3), " |\t|\n|  "),
                    1..4),
            ) {
                let mut plain = String::new();
                let mut quoted = String::new();
                for (directive, args, how, hows, sep) in &stmts {
                    plain.push_str(directive);
                    quoted.push_str(&spell(directive, *how));
                    for (arg, h) in args.iter().zip(hows) {
                        plain.push_str(sep);
                        plain.push_str(arg);
                        quoted.push_str(sep);
                        quoted.push_str(&spell(arg, *h));
                    }
                    plain.push_str(";\n");
                    quoted.push_str(";\n");
                }
                let a = statements(&plain).unwrap();
                let b = statements(&quoted).unwrap();
                prop_assert_eq!(a.len(), stmts.len());
                prop_assert_eq!(&a, &b);
                for (s, (directive, ..)) in a.iter().zip(&stmts) {
                    prop_assert_eq!(s.directive(), directive.as_str());
                }
            }

            #[test]
            fn a_quoted_word_reads_back(word in "[ -~\t\né]{0,12}", q in "\"|'") {
                let q = q.chars().next().unwrap();
                let escaped: String = word.chars().flat_map(|c| {
                    let esc = c == q || c == '\\';
                    esc.then_some('\\').into_iter().chain(std::iter::once(c))
                }).collect();
                let text = format!("d {q}{escaped}{q};");
                let s = statements(&text).unwrap();
                prop_assert_eq!(s.len(), 1);
                prop_assert_eq!(s[0].words[1].as_ref(), word.as_str());
            }
        }
    }
}
