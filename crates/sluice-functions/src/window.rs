//! Window-only functions: `lagInFrame(x[, offset[, default]])` and
//! `leadInFrame(x[, offset[, default]])`.
//!
//! Unlike SQL's `lag`/`lead`, they respect the window frame: the row `offset` rows before
//! (after) the current one is read only when it lies inside the current row's frame;
//! otherwise the result is `default`, or the type's default value (`NULL` for `Nullable`)
//! when there is none. With `ORDER BY` the default frame ends at the current row's peers, so
//! `leadInFrame` needs an explicit frame (as in ClickHouse). `default` must fit the
//! argument's type (its supertype with it is the argument's type), else `BAD_ARGUMENTS`.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    PartitionEvaluator, Signature, TypeSignature, Volatility, WindowUDF, WindowUDFImpl,
};
use sluice_common::ChType;

use crate::ch_bail;
use crate::util::arg_type;

/// The window functions, ready to register.
pub fn functions() -> Vec<WindowUDF> {
    vec![
        WindowUDF::new_from_impl(InFrame::new("lagInFrame", false)),
        WindowUDF::new_from_impl(InFrame::new("leadInFrame", true)),
    ]
}

/// `lagInFrame` (`lead == false`) or `leadInFrame`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct InFrame {
    name: &'static str,
    lead: bool,
    signature: Signature,
}

impl InFrame {
    fn new(name: &'static str, lead: bool) -> Self {
        Self {
            name,
            lead,
            signature: Signature::one_of(
                vec![
                    TypeSignature::Any(1),
                    TypeSignature::Any(2),
                    TypeSignature::Any(3),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

/// Whether a value of type `from` is a value of type `to` as ClickHouse's supertype rule
/// sees it (`to` is the supertype of the two).
fn fits(from: &ChType, to: &ChType) -> bool {
    use ChType as T;
    if from == to || matches!(from, T::Nothing) && to.is_nullable() {
        return true;
    }
    let (from, to) = (from.non_nullable(), to.non_nullable());
    if from == to {
        return true;
    }
    let int = |t: &ChType| -> Option<(bool, u32)> {
        Some(match t {
            T::UInt8 => (false, 8),
            T::UInt16 => (false, 16),
            T::UInt32 => (false, 32),
            T::UInt64 => (false, 64),
            T::Int8 => (true, 8),
            T::Int16 => (true, 16),
            T::Int32 => (true, 32),
            T::Int64 => (true, 64),
            _ => return None,
        })
    };
    match (int(&from), int(&to)) {
        (Some((fs, fb)), Some((ts, tb))) => match (fs, ts) {
            (false, false) | (true, true) => fb <= tb,
            (false, true) => fb < tb,
            (true, false) => false,
        },
        _ => matches!((&from, &to), (T::Float32, T::Float64)),
    }
}

impl WindowUDFImpl for InFrame {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn field(&self, args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let fields = args.input_fields();
        let Some(x) = fields.first() else {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Function {} takes 1 to 3 arguments",
                self.name
            );
        };
        if let Some(offset) = fields.get(1)
            && !offset.data_type().is_integer()
        {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Offset must be an integer, {} given",
                arg_type(offset)
            );
        }
        if let Some(default) = fields.get(2) {
            let (d, t) = (arg_type(default), arg_type(x));
            if !fits(&d, &t) {
                ch_bail!(
                    BAD_ARGUMENTS,
                    "There is no supertype for the argument type '{t}' and the default value type '{d}'"
                );
            }
        }
        Ok(Arc::new(
            Field::new(args.name(), x.data_type().clone(), x.is_nullable())
                .with_metadata(x.metadata().clone()),
        ))
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        let Some(x) = args.input_fields().first() else {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Function {} takes 1 to 3 arguments",
                self.name
            );
        };
        let data_type = x.data_type().clone();
        let fallback = if x.is_nullable() {
            ScalarValue::try_from(&data_type)?
        } else {
            ScalarValue::new_default(&data_type).or_else(|_| ScalarValue::try_from(&data_type))?
        };
        Ok(Box::new(InFrameEvaluator {
            name: self.name,
            args: args.input_fields().len(),
            lead: self.lead,
            row: 0,
            data_type,
            fallback,
        }))
    }
}

#[derive(Debug)]
struct InFrameEvaluator {
    name: &'static str,
    lead: bool,
    /// How many of `values` are the call's arguments (DataFusion appends the ORDER BY
    /// columns).
    args: usize,
    /// The current row's index in the partition (rows are evaluated in order).
    row: usize,
    data_type: DataType,
    fallback: ScalarValue,
}

impl PartitionEvaluator for InFrameEvaluator {
    fn uses_window_frame(&self) -> bool {
        true
    }

    fn evaluate(&mut self, values: &[ArrayRef], range: &Range<usize>) -> Result<ScalarValue> {
        let cur = self.row;
        self.row += 1;
        let values = &values[..self.args.min(values.len())];
        let offset: i128 = match values.get(1) {
            Some(a) => match ScalarValue::try_from_array(a, cur)? {
                ScalarValue::Int8(Some(v)) => v.into(),
                ScalarValue::Int16(Some(v)) => v.into(),
                ScalarValue::Int32(Some(v)) => v.into(),
                ScalarValue::Int64(Some(v)) => v.into(),
                ScalarValue::UInt8(Some(v)) => v.into(),
                ScalarValue::UInt16(Some(v)) => v.into(),
                ScalarValue::UInt32(Some(v)) => v.into(),
                ScalarValue::UInt64(Some(v)) => v.into(),
                other => ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Offset of {} must be an integer, {other} given",
                    self.name
                ),
            },
            None => 1,
        };
        if !(0..=i64::MAX as i128).contains(&offset) {
            ch_bail!(
                BAD_ARGUMENTS,
                "The offset for function {} must be in (0, 9223372036854775807], {offset} given",
                self.name
            );
        }
        let target = if self.lead {
            cur as i128 + offset
        } else {
            cur as i128 - offset
        };
        if target >= range.start as i128 && target < range.end as i128 {
            return ScalarValue::try_from_array(&values[0], target as usize);
        }
        match values.get(2) {
            Some(d) => {
                let v = ScalarValue::try_from_array(d, cur)?;
                if v.data_type() == self.data_type {
                    Ok(v)
                } else {
                    v.cast_to(&self.data_type)
                }
            }
            None => Ok(self.fallback.clone()),
        }
    }
}
