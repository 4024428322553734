//! ClickHouse's `optimize_arithmetic_operations_in_aggregate_functions` (on by default) for
//! `sum` and `avg`: a constant factor or divisor, or (for `avg`) a constant term, moves out
//! of the aggregate, `sum(x * c)` → `sum(x) * c`, `avg(x / c)` → `avg(x) / c`,
//! `avg(x + c)` → `avg(x) + c`. The results are ClickHouse's to the last digit:
//! `avg(number * 2.5)` over `numbers(100000000)` is `avg(number) * 2.5` = 124999998.75,
//! where summing the products prints 124999998.74999848.
//!
//! Applied only where ClickHouse applies it whatever the query's shape: the constant is a
//! positive number for `*` and `/` (ClickHouse declines a negative float factor over a
//! possibly empty set, where `-0.0` would show), it is not the dividend (`sum(1 / x)`
//! stays), and the call has no `DISTINCT`, `FILTER`, `OVER` or parameters. `min`/`max`
//! (also rewritten by ClickHouse, with the same results but on overflow) are left alone.

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Value,
    ValueWithSpan,
};

use super::functions::function_name;

/// `f` with its constant operand moved out (`sum(x * 2.5)` → `sum(x) * 2.5`), or `None`
/// when the optimization does not apply.
pub(super) fn hoist_constant(f: &Function) -> Option<Expr> {
    if f.over.is_some()
        || f.filter.is_some()
        || f.null_treatment.is_some()
        || !f.within_group.is_empty()
        || !matches!(f.parameters, FunctionArguments::None)
    {
        return None;
    }
    let name = function_name(f).to_ascii_lowercase();
    let is_avg = match name.as_str() {
        "sum" => false,
        "avg" => true,
        _ => return None,
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return None;
    }
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] = list.args.as_slice() else {
        return None;
    };
    let (left, op, right) = operation(arg)?;
    let additive = matches!(op, BinaryOperator::Plus | BinaryOperator::Minus);
    if additive && !is_avg {
        return None;
    }
    let constant_right = numeric_literal(&right);
    let constant_left = numeric_literal(&left);
    // The constant that moves out: the right operand when both are constants.
    let (value, right_side) = match (constant_left, constant_right) {
        (_, Some(v)) => (v, true),
        (Some(_), None) if op == BinaryOperator::Divide => return None,
        (Some(v), None) => (v, false),
        (None, None) => return None,
    };
    let positive = value.is_finite() && value > 0.0;
    if !(additive || positive) {
        return None;
    }
    let aggregate = |inner: Expr| {
        let mut g = f.clone();
        if let FunctionArguments::List(l) = &mut g.args {
            l.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(inner))];
        }
        Box::new(Expr::Function(g))
    };
    Some(if right_side {
        Expr::BinaryOp {
            left: aggregate(left),
            op,
            right: Box::new(right),
        }
    } else {
        Expr::BinaryOp {
            left: Box::new(left),
            op,
            right: aggregate(right),
        }
    })
}

/// `a op b` for the four arithmetic operators, written as an operator or as
/// `plus`/`minus`/`multiply`/`divide`.
fn operation(e: &Expr) -> Option<(Expr, BinaryOperator, Expr)> {
    match e {
        Expr::Nested(inner) => operation(inner),
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::Plus
                | BinaryOperator::Minus
                | BinaryOperator::Multiply
                | BinaryOperator::Divide => op.clone(),
                _ => return None,
            };
            Some(((**left).clone(), op, (**right).clone()))
        }
        Expr::Function(g) if g.over.is_none() && g.filter.is_none() => {
            let op = match function_name(g).as_str() {
                "plus" => BinaryOperator::Plus,
                "minus" => BinaryOperator::Minus,
                "multiply" => BinaryOperator::Multiply,
                "divide" => BinaryOperator::Divide,
                _ => return None,
            };
            if !matches!(g.parameters, FunctionArguments::None) {
                return None;
            }
            let FunctionArguments::List(list) = &g.args else {
                return None;
            };
            match list.args.as_slice() {
                [
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(a)),
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(b)),
                ] if list.duplicate_treatment.is_none() && list.clauses.is_empty() => {
                    Some((a.clone(), op, b.clone()))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The value of a numeric literal (`2.5`, `-3`, `(4)`), decimal or hexadecimal.
fn numeric_literal(e: &Expr) -> Option<f64> {
    match e {
        Expr::Nested(inner) => numeric_literal(inner),
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => parse_number(n),
        Expr::UnaryOp {
            op: datafusion::sql::sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => numeric_literal(expr).map(|v| -v),
        _ => None,
    }
}

fn parse_number(n: &str) -> Option<f64> {
    if let Some(hex) = n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    n.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn hoisted(sql: &str) -> Option<String> {
        let e = Parser::new(&ClickHouseDialect {})
            .try_with_sql(sql)
            .ok()?
            .parse_expr()
            .ok()?;
        let Expr::Function(f) = e else { return None };
        hoist_constant(&f).map(|e| e.to_string())
    }

    #[test]
    fn moves_constants_out() {
        assert_eq!(
            hoisted("avg(number * 2.5)").as_deref(),
            Some("avg(number) * 2.5")
        );
        assert_eq!(hoisted("sum(2 * x)").as_deref(), Some("2 * sum(x)"));
        assert_eq!(hoisted("SUM(x / 4)").as_deref(), Some("SUM(x) / 4"));
        assert_eq!(hoisted("avg((x - 1))").as_deref(), Some("avg(x) - 1"));
        assert_eq!(
            hoisted("avg(multiply(x, 0.1))").as_deref(),
            Some("avg(x) * 0.1")
        );
    }

    #[test]
    fn leaves_other_shapes() {
        for sql in [
            "sum(x + 1)",
            "sum(1 / x)",
            "sum(x * -2.5)",
            "sum(x * y)",
            "sum(DISTINCT x * 2)",
            "sum(x * 2) OVER ()",
            "max(x * 2)",
            "sumIf(x * 2, x > 1)",
            "avg(x * 0)",
        ] {
            assert_eq!(hoisted(sql), None, "{sql}");
        }
    }
}
