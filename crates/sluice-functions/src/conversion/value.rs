//! One value of a scalar (non-composite) ClickHouse type, read from and written to Arrow
//! arrays: the common currency of every conversion.
//!
//! [`Src`] reads row `i` of an array of a known ClickHouse type as a [`Val`]; [`Sink`]
//! collects `Val`s already converted to the target type and builds the target array.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Date64Array, Decimal128Array,
    Decimal256Array, FixedSizeBinaryArray, Float32Array, Float64Array, Int8Array, Int16Array,
    Int32Array, Int64Array, NullArray, StringArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
    UInt16Array, UInt32Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit, i256};
use datafusion::error::Result;
use sluice_common::ChType;

use crate::ch_bail;

/// A scalar value in a type-neutral form.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// Any integer (for `UInt256` above `i256::MAX` the two's-complement bits).
    Int(i256),
    /// `Float32`/`Float64`.
    Float(f64),
    /// A decimal: unscaled value and scale.
    Dec(i256, u8),
    /// String, FixedString or an Enum's name.
    Str(&'a [u8]),
    /// A string made during conversion.
    Owned(Vec<u8>),
    /// `Date`/`Date32`: days since 1970-01-01.
    Date(i64),
    /// `DateTime`/`DateTime64`: value × 10^-digits seconds since the epoch (UTC).
    Time(i64, u8),
    /// `Bool`.
    Bool(bool),
    /// `UUID` as the 128-bit number ClickHouse prints.
    Uuid(u128),
    /// `IPv4`.
    IPv4(u32),
    /// `IPv6` bytes in network order.
    IPv6([u8; 16]),
}

impl Val<'_> {
    /// The bytes of a string value.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Val::Str(s) => Some(s),
            Val::Owned(s) => Some(s),
            _ => None,
        }
    }
}

/// Digits of the Arrow time unit a `DateTime64(p)` is stored in (3, 6 or 9).
pub fn unit_digits(p: u8) -> u8 {
    match p {
        0..=3 => 3,
        4..=6 => 6,
        _ => 9,
    }
}

