//! [`format_expr`]: an expression in ClickHouse's SQL formatting, as `SHOW CREATE TABLE`
//! and `formatQuery` print it: operators stay operators but every operand that is itself
//! an operator is parenthesised (`1 + (2 * 3)`, `(a > 1) AND (NOT b)`), and the forms
//! ClickHouse rewrites while parsing are rewritten (`CASE` → `multiIf`, `BETWEEN` →
//! comparisons, `INTERVAL 1 DAY` → `toIntervalDay(1)`, `CAST(x AS T)` → `CAST(x, 'T')`,
//! `a || b` → `concat(a, b)`, `count(DISTINCT x)` → `countDistinct(x)`).

use datafusion::sql::sqlparser::ast::{Expr, Query};

use crate::canon::{Canon, canon, ident_sql};

/// ClickHouse's SQL text for `expr`.
pub fn format_expr(expr: &Expr) -> String {
    sql(&canon(expr))
}

/// A query's SQL text (sqlparser's printing; used for view definitions).
pub fn format_query(query: &Query) -> String {
    query.to_string()
}

fn infix(name: &str) -> Option<&'static str> {
    Some(match name {
        "plus" => "+",
        "minus" => "-",
        "multiply" => "*",
        "divide" => "/",
        "modulo" => "%",
        "equals" => "=",
        "notEquals" => "!=",
        "less" => "<",
        "lessOrEquals" => "<=",
        "greater" => ">",
        "greaterOrEquals" => ">=",
        "and" => "AND",
        "or" => "OR",
        "isNotDistinctFrom" => "<=>",
        "like" => "LIKE",
        "notLike" => "NOT LIKE",
        "ilike" => "ILIKE",
        "notILike" => "NOT ILIKE",
        _ => return None,
    })
}

/// Whether `c` prints as an operator (and so needs parentheses as an operand).
fn is_operator(c: &Canon) -> bool {
    match c {
        Canon::Func { name, op: true, .. } => name != "concat",
        Canon::Func { name, args, .. } => name == "tupleElement" && tuple_index(args).is_some(),
        Canon::Lambda { .. } => true,
        _ => false,
    }
}

fn tuple_index(args: &[Canon]) -> Option<&str> {
    match args {
        [_, Canon::Literal(l)] if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) => Some(l),
        _ => None,
    }
}

fn operand(c: &Canon) -> String {
    if is_operator(c) {
        format!("({})", sql(c))
    } else {
        sql(c)
    }
}

fn list(items: &[Canon]) -> String {
    items.iter().map(sql).collect::<Vec<_>>().join(", ")
}

fn sql(c: &Canon) -> String {
    match c {
        Canon::Ident(parts) => ident_sql(parts),
        Canon::Literal(l) => l.clone(),
        Canon::Func {
            name,
            params,
            args,
            over,
            op,
        } => {
            if (*op || name == "tupleElement")
                && let Some(s) = operator_sql(name, args)
            {
                return s;
            }
            let mut s = name.clone();
            if let Some(p) = params {
                s.push_str(&format!("({})", list(p)));
            }
            s.push_str(&format!("({})", list(args)));
            if let Some(o) = over {
                s.push_str(" OVER ");
                s.push_str(o);
            }
            s
        }
        Canon::Lambda { params, body } => {
            let p = if params.len() == 1 {
                params[0].clone()
            } else {
                format!("({})", params.join(", "))
            };
            format!("{p} -> {}", operand(body))
        }
        Canon::Array(items) => format!("[{}]", list(items)),
        Canon::Tuple(items) => format!("({})", list(items)),
        Canon::Star => "*".to_string(),
        Canon::Subquery(q, _) => format!("({q})"),
        Canon::Raw(r) => r.clone(),
    }
}

fn operator_sql(name: &str, args: &[Canon]) -> Option<String> {
    if let Some(sym) = infix(name) {
        if args.len() < 2 {
            return None;
        }
        return Some(
            args.iter()
                .map(operand)
                .collect::<Vec<_>>()
                .join(&format!(" {sym} ")),
        );
    }
    match (name, args) {
        ("not", [a]) => Some(format!("NOT {}", operand(a))),
        ("negate", [a]) => Some(format!("-{}", operand(a))),
        ("isNull", [a]) => Some(format!("{} IS NULL", operand(a))),
        ("isNotNull", [a]) => Some(format!("{} IS NOT NULL", operand(a))),
        ("in" | "notIn", [a, b]) => {
            let rhs = match b {
                Canon::Tuple(_) | Canon::Subquery(..) => sql(b),
                other => format!("({})", sql(other)),
            };
            let kw = if name == "in" { "IN" } else { "NOT IN" };
            Some(format!("{} {kw} {rhs}", operand(a)))
        }
        ("arrayElement", [a, i]) => Some(format!("{}[{}]", operand(a), sql(i))),
        ("tupleElement", [a, _]) => tuple_index(args).map(|i| format!("{}.{i}", operand(a))),
        _ => None,
    }
}
