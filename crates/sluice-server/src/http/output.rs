//! Output formats of HTTP responses: `sluice_formats::output_format` with the query's
//! effective format settings, and the name reported in `X-ClickHouse-Format`.

use arrow::datatypes::SchemaRef;
use sluice_common::Error;
use sluice_formats::{FormatSettings, OutputFormat, output_format};

/// The name `X-ClickHouse-Format` reports: the format as given, with ClickHouse's case (`tsv`
/// → `TSV`; aliases are not expanded);
/// unknown names are returned unchanged (the writer then fails with `UNKNOWN_FORMAT`).
pub fn canonical_name(name: &str) -> String {
    sluice_formats::output::canonical_output_name(name)
        .map(str::to_string)
        .unwrap_or_else(|| name.to_string())
}

/// Options that affect rendering.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    /// Session time zone.
    pub timezone: String,
    /// Effective settings, later ones win (`output_format_*`, `date_time_output_format`…).
    pub settings: Vec<(String, String)>,
}

/// Format settings for `opts`; settings that are not format settings are ignored, invalid
/// values of format settings are errors.
pub fn format_settings(opts: &OutputOptions) -> Result<FormatSettings, Error> {
    let mut fs = FormatSettings::default();
    if !opts.timezone.is_empty() {
        fs.set("session_timezone", &opts.timezone)?;
    }
    for (k, v) in &opts.settings {
        fs.set(k, v)?;
    }
    Ok(fs)
}

/// A writer for format `name`.
pub fn writer_for(
    name: &str,
    schema: &SchemaRef,
    opts: &OutputOptions,
) -> Result<Box<dyn OutputFormat>, Error> {
    output_format(name, std::sync::Arc::clone(schema), &format_settings(opts)?)
}
