//! ClickHouse's miscellaneous scalar functions.
//!
//! Module map:
//! - [`readable`] — formatReadableSize, formatReadableDecimalSize, formatReadableQuantity.
//! - [`time_delta`] — formatReadableTimeDelta.
//! - [`uuid`] — UUIDStringToNum, UUIDNumToString.
//! - [`system`] — hostName, uptime, generateUUIDv4, generateUUIDv7.
//! - [`bar`] — bar.
//! - [`deprecated`] — runningDifference, neighbor, runningAccumulate (refused).

pub(crate) mod bar;
pub(crate) mod deprecated;
pub(crate) mod readable;
pub mod system;
pub(crate) mod time_delta;
pub(crate) mod uuid;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(readable::functions());
    v.extend(bar::functions());
    v.extend(time_delta::functions());
    v.extend(uuid::functions());
    v.extend(system::functions());
    v.extend(deprecated::functions());
    v
}
