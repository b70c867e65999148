//! Builds server blocks and directives from the tokens, as CoreDNS's Caddyfile parser does:
//! keys up to the end of the line (a trailing comma continues them), a block in braces (or, for
//! a lone server, everything to the end of the file), one directive per line with an optional
//! `{ ... }` block, snippets `(name) { ... }` and `import`.
//!
//! Imports of snippets are expanded by reading the snippet's tokens in place of the `import`
//! line, through a stack of token streams, so that an expansion costs the tokens it yields and
//! no copying; the number of imports and of expanded tokens is bounded, which also stops a
//! snippet that imports itself.

use std::borrow::Cow;

use super::lexer::{Token, mentions_placeholder, placeholders, tokenize};
use super::{
    Corefile, Directive, FileImport, ParseError, Placeholder, Position, ServerBlock, Via, Word,
};

/// CoreDNS's own limit on imports in one Corefile.
const MAX_IMPORTS: usize = 10_000;
/// Tokens that snippet imports may add; far above any real Corefile.
const MAX_EXPANDED_TOKENS: usize = 100_000;
/// Nesting of `{ }` blocks inside a directive; real plugins use one or two levels.
const MAX_DEPTH: usize = 16;

/// Parses a whole Corefile (the `Corefile` key, a `.server` file).
pub fn parse(input: &str) -> Result<Corefile<'_>, ParseError> {
    let mut parser = Parser::new(input)?;
    let mut blocks = Vec::new();
    while let Some(next) = parser.peek() {
        if next.token.is("import") && parser.at_line_start() {
            parser.import()?;
            continue;
        }
        if let Some(block) = parser.server_block()? {
            blocks.push(block);
        }
    }
    Ok(parser.finish(blocks))
}

/// Parses plugin lines without a server block around them (an `.override` file, which CoreDNS
/// imports inside the main server block). The result has one block without keys.
pub fn parse_directives(input: &str) -> Result<Corefile<'_>, ParseError> {
    let mut parser = Parser::new(input)?;
    let directives = parser.directives(None)?;
    let block = ServerBlock {
        keys: Vec::new(),
        directives,
        position: Position { line: 1, column: 1 },
    };
    Ok(parser.finish(vec![block]))
}

/// One import of a snippet being read.
struct Frame {
    /// Index into the snippets.
    snippet: usize,
    at: usize,
    source: u32,
}

/// The token under the cursor, with the stream it comes from.
#[derive(Clone, Copy)]
struct Current<'t, 'a> {
    token: &'t Token<'a>,
    source: u32,
}

