//! A parser for literals in quoted form (`Values` rows and container text):
//! `'str\'ing'`, numbers, `NULL`, `[…]`, `(…)`, `{k: v, …}`.

use sluice_common::{ChType, Error, ErrorCode, Result};

use super::text::parse_text;
use super::value::Value;
use crate::settings::FormatSettings;

/// Cursor over quoted-form text.
pub struct QuotedParser<'a> {
    s: &'a [u8],
    /// Current byte offset.
    pub pos: usize,
    settings: &'a FormatSettings,
}

/// Unescapes a backslash escape sequence body (the byte after `\`).
pub(crate) fn unescape_byte(c: u8) -> u8 {
    match c {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'0' => 0,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'a' => 0x07,
        b'v' => 0x0b,
        b'e' => 0x1b,
        c => c,
    }
}

impl<'a> QuotedParser<'a> {
    /// A parser over `s`.
    pub fn new(s: &'a [u8], settings: &'a FormatSettings) -> Self {
        Self {
            s,
            pos: 0,
            settings,
        }
    }

    /// True when all input is consumed.
    pub fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// The next byte, if any.
    pub fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Skips whitespace.
    pub fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// An error naming what was expected and the text that follows.
    pub fn error(&self, expected: &str) -> Error {
        let end = (self.pos + 40).min(self.s.len());
        let rest = String::from_utf8_lossy(&self.s[self.pos.min(end)..end]);
        Error::new(
            ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
            format!("Cannot parse input: expected {expected} before: '{rest}'"),
        )
    }

    /// Consumes `c` after optional whitespace, or fails.
    pub fn expect(&mut self, c: u8) -> Result<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("'{}'", c as char)))
        }
    }

    /// Consumes `c` after optional whitespace when present.
    pub fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// A `'…'` string with backslash escapes (and `''` for a quote).
    pub fn quoted_string(&mut self) -> Result<Vec<u8>> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"' | b'`')) => q,
            _ => return Err(self.error("opening quote")),
        };
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Error::new(
                    ErrorCode::CANNOT_PARSE_QUOTED_STRING,
                    "Cannot parse quoted string: expected closing quote",
                ));
            };
            self.pos += 1;
            if c == b'\\' {
                let Some(e) = self.peek() else {
                    return Err(Error::new(
                        ErrorCode::CANNOT_PARSE_ESCAPE_SEQUENCE,
                        "Cannot parse escape sequence",
                    ));
                };
                self.pos += 1;
                if e == b'x' && self.pos + 2 <= self.s.len() {
                    let hex = std::str::from_utf8(&self.s[self.pos..self.pos + 2]).ok();
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        out.push(v);
                        self.pos += 2;
                        continue;
                    }
                }
                out.push(unescape_byte(e));
            } else if c == quote {
                if self.peek() == Some(quote) {
                    out.push(quote);
                    self.pos += 1;
                } else {
                    return Ok(out);
                }
            } else {
                out.push(c);
            }
        }
    }

    /// A bare token: everything up to a delimiter of the quoted syntax.
    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(
                c,
                b',' | b')' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r'
            ) {
                break;
            }
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// Parses one literal of type `t`.
    pub fn parse_value(&mut self, t: &ChType) -> Result<Value> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if rest.len() >= 4
            && rest[..4].eq_ignore_ascii_case(b"null")
            && !rest
                .get(4)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.pos += 4;
            return Ok(Value::Null);
        }
        let base = match t {
            ChType::Nullable(i) | ChType::LowCardinality(i) => return self.parse_value(i),
            t => t,
        };
        match base {
            ChType::Array(et) => {
                self.expect(b'[')?;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.parse_value(et)?);
                        if self.eat(b']') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                Ok(Value::Array(items))
            }
            ChType::Tuple(elems) => {
                self.expect(b'(')?;
                let mut items = Vec::new();
                for (i, (_, et)) in elems.iter().enumerate() {
                    if i > 0 {
                        self.expect(b',')?;
                    }
                    items.push(self.parse_value(et)?);
                }
                self.expect(b')')?;
                Ok(Value::Tuple(items))
            }
            ChType::Map(kt, vt) => {
                self.expect(b'{')?;
                let mut pairs = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        let k = self.parse_value(kt)?;
                        self.expect(b':')?;
                        let v = self.parse_value(vt)?;
                        pairs.push((k, v));
                        if self.eat(b'}') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                Ok(Value::Map(pairs))
            }
            t => {
                if matches!(self.peek(), Some(b'\'' | b'"')) {
                    let s = self.quoted_string()?;
                    parse_text(&s, t, self.settings)
                } else {
                    let tok = self.token();
                    if tok.is_empty() {
                        return Err(self.error("a value"));
                    }
                    parse_text(tok, t, self.settings)
                }
            }
        }
    }
}
