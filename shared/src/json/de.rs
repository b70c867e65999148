//! A serde `Deserializer` over JSON text, borrowing every string without escapes.
//!
//! It reads what serde_json's `Deserializer::from_str` reads, the same way: the same texts are
//! accepted and refused, each `deserialize_*` hands the visitor what serde_json's hands it
//! (numbers as `u64`, `i64` or `f64` by their literal, `-0` as a float; null as unit or none;
//! a `RawValue` by serde_json's own protocol, so `&RawValue` fields keep working), and its
//! errors carry serde_json's messages. One form is refused on purpose: a struct written as an
//! array, which serde_json reads by position. No Kubernetes object nor Kubewarden setting is
//! written so, the API server refuses it, and reading it would keep every struct's positional
//! visitor (serde's derived `visit_seq`) in the modules: 1.8 to 5.8 KB of each. What differs
//! otherwise is the cost: every value a reader skips (`IgnoredAny`, a `RawValue`) is walked by
//! [`super::syntax::skip`], one loop with its state in locals, where serde_json recurses
//! through `ignore_value` and restarts its string scan at every escape. Most of a request is
//! skipped: managed fields, kubectl's last-applied copy of the object, status, the old object
//! of an update.
//!
//! An error's position is a byte offset into the text (serde_json gives a line and column),
//! from which [`super::from_str`] finds the path of the failing value.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Expected, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::value::RawValue;

use super::syntax::{self, EOF_LIST, EOF_OBJECT, EOF_VALUE, Fault, MAX_DEPTH, space};

/// serde_json's name for a raw value: a `newtype_struct` of this name is read as the value's
/// text (`serde_json::value::RawValue`'s `Deserialize`, `raw.rs`).
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// The value at `path` (keys of nested objects) in `text`, a document already read whole, so
/// that its syntax is known good and each key is in it at most once; `None` when a key is
/// missing, a value on the way is not an object, or the value is null.
///
/// It walks the text with the reader's own steps (keys compared, other values skipped): reading
/// the document once more through a struct would add that struct's decoder to the module.
pub fn raw_at<'de>(text: &'de str, path: &[&str]) -> Option<&'de RawValue> {
    let mut de = Deserializer::new(text);
    for want in path {
        if de.peek() != Some(b'{') {
            return None;
        }
        de.enter().ok()?;
        let mut first = true;
        loop {
            if !de.next_key(&mut first).ok()? {
                return None;
            }
            let key = de.string().ok()?;
            de.colon().ok()?;
            if key.as_str() == *want {
                break;
            }
            de.skip().ok()?;
        }
    }
    // As a struct's `Option<&RawValue>` field is read: the same reader, once in the module.
    Option::<&RawValue>::deserialize(&mut de).ok().flatten()
}

/// A decoding error: serde_json's message, and the byte offset it applies to (one past the
/// byte that was wrong, or the end of what was read when a visitor refused a value).
pub struct Error(Box<Placed>);

/// Boxed, as serde_json's is: every `Result` the readers pass up stays one word wide.
struct Placed {
    message: String,
    at: usize,
}

const UNPLACED: usize = usize::MAX;

impl Error {
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The byte offset the error applies to.
    pub fn offset(&self) -> usize {
        self.0.at
    }

    #[cold]
    #[inline(never)]
    fn syntax(fault: Fault) -> Error {
        Error(Box::new(Placed {
            message: fault.what.to_string(),
            at: fault.at.saturating_add(1),
        }))
    }
}

impl From<Fault> for Error {
    fn from(fault: Fault) -> Error {
        Error::syntax(fault)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.0.message, self.0.at)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error(Box::new(Placed {
            message: message.to_string(),
            at: UNPLACED,
        }))
    }

    #[cold]
    fn invalid_type(unexpected: Unexpected, expected: &dyn Expected) -> Error {
        Error::custom(format_args!(
            "invalid type: {}, expected {expected}",
            Shown(unexpected)
        ))
    }

    #[cold]
    fn invalid_value(unexpected: Unexpected, expected: &dyn Expected) -> Error {
        Error::custom(format_args!(
            "invalid value: {}, expected {expected}",
            Shown(unexpected)
        ))
    }
}

/// An unexpected value as serde_json's errors show it: null is `null` (serde says "unit
/// value"), a float is written by zmij as serde_json writes it, anything else in serde's words
/// (`impl Display for Unexpected`, serde_core `de/mod.rs`). Written out rather than handed to
/// serde's Display: that one writes floats with core's formatting, which was 20 to 22 KB of
/// every module for a number in an error message.
struct Shown<'a>(Unexpected<'a>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            Unexpected::Float(n) => {
                write!(f, "floating point `{}`", zmij::Buffer::new().format(n))
            }
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(s) => write!(f, "string {s:?}"),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

