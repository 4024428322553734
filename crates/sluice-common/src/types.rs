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

mod parse;

use parse::TypeParser;

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
        TypeParser::parse_all(text)
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

impl ChType {
    /// The type name as ClickHouse prints it with `print_pretty_type_names = 1` (its
    /// default) in `toTypeName` and `DESCRIBE`: a named `Tuple` puts each element on its
    /// own line, indented four spaces per level below `indent`; `Array` and `Map` pass the
    /// layout on, `Nullable` and `LowCardinality` print their argument on one line.
    pub fn pretty_name(&self, indent: usize) -> String {
        let mut out = String::new();
        self.write_pretty(indent, false, &mut out);
        out
    }

    /// The type as `SHOW CREATE TABLE` prints a column's type (ClickHouse formats the
    /// type's syntax tree): a `Tuple` of two or more elements, named or not, puts them on
    /// their own lines; a one-element `Tuple` stays on one line; the other types pass the
    /// layout on.
    pub fn create_query_name(&self, indent: usize) -> String {
        let mut out = String::new();
        self.write_pretty(indent, true, &mut out);
        out
    }

    fn write_pretty(&self, indent: usize, create: bool, out: &mut String) {
        match self {
            ChType::Tuple(elems) => {
                let across = if create {
                    elems.len() >= 2
                } else {
                    elems.iter().any(|(n, _)| n.is_some())
                };
                out.push_str("Tuple(");
                if across {
                    out.push('\n');
                }
                for (i, (name, t)) in elems.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if across { ",\n" } else { ", " });
                    }
                    if across {
                        out.push_str(&"    ".repeat(indent + 1));
                    }
                    if let Some(n) = name {
                        out.push_str(n);
                        out.push(' ');
                    }
                    t.write_pretty(if across { indent + 1 } else { indent }, create, out);
                }
                out.push(')');
            }
            ChType::Array(t) => {
                out.push_str("Array(");
                t.write_pretty(indent, create, out);
                out.push(')');
            }
            ChType::Nullable(t) if create => {
                out.push_str("Nullable(");
                t.write_pretty(indent, create, out);
                out.push(')');
            }
            ChType::LowCardinality(t) if create => {
                out.push_str("LowCardinality(");
                t.write_pretty(indent, create, out);
                out.push(')');
            }
            ChType::Map(k, v) => {
                out.push_str("Map(");
                k.write_pretty(indent, create, out);
                out.push_str(", ");
                v.write_pretty(indent, create, out);
                out.push(')');
            }
            other => out.push_str(&other.to_string()),
        }
    }
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
