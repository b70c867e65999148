//! A parser for the Corefile, CoreDNS's configuration language (a dialect of Caddy v1's
//! Caddyfile): server blocks keyed by zones, plugin directives with arguments and nested blocks,
//! quoted strings, comments, environment placeholders, snippets and imports.
//!
//! It is written for a policy, so it never panics and bounds its work on any input: nesting
//! depth, import count and the size of snippet expansions are limited, and what it cannot see
//! (imported files, placeholder values) is recorded for the policy to judge.

mod lexer;
mod parser;

use std::borrow::Cow;
use std::fmt;

pub use lexer::{Token, mentions_placeholder, placeholders, tokenize};
pub use parser::{is_plugin_name, parse, parse_directives};

/// Where something starts in the source: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Why the text is not a Corefile CoreDNS would load, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub position: Position,
    pub message: String,
}

impl ParseError {
    pub fn new(position: Position, message: impl Into<String>) -> Self {
        ParseError {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.position.line, self.position.column, self.message
        )
    }
}

/// A parsed Corefile (or the plugin lines of an `.override` file).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Corefile<'a> {
    pub blocks: Vec<ServerBlock<'a>>,
    /// File imports, which CoreDNS reads from disk and the policy cannot.
    pub imports: Vec<FileImport>,
    /// `{$VAR}` and `{%VAR%}` placeholders, whose values are not visible.
    pub placeholders: Vec<Placeholder>,
}

/// `KEY... { DIRECTIVE... }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerBlock<'a> {
    pub keys: Vec<Word<'a>>,
    pub directives: Vec<Directive<'a>>,
    pub position: Position,
}

/// A plugin line, or a property line inside a plugin's block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directive<'a> {
    pub name: Word<'a>,
    pub args: Vec<Word<'a>>,
    /// The lines of its `{ ... }` block, if it has one.
    pub block: Option<Vec<Directive<'a>>>,
    /// Set when the line came from a snippet: its name and the line of the `import`.
    pub via: Option<Via>,
}

impl<'a> Directive<'a> {
    pub fn position(&self) -> Position {
        self.name.position
    }

    pub fn arg_texts(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.text.as_ref())
    }

    /// The lines of its block (none when it has no block).
    pub fn properties(&self) -> &[Directive<'a>] {
        self.block.as_deref().unwrap_or(&[])
    }

    /// The block's lines named `name`.
    pub fn property<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Directive<'a>> + 's {
        self.properties()
            .iter()
            .filter(move |p| p.name.text == name)
    }
}

/// One token's text and where it starts: borrowed from the source unless quoting changed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: Cow<'a, str>,
    pub position: Position,
}

/// The snippet a directive was expanded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    pub snippet: String,
    pub import_line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileImport {
    pub pattern: String,
    pub position: Position,
    pub via: Option<Via>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub text: String,
    pub position: Position,
}
