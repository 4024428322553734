//! A ClickHouse-shaped view of an expression shared by the printers: operators become the
//! functions ClickHouse turns them into (`1 + 2` → `plus(1, 2)`, `CASE` → `multiIf`,
//! `BETWEEN` → `and(greaterOrEquals(…), lessOrEquals(…))`, `INTERVAL 1 DAY` →
//! `toIntervalDay(1)`, `CAST(x AS T)` → `CAST(x, 'T')`), literals take ClickHouse's spelling.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, DateTimeField, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArguments, LambdaFunction, OneOrManyWithParens, Query, Subscript,
    UnaryOperator, Value, Visit, Visitor, WindowType,
};

use crate::format::{format_float, quote_identifier, quote_string};
use crate::query_ext::cast_type_text;

/// A canonical expression node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Canon {
    /// An identifier path, unquoted parts (`a`, `t.a`).
    Ident(Vec<String>),
    /// A literal, already spelled as ClickHouse does.
    Literal(String),
    /// A function call; `op` tells that it came from an operator.
    Func {
        name: String,
        params: Option<Vec<Canon>>,
        args: Vec<Canon>,
        over: Option<String>,
        op: bool,
    },
    /// `x -> body`.
    Lambda {
        params: Vec<String>,
        body: Box<Canon>,
    },
    /// `[a, b]`.
    Array(Vec<Canon>),
    /// `(a, b)`.
    Tuple(Vec<Canon>),
    /// `*`.
    Star,
    /// A subquery: its SQL and how many queries it holds itself (ClickHouse numbers them all).
    Subquery(String, usize),
    /// Anything else: sqlparser's SQL text.
    Raw(String),
}

fn op(name: &str, args: Vec<Canon>) -> Canon {
    Canon::Func {
        name: name.to_string(),
        params: None,
        args,
        over: None,
        op: true,
    }
}

/// ClickHouse's spelling of a numeric literal (`1.0` → `1.`, `1e10` → `10000000000.`,
/// `1_000` → `1000`).
pub(crate) fn number_literal(s: &str) -> String {
    let s: String = s.chars().filter(|c| *c != '_').collect();
    let is_float = s.contains(['.', 'e', 'E']) && !s.starts_with("0x") && !s.starts_with("0X");
    if !is_float {
        return s;
    }
    match s.parse::<f64>() {
        Ok(v) => format_float_literal(v),
        Err(_) => s,
    }
}

/// A float as ClickHouse prints a float literal in SQL.
pub(crate) fn format_float_literal(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
        if v == 0.0 && v.is_sign_negative() {
            return "-0.".to_string();
        }
        return format!("{}.", v as i64);
    }
    format_float(v)
}

fn interval_function(field: &DateTimeField) -> Option<&'static str> {
    Some(match field {
        DateTimeField::Year | DateTimeField::Years => "toIntervalYear",
        DateTimeField::Quarter => "toIntervalQuarter",
        DateTimeField::Month | DateTimeField::Months => "toIntervalMonth",
        DateTimeField::Week(_) | DateTimeField::Weeks => "toIntervalWeek",
        DateTimeField::Day | DateTimeField::Days => "toIntervalDay",
        DateTimeField::Hour | DateTimeField::Hours => "toIntervalHour",
        DateTimeField::Minute | DateTimeField::Minutes => "toIntervalMinute",
        DateTimeField::Second | DateTimeField::Seconds => "toIntervalSecond",
        DateTimeField::Millisecond | DateTimeField::Milliseconds => "toIntervalMillisecond",
        DateTimeField::Microsecond | DateTimeField::Microseconds => "toIntervalMicrosecond",
        DateTimeField::Nanosecond | DateTimeField::Nanoseconds => "toIntervalNanosecond",
        _ => return None,
    })
}

fn extract_function(field: &DateTimeField) -> Option<&'static str> {
    Some(match field {
        DateTimeField::Year => "toYear",
        DateTimeField::Quarter => "toQuarter",
        DateTimeField::Month => "toMonth",
        DateTimeField::Week(_) => "toISOWeek",
        DateTimeField::Day => "toDayOfMonth",
        DateTimeField::Hour => "toHour",
        DateTimeField::Minute => "toMinute",
        DateTimeField::Second => "toSecond",
        _ => return None,
    })
}

