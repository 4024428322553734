//! `if(cond, then, else)`, `multiIf(c1, v1, …, else)` and `caseWithExpression(x, w1, t1, …,
//! else)` (the engine maps `cond ? a : b` to `if`, `CASE WHEN …` to `multiIf` and
//! `CASE x WHEN …` to `caseWithExpression`; a missing `ELSE` must be passed as `NULL`).
//!
//! Result type: the least supertype of the branches ([`least_supertype`]). Conditions are
//! integers, `Bool` or `Nullable` of those; a NULL condition counts as false.
//!
//! Short-circuiting: DataFusion evaluates UDF arguments eagerly, so during logical
//! optimisation [`ScalarUDFImpl::simplify`] rewrites each call into DataFusion's native
//! `CASE WHEN cond <> 0 THEN CAST(a AS T) ELSE CAST(b AS T) END`, which evaluates a branch
//! only for the rows that select it (so `if(x = 0, 0, intDiv(1, x))` never divides by
//! zero). When `T` needs ClickHouse metadata (Bool, Int128, …) the CASE is wrapped in a
//! same-type cast whose target field carries it. Plans that skip the optimiser fall back to
//! [`ScalarUDFImpl::invoke_with_args`], which evaluates eagerly with the same result.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::compute::kernels::cmp::{eq, neq};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::{Case, Cast};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, ExprSchemable, Operator, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use sluice_common::{ChType, Error, ErrorCode};

use super::supertype::least_supertype;
use crate::util::{arg_type, ch_error, ch_field};

/// Which conditional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    If,
    MultiIf,
    CaseWithExpression,
}

#[derive(Debug)]
struct Branch {
    kind: Kind,
    name: &'static str,
    signature: Signature,
}

impl PartialEq for Branch {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}
impl Eq for Branch {}
impl Hash for Branch {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    let make = |kind, name| {
        ScalarUDF::new_from_impl(Branch {
            kind,
            name,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    };
    vec![
        make(Kind::If, "if"),
        make(Kind::MultiIf, "multiIf"),
        make(Kind::CaseWithExpression, "caseWithExpression"),
    ]
}

/// Indices of (condition or WHEN value, THEN value) pairs and of the ELSE value.
fn layout(kind: Kind, n: usize, name: &str) -> sluice_common::Result<(Vec<(usize, usize)>, usize)> {
    let bad = |expected: &str| {
        Error::new(
            ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            format!(
                "Invalid number of arguments for function {name}: passed {n}, expected {expected}"
            ),
        )
    };
    match kind {
        Kind::If if n == 3 => Ok((vec![(0, 1)], 2)),
        Kind::If => Err(bad("3")),
        Kind::MultiIf if n >= 3 && !n.is_multiple_of(2) => {
            Ok(((0..n / 2).map(|i| (2 * i, 2 * i + 1)).collect(), n - 1))
        }
        Kind::MultiIf => Err(bad("an odd number, at least 3")),
        Kind::CaseWithExpression if n >= 4 && n.is_multiple_of(2) => Ok((
            (0..(n - 2) / 2).map(|i| (1 + 2 * i, 2 + 2 * i)).collect(),
            n - 1,
        )),
        Kind::CaseWithExpression => Err(bad("an even number, at least 4")),
    }
}

fn check_condition(name: &str, t: &ChType) -> sluice_common::Result<()> {
    let ok = matches!(
        t.base(),
        ChType::Nothing
            | ChType::Bool
            | ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::UInt128
            | ChType::UInt256
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Int128
            | ChType::Int256
    );
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!("Illegal type {t} of condition of function {name}. Must be UInt8 or a number"),
        ))
    }
}

impl Branch {
    /// Result type and, for CASE with an operand, the comparison type.
    fn types(&self, types: &[ChType]) -> sluice_common::Result<(ChType, Option<ChType>)> {
        let (pairs, else_idx) = layout(self.kind, types.len(), self.name)?;
        let mut values: Vec<ChType> = pairs.iter().map(|(_, v)| types[*v].clone()).collect();
        values.push(types[else_idx].clone());
        let result = least_supertype(&values)?;
        if self.kind == Kind::CaseWithExpression {
            let mut keys = vec![types[0].clone()];
            keys.extend(pairs.iter().map(|(w, _)| types[*w].clone()));
            return Ok((result, Some(least_supertype(&keys)?)));
        }
        for (c, _) in &pairs {
            check_condition(self.name, &types[*c])?;
        }
        Ok((result, None))
    }
}

/// Boolean mask "condition is true" (non-zero and not NULL).
fn truth(arr: &ArrayRef) -> Result<BooleanArray> {
    let b = match arr.data_type() {
        DataType::Boolean => arr.as_any().downcast_ref::<BooleanArray>().cloned(),
        DataType::Null => Some(BooleanArray::from(vec![false; arr.len()])),
        DataType::Dictionary(_, v) => return truth(&cast(arr, v)?),
        dt => {
            let zero = ScalarValue::new_zero(dt)?.to_scalar()?;
            Some(neq(arr, &zero)?)
        }
    };
    let b = b.unwrap_or_else(|| BooleanArray::from(vec![false; arr.len()]));
    // NULL → false.
    Ok(match b.nulls() {
        Some(n) => {
            let valid = BooleanArray::new(n.inner().clone(), None);
            datafusion::arrow::compute::and(&BooleanArray::new(b.values().clone(), None), &valid)?
        }
        None => b,
    })
}

