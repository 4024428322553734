//! Reading numeric Arrow arrays as another native type with ClickHouse's (C++) conversion
//! semantics: integers wrap to the target width, floats truncate, big integers
//! (`Decimal256(76, 0)` storage) keep their two's-complement bits.

use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, PrimitiveArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    ArrowNativeTypeOp, DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type,
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type, i256,
};
use datafusion::common::Result;
use sluice_common::ChType;

use crate::ch_bail;

/// A native type values can be converted into, C++ style.
pub(crate) trait Native: ArrowNativeTypeOp + Copy + Default {
    /// From a signed integer (wrapping to the width).
    fn from_i64(v: i64) -> Self;
    /// From an unsigned integer (wrapping to the width).
    fn from_u64(v: u64) -> Self;
    /// From a float (truncating, saturating at the type bounds).
    fn from_f64(v: f64) -> Self;
    /// From a 256-bit integer (keeping the low bits).
    fn from_i256(v: i256) -> Self;
}

macro_rules! native_int {
    ($($t:ty),*) => {$(
        impl Native for $t {
            fn from_i64(v: i64) -> Self { v as $t }
            fn from_u64(v: u64) -> Self { v as $t }
            fn from_f64(v: f64) -> Self { v as $t }
            fn from_i256(v: i256) -> Self { v.as_i128() as $t }
        }
    )*};
}
native_int!(i8, i16, i32, i64, u8, u16, u32, u64, i128);

impl Native for f64 {
    fn from_i64(v: i64) -> Self {
        v as f64
    }
    fn from_u64(v: u64) -> Self {
        v as f64
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn from_i256(v: i256) -> Self {
        i256_to_f64(v)
    }
}

impl Native for f32 {
    fn from_i64(v: i64) -> Self {
        v as f32
    }
    fn from_u64(v: u64) -> Self {
        v as f32
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn from_i256(v: i256) -> Self {
        i256_to_f64(v) as f32
    }
}

impl Native for i256 {
    fn from_i64(v: i64) -> Self {
        i256::from_i128(i128::from(v))
    }
    fn from_u64(v: u64) -> Self {
        i256::from_i128(i128::from(v))
    }
    fn from_f64(v: f64) -> Self {
        i256::from_f64(v.trunc()).unwrap_or(i256::ZERO)
    }
    fn from_i256(v: i256) -> Self {
        v
    }
}

/// A signed 256-bit integer as f64.
pub(crate) fn i256_to_f64(v: i256) -> f64 {
    if v < i256::ZERO {
        let (low, high) = v.wrapping_neg().to_parts();
        if high < 0 {
            // i256::MIN
            return -(2f64.powi(255));
        }
        return -(high as f64 * 2f64.powi(128) + low as f64);
    }
    let (low, high) = v.to_parts();
    high as f64 * 2f64.powi(128) + low as f64
}

/// An unsigned 256-bit integer stored in `i256` bits, as f64.
pub(crate) fn u256_to_f64(v: i256) -> f64 {
    let f = i256_to_f64(v);
    if f < 0.0 { f + 2f64.powi(256) } else { f }
}

/// Wraps an `i256` result to the ClickHouse big-integer type `t` (Int128 sign-extends the
/// low 128 bits, UInt128 zero-extends them; 256-bit types keep all bits).
pub(crate) fn wrap_big(v: i256, t: &ChType) -> i256 {
    match t {
        ChType::Int128 => i256::from_i128(v.as_i128()),
        ChType::UInt128 => i256::from_parts(v.to_parts().0, 0),
        _ => v,
    }
}

/// Power of ten as i256 (`exp` ≤ 76).
pub(crate) fn pow10(exp: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(exp)
}

/// Reads `arr` (of ClickHouse type `t`) as `T`, C++ conversion style. Decimals convert by
/// value (scaled) into floats and by raw stored integer into integers.
pub(crate) fn convert<T>(arr: &dyn Array, t: &ChType) -> Result<PrimitiveArray<T>>
where
    T: ArrowPrimitiveType,
    T::Native: Native,
{
    let float_target = matches!(T::DATA_TYPE, DataType::Float32 | DataType::Float64);
    let scale = match t.base() {
        ChType::Decimal { scale, .. } if float_target => Some(*scale),
        _ => None,
    };
    let unsigned_big = matches!(t.base(), ChType::UInt256 | ChType::UInt128);
    macro_rules! prim {
        ($ty:ty, $f:expr) => {
            arr.as_primitive::<$ty>().unary::<_, T>($f)
        };
    }
    Ok(match arr.data_type() {
        DataType::Int8 => prim!(Int8Type, |v| T::Native::from_i64(v as i64)),
        DataType::Int16 => prim!(Int16Type, |v| T::Native::from_i64(v as i64)),
        DataType::Int32 => prim!(Int32Type, |v| T::Native::from_i64(v as i64)),
        DataType::Int64 => prim!(Int64Type, T::Native::from_i64),
        DataType::UInt8 => prim!(UInt8Type, |v| T::Native::from_u64(v as u64)),
        DataType::UInt16 => prim!(UInt16Type, |v| T::Native::from_u64(v as u64)),
        DataType::UInt32 => prim!(UInt32Type, |v| T::Native::from_u64(v as u64)),
        DataType::UInt64 => prim!(UInt64Type, T::Native::from_u64),
        DataType::Float32 => prim!(Float32Type, |v| T::Native::from_f64(v as f64)),
        DataType::Float64 => prim!(Float64Type, T::Native::from_f64),
        DataType::Date32 => prim!(Date32Type, |v| T::Native::from_i64(v as i64)),
        DataType::Date64 => prim!(Date64Type, |v| T::Native::from_i64(v / 86_400_000)),
        DataType::Timestamp(TimeUnit::Second, _) => {
            prim!(TimestampSecondType, T::Native::from_i64)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            prim!(TimestampMillisecondType, T::Native::from_i64)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            prim!(TimestampMicrosecondType, T::Native::from_i64)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            prim!(TimestampNanosecondType, T::Native::from_i64)
        }
        DataType::Decimal128(..) => match scale {
            Some(s) => {
                let div = 10f64.powi(i32::from(s));
                prim!(Decimal128Type, |v| T::Native::from_f64(v as f64 / div))
            }
            None => prim!(Decimal128Type, |v| T::Native::from_i256(i256::from_i128(v))),
        },
        DataType::Decimal256(..) => match scale {
            Some(s) => {
                let div = 10f64.powi(i32::from(s));
                prim!(Decimal256Type, |v| T::Native::from_f64(
                    i256_to_f64(v) / div
                ))
            }
            None if float_target && unsigned_big => {
                prim!(Decimal256Type, |v| T::Native::from_f64(u256_to_f64(v)))
            }
            None => prim!(Decimal256Type, T::Native::from_i256),
        },
        DataType::Boolean => {
            let b: &BooleanArray = arr.as_boolean();
            let values: Vec<T::Native> = b
                .values()
                .iter()
                .map(|v| T::Native::from_u64(u64::from(v)))
                .collect();
            PrimitiveArray::<T>::new(values.into(), b.nulls().cloned())
        }
        DataType::Null => PrimitiveArray::<T>::new_null(arr.len()),
        DataType::Dictionary(_, value) => {
            let unpacked: ArrayRef = cast(arr, value)?;
            return convert::<T>(unpacked.as_ref(), t);
        }
        other => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} ({other}) of argument of a numeric function"
        ),
    })
}

