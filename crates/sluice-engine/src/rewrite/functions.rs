//! Function-call rewrites: ClickHouse names (canonical spelling, `count(DISTINCT)`,
//! `arrayJoin`, `map`), parametric aggregates `f(params)(args)`, arguments read at planning
//! time, and lambdas.

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, ObjectNamePart, UnaryOperator, Value,
};
use sluice_common::{Error, ErrorCode, Result};

use super::expr::{call, lit_num, rewrite_expr};
use super::query::RewriteContext;

/// `countState()` / `countState(*)` (a `count` combination without arguments: `-State`,
/// `-OrNull`, `-OrDefault`) planned as `countStateIf(1)`: DataFusion plans no aggregate
/// without arguments, and the `-If` form counts its condition's rows into the same
/// `AggregateFunction(count)` state. Returns the new name.
fn count_without_arguments(f: &mut Function, name: &str) -> Option<String> {
    let mut rest = name.strip_prefix("count")?;
    if rest.is_empty() {
        return None;
    }
    // `*` among a count combination's arguments stands for no argument (`countIf(*, c)`).
    if let FunctionArguments::List(l) = &mut f.args
        && l.duplicate_treatment.is_none()
    {
        l.args
            .retain(|a| !matches!(a, FunctionArg::Unnamed(FunctionArgExpr::Wildcard)));
    }
    while !rest.is_empty() {
        rest = ["State", "OrNull", "OrDefault"]
            .iter()
            .find_map(|c| rest.strip_suffix(c))?;
    }
    let no_args = match &f.args {
        FunctionArguments::None => true,
        FunctionArguments::List(l) => l.args.is_empty(),
        FunctionArguments::Subquery(_) => false,
    };
    if !no_args {
        return None;
    }
    let renamed = format!("{name}If");
    set_function_name(f, &renamed);
    f.args = FunctionArguments::List(FunctionArgumentList {
        duplicate_treatment: None,
        args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(lit_num("1")))],
        clauses: vec![],
    });
    Some(renamed)
}

pub(super) fn function_name(f: &Function) -> String {
    f.name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Function names are quoted so DataFusion does not lower-case them (ClickHouse's are
/// case-sensitive).
pub(super) fn set_function_name(f: &mut Function, name: &str) {
    f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote(
        '"', name,
    ))]);
}

/// Arguments (by index) of a function that must stay untyped literals because the function
/// reads them at planning time (scale, precision, element index…).
pub(super) fn is_constant_param(func: &str, idx: usize) -> bool {
    matches!(
        (func, idx),
        ("tupleElement", 1)
            | (
                "toDecimal32" | "toDecimal64" | "toDecimal128" | "toDecimal256",
                1
            )
            | (
                "toDecimal32OrZero"
                    | "toDecimal64OrZero"
                    | "toDecimal128OrZero"
                    | "toDecimal256OrZero",
                1
            )
            | (
                "toDecimal32OrNull"
                    | "toDecimal64OrNull"
                    | "toDecimal128OrNull"
                    | "toDecimal256OrNull",
                1
            )
            | (
                "toDecimal32OrDefault"
                    | "toDecimal64OrDefault"
                    | "toDecimal128OrDefault"
                    | "toDecimal256OrDefault",
                1
            )
            | (
                "toDateTime64"
                    | "toDateTime64OrNull"
                    | "toDateTime64OrZero"
                    | "toDateTime64OrDefault"
                    | "now64",
                _
            )
            | (
                "parseDateTime64BestEffort"
                    | "parseDateTime64BestEffortOrNull"
                    | "parseDateTime64BestEffortOrZero",
                1
            )
            | ("toFixedString", 1)
            | ("makeDateTime64", 7)
            | ("toStartOfInterval", _)
            | (
                "round" | "roundBankers" | "floor" | "ceil" | "trunc" | "truncate",
                1
            )
            | ("JSONExtract" | "JSONExtractKeysAndValues", _)
            | ("generateRandom" | "numbers" | "zeros", _)
            | ("emptyArrayToSingle", _)
            | ("toDecimalString", 1)
            | (
                "toWeek"
                    | "WEEK"
                    | "week"
                    | "toYearWeek"
                    | "YEARWEEK"
                    | "yearweek"
                    | "toDayOfWeek"
                    | "DAYOFWEEK"
                    | "dayofweek"
                    | "toStartOfWeek"
                    | "toLastDayOfWeek",
                1
            )
    )
}

