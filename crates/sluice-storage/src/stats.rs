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
