//! `arrayJoin`/`ARRAY JOIN` element types. DataFusion's unnest types the element column
//! from the list's Arrow type only, always nullable and without field metadata, so
//! `arrayJoin(['a'])` would read as `Nullable(String)` and an `Array(Bool)` element as
//! `UInt8`. ClickHouse's element is exactly the array's element type: the unnested field is
//! replaced by the list's item field (name kept), the engine's typing wrapper
//! `__sluice_unnested` (see `sluice_functions::array::unnested`) is removed, and the plans
//! above recompute their schemas.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{Expr, LogicalPlan};

/// `__sluice_unnested(element, array)` → `element` (the wrapper only typed the element
/// during planning).
fn strip_wrapper(e: Expr) -> Result<Transformed<Expr>> {
    match e {
        Expr::ScalarFunction(f)
            if f.func.name() == sluice_functions::array::unnested::UNNESTED
                && !f.args.is_empty() =>
        {
            let mut args = f.args;
            Ok(Transformed::yes(args.swap_remove(0)))
        }
        other => Ok(Transformed::no(other)),
    }
}

/// Gives every single-level unnest of `plan` (subqueries included) its element type.
/// Plans without an unnest are returned as they are.
pub fn exact_unnest_types(plan: LogicalPlan) -> Result<LogicalPlan> {
    let mut has_unnest = false;
    plan.apply_with_subqueries(|n| {
        has_unnest |= matches!(n, LogicalPlan::Unnest(_));
        Ok(if has_unnest {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })?;
    if !has_unnest {
        return Ok(plan);
    }
    plan.transform_up_with_subqueries(|node| match node {
        LogicalPlan::Unnest(mut u) => {
            let input = u.input.schema();
            let mut fields: Vec<_> = u
                .schema
                .iter()
                .map(|(q, f)| (q.cloned(), Arc::clone(f)))
                .collect();
            let mut changed = false;
            for (idx, list) in &u.list_type_columns {
                if list.depth != 1 || *idx >= input.fields().len() {
                    continue;
                }
                let item = match input.field(*idx).data_type() {
                    DataType::List(item) | DataType::LargeList(item) => Arc::clone(item),
                    DataType::FixedSizeList(item, _) => Arc::clone(item),
                    _ => continue,
                };
                let name = &list.output_column.name;
                if let Some((_, f)) = fields.iter_mut().find(|(_, f)| f.name() == name) {
                    // List items are often nullable Arrow fields of a non-Nullable type.
                    let nullable = sluice_common::ChType::from_field(&item).is_nullable();
                    *f = Arc::new(
                        item.as_ref()
                            .clone()
                            .with_name(name.clone())
                            .with_nullable(nullable),
                    );
                    changed = true;
                }
            }
            if !changed {
                return Ok(Transformed::no(LogicalPlan::Unnest(u)));
            }
            let schema = DFSchema::new_with_metadata(fields, u.schema.metadata().clone())?
                .with_functional_dependencies(u.schema.functional_dependencies().clone())?;
            u.schema = Arc::new(schema);
            Ok(Transformed::yes(LogicalPlan::Unnest(u)))
        }
        other => {
            let names = NamePreserver::new(&other);
            let node = other
                .map_expressions(|e| {
                    let saved = names.save(&e);
                    e.transform_up(strip_wrapper)
                        .map(|t| t.update_data(|e| saved.restore(e)))
                })?
                .data;
            let before = Arc::clone(node.schema());
            let node = node.recompute_schema()?;
            if node.schema() == &before {
                Ok(Transformed::no(node))
            } else {
                Ok(Transformed::yes(node))
            }
        }
    })
    .map(|t| t.data)
}
