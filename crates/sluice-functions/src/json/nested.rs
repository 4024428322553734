//! Rewrite of nested calls into one multi-level call, so a stacked view expression parses
//! its document once.
//!
//! `F(JSONExtractString(x, p1…), p2…)` — where `F` is a DOM JSON function other than
//! `JSONKey`/`isValidJSON`/`JSONArrayLength`, the key matching is the same and every path
//! argument is a literal — becomes `F(x, p1…, p2…)` evaluated with *levels* `[|p1|, |p2|]`.
//! At run time (see `eval.rs`) the value found by `p1` stands for the text
//! `JSONExtractString` would have returned: objects and arrays are navigated in place
//! (serializing and re-parsing them gives the same structure, keys and strings), while
//! strings, scalars, NULLs and rows whose final value holds a double fall back to producing
//! the intermediate text and parsing it, so the result is identical to the nested calls.
//! Combined with the parse-once cache, `JSONExtractUInt(JSONExtractString(payload, 'after'),
//! 'id')` and its siblings read each payload's tape only.

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::ExprSimplifyResult;
use datafusion::logical_expr::{Expr, ScalarUDF};

use super::funcs::{JsonFunc, Op};

/// `simplify` hook of every [`JsonFunc`].
pub fn simplify(outer: &JsonFunc, args: Vec<Expr>) -> Result<ExprSimplifyResult> {
    if matches!(outer.op, Op::Key | Op::IsValid | Op::ArrayLength) || args.is_empty() {
        return Ok(ExprSimplifyResult::Original(args));
    }
    let Expr::ScalarFunction(inner_call) = &args[0] else {
        return Ok(ExprSimplifyResult::Original(args));
    };
    // The registered UDF may be wrapped (e.g. by `ScalarUDF::with_aliases`); a plain
    // `JSONExtractString[CaseInsensitive]` is then recognised by its name.
    let (inner_ci, inner_levels) = match inner_call.func.inner().downcast_ref::<JsonFunc>() {
        Some(f) if f.op == Op::ExtractString => (f.case_insensitive, f.levels.clone()),
        Some(_) => return Ok(ExprSimplifyResult::Original(args)),
        None => match inner_call.func.name() {
            "JSONExtractString" => (false, Vec::new()),
            "JSONExtractStringCaseInsensitive" => (true, Vec::new()),
            _ => return Ok(ExprSimplifyResult::Original(args)),
        },
    };
    if inner_ci != outer.case_insensitive {
        return Ok(ExprSimplifyResult::Original(args));
    }
    let outer_path = args.len() - 1 - usize::from(outer.op.typed());
    let literal = |e: &Expr| matches!(e, Expr::Literal(..));
    if inner_call.args.is_empty()
        || !inner_call.args[1..].iter().all(literal)
        || !args[1..1 + outer_path].iter().all(literal)
    {
        return Ok(ExprSimplifyResult::Original(args));
    }
    let inner_path = inner_call.args.len() - 1;
    let mut levels = if inner_levels.is_empty() {
        vec![inner_path]
    } else {
        inner_levels
    };
    if outer.levels.is_empty() {
        levels.push(outer_path);
    } else {
        levels.extend_from_slice(&outer.levels);
    }
    let mut new_args = inner_call.args.clone();
    new_args.extend(args.into_iter().skip(1));
    let udf = ScalarUDF::new_from_impl(outer.with_levels(levels));
    Ok(ExprSimplifyResult::Simplified(Expr::ScalarFunction(
        ScalarFunction::new_udf(Arc::new(udf), new_args),
    )))
}
