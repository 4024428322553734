//! [`format_column_name`]: the result column name ClickHouse gives an unaliased select
//! expression (`1 + 2` → `plus(1, 2)`, `count(DISTINCT x)` → `countDistinct(x)`,
//! `x -> x + 1` → `lambda(tuple(x), plus(x, 1))`). Subqueries are `_subquery_N`, numbered
//! through the query as ClickHouse does ([`format_numbered_column_name`]: the caller
//! passes the number of the expression's first subquery).

use datafusion::sql::sqlparser::ast::Expr;

use crate::canon::{Canon, canon};

/// ClickHouse's default column name for `expr` (its subqueries numbered from 1).
pub fn format_column_name(expr: &Expr) -> String {
    format_numbered_column_name(expr, &mut 1)
}

/// ClickHouse's default column name for `expr`, its subqueries numbered from
/// `*next_subquery` in the order ClickHouse meets them (a subquery before the ones inside
/// it); `*next_subquery` ends past the expression's last one.
pub fn format_numbered_column_name(expr: &Expr, next_subquery: &mut usize) -> String {
    name(&canon(expr), next_subquery)
}

fn list(items: &[Canon], next: &mut usize) -> String {
    items
        .iter()
        .map(|c| name(c, next))
        .collect::<Vec<_>>()
        .join(", ")
}

fn name(c: &Canon, next: &mut usize) -> String {
    match c {
        Canon::Ident(parts) => parts.join("."),
        Canon::Literal(l) => l.clone(),
        Canon::Func {
            name: n,
            params,
            args,
            over,
            ..
        } => {
            let mut s = n.clone();
            if n == "tuple" {
                return format!("({})", list(args, next));
            }
            if let Some(p) = params {
                s.push_str(&format!("({})", list(p, next)));
            }
            // `count(*)` is named `count()`, `countState(*)` `countState()`, `countIf(*, c)`
            // `countIf(c)`.
            let counted: Vec<Canon>;
            let args: &[Canon] =
                if n.to_ascii_lowercase().starts_with("count") && args.contains(&Canon::Star) {
                    counted = args
                        .iter()
                        .filter(|a| **a != Canon::Star)
                        .cloned()
                        .collect();
                    &counted
                } else {
                    args
                };
            s.push_str(&format!("({})", list(args, next)));
            if let Some(o) = over {
                s.push_str(" OVER ");
                s.push_str(o);
            }
            s
        }
        Canon::Lambda { params, body } => {
            format!("lambda(tuple({}), {})", params.join(", "), name(body, next))
        }
        Canon::Array(items) => format!("[{}]", list(items, next)),
        Canon::Tuple(items) => format!("({})", list(items, next)),
        Canon::Star => "*".to_string(),
        Canon::Subquery(_, inner) => {
            let n = *next;
            *next += 1 + inner;
            format!("_subquery_{n}")
        }
        Canon::Raw(r) => r.clone(),
    }
}
