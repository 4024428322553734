//! ClickHouse input and output formats over Arrow `RecordBatch`es, byte-for-byte what
//! ClickHouse writes.
//!
//! Entry points:
//! - [`output_format`]: a writer ([`OutputFormat`]) for a format name (`TSV`, `JSON`,
//!   `PrettyCompact`, `Parquet`, …) over a schema.
//! - [`text::write_value`] / [`text::value_to_string`]: one value in ClickHouse's text
//!   form (plus TSV/CSV/quoted/JSON variants in [`text`]).
//! - [`input_format`]: a reader ([`InputFormat`]) turning bytes into batches of a schema.
//! - [`FormatSettings`]: format-related ClickHouse settings, applied by name.
//!
//! Module map:
//! - [`text`]: rendering single values (numbers, dates, escaping, containers, JSON).
//! - [`input`]: input formats, one family per file.
//! - [`native`]: the Native block codec ([`native::write_native_block`],
//!   [`native::read_native_block`]), also used by the TCP server.
//! - [`output`]: output formats, one family per file.
//! - [`parse`]: text → values → Arrow columns ([`parse::parse_column`]).
//! - [`settings`]: format settings.

pub mod input;
pub mod native;
pub mod output;
pub mod parse;
pub mod settings;
pub mod text;

pub use input::{InputFormat, input_format};
pub use output::{OutputFormat, QueryStatistics, output_format};
pub use settings::FormatSettings;
pub use text::{TextContext, value_to_string, write_value};

#[cfg(test)]
mod roundtrip_tests;
