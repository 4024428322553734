//! HTTP status for an exception code, as ClickHouse's `exceptionCodeToHTTPStatus`.

use axum::http::StatusCode;
use sluice_common::ErrorCode;

/// The status ClickHouse answers with for `code`.
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code.name() {
        "REQUIRED_PASSWORD" => StatusCode::UNAUTHORIZED,
        "UNKNOWN_USER"
        | "WRONG_PASSWORD"
        | "AUTHENTICATION_FAILED"
        | "SET_NON_GRANTED_ROLE"
        | "ACCESS_DENIED" => StatusCode::FORBIDDEN,
        "BAD_ARGUMENTS"
        | "CANNOT_COMPILE_REGEXP"
        | "CANNOT_PARSE_TEXT"
        | "CANNOT_PARSE_ESCAPE_SEQUENCE"
        | "CANNOT_PARSE_QUOTED_STRING"
        | "CANNOT_PARSE_DATE"
        | "CANNOT_PARSE_DATETIME"
        | "CANNOT_PARSE_NUMBER"
        | "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING"
        | "CANNOT_PARSE_IPV4"
        | "CANNOT_PARSE_IPV6"
        | "CANNOT_PARSE_INPUT_ASSERTION_FAILED"
        | "CANNOT_PARSE_UUID"
        | "DUPLICATE_COLUMN"
        | "ILLEGAL_COLUMN"
        | "UNKNOWN_ELEMENT_IN_AST"
        | "UNKNOWN_TYPE_OF_AST_NODE"
        | "THERE_IS_NO_COLUMN"
        | "TOO_DEEP_AST"
        | "TOO_BIG_AST"
        | "UNEXPECTED_AST_STRUCTURE"
        | "SYNTAX_ERROR"
        | "INCORRECT_DATA"
        | "TYPE_MISMATCH"
        | "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE" => StatusCode::BAD_REQUEST,
        "UNKNOWN_TABLE"
        | "UNKNOWN_FUNCTION"
        | "UNKNOWN_IDENTIFIER"
        | "UNKNOWN_TYPE"
        | "UNKNOWN_STORAGE"
        | "UNKNOWN_DATABASE"
        | "UNKNOWN_SETTING"
        | "UNKNOWN_DIRECTION_OF_SORTING"
        | "UNKNOWN_AGGREGATE_FUNCTION"
        | "UNKNOWN_FORMAT"
        | "UNKNOWN_DATABASE_ENGINE"
        | "UNKNOWN_TYPE_OF_QUERY"
        | "UNKNOWN_ROLE" => StatusCode::NOT_FOUND,
        "QUERY_IS_TOO_LARGE" => StatusCode::PAYLOAD_TOO_LARGE,
        "NOT_IMPLEMENTED" => StatusCode::NOT_IMPLEMENTED,
        "SOCKET_TIMEOUT" | "CANNOT_OPEN_FILE" | "CANNOT_SCHEDULE_TASK" => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        "HTTP_LENGTH_REQUIRED" => StatusCode::LENGTH_REQUIRED,
        "TIMEOUT_EXCEEDED" => StatusCode::REQUEST_TIMEOUT,
        "UNSUPPORTED_MEDIA_TYPE" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(
            status_for(ErrorCode::REQUIRED_PASSWORD),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_for(ErrorCode::AUTHENTICATION_FAILED),
            StatusCode::FORBIDDEN
        );
        assert_eq!(status_for(ErrorCode::SYNTAX_ERROR), StatusCode::BAD_REQUEST);
        assert_eq!(status_for(ErrorCode::UNKNOWN_TABLE), StatusCode::NOT_FOUND);
        assert_eq!(
            status_for(ErrorCode::NOT_IMPLEMENTED),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            status_for(ErrorCode::TIMEOUT_EXCEEDED),
            StatusCode::REQUEST_TIMEOUT
        );
        assert_eq!(
            status_for(ErrorCode::READONLY),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status_for(ErrorCode::QUERY_IS_TOO_LARGE),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            status_for(ErrorCode::HTTP_LENGTH_REQUIRED),
            StatusCode::LENGTH_REQUIRED
        );
    }
}
