//! ClickHouse input and output formats over Arrow `RecordBatch`es, byte-for-byte what
//! ClickHouse writes.
//!
//! Entry points:
//! - [`text::write_value`] / [`text::value_to_string`]: one value in ClickHouse's text
//!   form (plus TSV/CSV/quoted/JSON variants in [`text`]).
//!
//! Module map:
//! - [`text`]: rendering single values (numbers, dates, escaping, containers, JSON).

pub mod text;

pub use text::{TextContext, value_to_string, write_value};