/// Decodes a `T` from the whole of `text` (only whitespace may follow it).
pub fn from_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    let mut de = Deserializer::new(text);
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

pub struct Deserializer<'de> {
    text: &'de str,
    bytes: &'de [u8],
    at: usize,
    /// How many more containers may open (serde_json's `remaining_depth`).
    depth: usize,
}

/// A number as its literal reads (serde_json's `ParserNumber`).
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Number {
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Number::U64(n) => visitor.visit_u64(n),
            Number::I64(n) => visitor.visit_i64(n),
            Number::F64(n) => visitor.visit_f64(n),
        }
    }

    fn unexpected(&self) -> Unexpected<'static> {
        match *self {
            Number::U64(n) => Unexpected::Unsigned(n),
            Number::I64(n) => Unexpected::Signed(n),
            Number::F64(n) => Unexpected::Float(n),
        }
    }
}

/// A decoded string: borrowed from the text, or unescaped into its own.
enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> Text<'de> {
    fn visit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Text::Borrowed(s) => visitor.visit_borrowed_str(s),
            Text::Owned(s) => visitor.visit_string(s),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

impl<'de> Deserializer<'de> {
    pub fn new(text: &'de str) -> Self {
        Deserializer {
            text,
            bytes: text.as_bytes(),
            at: 0,
            depth: MAX_DEPTH,
        }
    }

