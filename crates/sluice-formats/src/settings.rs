//! [`FormatSettings`]: the ClickHouse settings that change how formats read and write,
//! with ClickHouse 26's defaults, applied by setting name.

use chrono_tz::Tz;
use sluice_common::{Error, ErrorCode, Result};

use crate::text::{DateTimeOutputFormat, TextContext};

/// How `DateTime` text is parsed on input (`date_time_input_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateTimeInputFormat {
    /// `YYYY-MM-DD hh:mm:ss` and unix timestamps only.
    Basic,
    /// `parseDateTimeBestEffort` rules (ISO 8601, RFC 2822, …).
    BestEffort,
}

/// Format settings, ClickHouse defaults (as reported by `system.settings` in 26.x).
#[derive(Clone, Debug, PartialEq)]
pub struct FormatSettings {
    /// Value rendering (time zone, decimals, date-time style, CSV delimiter, JSON).
    pub text: TextContext,
    /// `output_format_json_pretty_print`.
    pub json_pretty_print: bool,
    /// `output_format_write_statistics`.
    pub write_statistics: bool,
    /// `output_format_pretty_max_rows`.
    pub pretty_max_rows: usize,
    /// `output_format_pretty_row_numbers`.
    pub pretty_row_numbers: bool,
    /// `output_format_pretty_display_footer_column_names`.
    pub pretty_display_footer_column_names: bool,
    /// `output_format_pretty_display_footer_column_names_min_rows`.
    pub pretty_footer_min_rows: usize,
    /// `output_format_pretty_max_value_width`.
    pub pretty_max_value_width: usize,
    /// `output_format_csv_crlf_end_of_line`.
    pub csv_crlf: bool,
    /// `output_format_tsv_crlf_end_of_line`.
    pub tsv_crlf: bool,
    /// `format_tsv_null_representation`.
    pub tsv_null: String,
    /// `format_csv_null_representation`.
    pub csv_null: String,
    /// `input_format_skip_unknown_fields`.
    pub skip_unknown_fields: bool,
    /// `input_format_null_as_default`.
    pub null_as_default: bool,
    /// `input_format_defaults_for_omitted_fields`.
    pub defaults_for_omitted_fields: bool,
    /// `input_format_csv_empty_as_default`.
    pub csv_empty_as_default: bool,
    /// `input_format_tsv_empty_as_default`.
    pub tsv_empty_as_default: bool,
    /// `input_format_csv_trim_whitespaces`.
    pub csv_trim_whitespaces: bool,
    /// `format_csv_allow_single_quotes`.
    pub csv_allow_single_quotes: bool,
    /// `date_time_input_format`.
    pub date_time_input_format: DateTimeInputFormat,
    /// `bool_true_representation`.
    pub bool_true: String,
    /// `bool_false_representation`.
    pub bool_false: String,
}

impl Default for FormatSettings {
    fn default() -> Self {
        Self {
            text: TextContext::default(),
            json_pretty_print: true,
            write_statistics: true,
            pretty_max_rows: 1000,
            pretty_row_numbers: true,
            pretty_display_footer_column_names: true,
            pretty_footer_min_rows: 50,
            pretty_max_value_width: 10000,
            csv_crlf: false,
            tsv_crlf: false,
            tsv_null: "\\N".into(),
            csv_null: "\\N".into(),
            skip_unknown_fields: true,
            null_as_default: true,
            defaults_for_omitted_fields: true,
            csv_empty_as_default: true,
            tsv_empty_as_default: false,
            csv_trim_whitespaces: true,
            csv_allow_single_quotes: false,
            date_time_input_format: DateTimeInputFormat::BestEffort,
            bool_true: "true".into(),
            bool_false: "false".into(),
        }
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(Error::new(
            ErrorCode::CANNOT_PARSE_BOOL,
            format!("Cannot parse boolean value for setting {name}: '{value}'"),
        )),
    }
}

fn parse_usize(name: &str, value: &str) -> Result<usize> {
    value.trim().parse::<usize>().map_err(|_| {
        Error::new(
            ErrorCode::CANNOT_PARSE_NUMBER,
            format!("Cannot parse number for setting {name}: '{value}'"),
        )
    })
}

