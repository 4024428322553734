//! List-column plumbing for the array kernels: reading `List` columns, building them with the
//! element field ClickHouse types expect, casting columns between ClickHouse types, type
//! defaults, and row encodings for comparing/sorting elements of any type.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeBinaryArray, GenericListArray, ListArray, MapArray,
    StringArray, StructArray, new_empty_array, new_null_array,
};
use datafusion::arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{Result, ScalarValue};
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::col::{StrBuilder, StrCol};

/// The `List` column behind an `Array(T)` argument.
pub(crate) fn list<'a>(arr: &'a ArrayRef, func: &str) -> Result<&'a ListArray> {
    match arr.as_list_opt::<i32>() {
        Some(l) => Ok(l),
        None => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Argument for function {func} must be array, got {}",
            ChType::from_arrow(arr.data_type(), false)
        ),
    }
}

/// The element type of an `Array(T)` ClickHouse type (`Nothing` otherwise).
pub(crate) fn elem_type(t: &ChType) -> ChType {
    match t.base() {
        ChType::Array(e) => (**e).clone(),
        _ => ChType::Nothing,
    }
}

/// The Arrow field of an array's elements.
pub(crate) fn item_field(elem: &ChType) -> FieldRef {
    Arc::new(elem.to_field("item"))
}

/// Builds an `Array(elem)` column from offsets and flattened values (cast to `elem`).
pub(crate) fn build_list(elem: &ChType, offsets: Vec<i32>, values: ArrayRef) -> Result<ArrayRef> {
    let values = cast_col(&values, elem)?;
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    Ok(Arc::new(ListArray::try_new(
        item_field(elem),
        offsets,
        values,
        None,
    )?))
}

/// Offsets of row `i` of a list as a range over its values.
#[inline]
pub(crate) fn range_of(l: &GenericListArray<i32>, i: usize) -> std::ops::Range<usize> {
    let o = l.value_offsets();
    o[i] as usize..o[i + 1] as usize
}

/// Casts a column to ClickHouse type `to` (Arrow cast plus the cases Arrow lacks: bare NULL
/// columns and FixedString → String).
pub(crate) fn cast_col(arr: &ArrayRef, to: &ChType) -> Result<ArrayRef> {
    let dt = to.to_arrow();
    if *arr.data_type() == dt {
        return Ok(Arc::clone(arr));
    }
    if *arr.data_type() == DataType::Null {
        if to.is_nullable() || matches!(to, ChType::Nothing) {
            return Ok(new_null_array(&dt, arr.len()));
        }
        return default_array(to, arr.len());
    }
    if matches!(arr.data_type(), DataType::FixedSizeBinary(_)) && dt == DataType::Utf8 {
        let s = StrCol::new(arr, "CAST")?;
        let mut b = StrBuilder::new(arr.len(), false);
        for i in 0..arr.len() {
            b.append(s.get(i))?;
        }
        let out = b.finish()?;
        return Ok(match arr.nulls() {
            Some(n) => datafusion::arrow::array::make_array(
                out.to_data()
                    .into_builder()
                    .nulls(Some(n.clone()))
                    .build()?,
            ),
            None => out,
        });
    }
    if let (DataType::List(_), ChType::Array(e)) = (arr.data_type(), to.base()) {
        let l = arr.as_list::<i32>();
        let values = cast_col(l.values(), e)?;
        return Ok(Arc::new(ListArray::try_new(
            item_field(e),
            l.offsets().clone(),
            values,
            l.nulls().cloned(),
        )?));
    }
    if let (DataType::Struct(_), ChType::Tuple(elems)) = (arr.data_type(), to.base()) {
        let s = arr.as_struct();
        if s.num_columns() == elems.len() {
            let mut cols = Vec::new();
            for (i, (_, et)) in elems.iter().enumerate() {
                cols.push(cast_col(s.column(i), et)?);
            }
            let DataType::Struct(fields) = dt else {
                ch_bail!(LOGICAL_ERROR, "Tuple type maps to non-struct Arrow type");
            };
            return Ok(Arc::new(StructArray::try_new(
                fields,
                cols,
                s.nulls().cloned(),
            )?));
        }
    }
    if let (DataType::Map(..), ChType::Map(kt, vt)) = (arr.data_type(), to.base()) {
        let m = arr.as_map();
        let k = cast_col(m.keys(), kt)?;
        let v = cast_col(m.values(), vt)?;
        return build_map(kt, vt, m.offsets().to_vec(), k, v, m.nulls().cloned());
    }
    Ok(cast(arr, &dt)?)
}

