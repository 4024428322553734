//! Parsing ClickHouse type names (`Nullable(Decimal(10, 2))`, `Map(String, Array(UInt8))`,
//! `Enum8('a' = 1)`, `DateTime64(3, 'UTC')`, named tuples) into [`ChType`].

use super::{ChType, Error, ErrorCode, Result};

pub(super) struct TypeParser<'a> {
    s: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl<'a> TypeParser<'a> {
    /// Parses the whole of `text` as one type.
    pub(super) fn parse_all(text: &'a str) -> Result<ChType> {
        let mut p = TypeParser {
            s: text.as_bytes(),
            pos: 0,
            text,
        };
        let t = p.parse_type()?;
        p.skip_ws();
        if p.pos != p.s.len() {
            return Err(p.error());
        }
        Ok(t)
    }

    fn error(&self) -> Error {
        Error::new(
            ErrorCode::UNKNOWN_TYPE,
            format!("Unknown data type family: {}", self.text.trim()),
        )
    }

    fn syntax(&self) -> Error {
        Error::new(
            ErrorCode::SYNTAX_ERROR,
            format!("Syntax error in data type: {}", self.text.trim()),
        )
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.pos;
        if self.pos < self.s.len() && self.s[self.pos] == b'`' {
            self.pos += 1;
            let st = self.pos;
            while self.pos < self.s.len() && self.s[self.pos] != b'`' {
                self.pos += 1;
            }
            let id = String::from_utf8_lossy(&self.s[st..self.pos]).into_owned();
            self.pos = (self.pos + 1).min(self.s.len());
            return Some(id);
        }
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn number(&mut self) -> Result<i64> {
        self.skip_ws();
        let start = self.pos;
        if self.pos < self.s.len() && (self.s[self.pos] == b'-' || self.s[self.pos] == b'+') {
            self.pos += 1;
        }
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| self.syntax())
    }

    fn string(&mut self) -> Result<String> {
        self.skip_ws();
        if self.s.get(self.pos) != Some(&b'\'') {
            return Err(self.syntax());
        }
        self.pos += 1;
        let mut out = Vec::new();
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            self.pos += 1;
            match c {
                b'\\' if self.pos < self.s.len() => {
                    out.push(self.s[self.pos]);
                    self.pos += 1;
                }
                b'\'' if self.s.get(self.pos) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.pos += 1;
                }
                b'\'' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                c => out.push(c),
            }
        }
        Err(self.syntax())
    }

    /// Raw text of one balanced argument (for AggregateFunction's function part).
    fn raw_arg(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        let mut depth = 0i32;
        while self.pos < self.s.len() {
            match self.s[self.pos] {
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                b',' if depth == 0 => break,
                b'\'' => {
                    self.pos += 1;
                    while self.pos < self.s.len() && self.s[self.pos] != b'\'' {
                        if self.s[self.pos] == b'\\' {
                            self.pos += 1;
                        }
                        self.pos += 1;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos.min(self.s.len())])
            .trim()
            .to_string()
    }

    fn parse_type(&mut self) -> Result<ChType> {
        let name = self.ident().ok_or_else(|| self.syntax())?;
        let lname = name.to_ascii_lowercase();
        // Multi-word SQL aliases.
        let lname = match lname.as_str() {
            "double" => {
                let save = self.pos;
                match self.ident() {
                    Some(w) if w.eq_ignore_ascii_case("precision") => "double".to_string(),
                    _ => {
                        self.pos = save;
                        "double".to_string()
                    }
                }
            }
            "character" | "char" | "national" => {
                let save = self.pos;
                match self.ident() {
                    Some(w) if w.eq_ignore_ascii_case("varying") => "varchar".to_string(),
                    _ => {
                        self.pos = save;
                        "char".to_string()
                    }
                }
            }
            _ => lname,
        };
        let simple = |t: ChType| Ok(t);
        let t = match lname.as_str() {
            "uint8" => simple(ChType::UInt8),
            "uint16" => simple(ChType::UInt16),
            "uint32" => simple(ChType::UInt32),
            "uint64" => simple(ChType::UInt64),
            "uint128" => simple(ChType::UInt128),
            "uint256" => simple(ChType::UInt256),
            "int8" | "tinyint" | "int1" | "byte" => self.sql_int(ChType::Int8, ChType::UInt8),
            "int16" | "smallint" => self.sql_int(ChType::Int16, ChType::UInt16),
            "int32" | "int" | "integer" | "mediumint" => {
                self.sql_int(ChType::Int32, ChType::UInt32)
            }
            "int64" | "bigint" => self.sql_int(ChType::Int64, ChType::UInt64),
            "int128" => simple(ChType::Int128),
            "int256" => simple(ChType::Int256),
            "float32" | "float" | "real" | "single" => {
                self.skip_args()?;
                simple(ChType::Float32)
            }
            "float64" | "double" => {
                self.skip_args()?;
                simple(ChType::Float64)
            }
            "bfloat16" => simple(ChType::BFloat16),
            "bool" | "boolean" => simple(ChType::Bool),
            "string" | "text" | "varchar" | "char" | "blob" | "clob" | "longtext"
            | "mediumtext" | "tinytext" | "longblob" | "mediumblob" | "tinyblob" | "bytea"
            | "binary" | "varbinary" | "nvarchar" | "nchar" => {
                self.skip_args()?;
                simple(ChType::String)
            }
            "fixedstring" => {
                self.expect(b'(')?;
                let n = self.number()?;
                self.expect(b')')?;
                if n <= 0 {
                    return Err(Error::new(
                        ErrorCode::ARGUMENT_OUT_OF_BOUND,
                        "FixedString size must be positive",
                    ));
                }
                Ok(ChType::FixedString(n as usize))
            }
            "date" => simple(ChType::Date),
            "date32" => simple(ChType::Date32),
            "datetime" | "timestamp" => {
                if self.eat(b'(') {
                    let tz = self.string()?;
                    self.expect(b')')?;
                    Ok(ChType::DateTime(Some(tz)))
                } else {
                    Ok(ChType::DateTime(None))
                }
            }
            "datetime64" => {
                self.expect(b'(')?;
                let p = self.number()?;
                if !(0..=9).contains(&p) {
                    return Err(Error::new(
                        ErrorCode::ARGUMENT_OUT_OF_BOUND,
                        format!("Precision {p} is out of bounds (precision range: [0, 9])"),
                    ));
                }
                let tz = if self.eat(b',') {
                    Some(self.string()?)
                } else {
                    None
                };
                self.expect(b')')?;
                Ok(ChType::DateTime64(p as u8, tz))
            }
            "decimal" | "numeric" | "dec" => {
                let (mut p, mut s) = (10, 0);
                if self.eat(b'(') {
                    p = self.number()?;
                    if self.eat(b',') {
                        s = self.number()?;
                    }
                    self.expect(b')')?;
                }
                decimal(p, s)
            }
            "decimal32" | "decimal64" | "decimal128" | "decimal256" => {
                self.expect(b'(')?;
                let s = self.number()?;
                self.expect(b')')?;
                let p = match lname.as_str() {
                    "decimal32" => 9,
                    "decimal64" => 18,
                    "decimal128" => 38,
                    _ => 76,
                };
                decimal(p, s)
            }
            "uuid" => simple(ChType::Uuid),
            "ipv4" => simple(ChType::IPv4),
            "ipv6" => simple(ChType::IPv6),
            "enum8" | "enum16" | "enum" => self.parse_enum(&lname),
            "nullable" => {
                self.expect(b'(')?;
                let t = self.parse_type()?;
                self.expect(b')')?;
                Ok(ChType::Nullable(Box::new(t)))
            }
            "lowcardinality" => {
                self.expect(b'(')?;
                let t = self.parse_type()?;
                self.expect(b')')?;
                Ok(ChType::LowCardinality(Box::new(t)))
            }
            "array" => {
                self.expect(b'(')?;
                let t = self.parse_type()?;
                self.expect(b')')?;
                Ok(ChType::Array(Box::new(t)))
            }
            "tuple" => {
                self.expect(b'(')?;
                let mut elems = Vec::new();
                if !self.eat(b')') {
                    loop {
                        // `name Type` or `Type`.
                        let save = self.pos;
                        let first = self.ident();
                        let named = first.is_some() && {
                            let after = self.pos;
                            let next = self.peek();
                            let is_named =
                                matches!(next, Some(c) if c.is_ascii_alphabetic() || c == b'`');
                            self.pos = after;
                            is_named
                        };
                        if named {
                            let t = self.parse_type()?;
                            elems.push((first, t));
                        } else {
                            self.pos = save;
                            elems.push((None, self.parse_type()?));
                        }
                        if self.eat(b')') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                Ok(ChType::Tuple(elems))
            }
            "map" => {
                self.expect(b'(')?;
                let k = self.parse_type()?;
                self.expect(b',')?;
                let v = self.parse_type()?;
                self.expect(b')')?;
                Ok(ChType::Map(Box::new(k), Box::new(v)))
            }
            "nothing" => simple(ChType::Nothing),
            "aggregatefunction" => {
                self.expect(b'(')?;
                let func = self.raw_arg();
                let mut args = Vec::new();
                while self.eat(b',') {
                    args.push(self.parse_type()?);
                }
                self.expect(b')')?;
                Ok(ChType::AggregateFunction { func, args })
            }
            "simpleaggregatefunction" => {
                self.expect(b'(')?;
                let func = self.raw_arg();
                self.expect(b',')?;
                let arg = self.parse_type()?;
                self.expect(b')')?;
                Ok(ChType::SimpleAggregateFunction {
                    func,
                    arg: Box::new(arg),
                })
            }
            l if l.starts_with("interval") && l.len() > 8 => {
                Ok(ChType::Interval(name[8..].to_string()))
            }
            _ => Err(self.error()),
        }?;
        Ok(t)
    }

    fn skip_args(&mut self) -> Result<()> {
        if self.eat(b'(') {
            let _ = self.raw_arg();
            while self.eat(b',') {
                let _ = self.raw_arg();
            }
            self.expect(b')')?;
        }
        Ok(())
    }

    fn sql_int(&mut self, signed: ChType, unsigned: ChType) -> Result<ChType> {
        self.skip_args()?;
        let save = self.pos;
        match self.ident() {
            Some(w) if w.eq_ignore_ascii_case("unsigned") => Ok(unsigned),
            Some(w) if w.eq_ignore_ascii_case("signed") => Ok(signed),
            _ => {
                self.pos = save;
                Ok(signed)
            }
        }
    }

    fn parse_enum(&mut self, lname: &str) -> Result<ChType> {
        self.expect(b'(')?;
        let mut vals: Vec<(String, i64)> = Vec::new();
        loop {
            let name = self.string()?;
            let v = if self.eat(b'=') {
                self.number()?
            } else {
                vals.last().map(|(_, v)| v + 1).unwrap_or(1)
            };
            vals.push((name, v));
            if self.eat(b')') {
                break;
            }
            self.expect(b',')?;
        }
        let fits8 = vals.iter().all(|(_, v)| i8::try_from(*v).is_ok());
        if lname == "enum8" || (lname == "enum" && fits8) {
            if !fits8 {
                return Err(Error::new(
                    ErrorCode::ARGUMENT_OUT_OF_BOUND,
                    "Value for Enum8 element is out of range",
                ));
            }
            Ok(ChType::Enum8(
                vals.into_iter().map(|(n, v)| (n, v as i8)).collect(),
            ))
        } else {
            let mut out = Vec::with_capacity(vals.len());
            for (n, v) in vals {
                let v = i16::try_from(v).map_err(|_| {
                    Error::new(
                        ErrorCode::ARGUMENT_OUT_OF_BOUND,
                        "Value for Enum16 element is out of range",
                    )
                })?;
                out.push((n, v));
            }
            Ok(ChType::Enum16(out))
        }
    }
}

fn decimal(p: i64, s: i64) -> Result<ChType> {
    if !(1..=76).contains(&p) {
        return Err(Error::new(
            ErrorCode::ARGUMENT_OUT_OF_BOUND,
            format!("Decimal precision {p} is out of bounds (precision range: [1, 76])"),
        ));
    }
    if s < 0 || s > p {
        return Err(Error::new(
            ErrorCode::ARGUMENT_OUT_OF_BOUND,
            format!("Decimal scale {s} is out of bounds (max scale: {p})"),
        ));
    }
    Ok(ChType::Decimal {
        precision: p as u8,
        scale: s as u8,
    })
}