impl FormatSettings {
    /// Applies the ClickHouse setting `name = value` (value as text, quotes removed).
    /// Returns `Ok(false)` when `name` is not a format setting, an error when the value
    /// is invalid for it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool> {
        let b = || parse_bool(name, value);
        match name {
            "session_timezone" | "timezone" => {
                self.text.timezone = if value.is_empty() {
                    Tz::UTC
                } else {
                    value.parse::<Tz>().map_err(|_| {
                        Error::new(
                            ErrorCode::BAD_ARGUMENTS,
                            format!("Invalid time zone: {value}"),
                        )
                    })?
                };
            }
            "output_format_decimal_trailing_zeros" => self.text.decimal_trailing_zeros = b()?,
            "date_time_output_format" => {
                self.text.date_time_output_format = match value.to_ascii_lowercase().as_str() {
                    "simple" => DateTimeOutputFormat::Simple,
                    "iso" => DateTimeOutputFormat::Iso,
                    "unix_timestamp" => DateTimeOutputFormat::UnixTimestamp,
                    _ => {
                        return Err(Error::new(
                            ErrorCode::BAD_ARGUMENTS,
                            format!(
                                "Unexpected value of DateTimeOutputFormat: '{value}'. Must be one of ['simple', 'iso', 'unix_timestamp']"
                            ),
                        ));
                    }
                }
            }
            "date_time_input_format" => {
                self.date_time_input_format = match value.to_ascii_lowercase().as_str() {
                    "basic" => DateTimeInputFormat::Basic,
                    "best_effort" | "best_effort_us" => DateTimeInputFormat::BestEffort,
                    _ => {
                        return Err(Error::new(
                            ErrorCode::BAD_ARGUMENTS,
                            format!(
                                "Unexpected value of DateTimeInputFormat: '{value}'. Must be one of ['basic', 'best_effort', 'best_effort_us']"
                            ),
                        ));
                    }
                }
            }
            "format_csv_delimiter" => {
                let bytes = value.as_bytes();
                if bytes.len() != 1 {
                    return Err(Error::new(
                        ErrorCode::BAD_ARGUMENTS,
                        format!(
                            "A setting's value string has to be an exactly one character long: '{value}'"
                        ),
                    ));
                }
                self.text.csv_delimiter = bytes[0];
            }
            "output_format_json_quote_64bit_integers" => self.text.json.quote_64bit_integers = b()?,
            "output_format_json_quote_64bit_floats" => self.text.json.quote_64bit_floats = b()?,
            "output_format_json_quote_denormals" => self.text.json.quote_denormals = b()?,
            "output_format_json_quote_decimals" => self.text.json.quote_decimals = b()?,
            "output_format_json_escape_forward_slashes" => {
                self.text.json.escape_forward_slashes = b()?
            }
            "output_format_json_named_tuples_as_objects" => {
                self.text.json.named_tuples_as_objects = b()?
            }
            "output_format_json_pretty_print" => self.json_pretty_print = b()?,
            "output_format_write_statistics" => self.write_statistics = b()?,
            "output_format_pretty_max_rows" => self.pretty_max_rows = parse_usize(name, value)?,
            "output_format_pretty_row_numbers" => self.pretty_row_numbers = b()?,
            "output_format_pretty_display_footer_column_names" => {
                self.pretty_display_footer_column_names = b()?
            }
            "output_format_pretty_display_footer_column_names_min_rows" => {
                self.pretty_footer_min_rows = parse_usize(name, value)?
            }
            "output_format_pretty_max_value_width" => {
                self.pretty_max_value_width = parse_usize(name, value)?
            }
            "output_format_csv_crlf_end_of_line" => self.csv_crlf = b()?,
            "output_format_tsv_crlf_end_of_line" => self.tsv_crlf = b()?,
            "format_tsv_null_representation" => self.tsv_null = value.to_string(),
            "format_csv_null_representation" => self.csv_null = value.to_string(),
            "input_format_skip_unknown_fields" => self.skip_unknown_fields = b()?,
            "input_format_null_as_default" => self.null_as_default = b()?,
            "input_format_defaults_for_omitted_fields" => self.defaults_for_omitted_fields = b()?,
            "input_format_csv_empty_as_default" => self.csv_empty_as_default = b()?,
            "input_format_tsv_empty_as_default" => self.tsv_empty_as_default = b()?,
            "input_format_csv_trim_whitespaces" => self.csv_trim_whitespaces = b()?,
            "format_csv_allow_single_quotes" => self.csv_allow_single_quotes = b()?,
            "bool_true_representation" => self.bool_true = value.to_string(),
            "bool_false_representation" => self.bool_false = value.to_string(),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_settings_by_name() {
        let mut s = FormatSettings::default();
        assert!(s.set("format_csv_delimiter", ";").unwrap());
        assert_eq!(s.text.csv_delimiter, b';');
        assert!(
            s.set("output_format_json_quote_64bit_integers", "1")
                .unwrap()
        );
        assert!(s.text.json.quote_64bit_integers);
        assert!(s.set("date_time_output_format", "iso").unwrap());
        assert_eq!(s.text.date_time_output_format, DateTimeOutputFormat::Iso);
        assert!(!s.set("max_threads", "4").unwrap());
        assert_eq!(
            s.set("format_csv_delimiter", ";;").unwrap_err().code,
            ErrorCode::BAD_ARGUMENTS
        );
        assert_eq!(
            s.set("input_format_null_as_default", "x").unwrap_err().code,
            ErrorCode::CANNOT_PARSE_BOOL
        );
    }
}
