//! Expression-level rewrites (see the module doc of [`super`]).

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, DataType, DateTimeField, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, ObjectName, ObjectNamePart,
    Subscript, UnaryOperator, Value, ValueWithSpan,
};
use datafusion::sql::sqlparser::tokenizer::Span;
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::query::RewriteContext;

/// A string literal expression.
pub fn lit_str(s: &str) -> Expr {
    Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(s.to_string()),
        span: Span::empty(),
    })
}

fn lit_num(s: &str) -> Expr {
    Expr::Value(ValueWithSpan {
        value: Value::Number(s.to_string(), false),
        span: Span::empty(),
    })
}

/// `name(args…)` call.
pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote(
            '"', name,
        ))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn cast_to(e: Expr, dt: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(e),
        data_type: dt,
        array: false,
        format: None,
    }
}

/// The ClickHouse type a SQL data type in the AST denotes.
pub fn ch_type_of_sql(dt: &DataType) -> Result<ChType> {
    ChType::parse(&sluice_sql::cast_type_text(dt))
}

/// A ClickHouse-typed integer literal: the smallest UInt for non-negative values, the
/// smallest Int for negative ones (as ClickHouse types `1`, `300`, `-1`).
fn typed_int(text: &str, negative: bool) -> Option<Expr> {
    if text.contains(['.', 'e', 'E', 'x', 'X', 'b', 'B']) {
        return None;
    }
    let v: u128 = text.parse().ok()?;
    let digits = if negative {
        format!("-{text}")
    } else {
        text.to_string()
    };
    let dt = if negative {
        if v <= 128 {
            DataType::TinyInt(None)
        } else if v <= 32768 {
            DataType::SmallInt(None)
        } else if v <= 2_147_483_648 {
            DataType::Int(None)
        } else if v <= 9_223_372_036_854_775_808 {
            DataType::BigInt(None)
        } else {
            return None;
        }
    } else if v <= u8::MAX as u128 {
        DataType::TinyIntUnsigned(None)
    } else if v <= u16::MAX as u128 {
        DataType::SmallIntUnsigned(None)
    } else if v <= u32::MAX as u128 {
        DataType::IntUnsigned(None)
    } else if v <= u64::MAX as u128 {
        DataType::BigIntUnsigned(None)
    } else {
        return None;
    };
    Some(cast_to(lit_num(&digits), dt))
}

fn interval_unit(field: &DateTimeField) -> Option<&'static str> {
    Some(match field {
        DateTimeField::Year | DateTimeField::Years => "Years",
        DateTimeField::Quarter => "Quarters",
        DateTimeField::Month | DateTimeField::Months => "Months",
        DateTimeField::Week(_) | DateTimeField::Weeks => "Weeks",
        DateTimeField::Day | DateTimeField::Days => "Days",
        DateTimeField::Hour | DateTimeField::Hours => "Hours",
        DateTimeField::Minute | DateTimeField::Minutes => "Minutes",
        DateTimeField::Second | DateTimeField::Seconds => "Seconds",
        DateTimeField::Millisecond | DateTimeField::Milliseconds => "Milliseconds",
        DateTimeField::Microsecond | DateTimeField::Microseconds => "Microseconds",
        DateTimeField::Nanosecond | DateTimeField::Nanoseconds => "Nanoseconds",
        _ => return None,
    })
}

/// Splits `INTERVAL '1 day'` / `INTERVAL 1 DAY` into (value expr, unit).
fn interval_parts(iv: &datafusion::sql::sqlparser::ast::Interval) -> Option<(Expr, &'static str)> {
    if let Some(f) = &iv.leading_field {
        return Some(((*iv.value).clone(), interval_unit(f)?));
    }
    if let Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(s),
        ..
    }) = iv.value.as_ref()
    {
        let mut it = s.split_whitespace();
        let n = it.next()?;
        let unit = it.next()?.to_ascii_lowercase();
        let unit = unit.trim_end_matches('s');
        let u = match unit {
            "year" => "Years",
            "quarter" => "Quarters",
            "month" => "Months",
            "week" => "Weeks",
            "day" => "Days",
            "hour" => "Hours",
            "minute" => "Minutes",
            "second" => "Seconds",
            "millisecond" => "Milliseconds",
            "microsecond" => "Microseconds",
            "nanosecond" => "Nanoseconds",
            _ => return None,
        };
        return Some((lit_num(n), u));
    }
    None
}

