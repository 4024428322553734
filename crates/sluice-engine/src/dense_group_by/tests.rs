//! The rule picks the right aggregations, and [`DenseAggregateExec`] returns exactly what
//! the `AggregateExec` it replaces returns (same rows, same order), in both modes.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int8Array, UInt16Array, UInt32Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::config::ConfigOptions;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::aggregate::AggregateExprBuilder;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode, PhysicalGroupBy};
use datafusion::physical_plan::{ExecutionPlan, collect};

use super::*;

fn col(name: &str, i: usize) -> Arc<dyn PhysicalExpr> {
    Arc::new(Column::new(name, i))
}

#[test]
fn small_integer_types_are_dense() {
    let schema = Schema::new(vec![
        Field::new("a", DataType::Int8, false),
        Field::new("b", DataType::UInt16, false),
        Field::new("c", DataType::UInt32, false),
    ]);
    assert_eq!(
        key_range(&col("a", 0), &schema),
        Some(KeyRange {
            lo: (-128i64) as u64,
            size: 256
        })
    );
    assert_eq!(
        key_range(&col("b", 1), &schema),
        Some(KeyRange { lo: 0, size: 65536 })
    );
    assert_eq!(key_range(&col("c", 2), &schema), None);
}

/// Three batches of `(a UInt16, b Int8, c UInt32, v UInt64)`, with NULL keys.
fn input() -> (SchemaRef, Vec<RecordBatch>) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::UInt16, true),
        Field::new("b", DataType::Int8, false),
        Field::new("c", DataType::UInt32, false),
        Field::new("v", DataType::UInt64, false),
    ]));
    let batches = (0..3u64)
        .map(|part| {
            let rows = 0..1000u64;
            let a: ArrayRef = Arc::new(UInt16Array::from_iter(rows.clone().map(|i| {
                let x = i * 7919 + part * 13;
                (x % 11 != 0).then_some((x % 600) as u16)
            })));
            let b: ArrayRef = Arc::new(Int8Array::from_iter_values(
                rows.clone().map(|i| ((i * 31 + part) % 256) as u8 as i8),
            ));
            let c: ArrayRef = Arc::new(UInt32Array::from_iter_values(
                rows.clone().map(|i| (i * part) as u32),
            ));
            let v: ArrayRef =
                Arc::new(UInt64Array::from_iter_values(rows.map(|i| i + part * 1000)));
            RecordBatch::try_new(Arc::clone(&schema), vec![a, b, c, v])
        })
        .collect::<Result<Vec<_>, _>>()
        .expect("valid batches");
    (schema, batches)
}

