//! ClickHouse data types: parsing type names, printing them exactly as ClickHouse does,
//! and mapping them to Arrow.
//!
//! Mapping (the Arrow type alone is enough wherever it is unambiguous; table columns and
//! UDF results also carry the full ClickHouse name in field metadata under
//! [`CH_TYPE_KEY`]):
//!
//! | ClickHouse | Arrow |
//! |---|---|
//! | `UInt8…UInt64`, `Int8…Int64`, `Float32/64` | same-width primitive |
//! | `Int128/UInt128/Int256/UInt256` | `Decimal256(76, 0)` + metadata |
//! | `Decimal(P, S)` | `Decimal128(P, S)` (P ≤ 38) or `Decimal256(P, S)` |
//! | `String` | `Utf8` (also accepted: `Utf8View`, `LargeUtf8`, `Binary*`) |
//! | `FixedString(N)` | `FixedSizeBinary(N)` |
//! | `Date` | `Date32` |
//! | `Date32` | `Date64` (milliseconds; chosen so the two stay distinct without metadata) |
//! | `DateTime[(tz)]` | `Timestamp(Second, tz)` |
//! | `DateTime64(p[, tz])` | `Timestamp(Millisecond/Microsecond/Nanosecond, tz)` (+ metadata when p ∉ {3,6,9}) |
//! | `Bool` | `Boolean` + metadata (a `Boolean` without metadata is `UInt8`, as comparisons are) |
//! | `UUID`, `IPv6` | `FixedSizeBinary(16)` + metadata |
//! | `IPv4` | `UInt32` + metadata |
//! | `Enum8/16(...)` | `Utf8` + metadata |
//! | `Nullable(T)` | T's Arrow type in a nullable field |
//! | `LowCardinality(T)` | `Dictionary(Int32, T)` |
//! | `Array(T)` | `List(T)` |
//! | `Tuple(T1, …)` | `Struct` with fields `1`, `2`, … (unnamed) or the element names |
//! | `Map(K, V)` | `Map(entries: Struct(key, value))` |
//! | `Nothing` | `Null` |
//! | `AggregateFunction(...)`, `SimpleAggregateFunction(f, T)` | `Binary` / T, + metadata |

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, TimeUnit};

use crate::error::{Error, Result};
use crate::error_code::ErrorCode;

/// Field-metadata key holding the full ClickHouse type name of a column.
pub const CH_TYPE_KEY: &str = "clickhouse.type";

/// A ClickHouse data type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChType {
    /// Unsigned 8-bit integer.
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    UInt128,
    UInt256,
    Int8,
    Int16,
    Int32,
    Int64,
    Int128,
    Int256,
    Float32,
    Float64,
    BFloat16,
    /// `Decimal(P, S)`.
    Decimal {
        precision: u8,
        scale: u8,
    },
    String,
    FixedString(usize),
    Date,
    Date32,
    /// `DateTime` or `DateTime('tz')`.
    DateTime(Option<String>),
    /// `DateTime64(precision[, 'tz'])`.
    DateTime64(u8, Option<String>),
    Uuid,
    Bool,
    IPv4,
    IPv6,
    /// `Enum8('a' = 1, …)`.
    Enum8(Vec<(String, i8)>),
    /// `Enum16('a' = 1, …)`.
    Enum16(Vec<(String, i16)>),
    Nullable(Box<ChType>),
    LowCardinality(Box<ChType>),
    Array(Box<ChType>),
    /// Elements with optional names.
    Tuple(Vec<(Option<String>, ChType)>),
    Map(Box<ChType>, Box<ChType>),
    Nothing,
    /// `AggregateFunction(name[(params)], T…)`; `func` keeps the function text exactly.
    AggregateFunction {
        func: String,
        args: Vec<ChType>,
    },
    /// `SimpleAggregateFunction(name, T)`.
    SimpleAggregateFunction {
        func: String,
        arg: Box<ChType>,
    },
    /// `IntervalSecond`, `IntervalDay`, … (the unit as ClickHouse names it).
    Interval(String),
}

