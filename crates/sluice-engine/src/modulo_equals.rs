//! [`ModuloEqualsRule`]: `x % c = k` and `x % c != k` (an unsigned `x`, constants `c > 0`
//! and `k ≥ 0`) in aggregate arguments and filters become one [`ModuloEqualsExpr`], which
//! writes the result's bitmask straight from `x` ([`sluice_simd::modulo_mask`]).
//!
//! Planned as written, `countIf(number % 7 = 0)` builds a column of remainders, then
//! DataFusion's `=` compares it with the constant row by row (`ArrayOrd::is_eq` per row)
//! and packs the booleans: 70% of `sumIf(number, number % 3 = 0), countIf(number % 7 = 0)`.
//! The rewrite changes no result: the remainder of an unsigned `x` is below `c`, so every
//! integer type the plan casts it to (when wide enough for `c − 1`, which the rule checks)
//! holds the same value, and a NULL `x` gives NULL as before.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, FieldRef, Schema, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{ColumnarValue, Operator};
use datafusion::physical_expr::expressions::{BinaryExpr, CastExpr, Literal};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use sluice_simd::modulo_mask::ModuloEquals;

/// Rewrites `x % c = k` / `x % c != k` in [`AggregateExec`] arguments and [`FilterExec`]
/// predicates into [`ModuloEqualsExpr`].
#[derive(Debug, Default)]
pub struct ModuloEqualsRule;

impl PhysicalOptimizerRule for ModuloEqualsRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if let Some(agg) = node.downcast_ref::<AggregateExec>() {
                return crate::aggregate_args::rewrite_aggregate_args(agg, rewrite_expr).map(|r| {
                    match r {
                        Some(a) => Transformed::yes(Arc::new(a) as Arc<dyn ExecutionPlan>),
                        None => Transformed::no(node),
                    }
                });
            }
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                let schema = filter.input().schema();
                let t = rewrite_expr(Arc::clone(filter.predicate()), &schema)?;
                if t.transformed {
                    let rebuilt = FilterExecBuilder::from(filter)
                        .with_predicate(t.data)
                        .build()?;
                    return Ok(Transformed::yes(Arc::new(rebuilt) as Arc<dyn ExecutionPlan>));
                }
            }
            Ok(Transformed::no(node))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "modulo_equals"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Every `x % c = k` / `!=` of `expr` as a [`ModuloEqualsExpr`].
fn rewrite_expr(
    expr: Arc<dyn PhysicalExpr>,
    schema: &Schema,
) -> DfResult<Transformed<Arc<dyn PhysicalExpr>>> {
    expr.transform_up(|e| {
        Ok(match ModuloEqualsExpr::try_from_binary(&e, schema) {
            Some(m) => Transformed::yes(Arc::new(m) as Arc<dyn PhysicalExpr>),
            None => Transformed::no(e),
        })
    })
}

/// A non-negative integer literal's value.
fn literal_u64(e: &Arc<dyn PhysicalExpr>) -> Option<u64> {
    match e.downcast_ref::<Literal>()?.value() {
        ScalarValue::UInt8(Some(v)) => Some(u64::from(*v)),
        ScalarValue::UInt16(Some(v)) => Some(u64::from(*v)),
        ScalarValue::UInt32(Some(v)) => Some(u64::from(*v)),
        ScalarValue::UInt64(Some(v)) => Some(*v),
        ScalarValue::Int8(Some(v)) => u64::try_from(*v).ok(),
        ScalarValue::Int16(Some(v)) => u64::try_from(*v).ok(),
        ScalarValue::Int32(Some(v)) => u64::try_from(*v).ok(),
        ScalarValue::Int64(Some(v)) => u64::try_from(*v).ok(),
        _ => None,
    }
}

/// The largest value of an integer type.
fn int_max(t: &DataType) -> Option<u64> {
    Some(match t {
        DataType::UInt8 => u64::from(u8::MAX),
        DataType::UInt16 => u64::from(u16::MAX),
        DataType::UInt32 => u64::from(u32::MAX),
        DataType::UInt64 => u64::MAX,
        DataType::Int8 => i8::MAX as u64,
        DataType::Int16 => i16::MAX as u64,
        DataType::Int32 => i32::MAX as u64,
        DataType::Int64 => i64::MAX as u64,
        _ => return None,
    })
}

