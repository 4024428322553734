//! ClickHouse's result column names for a top-level select list, given to DataFusion as
//! explicit aliases: an unnamed expression is named as ClickHouse prints it (`plus(a, 1)`,
//! subqueries `_subquery_N` numbered through the query), a qualified column `x.id` is `id`
//! unless an alias of the same select list is `id` (then `x.id`), and names may repeat
//! (`SELECT x.id, id`): DataFusion needs unique ones, so repeats carry a hidden suffix
//! after [`DUP_MARK`] that the output schema strips.

use std::collections::{HashMap, HashSet};

use datafusion::sql::sqlparser::ast::{Expr, Ident, SelectItem, SetExpr};

use super::query::DUP_MARK;

/// Names the unnamed items of `body`'s select list(s).
pub(super) fn name_columns(body: &mut SetExpr) {
    match body {
        SetExpr::Select(s) => {
            let aliases: HashSet<String> = s
                .projection
                .iter()
                .filter_map(|i| match i {
                    SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
                    _ => None,
                })
                .collect();
            let mut used: HashMap<String, usize> = aliases.iter().map(|a| (a.clone(), 1)).collect();
            // ClickHouse numbers subqueries through the query (`_subquery_3`): those of
            // FROM first, then the select list's in order.
            let mut next_subquery = 1 + sluice_sql::count_queries(&s.from);
            for item in s.projection.iter_mut() {
                let e = match item {
                    SelectItem::ExprWithAlias { expr, .. } => {
                        next_subquery += sluice_sql::count_queries(expr);
                        continue;
                    }
                    SelectItem::UnnamedExpr(e) => e,
                    _ => continue,
                };
                let name = match e {
                    Expr::CompoundIdentifier(parts) => {
                        let short = parts.last().map(|p| p.value.clone()).unwrap_or_default();
                        if !aliases.contains(&short) {
                            let n = used.entry(short.clone()).or_insert(0);
                            *n += 1;
                            if *n == 1 {
                                // DataFusion names the column `id` itself.
                                continue;
                            }
                            format!("{short}{DUP_MARK}{n}")
                        } else {
                            // The written `x.id` also needs the mark: unmarked, it would be
                            // the same name as the qualified column `x.id AS id` plans to.
                            let full: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
                            let full = full.join(".");
                            let n = used.entry(full.clone()).or_insert(0);
                            *n += 1;
                            format!("{full}{DUP_MARK}{n}")
                        }
                    }
                    _ => {
                        let name = sluice_sql::format_numbered_column_name(e, &mut next_subquery);
                        let n = used.entry(name.clone()).or_insert(0);
                        *n += 1;
                        if *n > 1 {
                            format!("{name}{DUP_MARK}{n}")
                        } else {
                            name
                        }
                    }
                };
                *item = SelectItem::ExprWithAlias {
                    expr: e.clone(),
                    alias: Ident::with_quote('"', name),
                };
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            name_columns(left);
            name_columns(right);
        }
        SetExpr::Query(q) => name_columns(&mut q.body),
        _ => {}
    }
}
