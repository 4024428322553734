//! The text form of an exception as clients print it (codes and names are
//! `sluice_common::ErrorCode`'s).

use sluice_common::Error;

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
        err.code.name()
    )
}

#[cfg(test)]
mod tests {
    use sluice_common::ErrorCode;

    use super::*;

    #[test]
    fn exception_texts() {
        let e = Error::new(ErrorCode::HTTP_LENGTH_REQUIRED, "Length required");
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
