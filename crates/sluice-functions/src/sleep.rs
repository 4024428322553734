//! `sleep(seconds)` and `sleepEachRow(seconds)`: pause the query, once per block or once per
//! row of the block, and return `0` for every row.
//!
//! As in ClickHouse, the argument is a constant `UInt8`–`UInt64`/`Bool`/`Float*`/`BFloat16`
//! (possibly `Nullable`: a `NULL` returns `NULL` without sleeping); negative, non-finite and
//! over-`UInt32` values are `BAD_ARGUMENTS`, and one block may sleep at most 3 s
//! (`TOO_SLOW`, ClickHouse's default `function_sleep_max_microseconds_per_block`), checked
//! only when the block has rows. The pause is a `std::thread::sleep` inside the function's
//! evaluation, which is what ClickHouse does on its query thread; on a tokio worker it runs
//! inside `block_in_place`, so the worker's other tasks move to another thread meanwhile. DataFusion's batches are Sluice's blocks, so `sleepEachRow` sleeps
//! `seconds × rows in the batch`.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{UInt8Array, new_null_array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use sluice_common::ChType;

use crate::ch_bail;
use crate::util::arg_type;

/// The most one block may sleep, in microseconds (ClickHouse's default
/// `function_sleep_max_microseconds_per_block`).
const MAX_MICROSECONDS_PER_BLOCK: u64 = 3_000_000;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Sleep::new("sleep", false)),
        ScalarUDF::new_from_impl(Sleep::new("sleepEachRow", true)),
    ]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Sleep {
    name: &'static str,
    each_row: bool,
    signature: Signature,
}

impl Sleep {
    fn new(name: &'static str, each_row: bool) -> Self {
        Self {
            name,
            each_row,
            // Volatile: never folded at planning, evaluated for every batch.
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                Volatility::Volatile,
            ),
        }
    }

    /// The microseconds to sleep for a block of `rows` rows, after ClickHouse's checks.
    fn microseconds(&self, seconds: f64, rows: usize) -> Result<u64> {
        if !seconds.is_finite() || seconds < 0.0 || seconds > f64::from(u32::MAX) {
            ch_bail!(
                BAD_ARGUMENTS,
                "Cannot sleep infinite, very large or negative amount of time (not implemented)"
            );
        }
        if rows == 0 {
            return Ok(0);
        }
        let per = if self.each_row { rows as f64 } else { 1.0 };
        let micros = (seconds * per * 1e6) as u64;
        if micros > MAX_MICROSECONDS_PER_BLOCK {
            let block = if self.each_row {
                format!(" per block (of size {rows})")
            } else {
                String::new()
            };
            ch_bail!(
                TOO_SLOW,
                "The maximum sleep time is {MAX_MICROSECONDS_PER_BLOCK} microseconds. \
                 Requested: {micros} microseconds{block}"
            );
        }
        Ok(micros)
    }
}

/// Sleeps on this thread. On a worker of tokio's multi-thread runtime (where DataFusion
/// polls the query) the runtime is told first, so it hands the worker's other tasks —
/// queued connections, other queries — to another thread instead of leaving them behind the
/// sleep (a `SELECT 1` beside a `SELECT sleep(2)` waited 1.6 s for it).
fn pause(d: Duration) {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(|| std::thread::sleep(d));
    } else {
        std::thread::sleep(d);
    }
}

/// Whether ClickHouse's `sleep` accepts `t` (`UInt*` up to 64 bits or `Float*`).
fn accepted(t: &ChType) -> bool {
    matches!(
        t,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Bool
            | ChType::Float32
            | ChType::Float64
            | ChType::BFloat16
            | ChType::Nothing
    )
}

impl ScalarUDFImpl for Sleep {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let n = args.arg_fields.len();
        if n != 1 {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function {} doesn't match: passed {n}, should be 1",
                self.name
            );
        }
        let t = arg_type(&args.arg_fields[0]);
        if !accepted(t.base()) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "A value of illegal type was provided as 1st argument 'seconds' to function \
                 '{}'. Expected: UInt* or Float*, got: {t}",
                self.name
            );
        }
        let field = match t.base() {
            // sleep(NULL): Nullable(Nothing), always NULL.
            ChType::Nothing => Field::new(self.name, DataType::Null, true),
            _ => Field::new(self.name, DataType::UInt8, t.is_nullable()),
        };
        Ok(Arc::new(field))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let out_type = args.return_field.data_type().clone();
        let Some(ColumnarValue::Scalar(value)) = args.args.first() else {
            ch_bail!(
                ILLEGAL_COLUMN,
                "The argument of function {} must be constant",
                self.name
            );
        };
        if value.is_null() {
            return Ok(ColumnarValue::Array(new_null_array(&out_type, rows)));
        }
        let seconds = match value.cast_to(&DataType::Float64)? {
            ScalarValue::Float64(Some(s)) => s,
            other => ch_bail!(
                ILLEGAL_COLUMN,
                "The argument of function {} must be a number, got {other}",
                self.name
            ),
        };
        let micros = self.microseconds(seconds, rows)?;
        if micros > 0 {
            pause(Duration::from_micros(micros));
        }
        Ok(ColumnarValue::Array(Arc::new(UInt8Array::from(vec![
            0u8;
            rows
        ]))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<u64>) -> String {
        match r {
            Ok(v) => v.to_string(),
            Err(e) => crate::string::testkit::err_text(e),
        }
    }

    #[test]
    fn limits_match_clickhouse() {
        let sleep = Sleep::new("sleep", false);
        let each = Sleep::new("sleepEachRow", true);
        // Oracle: sleep(3.0000001) is allowed (3000000 µs after truncation).
        assert_eq!(code(sleep.microseconds(3.000_000_1, 1)), "3000000");
        // Oracle: sleep(4) → Code 160; sleep(4) FROM numbers(0) returns nothing, no error.
        assert!(code(sleep.microseconds(4.0, 1)).contains("Code: 160"));
        assert_eq!(code(sleep.microseconds(4.0, 0)), "0");
        // Oracle: sleepEachRow(0.5) FROM numbers(10) → Code 160, "5000000 microseconds per
        // block (of size 10)"; sleepEachRow(1) FROM numbers(3) is allowed.
        let e = code(each.microseconds(0.5, 10));
        assert!(e.contains("Code: 160"), "{e}");
        assert!(e.contains("Requested: 5000000 microseconds per block (of size 10)"));
        assert_eq!(code(each.microseconds(1.0, 3)), "3000000");
        // Oracle: sleep(inf)/sleep(nan) (even FROM numbers(0)), sleep(4294967296) → Code 36;
        // sleep(toUInt32(4294967295)) → Code 160.
        assert!(code(sleep.microseconds(f64::INFINITY, 0)).contains("Code: 36"));
        assert!(code(sleep.microseconds(f64::NAN, 0)).contains("Code: 36"));
        assert!(code(sleep.microseconds(4_294_967_296.0, 1)).contains("Code: 36"));
        assert!(code(sleep.microseconds(4_294_967_295.0, 1)).contains("Code: 160"));
    }
}
