//! `system.events` (the server's query counters above zero), `system.errors` (how often
//! each error code was raised) and `system.time_zones`, with ClickHouse's columns. The
//! `name` ALIAS columns of `events` and `errors` are not there (docs/status.md).

use sluice_common::{ErrorCode, Result};

use super::SystemTables;
use crate::rows::{Cell, schema_of};

type Table = (datafusion::arrow::datatypes::SchemaRef, Vec<Vec<Cell>>);

/// `system.events`.
pub(super) fn events(s: &SystemTables) -> Result<Table> {
    let schema = schema_of(&[
        ("event", "String"),
        ("value", "UInt64"),
        ("description", "String"),
    ])?;
    let rows = s
        .processes
        .events
        .snapshot()
        .into_iter()
        .map(|(event, value, description)| vec![event.into(), Cell::U64(value), description.into()])
        .collect();
    Ok((schema, rows))
}

/// `system.errors`.
pub(super) fn errors(s: &SystemTables) -> Result<Table> {
    let schema = schema_of(&[
        ("name", "String"),
        ("code", "Int32"),
        ("value", "UInt64"),
        ("last_error_time", "DateTime"),
        ("last_error_message", "String"),
        ("last_error_format_string", "String"),
        ("last_error_trace", "Array(UInt64)"),
        ("remote", "UInt8"),
        ("query_id", "String"),
    ])?;
    let rows = s
        .processes
        .errors
        .snapshot()
        .into_iter()
        .map(|(code, stat)| {
            vec![
                ErrorCode(code).name().into(),
                Cell::I64(code.into()),
                Cell::U64(stat.count),
                Cell::I64(stat.last_time),
                stat.last_message.into(),
                Cell::Str(String::new()),
                Cell::I64Arr(Vec::new()),
                Cell::U64(0),
                stat.last_query_id.into(),
            ]
        })
        .collect();
    Ok((schema, rows))
}

/// `system.time_zones`: the IANA zones the date/time functions accept, sorted.
pub(super) fn time_zones() -> Result<Table> {
    let schema = schema_of(&[("time_zone", "String")])?;
    let mut names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    names.sort_unstable();
    Ok((schema, names.into_iter().map(|n| vec![n.into()]).collect()))
}
