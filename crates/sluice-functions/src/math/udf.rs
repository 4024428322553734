//! A table-driven `ScalarUDFImpl` for the math and conditional families: each function is a
//! name, a result-type rule over ClickHouse types and a kernel over Arrow arrays.
//!
//! With [`Nulls::Propagate`] (ClickHouse's default NULL handling) the type rule sees the
//! argument types without `Nullable`, the result becomes `Nullable` when any argument is,
//! a `Nothing` argument (a bare `NULL`) makes the result `Nullable(Nothing)` without running
//! the kernel, and kernels keep input NULLs in the output.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, new_null_array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use sluice_common::ChType;

use crate::util::{arg_type, ch_error, ch_field};

/// Result-type rule: function name and argument types to the ClickHouse result type.
pub(crate) type TypeRule = fn(&str, &[ChType]) -> sluice_common::Result<ChType>;

/// Kernel: function name, argument arrays (all of `rows` length), their ClickHouse types
/// (without `Nullable` under [`Nulls::Propagate`]) and the result type (likewise).
pub(crate) type Kernel = fn(&str, &[ArrayRef], &[ChType], &ChType, usize) -> Result<ArrayRef>;

/// How NULL arguments are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Nulls {
    /// ClickHouse's default: NULL in, NULL out (see the module doc).
    Propagate,
    /// The function sees `Nullable` types and NULLs itself.
    Own,
}

/// One ClickHouse function backed by a [`TypeRule`] and a [`Kernel`].
#[derive(Debug)]
pub(crate) struct ChUdf {
    name: &'static str,
    aliases: Vec<String>,
    signature: Signature,
    rule: TypeRule,
    kernel: Kernel,
    nulls: Nulls,
    /// The result is ClickHouse `UInt8` stored as an Arrow `Boolean` without metadata (so it
    /// can be used as a DataFusion predicate); the kernel returns a `BooleanArray`.
    boolean: bool,
    /// Constant arguments reach the kernel as one-row arrays (the kernel broadcasts them,
    /// see [`expand`]) instead of being materialised to the batch length.
    broadcast: bool,
}