fn aggregate(
    mode: AggregateMode,
    key: (&str, usize),
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Arc<dyn ExecutionPlan> {
    aggregate_by(mode, &[key], schema, batches)
}

fn aggregate_by(
    mode: AggregateMode,
    keys: &[(&str, usize)],
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Arc<dyn ExecutionPlan> {
    let udafs = sluice_functions::aggregate_functions();
    let udaf = |name: &str| {
        Arc::new(
            udafs
                .iter()
                .find(|u| u.name() == name)
                .expect("registered")
                .clone(),
        )
    };
    let agg = |name: &str, alias: &str| {
        Arc::new(
            AggregateExprBuilder::new(udaf(name), vec![col("v", 3)])
                .schema(Arc::clone(schema))
                .alias(alias)
                .build()
                .expect("aggregate"),
        )
    };
    // `sum`/`max` have vectorized accumulators, `any` goes through the adapter.
    let aggs = vec![agg("sum", "s"), agg("max", "m"), agg("any", "x")];
    let source = MemorySourceConfig::try_new_exec(&[batches.to_vec()], Arc::clone(schema), None)
        .expect("memory source");
    let group_by = PhysicalGroupBy::new_single(
        keys.iter()
            .enumerate()
            .map(|(i, k)| (col(k.0, k.1), format!("{}{i}", k.0)))
            .collect(),
    );
    let filters = vec![None; aggs.len()];
    Arc::new(
        AggregateExec::try_new(mode, group_by, aggs, filters, source, Arc::clone(schema))
            .expect("aggregate exec"),
    )
}

async fn run(plan: Arc<dyn ExecutionPlan>) -> String {
    let batches = collect(plan, Arc::new(TaskContext::default()))
        .await
        .expect("runs");
    pretty_format_batches(&batches)
        .expect("formats")
        .to_string()
}

#[tokio::test]
async fn same_rows_in_the_same_order_as_aggregate_exec() {
    let (schema, batches) = input();
    for mode in [AggregateMode::Single, AggregateMode::Partial] {
        for key in [("a", 0), ("b", 1)] {
            let plan = aggregate(mode, key, &schema, &batches);
            let dense = DenseGroupBy
                .optimize(Arc::clone(&plan), &ConfigOptions::default())
                .expect("optimizes");
            assert_eq!(dense.name(), "DenseAggregateExec", "{mode:?} {key:?}");
            let (want, got) = (run(plan).await, run(dense).await);
            assert!(want.lines().count() > 100, "{want}");
            assert_eq!(got, want, "{mode:?} {key:?}");
        }
    }
}

#[tokio::test]
async fn two_keys_same_rows_in_the_same_order_as_aggregate_exec() {
    let (schema, batches) = input();
    for mode in [AggregateMode::Single, AggregateMode::Partial] {
        // Int8 × Int8: 65,536 pairs, dense; Int8 × UInt16 (with NULLs): 2^24 pairs, too
        // many (the pair index itself is checked with other types and NULLs in `pair`).
        for keys in [[("b", 1), ("b", 1)], [("b", 1), ("a", 0)]] {
            let plan = aggregate_by(mode, &keys, &schema, &batches);
            let dense = DenseGroupBy
                .optimize(Arc::clone(&plan), &ConfigOptions::default())
                .expect("optimizes");
            let want_dense = keys[1].0 == "b";
            assert_eq!(
                dense.name() == "DenseAggregateExec",
                want_dense,
                "{mode:?} {keys:?}"
            );
            let (want, got) = (run(plan).await, run(dense).await);
            assert!(want.lines().count() > 100, "{want}");
            assert_eq!(got, want, "{mode:?} {keys:?}");
        }
    }
}

#[test]
fn wide_keys_and_merging_stages_stay() {
    let (schema, batches) = input();
    for (mode, key) in [
        (AggregateMode::Single, ("c", 2)),
        (AggregateMode::Final, ("a", 0)),
    ] {
        let plan = aggregate(mode, key, &schema, &batches);
        let kept = DenseGroupBy
            .optimize(Arc::clone(&plan), &ConfigOptions::default())
            .expect("optimizes");
        assert_eq!(kept.name(), "AggregateExec", "{mode:?} {key:?}");
    }
}

#[test]
fn ranges_from_statistics() {
    let u = |v: u32| ScalarValue::UInt32(Some(v));
    assert_eq!(
        bounded_range(&u(1000), &u(5999), false),
        Some(KeyRange {
            lo: 1000,
            size: 5000
        })
    );
    // Signed bounds below zero: the low bound's sign-extended pattern.
    assert_eq!(
        bounded_range(
            &ScalarValue::Int64(Some(-3)),
            &ScalarValue::Int64(Some(4)),
            true
        ),
        Some(KeyRange {
            lo: (-3i64) as u64,
            size: 8
        })
    );
    // Too wide, reversed, not integers, unknown.
    assert_eq!(bounded_range(&u(0), &u(u32::MAX), false), None);
    assert_eq!(bounded_range(&u(9), &u(1), false), None);
    assert_eq!(
        bounded_range(
            &ScalarValue::Float64(Some(0.0)),
            &ScalarValue::Float64(Some(1.0)),
            false
        ),
        None
    );
    assert_eq!(
        bounded_range(&ScalarValue::UInt32(None), &u(1), false),
        None
    );
}

#[test]
fn time_bucket_ranges_from_the_column_bounds() {
    use datafusion::arrow::datatypes::TimeUnit;
    use datafusion::physical_expr::ScalarFunctionExpr;

    let utc: Option<Arc<str>> = Some("UTC".into());
    let schema = Schema::new(vec![
        Field::new("x", DataType::UInt32, false),
        Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Second, utc.clone()),
            false,
        ),
    ]);
    let call = |name: &str| -> Arc<dyn PhysicalExpr> {
        let udf = sluice_functions::scalar_functions()
            .into_iter()
            .find(|f| f.name() == name)
            .expect("registered");
        Arc::new(
            ScalarFunctionExpr::try_new(
                Arc::new(udf),
                vec![col("t", 1)],
                &schema,
                Arc::new(ConfigOptions::default()),
            )
            .expect("valid call"),
        )
    };
    let t = |v: i64| ScalarValue::TimestampSecond(Some(v), utc.clone());
    let bounds = |c: &Column| (c.index() == 1).then(|| (t(7_259), t(7_200 + 3 * 3_600 + 1)));
    let (lo, hi) = bucket_bounds(&call("toStartOfHour"), &schema, bounds).expect("a bucket");
    assert_eq!(
        (scalar_bits(&lo), scalar_bits(&hi)),
        (Some(7_200), Some(18_000))
    );
    assert_eq!(
        bounded_range(&lo, &hi, true),
        Some(KeyRange {
            lo: 7_200,
            size: 10_801
        })
    );
    let (lo, hi) = bucket_bounds(&call("toStartOfDay"), &schema, bounds).expect("a bucket");
    assert_eq!((scalar_bits(&lo), scalar_bits(&hi)), (Some(0), Some(0)));
    // Not a bucket; no bounds for the column.
    assert_eq!(
        bucket_bounds(&call("toUnixTimestamp"), &schema, bounds),
        None
    );
    assert_eq!(
        bucket_bounds(&call("toStartOfHour"), &schema, |_| None),
        None
    );
}

