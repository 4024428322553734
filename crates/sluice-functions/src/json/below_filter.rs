//! [`JsonCallsBelowFilter`]: a physical rule that evaluates the JSON calls of a projection
//! and of the filter under it together, *below* the filter, so the filter copies their small
//! result columns instead of the JSON documents.
//!
//! Planned as written, `SELECT JSONExtract…(payload, …) … WHERE JSONExtractString(payload,
//! 'op') IN (…)` is `ProjectionExec` over `FilterExec` over the scan: the filter evaluates its
//! call on every row, copies the kept documents (the whole `payload` column, hundreds of
//! bytes a row), and the projection's calls then run on that copy, which the fused
//! evaluation (`fused.rs`) has to match row by row, byte for byte, against the column it
//! evaluated before gathering its results. After this rule the plan is
//!
//! ```text
//! ProjectionExec  [the projection, reading the result columns]
//!   FilterExec    [the predicate, reading the result columns; keeps only what is used above]
//!     ProjectionExec [the columns used above + every JSON call of both, once]
//!       <input>
//! ```
//!
//! so each document is parsed once in one fused pass over the unfiltered batch, and nothing
//! is matched or copied but the results of the kept rows.
//!
//! Valid because the moved calls are deterministic and cannot fail on any row: they are the
//! scalar-valued DOM functions ([`RowSink`]) on a column with constant, non-NULL paths (the
//! calls `fused.rs` evaluates), which give defaults for invalid documents instead of
//! errors. Evaluating them also on the rows the filter drops costs nothing extra in the
//! case the rule applies to: the predicate parses every row of the same column anyway, and
//! the fused pass computes the projection's calls on all of them.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

use super::eval::const_steps;
use super::funcs::JsonFunc;
use super::sink::RowSink;

/// Moves the JSON calls of a `ProjectionExec` over a `FilterExec` below the filter (see the
/// module documentation).
#[derive(Debug, Default)]
pub struct JsonCallsBelowFilter;

/// Adds [`JsonCallsBelowFilter`] to a session's physical rules, before DataFusion's final
/// `SanityCheckPlan` (the engine and the `json_extract` bench both register it this way).
pub fn add_physical_rule(rules: &mut Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>>) {
    let at = rules
        .iter()
        .position(|r| r.name() == "SanityCheckPlan")
        .unwrap_or(rules.len());
    rules.insert(at, Arc::new(JsonCallsBelowFilter));
}

