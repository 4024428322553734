//! `reinterpretAs<Type>`: reading a value's in-memory bytes (little-endian, as ClickHouse
//! lays them out) as another type. Supported: integers up to 64 bits, floats, `Date`,
//! `DateTime`, `String` and `FixedString` on both sides.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::value::{Sink, Src, Val, str_at};
use crate::ch_bail;
use crate::datetime::args::{any_signature, arrays, check_arity, field, output};
use crate::util::arg_type;

/// `reinterpretAs<T>`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Reinterpret {
    name: String,
    target: ChType,
    signature: Signature,
}

fn width(t: &ChType) -> Option<usize> {
    Some(match t {
        ChType::UInt8 | ChType::Int8 | ChType::Bool => 1,
        ChType::UInt16 | ChType::Int16 | ChType::Date => 2,
        ChType::UInt32
        | ChType::Int32
        | ChType::Float32
        | ChType::DateTime(_)
        | ChType::Date32
        | ChType::IPv4 => 4,
        ChType::UInt64 | ChType::Int64 | ChType::Float64 => 8,
        _ => return None,
    })
}

/// The little-endian bytes of a value of type `t`.
fn bytes_of(v: &Val, t: &ChType) -> Vec<u8> {
    if let Some(b) = v.bytes() {
        return b.to_vec();
    }
    match (v, t) {
        (Val::Float(f), ChType::Float32) => (*f as f32).to_le_bytes().to_vec(),
        (Val::Float(f), _) => f.to_le_bytes().to_vec(),
        (Val::Int(x), _) => x.as_i128().to_le_bytes()[..width(t).unwrap_or(8)].to_vec(),
        (Val::Date(d), _) => d.to_le_bytes()[..width(t).unwrap_or(4)].to_vec(),
        (Val::Time(x, _), _) => x.to_le_bytes()[..width(t).unwrap_or(8)].to_vec(),
        (Val::Bool(b), _) => vec![*b as u8],
        (Val::IPv4(x), _) => x.to_le_bytes().to_vec(),
        _ => Vec::new(),
    }
}

impl ScalarUDFImpl for Reinterpret {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{} uses return_field_from_args", self.name)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        check_arity(&self.name, args.arg_fields.len(), 1, 1)?;
        let t = arg_type(&args.arg_fields[0]);
        let ok = width(t.base()).is_some()
            || matches!(t.base(), ChType::String | ChType::FixedString(_));
        if !ok || t.is_nullable() {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Cannot reinterpret {t} as {} because only Numeric, String or FixedString can be reinterpreted",
                self.target
            );
        }
        Ok(field(&self.name, &self.target))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (cols, all_scalar) = arrays(&args)?;
        let from = arg_type(&args.arg_fields[0]);
        let from = from.base();
        let x = &cols[0];
        let src = Src::new(x.as_ref(), from)?;
        let out: ArrayRef = if matches!(self.target, ChType::String) {
            let mut b = StringBuilder::new();
            for i in 0..x.len() {
                let mut bytes = match str_at(x.as_ref(), i) {
                    Some(s) => s.to_vec(),
                    None => src.get(i).map(|v| bytes_of(&v, from)).unwrap_or_default(),
                };
                while bytes.last() == Some(&0) {
                    bytes.pop();
                }
                b.append_value(String::from_utf8_lossy(&bytes));
            }
            Arc::new(b.finish())
        } else {
            let w = width(&self.target).unwrap_or(8);
            let mut sink = Sink::new(&self.target, x.len());
            for i in 0..x.len() {
                let mut bytes = src.get(i).map(|v| bytes_of(&v, from)).unwrap_or_default();
                bytes.resize(w.max(8), 0);
                let mut b8 = [0u8; 8];
                b8.copy_from_slice(&bytes[..8]);
                let raw = u64::from_le_bytes(b8);
                let v = match &self.target {
                    ChType::Float32 => {
                        Val::Float(f32::from_le_bytes([b8[0], b8[1], b8[2], b8[3]]) as f64)
                    }
                    ChType::Float64 => Val::Float(f64::from_le_bytes(b8)),
                    ChType::Date => Val::Date((raw & 0xFFFF) as i64),
                    ChType::Date32 => Val::Date((raw as u32) as i32 as i64),
                    ChType::DateTime(_) => Val::Time((raw & 0xFFFF_FFFF) as i64, 0),
                    t => {
                        let (bits, signed) = super::scalar::int_spec(t).unwrap_or((64, false));
                        let v = datafusion::arrow::datatypes::i256::from_i128(raw as i128);
                        Val::Int(super::scalar::wrap(v, bits, signed))
                    }
                };
                sink.push(Some(v));
            }
            sink.finish()?
        };
        output(out, all_scalar)
    }
}

/// The `reinterpretAs*` functions.
pub fn functions() -> Vec<ScalarUDF> {
    [
        ("UInt8", ChType::UInt8),
        ("UInt16", ChType::UInt16),
        ("UInt32", ChType::UInt32),
        ("UInt64", ChType::UInt64),
        ("Int8", ChType::Int8),
        ("Int16", ChType::Int16),
        ("Int32", ChType::Int32),
        ("Int64", ChType::Int64),
        ("Float32", ChType::Float32),
        ("Float64", ChType::Float64),
        ("Date", ChType::Date),
        ("DateTime", ChType::DateTime(None)),
        ("String", ChType::String),
    ]
    .into_iter()
    .map(|(n, t)| {
        ScalarUDF::new_from_impl(Reinterpret {
            name: format!("reinterpretAs{n}"),
            target: t,
            signature: any_signature(Volatility::Immutable),
        })
    })
    .collect()
}