fn to_type(arr: &ArrayRef, dt: &DataType) -> Result<ArrayRef> {
    if arr.data_type() == dt {
        Ok(Arc::clone(arr))
    } else {
        Ok(cast(arr, dt)?)
    }
}

impl ScalarUDFImpl for Branch {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let types: Vec<ChType> = arg_types
            .iter()
            .map(|t| ChType::from_arrow(t, false))
            .collect();
        Ok(self.types(&types).map_err(ch_error)?.0.to_arrow())
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<ChType> = args.arg_fields.iter().map(|f| arg_type(f)).collect();
        let (t, _) = self.types(&types).map_err(ch_error)?;
        Ok(ch_field(self.name, &t))
    }
    fn short_circuits(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types: Vec<ChType> = args.arg_fields.iter().map(|f| arg_type(f)).collect();
        let (_, key_type) = self.types(&types).map_err(ch_error)?;
        let (pairs, else_idx) = layout(self.kind, types.len(), self.name).map_err(ch_error)?;
        let rows = args.number_rows;
        let target = args.return_field.data_type().clone();
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<_>>()?;
        let mut out = if matches!(target, DataType::Null) {
            new_null_array(&target, rows)
        } else {
            to_type(&arrays[else_idx], &target)?
        };
        let key = match &key_type {
            Some(k) => Some((to_type(&arrays[0], &k.to_arrow())?, k.to_arrow())),
            None => None,
        };
        for (c, v) in pairs.iter().rev() {
            let mask = match &key {
                Some((key, kt)) => {
                    let w = to_type(&arrays[*c], kt)?;
                    let m = eq(key, &w)?;
                    truth(&(Arc::new(m) as ArrayRef))?
                }
                None => truth(&arrays[*c])?,
            };
            let value = if matches!(target, DataType::Null) {
                new_null_array(&target, rows)
            } else {
                to_type(&arrays[*v], &target)?
            };
            out = zip(&mask, &value, &out)?;
        }
        Ok(ColumnarValue::Array(out))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let schema = info.schema();
        let mut fields = Vec::with_capacity(args.len());
        for a in &args {
            match a.to_field(schema.as_ref()) {
                Ok((_, f)) => fields.push(f),
                Err(_) => return Ok(ExprSimplifyResult::Original(args)),
            }
        }
        let types: Vec<ChType> = fields.iter().map(|f| arg_type(f)).collect();
        let Ok((result, key_type)) = self.types(&types) else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let Ok((pairs, else_idx)) = layout(self.kind, args.len(), self.name) else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let target = result.to_arrow();
        let cast_to = |e: Expr, dt: &DataType, from: &DataType| {
            if from == dt {
                e
            } else {
                Expr::Cast(Cast::new(Box::new(e), dt.clone()))
            }
        };
        let mut when_then = Vec::with_capacity(pairs.len());
        for (c, v) in &pairs {
            let cond = match &key_type {
                Some(k) => {
                    let kt = k.to_arrow();
                    let key = cast_to(args[0].clone(), &kt, fields[0].data_type());
                    let w = cast_to(args[*c].clone(), &kt, fields[*c].data_type());
                    Expr::BinaryExpr(BinaryExpr::new(Box::new(key), Operator::Eq, Box::new(w)))
                }
                None => condition_expr(args[*c].clone(), fields[*c].data_type())?,
            };
            let then = cast_to(args[*v].clone(), &target, fields[*v].data_type());
            when_then.push((Box::new(cond), Box::new(then)));
        }
        let else_expr = cast_to(
            args[else_idx].clone(),
            &target,
            fields[else_idx].data_type(),
        );
        let case = Expr::Case(Case::new(None, when_then, Some(Box::new(else_expr))));
        let field = ch_field("", &result);
        let expr = if field.metadata().is_empty() {
            case
        } else {
            Expr::Cast(Cast::new_from_field(Box::new(case), field))
        };
        Ok(ExprSimplifyResult::Simplified(expr))
    }
}

/// A Boolean expression "condition is non-zero" for a condition of Arrow type `dt`.
fn condition_expr(e: Expr, dt: &DataType) -> Result<Expr> {
    Ok(match dt {
        DataType::Boolean => e,
        DataType::Null => Expr::Cast(Cast::new(Box::new(e), DataType::Boolean)),
        DataType::Dictionary(_, v) => {
            condition_expr(Expr::Cast(Cast::new(Box::new(e), (**v).clone())), v)?
        }
        dt => Expr::BinaryExpr(BinaryExpr::new(
            Box::new(e),
            Operator::NotEq,
            Box::new(Expr::Literal(ScalarValue::new_zero(dt)?, None)),
        )),
    })
}
