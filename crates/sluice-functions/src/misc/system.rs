//! Functions about the running server: `hostName()` (`hostname`), `uptime()` (seconds since
//! the functions were registered, i.e. since start-up) and the per-row random
//! `generateUUIDv4([x])`, `generateUUIDv7([x])` (the optional argument only keeps calls
//! apart, as in ClickHouse).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use datafusion::arrow::array::{ArrayRef, FixedSizeBinaryArray, StringArray, UInt32Array};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use sluice_common::ChType;

use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::util::ch_field;

/// When the functions were first registered: the engine does it at start-up.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Seconds since start-up (the engine registers the functions then), as `uptime()` counts.
pub fn uptime_seconds() -> f64 {
    STARTED.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    STARTED.get_or_init(Instant::now);
    vec![
        ChUdf::new("hostName", host_type, host_name)
            .ci_aliases(&["hostname"])
            .build(),
        ChUdf::new("uptime", uptime_type, uptime).build(),
        ScalarUDF::new_from_impl(RandomUuid::new("generateUUIDv4", false)),
        ScalarUDF::new_from_impl(RandomUuid::new("generateUUIDv7", true)),
    ]
}

fn host_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 0, 0)?;
    Ok(ChType::String.into())
}

/// The kernel's host name (`/proc/sys/kernel/hostname`), else `$HOSTNAME`, else empty.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

fn host_name(a: &Args) -> Result<ArrayRef> {
    let h = this_host();
    Ok(Arc::new(StringArray::from(vec![h.as_str(); a.rows])))
}

fn uptime_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 0, 0)?;
    Ok(ChType::UInt32.into())
}

fn uptime(a: &Args) -> Result<ArrayRef> {
    let secs = STARTED.get_or_init(Instant::now).elapsed().as_secs();
    let secs = u32::try_from(secs).unwrap_or(u32::MAX);
    Ok(Arc::new(UInt32Array::from(vec![secs; a.rows])))
}

/// `generateUUIDv4` / `generateUUIDv7`: a new random UUID for every row.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RandomUuid {
    name: &'static str,
    v7: bool,
    signature: Signature,
}

impl RandomUuid {
    fn new(name: &'static str, v7: bool) -> RandomUuid {
        RandomUuid {
            name,
            v7,
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                Volatility::Volatile,
            ),
        }
    }
}

impl ScalarUDFImpl for RandomUuid {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(ChType::Uuid.to_arrow())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if args.arg_fields.len() > 1 {
            crate::ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function {} doesn't match: passed {}, should be 0 or 1",
                self.name,
                args.arg_fields.len()
            );
        }
        Ok(ch_field(self.name, &ChType::Uuid))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let ids = (0..rows).map(|_| {
            let u = if self.v7 {
                ::uuid::Uuid::now_v7()
            } else {
                ::uuid::Uuid::new_v4()
            };
            Some(*u.as_bytes())
        });
        let arr = FixedSizeBinaryArray::try_from_sparse_iter_with_size(ids, 16)?;
        Ok(ColumnarValue::Array(Arc::new(arr)))
    }
}