impl ChType {
    /// Parses a ClickHouse type name (`Nullable(Decimal(10, 2))`, `DateTime('UTC')`,
    /// `Tuple(a UInt8, b String)`, SQL aliases like `INT`, `VARCHAR(10)`, `BIGINT UNSIGNED`).
    pub fn parse(text: &str) -> Result<ChType> {
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

    /// Strips `Nullable` and `LowCardinality` wrappers.
    pub fn base(&self) -> &ChType {
        match self {
            ChType::Nullable(t) | ChType::LowCardinality(t) => t.base(),
            t => t,
        }
    }

    /// True for `Nullable(...)` (also inside `LowCardinality(Nullable(...))`).
    pub fn is_nullable(&self) -> bool {
        match self {
            ChType::Nullable(_) => true,
            ChType::LowCardinality(t) => t.is_nullable(),
            _ => false,
        }
    }

    /// Wraps in `Nullable` unless already nullable or a type that cannot be.
    pub fn into_nullable(self) -> ChType {
        match self {
            t @ (ChType::Nullable(_)
            | ChType::Array(_)
            | ChType::Tuple(_)
            | ChType::Map(..)
            | ChType::AggregateFunction { .. }) => t,
            ChType::LowCardinality(t) => ChType::LowCardinality(Box::new(t.into_nullable())),
            t => ChType::Nullable(Box::new(t)),
        }
    }

    /// Removes `Nullable` (keeping `LowCardinality`).
    pub fn non_nullable(&self) -> ChType {
        match self {
            ChType::Nullable(t) => (**t).clone(),
            ChType::LowCardinality(t) => ChType::LowCardinality(Box::new(t.non_nullable())),
            t => t.clone(),
        }
    }

    /// The Arrow type this ClickHouse type is stored as (see the module table).
    pub fn to_arrow(&self) -> DataType {
        match self {
            ChType::UInt8 => DataType::UInt8,
            ChType::UInt16 => DataType::UInt16,
            ChType::UInt32 | ChType::IPv4 => DataType::UInt32,
            ChType::UInt64 => DataType::UInt64,
            ChType::Int8 => DataType::Int8,
            ChType::Int16 => DataType::Int16,
            ChType::Int32 => DataType::Int32,
            ChType::Int64 => DataType::Int64,
            ChType::UInt128 | ChType::UInt256 | ChType::Int128 | ChType::Int256 => {
                DataType::Decimal256(76, 0)
            }
            ChType::Float32 | ChType::BFloat16 => DataType::Float32,
            ChType::Float64 => DataType::Float64,
            ChType::Decimal { precision, scale } => {
                if *precision <= 38 {
                    DataType::Decimal128(*precision, *scale as i8)
                } else {
                    DataType::Decimal256(*precision, *scale as i8)
                }
            }
            ChType::String | ChType::Enum8(_) | ChType::Enum16(_) => DataType::Utf8,
            ChType::FixedString(n) => DataType::FixedSizeBinary(*n as i32),
            ChType::Uuid | ChType::IPv6 => DataType::FixedSizeBinary(16),
            ChType::Date => DataType::Date32,
            ChType::Date32 => DataType::Date64,
            ChType::DateTime(tz) => {
                DataType::Timestamp(TimeUnit::Second, tz.as_deref().map(Arc::from))
            }
            ChType::DateTime64(p, tz) => {
                let unit = match p {
                    0..=3 => TimeUnit::Millisecond,
                    4..=6 => TimeUnit::Microsecond,
                    _ => TimeUnit::Nanosecond,
                };
                DataType::Timestamp(unit, tz.as_deref().map(Arc::from))
            }
            ChType::Bool => DataType::Boolean,
            ChType::Nullable(t) => t.to_arrow(),
            ChType::LowCardinality(t) => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(t.to_arrow()))
            }
            ChType::Array(t) => DataType::List(Arc::new(t.to_field("item"))),
            ChType::Tuple(elems) => DataType::Struct(tuple_fields(elems)),
            ChType::Map(k, v) => {
                let entries = Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![k.to_field("key"), v.to_field("value")])),
                    false,
                );
                DataType::Map(Arc::new(entries), false)
            }
            ChType::Nothing => DataType::Null,
            ChType::AggregateFunction { .. } => DataType::Binary,
            ChType::SimpleAggregateFunction { arg, .. } => arg.to_arrow(),
            ChType::Interval(_) => DataType::Int64,
        }
    }

    /// True when [`ChType::to_arrow`] loses information that [`ChType::from_arrow`] cannot
    /// recover, so the field must carry [`CH_TYPE_KEY`] metadata.
    pub fn needs_metadata(&self) -> bool {
        let t = self.non_nullable();
        ChType::from_arrow(&t.to_arrow(), false) != t
    }

    /// An Arrow field for a column of this type, nullable iff the type is `Nullable`, with
    /// the ClickHouse name in metadata.
    pub fn to_field(&self, name: &str) -> Field {
        let nullable = self.is_nullable() || matches!(self, ChType::Nothing);
        let f = Field::new(name, self.to_arrow(), nullable);
        let mut md = HashMap::new();
        md.insert(CH_TYPE_KEY.to_string(), self.to_string());
        f.with_metadata(md)
    }

    /// The ClickHouse type of an Arrow field: its [`CH_TYPE_KEY`] metadata when present and
    /// consistent with the Arrow type, otherwise derived from the Arrow type and nullability.
    pub fn from_field(field: &Field) -> ChType {
        if let Some(name) = field.metadata().get(CH_TYPE_KEY)
            && let Ok(t) = ChType::parse(name)
            && t.to_arrow() == *field.data_type()
        {
            return t;
        }
        ChType::from_arrow(field.data_type(), field.is_nullable())
    }

    /// The ClickHouse type an Arrow type most naturally means (no metadata).
    pub fn from_arrow(dt: &DataType, nullable: bool) -> ChType {
        let base = match dt {
            DataType::Null => return ChType::Nullable(Box::new(ChType::Nothing)),
            // DataFusion comparison results are Boolean and ClickHouse prints them as UInt8;
            // `Bool` columns carry metadata.
            DataType::Boolean => ChType::UInt8,
            DataType::UInt8 => ChType::UInt8,
            DataType::UInt16 => ChType::UInt16,
            DataType::UInt32 => ChType::UInt32,
            DataType::UInt64 => ChType::UInt64,
            DataType::Int8 => ChType::Int8,
            DataType::Int16 => ChType::Int16,
            DataType::Int32 => ChType::Int32,
            DataType::Int64 => ChType::Int64,
            DataType::Float16 | DataType::Float32 => ChType::Float32,
            DataType::Float64 => ChType::Float64,
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => ChType::Decimal {
                precision: *p,
                scale: (*s).max(0) as u8,
            },
            DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView => ChType::String,
            DataType::FixedSizeBinary(n) => ChType::FixedString((*n).max(0) as usize),
            DataType::Date32 => ChType::Date,
            DataType::Date64 => ChType::Date32,
            DataType::Timestamp(unit, tz) => {
                let tz = tz.as_deref().map(str::to_string);
                match unit {
                    TimeUnit::Second => ChType::DateTime(tz),
                    TimeUnit::Millisecond => ChType::DateTime64(3, tz),
                    TimeUnit::Microsecond => ChType::DateTime64(6, tz),
                    TimeUnit::Nanosecond => ChType::DateTime64(9, tz),
                }
            }
            DataType::Dictionary(_, v) => {
                return ChType::LowCardinality(Box::new(ChType::from_arrow(v, nullable)));
            }
            DataType::List(f)
            | DataType::LargeList(f)
            | DataType::ListView(f)
            | DataType::FixedSizeList(f, _) => {
                return ChType::Array(Box::new(ChType::from_field(f)));
            }
            DataType::Struct(fields) => {
                let unnamed = fields
                    .iter()
                    .enumerate()
                    .all(|(i, f)| f.name() == &(i + 1).to_string());
                return ChType::Tuple(
                    fields
                        .iter()
                        .map(|f| {
                            let name = if unnamed {
                                None
                            } else {
                                Some(f.name().clone())
                            };
                            (name, ChType::from_field(f))
                        })
                        .collect(),
                );
            }
            DataType::Map(entries, _) => {
                if let DataType::Struct(kv) = entries.data_type()
                    && kv.len() == 2
                {
                    return ChType::Map(
                        Box::new(ChType::from_field(&kv[0])),
                        Box::new(ChType::from_field(&kv[1])),
                    );
                }
                ChType::String
            }
            DataType::Interval(_) | DataType::Duration(_) => ChType::Interval("Second".into()),
            _ => ChType::String,
        };
        if nullable { base.into_nullable() } else { base }
    }
}

