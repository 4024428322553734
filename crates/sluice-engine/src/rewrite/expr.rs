//! Expression-level rewrites (see the module doc of [`super`]); function calls are in
//! `functions.rs`.

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, CeilFloorKind, DataType, DateTimeField, Expr, Function,
    FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, ObjectName,
    ObjectNamePart, Subscript, UnaryOperator, Value, ValueWithSpan,
};
use datafusion::sql::sqlparser::tokenizer::Span;
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::functions::{has_lambda, lambda_call, rewrite_function};
use super::query::RewriteContext;

/// A string literal expression.
pub fn lit_str(s: &str) -> Expr {
    Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(s.to_string()),
        span: Span::empty(),
    })
}

pub(super) fn lit_num(s: &str) -> Expr {
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

pub(super) fn cast_to(e: Expr, dt: DataType) -> Expr {
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
pub(super) fn typed_int(text: &str, negative: bool) -> Option<Expr> {
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

pub(super) fn interval_unit(field: &DateTimeField) -> Option<&'static str> {
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
pub(super) fn interval_parts(
    iv: &datafusion::sql::sqlparser::ast::Interval,
) -> Option<(Expr, &'static str)> {
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
    if let Some(op) = interval_call_as_operator(e) {
        *e = op;
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
                let (l_iv, r_iv) = if l_iv.is_some() && r_iv.is_some() {
                    (None, None)
                } else {
                    (l_iv, r_iv)
                };
                let right_is_interval = r_iv.is_some();
                if let Some((n, unit)) = r_iv.or(if *op == BinaryOperator::Plus {
                    l_iv.clone()
                } else {
                    None
                }) {
                    let base = if right_is_interval {
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
            if let Some(hoisted) = super::agg_arithmetic::hoist_constant(f) {
                *e = hoisted;
                return rewrite_expr(e, ctx);
            }
            if has_lambda(f) {
                *e = lambda_call(f, ctx)?;
            } else if let Some(constant) = super::session_constants::query_constant(f, ctx)? {
                *e = constant;
                rewrite_expr(e, ctx)?;
            } else {
                rewrite_function(f, ctx)?;
                if let Some(typed) = super::array_join::typed_unnest(f) {
                    *e = typed;
                }
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
        // sqlparser reads `floor(…)`/`ceil(…)` as its own nodes; ClickHouse has only the
        // functions (`floor(x[, N])`), whose arguments must go through the same rewrites.
        Expr::Ceil { .. } | Expr::Floor { .. } => {
            let (name, expr, field) = match e {
                Expr::Ceil { expr, field } => ("ceil", expr, field),
                Expr::Floor { expr, field } => ("floor", expr, field),
                _ => return Ok(()),
            };
            rewrite_expr(expr, ctx)?;
            let mut args = vec![(**expr).clone()];
            match field {
                CeilFloorKind::DateTimeField(DateTimeField::NoDateTime) => {}
                CeilFloorKind::Scale(v) => args.push(Expr::Value(v.clone())),
                CeilFloorKind::DateTimeField(other) => {
                    return Err(Error::not_implemented(format!(
                        "{}(… TO {other})",
                        name.to_uppercase()
                    )));
                }
            }
            *e = call(name, args);
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
        Expr::GroupingSets(sets) | Expr::Rollup(sets) | Expr::Cube(sets) => {
            for x in sets.iter_mut().flatten() {
                rewrite_expr(x, ctx)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `INTERVAL n UNIT` / `toIntervalUnit(n)`: the count expression and the plural unit name.
pub(crate) fn interval_of(e: &Expr) -> Option<(Expr, &'static str)> {
    match e {
        Expr::Interval(iv) => interval_parts(iv),
        Expr::Nested(x) => interval_of(x),
        Expr::Function(f) if f.over.is_none() => {
            let name = super::functions::function_name(f);
            let unit = match name.strip_prefix("toInterval")? {
                "Year" => "Years",
                "Quarter" => "Quarters",
                "Month" => "Months",
                "Week" => "Weeks",
                "Day" => "Days",
                "Hour" => "Hours",
                "Minute" => "Minutes",
                "Second" => "Seconds",
                "Millisecond" => "Milliseconds",
                "Microsecond" => "Microseconds",
                "Nanosecond" => "Nanoseconds",
                _ => return None,
            };
            match unnamed_args(f).as_slice() {
                [n] => Some(((*n).clone(), unit)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn unnamed_args(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(l) => l
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `plus(x, toIntervalMonth(n))` / `minus(x, INTERVAL n DAY)`: the operator form, so that
/// the INTERVAL arithmetic rewrite applies to the function call as well.
fn interval_call_as_operator(e: &Expr) -> Option<Expr> {
    let Expr::Function(f) = e else {
        return None;
    };
    if f.over.is_some() {
        return None;
    }
    let op = match super::functions::function_name(f).as_str() {
        "plus" => BinaryOperator::Plus,
        "minus" => BinaryOperator::Minus,
        _ => return None,
    };
    let args = unnamed_args(f);
    let [l, r] = args.as_slice() else {
        return None;
    };
    let (li, ri) = (interval_of(l).is_some(), interval_of(r).is_some());
    if li == ri || (li && op == BinaryOperator::Minus) {
        return None;
    }
    Some(Expr::BinaryOp {
        left: Box::new((*l).clone()),
        op,
        right: Box::new((*r).clone()),
    })
}
