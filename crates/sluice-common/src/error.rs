//! The exception type shared by all Sluice crates: a ClickHouse error code and a message.

use std::fmt;

use crate::error_code::ErrorCode;

/// A ClickHouse exception: `Code: N. DB::Exception: message. (NAME)`.
///
/// Library crates may keep their own typed error enums, but each converts into this type
/// (its variants decide the code), so every error that reaches a client carries a
/// ClickHouse code.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// ClickHouse error code.
    pub code: ErrorCode,
    /// Human-readable message, without the `Code:` prefix or the `(NAME)` suffix.
    pub message: String,
}

/// Result alias using [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an exception with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Internal invariant broken: a bug in Sluice (`LOGICAL_ERROR`).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::LOGICAL_ERROR,
            format!("{} (this is a bug in Sluice)", message.into()),
        )
    }

    /// A feature ClickHouse has that Sluice does not yet: `NOT_IMPLEMENTED`.
    pub fn not_implemented(feature: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::NOT_IMPLEMENTED,
            format!("{} is not implemented in Sluice", feature.into()),
        )
    }

    /// The form ClickHouse clients print: `Code: 60. DB::Exception: msg. (UNKNOWN_TABLE)`.
    pub fn to_clickhouse_string(&self) -> String {
        // Only line ends go: ClickHouse keeps a message's trailing space ("… parsed: . (…)").
        let msg = self.message.trim_end_matches(['\n', '\r']);
        let dot = if msg.ends_with('.') { "" } else { "." };
        format!(
            "Code: {}. DB::Exception: {}{} ({})",
            self.code.0,
            msg,
            dot,
            self.code.name()
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand: `err!(UNKNOWN_TABLE, "Table {} does not exist", name)`.
#[macro_export]
macro_rules! ch_err {
    ($code:ident, $($arg:tt)*) => {
        $crate::Error::new($crate::ErrorCode::$code, format!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_clickhouse() {
        let e = ch_err!(UNKNOWN_TABLE, "Table default.x does not exist");
        assert_eq!(
            e.to_clickhouse_string(),
            "Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE)"
        );
        assert_eq!(ErrorCode::from_name("SYNTAX_ERROR"), Some(ErrorCode(62)));
        assert_eq!(ErrorCode(62).name(), "SYNTAX_ERROR");
    }
}
