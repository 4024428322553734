//! `{name:Type}` query parameters (HTTP `param_<name>`, the native protocol's parameters,
//! `SET param_<name> = value`, `sluice local --param_<name>=value`): each placeholder becomes
//! `CAST('<value>' AS Type)`, as ClickHouse parses the value's text as that type. They are
//! bound in queries, `INSERT … SELECT` and `INSERT … VALUES` rows, `CREATE TABLE … AS
//! SELECT`, `DELETE FROM … WHERE` and `ALTER … DELETE/UPDATE`. A placeholder without a value
//! is `UNKNOWN_QUERY_PARAMETER` (456), ClickHouse's "Substitution `x` is not set."; one in
//! `CREATE VIEW` makes a parameterized view, bound when it is queried as `v(x = 1)`
//! (`view_params.rs`). `{name:Identifier}` is replaced by the identifier in the SQL text before
//! parsing ([`substitute_identifiers`]), with the parameters known then (a request's, the
//! session's, `--param_`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, LimitClause, Query, Value, VisitMut, VisitorMut, visit_expressions_mut,
};
use sluice_common::{Error, ErrorCode, Result};
use sluice_sql::{AlterCommand, InsertSource, ParsedStatement, Statement, query_parameter};

/// Replaces the placeholders of `stmt` with `params`' values (names without `param_`,
/// values in ClickHouse's escaped text form; the first of a name wins).
pub fn bind(stmt: &mut ParsedStatement, params: &[(String, String)]) -> Result<()> {
    bind_statement(&mut stmt.statement, params)
}

fn bind_statement(stmt: &mut Statement, params: &[(String, String)]) -> Result<()> {
    match stmt {
        Statement::Query(q) => bind_node(q.as_mut(), params),
        Statement::Insert(i) => match &mut i.source {
            InsertSource::Select(q) => bind_node(q.as_mut(), params),
            InsertSource::Values { data } => {
                *data = bind_text(data, params)?;
                Ok(())
            }
            _ => Ok(()),
        },
        Statement::CreateTable(ct) => match &mut ct.as_select {
            Some(q) => bind_node(q.as_mut(), params),
            None => Ok(()),
        },
        // A placeholder in `CREATE VIEW` makes a parameterized view (`view_params.rs`): it
        // is bound when the view is queried as `v(name = value)`.
        Statement::CreateView(_) => Ok(()),
        Statement::Delete { selection, .. } => bind_node(selection, params),
        Statement::Alter(a) => {
            for c in a.commands.iter_mut() {
                match c {
                    AlterCommand::Delete { selection, .. } => bind_node(selection, params)?,
                    AlterCommand::Update {
                        assignments,
                        selection,
                        ..
                    } => {
                        for (_, e) in assignments.iter_mut() {
                            bind_node(e, params)?;
                        }
                        bind_node(selection, params)?;
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Statement::Explain(e) => bind_statement(e.statement.as_mut(), params),
        _ => Ok(()),
    }
}

fn value_of<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| unknown_parameter(name))
}

/// ClickHouse's error for a placeholder without a value.
pub(super) fn unknown_parameter(name: &str) -> Error {
    Error::new(
        ErrorCode::UNKNOWN_QUERY_PARAMETER,
        format!("Substitution `{name}` is not set"),
    )
}

fn bind_node<V: VisitMut>(node: &mut V, params: &[(String, String)]) -> Result<()> {
    bind_limits(node, params)?;
    replace_placeholders(node, |name, ty| {
        let value = value_of(params, name)?;
        check_integer(name, value, ty)?;
        cast_expr(value, ty)
    })
}

/// Replaces each `{name:Type}` placeholder expression of `node` by `bound(name, type)`,
/// stopping at the first error.
pub(super) fn replace_placeholders<V: VisitMut>(
    node: &mut V,
    mut bound: impl FnMut(&str, &str) -> Result<Expr>,
) -> Result<()> {
    let mut failure = None;
    let _ = visit_expressions_mut(node, |e: &mut Expr| {
        let Expr::Value(v) = e else {
            return ControlFlow::<()>::Continue(());
        };
        let Some((name, ty)) = query_parameter(&v.value) else {
            return ControlFlow::Continue(());
        };
        match bound(&name, &ty) {
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

/// Binds the integer placeholders of `LIMIT`/`OFFSET` clauses to number literals.
pub(super) fn bind_limits<V: VisitMut>(node: &mut V, params: &[(String, String)]) -> Result<()> {
    let mut limits = LimitNumbers {
        params,
        failure: None,
    };
    let _ = node.visit(&mut limits);
    limits.failure.map_or(Ok(()), Err)
}

/// ClickHouse's check of an integer parameter: the whole text must read as the number
/// (`1.5` as `Int32` reads one byte of three), else `BAD_QUERY_PARAMETER`.
pub(super) fn check_integer(name: &str, value: &str, ty: &str) -> Result<()> {
    if !integer_type(ty) {
        return Ok(());
    }
    let signed = ty.starts_with("Int");
    let sign = usize::from(signed && value.starts_with(['-', '+']));
    let digits = value[sign..].bytes().take_while(u8::is_ascii_digit).count();
    let parsed = if digits == 0 { 0 } else { sign + digits };
    if parsed == value.len() && parsed > 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::BAD_QUERY_PARAMETER,
        format!(
            "Value {value} cannot be parsed as {ty} for query parameter '{name}' because it \
             isn't parsed completely: only {parsed} of {} bytes was parsed: {}",
            value.len(),
            &value[..parsed]
        ),
    ))
}

/// Integer placeholders of `LIMIT`/`OFFSET` become number literals (the limit must be a
/// constant number there, not a `CAST`).
struct LimitNumbers<'a> {
    params: &'a [(String, String)],
    failure: Option<Error>,
}

impl LimitNumbers<'_> {
    fn number(&mut self, e: &mut Expr) {
        let Expr::Value(v) = e else {
            return;
        };
        let Some((name, ty)) = query_parameter(&v.value) else {
            return;
        };
        if !integer_type(&ty) {
            return;
        }
        match value_of(self.params, &name)
            .and_then(|value| check_integer(&name, value, &ty).map(|()| value))
        {
            Ok(value) => v.value = Value::Number(value.trim_start_matches('+').into(), false),
            Err(err) => self.failure = Some(err),
        }
    }
}

impl VisitorMut for LimitNumbers<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        match &mut q.limit_clause {
            Some(LimitClause::LimitOffset { limit, offset, .. }) => {
                if let Some(l) = limit {
                    self.number(l);
                }
                if let Some(o) = offset {
                    self.number(&mut o.value);
                }
            }
            Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
                self.number(offset);
                self.number(limit);
            }
            None => {}
        }
        ControlFlow::Continue(())
    }
}