fn function_name(f: &Function) -> String {
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
fn set_function_name(f: &mut Function, name: &str) {
    f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote(
        '"', name,
    ))]);
}

/// Arguments (by index) of a function that must stay untyped literals because the function
/// reads them at planning time (scale, precision, element index…).
fn is_constant_param(func: &str, idx: usize) -> bool {
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
                "toDecimal32OrDefault" | "toDecimal64OrDefault" | "toDecimal128OrDefault",
                1
            )
            | (
                "toDateTime64" | "toDateTime64OrNull" | "toDateTime64OrZero" | "now64",
                _
            )
            | (
                "parseDateTime64BestEffort"
                    | "parseDateTime64BestEffortOrNull"
                    | "parseDateTime64BestEffortOrZero",
                1
            )
            | ("toFixedString", 1)
            | ("toStartOfInterval", _)
            | (
                "round" | "roundBankers" | "floor" | "ceil" | "trunc" | "truncate",
                1
            )
            | ("JSONExtract" | "JSONExtractKeysAndValues", _)
            | ("generateRandom" | "numbers" | "zeros", _)
            | ("emptyArrayToSingle", _)
            | ("toDecimalString", 1)
    )
}

/// Applies the expression rewrites in place (recursively).
pub fn rewrite_expr(e: &mut Expr, ctx: &RewriteContext) -> Result<()> {
    if let Expr::CompoundIdentifier(parts) = e
        && parts.len() == 2
        && parts[0].quote_style.is_none()
        && !ctx.relations.borrow().iter().any(|r| *r == parts[0].value)
    {
        // `n.x` with no relation `n`: the column `n.x` (Nested), as ClickHouse reads it.
        let name = format!("{}.{}", parts[0].value, parts[1].value);
        *e = Expr::Identifier(datafusion::sql::sqlparser::ast::Ident::with_quote(
            '"', name,
        ));
        return Ok(());
    }
    match e {
        Expr::Identifier(id)
            if id.quote_style.is_none()
                && matches!(
                    id.value.to_ascii_lowercase().as_str(),
                    "nan" | "inf" | "infinity"
                ) =>
        {
            let v = if id.value.eq_ignore_ascii_case("nan") {
                "NaN"
            } else {
                "inf"
            };
            *e = lit_num(v);
        }
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => {
            if let Some(t) = typed_int(n, false) {
                *e = t;
            }
        }
        Expr::Value(ValueWithSpan {
            value: Value::Boolean(b),
            ..
        }) => {
            let b = *b;
            *e = call(
                "_CAST",
                vec![lit_num(if b { "1" } else { "0" }), lit_str("Bool")],
            );
        }
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => {
            if let Expr::Value(ValueWithSpan {
                value: Value::Number(n, _),
                ..
            }) = expr.as_ref()
            {
                if let Some(t) = typed_int(n, true) {
                    *e = t;
                    return Ok(());
                }
                if !n.contains(['x', 'X']) {
                    let v = format!("-{n}");
                    *e = lit_num(&v);
                    return Ok(());
                }
            }
            rewrite_expr(expr, ctx)?;
            let inner = std::mem::replace(expr.as_mut(), Expr::Value(Value::Null.into()));
            *e = call("negate", vec![inner]);
        }
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => {
            rewrite_expr(expr, ctx)?;
            let inner = std::mem::replace(expr.as_mut(), Expr::Value(Value::Null.into()));
            *e = inner;
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => {
            rewrite_expr(expr, ctx)?;
            let inner = std::mem::replace(expr.as_mut(), Expr::Value(Value::Null.into()));
            *e = Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr: Box::new(call("__ch_bool", vec![inner])),
            };
        }
        Expr::UnaryOp { expr, .. } => rewrite_expr(expr, ctx)?,
        Expr::BinaryOp { left, op, right } => {
            // INTERVAL arithmetic: x ± INTERVAL n UNIT → addUnits/subtractUnits(x, n).
            if matches!(op, BinaryOperator::Plus | BinaryOperator::Minus) {
                let (l_iv, r_iv) = (interval_of(left), interval_of(right));
                if let Some((n, unit)) = r_iv.or(if *op == BinaryOperator::Plus {
                    l_iv.clone()
                } else {
                    None
                }) {
                    let base = if interval_of(right).is_some() {
                        left.as_mut()
                    } else {
                        right.as_mut()
                    };
                    rewrite_expr(base, ctx)?;
                    let mut n = n;
                    rewrite_expr(&mut n, ctx)?;
                    let b = std::mem::replace(base, Expr::Value(Value::Null.into()));
                    let fname = if *op == BinaryOperator::Plus {
                        "add"
                    } else {
                        "subtract"
                    };
                    *e = call(&format!("{fname}{unit}"), vec![b, n]);
                    return Ok(());
                }
            }
            rewrite_expr(left, ctx)?;
            rewrite_expr(right, ctx)?;
            let fname = match op {
                BinaryOperator::Plus => Some("plus"),
                BinaryOperator::Minus => Some("minus"),
                BinaryOperator::Multiply => Some("multiply"),
                BinaryOperator::Divide => Some("divide"),
                BinaryOperator::Modulo => Some("modulo"),
                BinaryOperator::MyIntegerDivide | BinaryOperator::DuckIntegerDivide => {
                    Some("intDiv")
                }
                BinaryOperator::StringConcat => Some("concat"),
                _ => None,
            };
            if let Some(f) = fname {
                let l = std::mem::replace(left.as_mut(), Expr::Value(Value::Null.into()));
                let r = std::mem::replace(right.as_mut(), Expr::Value(Value::Null.into()));
                *e = call(f, vec![l, r]);
            } else if matches!(
                op,
                BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor
            ) {
                let l = std::mem::replace(left.as_mut(), Expr::Value(Value::Null.into()));
                let r = std::mem::replace(right.as_mut(), Expr::Value(Value::Null.into()));
                if *op == BinaryOperator::Xor {
                    *e = call("xor", vec![l, r]);
                } else {
                    **left = call("__ch_bool", vec![l]);
                    **right = call("__ch_bool", vec![r]);
                }
            }
        }
        Expr::Cast {
            expr,
            data_type,
            kind,
            ..
        } => {
            rewrite_expr(expr, ctx)?;
            let t = ch_type_of_sql(data_type)?;
            let inner = std::mem::replace(expr.as_mut(), Expr::Value(Value::Null.into()));
            let f = if matches!(kind, CastKind::TryCast | CastKind::SafeCast) {
                "accurateCastOrNull"
            } else {
                "_CAST"
            };
            *e = call(f, vec![inner, lit_str(&t.to_string())]);
        }
        Expr::Interval(iv) => {
            let Some((mut n, unit)) = interval_parts(iv) else {
                return Err(Error::new(
                    ErrorCode::SYNTAX_ERROR,
                    format!("Unsupported INTERVAL: {iv}"),
                ));
            };
            rewrite_expr(&mut n, ctx)?;
            let unit = unit.trim_end_matches('s');
            *e = call(&format!("toInterval{unit}"), vec![n]);
        }
        Expr::CompoundFieldAccess { root, access_chain } => {
            rewrite_expr(root, ctx)?;
            let mut cur = std::mem::replace(root.as_mut(), Expr::Value(Value::Null.into()));
            for acc in access_chain.iter_mut() {
                match acc {
                    AccessExpr::Subscript(Subscript::Index { index }) => {
                        rewrite_expr(index, ctx)?;
                        cur = call("arrayElement", vec![cur, index.clone()]);
                    }
                    AccessExpr::Dot(Expr::Value(ValueWithSpan {
                        value: Value::Number(n, _),
                        ..
                    })) => {
                        cur = call("tupleElement", vec![cur, lit_num(n)]);
                    }
                    AccessExpr::Dot(Expr::Identifier(id)) => {
                        cur = call("tupleElement", vec![cur, lit_str(&id.value)]);
                    }
                    other => {
                        return Err(Error::not_implemented(format!("access expression {other}")));
                    }
                }
            }
            *e = cur;
        }
        Expr::Nested(inner) => rewrite_expr(inner, ctx)?,
        Expr::IsNull(x)
        | Expr::IsNotNull(x)
        | Expr::IsTrue(x)
        | Expr::IsFalse(x)
        | Expr::IsNotTrue(x)
        | Expr::IsNotFalse(x) => rewrite_expr(x, ctx)?,
        Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
            rewrite_expr(a, ctx)?;
            rewrite_expr(b, ctx)?;
        }
        Expr::InList { expr, list, .. } => {
            rewrite_expr(expr, ctx)?;
            for x in list {
                rewrite_expr(x, ctx)?;
            }
        }
        Expr::InSubquery { expr, subquery, .. } => {
            rewrite_expr(expr, ctx)?;
            super::query::rewrite_query_inner(subquery, ctx)?;
        }
        Expr::Subquery(q) => super::query::rewrite_query_inner(q, ctx)?,
        Expr::Exists { subquery, .. } => super::query::rewrite_query_inner(subquery, ctx)?,
        Expr::Between {
            expr, low, high, ..
        } => {
            rewrite_expr(expr, ctx)?;
            rewrite_expr(low, ctx)?;
            rewrite_expr(high, ctx)?;
        }
        Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
            rewrite_expr(expr, ctx)?;
            rewrite_expr(pattern, ctx)?;
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            let mut args = Vec::new();
            let mut op = None;
            if let Some(o) = operand {
                rewrite_expr(o, ctx)?;
                op = Some((**o).clone());
            }
            for cw in conditions.iter_mut() {
                rewrite_expr(&mut cw.condition, ctx)?;
                rewrite_expr(&mut cw.result, ctx)?;
                args.push(cw.condition.clone());
                args.push(cw.result.clone());
            }
            let else_e = match else_result {
                Some(x) => {
                    rewrite_expr(x, ctx)?;
                    (**x).clone()
                }
                None => Expr::Value(Value::Null.into()),
            };
            args.push(else_e);
            *e = match op {
                Some(o) => {
                    let mut a = vec![o];
                    a.extend(args);
                    call("caseWithExpression", a)
                }
                None => call("multiIf", args),
            };
        }
        Expr::Tuple(items) => {
            for x in items.iter_mut() {
                rewrite_expr(x, ctx)?;
            }
            let items = std::mem::take(items);
            *e = call("tuple", items);
        }
        Expr::Array(arr) => {
            for x in arr.elem.iter_mut() {
                rewrite_expr(x, ctx)?;
            }
            let items = std::mem::take(&mut arr.elem);
            *e = call("array", items);
        }
        Expr::Function(f) => {
            if has_lambda(f) {
                *e = lambda_call(f, ctx)?;
            } else {
                rewrite_function(f, ctx)?
            }
        }
        Expr::Lambda(l) => rewrite_expr(&mut l.body, ctx)?,
        Expr::Trim {
            expr,
            trim_where,
            trim_what,
            trim_characters,
        } => {
            rewrite_expr(expr, ctx)?;
            if let Some(w) = trim_what {
                rewrite_expr(w, ctx)?;
            }
            let _ = trim_characters;
            let side = match trim_where {
                Some(datafusion::sql::sqlparser::ast::TrimWhereField::Leading) => "trimLeft",
                Some(datafusion::sql::sqlparser::ast::TrimWhereField::Trailing) => "trimRight",
                _ => "trimBoth",
            };
            let s = (**expr).clone();
            *e = match trim_what {
                Some(w) => call(side, vec![s, (**w).clone()]),
                None => call(side, vec![s]),
            };
        }
        Expr::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } => {
            rewrite_expr(expr, ctx)?;
            let mut args = vec![(**expr).clone()];
            if let Some(f) = substring_from {
                rewrite_expr(f, ctx)?;
                args.push((**f).clone());
            }
            if let Some(f) = substring_for {
                rewrite_expr(f, ctx)?;
                args.push((**f).clone());
            }
            *e = call("substring", args);
        }
        Expr::Position { expr, r#in } => {
            rewrite_expr(expr, ctx)?;
            rewrite_expr(r#in, ctx)?;
            *e = call("position", vec![(**r#in).clone(), (**expr).clone()]);
        }
        Expr::Extract { field, expr, .. } => {
            rewrite_expr(expr, ctx)?;
            let f = match field {
                DateTimeField::Year => "toYear",
                DateTimeField::Quarter => "toQuarter",
                DateTimeField::Month => "toMonth",
                DateTimeField::Week(_) => "toISOWeek",
                DateTimeField::Day => "toDayOfMonth",
                DateTimeField::Hour => "toHour",
                DateTimeField::Minute => "toMinute",
                DateTimeField::Second => "toSecond",
                other => return Err(Error::not_implemented(format!("EXTRACT({other})"))),
            };
            *e = call(f, vec![(**expr).clone()]);
        }
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => {
            rewrite_expr(timestamp, ctx)?;
            *e = call(
                "toTimeZone",
                vec![(**timestamp).clone(), (**time_zone).clone()],
            );
        }
        _ => {}
    }
    Ok(())
}

fn interval_of(e: &Expr) -> Option<(Expr, &'static str)> {
    match e {
        Expr::Interval(iv) => interval_parts(iv),
        Expr::Nested(x) => interval_of(x),
        _ => None,
    }
}

fn rewrite_function(f: &mut Function, ctx: &RewriteContext) -> Result<()> {
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
    Ok(())
}

fn is_plain_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => matches!(expr.as_ref(), Expr::Value(_)),
        _ => false,
    }
}

