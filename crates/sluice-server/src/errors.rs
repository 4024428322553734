//! Error codes the servers raise that `sluice-common`'s table does not list yet, and the
//! text form of an exception as clients print it.
//!
//! The numbers come from real ClickHouse (`errorCodeToName`, checked with the oracle).

use sluice_common::{Error, ErrorCode};

/// `TOO_LARGE_SIZE_COMPRESSED`: a compression frame header claims more than 1 GiB.
pub const TOO_LARGE_SIZE_COMPRESSED: ErrorCode = ErrorCode(39);
/// `CANNOT_READ_FROM_SOCKET`.
pub const CANNOT_READ_FROM_SOCKET: ErrorCode = ErrorCode(95);
/// `TOO_LARGE_ARRAY_SIZE`.
pub const TOO_LARGE_ARRAY_SIZE: ErrorCode = ErrorCode(128);
/// `TOO_DEEP_RECURSION`: a type name nested deeper than `max_parser_depth`.
pub const TOO_DEEP_RECURSION: ErrorCode = ErrorCode(306);
/// `QUERY_IS_TOO_LARGE`: query text above `max_query_size`.
pub const QUERY_IS_TOO_LARGE: ErrorCode = ErrorCode(229);
/// `ZLIB_INFLATE_FAILED`: a gzip/deflate request body that does not decode.
pub const ZLIB_INFLATE_FAILED: ErrorCode = ErrorCode(354);
/// `ZSTD_DECODER_FAILED`: a zstd request body that does not decode.
pub const ZSTD_DECODER_FAILED: ErrorCode = ErrorCode(561);
/// `LZ4_DECODER_FAILED`: an lz4 request body that does not decode.
pub const LZ4_DECODER_FAILED: ErrorCode = ErrorCode(618);
/// `INVALID_SESSION_TIMEOUT`: HTTP `session_timeout` out of range.
pub const INVALID_SESSION_TIMEOUT: ErrorCode = ErrorCode(374);
/// `HTTP_LENGTH_REQUIRED`: POST without a length and without chunked encoding.
pub const HTTP_LENGTH_REQUIRED: ErrorCode = ErrorCode(381);
/// `SET_NON_GRANTED_ROLE`.
pub const SET_NON_GRANTED_ROLE: ErrorCode = ErrorCode(512);
/// `UNSUPPORTED_MEDIA_TYPE`.
pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode(779);

/// ClickHouse's name for `code`, including the codes above.
pub fn code_name(code: ErrorCode) -> &'static str {
    match code.0 {
        39 => "TOO_LARGE_SIZE_COMPRESSED",
        95 => "CANNOT_READ_FROM_SOCKET",
        128 => "TOO_LARGE_ARRAY_SIZE",
        229 => "QUERY_IS_TOO_LARGE",
        306 => "TOO_DEEP_RECURSION",
        354 => "ZLIB_INFLATE_FAILED",
        374 => "INVALID_SESSION_TIMEOUT",
        381 => "HTTP_LENGTH_REQUIRED",
        512 => "SET_NON_GRANTED_ROLE",
        561 => "ZSTD_DECODER_FAILED",
        618 => "LZ4_DECODER_FAILED",
        779 => "UNSUPPORTED_MEDIA_TYPE",
        _ => code.name(),
    }
}

/// The message part of an exception as ClickHouse sends it in a native Exception packet:
/// `DB::Exception: <message>` (the display text, without the `Code:` prefix).
pub fn display_text(err: &Error) -> String {
    format!("DB::Exception: {}", err.message.trim_end())
}

/// `Code: N. DB::Exception: message. (NAME)`, as in HTTP error bodies and client output.
pub fn exception_text(err: &Error) -> String {
    let msg = err.message.trim_end();
    let dot = if msg.ends_with('.') { "" } else { "." };
    format!(
        "Code: {}. DB::Exception: {}{} ({})",
        err.code.0,
        msg,
        dot,
        code_name(err.code)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_local_codes() {
        let e = Error::new(HTTP_LENGTH_REQUIRED, "Length required");
        assert_eq!(
            exception_text(&e),
            "Code: 381. DB::Exception: Length required. (HTTP_LENGTH_REQUIRED)"
        );
        let e = Error::new(ErrorCode::UNKNOWN_TABLE, "Table default.x does not exist");
        assert_eq!(exception_text(&e), e.to_clickhouse_string());
        assert_eq!(
            display_text(&e),
            "DB::Exception: Table default.x does not exist"
        );
    }
}