    /// The next token's first byte, whitespace passed.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.at = space(self.bytes, self.at);
        self.bytes.get(self.at).copied()
    }

    /// A visitor's error, placed where reading stands (serde_json's `fix_position`).
    #[cold]
    #[inline(never)]
    fn place(&self, mut err: Error) -> Error {
        if err.0.at == UNPLACED {
            err.0.at = self.at;
        }
        err
    }

    #[inline]
    fn fault<T>(&self, what: &'static str) -> Result<T, Error> {
        Err(Error::syntax(Fault { what, at: self.at }))
    }

    /// The string whose opening quote is at the reading position. Out of line, as every
    /// non-generic step here: the readers are instantiated per visitor, and each would carry
    /// its own copy.
    #[inline(never)]
    fn string(&mut self) -> Result<Text<'de>, Error> {
        let start = self.at;
        let (end, escaped) = syntax::string(self.bytes, start)?;
        self.at = end;
        let raw = &self.text[start + 1..end - 1];
        match escaped {
            false => Ok(Text::Borrowed(raw)),
            true => unescape(raw, start + 1).map(Text::Owned),
        }
    }

    #[inline(never)]
    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        self.at = syntax::literal(self.bytes, self.at, word)?;
        Ok(())
    }

    /// The number at the reading position, read as serde_json's `parse_integer` reads it: an
    /// integer that fits is a `u64` (or, negative, an `i64`), anything else an `f64`.
    #[inline(never)]
    fn number(&mut self) -> Result<Number, Error> {
        let start = self.at;
        let negative = self.bytes[start] == b'-';
        let mut at = start + usize::from(negative);
        let mut value: u64 = 0;
        let mut exact = true;
        while let Some(&b @ b'0'..=b'9') = self.bytes.get(at) {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
            {
                Some(v) => value = v,
                None => exact = false,
            }
            at += 1;
        }
        let integer = exact && !matches!(self.bytes.get(at), Some(b'.' | b'e' | b'E'));
        // The grammar (one leading zero, digits after a point or an exponent) is checked once,
        // by the walk every skipped number takes too.
        let end = syntax::number(self.bytes, start)?;
        self.at = end;
        if integer {
            if !negative {
                return Ok(Number::U64(value));
            }
            // `-0`, and what is below i64's range, are floats, as in serde_json.
            let negated = (value as i64).wrapping_neg();
            return Ok(match negated < 0 {
                true => Number::I64(negated),
                false => Number::F64(-(value as f64)),
            });
        }
        match float(&self.bytes[start..end]) {
            n if n.is_finite() => Ok(Number::F64(n)),
            _ => Err(Error::syntax(Fault {
                what: "number out of range",
                at: start,
            })),
        }
    }

    /// Skips the value at the reading position.
    #[inline(never)]
    fn skip(&mut self) -> Result<(), Error> {
        self.at = syntax::skip(self.text, self.at, MAX_DEPTH - self.depth)?;
        Ok(())
    }

    /// One more container open, within serde_json's limit.
    fn enter(&mut self) -> Result<(), Error> {
        // Checked before the count goes down, so that it never wraps, even for a visitor that
        // would carry on after this error.
        if self.depth <= 1 {
            return self.fault(syntax::RECURSION);
        }
        self.depth -= 1;
        self.at += 1;
        Ok(())
    }

    /// A container read by `visit`, its opening bracket next, and closed by `end`.
    fn within<T>(
        &mut self,
        visit: impl FnOnce(&mut Self) -> Result<T, Error>,
        end: fn(&mut Self) -> Result<(), Error>,
    ) -> Result<T, Error> {
        self.enter()?;
        let value = visit(self);
        self.depth += 1;
        // The end is read even after the visitor's error, so that the error is placed past
        // the container, as serde_json places it.
        let end = end(self);
        let value = value?;
        end?;
        Ok(value)
    }

    fn seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.within(
            |de| visitor.visit_seq(Seq { de, first: true }),
            Self::end_seq,
        )
    }

    #[inline(never)]
    fn end_seq(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b']') => {
                self.at += 1;
                Ok(())
            }
            Some(b',') => {
                self.at = space(self.bytes, self.at + 1);
                match self.bytes.get(self.at) {
                    Some(b']') => self.fault(syntax::TRAILING_COMMA),
                    _ => self.fault("trailing characters"),
                }
            }
            Some(_) => self.fault("trailing characters"),
            None => self.fault(EOF_LIST),
        }
    }

    fn map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        self.within(
            |de| visitor.visit_map(Map { de, first: true }),
            Self::end_map,
        )
    }

    #[inline(never)]
    fn end_map(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'}') => {
                self.at += 1;
                Ok(())
            }
            Some(b',') => self.fault(syntax::TRAILING_COMMA),
            Some(_) => self.fault("trailing characters"),
            None => self.fault(EOF_OBJECT),
        }
    }

    /// Whether a list has another element: past the comma before it, if any (serde_json's
    /// `has_next_element`).
    #[inline(never)]
    fn next_element(&mut self, first: &mut bool) -> Result<bool, Error> {
        match self.peek() {
            Some(b']') => return Ok(false),
            Some(b',') if !*first => {
                self.at += 1;
                if self.peek() == Some(b']') {
                    return self.fault(syntax::TRAILING_COMMA);
                }
            }
            Some(_) if *first => *first = false,
            Some(_) => return self.fault(syntax::LIST_COMMA_OR_END),
            None => return self.fault(EOF_LIST),
        }
        Ok(true)
    }

    /// Whether an object has another key: then at its opening quote (serde_json's
    /// `has_next_key`).
    #[inline(never)]
    fn next_key(&mut self, first: &mut bool) -> Result<bool, Error> {
        match self.peek() {
            Some(b'}') => return Ok(false),
            Some(b',') if !*first => self.at += 1,
            Some(_) if *first => *first = false,
            Some(_) => return self.fault(syntax::OBJECT_COMMA_OR_END),
            None => return self.fault(EOF_OBJECT),
        }
        match self.peek() {
            Some(b'"') => Ok(true),
            Some(b'}') => self.fault(syntax::TRAILING_COMMA),
            Some(_) => self.fault(syntax::KEY_NOT_STRING),
            None => self.fault(EOF_VALUE),
        }
    }

    /// `byte` next, read within an object: a key's colon, or the brace that closes an enum's
    /// one-entry object; else the fault `otherwise`.
    #[inline(never)]
    fn in_object(&mut self, byte: u8, otherwise: &'static str) -> Result<(), Error> {
        match self.peek() {
            Some(b) if b == byte => {
                self.at += 1;
                Ok(())
            }
            Some(_) => self.fault(otherwise),
            None => self.fault(EOF_OBJECT),
        }
    }

    /// The colon between a key and its value.
    fn colon(&mut self) -> Result<(), Error> {
        self.in_object(b':', syntax::EXPECTED_COLON)
    }

    /// Only whitespace after the value.
    #[inline(never)]
    fn end(&mut self) -> Result<(), Error> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.fault("trailing characters"),
        }
    }

    /// The error for a value of the wrong type, which is read first to show it (serde_json's
    /// `peek_invalid_type`).
    #[cold]
    #[inline(never)]
    fn invalid_type(&mut self, expected: &dyn Expected) -> Error {
        let err = match self.peek() {
            Some(b'n') => self
                .literal(b"null")
                .map(|_| de::Error::invalid_type(Unexpected::Unit, expected)),
            Some(b't') => self
                .literal(b"true")
                .map(|_| de::Error::invalid_type(Unexpected::Bool(true), expected)),
            Some(b'f') => self
                .literal(b"false")
                .map(|_| de::Error::invalid_type(Unexpected::Bool(false), expected)),
            Some(b'-' | b'0'..=b'9') => self
                .number()
                .map(|n| de::Error::invalid_type(n.unexpected(), expected)),
            Some(b'"') => self
                .string()
                .map(|s| de::Error::invalid_type(Unexpected::Str(s.as_str()), expected)),
            Some(b'[') => Ok(de::Error::invalid_type(Unexpected::Seq, expected)),
            Some(b'{') => Ok(de::Error::invalid_type(Unexpected::Map, expected)),
            Some(_) => self.fault(syntax::EXPECTED_VALUE),
            None => self.fault(EOF_VALUE),
        };
        self.place(err.unwrap_or_else(|e| e))
    }

    fn number_value<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number()?.visit(visitor),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }
}

