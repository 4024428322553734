//! `{name:Type}` query parameters (HTTP `param_<name>`, the native protocol's parameters):
//! each placeholder becomes `CAST('<value>' AS Type)`, as ClickHouse parses the value's
//! text as that type. A placeholder without a value is `UNKNOWN_QUERY_PARAMETER` (456),
//! ClickHouse's "Substitution `x` is not set."

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Query, visit_expressions_mut};
use sluice_common::{Error, ErrorCode, Result};
use sluice_sql::{InsertSource, ParsedStatement, Statement, query_parameter};

/// Replaces the placeholders of `stmt`'s queries (a SELECT, an `INSERT … SELECT`) with
/// `params`' values (names without `param_`, values in ClickHouse's escaped text form).
pub fn bind(stmt: &mut ParsedStatement, params: &[(String, String)]) -> Result<()> {
    match &mut stmt.statement {
        Statement::Query(q) => bind_query(q, params),
        Statement::Insert(i) => match &mut i.source {
            InsertSource::Select(q) => bind_query(q, params),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn bind_query(q: &mut Query, params: &[(String, String)]) -> Result<()> {
    let mut failure = None;
    let _ = visit_expressions_mut(q, |e: &mut Expr| {
        let Expr::Value(v) = e else {
            return ControlFlow::<()>::Continue(());
        };
        let Some((name, ty)) = query_parameter(&v.value) else {
            return ControlFlow::Continue(());
        };
        let Some((_, value)) = params.iter().find(|(n, _)| *n == name) else {
            failure = Some(Error::new(
                ErrorCode::UNKNOWN_QUERY_PARAMETER,
                format!("Substitution `{name}` is not set"),
            ));
            return ControlFlow::Break(());
        };
        match cast_expr(value, &ty) {
            Ok(x) => {
                *e = x;
                ControlFlow::Continue(())
            }
            Err(err) => {
                failure = Some(err);
                ControlFlow::Break(())
            }
        }
    });
    failure.map_or(Ok(()), Err)
}

/// `CAST('<value>' AS ty)`, parsed by Sluice's own parser so the type reads as anywhere.
fn cast_expr(value: &str, ty: &str) -> Result<Expr> {
    let sql = format!("SELECT CAST({} AS {ty})", quote(value));
    let parsed = sluice_sql::parse_statements(&sql)?;
    let expr = parsed.into_iter().next().and_then(|p| match p.statement {
        Statement::Query(q) => match *q.body {
            datafusion::sql::sqlparser::ast::SetExpr::Select(s) => {
                s.projection.into_iter().next().and_then(|i| match i {
                    datafusion::sql::sqlparser::ast::SelectItem::UnnamedExpr(e) => Some(e),
                    _ => None,
                })
            }
            _ => None,
        },
        _ => None,
    });
    expr.ok_or_else(|| {
        Error::new(
            ErrorCode::BAD_QUERY_PARAMETER,
            format!("Cannot parse the value of a parameter of type {ty}"),
        )
    })
}

/// A single-quoted literal of escaped text: backslash escapes are kept as they are (the
/// escaped form's `\t`, `\\`, `\'` mean the same in a literal), bare quotes are escaped.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                out.push(chars.next().unwrap_or('\\'));
            }
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}