fn tuple_fields(elems: &[(Option<String>, ChType)]) -> Fields {
    Fields::from(
        elems
            .iter()
            .enumerate()
            .map(|(i, (name, t))| match name {
                Some(n) => t.to_field(n),
                None => t.to_field(&(i + 1).to_string()),
            })
            .collect::<Vec<_>>(),
    )
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl fmt::Display for ChType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChType::UInt8 => f.write_str("UInt8"),
            ChType::UInt16 => f.write_str("UInt16"),
            ChType::UInt32 => f.write_str("UInt32"),
            ChType::UInt64 => f.write_str("UInt64"),
            ChType::UInt128 => f.write_str("UInt128"),
            ChType::UInt256 => f.write_str("UInt256"),
            ChType::Int8 => f.write_str("Int8"),
            ChType::Int16 => f.write_str("Int16"),
            ChType::Int32 => f.write_str("Int32"),
            ChType::Int64 => f.write_str("Int64"),
            ChType::Int128 => f.write_str("Int128"),
            ChType::Int256 => f.write_str("Int256"),
            ChType::Float32 => f.write_str("Float32"),
            ChType::Float64 => f.write_str("Float64"),
            ChType::BFloat16 => f.write_str("BFloat16"),
            ChType::Decimal { precision, scale } => write!(f, "Decimal({precision}, {scale})"),
            ChType::String => f.write_str("String"),
            ChType::FixedString(n) => write!(f, "FixedString({n})"),
            ChType::Date => f.write_str("Date"),
            ChType::Date32 => f.write_str("Date32"),
            ChType::DateTime(None) => f.write_str("DateTime"),
            ChType::DateTime(Some(tz)) => write!(f, "DateTime({})", quote(tz)),
            ChType::DateTime64(p, None) => write!(f, "DateTime64({p})"),
            ChType::DateTime64(p, Some(tz)) => write!(f, "DateTime64({p}, {})", quote(tz)),
            ChType::Uuid => f.write_str("UUID"),
            ChType::Bool => f.write_str("Bool"),
            ChType::IPv4 => f.write_str("IPv4"),
            ChType::IPv6 => f.write_str("IPv6"),
            ChType::Enum8(vals) => write_enum(f, "Enum8", vals.iter().map(|(n, v)| (n, *v as i64))),
            ChType::Enum16(vals) => {
                write_enum(f, "Enum16", vals.iter().map(|(n, v)| (n, *v as i64)))
            }
            ChType::Nullable(t) => write!(f, "Nullable({t})"),
            ChType::LowCardinality(t) => write!(f, "LowCardinality({t})"),
            ChType::Array(t) => write!(f, "Array({t})"),
            ChType::Tuple(elems) => {
                f.write_str("Tuple(")?;
                for (i, (name, t)) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let Some(n) = name {
                        write!(f, "{n} ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
            ChType::Map(k, v) => write!(f, "Map({k}, {v})"),
            ChType::Nothing => f.write_str("Nothing"),
            ChType::AggregateFunction { func, args } => {
                write!(f, "AggregateFunction({func}")?;
                for a in args {
                    write!(f, ", {a}")?;
                }
                f.write_str(")")
            }
            ChType::SimpleAggregateFunction { func, arg } => {
                write!(f, "SimpleAggregateFunction({func}, {arg})")
            }
            ChType::Interval(unit) => write!(f, "Interval{unit}"),
        }
    }
}

fn write_enum<'a>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    vals: impl Iterator<Item = (&'a String, i64)>,
) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, (n, v)) in vals.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{} = {v}", quote(n))?;
    }
    f.write_str(")")
}