impl PartialEq for ChUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for ChUdf {}
impl Hash for ChUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// Builds a ClickHouse function. `volatile` functions (rand) are re-evaluated per row batch.
pub(crate) fn udf(
    name: &'static str,
    aliases: &[&'static str],
    rule: TypeRule,
    kernel: Kernel,
    nulls: Nulls,
) -> ScalarUDF {
    make(name, aliases, rule, kernel, nulls, Volatility::Immutable)
}

/// Like [`udf`] with an explicit volatility.
pub(crate) fn make(
    name: &'static str,
    aliases: &[&'static str],
    rule: TypeRule,
    kernel: Kernel,
    nulls: Nulls,
    volatility: Volatility,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(ChUdf {
        name,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        signature: any_signature(volatility),
        rule,
        kernel,
        nulls,
        boolean: false,
        broadcast: false,
    })
}

/// Like [`udf`] for kernels that accept one-row (constant) arrays next to full columns:
/// `x + 1` then runs as one pass over `x` instead of materialising a column of ones.
pub(crate) fn udf_broadcast(
    name: &'static str,
    aliases: &[&'static str],
    rule: TypeRule,
    kernel: Kernel,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(ChUdf {
        name,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        signature: any_signature(Volatility::Immutable),
        rule,
        kernel,
        nulls: Nulls::Propagate,
        boolean: false,
        broadcast: true,
    })
}

/// A one-row (constant) array repeated to `rows`; other arrays unchanged.
pub(crate) fn expand(arr: &ArrayRef, rows: usize) -> Result<ArrayRef> {
    if arr.len() == rows || arr.len() != 1 {
        return Ok(Arc::clone(arr));
    }
    ScalarValue::try_from_array(arr, 0)?.to_array_of_size(rows)
}

/// Like [`udf`] for predicates: ClickHouse type `UInt8`, stored as Arrow `Boolean` without
/// metadata (see `sluice_common::types`), so `WHERE equals(a, b)` works in DataFusion.
pub(crate) fn predicate(
    name: &'static str,
    aliases: &[&'static str],
    rule: TypeRule,
    kernel: Kernel,
    nulls: Nulls,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(ChUdf {
        name,
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        signature: any_signature(Volatility::Immutable),
        rule,
        kernel,
        nulls,
        boolean: true,
        broadcast: false,
    })
}

/// Any number of arguments of any type, zero included (`e()`, `rand()`).
pub(crate) fn any_signature(volatility: Volatility) -> Signature {
    Signature::one_of(
        vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
        volatility,
    )
}

fn is_nothing(t: &ChType) -> bool {
    matches!(t.non_nullable(), ChType::Nothing)
}

impl ChUdf {
    fn result_type(&self, types: &[ChType]) -> sluice_common::Result<ChType> {
        match self.nulls {
            Nulls::Own => (self.rule)(self.name, types),
            Nulls::Propagate => {
                if types.iter().any(is_nothing) {
                    return Ok(ChType::Nullable(Box::new(ChType::Nothing)));
                }
                let stripped: Vec<ChType> = types.iter().map(|t| t.base().clone()).collect();
                let t = (self.rule)(self.name, &stripped)?;
                Ok(if types.iter().any(ChType::is_nullable) {
                    crate::conditional::supertype::make_nullable(t)
                } else {
                    t
                })
            }
        }
    }
}

impl ScalarUDFImpl for ChUdf {
    fn name(&self) -> &str {
        self.name
    }
    fn aliases(&self) -> &[String] {
        &self.aliases
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let types: Vec<ChType> = arg_types
            .iter()
            .map(|t| ChType::from_arrow(t, false))
            .collect();
        let t = self.result_type(&types).map_err(ch_error)?;
        if self.boolean && !matches!(t.non_nullable(), ChType::Nothing) {
            return Ok(DataType::Boolean);
        }
        Ok(t.to_arrow())
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<ChType> = args.arg_fields.iter().map(|f| arg_type(f)).collect();
        let t = self.result_type(&types).map_err(ch_error)?;
        if self.boolean && !matches!(t.non_nullable(), ChType::Nothing) {
            return Ok(Arc::new(Field::new(
                self.name,
                DataType::Boolean,
                t.is_nullable(),
            )));
        }
        Ok(ch_field(self.name, &t))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types: Vec<ChType> = args.arg_fields.iter().map(|f| arg_type(f)).collect();
        let result = ChType::from_field(&args.return_field);
        let all_scalar = !args.args.is_empty()
            && args
                .args
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        if self.nulls == Nulls::Propagate && types.iter().any(is_nothing) {
            let arr = new_null_array(args.return_field.data_type(), rows);
            return finish(arr, all_scalar);
        }
        let mut arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) if self.broadcast => s.to_array_of_size(1),
                a => a.to_array(rows),
            })
            .collect::<Result<_>>()?;
        if self.nulls == Nulls::Propagate {
            // LowCardinality arguments: kernels see the plain values.
            for a in &mut arrays {
                if let DataType::Dictionary(_, value) = a.data_type() {
                    *a = datafusion::arrow::compute::cast(a, value)?;
                }
            }
        }
        let (types, result) = match self.nulls {
            Nulls::Own => (types, result),
            Nulls::Propagate => (
                types.iter().map(|t| t.base().clone()).collect(),
                result.base().clone(),
            ),
        };
        let out = (self.kernel)(self.name, &arrays, &types, &result, rows)?;
        finish(out, all_scalar)
    }
}

fn finish(arr: ArrayRef, scalar: bool) -> Result<ColumnarValue> {
    if scalar && arr.len() == 1 {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&arr, 0)?))
    } else {
        Ok(ColumnarValue::Array(Arc::clone(&arr)))
    }
}

/// Checks the argument count: `ILLEGAL`-style ClickHouse error when it is outside `min..=max`.
pub(crate) fn check_arity(
    name: &str,
    types: &[ChType],
    min: usize,
    max: usize,
) -> sluice_common::Result<()> {
    if types.len() < min || types.len() > max {
        let expected = if min == max {
            min.to_string()
        } else {
            format!("{min} to {max}")
        };
        return Err(sluice_common::Error::new(
            sluice_common::ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            format!(
                "Number of arguments for function {name} doesn't match: passed {}, should be {expected}",
                types.len()
            ),
        ));
    }
    Ok(())
}

/// `ILLEGAL_TYPE_OF_ARGUMENT` for `name` with the given types.
pub(crate) fn illegal_types(name: &str, types: &[ChType]) -> sluice_common::Error {
    let names: Vec<String> = types.iter().map(ToString::to_string).collect();
    let what = if names.len() == 1 { "type" } else { "types" };
    sluice_common::Error::new(
        sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
        format!(
            "Illegal {what} {} of arguments of function {name}",
            names.join(" and ")
        ),
    )
}
