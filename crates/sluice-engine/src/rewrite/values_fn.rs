//! The `values` table function as a `VALUES` derived table:
//!
//! ```sql
//! values('a UInt8, b String', (1, 'x'), (2, 'y'))
//! -- becomes
//! (VALUES (_CAST(1, 'UInt8'), _CAST('x', 'String')), (…)) AS values(a, b)
//! ```
//!
//! Without a structure (`values((1, 'x'), (300, 'y'))`, `values(1, 2)`) the columns are
//! `c1`, `c2`, … typed from the literals (their common supertype per column). A first
//! argument that is a string reading as `name Type, …` is the structure; any other string
//! is a row (`values('a', 'b')` has one String column).

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Parens, Query, SetExpr,
    TableAlias, TableAliasColumnDef, TableFactor, Value, ValueWithSpan, Values,
};
use sluice_common::{Error, ErrorCode, Result};

use super::expr::{call, lit_str, rewrite_expr};
use super::functions::function_name;
use super::query::RewriteContext;

/// The derived table for `values(args…) [AS alias]`.
pub(super) fn values_table(
    args: &[FunctionArg],
    alias: Option<TableAlias>,
    ctx: &RewriteContext,
) -> Result<TableFactor> {
    let mut exprs = Vec::with_capacity(args.len());
    for a in args {
        match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => exprs.push(e.clone()),
            other => {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!("Unexpected argument {other} of table function VALUES"),
                ));
            }
        }
    }
    let structure = match exprs.first() {
        Some(Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        })) if exprs.len() > 1 && sluice_sql::is_structure(s) => {
            Some(sluice_sql::parse_structure(s)?)
        }
        _ => None,
    };
    let rows_args = if structure.is_some() {
        &exprs[1..]
    } else {
        &exprs[..]
    };
    if rows_args.is_empty() {
        return Err(Error::new(
            ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Table function VALUES requires at least 1 row",
        ));
    }
    let width = match &structure {
        Some(cols) => cols.len(),
        None => row_items(&rows_args[0]).len(),
    };
    let mut rows = Vec::with_capacity(rows_args.len());
    for r in rows_args {
        let items = if width == 1 {
            vec![single_value(r)]
        } else {
            row_items(r)
        };
        if items.len() != width {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "Table function VALUES requires all but the first argument (rows \
                     specification) to be either tuples or single values: row {r} has {} \
                     values, the structure {width}",
                    items.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(width);
        for (i, mut v) in items.into_iter().enumerate() {
            rewrite_expr(&mut v, ctx)?;
            out.push(match &structure {
                Some(cols) => call("_CAST", vec![v, lit_str(&cols[i].1)]),
                None => v,
            });
        }
        rows.push(Parens::with_empty_span(out));
    }
    let names: Vec<String> = match &structure {
        Some(cols) => cols.iter().map(|(n, _)| n.clone()).collect(),
        None => (1..=width).map(|i| format!("c{i}")).collect(),
    };
    let table_alias = TableAlias {
        explicit: true,
        name: alias.map_or_else(|| Ident::new("values"), |a| a.name),
        columns: names
            .into_iter()
            .map(|n| TableAliasColumnDef {
                name: Ident::with_quote('"', n),
                data_type: None,
            })
            .collect(),
        at: None,
    };
    Ok(TableFactor::Derived {
        lateral: false,
        subquery: Box::new(Query {
            with: None,
            body: Box::new(SetExpr::Values(Values {
                explicit_row: false,
                value_keyword: false,
                rows,
            })),
            order_by: None,
            limit_clause: None,
            fetch: None,
            locks: vec![],
            for_clause: None,
            settings: None,
            format_clause: None,
            pipe_operators: vec![],
        }),
        alias: Some(table_alias),
        sample: None,
    })
}

/// The values of one row argument: a tuple's elements, or the value itself.
fn row_items(e: &Expr) -> Vec<Expr> {
    match e {
        Expr::Tuple(items) => items.clone(),
        Expr::Nested(inner) => vec![(**inner).clone()],
        Expr::Function(f) if function_name(f).eq_ignore_ascii_case("tuple") => match &f.args {
            FunctionArguments::List(l) => l
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        },
        other => vec![other.clone()],
    }
}

/// A row of a one-column structure: `(v)` and `v` are the value.
fn single_value(e: &Expr) -> Expr {
    match e {
        Expr::Nested(inner) => (**inner).clone(),
        other => other.clone(),
    }
}
