//! A window over an input with no columns (`SELECT 1 FROM system.one LIMIT 1 BY rand()`:
//! nothing of the table is read) fails in DataFusion's window operator, which rebuilds
//! its input batches and cannot give a batch without columns a row count. After
//! optimization (so that the column is not pruned again), such a window reads a one-column
//! projection of its input, and a projection above it drops that column again.

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, LogicalPlan, Projection, Window, lit};

const ROW_COLUMN: &str = "__sluice_row";

/// Gives every window of `plan` whose input has no columns a placeholder column.
pub fn give_windows_a_column(plan: LogicalPlan) -> DfResult<LogicalPlan> {
    plan.transform_up(|node| {
        let LogicalPlan::Window(w) = &node else {
            return Ok(Transformed::no(node));
        };
        if !w.input.schema().fields().is_empty() {
            return Ok(Transformed::no(node));
        }
        let input = Projection::try_new(vec![lit(0u8).alias(ROW_COLUMN)], Arc::clone(&w.input))?;
        let window = Window::try_new(
            w.window_expr.clone(),
            Arc::new(LogicalPlan::Projection(input)),
        )?;
        let keep: Vec<Expr> = w
            .schema
            .iter()
            .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
            .collect();
        let out = Projection::try_new(keep, Arc::new(LogicalPlan::Window(window)))?;
        Ok(Transformed::yes(LogicalPlan::Projection(out)))
    })
    .map(|t| t.data)
}
