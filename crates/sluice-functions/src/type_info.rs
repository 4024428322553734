//! Introspection and helper functions: `toTypeName`, `toColumnTypeName`, `materialize`,
//! `ignore`, `isConstant`, `currentDatabase`, `version`, `timezone`, `rowNumberInBlock`,
//! `blockSize`, `defaultValueOfArgumentType`, and `__ch_bool` — the
//! engine's wrapper that makes any ClickHouse condition (numbers, Nullable numbers) a
//! DataFusion boolean, and disappears when the condition already is one.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, StringArray, UInt8Array};
use datafusion::arrow::compute::kernels::cmp::neq;
use datafusion::arrow::compute::{cast, is_not_null};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility, lit,
};
use sluice_common::ChType;

use crate::ch_bail;
use crate::util::arg_type;

/// The ClickHouse release whose behaviour Sluice follows (what `version()` reports).
pub const CLICKHOUSE_VERSION: &str = "26.9.2.1";

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Introspect::new("toTypeName", Kind::TypeName)),
        ScalarUDF::new_from_impl(Introspect::new("toColumnTypeName", Kind::ColumnTypeName)),
        ScalarUDF::new_from_impl(Introspect::new("materialize", Kind::Materialize)),
        ScalarUDF::new_from_impl(Introspect::new("identity", Kind::Materialize)),
        ScalarUDF::new_from_impl(Introspect::new("ignore", Kind::Ignore)),
        ScalarUDF::new_from_impl(Introspect::new("isConstant", Kind::IsConstant)),
        ScalarUDF::new_from_impl(Introspect::new("currentDatabase", Kind::CurrentDatabase)),
        ScalarUDF::new_from_impl(Introspect::new("version", Kind::Version)),
        ScalarUDF::new_from_impl(Introspect::new("timezone", Kind::Timezone)),
        ScalarUDF::new_from_impl(Introspect::new("timeZone", Kind::Timezone)),
        ScalarUDF::new_from_impl(Introspect::new("serverTimezone", Kind::Timezone)),
        ScalarUDF::new_from_impl(Introspect::new("__ch_bool", Kind::ChBool)),
        ScalarUDF::new_from_impl(Introspect::new("rowNumberInBlock", Kind::RowNumberInBlock)),
        ScalarUDF::new_from_impl(Introspect::new("blockSize", Kind::BlockSize)),
        ScalarUDF::new_from_impl(Introspect::new(
            "defaultValueOfArgumentType",
            Kind::DefaultOfArgumentType,
        )),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    TypeName,
    ColumnTypeName,
    Materialize,
    Ignore,
    IsConstant,
    CurrentDatabase,
    Version,
    Timezone,
    ChBool,
    RowNumberInBlock,
    BlockSize,
    DefaultOfArgumentType,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Introspect {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

impl Introspect {
    fn new(name: &'static str, kind: Kind) -> Self {
        let volatility = match kind {
            Kind::Materialize | Kind::IsConstant | Kind::RowNumberInBlock | Kind::BlockSize => {
                Volatility::Volatile
            }
            _ => Volatility::Immutable,
        };
        Self {
            name,
            kind,
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                volatility,
            ),
        }
    }
}

fn ch_type_name(f: &Field) -> String {
    arg_type(f).pretty_name(0)
}

fn column_type_name(f: &Field) -> String {
    let t = arg_type(f);
    match t {
        ChType::Nullable(inner) => format!("Nullable({})", plain_column(&inner)),
        other => plain_column(&other),
    }
}

fn plain_column(t: &ChType) -> String {
    match t {
        ChType::UInt8 => "UInt8".into(),
        ChType::Bool => "UInt8".into(),
        ChType::UInt16 | ChType::Date => "UInt16".into(),
        ChType::UInt32 | ChType::DateTime(_) | ChType::IPv4 => "UInt32".into(),
        ChType::Int32 | ChType::Date32 => "Int32".into(),
        ChType::DateTime64(..) | ChType::Decimal { .. } => format!("Decimal({t})"),
        ChType::Enum8(_) => "Int8".into(),
        ChType::Enum16(_) => "Int16".into(),
        other => other.to_string(),
    }
}