/// True for ClickHouse types stored as Arrow integers or floats that arithmetic accepts
/// (Bool counts as UInt8).
pub(crate) fn is_number(t: &ChType) -> bool {
    is_int(t) || is_float(t)
}

/// Integer types including Bool and the big integers.
pub(crate) fn is_int(t: &ChType) -> bool {
    matches!(
        t,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::UInt128
            | ChType::UInt256
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Int128
            | ChType::Int256
            | ChType::Bool
    )
}

/// Float32/Float64/BFloat16.
pub(crate) fn is_float(t: &ChType) -> bool {
    matches!(t, ChType::Float32 | ChType::Float64 | ChType::BFloat16)
}

/// Bits and signedness of an integer type (Bool as UInt8).
pub(crate) fn int_info(t: &ChType) -> Option<(u16, bool)> {
    if is_int(t) {
        crate::conditional::supertype::int_bits(t)
    } else {
        None
    }
}

/// The integer type of the given width/sign.
pub(crate) fn int_of(bits: u16, signed: bool) -> ChType {
    crate::conditional::supertype::int_type(bits, signed)
}

/// Converts `arr` of ClickHouse type `from` to the numeric type `to` (integers wrap, floats
/// truncate), producing `to`'s Arrow representation.
pub(crate) fn cast_to(arr: &dyn Array, from: &ChType, to: &ChType) -> Result<ArrayRef> {
    use std::sync::Arc;
    Ok(match to {
        ChType::UInt8 => Arc::new(convert::<UInt8Type>(arr, from)?),
        ChType::UInt16 => Arc::new(convert::<UInt16Type>(arr, from)?),
        ChType::UInt32 => Arc::new(convert::<UInt32Type>(arr, from)?),
        ChType::UInt64 => Arc::new(convert::<UInt64Type>(arr, from)?),
        ChType::Int8 => Arc::new(convert::<Int8Type>(arr, from)?),
        ChType::Int16 => Arc::new(convert::<Int16Type>(arr, from)?),
        ChType::Int32 => Arc::new(convert::<Int32Type>(arr, from)?),
        ChType::Int64 => Arc::new(convert::<Int64Type>(arr, from)?),
        ChType::Float32 => Arc::new(convert::<Float32Type>(arr, from)?),
        ChType::Float64 => Arc::new(convert::<Float64Type>(arr, from)?),
        ChType::Int128 | ChType::UInt128 | ChType::Int256 | ChType::UInt256 => {
            let r = convert::<Decimal256Type>(arr, from)?;
            let r: PrimitiveArray<Decimal256Type> = r.unary(|v| wrap_big(v, to));
            Arc::new(r.with_data_type(DataType::Decimal256(76, 0)))
        }
        other => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Cannot convert {from} to {other} here"
        ),
    })
}

/// Builds an array of ClickHouse integer type `to` from i128 values (wrapping).
pub(crate) fn from_i128(
    values: Vec<i128>,
    nulls: Option<datafusion::arrow::buffer::NullBuffer>,
    to: &ChType,
) -> Result<ArrayRef> {
    let carrier = PrimitiveArray::<Decimal128Type>::new(values.into(), nulls);
    cast_to(&carrier, &ChType::Int128, to)
}

/// Builds an array of ClickHouse integer type `to` from i256 values (wrapping).
pub(crate) fn from_i256(
    values: Vec<i256>,
    nulls: Option<datafusion::arrow::buffer::NullBuffer>,
    to: &ChType,
) -> Result<ArrayRef> {
    let carrier = PrimitiveArray::<Decimal256Type>::new(values.into(), nulls);
    cast_to(&carrier, &ChType::Int256, to)
}
