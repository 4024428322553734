//! Column statistics for manifests (min/max as text that casts back exactly) and their
//! use as DataFusion [`PruningStatistics`] over a set of parts.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, StringArray, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::pruning::PruningStatistics;
use datafusion::common::{Column, ScalarValue};
use datafusion::functions_aggregate::min_max::{MaxAccumulator, MinAccumulator};
use datafusion::logical_expr::Accumulator;

use crate::manifest::Manifest;

/// True for types whose min/max are kept in manifests.
pub(crate) fn orderable(dt: &DataType) -> bool {
    dt.is_integer()
        || dt.is_floating()
        || dt.is_temporal()
        || matches!(
            dt,
            DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Decimal128(..)
                | DataType::Decimal256(..)
        )
}

fn scalar_text(v: &ScalarValue, dt: &DataType) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let arr = v.to_array().ok()?;
    let text = cast(&arr, &DataType::Utf8).ok()?;
    let text = text.as_any().downcast_ref::<StringArray>()?;
    if text.is_null(0) {
        return None;
    }
    let s = text.value(0).to_string();
    // Keep only text that casts back to the same value.
    let back = cast(
        &(Arc::new(StringArray::from(vec![s.as_str()])) as ArrayRef),
        dt,
    )
    .ok()?;
    let back = ScalarValue::try_from_array(&back, 0).ok()?;
    (back == *v).then_some(s)
}

/// True when a float column holds a NaN.
pub(crate) fn has_nan(array: &ArrayRef) -> bool {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{Float32Type, Float64Type};
    match array.data_type() {
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .flatten()
            .any(f32::is_nan),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .any(f64::is_nan),
        _ => false,
    }
}

/// The smallest and largest value of a `String` column without NULLs, as a two-row
/// column with the same min/max (what a part writer's accumulators are then given):
/// DataFusion's min/max of strings calls a non-inlined accessor and `memcmp` per value, a
/// few percent of an insert's CPU for a column of one-letter codes. Values are compared
/// as bytes, which is the order of `str`. `None` for other columns.
pub(crate) fn string_extremes(array: &ArrayRef) -> Option<ArrayRef> {
    use datafusion::arrow::array::AsArray;
    use std::cmp::Ordering;
    /// Byte-wise order with the first byte and one-byte values compared inline.
    fn cmp(a: &[u8], b: &[u8]) -> Ordering {
        match (a.first(), b.first()) {
            (Some(x), Some(y)) if x != y => x.cmp(y),
            _ if a.len() <= 1 && b.len() <= 1 => a.len().cmp(&b.len()),
            _ => a.cmp(b),
        }
    }
    if array.data_type() != &DataType::Utf8 || array.null_count() > 0 || array.len() <= 2 {
        return None;
    }
    let strings = array.as_string::<i32>();
    let offsets = strings.value_offsets();
    let data = strings.value_data();
    let value = |w: &[i32]| data.get(w[0] as usize..w[1] as usize);
    let mut windows = offsets.windows(2);
    let first = value(windows.next()?)?;
    let (mut lo, mut hi) = (first, first);
    for w in windows {
        let v = value(w)?;
        if cmp(v, lo) == Ordering::Less {
            lo = v;
        } else if cmp(v, hi) == Ordering::Greater {
            hi = v;
        }
    }
    let lo = std::str::from_utf8(lo).ok()?;
    let hi = std::str::from_utf8(hi).ok()?;
    Some(Arc::new(StringArray::from(vec![lo, hi])))
}

/// `(min, max, null_count)` of a column for its manifest entry.
pub(crate) fn column_stats(array: &ArrayRef) -> (Option<String>, Option<String>, u64) {
    let nulls = array.null_count() as u64;
    let dt = array.data_type();
    if !orderable(dt) || array.len() == array.null_count() {
        return (None, None, nulls);
    }
    if dt.is_floating() {
        // NaN breaks range reasoning: keep no statistics for such columns.
        let as_f64 = cast(array, &DataType::Float64).ok();
        if let Some(a) = as_f64
            && let Some(f) = a
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Float64Array>()
            && f.iter().flatten().any(|x| x.is_nan())
        {
            return (None, None, nulls);
        }
    }
    let min = MinAccumulator::try_new(dt)
        .ok()
        .and_then(|mut acc| {
            acc.update_batch(std::slice::from_ref(array)).ok()?;
            acc.evaluate().ok()
        })
        .and_then(|v| scalar_text(&v, dt));
    let max = MaxAccumulator::try_new(dt)
        .ok()
        .and_then(|mut acc| {
            acc.update_batch(std::slice::from_ref(array)).ok()?;
            acc.evaluate().ok()
        })
        .and_then(|v| scalar_text(&v, dt));
    (min, max, nulls)
}

/// Manifests of candidate parts seen as pruning containers (one per part).
pub(crate) struct ManifestStatistics<'a> {
    pub(crate) schema: SchemaRef,
    pub(crate) manifests: Vec<&'a Manifest>,
}

impl ManifestStatistics<'_> {
    fn values(&self, column: &Column, max: bool) -> Option<ArrayRef> {
        let field = self.schema.field_with_name(&column.name).ok()?;
        let ch_type = sluice_common::ChType::from_field(field).to_string();
        let texts: Vec<Option<String>> = self
            .manifests
            .iter()
            .map(|m| {
                let c = m.column(&column.name)?;
                if c.ch_type != ch_type {
                    return None;
                }
                if max { c.max.clone() } else { c.min.clone() }
            })
            .collect();
        if texts.iter().all(Option::is_none) {
            return None;
        }
        let arr: ArrayRef = Arc::new(StringArray::from(texts));
        cast(&arr, field.data_type()).ok()
    }
}

impl PruningStatistics for ManifestStatistics<'_> {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.values(column, false)
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.values(column, true)
    }

    fn num_containers(&self) -> usize {
        self.manifests.len()
    }

    fn null_counts(&self, column: &Column) -> Option<ArrayRef> {
        let counts: Vec<Option<u64>> = self
            .manifests
            .iter()
            .map(|m| m.column(&column.name).map(|c| c.null_count))
            .collect();
        Some(Arc::new(UInt64Array::from(counts)))
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        let rows: Vec<u64> = self.manifests.iter().map(|m| m.rows).collect();
        Some(Arc::new(UInt64Array::from(rows)))
    }

    fn contained(&self, _column: &Column, _values: &HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::compute::{max_string, min_string};
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn string_extremes_are_the_columns_min_and_max(
            values in proptest::collection::vec("(|[a-c]{0,3}|[\\x{e9}\\x{4e2d}z]{1,2})", 3..200)
        ) {
            let col: ArrayRef = Arc::new(StringArray::from_iter_values(&values));
            let got = string_extremes(&col).unwrap();
            let got = got.as_string::<i32>();
            let strings = col.as_string::<i32>();
            prop_assert_eq!(Some(got.value(0)), min_string(strings));
            prop_assert_eq!(Some(got.value(1)), max_string(strings));
        }
    }

    #[test]
    fn string_extremes_leave_other_columns_alone() {
        let with_null: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("b")]));
        assert!(string_extremes(&with_null).is_none());
        let numbers: ArrayRef = Arc::new(UInt64Array::from(vec![3, 1, 2]));
        assert!(string_extremes(&numbers).is_none());
    }
}