/// `(x, c)` of `x % c` for an unsigned `x` and a constant `c > 0`, through integer casts
/// wide enough for every remainder.
fn modulo_of(e: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<(Arc<dyn PhysicalExpr>, u64)> {
    if let Some(cast) = e.downcast_ref::<CastExpr>() {
        let (x, c) = modulo_of(cast.expr(), schema)?;
        return (int_max(cast.cast_type())? >= c - 1).then_some((x, c));
    }
    let call = e.downcast_ref::<ScalarFunctionExpr>()?;
    if !matches!(
        call.fun().name(),
        "modulo" | "moduloOrZero" | "positiveModulo"
    ) {
        return None;
    }
    let [x, c] = call.args() else {
        return None;
    };
    let c = literal_u64(c).filter(|c| *c > 0)?;
    let unsigned = matches!(
        x.data_type(schema).ok()?,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64
    );
    // The call's own result type holds every remainder too (checked, not assumed).
    let result_fits = int_max(&call.data_type(schema).ok()?)? >= c - 1;
    (unsigned && result_fits).then(|| (Arc::clone(x), c))
}

/// `x % c = k` (or `!=`) computed as a bitmask from `x`.
#[derive(Debug, Clone)]
pub struct ModuloEqualsExpr {
    x: Arc<dyn PhysicalExpr>,
    c: u64,
    k: u64,
    negated: bool,
    /// The field of the comparison this replaces (name, nullability, metadata kept).
    field: FieldRef,
}

impl PartialEq for ModuloEqualsExpr {
    fn eq(&self, o: &Self) -> bool {
        self.x.eq(&o.x)
            && self.c == o.c
            && self.k == o.k
            && self.negated == o.negated
            && self.field == o.field
    }
}

impl Eq for ModuloEqualsExpr {}

impl Hash for ModuloEqualsExpr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.x.hash(state);
        (self.c, self.k, self.negated).hash(state);
    }
}

impl ModuloEqualsExpr {
    /// The replacement of `e` when it is `x % c = k` or `x % c != k` (either side order).
    fn try_from_binary(e: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<Self> {
        let b = e.downcast_ref::<BinaryExpr>()?;
        let negated = match b.op() {
            Operator::Eq => false,
            Operator::NotEq => true,
            _ => return None,
        };
        let ((x, c), k) = match (modulo_of(b.left(), schema), literal_u64(b.right())) {
            (Some(m), Some(k)) => (m, k),
            _ => (modulo_of(b.right(), schema)?, literal_u64(b.left())?),
        };
        let field = e.return_field(schema).ok()?;
        (field.data_type() == &DataType::Boolean).then_some(Self {
            x,
            c,
            k,
            negated,
            field,
        })
    }

    fn mask(&self, x: &ArrayRef) -> DfResult<BooleanArray> {
        let x = compute::cast(x, &DataType::UInt64)?;
        let values = x
            .as_any()
            .downcast_ref::<datafusion::arrow::array::PrimitiveArray<UInt64Type>>()
            .map(|a| a.values())
            .ok_or_else(|| {
                datafusion::error::DataFusionError::Internal(
                    "modulo_equals: the dividend is not UInt64 after the cast (a bug)".into(),
                )
            })?;
        let mut words = ModuloEquals::new(self.c, self.k).mask(values);
        if self.negated {
            for w in &mut words {
                *w = !*w;
            }
            let rest = values.len() % 64;
            if let (Some(last), true) = (words.last_mut(), rest > 0) {
                *last &= (1u64 << rest) - 1;
            }
        }
        let bits = BooleanBuffer::new(Buffer::from_vec(words), 0, values.len());
        Ok(BooleanArray::new(bits, x.nulls().cloned()))
    }
}

impl fmt::Display for ModuloEqualsExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.negated { "!=" } else { "=" };
        write!(f, "{} % {} {op} {}", self.x, self.c, self.k)
    }
}

impl PhysicalExpr for ModuloEqualsExpr {
    fn return_field(&self, _input_schema: &Schema) -> DfResult<FieldRef> {
        Ok(Arc::clone(&self.field))
    }