/// Rewrites one function call: canonical name, ClickHouse spellings DataFusion lacks,
/// parametric aggregates.
pub(super) fn rewrite_function(f: &mut Function, ctx: &RewriteContext) -> Result<()> {
    let mut name = function_name(f);
    if let Some(canonical) = ctx.canonical_function(&name) {
        name = canonical;
    }
    if f.name.0.len() == 1 {
        set_function_name(f, &name);
    }
    // count(DISTINCT x) → uniqExact(x); countDistinct → uniqExact.
    if let FunctionArguments::List(list) = &mut f.args {
        let distinct = matches!(
            list.duplicate_treatment,
            Some(datafusion::sql::sqlparser::ast::DuplicateTreatment::Distinct)
        );
        if distinct && name.eq_ignore_ascii_case("count") {
            list.duplicate_treatment = None;
            set_function_name(f, "uniqExact");
            name = "uniqExact".into();
        }
    }
    unit_keyword_argument(f, &name);
    if name == "arrayJoin" {
        // ClickHouse's arrayJoin multiplies rows like DataFusion's unnest.
        set_function_name(f, "unnest");
        name = "unnest".into();
    }
    if name == "map" {
        // DataFusion's planner intercepts `map(…)` and builds its own (nullable-valued) map.
        set_function_name(f, "__ch_map");
        name = "__ch_map".into();
    }
    if name == "countDistinct" {
        set_function_name(f, "uniqExact");
        name = "uniqExact".into();
    }
    super::uniq_injective::strip_injective_arguments(f, &name);
    // Parametric aggregates: f(params)(args) → the aggregate named `f(p1, p2)` (see
    // sluice_functions::aggregate), resolved and registered for this query.
    let params: Vec<Expr> = match std::mem::replace(&mut f.parameters, FunctionArguments::None) {
        FunctionArguments::List(l) => l
            .args
            .into_iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if let Some(renamed) = count_without_arguments(f, &name) {
        name = renamed;
    }
    if !params.is_empty() {
        let ps: Vec<String> = params.iter().map(sluice_sql::format_expr).collect();
        let full = format!("{name}({})", ps.join(", "));
        ctx.require_aggregate(&full)?;
        set_function_name(f, &full);
        name = full;
    } else if !ctx.functions.contains(&name) {
        // Combinator forms (`sumForEachIf`) are built on demand.
        let _ = ctx.require_aggregate(&name);
    }
    // count() counts rows: DataFusion needs an argument.
    if name == "count" {
        if let FunctionArguments::List(list) = &mut f.args {
            if list.args.is_empty() {
                list.args
                    .push(FunctionArg::Unnamed(FunctionArgExpr::Expr(lit_num("1"))));
            }
        } else if matches!(f.args, FunctionArguments::None) {
            f.args = FunctionArguments::List(FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(lit_num("1")))],
                clauses: vec![],
            });
        }
    }
    let params: Vec<Expr> = Vec::new();
    if let FunctionArguments::List(list) = &mut f.args {
        for (i, a) in list.args.iter_mut().enumerate() {
            let ex = match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => x,
                FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(x),
                    ..
                } => x,
                FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(x),
                    ..
                } => x,
                _ => continue,
            };
            if is_constant_param(&name, i) && is_plain_literal(ex) {
                continue;
            }
            rewrite_expr(ex, ctx)?;
        }
        for p in params {
            list.args
                .push(FunctionArg::Unnamed(FunctionArgExpr::Expr(p)));
        }
    } else if !params.is_empty() {
        f.args = FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: params
                .into_iter()
                .map(|p| FunctionArg::Unnamed(FunctionArgExpr::Expr(p)))
                .collect(),
            clauses: vec![],
        });
    }
    if let Some(filter) = &mut f.filter {
        rewrite_expr(filter, ctx)?;
    }
    // `OVER (PARTITION BY … ORDER BY …)` holds ordinary expressions.
    if let Some(datafusion::sql::sqlparser::ast::WindowType::WindowSpec(spec)) = &mut f.over {
        for e in spec.partition_by.iter_mut() {
            rewrite_expr(e, ctx)?;
        }
        for o in spec.order_by.iter_mut() {
            rewrite_expr(&mut o.expr, ctx)?;
        }
    }
    Ok(())
}