fn integer_type(ty: &str) -> bool {
    matches!(
        ty,
        "UInt8" | "UInt16" | "UInt32" | "UInt64" | "Int8" | "Int16" | "Int32" | "Int64"
    )
}

/// The placeholders of raw `VALUES` rows text replaced by `CAST('<value>' AS Type)` (text
/// in quotes or backquotes is left alone).
fn bind_text(data: &str, params: &[(String, String)]) -> Result<String> {
    substitute(data, |name, ty| {
        let value = value_of(params, name)?;
        check_integer(name, value, ty)?;
        Ok(Some(format!("CAST({} AS {ty})", quote(value))))
    })
}

/// `sql` with its `{name:Identifier}` placeholders replaced by the (backquoted) identifiers
/// `params` give, before parsing (an identifier is part of the syntax). A placeholder without
/// a value is `UNKNOWN_QUERY_PARAMETER` when `last` (no later parameters can give it), else
/// left as it is.
pub fn substitute_identifiers(
    sql: &str,
    params: &[(String, String)],
    last: bool,
) -> Result<String> {
    substitute(sql, |name, ty| {
        if ty != "Identifier" {
            return Ok(None);
        }
        let value = match value_of(params, name) {
            Ok(v) => v,
            Err(e) if last => return Err(e),
            Err(_) => return Ok(None),
        };
        let parts: Vec<String> = value
            .split('.')
            .map(|p| format!("`{}`", p.replace('\\', "\\\\").replace('`', "\\`")))
            .collect();
        Ok(Some(parts.join(".")))
    })
}

/// `text` with each `{name:Type}` outside quotes replaced by `replace(name, type)` (kept
/// when it gives `None`).
fn substitute(
    text: &str,
    mut replace: impl FnMut(&str, &str) -> Result<Option<String>>,
) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '\'' | '"' | '`' => {
                let end = quoted_end(rest, c);
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            '{' => match placeholder_at(rest) {
                Some((len, name, ty)) => {
                    match replace(name, ty)? {
                        Some(r) => out.push_str(&r),
                        None => out.push_str(&rest[..len]),
                    }
                    rest = &rest[len..];
                }
                None => {
                    out.push('{');
                    rest = &rest[1..];
                }
            },
            c => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Ok(out)
}

/// The byte length of the quoted text at the start of `s` (quote `q`, backslash escapes).
fn quoted_end(s: &str, q: char) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == q {
            return i + c.len_utf8();
        }
    }
    s.len()
}

/// `{name:Type}` at the start of `s`: its length, name and type.
fn placeholder_at(s: &str) -> Option<(usize, &str, &str)> {
    let close = s.find('}')?;
    let (name, ty) = s[1..close].split_once(':')?;
    let name = name.trim();
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid && !ty.trim().is_empty()).then(|| (close + 1, name, ty.trim()))
}

/// `CAST('<value>' AS ty)`, parsed by Sluice's own parser so the type reads as anywhere.
pub(super) fn cast_expr(value: &str, ty: &str) -> Result<Expr> {
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
