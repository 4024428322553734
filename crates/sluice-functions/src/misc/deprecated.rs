//! `runningDifference`, `neighbor` and `runningAccumulate` depend on how rows are split
//! into blocks; ClickHouse refuses them with `DEPRECATED_FUNCTION` (721) unless
//! `allow_deprecated_error_prone_window_functions` is set. Sluice refuses them always and
//! points to window functions.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;

use crate::string::udf::{Args, ChUdf, Nulls, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    [
        "runningDifference",
        "runningDifferenceStartingWithFirstValue",
        "neighbor",
        "runningAccumulate",
    ]
    .into_iter()
    .map(|n| {
        ChUdf::new(n, refuse_type, refuse)
            .nulls(Nulls::Custom)
            .build()
    })
    .collect()
}

fn deprecated(name: &str) -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::DEPRECATED_FUNCTION,
        format!(
            "Function {name} is deprecated since its usage is error-prone (see docs). Please \
             use proper window function or set `allow_deprecated_error_prone_window_functions` \
             setting to enable it"
        ),
    ))
}

fn refuse_type(a: &TypeArgs) -> Result<Ret> {
    Err(deprecated(a.name))
}

fn refuse(a: &Args) -> Result<ArrayRef> {
    Err(deprecated(a.name))
}