/// `dateDiff(MONTH, a, b)`, `DATE_ADD(YEAR, 3, d)`, `timestamp_sub(SQL_TSI_DAY, 1, t)`: a
/// bare interval-kind keyword as the unit argument becomes the unit's name as a string, as
/// ClickHouse's parser reads it (`MONTH` → `'month'`; `SQL_TSI_` prefixes are dropped).
fn unit_keyword_argument(f: &mut Function, name: &str) {
    if !matches!(
        name.to_ascii_lowercase().as_str(),
        "datediff"
            | "date_diff"
            | "timestampdiff"
            | "timestamp_diff"
            | "date_add"
            | "dateadd"
            | "timestamp_add"
            | "timestampadd"
            | "date_sub"
            | "datesub"
            | "timestamp_sub"
            | "timestampsub"
    ) {
        return;
    }
    let FunctionArguments::List(list) = &mut f.args else {
        return;
    };
    let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) = list.args.first_mut() else {
        return;
    };
    let Expr::Identifier(id) = first else {
        return;
    };
    if id.quote_style.is_some() {
        return;
    }
    let upper = id.value.to_ascii_uppercase();
    let kind = upper.strip_prefix("SQL_TSI_").unwrap_or(&upper);
    const KINDS: &[&str] = &[
        "NANOSECOND",
        "NS",
        "MICROSECOND",
        "US",
        "MILLISECOND",
        "MS",
        "SECOND",
        "SS",
        "S",
        "MINUTE",
        "MI",
        "N",
        "HOUR",
        "HH",
        "H",
        "DAY",
        "DD",
        "D",
        "WEEK",
        "WK",
        "WW",
        "MONTH",
        "MM",
        "M",
        "QUARTER",
        "QQ",
        "Q",
        "YEAR",
        "YYYY",
        "YY",
    ];
    let singular = kind
        .strip_suffix('S')
        .filter(|k| k.len() > 2)
        .unwrap_or(kind);
    if KINDS.contains(&kind) || KINDS.contains(&singular) {
        *first = super::expr::lit_str(&kind.to_ascii_lowercase());
    }
}

pub(super) fn is_plain_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => matches!(expr.as_ref(), Expr::Value(_)),
        _ => false,
    }
}

pub(super) fn has_lambda(f: &Function) -> bool {
    match &f.args {
        FunctionArguments::List(l) => l.args.iter().any(|a| {
            matches!(
                a,
                FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Lambda(_)))
            )
        }),
        _ => false,
    }
}

/// The lambda's parameter names.
fn lambda_params(lambda: &datafusion::sql::sqlparser::ast::LambdaFunction) -> Vec<String> {
    match &lambda.params {
        datafusion::sql::sqlparser::ast::OneOrManyWithParens::One(p) => vec![p.name.value.clone()],
        datafusion::sql::sqlparser::ast::OneOrManyWithParens::Many(ps) => {
            ps.iter().map(|p| p.name.value.clone()).collect()
        }
    }
}