    fn evaluate(&self, batch: &RecordBatch) -> DfResult<ColumnarValue> {
        let x = self.x.evaluate(batch)?.into_array(batch.num_rows())?;
        Ok(ColumnarValue::Array(Arc::new(self.mask(&x)?)))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.x]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> DfResult<Arc<dyn PhysicalExpr>> {
        let [x] = <[Arc<dyn PhysicalExpr>; 1]>::try_from(children).map_err(|_| {
            datafusion::error::DataFusionError::Internal(
                "modulo_equals takes one child (a bug)".into(),
            )
        })?;
        Ok(Arc::new(Self {
            x,
            ..(*self).clone()
        }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::UInt64Array;
    use datafusion::arrow::datatypes::Field;
    use datafusion::physical_expr::expressions::Column;

    use super::*;

    fn evaluate(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> BooleanArray {
        let v = e
            .evaluate(batch)
            .and_then(|v| v.into_array(batch.num_rows()));
        let v = v.unwrap_or_else(|err| panic!("evaluate: {err}"));
        v.as_any()
            .downcast_ref::<BooleanArray>()
            .cloned()
            .unwrap_or_else(|| panic!("not Boolean"))
    }

    /// `x % c op k` as DataFusion plans it, with the `%` computed by Arrow.
    fn reference(x: &UInt64Array, c: u64, k: u64, negated: bool) -> BooleanArray {
        x.iter()
            .map(|v| v.map(|v| (v % c == k) != negated))
            .collect()
    }

    #[test]
    fn bitmask_matches_the_comparison() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::UInt64, true)]));
        let x =
            UInt64Array::from_iter((0..300u64).map(|i| {
                (i % 17 != 5).then_some(if i % 50 == 0 { u64::MAX - i } else { i * 977 })
            }));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(x.clone())])
            .unwrap_or_else(|e| panic!("{e}"));
        let field = Arc::new(Field::new("cmp", DataType::Boolean, true));
        for c in [1u64, 2, 3, 7, 1000, 1 << 33] {
            for k in [0u64, 1, 2, 6, c] {
                for negated in [false, true] {
                    let e: Arc<dyn PhysicalExpr> = Arc::new(ModuloEqualsExpr {
                        x: Arc::new(Column::new("x", 0)),
                        c,
                        k,
                        negated,
                        field: Arc::clone(&field),
                    });
                    assert_eq!(
                        evaluate(&e, &batch),
                        reference(&x, c, k, negated),
                        "{c} {k} {negated}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_unsigned_dividends_and_wide_enough_casts() {
        let schema = Schema::new(vec![
            Field::new("u", DataType::UInt64, false),
            Field::new("s", DataType::Int64, false),
        ]);
        let lit = |v: ScalarValue| -> Arc<dyn PhysicalExpr> { Arc::new(Literal::new(v)) };
        let modulo = |x: Arc<dyn PhysicalExpr>, c: u16| -> Option<Arc<dyn PhysicalExpr>> {
            let udf = sluice_functions::scalar_functions()
                .into_iter()
                .find(|f| f.name() == "modulo")?;
            let args = vec![x, lit(ScalarValue::UInt16(Some(c)))];
            ScalarFunctionExpr::try_new(
                Arc::new(udf),
                args,
                &schema,
                Arc::new(ConfigOptions::default()),
            )
            .ok()
            .map(|e| Arc::new(e) as Arc<dyn PhysicalExpr>)
        };
        let eq = |l: Arc<dyn PhysicalExpr>, r: Arc<dyn PhysicalExpr>| -> Arc<dyn PhysicalExpr> {
            Arc::new(BinaryExpr::new(l, Operator::Eq, r))
        };
        let u: Arc<dyn PhysicalExpr> = Arc::new(Column::new("u", 0));
        let s: Arc<dyn PhysicalExpr> = Arc::new(Column::new("s", 1));
        let Some(mu) = modulo(Arc::clone(&u), 300) else {
            panic!("modulo is registered");
        };
        let rewritten = |e: Arc<dyn PhysicalExpr>| ModuloEqualsExpr::try_from_binary(&e, &schema);
        let m = rewritten(eq(Arc::clone(&mu), lit(ScalarValue::UInt16(Some(0)))));
        assert_eq!(m.map(|m| (m.c, m.k, m.negated)), Some((300, 0, false)));
        // Literal first.
        let m = rewritten(eq(lit(ScalarValue::UInt8(Some(4))), Arc::clone(&mu)));
        assert_eq!(m.map(|m| (m.c, m.k)), Some((300, 4)));
        // A cast to Int8 would wrap remainders above 127: left alone. Int16 is wide enough.
        let to = |t: DataType| -> Arc<dyn PhysicalExpr> {
            Arc::new(CastExpr::new(Arc::clone(&mu), t, None))
        };
        assert!(rewritten(eq(to(DataType::Int8), lit(ScalarValue::Int8(Some(0))))).is_none());
        assert!(rewritten(eq(to(DataType::Int16), lit(ScalarValue::Int16(Some(0))))).is_some());
        // Signed dividend, negative constant: left alone.
        if let Some(ms) = modulo(s, 300) {
            assert!(rewritten(eq(ms, lit(ScalarValue::UInt16(Some(0))))).is_none());
        }
        assert!(rewritten(eq(Arc::clone(&mu), lit(ScalarValue::Int16(Some(-1))))).is_none());
    }
}
