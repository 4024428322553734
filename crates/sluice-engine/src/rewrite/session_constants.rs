//! Functions whose value is a constant of the query, replaced by a literal before planning
//! (as ClickHouse folds them): `timezone()`/`timeZone()`, `currentUser()`/`user()`/
//! `current_user()`, `currentQueryID()`/`queryID()`/`query_id()` and `getSetting('name')`.
//! As literals they can be arguments that must be constant (`toString(t, timezone())`), and
//! `getSetting` gets ClickHouse's result type: the setting's value typed as a literal
//! (`65409` → `UInt16`, `true` → `Bool`, seconds and floats → `Float64`, the rest `String`).

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Value,
};
use sluice_common::{Error, ErrorCode, Result};

use super::expr::{call, lit_num, lit_str};
use super::query::RewriteContext;

/// The literal that replaces the call `f`, or `None` when `f` is not such a function.
pub(super) fn query_constant(f: &Function, ctx: &RewriteContext) -> Result<Option<Expr>> {
    if f.over.is_some() {
        return Ok(None);
    }
    let args: Vec<&FunctionArg> = match &f.args {
        FunctionArguments::List(l) => l.args.iter().collect(),
        FunctionArguments::None => Vec::new(),
        FunctionArguments::Subquery(_) => return Ok(None),
    };
    let name = super::functions::function_name(f);
    let nullary = |value: &str| -> Result<Option<Expr>> {
        if !args.is_empty() {
            return Err(arg_count(&name, args.len(), 0));
        }
        Ok(Some(lit_str(value)))
    };
    match name.as_str() {
        "timezone" | "timeZone" if args.is_empty() => Ok(Some(lit_str(&ctx.timezone))),
        "currentUser" | "user" | "current_user" => nullary(&ctx.user),
        "currentQueryID" | "queryID" | "query_id" => nullary(&ctx.query_id),
        "getSetting" => {
            let [arg] = args.as_slice() else {
                return Err(arg_count(&name, args.len(), 1));
            };
            let setting = match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
                    Value::SingleQuotedString(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            };
            let Some(setting) = setting else {
                return Err(Error::new(
                    ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                    "The argument of function getSetting should be a constant string with the \
                     name of a setting",
                ));
            };
            setting_literal(ctx, &setting).map(Some)
        }
        _ => Ok(None),
    }
}

fn arg_count(name: &str, passed: usize, should: usize) -> Error {
    Error::new(
        ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
        format!(
            "Number of arguments for function {name} doesn't match: passed {passed}, should be \
             {should}"
        ),
    )
}

/// The value of setting `name` in this query as a ClickHouse literal of its type.
fn setting_literal(ctx: &RewriteContext, name: &str) -> Result<Expr> {
    let def = sluice_common::settings::registry()
        .get(name)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::UNKNOWN_SETTING,
                format!("Unknown setting '{name}'"),
            )
        })?;
    let value = ctx
        .settings
        .get(name)
        .unwrap_or_else(|| def.default.to_string());
    let numeric = |v: &str| v.parse::<f64>().is_ok();
    Ok(match def.ty {
        "Bool" => Expr::Value(Value::Boolean(value == "1" || value == "true").into()),
        "MaxThreads" => lit_num(&max_threads(&value).to_string()),
        "UInt64" | "NonZeroUInt64" | "UInt32" | "UInt8" | "Int64" | "Int32" | "Milliseconds"
        | "UInt64Auto"
            if value.parse::<i128>().is_ok() =>
        {
            lit_num(&value)
        }
        "Float" | "Double" | "Seconds" | "FloatAuto" if numeric(&value) => {
            call("toFloat64", vec![lit_num(&value)])
        }
        _ => lit_str(&value),
    })
}

/// `max_threads`' number: `auto(N)` is N, `auto` and 0 are the number of cores.
fn max_threads(value: &str) -> u64 {
    if let Some(n) = value
        .strip_prefix("auto(")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|n| n.parse().ok())
    {
        return n;
    }
    match value.parse::<u64>() {
        Ok(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
    }
}
