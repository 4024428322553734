//! ClickHouse's names for the columns of a join's right side: a right-side column whose
//! name a relation to its left also has is called `<alias>.<name>` in the join's result
//! (`SELECT x.id, y.id FROM t AS x JOIN t AS y …` → `id`, `y.id`; `SELECT *` likewise),
//! while DataFusion names both `id`. Read from the top projection of the logical plan:
//! a selected column (bare or under its own name's alias) qualified by a relation whose
//! name an earlier field of the join below has under another qualifier.

use datafusion::logical_expr::{Distinct, Expr, LogicalPlan, Projection};

/// The ClickHouse name of each output column that differs from DataFusion's (by position;
/// `None` keeps DataFusion's).
pub(super) fn join_column_names(plan: &LogicalPlan) -> Vec<Option<String>> {
    let mut node = plan;
    loop {
        match node {
            LogicalPlan::Sort(s) => node = s.input.as_ref(),
            LogicalPlan::Limit(l) => node = l.input.as_ref(),
            LogicalPlan::Distinct(Distinct::All(input)) => node = input.as_ref(),
            LogicalPlan::Projection(p) => return projection_names(p),
            _ => return Vec::new(),
        }
    }
}

/// The first join under `plan` (through its first inputs).
fn first_join(plan: &LogicalPlan) -> Option<&LogicalPlan> {
    match plan {
        LogicalPlan::Join(_) => Some(plan),
        LogicalPlan::TableScan(_) | LogicalPlan::SubqueryAlias(_) => None,
        other => other.inputs().into_iter().find_map(first_join),
    }
}

fn projection_names(p: &Projection) -> Vec<Option<String>> {
    let Some(join) = first_join(p.input.as_ref()) else {
        return Vec::new();
    };
    let input = join.schema();
    p.expr
        .iter()
        .map(|e| {
            let col = match e {
                Expr::Column(c) => c,
                Expr::Alias(a) => match a.expr.as_ref() {
                    Expr::Column(c)
                        if a.name.split(crate::rewrite::DUP_MARK).next()
                            == Some(c.name.as_str()) =>
                    {
                        c
                    }
                    _ => return None,
                },
                _ => return None,
            };
            let q = col.relation.as_ref()?;
            let own = input.index_of_column(col).ok()?;
            let clash = input
                .iter()
                .take(own)
                .any(|(qual, f)| f.name() == &col.name && qual.is_some_and(|x| x != q));
            clash.then(|| format!("{}.{}", q.table(), col.name))
        })
        .collect()
}