/// The lambda's rewritten body and the outer columns it captures (identifiers that are not
/// parameters).
fn lambda_body(
    lambda: &datafusion::sql::sqlparser::ast::LambdaFunction,
    params: &[String],
    ctx: &RewriteContext,
) -> Result<(Expr, Vec<String>)> {
    let mut body = (*lambda.body).clone();
    rewrite_expr(&mut body, ctx)?;
    let mut captured: Vec<String> = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(&body, |x: &Expr| {
        if let Expr::Identifier(id) = x
            && !params.contains(&id.value)
            && !captured.contains(&id.value)
        {
            captured.push(id.value.clone());
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    Ok((body, captured))
}

/// `arrayFold((acc, x…) -> body, arrays…, init)`: see [`crate::lambda_fold`].
fn fold_call(
    lambda: &datafusion::sql::sqlparser::ast::LambdaFunction,
    rest: Vec<Expr>,
    ctx: &RewriteContext,
) -> Result<Expr> {
    let params = lambda_params(lambda);
    if params.len() < 2 || rest.len() != params.len() {
        return Err(Error::new(
            ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            format!(
                "Function arrayFold needs a lambda of the accumulator and one parameter per array, then the arrays and the initial value: the lambda takes {} arguments, {} other arguments were passed",
                params.len(),
                rest.len()
            ),
        ));
    }
    let (body, captured) = lambda_body(lambda, &params, ctx)?;
    Ok(register_lambda(ctx, &captured, rest, |name| {
        datafusion::logical_expr::ScalarUDF::new_from_impl(crate::lambda_fold::FoldUdf::new(
            name,
            params,
            captured.clone(),
            body,
            std::sync::Arc::clone(&ctx.lambda_state),
        ))
    }))
}

/// Registers the query's next lambda UDF (`make` builds it from its name) and returns its
/// call on `args` followed by the captured outer columns.
fn register_lambda(
    ctx: &RewriteContext,
    captured: &[String],
    mut args: Vec<Expr>,
    make: impl FnOnce(String) -> datafusion::logical_expr::ScalarUDF,
) -> Expr {
    let n = ctx.extra_scalars.borrow().len();
    let udf_name = format!("__lambda_{n}");
    let udf = make(udf_name.clone());
    ctx.extra_scalars.borrow_mut().push(udf);
    for c in captured {
        args.push(Expr::Identifier(Ident::with_quote('"', c.clone())));
    }
    call(&udf_name, args)
}

/// `f(x -> body, arrays…)`: see [`crate::lambda`].
pub(super) fn lambda_call(f: &Function, ctx: &RewriteContext) -> Result<Expr> {
    let mut name = function_name(f);
    if let Some(c) = ctx.canonical_function(&name) {
        name = c;
    }
    let FunctionArguments::List(list) = &f.args else {
        return Err(Error::internal("lambda call without arguments"));
    };
    let mut args: Vec<Expr> = Vec::new();
    for a in &list.args {
        match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => args.push(x.clone()),
            other => {
                return Err(Error::not_implemented(format!(
                    "argument {other} of {name}"
                )));
            }
        }
    }
    let Some(Expr::Lambda(lambda)) = args.first().cloned() else {
        return Err(Error::new(
            ErrorCode::BAD_ARGUMENTS,
            format!("First argument of function {name} must be a lambda"),
        ));
    };
    let mut rest: Vec<Expr> = args[1..].to_vec();
    for x in rest.iter_mut() {
        rewrite_expr(x, ctx)?;
    }
    if name == "arrayFold" {
        return fold_call(&lambda, rest, ctx);
    }
    let arrays: Vec<Expr> = if matches!(
        name.as_str(),
        "arrayPartialSort" | "arrayPartialReverseSort"
    ) {
        rest.iter().skip(1).cloned().collect()
    } else {
        rest.clone()
    };
    let params = lambda_params(&lambda);
    if arrays.len() != params.len() {
        return Err(Error::new(
            ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            format!(
                "Lambda for function {name} takes {} arguments but {} arrays were passed",
                params.len(),
                arrays.len()
            ),
        ));
    }
    let (body, captured) = lambda_body(&lambda, &params, ctx)?;
    let mapped = register_lambda(ctx, &captured, arrays.clone(), |name| {
        datafusion::logical_expr::ScalarUDF::new_from_impl(crate::lambda::LambdaUdf::new(
            name,
            params,
            captured.clone(),
            body,
            std::sync::Arc::clone(&ctx.lambda_state),
        ))
    });
    let a1 = arrays
        .first()
        .cloned()
        .unwrap_or(Expr::Value(Value::Null.into()));
    Ok(match name.as_str() {
        "arrayMap" => mapped,
        "arrayFilter" => call("__sluice_arrayFilter", vec![a1, mapped]),
        "arraySort" | "arrayPartialSort" => call("__sluice_arraySort", vec![a1, mapped]),
        "arrayReverseSort" | "arrayPartialReverseSort" => {
            call("__sluice_arrayReverseSort", vec![a1, mapped])
        }
        "arrayFirst" => call("__sluice_arrayFirst", vec![a1, mapped]),
        "arrayLast" => call("__sluice_arrayLast", vec![a1, mapped]),
        "arrayFirstIndex" => call("__sluice_arrayFirstIndex", vec![mapped]),
        "arrayLastIndex" => call("__sluice_arrayLastIndex", vec![mapped]),
        "arrayFill" => call("__sluice_arrayFill", vec![a1, mapped]),
        "arrayReverseFill" => call("__sluice_arrayReverseFill", vec![a1, mapped]),
        "arraySplit" => call("__sluice_arraySplit", vec![a1, mapped]),
        "arrayReverseSplit" => call("__sluice_arrayReverseSplit", vec![a1, mapped]),
        "arrayCount" | "arrayExists" | "arrayAll" | "arraySum" | "arrayMin" | "arrayMax"
        | "arrayAvg" | "arrayProduct" | "arrayCumSum" => call(&name, vec![mapped]),
        other => {
            return Err(Error::not_implemented(format!(
                "lambda argument of function {other}"
            )));
        }
    })
}