/// Powers of ten that an `f64` holds exactly.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a number literal that JSON's grammar accepts (checked before).
///
/// Exact, by Clinger's fast path, when its significant digits fit 2^53 and its power of ten is
/// within 10^±22: every number written in a Kubernetes object (`0.5`, `1.25e3`, a CPU share).
/// Other literals are the significand times powers of ten, within a few units in the last
/// place, as serde_json's default reading (without its `float_roundtrip` feature) is too.
/// core's correctly rounded `f64::from_str` would bring 10 KB of tables into every module for
/// numbers no policy compares.
fn float(literal: &[u8]) -> f64 {
    let negative = literal.first() == Some(&b'-');
    let mut significand: u64 = 0;
    let mut exponent: i64 = 0;
    let mut digits = 0;
    let mut at = usize::from(negative);
    let mut fraction = false;
    while let Some(&b) = literal.get(at) {
        match b {
            b'0'..=b'9' => {
                // Past 19 digits a u64 may overflow: later digits only scale the value.
                if digits < 19 {
                    significand = significand * 10 + u64::from(b - b'0');
                    if significand > 0 {
                        digits += 1;
                    }
                    exponent -= i64::from(fraction);
                } else {
                    exponent += i64::from(!fraction);
                }
            }
            b'.' => fraction = true,
            _ => break,
        }
        at += 1;
    }
    if let Some(b'e' | b'E') = literal.get(at) {
        let sign = match literal.get(at + 1) {
            Some(b'-') => -1,
            _ => 1,
        };
        let written = literal[at + 1..]
            .iter()
            .filter(|b| b.is_ascii_digit())
            .fold(0i64, |e, b| (e * 10 + i64::from(b - b'0')).min(100_000));
        exponent += sign * written;
    }
    let mut value = significand as f64;
    if significand != 0 {
        if significand < 1 << 53 && exponent.abs() <= 22 {
            let power = EXACT_POWERS[exponent.unsigned_abs() as usize];
            value = if exponent < 0 {
                value / power
            } else {
                value * power
            };
        } else {
            value = scale(value, exponent);
        }
    }
    if negative { -value } else { value }
}

/// `value` times ten to `exponent`, in steps of exact powers.
#[cold]
fn scale(mut value: f64, mut exponent: i64) -> f64 {
    while exponent > 22 && value.is_finite() {
        value *= 1e22;
        exponent -= 22;
    }
    while exponent < -22 && value != 0.0 {
        value /= 1e22;
        exponent += 22;
    }
    let power = EXACT_POWERS[exponent.unsigned_abs().min(22) as usize];
    if exponent < 0 {
        value / power
    } else {
        value * power
    }
}

