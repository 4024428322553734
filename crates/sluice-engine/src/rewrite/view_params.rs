//! Parameterized views: `CREATE VIEW v AS SELECT … {name:Type} …` queried as
//! `SELECT … FROM v(name = value, …)`. As in ClickHouse, each argument's value is turned
//! into the text of a query parameter (a string's characters, a number as printed, `\N` for
//! `NULL`, an array or tuple as its literal) and the view's placeholders are bound to it
//! exactly as `param_<name>` would be, with the same checks (`BAD_QUERY_PARAMETER` 457 for
//! `lo = -1` as `UInt32`, `UNKNOWN_QUERY_PARAMETER` 456 for a placeholder no argument names).
//! Arguments that are not `name = value` are ignored, unused names too, and of two arguments
//! with one name the last wins. A value that is not a literal (`toUInt32(1)`,
//! `concat('a', 'b')`) is bound as `CAST(toString(value) AS Type)`.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, Query, UnaryOperator, Value,
    visit_expressions,
};
use sluice_common::Result;
use sluice_sql::query_parameter;

use super::expr::call;
use super::query_params::{
    bind_limits, cast_expr, check_integer, replace_placeholders, unknown_parameter,
};

/// One argument of a parameterized view: its name and what it binds.
pub(crate) struct ViewArg {
    name: String,
    value: ArgValue,
}

enum ArgValue {
    /// A literal's parameter text (escaped form).
    Text(String),
    /// Any other expression.
    Expr(Box<Expr>),
}

/// Whether a view's query has `{name:Type}` placeholders.
pub(crate) fn is_parameterized(query: &Query) -> bool {
    visit_expressions(query, |e: &Expr| match e {
        Expr::Value(v) if query_parameter(&v.value).is_some() => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// The `name = value` arguments of `v(…)`, last one of a name first.
pub(crate) fn view_args(args: &[FunctionArg]) -> Vec<ViewArg> {
    let mut out = Vec::new();
    for a in args.iter().rev() {
        let (name, value) = match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            })) => match left.as_ref() {
                Expr::Identifier(id) => (id.value.clone(), right.as_ref()),
                _ => continue,
            },
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            } => (name.value.clone(), e),
            _ => continue,
        };
        let value = match literal_text(value, false) {
            Some(text) => ArgValue::Text(text),
            None => ArgValue::Expr(Box::new(value.clone())),
        };
        out.push(ViewArg { name, value });
    }
    out
}

/// Binds `query`'s placeholders to `args` (see the module docs).
pub(crate) fn bind_view(query: &mut Query, args: &[ViewArg]) -> Result<()> {
    let texts: Vec<(String, String)> = args
        .iter()
        .filter_map(|a| match &a.value {
            ArgValue::Text(t) => Some((a.name.clone(), t.clone())),
            ArgValue::Expr(_) => None,
        })
        .collect();
    // `LIMIT {n:UInt64}` and the like need plain numbers, before the casts below.
    bind_limits(query, &texts)?;
    replace_placeholders(query, |name, ty| bound(name, ty, args))
}

fn bound(name: &str, ty: &str, args: &[ViewArg]) -> Result<Expr> {
    let Some(arg) = args.iter().find(|a| a.name == name) else {
        return Err(unknown_parameter(name));
    };
    match &arg.value {
        ArgValue::Text(text) if text == "\\N" && ty.starts_with("Nullable(") => cast_expr_null(ty),
        ArgValue::Text(text) if text == "\\N" && is_string_type(ty) => cast_expr("", ty),
        ArgValue::Text(text) => {
            check_integer(name, text, ty)?;
            cast_expr(text, ty)
        }
        ArgValue::Expr(e) => {
            let mut cast = cast_expr("", ty)?;
            if let Expr::Cast { expr, .. } = &mut cast {
                **expr = call("toString", vec![e.as_ref().clone()]);
            }
            Ok(cast)
        }
    }
}

/// `CAST(NULL AS Nullable(T))`, through Sluice's parser so the type reads as anywhere.
fn cast_expr_null(ty: &str) -> Result<Expr> {
    let mut cast = cast_expr("", ty)?;
    if let Expr::Cast { expr, .. } = &mut cast {
        **expr = Expr::value(Value::Null);
    }
    Ok(cast)
}

fn is_string_type(ty: &str) -> bool {
    ty == "String" || ty.starts_with("FixedString(") || ty == "LowCardinality(String)"
}

/// The parameter text ClickHouse makes of a literal argument: strings unquoted at the top
/// (`nested`: quoted, inside arrays and tuples), numbers as written without a leading `+`,
/// `\N` for `NULL`; `None` for anything that is not a literal.
fn literal_text(e: &Expr, nested: bool) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(if nested {
                format!("'{}'", escape(s))
            } else {
                escape(s)
            }),
            Value::Number(n, _) => Some(number_text(n)),
            Value::Boolean(b) => Some(b.to_string()),
            Value::Null => Some(if nested { "NULL".into() } else { "\\N".into() }),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => Some(format!("-{}", number_text(n))),
                _ => None,
            },
            _ => None,
        },
        Expr::Nested(inner) => literal_text(inner, nested),
        Expr::Array(a) => {
            let items: Option<Vec<String>> = a.elem.iter().map(|x| literal_text(x, true)).collect();
            Some(format!("[{}]", items?.join(",")))
        }
        Expr::Tuple(t) => {
            let items: Option<Vec<String>> = t.iter().map(|x| literal_text(x, true)).collect();
            Some(format!("({})", items?.join(",")))
        }
        _ => None,
    }
}

/// A number literal as ClickHouse prints the constant: integers as written, floats in
/// their shortest form (`1.50` → `1.5`, `1e3` → `1000`).
fn number_text(n: &str) -> String {
    if n.bytes().all(|b| b.is_ascii_digit()) {
        return n.to_string();
    }
    match n.parse::<f64>() {
        Ok(f) if f.is_finite() => format!("{f}"),
        _ => n.to_string(),
    }
}

/// A string in the escaped text form of a query parameter.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}
