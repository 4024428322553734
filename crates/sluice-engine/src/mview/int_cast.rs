//! A view's rows cast to its target's columns without running a plan, when every cast is
//! between ClickHouse integer types (`UInt8`…`UInt64`, `Int8`…`Int64`, `Nullable` of
//! them) or no cast at all: the seed pipeline's view gives `UInt64` (`JSONExtractUInt`)
//! for `UInt32` columns. ClickHouse's `CAST` between integer types keeps the low bits
//! (`_CAST(toUInt64(4294967301), 'UInt32')` is 5, `_CAST(toInt64(-1), 'UInt32')` is
//! 4294967295), which is Rust's `as`; one pass over the values buffer, the null buffer
//! kept. Any other column makes the caller use the planned cast
//! ([`super::MaterializedView::fill`]).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ArrowPrimitiveType, AsArray, PrimitiveArray};
use datafusion::arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use sluice_common::ChType;

use crate::table::ColumnDesc;

/// The plain integer type under `Nullable`, and whether it was nullable.
fn integer(t: &ChType) -> Option<(&ChType, bool)> {
    let (inner, nullable) = match t {
        ChType::Nullable(inner) => (inner.as_ref(), true),
        other => (other, false),
    };
    matches!(
        inner,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
    )
    .then_some((inner, nullable))
}

/// The stored columns `stored` of `out` (whose columns are named after them), or `None`
/// when some column needs more than an integer cast: a column missing, another type, or
/// NULLs bound for a non-Nullable column (the planned path gives them the type default).
pub(super) fn cast_columns(stored: &[&ColumnDesc], out: &RecordBatch) -> Option<Vec<ArrayRef>> {
    let schema = out.schema();
    let mut cols = Vec::with_capacity(stored.len());
    for c in stored {
        let (i, field) = schema.column_with_name(&c.name)?;
        let a = out.column(i);
        let to = c.ty.to_arrow();
        if a.data_type() == &to && (c.ty.is_nullable() || a.null_count() == 0) {
            cols.push(Arc::clone(a));
            continue;
        }
        let from = ChType::from_field(field);
        let (_, to_nullable) = integer(&c.ty)?;
        integer(&from)?;
        if !to_nullable && a.null_count() > 0 {
            return None;
        }
        cols.push(wrap_cast(a.as_ref(), &to)?);
    }
    Some(cols)
}

/// `a` (an integer column) as `to` keeping the low bits; `None` for other types.
fn wrap_cast(a: &dyn Array, to: &DataType) -> Option<ArrayRef> {
    let cast: ArrayRef = match to {
        DataType::UInt8 => Arc::new(wrap_to::<UInt8Type>(a, |v| v as u8)?),
        DataType::UInt16 => Arc::new(wrap_to::<UInt16Type>(a, |v| v as u16)?),
        DataType::UInt32 => Arc::new(wrap_to::<UInt32Type>(a, |v| v as u32)?),
        DataType::UInt64 => Arc::new(wrap_to::<UInt64Type>(a, |v| v as u64)?),
        DataType::Int8 => Arc::new(wrap_to::<Int8Type>(a, |v| v as i8)?),
        DataType::Int16 => Arc::new(wrap_to::<Int16Type>(a, |v| v as i16)?),
        DataType::Int32 => Arc::new(wrap_to::<Int32Type>(a, |v| v as i32)?),
        DataType::Int64 => Arc::new(wrap_to::<Int64Type>(a, |v| v)?),
        _ => return None,
    };
    Some(cast)
}

/// Every value of `a` widened to 64 bits (sign- or zero-extended as its type says, which
/// `as` does) and then cut to `T` by `conv`: the same bits as one `as` from the source type.
fn wrap_to<T: ArrowPrimitiveType>(
    a: &dyn Array,
    conv: impl Fn(i64) -> T::Native,
) -> Option<PrimitiveArray<T>> {
    macro_rules! from {
        ($s:ty) => {
            a.as_primitive_opt::<$s>()?
                .unary::<_, T>(|v| conv(v as i64))
        };
    }
    Some(match a.data_type() {
        DataType::UInt8 => from!(UInt8Type),
        DataType::UInt16 => from!(UInt16Type),
        DataType::UInt32 => from!(UInt32Type),
        DataType::UInt64 => from!(UInt64Type),
        DataType::Int8 => from!(Int8Type),
        DataType::Int16 => from!(Int16Type),
        DataType::Int32 => from!(Int32Type),
        DataType::Int64 => from!(Int64Type),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringArray, UInt64Array};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    fn col(name: &str, ty: &str) -> ColumnDesc {
        ColumnDesc::new(name, ChType::parse(ty).unwrap())
    }

    /// Expected values from ClickHouse 26.9 (the oracle): `SELECT _CAST(toUInt64(4294967301),
    /// 'UInt32'), _CAST(toInt64(-1), 'UInt32'), _CAST(toUInt64(18446744073709551615),
    /// 'Int32'), _CAST(toInt64(-129), 'Int8'), _CAST(toUInt64(300), 'UInt8')` gives
    /// `5 4294967295 -1 127 44`.
    #[test]
    fn integer_casts_keep_the_low_bits_as_clickhouse() {
        let u = UInt64Array::from(vec![4_294_967_301, u64::MAX, 300]);
        let i = Int64Array::from(vec![-1, -129, 7]);
        let cast = |a: &dyn Array, to: DataType| wrap_cast(a, &to);
        let got = cast(&u, DataType::UInt32);
        assert_eq!(
            got.as_deref()
                .map(|a| a.as_primitive::<UInt32Type>().values().to_vec()),
            Some(vec![5, u32::MAX, 300])
        );
        let got = cast(&u, DataType::Int32);
        assert_eq!(
            got.as_deref()
                .map(|a| a.as_primitive::<Int32Type>().values().to_vec()),
            Some(vec![5, -1, 300])
        );
        let got = cast(&u, DataType::UInt8);
        assert_eq!(
            got.as_deref()
                .map(|a| a.as_primitive::<UInt8Type>().value(2)),
            Some(44)
        );
        let got = cast(&i, DataType::UInt32);
        assert_eq!(
            got.as_deref()
                .map(|a| a.as_primitive::<UInt32Type>().value(0)),
            Some(u32::MAX)
        );
        let got = cast(&i, DataType::Int8);
        assert_eq!(
            got.as_deref()
                .map(|a| a.as_primitive::<Int8Type>().value(1)),
            Some(127)
        );
        let got = cast(&i, DataType::UInt64);
        assert_eq!(
            got.as_deref()
                .map(|a| a.as_primitive::<UInt64Type>().value(0)),
            Some(u64::MAX)
        );
    }

    #[test]
    fn other_columns_use_the_planned_cast() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::UInt64, true),
            Field::new("s", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(UInt64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec!["x", "y"])),
            ],
        )
        .unwrap();
        let (a, s) = (col("a", "UInt32"), col("s", "String"));
        assert!(
            cast_columns(&[&a, &s], &batch).is_none(),
            "NULL into UInt32"
        );
        let a_nullable = col("a", "Nullable(UInt32)");
        let got = cast_columns(&[&a_nullable, &s], &batch);
        assert_eq!(got.as_ref().map(|c| c[0].null_count()), Some(1));
        let as_date = col("s", "Date");
        assert!(
            cast_columns(&[&as_date], &batch).is_none(),
            "String to Date"
        );
        let missing = col("b", "UInt32");
        assert!(cast_columns(&[&missing], &batch).is_none());
    }
}
