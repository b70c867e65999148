//! Calico: its selector language ([`selector`], over the tokens of [`tokenizer`]).

pub mod selector;
pub mod tokenizer;

pub use selector::{Node, Selector};
pub use tokenizer::SyntaxError;