fn has_lambda(f: &Function) -> bool {
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

/// `f(x -> body, arrays…)`: see [`crate::lambda`].
fn lambda_call(f: &Function, ctx: &RewriteContext) -> Result<Expr> {
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
    let arrays: Vec<Expr> = if matches!(
        name.as_str(),
        "arrayPartialSort" | "arrayPartialReverseSort"
    ) {
        rest.iter().skip(1).cloned().collect()
    } else {
        rest.clone()
    };
    let params: Vec<String> = match &lambda.params {
        datafusion::sql::sqlparser::ast::OneOrManyWithParens::One(p) => vec![p.name.value.clone()],
        datafusion::sql::sqlparser::ast::OneOrManyWithParens::Many(ps) => {
            ps.iter().map(|p| p.name.value.clone()).collect()
        }
    };
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
    let n = ctx.extra_scalars.borrow().len();
    let udf_name = format!("__lambda_{n}");
    let udf = crate::lambda::LambdaUdf::new(
        udf_name.clone(),
        params,
        captured.clone(),
        body,
        std::sync::Arc::clone(&ctx.lambda_state),
    );
    ctx.extra_scalars
        .borrow_mut()
        .push(datafusion::logical_expr::ScalarUDF::new_from_impl(udf));
    let mut map_args = arrays.clone();
    for c in &captured {
        map_args.push(Expr::Identifier(Ident::with_quote('"', c.clone())));
    }
    let mapped = call(&udf_name, map_args);
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
