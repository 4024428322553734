//! `timeSlot(t)`: the start of `t`'s half hour, counted in UTC seconds (so a zone with a
//! 45-minute offset gets slots at :15 and :45 local time, as in ClickHouse). A `DateTime64`
//! gives a `DateTime` in the same zone; instants before 1970 give 1970-01-01 00:00:00.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, TimestampSecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The function of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![ChUdf::new("timeSlot", slot_type, time_slot).build()]
}

fn slot_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match &a.types[0] {
        ChType::DateTime(tz) | ChType::DateTime64(_, tz) => Ok(ChType::DateTime(tz.clone()).into()),
        t => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal argument of type {t} for function {}",
            a.name
        ),
    }
}

fn time_slot(a: &Args) -> Result<ArrayRef> {
    let per_second: i64 = match a.cols[0].data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => 1,
        DataType::Timestamp(TimeUnit::Millisecond, _) => 1_000,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000_000,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => 1_000_000_000,
        dt => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal argument of type {} for function {}",
            ChType::from_arrow(dt, false),
            a.name
        ),
    };
    let raw = cast(&a.cols[0], &DataType::Int64)?;
    let slots: Vec<i64> = raw
        .as_primitive::<Int64Type>()
        .values()
        .iter()
        .map(|v| {
            let s = v.div_euclid(per_second);
            (s - s.rem_euclid(1800)).max(0)
        })
        .collect();
    let tz = match &a.ret.t {
        ChType::DateTime(Some(tz)) => Some(Arc::from(tz.as_str())),
        _ => None,
    };
    Ok(Arc::new(
        TimestampSecondArray::from(slots).with_timezone_opt(tz),
    ))
}