struct Parser<'a> {
    /// The Corefile's own tokens (source 0) not yet read, read once the imports in `frames`
    /// are. Each is moved out as it is read, so none is left to drop at the end (dropping the
    /// read ones, emptied in place, was 2.7 % of a typical request's instructions).
    main: std::vec::IntoIter<Token<'a>>,
    snippets: Vec<(String, Vec<Token<'a>>)>,
    /// The imports being read, innermost last; nearly always none, so that a token is found
    /// at once.
    frames: Vec<Frame>,
    /// Where each snippet expansion (source n + 1) was imported.
    vias: Vec<Via>,
    /// The source of the token consumed last: the next one starts a line if it comes from
    /// another (or if it starts one in its own).
    previous: Option<u32>,
    last_position: Position,
    imports: usize,
    expanded: usize,
    file_imports: Vec<FileImport>,
    placeholders: Vec<Placeholder>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Self, ParseError> {
        let main = tokenize(input)?;
        let mut found = Vec::new();
        // A token's text holds a placeholder only if the source does (unquoting turns `\"`
        // into `"` alone): nearly every Corefile is asked once, not once per token.
        if mentions_placeholder(input) {
            for token in &main {
                for text in placeholders(&token.text) {
                    found.push(Placeholder {
                        text: text.to_string(),
                        position: token.position,
                    });
                }
            }
        }
        Ok(Parser {
            main: main.into_iter(),
            snippets: Vec::new(),
            frames: Vec::new(),
            vias: Vec::new(),
            previous: None,
            last_position: Position { line: 1, column: 1 },
            imports: 0,
            expanded: 0,
            file_imports: Vec::new(),
            placeholders: found,
        })
    }

    fn finish(self, blocks: Vec<ServerBlock<'a>>) -> Corefile<'a> {
        Corefile {
            blocks,
            imports: self.file_imports,
            placeholders: self.placeholders,
        }
    }

    fn frame_tokens(&self, frame: &Frame) -> &[Token<'a>] {
        self.snippets
            .get(frame.snippet)
            .map_or(&[], |(_, body)| body.as_slice())
    }

    /// The next token: the first unread one of the innermost stream that has one left.
    /// Inlined for a Corefile read without snippet imports, which is nearly every one: the
    /// parser asks for every token several times. With [`Self::advance`] inlined too, a
    /// typical request takes 3.7 % fewer instructions and a long Corefile 6 %, for 1.9 KB.
    #[inline(always)]
    fn peek(&self) -> Option<Current<'_, 'a>> {
        if self.frames.is_empty() {
            let token = self.main.as_slice().first()?;
            return Some(Current { token, source: 0 });
        }
        self.peek_imported()
    }

    #[inline(never)]
    fn peek_imported(&self) -> Option<Current<'_, 'a>> {
        // A plain loop: an iterator chain stays a call of its own in the module.
        let mut frames = self.frames.len();
        while frames > 0 {
            frames -= 1;
            let frame = &self.frames[frames];
            if let Some(token) = self.frame_tokens(frame).get(frame.at) {
                return Some(Current {
                    token,
                    source: frame.source,
                });
            }
        }
        let token = self.main.as_slice().first()?;
        Some(Current { token, source: 0 })
    }

    /// Moves past the next token and gives it. Inlined for a Corefile without snippet
    /// imports, as [`Self::peek`] is.
    #[inline(always)]
    fn advance(&mut self) -> Option<(Token<'a>, u32)> {
        let (token, source) = if self.frames.is_empty() {
            // The Corefile's own tokens are read once: taken.
            (self.main.next()?, 0)
        } else {
            self.advance_imported()?
        };
        self.previous = Some(source);
        self.last_position = token.position;
        Some((token, source))
    }

    #[inline(never)]
    fn advance_imported(&mut self) -> Option<(Token<'a>, u32)> {
        while let Some(frame) = self.frames.last() {
            if frame.at < self.frame_tokens(frame).len() {
                break;
            }
            self.frames.pop();
        }
        match self.frames.last_mut() {
            // A snippet's tokens are copied for each import.
            Some(frame) => {
                let (at, source) = (frame.at, frame.source);
                frame.at += 1;
                Some((self.snippets.get(frame.snippet)?.1.get(at)?.clone(), source))
            }
            None => Some((self.main.next()?, 0)),
        }
    }

    /// Does the current token start a new line (or another stream)?
    fn at_line_start(&self) -> bool {
        self.peek().is_none_or(|current| self.starts_line(current))
    }

    fn starts_line(&self, current: Current<'_, 'a>) -> bool {
        self.previous
            .is_none_or(|source| current.source != source || current.token.starts_line)
    }

    /// The current token, if it is on the line of the previous one.
    fn same_line(&self) -> Option<Current<'_, 'a>> {
        let current = self.peek()?;
        (!self.starts_line(current)).then_some(current)
    }

    fn via(&self, source: u32) -> Option<Via> {
        let index = usize::try_from(source).ok()?.checked_sub(1)?;
        self.vias.get(index).cloned()
    }

    fn eof_error(&self, open: Position, what: &str) -> ParseError {
        ParseError::new(
            open,
            format!("this {what} is never closed; add the matching '}}'"),
        )
    }

    /// `KEY... {` ... `}`, or a snippet definition (which yields no block).
    fn server_block(&mut self) -> Result<Option<ServerBlock<'a>>, ParseError> {
        let position = self.peek().map(|c| c.token.position).unwrap_or_default();
        let mut keys = Vec::new();
        let mut expecting_another = false;
        loop {
            let Some(current) = self.peek() else {
                if expecting_another {
                    return Err(ParseError::new(
                        self.last_position,
                        "a server block key ends with ',' but no key follows",
                    ));
                }
                break;
            };
            let token = current.token;
            if token.is("{") {
                if expecting_another {
                    return Err(ParseError::new(
                        token.position,
                        "a server block key ends with ',' but '{' follows; remove the comma",
                    ));
                }
                break;
            }
            if token.is("}") {
                return Err(ParseError::new(
                    token.position,
                    "unexpected '}': no block is open here",
                ));
            }
            if !keys.is_empty() && !expecting_another && self.at_line_start() {
                break;
            }
            let Some((token, _)) = self.advance() else {
                break;
            };
            let mut text = token.text;
            expecting_another = text.ends_with(',');
            if expecting_another {
                text = match text {
                    Cow::Borrowed(t) => Cow::Borrowed(&t[..t.len() - 1]),
                    Cow::Owned(mut t) => {
                        t.pop();
                        Cow::Owned(t)
                    }
                };
            }
            if !text.is_empty() {
                keys.push(Word {
                    text,
                    position: token.position,
                });
            }
        }
        if keys.is_empty() {
            return Err(ParseError::new(
                position,
                "a server block needs at least one zone before its '{'",
            ));
        }
        if let [key] = keys.as_slice()
            && key.text.len() > 2
            && key.text.starts_with('(')
            && key.text.ends_with(')')
        {
            self.snippet(key)?;
            return Ok(None);
        }
        let directives = match self.peek() {
            None => Vec::new(),
            Some(current) if current.token.is("{") => {
                let open = current.token.position;
                self.advance();
                self.directives(Some(open))?
            }
            // CoreDNS accepts a single server block without braces.
            Some(_) => self.directives(None)?,
        };
        Ok(Some(ServerBlock {
            keys,
            directives,
            position,
        }))
    }

    /// `(name) { tokens }`: stores the tokens for `import name`.
    fn snippet(&mut self, key: &Word<'a>) -> Result<(), ParseError> {
        let name = key.text[1..key.text.len() - 1].to_string();
        match self.peek() {
            Some(current) if current.token.is("{") => {}
            _ => {
                return Err(ParseError::new(
                    key.position,
                    format!("snippet {name:?} needs a '{{' after its name"),
                ));
            }
        }
        let open = self.advance().map(|(t, _)| t.position).unwrap_or_default();
        let mut body = Vec::new();
        let mut depth = 0usize;
        loop {
            let Some((token, _)) = self.advance() else {
                return Err(self.eof_error(open, "snippet's '{'"));
            };
            if token.is("{") {
                depth += 1;
            } else if token.is("}") {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            body.push(token);
        }
        if self.snippets.iter().any(|(n, _)| *n == name) {
            return Err(ParseError::new(
                key.position,
                format!("snippet {name:?} is defined twice; CoreDNS refuses a redefinition"),
            ));
        }
        self.snippets.push((name, body));
        Ok(())
    }

    /// `import ARG` on its own line: a snippet's tokens are read in its place; a file pattern
    /// is recorded.
    fn import(&mut self) -> Result<(), ParseError> {
        let Some((keyword, source)) = self.advance() else {
            return Ok(());
        };
        let position = keyword.position;
        let Some(argument) = self.same_line().map(|c| c.token.clone()) else {
            return Err(ParseError::new(
                position,
                "import needs one argument on its line: a snippet name or a file pattern",
            ));
        };
        self.advance();
        if let Some(extra) = self.same_line() {
            return Err(ParseError::new(
                extra.token.position,
                "import takes one argument (a snippet name or a file pattern); put what follows on its own line",
            ));
        }
        let pattern = argument.text;
        if pattern.is_empty() {
            return Err(ParseError::new(
                argument.position,
                "import needs a non-empty file pattern or snippet name",
            ));
        }
        self.imports += 1;
        if self.imports > MAX_IMPORTS {
            return Err(ParseError::new(
                position,
                format!("more than {MAX_IMPORTS} imports; CoreDNS refuses this many"),
            ));
        }
        if let Some(index) = self.snippets.iter().position(|(n, _)| *n == pattern) {
            let size = self.snippets.get(index).map_or(0, |(_, body)| body.len());
            self.expanded += size;
            if self.expanded > MAX_EXPANDED_TOKENS {
                return Err(ParseError::new(
                    position,
                    format!(
                        "snippet imports expand to more than {MAX_EXPANDED_TOKENS} tokens (does a snippet import itself?)"
                    ),
                ));
            }
            self.vias.push(Via {
                snippet: pattern.into_owned(),
                import_line: position.line,
            });
            let source = u32::try_from(self.vias.len()).unwrap_or(u32::MAX);
            // The stream that is exhausted now would only be popped later; dropping it first
            // keeps a chain of imports at the ends of snippets from piling up frames.
            if self
                .frames
                .last()
                .is_some_and(|f| f.at >= self.frame_tokens(f).len())
            {
                self.frames.pop();
            }
            self.frames.push(Frame {
                snippet: index,
                at: 0,
                source,
            });
            return Ok(());
        }
        let wildcards = pattern.matches('*').count();
        let singles = pattern.matches('?').count();
        if wildcards > 1 || singles > 1 || (pattern.contains('[') && pattern.contains(']')) {
            return Err(ParseError::new(
                argument.position,
                format!(
                    "import pattern {pattern:?} has more than one wildcard; CoreDNS allows a single '*' or '?'"
                ),
            ));
        }
        let via = self.via(source);
        self.file_imports.push(FileImport {
            pattern: pattern.into_owned(),
            position,
            via,
        });
        Ok(())
    }

    /// Plugin lines up to the `}` that closes the block opened at `open`, or to the end of
    /// the input when there is no brace.
    fn directives(&mut self, open: Option<Position>) -> Result<Vec<Directive<'a>>, ParseError> {
        let mut directives = Vec::new();
        loop {
            let Some(current) = self.peek() else {
                return match open {
                    Some(open) => Err(self.eof_error(open, "server block's '{'")),
                    None => Ok(directives),
                };
            };
            let token = current.token;
            if token.is("}") {
                if open.is_some() {
                    self.advance();
                    return Ok(directives);
                }
                return Err(ParseError::new(
                    token.position,
                    "unexpected '}': no block is open here",
                ));
            }
            if token.is("{") {
                return Err(ParseError::new(
                    token.position,
                    "a '{' must follow a plugin name and its arguments",
                ));
            }
            if token.is("import") {
                self.import()?;
                continue;
            }
            // A placeholder is expanded before CoreDNS looks the plugin up; the checks say so.
            let plugin = !token.quoted && is_plugin_name(&token.text);
            if !plugin && (token.quoted || placeholders(&token.text).is_empty()) {
                return Err(ParseError::new(
                    token.position,
                    format!(
                        "{:?} is not a plugin name (plugin names are lower-case letters, digits and '_')",
                        token.text
                    ),
                ));
            }
            directives.push(self.directive(0)?);
        }
    }

    /// One line: a name, its arguments, and an optional block (whose `{` may be on the next
    /// line, as CoreDNS allows).
    fn directive(&mut self, depth: usize) -> Result<Directive<'a>, ParseError> {
        let Some((name, source)) = self.advance() else {
            return Err(ParseError::new(self.last_position, "expected a directive"));
        };
        let mut directive = Directive {
            name: Word {
                text: name.text,
                position: name.position,
            },
            args: Vec::new(),
            block: None,
            via: self.via(source),
        };
        while let Some(current) = self.same_line() {
            if !current.token.quoted && matches!(current.token.text.as_ref(), "{" | "}") {
                break;
            }
            let Some((token, _)) = self.advance() else {
                break;
            };
            directive.args.push(Word {
                text: token.text,
                position: token.position,
            });
        }
        match self.peek() {
            Some(current) if current.token.is("{") => {
                if depth >= MAX_DEPTH {
                    return Err(ParseError::new(
                        current.token.position,
                        format!("blocks are nested more than {MAX_DEPTH} deep"),
                    ));
                }
                let open = current.token.position;
                self.advance();
                directive.block = Some(self.block(depth + 1, open)?);
            }
            Some(current) if current.token.is("}") && depth == 0 && !self.at_line_start() => {
                let position = self.peek().map(|c| c.token.position).unwrap_or_default();
                return Err(ParseError::new(
                    position,
                    "CoreDNS needs the '}' that closes a server block on its own line, not after a plugin's arguments",
                ));
            }
            _ => return Ok(directive),
        }
        // After a block's '}', the line ends (or, inside a block, an enclosing '}' follows).
        if let Some(next) = self.same_line()
            && !(depth > 0 && next.token.is("}"))
        {
            return Err(ParseError::new(
                next.token.position,
                format!(
                    "unexpected {:?} after the '}}' that closes a block; put it on its own line",
                    next.token.text
                ),
            ));
        }
        Ok(directive)
    }

    /// The lines of a directive's block, after its `{`, through the matching `}`.
    fn block(&mut self, depth: usize, open: Position) -> Result<Vec<Directive<'a>>, ParseError> {
        let mut lines = Vec::new();
        loop {
            let Some(current) = self.peek() else {
                return Err(self.eof_error(open, "'{'"));
            };
            let token = current.token;
            if token.is("}") {
                self.advance();
                return Ok(lines);
            }
            if token.is("{") {
                return Err(ParseError::new(
                    token.position,
                    "a '{' must follow a property name inside a block",
                ));
            }
            if token.is("import") && self.at_line_start() {
                self.import()?;
                continue;
            }
            lines.push(self.directive(depth)?);
        }
    }
}