/// The text of an escaped string (`raw`, between its quotes, starting at byte `at` of the
/// text), its escapes already checked by [`syntax::string`]; `\u` surrogates must pair, as
/// serde_json's `parse_unicode_escape` requires of a string.
#[cold]
fn unescape(raw: &str, at: usize) -> Result<String, Error> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let hex = |i: usize| {
        raw.get(i..i + 4)
            .and_then(|h| u16::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    let lone = |i: usize| {
        Err(Error::syntax(Fault {
            what: "lone leading surrogate in hex escape",
            at: at + i,
        }))
    };
    while i < bytes.len() {
        let run = syntax::plain(bytes, i).min(bytes.len());
        out.push_str(&raw[i..run]);
        i = run;
        if i >= bytes.len() {
            break;
        }
        // At a backslash: plain() stops only there inside a checked string.
        let c = match bytes[i + 1] {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let n = hex(i + 2);
                i += 6;
                let code = match n {
                    0xDC00..=0xDFFF => return lone(i),
                    0xD800..=0xDBFF => {
                        if bytes.get(i..i + 2) != Some(b"\\u") {
                            return Err(Error::syntax(Fault {
                                what: "unexpected end of hex escape",
                                at: at + i,
                            }));
                        }
                        let low = hex(i + 2);
                        i += 6;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return lone(i);
                        }
                        0x10000 + ((u32::from(n) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
                    }
                    n => u32::from(n),
                };
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                continue;
            }
            other => char::from(other),
        };
        out.push(c);
        i += 2;
    }
    Ok(out)
}

macro_rules! numbers {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.number_value(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'n') => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            Some(b't') => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            Some(b'-' | b'0'..=b'9') => self.number()?.visit(visitor),
            Some(b'"') => self.string()?.visit(visitor),
            Some(b'[') => self.seq(visitor),
            Some(b'{') => self.map(visitor),
            Some(_) => self.fault(syntax::EXPECTED_VALUE),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b't') => self.literal(b"true").and_then(|_| visitor.visit_bool(true)),
            Some(b'f') => self
                .literal(b"false")
                .and_then(|_| visitor.visit_bool(false)),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    numbers!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
             deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
             deserialize_f32 deserialize_f64);

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'"') => self.string()?.visit(visitor),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    /// A string's bytes (unescaped), or a list of numbers, as serde_json reads bytes.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'"') => match self.string()? {
                Text::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
                Text::Owned(s) => visitor.visit_byte_buf(s.into_bytes()),
            },
            Some(b'[') => return self.deserialize_seq(visitor),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek() {
            Some(b'n') => {
                self.literal(b"null")?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'n') => self.literal(b"null").and_then(|_| visitor.visit_unit()),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    /// A `RawValue` is handed over as its text, by serde_json's protocol: a map of one entry,
    /// the token as its key and the text, borrowed, as its value.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name != RAW_VALUE {
            return visitor.visit_newtype_struct(self);
        }
        let start = space(self.bytes, self.at);
        self.at = start;
        self.skip()?;
        let raw = &self.text[start..self.at];
        visitor
            .visit_map(RawMap(Some(raw)))
            .map_err(|e| self.place(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'[') => self.seq(visitor),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek() {
            Some(b'{') => self.map(visitor),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    /// A struct is an object, or (as serde_json and serde's derive allow) an array of its
    /// fields in order.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // serde_json also reads `[` here, by position; see the module's documentation.
        let value = match self.peek() {
            Some(b'{') => self.map(visitor),
            Some(_) => Err(self.invalid_type(&visitor)),
            None => self.fault(EOF_VALUE),
        };
        value.map_err(|e| self.place(e))
    }

    /// An enum is its variant's name, or an object of one entry: the variant's name and its
    /// content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.peek() {
            Some(b'"') => visitor.visit_enum(UnitVariant(self)),
            Some(b'{') => {
                self.enter()?;
                let value = visitor.visit_enum(VariantEntry(&mut *self));
                self.depth += 1;
                // Unlike a map's (`within`), the end is not read after the visitor's error:
                // serde_json's `deserialize_enum` returns that error where it arose.
                let value = value?;
                self.in_object(b'}', syntax::EXPECTED_VALUE)?;
                Ok(value)
            }
            Some(_) => self.fault(syntax::EXPECTED_VALUE),
            None => self.fault(EOF_VALUE),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }
}

struct Seq<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Seq<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.de.next_element(&mut self.first)? {
            true => seed.deserialize(&mut *self.de).map(Some),
            false => Ok(None),
        }
    }
}

struct Map<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Map<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.de.next_key(&mut self.first)? {
            true => seed.deserialize(Key(&mut *self.de)).map(Some),
            false => Ok(None),
        }
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        self.de.colon()?;
        seed.deserialize(&mut *self.de)
    }
}

/// An object's key: a string, whatever its reader asks for (serde_json also reads numbers and
/// booleans out of keys; no Kubernetes object has a map keyed by them, so a reader that wants
/// one is told it met a string).
struct Key<'a, 'de>(&'a mut Deserializer<'de>);