impl ScalarUDFImpl for Introspect {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let n = args.arg_fields.len();
        let need = |lo: usize, hi: usize| -> Result<()> {
            if n < lo || n > hi {
                ch_bail!(
                    NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                    "Number of arguments for function {} doesn't match: passed {n}, should be {}",
                    self.name,
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("from {lo} to {hi}")
                    }
                );
            }
            Ok(())
        };
        Ok(Arc::new(match self.kind {
            Kind::TypeName | Kind::ColumnTypeName => {
                need(1, 1)?;
                Field::new(self.name, DataType::Utf8, false)
            }
            Kind::Materialize => {
                need(1, 1)?;
                args.arg_fields[0].as_ref().clone().with_name(self.name)
            }
            Kind::DefaultOfArgumentType => {
                need(1, 1)?;
                let t = arg_type(&args.arg_fields[0]);
                return Ok(crate::util::ch_field(self.name, &t));
            }
            Kind::Ignore | Kind::IsConstant => Field::new(self.name, DataType::UInt8, false),
            Kind::RowNumberInBlock | Kind::BlockSize => {
                need(0, 0)?;
                Field::new(self.name, DataType::UInt64, false)
            }
            Kind::CurrentDatabase | Kind::Version | Kind::Timezone => {
                need(0, 0)?;
                Field::new(self.name, DataType::Utf8, false)
            }
            Kind::ChBool => {
                need(1, 1)?;
                let f = &args.arg_fields[0];
                match f.data_type() {
                    DataType::Boolean
                    | DataType::Null
                    | DataType::UInt8
                    | DataType::UInt16
                    | DataType::UInt32
                    | DataType::UInt64
                    | DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
                    | DataType::Float32
                    | DataType::Float64 => {}
                    DataType::Dictionary(_, v) if v.is_numeric() => {}
                    other => ch_bail!(
                        ILLEGAL_TYPE_OF_COLUMN_FOR_FILTER,
                        "Illegal type {} of column for filter. Must be UInt8 or Nullable(UInt8).",
                        ChType::from_field(&Field::new("", other.clone(), f.is_nullable()))
                    ),
                }
                Field::new(self.name, DataType::Boolean, f.is_nullable())
            }
        }))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        if self.kind == Kind::ChBool
            && args.len() == 1
            && let Ok(DataType::Boolean) = info.get_data_type(&args[0])
        {
            let mut args = args;
            return Ok(ExprSimplifyResult::Simplified(args.remove(0)));
        }
        if self.kind == Kind::TypeName && args.len() == 1 {
            // Constant per query: fold early so the column is a constant.
            let _ = lit(0);
        }
        Ok(ExprSimplifyResult::Original(args))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        match self.kind {
            Kind::TypeName => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                ch_type_name(&args.arg_fields[0]),
            )))),
            Kind::ColumnTypeName => {
                let name = column_type_name(&args.arg_fields[0]);
                let name = match &args.args[0] {
                    ColumnarValue::Scalar(_) => format!("Const({name})"),
                    ColumnarValue::Array(_) => name,
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name))))
            }
            Kind::Materialize => {
                let a = args.args.into_iter().next();
                match a {
                    Some(v) => Ok(ColumnarValue::Array(v.into_array(rows)?)),
                    None => ch_bail!(
                        NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                        "materialize needs 1 argument"
                    ),
                }
            }
            Kind::Ignore => Ok(ColumnarValue::Scalar(ScalarValue::UInt8(Some(0)))),
            Kind::DefaultOfArgumentType => {
                let t = arg_type(&args.arg_fields[0]);
                Ok(ColumnarValue::Scalar(
                    crate::aggregate::value::default_value(&t)?,
                ))
            }
            Kind::RowNumberInBlock => Ok(ColumnarValue::Array(Arc::new(
                datafusion::arrow::array::UInt64Array::from_iter_values(0..rows as u64),
            ))),
            Kind::BlockSize => Ok(ColumnarValue::Array(Arc::new(
                datafusion::arrow::array::UInt64Array::from_value(rows as u64, rows),
            ))),
            Kind::IsConstant => {
                let c = args
                    .args
                    .iter()
                    .all(|a| matches!(a, ColumnarValue::Scalar(_)));
                Ok(ColumnarValue::Scalar(ScalarValue::UInt8(Some(c as u8))))
            }
            Kind::CurrentDatabase => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                args.config_options.catalog.default_schema.clone(),
            )))),
            Kind::Version => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                CLICKHOUSE_VERSION.to_string(),
            )))),
            Kind::Timezone => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                args.config_options
                    .execution
                    .time_zone
                    .clone()
                    .unwrap_or_else(|| "UTC".to_string()),
            )))),
            Kind::ChBool => {
                let v = args.args.into_iter().next();
                let Some(v) = v else {
                    ch_bail!(
                        NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                        "__ch_bool needs 1 argument"
                    )
                };
                match v {
                    ColumnarValue::Scalar(s) => {
                        let arr = s.to_array_of_size(1)?;
                        let b = to_bool(&arr)?;
                        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&b, 0)?))
                    }
                    ColumnarValue::Array(a) => Ok(ColumnarValue::Array(to_bool(&a)?)),
                }
            }
        }
    }
}

fn to_bool(a: &ArrayRef) -> Result<ArrayRef> {
    match a.data_type() {
        DataType::Boolean => Ok(Arc::clone(a)),
        DataType::Null => Ok(Arc::new(BooleanArray::new_null(a.len()))),
        _ => {
            let f = cast(a, &DataType::Float64)?;
            let zero = datafusion::arrow::array::Float64Array::new_scalar(0.0);
            let r = neq(&f, &zero)?;
            let _ = is_not_null;
            Ok(Arc::new(r))
        }
    }
}

#[allow(dead_code)]
fn unused(_: &StringArray, _: &UInt8Array) {}