struct TypeParser<'a> {
    s: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl TypeParser<'_> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names() {
        for name in [
            "UInt8",
            "Nullable(Decimal(10, 2))",
            "DateTime('UTC')",
            "DateTime64(3, 'Europe/Moscow')",
            "Array(Nullable(String))",
            "Tuple(UInt8, String)",
            "Tuple(a UInt8, b Array(String))",
            "Map(String, UInt64)",
            "LowCardinality(Nullable(String))",
            "Enum8('a' = 1, 'b' = 2)",
            "FixedString(16)",
            "AggregateFunction(uniq, UInt64)",
            "AggregateFunction(quantiles(0.5, 0.9), Float64)",
            "SimpleAggregateFunction(sum, UInt64)",
        ] {
            let t = ChType::parse(name).unwrap();
            assert_eq!(t.to_string(), name);
            let f = t.to_field("c");
            assert_eq!(ChType::from_field(&f), t, "{name}");
        }
        assert_eq!(ChType::parse("BIGINT UNSIGNED").unwrap(), ChType::UInt64);
        assert_eq!(ChType::parse("VARCHAR(255)").unwrap(), ChType::String);
        assert_eq!(
            ChType::parse("Decimal32(2)").unwrap().to_string(),
            "Decimal(9, 2)"
        );
        assert!(ChType::parse("Foo").is_err());
        assert!(ChType::parse("Array(").is_err());
    }

    #[test]
    fn distinct_without_metadata() {
        for t in [
            ChType::Date,
            ChType::Date32,
            ChType::DateTime(None),
            ChType::DateTime64(6, None),
        ] {
            assert!(!t.needs_metadata(), "{t}");
        }
        assert!(ChType::Uuid.needs_metadata());
        assert!(ChType::Bool.needs_metadata());
        assert_eq!(ChType::from_arrow(&DataType::Boolean, false), ChType::UInt8);
        assert_eq!(
            ChType::from_field(&ChType::Bool.to_field("b")),
            ChType::Bool
        );
    }
}
