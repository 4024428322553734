//! ClickHouse lambdas (`x -> expr`, `(x, y) -> expr`) in higher-order array functions.
//!
//! `arrayMap(x -> body, a1, …)` becomes a per-query scalar UDF `__lambda_N(a1, …, c1, …)`
//! whose extra arguments `c…` are the outer columns the body captures. At planning time the
//! UDF plans `body` against a schema of the lambda parameters (the arrays' element types)
//! and the captured columns; at execution it flattens the arrays, repeats each captured
//! value once per element of its row, evaluates the body once over all elements and
//! rebuilds the arrays. Other higher-order functions call `sluice-functions`' kernels on
//! the mapped arrays (`arrayFilter(f, a)` → `__sluice_arrayFilter(a, arrayMap(f, a))`).

use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, ListArray, UInt32Array};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::DFSchema;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::ExprSchemable;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, ExprWithAlias};
use parking_lot::Mutex;
use sluice_common::{Error, ErrorCode};

/// The state a lambda UDF plans its body with (set once the query's state is built).
pub type StateCell = Arc<OnceLock<SessionState>>;

/// One lambda of one query.
#[derive(Debug)]
pub struct LambdaUdf {
    pub(crate) name: String,
    pub(crate) params: Vec<String>,
    pub(crate) captured: Vec<String>,
    pub(crate) body: SqlExpr,
    pub(crate) state: StateCell,
    pub(crate) signature: Signature,
    pub(crate) compiled: Mutex<Option<Arc<dyn PhysicalExpr>>>,
}

impl PartialEq for LambdaUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for LambdaUdf {}
impl std::hash::Hash for LambdaUdf {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name.hash(h)
    }
}

pub(crate) fn ch(code: ErrorCode, msg: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(Error::new(code, msg)))
}

impl LambdaUdf {
    /// A lambda named `name` with parameters, captured outer columns and a rewritten body.
    pub fn new(
        name: String,
        params: Vec<String>,
        captured: Vec<String>,
        body: SqlExpr,
        state: StateCell,
    ) -> Self {
        Self {
            name,
            params,
            captured,
            body,
            state,
            signature: Signature::variadic_any(Volatility::Immutable),
            compiled: Mutex::new(None),
        }
    }

    fn body_schema(&self, arg_fields: &[FieldRef]) -> DfResult<Schema> {
        let k = self.params.len();
        if arg_fields.len() != k + self.captured.len() {
            return Err(ch(
                ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                format!(
                    "Lambda with {k} parameters needs {k} arrays, got {}",
                    arg_fields.len().saturating_sub(self.captured.len())
                ),
            ));
        }
        let mut fields = Vec::with_capacity(arg_fields.len());
        for (i, p) in self.params.iter().enumerate() {
            let f = &arg_fields[i];
            let elem = match f.data_type() {
                DataType::List(e) | DataType::LargeList(e) => e.as_ref().clone(),
                other => {
                    return Err(ch(
                        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                        format!("Expected an array argument for a lambda, got {other}"),
                    ));
                }
            };
            fields.push(elem.with_name(p.clone()));
        }
        for (i, c) in self.captured.iter().enumerate() {
            fields.push(arg_fields[k + i].as_ref().clone().with_name(c.clone()));
        }
        Ok(Schema::new(fields))
    }

    fn plan(&self, schema: &Schema) -> DfResult<(Arc<dyn PhysicalExpr>, Field)> {
        plan_body(&self.state, &self.body, schema)
    }
}

/// Plans a lambda's `body` against `schema` (its parameters and captured columns).
pub(crate) fn plan_body(
    state: &StateCell,
    body: &SqlExpr,
    schema: &Schema,
) -> DfResult<(Arc<dyn PhysicalExpr>, Field)> {
    let state = state
        .get()
        .ok_or_else(|| DataFusionError::Internal("lambda state not set".into()))?;
    let df_schema = DFSchema::try_from(schema.clone())?;
    let logical = state.create_logical_expr_from_sql_expr(
        ExprWithAlias {
            expr: body.clone(),
            alias: None,
        },
        &df_schema,
    )?;
    let field = logical.to_field(&df_schema)?.1.as_ref().clone();
    let physical = state.create_physical_expr(logical, &df_schema)?;
    Ok((physical, field))
}

impl ScalarUDFImpl for LambdaUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Err(DataFusionError::Internal(
            "lambda return_type called".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let schema = self.body_schema(args.arg_fields)?;
        let (physical, field) = self.plan(&schema)?;
        *self.compiled.lock() = Some(physical);
        let item = field.with_name("item");
        Ok(Arc::new(Field::new(
            &self.name,
            DataType::List(Arc::new(item)),
            false,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let k = self.params.len();
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DfResult<_>>()?;
        let schema = Arc::new(self.body_schema(&args.arg_fields)?);
        let physical = match self.compiled.lock().clone() {
            Some(p) => p,
            None => self.plan(&schema)?.0,
        };
        let first = arrays[0]
            .as_any()
            .downcast_ref::<ListArray>()
            .ok_or_else(|| {
                ch(
                    ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                    "lambda argument is not an array",
                )
            })?;
        let offsets = first.value_offsets();
        let base = offsets[0] as usize;
        let total = (offsets[n] - offsets[0]) as usize;
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(arrays.len());
        for a in arrays.iter().take(k) {
            let l = a.as_any().downcast_ref::<ListArray>().ok_or_else(|| {
                ch(
                    ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                    "lambda argument is not an array",
                )
            })?;
            for row in 0..n {
                if l.value_length(row) != first.value_length(row) {
                    return Err(ch(
                        ErrorCode::SIZES_OF_ARRAYS_DOESNT_MATCH,
                        "Arrays passed to arrayMap must have equal size",
                    ));
                }
            }
            let o = l.value_offsets();
            cols.push(l.values().slice(o[0] as usize, total));
        }
        if !self.captured.is_empty() {
            let mut idx = Vec::with_capacity(total);
            for row in 0..n {
                for _ in 0..first.value_length(row) {
                    idx.push(row as u32);
                }
            }
            let idx = UInt32Array::from(idx);
            for a in arrays.iter().skip(k) {
                cols.push(take(a.as_ref(), &idx, None)?);
            }
        }
        let opts =
            datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(total));
        let batch = RecordBatch::try_new_with_options(Arc::clone(&schema), cols, &opts)?;
        let values = physical.evaluate(&batch)?.into_array(total)?;
        let new_offsets: Vec<i32> = offsets.iter().map(|o| o - base as i32).collect();
        let item = match args.return_field.data_type() {
            DataType::List(f) => Arc::clone(f),
            _ => Arc::new(Field::new("item", values.data_type().clone(), true)),
        };
        let item = if item.data_type() == values.data_type() {
            item
        } else {
            Arc::new(Field::new("item", values.data_type().clone(), true))
        };
        let list = ListArray::try_new(
            item,
            OffsetBuffer::new(new_offsets.into()),
            values,
            first.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}
