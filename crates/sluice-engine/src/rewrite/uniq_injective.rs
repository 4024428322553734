//! ClickHouse's `optimize_injective_functions_inside_uniq` (on by default): an argument of
//! `uniq`, `uniqExact`, `uniqHLL12`, `uniqCombined`, `uniqCombined64` or `uniqTheta` that
//! is an injective function of one argument is replaced by that argument, repeatedly, so
//! `uniq(toString(number))` counts `number`. The approximate functions hash the inner
//! value, so their estimates are ClickHouse's only when the same value is hashed.

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator,
};

use super::functions::function_name;

/// The `uniq*` functions the optimization applies to (not their combinators).
const UNIQ_FUNCTIONS: &[&str] = &[
    "uniq",
    "uniqExact",
    "uniqHLL12",
    "uniqCombined",
    "uniqCombined64",
    "uniqTheta",
];

/// Functions ClickHouse declares injective for any argument (checked with the oracle's
/// `EXPLAIN QUERY TREE`: `toUInt64`, `CAST`, `base64Encode`, `identity` stay).
const INJECTIVE: &[&str] = &[
    "toString",
    "tuple",
    "negate",
    "bitNot",
    "hex",
    "bin",
    "reverse",
    "concat",
    "arrayReverse",
    "bitmaskToList",
    "IPv4NumToString",
    "IPv6NumToString",
];

/// Strips injective one-argument functions from the arguments of `f` when `name` is one
/// of the `uniq` functions.
pub(super) fn strip_injective_arguments(f: &mut Function, name: &str) {
    if !UNIQ_FUNCTIONS.contains(&name) {
        return;
    }
    let FunctionArguments::List(list) = &mut f.args else {
        return;
    };
    for arg in list.args.iter_mut() {
        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg {
            while let Some(inner) = injective_argument(e) {
                *e = inner;
            }
        }
    }
}

/// The single argument of `e` when `e` is an injective function of it.
fn injective_argument(e: &Expr) -> Option<Expr> {
    match e {
        Expr::Nested(inner) => Some(inner.as_ref().clone()),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } if !matches!(expr.as_ref(), Expr::Value(_)) => Some(expr.as_ref().clone()),
        Expr::Function(f) if f.over.is_none() && f.filter.is_none() => {
            if !INJECTIVE.contains(&function_name(f).as_str()) {
                return None;
            }
            if !matches!(f.parameters, FunctionArguments::None) {
                return None;
            }
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return None;
            }
            match list.args.as_slice() {
                [FunctionArg::Unnamed(FunctionArgExpr::Expr(inner))] => Some(inner.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}
