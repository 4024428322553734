//! Helpers shared by every function family: ClickHouse-typed result fields, error wrapping,
//! reading argument types.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, FieldRef};
use datafusion::error::DataFusionError;
use sluice_common::{CH_TYPE_KEY, ChType, Error};

/// A result field of ClickHouse type `t`: Arrow type from [`ChType::to_arrow`], nullable iff
/// `t` is `Nullable`, and the ClickHouse name in metadata when the Arrow type alone is
/// ambiguous.
pub fn ch_field(name: &str, t: &ChType) -> FieldRef {
    let nullable = t.is_nullable() || matches!(t, ChType::Nothing);
    let mut f = Field::new(name, t.to_arrow(), nullable);
    // Nullable types carry the name too: constant folding turns a result into a literal
    // whose field is non-nullable when the value is not NULL, and `toTypeName` must still
    // see `Nullable(T)`.
    if t.is_nullable() || t.non_nullable().needs_metadata() {
        let mut md = HashMap::new();
        md.insert(CH_TYPE_KEY.to_string(), t.to_string());
        f = f.with_metadata(md);
    }
    Arc::new(f)
}

/// The ClickHouse type of an argument field.
pub fn arg_type(field: &Field) -> ChType {
    ChType::from_field(field)
}

/// Wraps a ClickHouse exception so it crosses DataFusion and comes out with its code.
pub fn ch_error(e: Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// `Err(ch_error(...))` shorthand: `ch_bail!(ILLEGAL_TYPE_OF_ARGUMENT, "...", args)`.
#[macro_export]
macro_rules! ch_bail {
    ($code:ident, $($arg:tt)*) => {
        return Err($crate::util::ch_error(sluice_common::Error::new(
            sluice_common::ErrorCode::$code,
            format!($($arg)*),
        )))
    };
}
