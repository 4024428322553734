//! `arrayFold((acc, x1, …) -> body, a1, …, init)`: a lambda applied element by element
//! with an accumulator, like ClickHouse's. The call becomes a per-query scalar UDF
//! `__lambda_N(a1, …, init, c1, …)` (captured outer columns `c…` last). Execution runs one
//! step per element position: step `k` evaluates the body once over the rows whose arrays
//! have more than `k` elements (their accumulators, their `k`-th elements and their captured
//! values), and those rows' accumulators take the results; rows with shorter arrays keep
//! theirs. The body's type must equal the accumulator's (ClickHouse's `TYPE_MISMATCH`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, UInt32Array};
use datafusion::arrow::compute::{interleave, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion::sql::sqlparser::ast::Expr as SqlExpr;
use sluice_common::{ChType, ErrorCode};

use crate::lambda::{LambdaUdf, StateCell, ch, plan_body};

/// One `arrayFold` lambda of one query: a [`LambdaUdf`]'s parts (parameters: the
/// accumulator, then one per array) with the fold's own planning and execution.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FoldUdf {
    inner: LambdaUdf,
}

impl FoldUdf {
    /// A fold lambda named `name`: `params` = accumulator then one per array.
    pub fn new(
        name: String,
        params: Vec<String>,
        captured: Vec<String>,
        body: SqlExpr,
        state: StateCell,
    ) -> Self {
        Self {
            inner: LambdaUdf::new(name, params, captured, body, state),
        }
    }

    /// Number of array arguments.
    fn arrays(&self) -> usize {
        self.inner.params.len() - 1
    }

    /// The body's input schema: accumulator, elements, captured columns.
    fn body_schema(&self, arg_fields: &[FieldRef]) -> DfResult<Schema> {
        let k = self.arrays();
        if arg_fields.len() != k + 1 + self.inner.captured.len() {
            return Err(ch(
                ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                format!(
                    "Lambda for function arrayFold takes {} arguments, got {} arrays",
                    self.inner.params.len(),
                    arg_fields
                        .len()
                        .saturating_sub(self.inner.captured.len() + 1)
                ),
            ));
        }
        let mut fields = Vec::with_capacity(arg_fields.len());
        fields.push(
            arg_fields[k]
                .as_ref()
                .clone()
                .with_name(self.inner.params[0].clone()),
        );
        for (i, p) in self.inner.params[1..].iter().enumerate() {
            let elem = match arg_fields[i].data_type() {
                DataType::List(e) => e.as_ref().clone(),
                _ => {
                    return Err(ch(
                        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                        format!(
                            "Argument {} of function arrayFold must be an array, got {}",
                            i + 2,
                            ChType::from_field(&arg_fields[i])
                        ),
                    ));
                }
            };
            fields.push(elem.with_name(p.clone()));
        }
        for (i, c) in self.inner.captured.iter().enumerate() {
            fields.push(arg_fields[k + 1 + i].as_ref().clone().with_name(c.clone()));
        }
        Ok(Schema::new(fields))
    }
}

impl ScalarUDFImpl for FoldUdf {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn signature(&self) -> &Signature {
        &self.inner.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Err(ch(
            ErrorCode::LOGICAL_ERROR,
            "arrayFold: return_field_from_args is used",
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let schema = self.body_schema(args.arg_fields)?;
        let (physical, field) = plan_body(&self.inner.state, &self.inner.body, &schema)?;
        let acc_field = &args.arg_fields[self.arrays()];
        let acc_type = ChType::from_field(acc_field);
        let body_type = ChType::from_field(&field);
        if acc_type != body_type {
            return Err(ch(
                ErrorCode::TYPE_MISMATCH,
                format!(
                    "Return type of lambda function must be the same as the accumulator type, inferred return type of lambda: {body_type}, inferred type of accumulator: {acc_type}"
                ),
            ));
        }
        *self.inner.compiled.lock() = Some(physical);
        Ok(Arc::new(
            acc_field.as_ref().clone().with_name(&self.inner.name),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let k = self.arrays();
        let schema = Arc::new(self.body_schema(&args.arg_fields)?);
        let physical = match self.inner.compiled.lock().clone() {
            Some(p) => p,
            None => plan_body(&self.inner.state, &self.inner.body, &schema)?.0,
        };
        let values: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DfResult<_>>()?;
        let mut lists: Vec<&ListArray> = Vec::with_capacity(k);
        for v in &values[..k] {
            lists.push(v.as_list_opt::<i32>().ok_or_else(|| {
                ch(
                    ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                    "arrayFold argument is not an array",
                )
            })?);
        }
        let mut lens = Vec::with_capacity(n);
        for row in 0..n {
            let len = lists[0].value_length(row);
            if lists.iter().any(|l| l.value_length(row) != len) {
                return Err(ch(
                    ErrorCode::SIZES_OF_ARRAYS_DOESNT_MATCH,
                    "Arrays passed to arrayFold must have equal size",
                ));
            }
            lens.push(len as usize);
        }
        let mut acc = Arc::clone(&values[k]);
        let steps = lens.iter().copied().max().unwrap_or(0);
        let captured = &values[k + 1..];
        for step in 0..steps {
            let rows: Vec<u32> = (0..n)
                .filter(|&r| lens[r] > step)
                .map(|r| r as u32)
                .collect();
            let rows = UInt32Array::from(rows);
            let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
            cols.push(take(acc.as_ref(), &rows, None)?);
            for l in &lists {
                let idx: UInt32Array = rows
                    .values()
                    .iter()
                    .map(|&r| l.value_offsets()[r as usize] as u32 + step as u32)
                    .collect();
                cols.push(take(l.values().as_ref(), &idx, None)?);
            }
            for c in captured {
                cols.push(take(c.as_ref(), &rows, None)?);
            }
            let opts = RecordBatchOptions::new().with_row_count(Some(rows.len()));
            let batch = RecordBatch::try_new_with_options(Arc::clone(&schema), cols, &opts)?;
            let mut next = physical.evaluate(&batch)?.into_array(rows.len())?;
            if next.data_type() != acc.data_type() {
                next = datafusion::arrow::compute::cast(&next, acc.data_type())?;
            }
            let mut pick = Vec::with_capacity(n);
            let mut j = 0;
            for &len in &lens {
                if len > step {
                    pick.push((1, j));
                    j += 1;
                } else {
                    pick.push((0, pick.len()));
                }
            }
            acc = interleave(&[acc.as_ref(), next.as_ref()], &pick)?;
        }
        let field: &Field = args.return_field.as_ref();
        if acc.data_type() != field.data_type() {
            acc = datafusion::arrow::compute::cast(&acc, field.data_type())?;
        }
        Ok(ColumnarValue::Array(acc))
    }
}