impl PhysicalOptimizerRule for JsonCallsBelowFilter {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(projection) = node.downcast_ref::<ProjectionExec>() else {
                return Ok(Transformed::no(node));
            };
            Ok(match rewrite(projection)? {
                Some(p) => Transformed::yes(p),
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "json_calls_below_filter"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The rewritten plan of `projection`, or `None` when it is not a projection over a filter
/// whose predicate and projection both call JSON functions that can move.
fn rewrite(projection: &ProjectionExec) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(filter) = projection.input().downcast_ref::<FilterExec>() else {
        return Ok(None);
    };
    let input = filter.input();
    // The projection's expressions over the filter's input (the filter may project).
    let exprs: Vec<ProjectionExpr> = match filter.projection() {
        None => projection.expr().to_vec(),
        Some(p) => projection
            .expr()
            .iter()
            .map(|e| {
                Ok(ProjectionExpr {
                    expr: remap(&e.expr, |i| p.get(i).copied())?,
                    alias: e.alias.clone(),
                })
            })
            .collect::<Result<_>>()?,
    };
    let predicate = Arc::clone(filter.predicate());
    let mut calls: Vec<Arc<dyn PhysicalExpr>> = Vec::new();
    collect_calls(&predicate, &mut calls)?;
    // Only the projection's calls on a column the predicate's calls parse: those rows are
    // parsed anyway (a call on another column would now also parse the dropped rows).
    let parsed: BTreeSet<usize> = calls.iter().filter_map(json_column).collect();
    let from_predicate = calls.len();
    let mut in_projection = Vec::new();
    for e in &exprs {
        collect_calls(&e.expr, &mut in_projection)?;
    }
    for c in in_projection {
        if json_column(&c).is_some_and(|i| parsed.contains(&i)) && !calls.contains(&c) {
            calls.push(c);
        }
    }
    if from_predicate == 0 || !uses_any(&exprs, &calls)? {
        return Ok(None);
    }
    // The input columns still read directly, in input order, then the calls.
    let mut used = BTreeSet::new();
    for e in exprs.iter().map(|e| &e.expr).chain([&predicate]) {
        columns_outside_calls(e, &calls, &mut used)?;
    }
    let kept: Vec<usize> = used.into_iter().collect();
    let schema = input.schema();
    let mut below: Vec<ProjectionExpr> = kept
        .iter()
        .map(|&i| ProjectionExpr {
            expr: Arc::new(Column::new(schema.field(i).name(), i)) as Arc<dyn PhysicalExpr>,
            alias: schema.field(i).name().clone(),
        })
        .collect();
    for (k, c) in calls.iter().enumerate() {
        below.push(ProjectionExpr {
            expr: Arc::clone(c),
            alias: format!("__json_call_{k}"),
        });
    }
    let below = Arc::new(ProjectionExec::try_new(below, Arc::clone(input))?);
    let position = |i: usize| kept.iter().position(|&k| k == i);
    let predicate = over_below(&predicate, &calls, kept.len(), position)?;
    let exprs: Vec<ProjectionExpr> = exprs
        .into_iter()
        .map(|e| {
            Ok(ProjectionExpr {
                expr: over_below(&e.expr, &calls, kept.len(), position)?,
                alias: e.alias,
            })
        })
        .collect::<Result<_>>()?;
    // The filter keeps only the columns the projection reads.
    let mut read = BTreeSet::new();
    for e in &exprs {
        e.expr.apply(|n| {
            if let Some(c) = n.downcast_ref::<Column>() {
                read.insert(c.index());
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
    }
    let read: Vec<usize> = read.into_iter().collect();
    let filtered = FilterExecBuilder::from(filter)
        .with_input(below)
        .with_predicate(predicate)
        // The old projection indexed the old input: cleared, not composed with.
        .apply_projection(None)?
        .apply_projection(Some(read.clone()))?
        .build()?;
    let exprs: Vec<ProjectionExpr> = exprs
        .into_iter()
        .map(|e| {
            Ok(ProjectionExpr {
                expr: remap(&e.expr, |i| read.iter().position(|&r| r == i))?,
                alias: e.alias,
            })
        })
        .collect::<Result<_>>()?;
    let out = ProjectionExec::try_new(exprs, Arc::new(filtered))?;
    Ok(Some(Arc::new(out)))
}

/// Appends to `calls` the outermost movable JSON calls of `expr` not already there.
fn collect_calls(
    expr: &Arc<dyn PhysicalExpr>,
    calls: &mut Vec<Arc<dyn PhysicalExpr>>,
) -> Result<()> {
    expr.apply(|e| {
        if !movable(e)? {
            return Ok(TreeNodeRecursion::Continue);
        }
        if !calls.iter().any(|c| c == e) {
            calls.push(Arc::clone(e));
        }
        Ok(TreeNodeRecursion::Jump)
    })?;
    Ok(())
}

/// The input column a JSON call parses.
fn json_column(call: &Arc<dyn PhysicalExpr>) -> Option<usize> {
    call.downcast_ref::<ScalarFunctionExpr>()
        .and_then(|f| f.args().first())
        .and_then(|a| a.downcast_ref::<Column>())
        .map(Column::index)
}

/// Whether some expression of `exprs` contains one of `calls`.
fn uses_any(exprs: &[ProjectionExpr], calls: &[Arc<dyn PhysicalExpr>]) -> Result<bool> {
    let mut found = false;
    for e in exprs {
        e.expr.apply(|n| {
            found |= calls.iter().any(|c| c == n);
            Ok(if found {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        })?;
    }
    Ok(found)
}

/// Whether `e` is a JSON call the fused evaluation takes: a scalar-valued DOM function on a
/// string or binary column with constant, non-NULL paths. Such a call never fails on a row.
fn movable(e: &Arc<dyn PhysicalExpr>) -> Result<bool> {
    let Some(call) = e.downcast_ref::<ScalarFunctionExpr>() else {
        return Ok(false);
    };
    let Some(func) = call.fun().inner().downcast_ref::<JsonFunc>() else {
        return Ok(false);
    };
    if RowSink::new(func.op, 0).is_none() || matches!(call.return_type(), DataType::Null) {
        return Ok(false);
    }
    let Some((json, path)) = call.args().split_first() else {
        return Ok(false);
    };
    if json.downcast_ref::<Column>().is_none() {
        return Ok(false);
    }
    let mut steps = Vec::with_capacity(path.len());
    for p in path {
        let Some(lit) = p.downcast_ref::<Literal>() else {
            return Ok(false);
        };
        steps.push(ColumnarValue::Scalar(lit.value().clone()));
    }
    // A path argument of a type the functions reject fails whatever the rows: not moved.
    Ok(matches!(const_steps(&steps), Ok(Some(_))))
}

/// Adds to `used` the columns `expr` reads outside the calls of `calls`.
fn columns_outside_calls(
    expr: &Arc<dyn PhysicalExpr>,
    calls: &[Arc<dyn PhysicalExpr>],
    used: &mut BTreeSet<usize>,
) -> Result<()> {
    expr.apply(|e| {
        if calls.iter().any(|c| c == e) {
            return Ok(TreeNodeRecursion::Jump);
        }
        if let Some(c) = e.downcast_ref::<Column>() {
            used.insert(c.index());
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

/// `expr` over the lower projection: each call of `calls` becomes its result column (after
/// the `kept` input columns), each other column its position among the kept ones.
fn over_below(
    expr: &Arc<dyn PhysicalExpr>,
    calls: &[Arc<dyn PhysicalExpr>],
    kept: usize,
    position: impl Fn(usize) -> Option<usize>,
) -> Result<Arc<dyn PhysicalExpr>> {
    Arc::clone(expr)
        .transform_down(|e| {
            if let Some(k) = calls.iter().position(|c| c == &e) {
                let col = Arc::new(Column::new(&format!("__json_call_{k}"), kept + k));
                return Ok(Transformed::new(col, true, TreeNodeRecursion::Jump));
            }
            if let Some(c) = e.downcast_ref::<Column>() {
                let Some(i) = position(c.index()) else {
                    return Err(internal("a column missing below the filter"));
                };
                return Ok(Transformed::yes(
                    Arc::new(Column::new(c.name(), i)) as Arc<dyn PhysicalExpr>
                ));
            }
            Ok(Transformed::no(e))
        })
        .map(|t| t.data)
}

/// `expr` with every column index `i` replaced by `map(i)`.
fn remap(
    expr: &Arc<dyn PhysicalExpr>,
    map: impl Fn(usize) -> Option<usize>,
) -> Result<Arc<dyn PhysicalExpr>> {
    Arc::clone(expr)
        .transform_down(|e| {
            let Some(c) = e.downcast_ref::<Column>() else {
                return Ok(Transformed::no(e));
            };
            let Some(i) = map(c.index()) else {
                return Err(internal("a column index out of the projection"));
            };
            Ok(Transformed::yes(
                Arc::new(Column::new(c.name(), i)) as Arc<dyn PhysicalExpr>
            ))
        })
        .map(|t| t.data)
}

fn internal(what: &str) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Internal(format!("json_calls_below_filter: {what} (a bug)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    /// A session with the JSON functions and, when `rule`, [`JsonCallsBelowFilter`];
    /// table `t(p, n)`.
    fn ctx(rule: bool) -> SessionContext {
        let mut cfg = SessionConfig::new()
            .with_target_partitions(1)
            .with_batch_size(4);
        cfg.options_mut().sql_parser.enable_ident_normalization = false;
        let mut rules = PhysicalOptimizer::new().rules;
        if rule {
            add_physical_rule(&mut rules);
        }
        let state = SessionStateBuilder::new()
            .with_config(cfg)
            .with_default_features()
            .with_physical_optimizer_rules(rules)
            .build();
        let ctx = SessionContext::new_with_state(state);
        // As the engine registers them; the queries quote the names, as the engine's
        // rewrite does (DataFusion looks unquoted names up in lower case).
        for f in crate::json::functions() {
            ctx.register_udf(f);
        }
        let docs = [
            Some(r#"{"before":null,"after":{"id":1,"d":"2025-09-01","q":2},"op":"c"}"#),
            Some(r#"{"before":{"id":2},"after":{"id":2,"d":"x","q":-1},"op":"u"}"#),
            Some(r#"{"before":{"id":3},"after":null,"op":"d"}"#),
            None,
            Some(r#"{"after":"{\"id\":4,\"d\":\"s\"}","op":"r"}"#),
            Some(r#"{"after":{"id":5},"op":"c","bad"}"#),
            Some(r#"{"after":{"id":1.5e0,"d":7},"op":"c"}"#),
            Some(""),
            Some(r#"{"op":"c","after":{"id":18446744073709551615}}"#),
            Some(r#"{"op":"x"}"#),
        ];
        let schema = Arc::new(Schema::new(vec![
            Field::new("p", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let p: ArrayRef = Arc::new(StringArray::from(docs.to_vec()));
        let n: ArrayRef = Arc::new(Int64Array::from_iter_values(0..docs.len() as i64));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![p, n]);
        let Ok(batch) = batch else { panic!("batch") };
        let table = MemTable::try_new(schema, vec![vec![batch]]);
        let Ok(table) = table else { panic!("table") };
        assert!(ctx.register_table("t", Arc::new(table)).is_ok());
        ctx
    }

    /// The query's result as text, and its physical plan.
    fn run(ctx: &SessionContext, sql: &str) -> (String, String) {
        let rt = tokio::runtime::Builder::new_current_thread().build();
        let Ok(rt) = rt else { panic!("runtime") };
        rt.block_on(async {
            let df = ctx.sql(sql).await;
            let Ok(df) = df else {
                return (format!("{:?}", df.err()), String::new());
            };
            let plan = match df.clone().create_physical_plan().await {
                Ok(p) => displayable(p.as_ref()).indent(false).to_string(),
                Err(e) => return (format!("ERROR {e}"), String::new()),
            };
            let out = match df.collect().await {
                Ok(b) => {
                    pretty_format_batches(&b).map_or_else(|e| e.to_string(), |t| t.to_string())
                }
                Err(e) => format!("ERROR {e}"),
            };
            (out, plan)
        })
    }

    /// With the rule, the same results as without it; `moved` says whether the plan
    /// should have changed.
    fn same(sql: &str, moved: bool) {
        let (want, before) = run(&ctx(false), sql);
        let (got, after) = run(&ctx(true), sql);
        assert_eq!(got, want, "{sql}\n{after}");
        assert!(!want.starts_with("ERROR"), "{want}");
        assert_eq!(after.contains("__json_call_"), moved, "{sql}\n{after}");
        assert_eq!(before == after, !moved, "{sql}\n{before}\n{after}");
    }

    #[test]
    fn seed_view_calls_move_below_the_filter() {
        let sql = "SELECT \"JSONExtractUInt\"(\"JSONExtractString\"(p, 'after'), 'id') AS id, \
            \"JSONExtractString\"(\"JSONExtractString\"(p, 'after'), 'd') AS d, \
            \"JSONExtractInt\"(\"JSONExtractString\"(p, 'after'), 'q') AS q, \
            \"JSONExtractString\"(p, 'op') AS op \
            FROM t WHERE \"JSONExtractString\"(p, 'op') IN ('c', 'u', 'r')";
        same(sql, true);
        let (_, plan) = run(&ctx(true), sql);
        let lines: Vec<&str> = plan.lines().map(str::trim_start).collect();
        // Projection, then the filter, then the projection computing the calls.
        assert!(lines.len() >= 3, "{plan}");
        assert!(lines[0].starts_with("ProjectionExec"), "{plan}");
        assert!(lines[1].starts_with("FilterExec"), "{plan}");
        assert!(
            lines[2].starts_with("ProjectionExec") && lines[2].contains("__json_call_"),
            "{plan}"
        );
        assert!(
            !lines[2].contains("p@0 as p"),
            "the documents are not copied: {plan}"
        );
    }

    #[test]
    fn other_columns_and_expressions_keep_their_values() {
        same(
            "SELECT n, p, \"JSONHas\"(p, 'before') + n AS h FROM t \
             WHERE \"JSONExtractString\"(p, 'op') = 'c' AND n > 0",
            true,
        );
        same(
            "SELECT n * 2 AS m, \"JSONExtractRaw\"(p, 'after') AS a FROM t \
             WHERE n % 2 = 0 OR \"JSONExtractUInt\"(p, 'after', 'id') > 1",
            true,
        );
        same(
            "SELECT \"JSONExtractString\"(p, 'op') AS op FROM t WHERE \"JSONLength\"(p) > 2",
            true,
        );
    }

    #[test]
    fn plans_without_a_shared_json_column_stay() {
        // No JSON call in the predicate.
        same(
            "SELECT \"JSONExtractString\"(p, 'op') AS op FROM t WHERE n > 3",
            false,
        );
        // No JSON call in the projection.
        same(
            "SELECT n FROM t WHERE \"JSONExtractString\"(p, 'op') = 'c'",
            false,
        );
        // Typed `JSONExtract` does not move (only scalar-valued calls do).
        same(
            "SELECT \"JSONExtract\"(p, 'after', 'Tuple(id UInt64)') AS a, n FROM t \
             WHERE \"JSONHas\"(p, 'op') = 1",
            false,
        );
    }
}