fn binary_function(op: &BinaryOperator) -> Option<&'static str> {
    Some(match op {
        BinaryOperator::Plus => "plus",
        BinaryOperator::Minus => "minus",
        BinaryOperator::Multiply => "multiply",
        BinaryOperator::Divide => "divide",
        BinaryOperator::Modulo => "modulo",
        BinaryOperator::Eq => "equals",
        BinaryOperator::NotEq => "notEquals",
        BinaryOperator::Lt => "less",
        BinaryOperator::LtEq => "lessOrEquals",
        BinaryOperator::Gt => "greater",
        BinaryOperator::GtEq => "greaterOrEquals",
        BinaryOperator::And => "and",
        BinaryOperator::Or => "or",
        BinaryOperator::Xor => "xor",
        BinaryOperator::StringConcat => "concat",
        BinaryOperator::Spaceship => "isNotDistinctFrom",
        BinaryOperator::DuckIntegerDivide | BinaryOperator::MyIntegerDivide => "intDiv",
        _ => return None,
    })
}

/// Flattens nested `and`/`or`/`concat` into one n-ary call.
fn flatten(name: &str, l: Canon, r: Canon) -> Canon {
    let mut args = Vec::new();
    for side in [l, r] {
        match side {
            Canon::Func {
                name: n,
                args: inner,
                op: true,
                params: None,
                over: None,
            } if n == name => args.extend(inner),
            other => args.push(other),
        }
    }
    op(name, args)
}

fn subquery(q: &Query) -> Canon {
    Canon::Subquery(q.to_string(), count_queries(q).saturating_sub(1))
}

/// The queries in `node`, nested ones included (a subquery of a subquery counts too).
pub fn count_queries<T: Visit>(node: &T) -> usize {
    struct Count(usize);
    impl Visitor for Count {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.0 += 1;
            ControlFlow::Continue(())
        }
    }
    let mut c = Count(0);
    let _ = node.visit(&mut c);
    c.0
}

fn function_args(args: &FunctionArguments) -> (Vec<Canon>, bool) {
    match args {
        FunctionArguments::None => (vec![], false),
        FunctionArguments::Subquery(q) => (vec![subquery(q)], false),
        FunctionArguments::List(list) => {
            let distinct = matches!(
                list.duplicate_treatment,
                Some(datafusion::sql::sqlparser::ast::DuplicateTreatment::Distinct)
            );
            let args = list
                .args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
                    | FunctionArg::Named {
                        arg: FunctionArgExpr::Expr(e),
                        ..
                    }
                    | FunctionArg::ExprNamed {
                        arg: FunctionArgExpr::Expr(e),
                        ..
                    } => canon(e),
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => Canon::Star,
                    other => Canon::Raw(other.to_string()),
                })
                .collect();
            (args, distinct)
        }
    }
}

fn canon_function(f: &Function) -> Canon {
    let name = f.name.to_string();
    let (args, distinct) = function_args(&f.args);
    let params = match &f.parameters {
        FunctionArguments::None => None,
        p => Some(function_args(p).0),
    };
    let name = if distinct {
        format!("{name}Distinct")
    } else {
        name
    };
    let over = f.over.as_ref().map(|w| match w {
        WindowType::WindowSpec(spec) => format!("({})", window_spec_text(spec)),
        WindowType::NamedWindow(n) => n.to_string(),
    });
    Canon::Func {
        name,
        params,
        args,
        over,
        op: false,
    }
}

