//! [`format_column_name`]: the result column name ClickHouse gives an unaliased select
//! expression (`1 + 2` → `plus(1, 2)`, `count(DISTINCT x)` → `countDistinct(x)`,
//! `x -> x + 1` → `lambda(tuple(x), plus(x, 1))`). Scalar subqueries are named
//! `_subquery` here; ClickHouse appends a per-query counter (`_subquery_2`) that only
//! the planner can know.

use datafusion::sql::sqlparser::ast::Expr;

use crate::canon::{Canon, canon};

/// ClickHouse's default column name for `expr`.
pub fn format_column_name(expr: &Expr) -> String {
    name(&canon(expr))
}

fn list(items: &[Canon]) -> String {
    items.iter().map(name).collect::<Vec<_>>().join(", ")
}

fn name(c: &Canon) -> String {
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
                return format!("({})", list(args));
            }
            if let Some(p) = params {
                s.push_str(&format!("({})", list(p)));
            }
            // `count(*)` is named `count()`.
            let args: &[Canon] =
                if n.eq_ignore_ascii_case("count") && args.as_slice() == [Canon::Star] {
                    &[]
                } else {
                    args
                };
            s.push_str(&format!("({})", list(args)));
            if let Some(o) = over {
                s.push_str(" OVER ");
                s.push_str(o);
            }
            s
        }
        Canon::Lambda { params, body } => {
            format!("lambda(tuple({}), {})", params.join(", "), name(body))
        }
        Canon::Array(items) => format!("[{}]", list(items)),
        Canon::Tuple(items) => format!("({})", list(items)),
        Canon::Star => "*".to_string(),
        Canon::Subquery(_) => "_subquery".to_string(),
        Canon::Raw(r) => r.clone(),
    }
}