/// A `FilterExec` (with a projection, a predicate on a column nothing above reads, NULLs in
/// the predicate) under the aggregation is applied by the dense aggregation itself: same
/// rows in the same order as `AggregateExec` over the `FilterExec`.
#[tokio::test]
async fn filter_below_is_fused_with_the_same_rows() {
    use datafusion::logical_expr::Operator;
    use datafusion::physical_expr::expressions::{BinaryExpr, Literal};
    use datafusion::physical_plan::filter::FilterExecBuilder;
    let (schema, batches) = input();
    let udafs = sluice_functions::aggregate_functions();
    let udaf = |name: &str| {
        Arc::new(
            udafs
                .iter()
                .find(|u| u.name() == name)
                .expect("registered")
                .clone(),
        )
    };
    for (column, index, value) in [
        ("c", 2, ScalarValue::UInt32(Some(900))),
        // `a` has NULLs: those rows fail the predicate.
        ("a", 0, ScalarValue::UInt16(Some(300))),
        // No row passes.
        ("c", 2, ScalarValue::UInt32(Some(u32::MAX))),
    ] {
        let source = MemorySourceConfig::try_new_exec(
            std::slice::from_ref(&batches),
            Arc::clone(&schema),
            None,
        )
        .expect("memory source");
        let predicate: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(
            col(column, index),
            Operator::GtEq,
            Arc::new(Literal::new(value.clone())),
        ));
        // Output (v, b, a): the predicate's column `c` is not passed on.
        let filter: Arc<dyn ExecutionPlan> = Arc::new(
            FilterExecBuilder::new(predicate, source)
                .apply_projection(Some(vec![3, 1, 0]))
                .expect("projection")
                .build()
                .expect("filter"),
        );
        let filtered = filter.schema();
        for mode in [AggregateMode::Single, AggregateMode::Partial] {
            let agg = |name: &str, alias: &str| {
                Arc::new(
                    AggregateExprBuilder::new(udaf(name), vec![col("v", 0)])
                        .schema(Arc::clone(&filtered))
                        .alias(alias)
                        .build()
                        .expect("aggregate"),
                )
            };
            let aggs = vec![agg("sum", "s"), agg("max", "m"), agg("count", "n")];
            let group_by = PhysicalGroupBy::new_single(vec![(col("b", 1), "b".to_string())]);
            let plan: Arc<dyn ExecutionPlan> = Arc::new(
                AggregateExec::try_new(
                    mode,
                    group_by,
                    aggs,
                    vec![None; 3],
                    Arc::clone(&filter),
                    Arc::clone(&filtered),
                )
                .expect("aggregate exec"),
            );
            let dense = DenseGroupBy
                .optimize(Arc::clone(&plan), &ConfigOptions::default())
                .expect("optimizes");
            assert_eq!(dense.name(), "DenseAggregateExec", "{mode:?} {value}");
            let (want, got) = (run(plan).await, run(dense).await);
            if !value.eq(&ScalarValue::UInt32(Some(u32::MAX))) {
                assert!(want.lines().count() > 100, "{want}");
            }
            assert_eq!(got, want, "{mode:?} {column} >= {value}");
        }
    }
}
