//! [`DenseGroupBy`]: a physical optimizer rule that runs `GROUP BY` of one integer key with
//! a small range known from the plan — `x % c` with a constant `c`, or a key of type
//! `UInt8`/`Int8`/`UInt16`/`Int16` — through [`DenseAggregateExec`], which finds each
//! row's group by the key's offset in that range instead of hashing it (DataFusion's
//! hash table was three quarters of `GROUP BY number % 100000`).
//!
//! A key column of a wider integer type is dense too when the input's statistics bound it
//! to such a range (a MergeTree scan reports each column's minimum and maximum from its
//! part manifests): the statistics may be inexact, since a key outside the range still
//! finds its group (see [`groups`]).
//!
//! A time bucket of such a column (`toStartOfHour(t)` and the other [`BUCKETS`]) is dense
//! when the bucket's values between those of the column's minimum and maximum span at most
//! [`MAX_RANGE`] (dates and date-times count as the integers they hold: `toStartOfHour` of
//! a `DateTime` spanning 12 days).
//!
//! Two integer keys are dense when each has such a range and their pairs number at most
//! [`MAX_RANGE`] (see [`pair`]): `GROUP BY product_id, initial_stock` over a join with a
//! 200-row table, whose columns' statistics come from that table's part.
//!
//! A `FilterExec` right below is applied by the dense aggregation itself, on the columns it
//! reads (see [`fused_filter`]).
//!
//! Only aggregations reading raw rows are replaced (`Partial`, `Single`), without grouping
//! sets, ordered input or a pushed-down limit; their results, and the order of their groups,
//! are the ones `AggregateExec` gives.

mod exec;
mod fused_filter;
mod groups;
mod pair;

use std::sync::Arc;

use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result as DfResult;
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::{ExecutionPlan, InputOrderMode};

pub use exec::DenseAggregateExec;
use groups::KeyRange;

/// Largest key range given a dense table (4 MiB of slots per partition).
const MAX_RANGE: u64 = 1 << 20;

/// Replaces eligible [`AggregateExec`]s by [`DenseAggregateExec`]s.
#[derive(Debug, Default)]
pub struct DenseGroupBy;

