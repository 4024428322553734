//! Per-row result builders of the DOM JSON functions whose result is one scalar per row
//! (`JSONHas`, `isValidJSON`, `JSONLength`, `JSONArrayLength`, `JSONType`, `JSONKey`,
//! `JSONExtract{String,UInt,Int,Float,Bool,Raw}`): one [`RowSink`] turns the value each row
//! resolved to into ClickHouse's result. Used by the ordinary per-call driver and by the
//! fused evaluation of several calls in one pass (`fused.rs`), so both give the same values.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt8Type, UInt64Type};
use datafusion::error::Result;

use super::doc::{Doc, Kind};
use super::eval::Found;
use super::funcs::{Op, type_name};
use super::number::{float_to, str_to_f64, str_to_int};
use super::out::{NumOut, StrOut};
use super::serialize::write_value;

/// A result column under construction for one scalar-valued JSON function.
pub enum RowSink {
    /// `JSONHas`, `isValidJSON`, `JSONExtractBool`.
    U8(Op, NumOut<UInt8Type>),
    /// `JSONLength`, `JSONArrayLength`, `JSONExtractUInt`.
    U64(Op, NumOut<UInt64Type>),
    /// `JSONExtractInt`.
    I64(NumOut<Int64Type>),
    /// `JSONExtractFloat`.
    F64(NumOut<Float64Type>),
    /// `JSONType`, `JSONKey`, `JSONExtractString`, `JSONExtractRaw`.
    Str(Op, StrOut),
}

impl RowSink {
    /// A builder for `rows` rows of `op`; `None` for functions with array results.
    pub fn new(op: Op, rows: usize) -> Option<Self> {
        Some(match op {
            Op::Has | Op::IsValid | Op::ExtractBool => RowSink::U8(op, NumOut::new(rows)),
            Op::Length | Op::ArrayLength | Op::ExtractUInt => RowSink::U64(op, NumOut::new(rows)),
            Op::ExtractInt => RowSink::I64(NumOut::new(rows)),
            Op::ExtractFloat => RowSink::F64(NumOut::new(rows)),
            Op::Type | Op::Key | Op::ExtractString | Op::ExtractRaw => {
                RowSink::Str(op, StrOut::new(rows))
            }
            _ => return None,
        })
    }

    /// Appends the result for one row.
    #[inline]
    pub fn push(&mut self, f: Found<'_>) {
        match self {
            RowSink::U8(op, o) => match f {
                Found::Null => o.null(),
                Found::Missing => o.push(0),
                Found::Value(d, i) => o.push(if *op == Op::ExtractBool {
                    match d.kind(i) {
                        Kind::Bool(b) => u8::from(b),
                        Kind::Int(v) => u8::from(v != 0),
                        Kind::UInt(v) => u8::from(v != 0),
                        _ => 0,
                    }
                } else {
                    1
                }),
            },
            RowSink::U64(op, o) => {
                let arr_only = *op == Op::ArrayLength;
                match f {
                    Found::Null => o.null(),
                    Found::Missing if arr_only => o.null(),
                    Found::Missing => o.push(0),
                    Found::Value(d, i) if *op == Op::ExtractUInt => o.push(match d.kind(i) {
                        Kind::Int(v) => u64::try_from(v).unwrap_or(0),
                        Kind::UInt(v) => v,
                        Kind::Double(v) => float_to::<u64>(v).unwrap_or(0),
                        Kind::Str => str_to_int::<u64>(&d.str_content(i)).unwrap_or(0),
                        _ => 0,
                    }),
                    Found::Value(d, i) => {
                        if arr_only && !d.is_array(i) {
                            o.null()
                        } else {
                            o.push(d.len(i) as u64)
                        }
                    }
                }
            }
            RowSink::I64(o) => match f {
                Found::Null => o.null(),
                Found::Missing => o.push(0),
                Found::Value(d, i) => o.push(match d.kind(i) {
                    Kind::Int(v) => v,
                    Kind::UInt(v) => i64::try_from(v).unwrap_or(0),
                    Kind::Double(v) => float_to::<i64>(v).unwrap_or(0),
                    Kind::Str => str_to_int::<i64>(&d.str_content(i)).unwrap_or(0),
                    _ => 0,
                }),
            },
            RowSink::F64(o) => match f {
                Found::Null => o.null(),
                Found::Missing => o.push(0.0),
                Found::Value(d, i) => o.push(match d.kind(i) {
                    Kind::Int(v) => v as f64,
                    Kind::UInt(v) => v as f64,
                    Kind::Double(v) => v,
                    Kind::Str => str_to_f64(&d.str_content(i)).unwrap_or(0.0),
                    _ => 0.0,
                }),
            },
            RowSink::Str(op, o) => match f {
                Found::Null => o.null(),
                Found::Missing => o.push(if *op == Op::Type { b"Null" } else { b"" }),
                Found::Value(d, i) => {
                    match op {
                        Op::Type => o.values.extend_from_slice(type_name(d.kind(i))),
                        Op::Key => {
                            if d.node(i).key_start > 0 {
                                o.values.extend_from_slice(&d.key(i));
                            }
                        }
                        Op::ExtractString => match d.kind(i) {
                            Kind::Str => d.push_str_content(i, &mut o.values),
                            Kind::Null => {}
                            _ => write_value(&d, i, &mut o.values),
                        },
                        _ => write_value(&d, i, &mut o.values),
                    }
                    o.commit();
                }
            },
        }
    }

    /// Appends the result for a row whose value is `d`'s value `i` (what
    /// `push(Found::Value(d, i))` appends), with the common cases taken first: an integer
    /// of at most 18 digits for `JSONExtractUInt`, a string without escapes for
    /// `JSONExtractString` (its body copied as it is).
    #[inline]
    pub fn push_value(&mut self, d: Doc<'_>, i: usize) {
        let n = d.node(i);
        match self {
            RowSink::U64(Op::ExtractUInt, o) if !n.flag() => {
                if let Some(v) = small_uint(d.bytes.get(n.start()..n.end()).unwrap_or_default()) {
                    o.push(v);
                    return;
                }
            }
            RowSink::Str(Op::ExtractString, o)
                if !n.flag() && d.bytes.get(n.start()) == Some(&b'"') =>
            {
                o.push_span(d.bytes, n.start() + 1, n.end().saturating_sub(1));
                return;
            }
            _ => {}
        }
        self.push(Found::Value(d, i));
    }

    /// The column, typed as `out_type`.
    pub fn finish(self, out_type: &DataType) -> Result<ArrayRef> {
        match self {
            RowSink::U8(_, o) => o.finish_as(out_type),
            RowSink::U64(_, o) => o.finish_as(out_type),
            RowSink::I64(o) => o.finish_as(out_type),
            RowSink::F64(o) => o.finish_as(out_type),
            RowSink::Str(_, o) => Ok(Arc::new(o.finish()?)),
        }
    }
}

/// The value of a non-negative integer token of 1 to 18 digits (no sign, no overflow).
#[inline]
fn small_uint(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 18 {
        return None;
    }
    let mut v = 0u64;
    for &c in t {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}
