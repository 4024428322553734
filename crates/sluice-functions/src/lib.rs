//! ClickHouse functions for DataFusion: every scalar function family as `ScalarUDF`s and
//! every aggregate as `AggregateUDF`s, with ClickHouse's names, result types, NULL rules and
//! error codes.
//!
//! Entry points: [`scalar_functions`] and [`aggregate_functions`], which the engine registers
//! in its DataFusion session. Each family lives in its own module and exposes
//! `pub fn functions() -> Vec<ScalarUDF>` (aggregates: `Vec<AggregateUDF>`).
//!
//! Conventions (see [`util`]):
//! - Names are ClickHouse's exact, case-sensitive names; a function ClickHouse treats as
//!   case-insensitive also registers its lower-case and upper-case spellings as aliases.
//! - Every UDF implements `return_field_from_args` so its result field has ClickHouse's
//!   nullability and, when the Arrow type is ambiguous, the ClickHouse type name in field
//!   metadata (`sluice_common::CH_TYPE_KEY`); build it with [`util::ch_field`].
//! - Errors are `sluice_common::Error`s wrapped with [`util::ch_error`], so the engine can
//!   report ClickHouse's code.
//!
//! Module map: [`json`], [`conversion`], [`datetime`], [`string`], [`array`],
//! [`conditional`], [`math`], [`misc`], [`url`], [`ip`], [`bit`], [`hash`], [`type_info`],
//! [`sleep`], [`aggregate`], [`window`].

pub mod aggregate;
pub mod array;
pub mod bit;
pub mod conditional;
pub mod conversion;
pub mod datetime;
pub mod hash;
pub mod ip;
pub mod json;
pub mod math;
pub mod misc;
pub mod sleep;
pub mod string;
pub mod type_info;
pub mod url;
pub mod util;
pub mod window;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};

pub use misc::system::uptime_seconds;

/// All scalar functions, ready to register.
pub fn scalar_functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(json::functions());
    v.extend(conversion::functions());
    v.extend(datetime::functions());
    v.extend(string::functions());
    v.extend(array::functions());
    v.extend(conditional::functions());
    v.extend(math::functions());
    v.extend(misc::functions());
    v.extend(url::functions());
    v.extend(ip::functions());
    v.extend(bit::functions());
    v.extend(hash::functions());
    v.extend(type_info::functions());
    v.extend(sleep::functions());
    v.push(aggregate::finalize::finalize_aggregation());
    v.push(aggregate::array_reduce::array_reduce());
    v.push(aggregate::array_reduce::array_reduce_in_ranges());
    v
}

/// All aggregate functions, ready to register.
pub fn aggregate_functions() -> Vec<AggregateUDF> {
    aggregate::functions()
}

/// All window-only functions (`lagInFrame`, `leadInFrame`), ready to register.
pub fn window_functions() -> Vec<WindowUDF> {
    window::functions()
}