impl PhysicalOptimizerRule for DenseGroupBy {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(agg) = node.downcast_ref::<AggregateExec>() else {
                return Ok(Transformed::no(node));
            };
            match dense_ranges(agg) {
                Some(ranges) => {
                    tracing::debug!(keys = ranges.len(), "dense GROUP BY");
                    let dense: Arc<dyn ExecutionPlan> =
                        Arc::new(DenseAggregateExec::new(Arc::new(agg.clone()), ranges));
                    Ok(Transformed::yes(dense))
                }
                None => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "dense_group_by"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The key ranges (one per key) when `agg` can run dense: one key of at most
/// [`MAX_RANGE`] values, or two whose pairs are at most that many.
fn dense_ranges(agg: &AggregateExec) -> Option<Vec<KeyRange>> {
    if !matches!(agg.mode(), AggregateMode::Partial | AggregateMode::Single)
        || *agg.input_order_mode() != InputOrderMode::Linear
        || agg.limit_options().is_some()
        || !agg.dynamic_expressions_produced().is_empty()
        || !agg.group_expr().is_single()
        || agg.aggr_expr().iter().any(|e| !e.order_bys().is_empty())
    {
        return None;
    }
    let schema = agg.input_schema();
    let range = |key: &Arc<dyn PhysicalExpr>| {
        key_range(key, &schema).or_else(|| statistics_range(key, agg.input()))
    };
    match agg.group_expr().expr() {
        [(key, _)] => Some(vec![range(key)?]),
        [(a, _), (b, _)] => {
            let ranges = vec![range(a)?, range(b)?];
            let pairs = ranges[0].size.checked_mul(ranges[1].size)?;
            (pairs as u64 <= MAX_RANGE).then_some(ranges)
        }
        _ => None,
    }
}

/// The range of a key from the input's column statistics (minimum and maximum), when it is
/// at most [`MAX_RANGE`] wide: a key column's own, or a time bucket of one
/// ([`bucket_bounds`]).
fn statistics_range(
    key: &Arc<dyn PhysicalExpr>,
    input: &Arc<dyn ExecutionPlan>,
) -> Option<KeyRange> {
    let schema = input.schema();
    let (_, signed) = int_width(&key.data_type(&schema).ok()?)?;
    let stats = StatisticsContext::new()
        .compute(input.as_ref(), &StatisticsArgs::new())
        .ok()?;
    let bounds = |column: &Column| {
        let col = stats.column_statistics.get(column.index())?;
        Some((
            col.min_value.get_value()?.clone(),
            col.max_value.get_value()?.clone(),
        ))
    };
    let (lo, hi) = match key.downcast_ref::<Column>() {
        Some(column) => bounds(column)?,
        None => bucket_bounds(key, &schema, bounds)?,
    };
    bounded_range(&lo, &hi, signed)
}

/// Time buckets whose value never decreases as their first argument grows:
/// `GROUP BY toStartOfHour(t)` takes its range from `t`'s bounds.
const BUCKETS: [&str; 15] = [
    "toStartOfSecond",
    "toStartOfMinute",
    "toStartOfFiveMinutes",
    "toStartOfFiveMinute",
    "toStartOfTenMinutes",
    "toStartOfFifteenMinutes",
    "toStartOfHour",
    "toStartOfDay",
    "toDate",
    "toMonday",
    "toStartOfWeek",
    "toStartOfMonth",
    "toStartOfQuarter",
    "toStartOfYear",
    "toStartOfISOYear",
];

/// `[f(lo), f(hi)]` for a key `f(column, literals…)` where `f` is one of [`BUCKETS`] and
/// `bounds` gives the column's `[lo, hi]`: `f` evaluated on the two bounds. Nothing rests
/// on `f` being monotonic or on the bounds being exact: a key outside the range still
/// finds its group (see [`groups`]), only through a hash map.
fn bucket_bounds(
    key: &Arc<dyn PhysicalExpr>,
    schema: &Schema,
    bounds: impl Fn(&Column) -> Option<(ScalarValue, ScalarValue)>,
) -> Option<(ScalarValue, ScalarValue)> {
    let call = key.downcast_ref::<ScalarFunctionExpr>()?;
    if !BUCKETS.contains(&call.fun().name()) {
        return None;
    }
    let (first, rest) = call.args().split_first()?;
    let column = first.downcast_ref::<Column>()?;
    if !rest.iter().all(|a| a.downcast_ref::<Literal>().is_some()) {
        return None;
    }
    let (lo, hi) = bounds(column)?;
    let field = schema.fields().get(column.index())?;
    let values = ScalarValue::iter_to_array([lo, hi]).ok()?;
    let values = cast(&values, field.data_type()).ok()?;
    // The key over a batch of the column alone, holding its two bounds.
    let alone = Arc::new(Schema::new(vec![
        field.as_ref().clone().with_nullable(true),
    ]));
    let batch = RecordBatch::try_new(alone, vec![values]).ok()?;
    let key = Arc::clone(key)
        .transform(|e| {
            Ok(match e.downcast_ref::<Column>() {
                Some(c) => Transformed::yes(Arc::new(Column::new(c.name(), 0)) as _),
                None => Transformed::no(e),
            })
        })
        .ok()?
        .data;
    let out = key.evaluate(&batch).ok()?.into_array(2).ok()?;
    Some((
        ScalarValue::try_from_array(&out, 0).ok()?,
        ScalarValue::try_from_array(&out, 1).ok()?,
    ))
}

/// `[lo, hi]` as a [`KeyRange`] when both are integers and the range has at most
/// [`MAX_RANGE`] keys.
fn bounded_range(lo: &ScalarValue, hi: &ScalarValue, signed: bool) -> Option<KeyRange> {
    let (lo, hi) = (scalar_bits(lo)?, scalar_bits(hi)?);
    let width = if signed {
        (hi as i64)
            .checked_sub(lo as i64)
            .and_then(|w| u64::try_from(w).ok())?
    } else {
        hi.checked_sub(lo)?
    };
    if width >= MAX_RANGE {
        return None;
    }
    Some(KeyRange {
        lo,
        size: usize::try_from(width + 1).ok()?,
    })
}

/// An integer scalar's 64-bit pattern (see `groups::KeyBits`: sign-extended when signed).
fn scalar_bits(v: &ScalarValue) -> Option<u64> {
    Some(match v {
        ScalarValue::UInt8(Some(v)) => u64::from(*v),
        ScalarValue::UInt16(Some(v)) => u64::from(*v),
        ScalarValue::UInt32(Some(v)) => u64::from(*v),
        ScalarValue::UInt64(Some(v)) => *v,
        ScalarValue::Int8(Some(v)) => i64::from(*v) as u64,
        ScalarValue::Int16(Some(v)) => i64::from(*v) as u64,
        ScalarValue::Int32(Some(v)) => i64::from(*v) as u64,
        ScalarValue::Int64(Some(v)) => *v as u64,
        ScalarValue::Date32(Some(v)) => i64::from(*v) as u64,
        ScalarValue::Date64(Some(v))
        | ScalarValue::TimestampSecond(Some(v), _)
        | ScalarValue::TimestampMillisecond(Some(v), _)
        | ScalarValue::TimestampMicrosecond(Some(v), _)
        | ScalarValue::TimestampNanosecond(Some(v), _) => *v as u64,
        _ => return None,
    })
}

/// The values `key` can take, when they form a range of at most [`MAX_RANGE`].
fn key_range(key: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<KeyRange> {
    let data_type = key.data_type(schema).ok()?;
    let (bits, signed) = int_width(&data_type)?;
    if let Some(range) = modulo_range(key, schema, signed) {
        return Some(range);
    }
    if bits > 16 {
        return None;
    }
    let lo = if signed {
        (-(1i64 << (bits - 1))) as u64
    } else {
        0
    };
    Some(KeyRange {
        lo,
        size: 1 << bits,
    })
}

/// `(bits, signed)` of an Arrow integer type, or of a date or date-time type as the
/// integers it holds.
fn int_width(t: &DataType) -> Option<(u32, bool)> {
    Some(match t {
        DataType::UInt8 => (8, false),
        DataType::UInt16 => (16, false),
        DataType::UInt32 => (32, false),
        DataType::UInt64 => (64, false),
        DataType::Int8 => (8, true),
        DataType::Int16 => (16, true),
        DataType::Int32 => (32, true),
        DataType::Int64 | DataType::Date64 | DataType::Timestamp(_, _) => (64, true),
        DataType::Date32 => (32, true),
        _ => None?,
    })
}

/// `x % c` (`modulo`, `moduloOrZero`, `positiveModulo`) with a constant `c > 0`: `[0, c)`
/// for an unsigned `x` or `positiveModulo`, `(−c, c)` for a signed one.
fn modulo_range(key: &Arc<dyn PhysicalExpr>, schema: &Schema, signed: bool) -> Option<KeyRange> {
    let call = key.downcast_ref::<ScalarFunctionExpr>()?;
    let name = call.fun().name();
    if !matches!(name, "modulo" | "moduloOrZero" | "positiveModulo") {
        return None;
    }
    let [x, c] = call.args() else {
        return None;
    };
    let c = match c.downcast_ref::<Literal>()?.value() {
        ScalarValue::UInt8(Some(v)) => u64::from(*v),
        ScalarValue::UInt16(Some(v)) => u64::from(*v),
        ScalarValue::UInt32(Some(v)) => u64::from(*v),
        ScalarValue::UInt64(Some(v)) => *v,
        ScalarValue::Int8(Some(v)) => u64::try_from(*v).ok()?,
        ScalarValue::Int16(Some(v)) => u64::try_from(*v).ok()?,
        ScalarValue::Int32(Some(v)) => u64::try_from(*v).ok()?,
        ScalarValue::Int64(Some(v)) => u64::try_from(*v).ok()?,
        _ => return None,
    };
    if c == 0 || c > MAX_RANGE {
        return None;
    }
    let (_, x_signed) = int_width(&x.data_type(schema).ok()?)?;
    if x_signed && name != "positiveModulo" {
        // The remainder takes the dividend's sign: −(c−1) ..= c−1, in a signed result.
        if !signed {
            return None;
        }
        let size = usize::try_from(2 * c - 1).ok()?;
        return Some(KeyRange {
            lo: (1 - c as i64) as u64,
            size,
        });
    }
    Some(KeyRange {
        lo: 0,
        size: usize::try_from(c).ok()?,
    })
}

#[cfg(test)]
mod tests;