/// A typed view of a source array.
pub enum Src<'a> {
    Null,
    U8(&'a UInt8Array),
    U16(&'a UInt16Array),
    U32(&'a UInt32Array),
    U64(&'a UInt64Array),
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    Big(&'a Decimal256Array),
    F32(&'a Float32Array),
    F64(&'a Float64Array),
    D128(&'a Decimal128Array, u8),
    D256(&'a Decimal256Array, u8),
    Str(&'a dyn Array),
    Fixed(&'a FixedSizeBinaryArray),
    Uuid(&'a FixedSizeBinaryArray),
    IPv6(&'a FixedSizeBinaryArray),
    IPv4(&'a UInt32Array),
    Date(&'a Date32Array),
    Date32(&'a Date64Array),
    Sec(&'a TimestampSecondArray),
    Ms(&'a TimestampMillisecondArray),
    Us(&'a TimestampMicrosecondArray),
    Ns(&'a TimestampNanosecondArray),
    Bool(&'a BooleanArray),
}

impl<'a> Src<'a> {
    /// Views `arr` (already unpacked from any dictionary) as ClickHouse type `t` (its base,
    /// without `Nullable`/`LowCardinality`).
    pub fn new(arr: &'a dyn Array, t: &ChType) -> Result<Src<'a>> {
        let dt = arr.data_type();
        let s = match (t, dt) {
            (_, DataType::Null) => Src::Null,
            (ChType::IPv4, DataType::UInt32) => Src::IPv4(arr.as_primitive()),
            (ChType::Uuid, DataType::FixedSizeBinary(16)) => Src::Uuid(arr.as_fixed_size_binary()),
            (ChType::IPv6, DataType::FixedSizeBinary(16)) => Src::IPv6(arr.as_fixed_size_binary()),
            (_, DataType::UInt8) => Src::U8(arr.as_primitive()),
            (_, DataType::UInt16) => Src::U16(arr.as_primitive()),
            (_, DataType::UInt32) => Src::U32(arr.as_primitive()),
            (_, DataType::UInt64) => Src::U64(arr.as_primitive()),
            (_, DataType::Int8) => Src::I8(arr.as_primitive()),
            (_, DataType::Int16) => Src::I16(arr.as_primitive()),
            (_, DataType::Int32) => Src::I32(arr.as_primitive()),
            (_, DataType::Int64) => Src::I64(arr.as_primitive()),
            (
                ChType::Int128 | ChType::Int256 | ChType::UInt128 | ChType::UInt256,
                DataType::Decimal256(..),
            ) => Src::Big(arr.as_primitive()),
            (_, DataType::Float32) => Src::F32(arr.as_primitive()),
            (_, DataType::Float64) => Src::F64(arr.as_primitive()),
            (_, DataType::Decimal128(_, s)) => Src::D128(arr.as_primitive(), (*s).max(0) as u8),
            (_, DataType::Decimal256(_, s)) => Src::D256(arr.as_primitive(), (*s).max(0) as u8),
            (
                _,
                DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView,
            ) => Src::Str(arr),
            (_, DataType::FixedSizeBinary(_)) => Src::Fixed(arr.as_fixed_size_binary()),
            (_, DataType::Date32) => Src::Date(arr.as_primitive()),
            (_, DataType::Date64) => Src::Date32(arr.as_primitive()),
            (_, DataType::Timestamp(TimeUnit::Second, _)) => Src::Sec(arr.as_primitive()),
            (_, DataType::Timestamp(TimeUnit::Millisecond, _)) => Src::Ms(arr.as_primitive()),
            (_, DataType::Timestamp(TimeUnit::Microsecond, _)) => Src::Us(arr.as_primitive()),
            (_, DataType::Timestamp(TimeUnit::Nanosecond, _)) => Src::Ns(arr.as_primitive()),
            (_, DataType::Boolean) => Src::Bool(arr.as_boolean()),
            (t, dt) => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Conversion from {t} (stored as {dt}) is not supported"
            ),
        };
        Ok(s)
    }

    /// Row `i`, or `None` when it is NULL.
    pub fn get(&self, i: usize) -> Option<Val<'a>> {
        macro_rules! int {
            ($a:expr) => {
                if $a.is_null(i) {
                    None
                } else {
                    Some(Val::Int(i256::from_i128($a.value(i) as i128)))
                }
            };
        }
        match self {
            Src::Null => None,
            Src::U8(a) => int!(a),
            Src::U16(a) => int!(a),
            Src::U32(a) => int!(a),
            Src::U64(a) => int!(a),
            Src::I8(a) => int!(a),
            Src::I16(a) => int!(a),
            Src::I32(a) => int!(a),
            Src::I64(a) => int!(a),
            Src::Big(a) => (!a.is_null(i)).then(|| Val::Int(a.value(i))),
            Src::F32(a) => (!a.is_null(i)).then(|| Val::Float(a.value(i) as f64)),
            Src::F64(a) => (!a.is_null(i)).then(|| Val::Float(a.value(i))),
            Src::D128(a, s) => (!a.is_null(i)).then(|| Val::Dec(i256::from_i128(a.value(i)), *s)),
            Src::D256(a, s) => (!a.is_null(i)).then(|| Val::Dec(a.value(i), *s)),
            Src::Str(a) => str_at(*a, i).map(Val::Str),
            Src::Fixed(a) => (!a.is_null(i)).then(|| Val::Str(a.value(i))),
            Src::Uuid(a) => (!a.is_null(i)).then(|| {
                let mut b = [0u8; 16];
                b.copy_from_slice(a.value(i));
                Val::Uuid(u128::from_be_bytes(b))
            }),
            Src::IPv6(a) => (!a.is_null(i)).then(|| {
                let mut b = [0u8; 16];
                b.copy_from_slice(a.value(i));
                Val::IPv6(b)
            }),
            Src::IPv4(a) => (!a.is_null(i)).then(|| Val::IPv4(a.value(i))),
            Src::Date(a) => (!a.is_null(i)).then(|| Val::Date(a.value(i) as i64)),
            Src::Date32(a) => (!a.is_null(i)).then(|| Val::Date(a.value(i).div_euclid(86_400_000))),
            Src::Sec(a) => (!a.is_null(i)).then(|| Val::Time(a.value(i), 0)),
            Src::Ms(a) => (!a.is_null(i)).then(|| Val::Time(a.value(i), 3)),
            Src::Us(a) => (!a.is_null(i)).then(|| Val::Time(a.value(i), 6)),
            Src::Ns(a) => (!a.is_null(i)).then(|| Val::Time(a.value(i), 9)),
            Src::Bool(a) => (!a.is_null(i)).then(|| Val::Bool(a.value(i))),
        }
    }
}

/// The bytes of row `i` of any string/binary array, `None` when NULL.
pub fn str_at(a: &dyn Array, i: usize) -> Option<&[u8]> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).as_bytes(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).as_bytes(),
        DataType::Utf8View => a.as_string_view().value(i).as_bytes(),
        DataType::Binary => a.as_binary::<i32>().value(i),
        DataType::LargeBinary => a.as_binary::<i64>().value(i),
        DataType::BinaryView => a.as_binary_view().value(i),
        _ => return None,
    })
}

/// Collects converted values for one target type and builds its array.
pub struct Sink {
    target: ChType,
    vals: Vec<Option<Val<'static>>>,
}

impl Sink {
    /// A sink for target type `t` (base type, no wrappers).
    pub fn new(t: &ChType, capacity: usize) -> Sink {
        Sink {
            target: t.clone(),
            vals: Vec::with_capacity(capacity),
        }
    }

    /// Appends a value already converted to the target type, or NULL.
    pub fn push(&mut self, v: Option<Val<'_>>) {
        self.vals.push(v.map(into_owned));
    }

    /// Builds the array.
    pub fn finish(self) -> Result<ArrayRef> {
        build(&self.target, self.vals)
    }
}

fn into_owned(v: Val<'_>) -> Val<'static> {
    match v {
        Val::Str(s) => Val::Owned(s.to_vec()),
        Val::Owned(s) => Val::Owned(s),
        Val::Int(x) => Val::Int(x),
        Val::Float(x) => Val::Float(x),
        Val::Dec(x, s) => Val::Dec(x, s),
        Val::Date(x) => Val::Date(x),
        Val::Time(x, d) => Val::Time(x, d),
        Val::Bool(x) => Val::Bool(x),
        Val::Uuid(x) => Val::Uuid(x),
        Val::IPv4(x) => Val::IPv4(x),
        Val::IPv6(x) => Val::IPv6(x),
    }
}

fn int_of(v: &Val) -> i256 {
    match v {
        Val::Int(x) | Val::Dec(x, _) => *x,
        Val::Float(f) => i256::from_f64(*f).unwrap_or(i256::ZERO),
        Val::Date(d) => i256::from_i128(*d as i128),
        Val::Time(t, _) => i256::from_i128(*t as i128),
        Val::Bool(b) => i256::from_i128(*b as i128),
        Val::IPv4(x) => i256::from_i128(*x as i128),
        _ => i256::ZERO,
    }
}

fn i64_of(v: &Val) -> i64 {
    int_of(v).as_i128() as i64
}

/// Builds an array of ClickHouse type `t` from converted values.
pub fn build(t: &ChType, vals: Vec<Option<Val<'static>>>) -> Result<ArrayRef> {
    macro_rules! prim {
        ($arr:ty, $ty:ty) => {
            Arc::new(
                vals.iter()
                    .map(|v| v.as_ref().map(|v| i64_of(v) as $ty))
                    .collect::<$arr>(),
            ) as ArrayRef
        };
    }
    let arr: ArrayRef = match t {
        ChType::UInt8 => prim!(UInt8Array, u8),
        ChType::UInt16 => prim!(UInt16Array, u16),
        ChType::UInt32 | ChType::IPv4 => prim!(UInt32Array, u32),
        ChType::UInt64 => Arc::new(
            vals.iter()
                .map(|v| v.as_ref().map(|v| int_of(v).as_i128() as u64))
                .collect::<UInt64Array>(),
        ),
        ChType::Int8 => prim!(Int8Array, i8),
        ChType::Int16 => prim!(Int16Array, i16),
        ChType::Int32 => prim!(Int32Array, i32),
        ChType::Int64 => prim!(Int64Array, i64),
        ChType::Int128 | ChType::UInt128 | ChType::Int256 | ChType::UInt256 => Arc::new(
            vals.iter()
                .map(|v| v.as_ref().map(int_of))
                .collect::<Decimal256Array>()
                .with_precision_and_scale(76, 0)?,
        ),
        ChType::Float32 | ChType::BFloat16 => Arc::new(
            vals.iter()
                .map(|v| {
                    v.as_ref().map(|v| {
                        if let Val::Float(f) = v {
                            *f as f32
                        } else {
                            0.0
                        }
                    })
                })
                .collect::<Float32Array>(),
        ),
        ChType::Float64 => Arc::new(
            vals.iter()
                .map(|v| {
                    v.as_ref()
                        .map(|v| if let Val::Float(f) = v { *f } else { 0.0 })
                })
                .collect::<Float64Array>(),
        ),
        ChType::Decimal { precision, scale } => {
            if *precision <= 38 {
                Arc::new(
                    vals.iter()
                        .map(|v| v.as_ref().map(|v| int_of(v).as_i128()))
                        .collect::<Decimal128Array>()
                        .with_precision_and_scale(*precision, *scale as i8)?,
                )
            } else {
                Arc::new(
                    vals.iter()
                        .map(|v| v.as_ref().map(int_of))
                        .collect::<Decimal256Array>()
                        .with_precision_and_scale(*precision, *scale as i8)?,
                )
            }
        }
        ChType::String | ChType::Enum8(_) | ChType::Enum16(_) => Arc::new(
            vals.iter()
                .map(|v| {
                    v.as_ref()
                        .and_then(|v| v.bytes())
                        .map(|b| String::from_utf8_lossy(b))
                })
                .collect::<StringArray>(),
        ),
        ChType::FixedString(n) => {
            let n = *n;
            let mut b = datafusion::arrow::array::FixedSizeBinaryBuilder::with_capacity(
                vals.len(),
                n as i32,
            );
            let mut buf = vec![0u8; n];
            for v in &vals {
                match v.as_ref().and_then(|v| v.bytes()) {
                    Some(s) => {
                        buf.iter_mut().for_each(|x| *x = 0);
                        let k = s.len().min(n);
                        buf[..k].copy_from_slice(&s[..k]);
                        b.append_value(&buf)?;
                    }
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ChType::Uuid | ChType::IPv6 => {
            let mut b =
                datafusion::arrow::array::FixedSizeBinaryBuilder::with_capacity(vals.len(), 16);
            for v in &vals {
                match v {
                    Some(Val::Uuid(u)) => b.append_value(u.to_be_bytes())?,
                    Some(Val::IPv6(x)) => b.append_value(x)?,
                    Some(_) => b.append_value([0u8; 16])?,
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ChType::Date => Arc::new(
            vals.iter()
                .map(|v| v.as_ref().map(|v| i64_of(v) as i32))
                .collect::<Date32Array>(),
        ),
        ChType::Date32 => Arc::new(
            vals.iter()
                .map(|v| v.as_ref().map(|v| i64_of(v) * 86_400_000))
                .collect::<Date64Array>(),
        ),
        ChType::DateTime(tz) => Arc::new(
            vals.iter()
                .map(|v| v.as_ref().map(i64_of))
                .collect::<TimestampSecondArray>()
                .with_timezone_opt(tz.clone()),
        ),
        ChType::DateTime64(p, tz) => {
            let it = vals.iter().map(|v| v.as_ref().map(i64_of));
            match unit_digits(*p) {
                3 => Arc::new(
                    it.collect::<TimestampMillisecondArray>()
                        .with_timezone_opt(tz.clone()),
                ),
                6 => Arc::new(
                    it.collect::<TimestampMicrosecondArray>()
                        .with_timezone_opt(tz.clone()),
                ),
                _ => Arc::new(
                    it.collect::<TimestampNanosecondArray>()
                        .with_timezone_opt(tz.clone()),
                ),
            }
        }
        ChType::Bool => Arc::new(
            vals.iter()
                .map(|v| {
                    v.as_ref().map(|v| {
                        matches!(v, Val::Bool(true))
                            || (!matches!(v, Val::Bool(_)) && int_of(v) != i256::ZERO)
                    })
                })
                .collect::<BooleanArray>(),
        ),
        ChType::Nothing => Arc::new(NullArray::new(vals.len())),
        other => ch_bail!(
            CANNOT_CONVERT_TYPE,
            "Conversion to {other} is not supported"
        ),
    };
    Ok(arr)
}
