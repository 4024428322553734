//! ClickHouse's text rendering of single values, shared by every text format and by
//! `toString`/`CAST(x AS String)`.
//!
//! - [`write_value`] / [`value_to_string`]: the plain text form (`toString`): strings
//!   raw, arrays `['a','b']`, tuples `(1,'x')`, maps `{'k':1}`, NULL as `NULL`.
//! - [`write_tsv`], [`write_csv`], [`write_quoted_value`], [`write_json`]: the forms the
//!   formats use (TSV escaping and `\N`; CSV quoting and `\N`; single-quoted literals
//!   and `NULL` as in `Values` and inside containers; JSON).
//!
//! Submodules: [`column`] (a column's writer resolved once per block, for the common
//! types), [`number`] (floats, decimals), [`datetime`], [`ids`] (UUID, IPv4/6),
//! [`escape`] (string escaping), `json`, `value` (the dispatcher), `access` (reading
//! Arrow values of any physical layout).

mod access;
pub mod column;
pub mod datetime;
pub mod escape;
pub mod ids;
mod json;
pub mod number;
mod value;

use arrow::array::Array;
use chrono_tz::Tz;
use sluice_common::ChType;

pub use access::{bytes_at, dict_key, is_null_at, list_range};
pub use datetime::DateTimeOutputFormat;
pub use json::write_json;

/// The text style a value is rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `toString`: strings unescaped, NULL as `NULL`.
    Plain,
    /// `TabSeparated`: strings backslash-escaped, NULL as `\N`.
    Tsv,
    /// `CSV`: strings, dates, arrays and maps in double quotes, tuples as separate
    /// fields, NULL as `\N`.
    Csv,
    /// Literal form used inside arrays/tuples/maps and by `Values`: strings and dates in
    /// single quotes, NULL as `NULL`.
    Quoted,
}

/// JSON output settings (`output_format_json_*`), ClickHouse defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonOptions {
    /// `output_format_json_quote_64bit_integers` (default 0 in ClickHouse 26).
    pub quote_64bit_integers: bool,
    /// `output_format_json_quote_64bit_floats`.
    pub quote_64bit_floats: bool,
    /// `output_format_json_quote_denormals`: `inf`/`nan` as strings instead of `null`.
    pub quote_denormals: bool,
    /// `output_format_json_quote_decimals`.
    pub quote_decimals: bool,
    /// `output_format_json_escape_forward_slashes`.
    pub escape_forward_slashes: bool,
    /// `output_format_json_named_tuples_as_objects`.
    pub named_tuples_as_objects: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        Self {
            quote_64bit_integers: false,
            quote_64bit_floats: false,
            quote_denormals: false,
            quote_decimals: false,
            escape_forward_slashes: true,
            named_tuples_as_objects: true,
        }
    }
}

/// Everything value rendering depends on besides the value and its type.
#[derive(Clone, Debug, PartialEq)]
pub struct TextContext {
    /// Session time zone, used for `DateTime` columns without their own (default UTC).
    pub timezone: Tz,
    /// `output_format_decimal_trailing_zeros`.
    pub decimal_trailing_zeros: bool,
    /// `date_time_output_format`.
    pub date_time_output_format: DateTimeOutputFormat,
    /// `format_csv_delimiter` (tuples in CSV are split into fields with it).
    pub csv_delimiter: u8,
    /// JSON settings.
    pub json: JsonOptions,
}

impl Default for TextContext {
    fn default() -> Self {
        Self {
            timezone: Tz::UTC,
            decimal_trailing_zeros: false,
            date_time_output_format: DateTimeOutputFormat::Simple,
            csv_delimiter: b',',
            json: JsonOptions::default(),
        }
    }
}

/// Writes the value at `row` in its plain text form (as `toString` prints it): strings
/// raw, containers with quoted elements, NULL as `NULL`. `t` is the column's ClickHouse
/// type ([`ChType::from_field`]).
pub fn write_value(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
) {
    value::write_styled(out, array, row, t, ctx, Style::Plain);
}

/// [`write_value`] into a new `String` (invalid UTF-8 in binary strings is replaced).
pub fn value_to_string(array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) -> String {
    let mut out = Vec::new();
    write_value(&mut out, array, row, t, ctx);
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Writes the value in `style`.
pub fn write_styled(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    style: Style,
) {
    value::write_styled(out, array, row, t, ctx, style);
}

/// TabSeparated form: escaped strings, `\N` for NULL.
pub fn write_tsv(out: &mut Vec<u8>, array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) {
    value::write_styled(out, array, row, t, ctx, Style::Tsv);
}

/// CSV form: quoted strings/dates/containers, `\N` for NULL, tuples as separate fields.
pub fn write_csv(out: &mut Vec<u8>, array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) {
    value::write_styled(out, array, row, t, ctx, Style::Csv);
}

/// Quoted literal form (`Values`, elements of containers): `'a\'b'`, `NULL`, `[1,2]`.
pub fn write_quoted_value(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
) {
    value::write_styled(out, array, row, t, ctx, Style::Quoted);
}

#[cfg(test)]
mod tests;
