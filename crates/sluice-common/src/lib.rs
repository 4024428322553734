//! Shared foundations of Sluice: ClickHouse error codes ([`ErrorCode`]), the exception type
//! every crate reports ([`Error`]), and the ClickHouse type system ([`ChType`]) with its
//! mapping to Arrow.
//!
//! Module map:
//! - [`error_code`]: ClickHouse's error codes and names, listed once.
//! - [`error`]: [`Error`], `Code: N. DB::Exception: … (NAME)`.
//! - [`types`]: [`ChType`], parse/print/Arrow mapping.

pub mod error;
pub mod error_code;
pub mod settings;
pub mod types;

pub use error::{Error, Result};
pub use error_code::ErrorCode;
pub use settings::Settings;
pub use types::{CH_TYPE_KEY, ChType};