impl<'de> de::Deserializer<'de> for Key<'_, 'de> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let de = self.0;
        de.string()?.visit(visitor).map_err(|e| de.place(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.string()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// An enum written as its variant's name.
struct UnitVariant<'a, 'de>(&'a mut Deserializer<'de>);

impl<'de, 'a> de::EnumAccess<'de> for UnitVariant<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let variant = seed.deserialize(&mut *self.0)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

/// An enum written as an object of one entry, its opening brace read.
struct VariantEntry<'a, 'de>(&'a mut Deserializer<'de>);

impl<'de, 'a> de::EnumAccess<'de> for VariantEntry<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let variant = seed.deserialize(&mut *self.0)?;
        self.0.colon()?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for VariantEntry<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self.0)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.0)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.0, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self.0, "", fields, visitor)
    }
}

/// A raw value handed to `RawValue`'s reader: one entry, serde_json's token and the text.
struct RawMap<'de>(Option<&'de str>);

impl<'de> MapAccess<'de> for RawMap<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.0 {
            Some(_) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(RAW_VALUE))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let raw = self.0.take().unwrap_or_default();
        seed.deserialize(de::value::BorrowedStrDeserializer::new(raw))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::Value;
    use serde_json::value::RawValue;

    use super::*;

    /// serde_json's message without its position.
    fn serde_json_message(err: serde_json::Error) -> String {
        let text = err.to_string();
        let position = format!(" at line {} column {}", err.line(), err.column());
        text.strip_suffix(position.as_str())
            .unwrap_or(&text)
            .to_string()
    }

    /// Both readers give the same value, or both refuse the text with the same message.
    fn agree<'a, T>(text: &'a str)
    where
        T: Deserialize<'a> + PartialEq + fmt::Debug,
    {
        let ours = from_str::<T>(text).map_err(|e| e.message().to_string());
        let mut theirs = serde_json::from_str::<T>(text).map_err(serde_json_message);
        // A high surrogate followed by a backslash and not `u` (`\ud83d\x`): serde_json
        // decodes up to the surrogate before it looks at the next escape; here the escapes
        // are checked first.
        if let (Err(ours), Err(theirs)) = (&ours, &mut theirs)
            && ours == "invalid escape"
            && theirs == "unexpected end of hex escape"
        {
            theirs.clone_from(ours);
        }
        assert_eq!(ours, theirs, "{text:?}");
    }

    const TEXTS: &[&str] = &[
        r#"{"kind":"List","items":[{"a":[1,-2.5e3,true,null],"host":"x.com"},
            {"hosts":["y\u0041.com","z"],"n":{"m":[]}},"s\n",0]}"#,
        r#"[0,-0,12,-3.25,1e9,2E-3,6.02e+23,18446744073709551615,18446744073709551616,
            -9223372036854775808,-9223372036854775809,1e400,-1e-400,0.1,12345678901234567890123]"#,
        r#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d\ud83d\ude00", "é中😀", ""]"#,
        r#"["\ud83d", "\ude00", "\ud83d\u0041", "\ud83dx", "\u12", "\x"]"#,
        "  {\n\t\"a\" : 1 ,\r\n \"b\" : [ ] , \"c\" : { } }  ",
    ];

    #[test]
    fn values_agree_with_serde_json_one_edit_away() {
        for text in TEXTS {
            agree::<Value>(text);
            for i in 0..text.len() {
                if !text.is_char_boundary(i) || !text.is_char_boundary(i + 1) {
                    continue;
                }
                agree::<Value>(&format!("{}{}", &text[..i], &text[i + 1..]));
                for b in [
                    "{", "}", "[", "]", ",", ":", "\"", "\\", "0", "-", ".", "e", " ", "n",
                ] {
                    agree::<Value>(&format!("{}{b}{}", &text[..i], &text[i + 1..]));
                }
            }
        }
    }

    #[test]
    fn floats_are_exact_where_objects_write_them() {
        for text in [
            "0.5",
            "-1.25",
            "1e22",
            "2.5e-3",
            "123456789.125",
            "9007199254740991",
            "0.1",
            "3.14",
            "-0.0",
            "1E2",
            "100e-2",
            "0.000001",
            "12345678901234567890",
            "4.0e+21",
        ] {
            let ours: f64 = from_str(text).unwrap();
            assert_eq!(
                ours.to_bits(),
                text.parse::<f64>().unwrap().to_bits(),
                "{text}"
            );
        }
        // Beyond the fast path: close to the correctly rounded value.
        for text in [
            "1e300",
            "-2.5e-300",
            "123456789012345678901234",
            "1.7976931348623157e308",
            "0.000000000000000000000000001",
            "12345678901234567890123456789e-10",
            "5e-324",
        ] {
            let ours: f64 = from_str(text).unwrap();
            let exact = text.parse::<f64>().unwrap();
            assert!(
                ((ours - exact) / exact).abs() < 1e-14,
                "{text}: {ours} vs {exact}"
            );
        }
        assert!(from_str::<f64>("1e400").is_err() && from_str::<f64>("-1e400").is_err());
        assert_eq!(from_str::<f64>("1e-400").unwrap(), 0.0);
    }

    #[test]
    fn literals_and_ends() {
        for text in [
            "",
            " ",
            "null",
            "nul",
            "nulx",
            "true",
            "tru",
            "false",
            "[]",
            "{}",
            "[] x",
            "1 2",
            "[1,]",
            "{\"a\":1,}",
            "{,}",
            "[,]",
            "{\"a\"}",
            "{\"a\":}",
            "\"\u{1}\"",
            "[[[]]]",
        ] {
            agree::<Value>(text);
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        agree::<Value>(&deep(127));
        agree::<Value>(&deep(128));
        for text in [deep(127), deep(128), "[{\"a\":[1,\"\\u12\"]}]".to_string()] {
            let ours = from_str::<de::IgnoredAny>(&text).map_err(|e| e.message().to_string());
            let theirs = serde_json::from_str::<de::IgnoredAny>(&text).map_err(serde_json_message);
            assert_eq!(ours.is_ok(), theirs.is_ok(), "{text}");
            assert_eq!(ours.err(), theirs.err(), "{text}");
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    enum Op {
        Create,
        Named { name: String },
        Pair(u8, u8),
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Typed<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
        #[serde(default)]
        count: Option<u32>,
        #[serde(default)]
        ratio: f64,
        #[serde(default)]
        flags: Vec<bool>,
        #[serde(default, borrow)]
        labels: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
        #[serde(default)]
        op: Option<Op>,
        #[serde(default)]
        unit: (),
    }

    #[test]
    fn typed_reads_and_their_errors_agree() {
        for text in [
            r#"{"name":"a","count":3,"ratio":0.5,"flags":[true],"labels":{"k":"v"},"op":"create"}"#,
            r#"{"name":"a\tb","op":{"named":{"name":"x"}}}"#,
            r#"{"name":"a","op":{"pair":[1,2]}}"#,
            r#"{"name":"a","count":-1}"#,
            r#"{"name":"a","count":4294967296}"#,
            r#"{"name":"a","count":1.5}"#,
            r#"{"name":"a","count":"3"}"#,
            r#"{"name":"a","ratio":"x"}"#,
            r#"{"name":"a","ratio":7}"#,
            r#"{"name":null}"#,
            r#"{"name":1}"#,
            r#"{"name":true}"#,
            r#"{"name":[]}"#,
            r#"{"name":{}}"#,
            r#"{"count":1}"#,
            r#"{"name":"a","name":"b"}"#,
            r#"{"name":"a","flags":{}}"#,
            r#"{"name":"a","labels":[]}"#,
            r#"{"name":"a","labels":{"k":1}}"#,
            r#"{"name":"a","op":"delete"}"#,
            r#"{"name":"a","op":{"create":null}}"#,
            r#"{"name":"a","op":{"create":null,"x":1}}"#,
            r#"{"name":"a","op":7}"#,
            r#"{"name":"a","unit":null}"#,
            r#"{"name":"a","unit":0}"#,
            "\"x\"",
        ] {
            agree::<Typed>(text);
        }
    }

    #[test]
    fn raw_at_finds_the_value_of_a_path() {
        let path = ["request", "object"];
        let found = |text: &str| raw_at(text, &path).map(|raw| raw.get().to_string());
        let text = r#" {"uid":"x","request" : {"old":{"object":1},"object" : {"a":[1,{"b":"}"}]} ,"z":2}}"#;
        assert_eq!(found(text).as_deref(), Some(r#"{"a":[1,{"b":"}"}]}"#));
        // Keys are compared as decoded.
        let text = r#"{"requ\u0065st":{"\u006fbject":[7]}}"#;
        assert_eq!(found(text).as_deref(), Some("[7]"));
        assert_eq!(
            found(r#"{"request":{"object":"s"}}"#).as_deref(),
            Some(r#""s""#)
        );
        for none in [
            r#"{"request":{"object":null}}"#,
            r#"{"request":{"objects":{}}}"#,
            r#"{"request":{}}"#,
            r#"{"request":["object"]}"#,
            r#"{"request":null}"#,
            r#"{"object":{"request":{}}}"#,
            "[]",
            "",
        ] {
            assert_eq!(found(none), None, "{none}");
        }
    }

    /// serde_json reads a struct written as an array by position; here it is refused.
    #[test]
    fn structs_are_read_from_objects_only() {
        let text = r#"["a",1,2.5,[],{},null,null]"#;
        assert!(serde_json::from_str::<Typed>(text).is_ok());
        let err = from_str::<Typed>(text).unwrap_err();
        assert_eq!(
            err.message(),
            "invalid type: sequence, expected struct Typed"
        );
        // Placed as serde_json places a map read from an array: at the bracket, unread.
        let map = serde_json::from_str::<BTreeMap<String, u8>>(text).unwrap_err();
        assert_eq!(err.offset(), map.column());
        let err = from_str::<Typed>(r#"{"name":"a","op":{"named":["x"]}}"#).unwrap_err();
        assert_eq!(
            err.message(),
            "invalid type: sequence, expected struct variant Op::Named"
        );
        // Tuples and sequences still are arrays.
        assert_eq!(from_str::<(u8, bool)>("[1,true]").unwrap(), (1, true));
    }

    #[test]
    fn unexpected_values_are_shown_in_serdes_words() {
        for u in [
            Unexpected::Bool(true),
            Unexpected::Unsigned(7),
            Unexpected::Signed(-7),
            Unexpected::Char('x'),
            Unexpected::Str("a\"b\n"),
            Unexpected::Bytes(b"x"),
            Unexpected::Option,
            Unexpected::NewtypeStruct,
            Unexpected::Seq,
            Unexpected::Map,
            Unexpected::Enum,
            Unexpected::UnitVariant,
            Unexpected::NewtypeVariant,
            Unexpected::TupleVariant,
            Unexpected::StructVariant,
            Unexpected::Other("other"),
        ] {
            assert_eq!(Shown(u).to_string(), u.to_string());
        }
        assert_eq!(Shown(Unexpected::Unit).to_string(), "null");
        // Floats as serde_json's errors write them.
        for (n, shown) in [
            (1.5, "1.5"),
            (3.0, "3.0"),
            (1e300, "1e+300"),
            (-0.25, "-0.25"),
        ] {
            assert_eq!(
                Shown(Unexpected::Float(n)).to_string(),
                format!("floating point `{shown}`")
            );
            let err = serde_json::from_str::<u8>(shown).unwrap_err();
            assert!(err.to_string().contains(&format!("`{shown}`")), "{err}");
        }
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let t: Typed = from_str(r#"{"name":"plain"}"#).unwrap();
        assert!(matches!(t.name, Cow::Borrowed("plain")));
        let t: Typed = from_str(r#"{"name":"a\u0041"}"#).unwrap();
        assert!(matches!(t.name, Cow::Owned(ref s) if s == "aA"));
    }

    #[test]
    fn raw_values_are_the_text_of_the_value() {
        #[derive(Deserialize)]
        struct Holder<'a> {
            #[serde(borrow)]
            raw: &'a RawValue,
            boxed: Box<RawValue>,
            missing: Option<&'a RawValue>,
        }
        let h: Holder =
            from_str(r#"{"raw": [1, {"a":"\""}] ,"boxed":"x","missing":null}"#).unwrap();
        assert_eq!(h.raw.get(), r#"[1, {"a":"\""}]"#);
        assert_eq!(h.boxed.get(), r#""x""#);
        assert!(h.missing.is_none());
        assert!(from_str::<Holder>(r#"{"raw":[1,}"#).is_err());
    }

    #[test]
    fn errors_are_placed_after_what_was_read() {
        let err = from_str::<Typed>(r#"{"name":"a","count":-1}"#).unwrap_err();
        assert_eq!(err.offset(), 22);
        let err = from_str::<Value>("[1,]").unwrap_err();
        assert_eq!((err.message(), err.offset()), ("trailing comma", 4));
        // A reader that refuses a list once it has read it: placed where the container the
        // error reaches first ends, as serde_json places it.
        #[derive(Debug)]
        struct Refused;
        impl<'de> Deserialize<'de> for Refused {
            fn deserialize<D: de::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                Vec::<u8>::deserialize(de)?;
                Err(de::Error::custom("no"))
            }
        }
        let err = from_str::<Vec<Refused>>("[[1, 2] ]").unwrap_err();
        let theirs = serde_json::from_str::<Vec<Refused>>("[[1, 2] ]").unwrap_err();
        assert_eq!((err.message(), err.offset()), ("no", theirs.column()));
        assert_eq!(err.offset(), 9);
    }
}