/// Plugin names in CoreDNS's plugin.cfg: lower-case letters, digits and '_'.
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBEADM: &str = r#".:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"#;

    fn names<'a>(directives: &'a [Directive<'_>]) -> Vec<&'a str> {
        directives.iter().map(|d| d.name.text.as_ref()).collect()
    }

    fn keys<'a>(block: &'a ServerBlock<'_>) -> Vec<&'a str> {
        block.keys.iter().map(|k| k.text.as_ref()).collect()
    }

    fn error(input: &str) -> ParseError {
        parse(input).expect_err(input)
    }

    #[test]
    fn kubeadm_default() {
        let file = parse(KUBEADM).unwrap();
        assert_eq!(file.blocks.len(), 1);
        let block = &file.blocks[0];
        assert_eq!(keys(block), [".:53"]);
        assert_eq!(
            names(&block.directives),
            [
                "errors",
                "health",
                "ready",
                "kubernetes",
                "prometheus",
                "forward",
                "cache",
                "loop",
                "reload",
                "loadbalance"
            ]
        );
        let k8s = &block.directives[3];
        assert_eq!(
            k8s.arg_texts().collect::<Vec<_>>(),
            ["cluster.local", "in-addr.arpa", "ip6.arpa"]
        );
        assert_eq!(k8s.position(), Position { line: 7, column: 5 });
        let pods: Vec<_> = k8s.property("pods").collect();
        assert_eq!(pods[0].arg_texts().collect::<Vec<_>>(), ["insecure"]);
        assert_eq!(pods[0].position().line, 8);
        assert_eq!(names(k8s.properties()), ["pods", "fallthrough", "ttl"]);
        assert_eq!(block.directives[6].args[0].text, "30");
        assert!(file.imports.is_empty() && file.placeholders.is_empty());
    }

    #[test]
    fn several_keys_blocks_and_schemes() {
        let file = parse(
            "example.org tls://example.com:853, \n  10.0.0.0/24 {\n  whoami\n}\n\n.:5353 {\n forward . 9.9.9.9\n}\n",
        )
        .unwrap();
        assert_eq!(
            keys(&file.blocks[0]),
            ["example.org", "tls://example.com:853", "10.0.0.0/24"]
        );
        assert_eq!(keys(&file.blocks[1]), [".:5353"]);
        assert_eq!(file.blocks[1].position.line, 6);
    }

    #[test]
    fn braceless_single_server_and_empty_block() {
        let file = parse(".:53\nwhoami\nlog\n").unwrap();
        assert_eq!(names(&file.blocks[0].directives), ["whoami", "log"]);
        let file = parse("example.org {\n}\n").unwrap();
        assert!(file.blocks[0].directives.is_empty());
        assert!(parse("").unwrap().blocks.is_empty());
        assert!(parse("# nothing\n\n").unwrap().blocks.is_empty());
    }

    #[test]
    fn nested_blocks_one_line_and_brace_on_next_line() {
        let file = parse(
            ". {\n  health { lameduck 5s }\n  forward . 1.1.1.1\n  {\n    max_concurrent 10\n  }\n  view a {\n    expr x { y }\n  }\n}\n",
        )
        .unwrap();
        let d = &file.blocks[0].directives;
        assert_eq!(names(d), ["health", "forward", "view"]);
        assert_eq!(names(d[0].properties()), ["lameduck"]);
        assert_eq!(names(d[1].properties()), ["max_concurrent"]);
        let expr = &d[2].properties()[0];
        assert_eq!(names(expr.properties()), ["y"]);
    }

    #[test]
    fn quotes_comments_and_placeholders() {
        let file = parse(
            ". { # the root zone\n  template IN A {\n    answer \"{{ .Name }} 60 IN A 10.0.0.1\" # fixed\n  }\n  forward . {$UPSTREAM} \"{%DNS%}\"\n  log \"}\"\n}\n",
        )
        .unwrap();
        let d = &file.blocks[0].directives;
        assert_eq!(names(d), ["template", "forward", "log"]);
        assert_eq!(
            d[0].properties()[0].args[0].text,
            "{{ .Name }} 60 IN A 10.0.0.1"
        );
        assert_eq!(d[2].args[0].text, "}");
        let found: Vec<_> = file
            .placeholders
            .iter()
            .map(|p| (p.text.as_ref(), p.position.line))
            .collect();
        assert_eq!(found, [("{$UPSTREAM}", 5), ("{%DNS%}", 5)]);
    }

    #[test]
    fn snippets_expand_where_imported() {
        let file = parse(
            "(common) {\n  errors\n  cache 30\n}\n(fwd) {\n  import common\n  forward . 1.1.1.1\n}\n. {\n  import fwd\n  log\n}\nexample.org {\n  import common\n}\n",
        )
        .unwrap();
        assert_eq!(file.blocks.len(), 2);
        let d = &file.blocks[0].directives;
        assert_eq!(names(d), ["errors", "cache", "forward", "log"]);
        let via = d[0].via.as_ref().unwrap();
        assert_eq!((via.snippet.as_str(), via.import_line), ("common", 6));
        assert_eq!(d[0].position().line, 2);
        assert_eq!(d[2].via.as_ref().unwrap().snippet, "fwd");
        assert_eq!(d[3].via, None);
        assert_eq!(names(&file.blocks[1].directives), ["errors", "cache"]);
        assert!(file.imports.is_empty());
    }

    #[test]
    fn a_snippet_of_server_blocks_imported_at_top_level() {
        let file = parse("(zones) {\n  a.org {\n    whoami\n  }\n}\nimport zones\n. {\n  log\n}\n")
            .unwrap();
        assert_eq!(keys(&file.blocks[0]), ["a.org"]);
        assert_eq!(keys(&file.blocks[1]), ["."]);
    }

    #[test]
    fn file_imports_are_recorded() {
        let file = parse(
            ".:53 {\n  errors\n  import /etc/coredns/custom/*.override\n}\nimport /etc/coredns/custom/*.server\n",
        )
        .unwrap();
        let imports: Vec<_> = file
            .imports
            .iter()
            .map(|i| (i.pattern.as_str(), i.position.line))
            .collect();
        assert_eq!(
            imports,
            [
                ("/etc/coredns/custom/*.override", 3),
                ("/etc/coredns/custom/*.server", 5)
            ]
        );
        assert_eq!(names(&file.blocks[0].directives), ["errors"]);
    }

    #[test]
    fn override_files_are_plugin_lines() {
        let file = parse_directives("log\nrewrite name a.example.org b.example.org\n").unwrap();
        assert_eq!(names(&file.blocks[0].directives), ["log", "rewrite"]);
        assert!(file.blocks[0].keys.is_empty());
        let err = parse_directives("log\n}\n").unwrap_err();
        assert_eq!(err.position.line, 2);
        let err = parse_directives(". {\n log\n}\n").unwrap_err();
        assert!(err.message.contains("not a plugin name"), "{err}");
    }

    #[test]
    fn errors_carry_line_and_column() {
        let cases: &[(&str, u32, u32, &str)] = &[
            (". {\n  errors\n", 1, 3, "never closed"),
            (
                ". {\n  forward . 1.1.1.1 {\n    max_concurrent 10\n}\n",
                1,
                3,
                "never closed",
            ),
            (". {\n  errors }\n", 2, 10, "own line"),
            ("}\n", 1, 1, "no block is open"),
            (". {\n  { errors }\n}\n", 2, 3, "must follow a plugin name"),
            (". {\n  Errors\n}\n", 2, 3, "not a plugin name"),
            (". {\n  import\n}\n", 2, 3, "import needs one argument"),
            (". {\n  import a b\n}\n", 2, 12, "one argument"),
            (
                ". {\n  import /etc/*/*.conf\n}\n",
                2,
                10,
                "more than one wildcard",
            ),
            (
                ". {\n  health { lameduck 5s } x\n}\n",
                2,
                26,
                "after the '}'",
            ),
            ("a.org, {\n}\n", 1, 8, "remove the comma"),
            ("a.org,", 1, 1, "no key follows"),
            ("(s) {\n log\n}\n(s) {\n}\n", 4, 1, "defined twice"),
            ("(s)\nlog\n", 1, 1, "needs a '{'"),
            ("(s) {\n log\n", 1, 5, "never closed"),
            (". {\n  log \"unterminated\n}\n", 2, 7, "never closed"),
        ];
        for (input, line, column, text) in cases {
            let err = error(input);
            assert_eq!(
                (err.position.line, err.position.column),
                (*line, *column),
                "{input:?}: {err}"
            );
            assert!(err.message.contains(text), "{input:?}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("line {line}, column {column}: "))
            );
        }
    }

    #[test]
    fn self_importing_snippet_is_bounded() {
        let err = error("(loop) {\n  log\n  import loop\n}\n. {\n  import loop\n}\n");
        assert!(err.message.contains("more than"), "{err}");
        // Doubling at each level would be exponential without the bound.
        let mut input = String::from("(s0) {\n  log\n}\n");
        for i in 1..40 {
            input.push_str(&format!(
                "(s{i}) {{\n  import s{p}\n  import s{p}\n}}\n",
                p = i - 1
            ));
        }
        input.push_str(". {\n  import s39\n}\n");
        assert!(parse(&input).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let input = format!(". {{\n{}", "a {\n".repeat(10_000));
        assert!(error(&input).message.contains("nested more than"));
    }

    #[test]
    fn an_undefined_snippet_name_is_a_file_import() {
        let file = parse(". {\n  import later\n}\n(later) {\n  log\n}\n").unwrap();
        assert_eq!(file.imports[0].pattern, "later");
        assert!(file.blocks[0].directives.is_empty());
    }
}