/// Builds a `Map(K, V)` column.
pub(crate) fn build_map(
    kt: &ChType,
    vt: &ChType,
    offsets: Vec<i32>,
    keys: ArrayRef,
    values: ArrayRef,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let fields = Fields::from(vec![kt.to_field("key"), vt.to_field("value")]);
    let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
    let entries_field = Arc::new(Field::new("entries", DataType::Struct(fields), false));
    Ok(Arc::new(MapArray::try_new(
        entries_field,
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        entries,
        nulls,
        false,
    )?))
}

/// A column of `n` default values of ClickHouse type `t` (0, '', [], NULL for Nullable…).
pub(crate) fn default_array(t: &ChType, n: usize) -> Result<ArrayRef> {
    let dt = t.to_arrow();
    if t.is_nullable() || matches!(t, ChType::Nothing) {
        return Ok(new_null_array(&dt, n));
    }
    Ok(match t {
        ChType::LowCardinality(inner) => cast(&default_array(inner, n)?, &dt)?,
        ChType::String | ChType::Enum8(_) | ChType::Enum16(_) => {
            let first = match t {
                ChType::Enum8(v) => v.first().map(|x| x.0.clone()),
                ChType::Enum16(v) => v.first().map(|x| x.0.clone()),
                _ => None,
            };
            Arc::new(StringArray::from(vec![first.unwrap_or_default(); n]))
        }
        ChType::FixedString(_) | ChType::Uuid | ChType::IPv6 => {
            let w = match dt {
                DataType::FixedSizeBinary(w) => w,
                _ => 16,
            };
            Arc::new(FixedSizeBinaryArray::try_new(
                w,
                Buffer::from(vec![0u8; w as usize * n]),
                None,
            )?)
        }
        ChType::Array(e) => build_list(e, vec![0; n + 1], new_empty_array(&e.to_arrow()))?,
        ChType::Map(k, v) => build_map(
            k,
            v,
            vec![0; n + 1],
            new_empty_array(&k.to_arrow()),
            new_empty_array(&v.to_arrow()),
            None,
        )?,
        ChType::Tuple(elems) => {
            let DataType::Struct(fields) = dt else {
                ch_bail!(LOGICAL_ERROR, "Tuple type maps to non-struct Arrow type");
            };
            let mut cols = Vec::new();
            for (_, et) in elems {
                cols.push(default_array(et, n)?);
            }
            if cols.is_empty() {
                Arc::new(StructArray::new_empty_fields(n, None))
            } else {
                Arc::new(StructArray::try_new(fields, cols, None)?)
            }
        }
        _ => {
            let z = ScalarValue::new_zero(&dt).or_else(|_| ScalarValue::try_from(&dt))?;
            z.to_array_of_size(n)?
        }
    })
}

/// Row encodings of `arr` for equality/ordering of values of any type.
pub(crate) fn rows_of(arr: &ArrayRef) -> Result<(RowConverter, Rows)> {
    let conv = RowConverter::new(vec![SortField::new(arr.data_type().clone())])?;
    let rows = conv.convert_columns(&[Arc::clone(arr)])?;
    Ok((conv, rows))
}

/// Whether element `i` is NULL (also for bare `NULL` columns, which have no null buffer).
#[inline]
pub(crate) fn null_at(arr: &dyn Array, i: usize) -> bool {
    *arr.data_type() == DataType::Null || arr.is_null(i)
}

/// Whether the value at `i` is a float NaN (for ClickHouse's NaN ordering).
pub(crate) fn is_nan_at(arr: &ArrayRef, i: usize) -> bool {
    use datafusion::arrow::datatypes::{Float32Type, Float64Type};
    match arr.data_type() {
        DataType::Float64 => arr.as_primitive::<Float64Type>().value(i).is_nan(),
        DataType::Float32 => arr.as_primitive::<Float32Type>().value(i).is_nan(),
        _ => false,
    }
}