fn window_spec_text(spec: &datafusion::sql::sqlparser::ast::WindowSpec) -> String {
    let mut parts = Vec::new();
    if !spec.partition_by.is_empty() {
        parts.push(format!(
            "PARTITION BY {}",
            spec.partition_by
                .iter()
                .map(crate::format_expr::format_expr)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !spec.order_by.is_empty() {
        parts.push(format!(
            "ORDER BY {}",
            spec.order_by
                .iter()
                .map(|o| {
                    let dir = if o.options.asc == Some(false) {
                        "DESC"
                    } else {
                        "ASC"
                    };
                    format!("{} {dir}", crate::format_expr::format_expr(&o.expr))
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(frame) = &spec.window_frame {
        parts.push(format!("{frame:?}"));
    }
    parts.join(" ")
}

fn lambda(l: &LambdaFunction) -> Canon {
    let params = match &l.params {
        OneOrManyWithParens::One(p) => vec![p.name.value.clone()],
        OneOrManyWithParens::Many(ps) => ps.iter().map(|p| p.name.value.clone()).collect(),
    };
    Canon::Lambda {
        params,
        body: Box::new(canon(&l.body)),
    }
}

fn value(v: &Value) -> Canon {
    Canon::Literal(match v {
        Value::Number(n, _) => number_literal(n),
        Value::SingleQuotedString(s)
        | Value::DoubleQuotedString(s)
        | Value::EscapedStringLiteral(s)
        | Value::TripleSingleQuotedString(s)
        | Value::TripleDoubleQuotedString(s)
        | Value::NationalStringLiteral(s) => quote_string(s),
        Value::Boolean(b) => b.to_string(),
        Value::Null => "NULL".to_string(),
        Value::Placeholder(p) => p.clone(),
        other => other.to_string(),
    })
}

/// Converts an expression.
pub(crate) fn canon(expr: &Expr) -> Canon {
    match expr {
        Expr::Identifier(id) => Canon::Ident(vec![id.value.clone()]),
        Expr::CompoundIdentifier(ids) => {
            Canon::Ident(ids.iter().map(|i| i.value.clone()).collect())
        }
        Expr::Value(v) => value(&v.value),
        Expr::Nested(e) => canon(e),
        Expr::BinaryOp {
            left,
            op: bop,
            right,
        } => {
            let (l, r) = (canon(left), canon(right));
            match binary_function(bop) {
                Some(name @ ("and" | "or" | "concat")) => flatten(name, l, r),
                Some(name) => op(name, vec![l, r]),
                None => Canon::Raw(expr.to_string()),
            }
        }
        Expr::UnaryOp {
            op: uop,
            expr: inner,
        } => match uop {
            UnaryOperator::Not => op("not", vec![canon(inner)]),
            UnaryOperator::Minus => match canon(inner) {
                Canon::Literal(l) if l.starts_with(|c: char| c.is_ascii_digit()) => {
                    Canon::Literal(format!("-{l}"))
                }
                other => op("negate", vec![other]),
            },
            UnaryOperator::Plus => canon(inner),
            _ => Canon::Raw(expr.to_string()),
        },
        Expr::InList {
            expr: e,
            list,
            negated,
        } => {
            let rhs = if list.len() == 1 {
                canon(&list[0])
            } else {
                Canon::Tuple(list.iter().map(canon).collect())
            };
            op(if *negated { "notIn" } else { "in" }, vec![canon(e), rhs])
        }
        Expr::InSubquery {
            expr: e,
            subquery,
            negated,
        } => op(
            if *negated { "notIn" } else { "in" },
            vec![canon(e), self::subquery(subquery)],
        ),
        Expr::Cast {
            kind,
            expr: e,
            data_type,
            ..
        } => {
            let name = match kind {
                CastKind::TryCast | CastKind::SafeCast => "accurateCastOrNull",
                _ => "CAST",
            };
            Canon::Func {
                name: name.to_string(),
                params: None,
                args: vec![
                    canon(e),
                    Canon::Literal(quote_string(&cast_type_text(data_type))),
                ],
                over: None,
                op: false,
            }
        }
        Expr::IsNull(e) => op("isNull", vec![canon(e)]),
        Expr::IsNotNull(e) => op("isNotNull", vec![canon(e)]),
        Expr::IsNotDistinctFrom(a, b) => op("isNotDistinctFrom", vec![canon(a), canon(b)]),
        Expr::IsDistinctFrom(a, b) => op(
            "not",
            vec![op("isNotDistinctFrom", vec![canon(a), canon(b)])],
        ),
        Expr::Like {
            negated,
            expr: e,
            pattern,
            ..
        } => op(
            if *negated { "notLike" } else { "like" },
            vec![canon(e), canon(pattern)],
        ),
        Expr::ILike {
            negated,
            expr: e,
            pattern,
            ..
        } => op(
            if *negated { "notILike" } else { "ilike" },
            vec![canon(e), canon(pattern)],
        ),
        Expr::Between {
            expr: e,
            negated,
            low,
            high,
        } => {
            let e = canon(e);
            if *negated {
                op(
                    "or",
                    vec![
                        op("less", vec![e.clone(), canon(low)]),
                        op("greater", vec![e, canon(high)]),
                    ],
                )
            } else {
                op(
                    "and",
                    vec![
                        op("greaterOrEquals", vec![e.clone(), canon(low)]),
                        op("lessOrEquals", vec![e, canon(high)]),
                    ],
                )
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            let mut args = Vec::new();
            let name = if let Some(o) = operand {
                args.push(canon(o));
                "caseWithExpression"
            } else {
                "multiIf"
            };
            for c in conditions {
                args.push(canon(&c.condition));
                args.push(canon(&c.result));
            }
            args.push(
                else_result
                    .as_ref()
                    .map_or(Canon::Literal("NULL".into()), |e| canon(e)),
            );
            Canon::Func {
                name: name.into(),
                params: None,
                args,
                over: None,
                op: false,
            }
        }
        Expr::Interval(iv) => match iv.leading_field.as_ref().and_then(interval_function) {
            Some(f) => Canon::Func {
                name: f.into(),
                params: None,
                args: vec![canon(&iv.value)],
                over: None,
                op: false,
            },
            None => Canon::Raw(expr.to_string()),
        },
        Expr::Extract { field, expr: e, .. } => match extract_function(field) {
            Some(f) => Canon::Func {
                name: f.into(),
                params: None,
                args: vec![canon(e)],
                over: None,
                op: false,
            },
            None => Canon::Raw(expr.to_string()),
        },
        Expr::Function(f) => canon_function(f),
        Expr::Lambda(l) => lambda(l),
        Expr::Array(arr) => Canon::Array(arr.elem.iter().map(canon).collect()),
        Expr::Tuple(items) => Canon::Tuple(items.iter().map(canon).collect()),
        Expr::CompoundFieldAccess { root, access_chain } => {
            let mut cur = canon(root);
            for access in access_chain {
                cur = match access {
                    AccessExpr::Subscript(Subscript::Index { index }) => {
                        op("arrayElement", vec![cur, canon(index)])
                    }
                    AccessExpr::Dot(e) => match (cur, canon(e)) {
                        (Canon::Ident(mut parts), Canon::Ident(more)) => {
                            parts.extend(more);
                            Canon::Ident(parts)
                        }
                        (c, idx) => op("tupleElement", vec![c, idx]),
                    },
                    other => Canon::Raw(format!("{cur:?}{other}")),
                };
            }
            cur
        }
        Expr::Subquery(q) => subquery(q),
        Expr::TypedString(ts) => {
            let f = match ts.data_type.to_string().to_ascii_uppercase().as_str() {
                "DATE" => "toDate",
                "TIMESTAMP" | "DATETIME" => "toDateTime",
                _ => return Canon::Raw(expr.to_string()),
            };
            Canon::Func {
                name: f.into(),
                params: None,
                args: vec![value(&ts.value.value)],
                over: None,
                op: false,
            }
        }
        Expr::Wildcard(_) => Canon::Star,
        Expr::Substring {
            expr: e,
            substring_from,
            substring_for,
            ..
        } => {
            let mut args = vec![canon(e)];
            args.extend(substring_from.iter().map(|x| canon(x)));
            args.extend(substring_for.iter().map(|x| canon(x)));
            Canon::Func {
                name: "substring".into(),
                params: None,
                args,
                over: None,
                op: false,
            }
        }
        Expr::Trim {
            trim_where,
            trim_what,
            expr: e,
            trim_characters,
        } => {
            use datafusion::sql::sqlparser::ast::TrimWhereField;
            let name = match trim_where {
                Some(TrimWhereField::Leading) => "trimLeft",
                Some(TrimWhereField::Trailing) => "trimRight",
                _ => "trimBoth",
            };
            let mut args = vec![canon(e)];
            args.extend(trim_what.iter().map(|x| canon(x)));
            args.extend(trim_characters.iter().flatten().map(canon));
            Canon::Func {
                name: name.into(),
                params: None,
                args,
                over: None,
                op: false,
            }
        }
        _ => Canon::Raw(expr.to_string()),
    }
}

/// An identifier path for SQL (`a`, `` `a b` ``, `db.t.c`).
pub(crate) fn ident_sql(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| quote_identifier(p))
        .collect::<Vec<_>>()
        .join(".")
}
