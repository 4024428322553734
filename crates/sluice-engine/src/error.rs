//! Mapping DataFusion/Arrow errors to ClickHouse exceptions, in one place.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use sluice_common::{Error, ErrorCode};

/// Converts any DataFusion error into a ClickHouse exception, recovering a
/// `sluice_common::Error` raised by a Sluice UDF or table wherever it is nested.
pub fn from_datafusion(e: DataFusionError) -> Error {
    if let Some(found) = find_ch_error(&e) {
        return found;
    }
    classify(&e)
}

fn find_ch_error(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    if let Some(ch) = e.downcast_ref::<Error>() {
        return Some(ch.clone());
    }
    if let Some(df) = e.downcast_ref::<DataFusionError>() {
        match df {
            DataFusionError::External(inner) => return find_ch_error(inner.as_ref()),
            DataFusionError::Context(_, inner) => return find_ch_error(inner.as_ref()),
            DataFusionError::Shared(inner) => return find_ch_error(inner.as_ref()),
            DataFusionError::ArrowError(inner, _) => return find_ch_error(inner.as_ref()),
            DataFusionError::Diagnostic(_, inner) => return find_ch_error(inner.as_ref()),
            DataFusionError::Collection(v) => {
                return v.iter().find_map(|x| find_ch_error(x));
            }
            _ => {}
        }
    }
    if let Some(ArrowError::ExternalError(inner)) = e.downcast_ref::<ArrowError>() {
        return find_ch_error(inner.as_ref());
    }
    e.source().and_then(find_ch_error)
}

fn root(e: &DataFusionError) -> &DataFusionError {
    match e {
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => root(inner),
        DataFusionError::Shared(inner) => root(inner),
        DataFusionError::Collection(v) if !v.is_empty() => root(&v[0]),
        e => e,
    }
}

fn classify(e: &DataFusionError) -> Error {
    let e = root(e);
    let msg = e.message().to_string();
    if let Some(name) = unknown_table_function(&msg) {
        return Error::new(
            ErrorCode::UNKNOWN_FUNCTION,
            format!("Unknown table function {name}"),
        );
    }
    let lower = msg.to_ascii_lowercase();
    let code = match e {
        DataFusionError::SQL(..) => ErrorCode::SYNTAX_ERROR,
        DataFusionError::NotImplemented(_) => ErrorCode::NOT_IMPLEMENTED,
        DataFusionError::ResourcesExhausted(_) => ErrorCode::MEMORY_LIMIT_EXCEEDED,
        DataFusionError::SchemaError(..) => {
            if lower.contains("ambiguous") {
                ErrorCode::AMBIGUOUS_COLUMN_NAME
            } else if lower.contains("duplicate") {
                ErrorCode::DUPLICATE_COLUMN
            } else {
                ErrorCode::UNKNOWN_IDENTIFIER
            }
        }
        DataFusionError::ArrowError(ae, _) => match ae.as_ref() {
            ArrowError::DivideByZero => ErrorCode::ILLEGAL_DIVISION,
            ArrowError::CastError(_) | ArrowError::ParseError(_) => ErrorCode::CANNOT_PARSE_TEXT,
            ArrowError::ArithmeticOverflow(_) => ErrorCode::DECIMAL_OVERFLOW,
            ArrowError::MemoryError(_) => ErrorCode::MEMORY_LIMIT_EXCEEDED,
            _ => ErrorCode::STD_EXCEPTION,
        },
        DataFusionError::Plan(_) | DataFusionError::Execution(_) => {
            if lower.contains("table '") && lower.contains("not found") {
                ErrorCode::UNKNOWN_TABLE
            } else if lower.contains("invalid function")
                || lower.contains("function") && lower.contains("not found")
            {
                ErrorCode::UNKNOWN_FUNCTION
            } else if lower.contains("no field named") || lower.contains("not found") {
                ErrorCode::UNKNOWN_IDENTIFIER
            } else if lower.contains("divide by zero") || lower.contains("division by zero") {
                ErrorCode::ILLEGAL_DIVISION
            } else if lower.contains("number of arguments")
                || lower.contains("does not support zero arguments")
                || lower.contains("expects") && lower.contains("argument")
            {
                ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH
            } else if lower.contains("coercion")
                || lower.contains("cannot infer common")
                || lower.contains("no function matches")
                || lower.contains("does not support")
                || lower.contains("unsupported data type")
                || lower.contains("signature")
            {
                ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
            } else if lower.contains("cast") {
                ErrorCode::TYPE_MISMATCH
            } else if lower.contains("aggregate") {
                ErrorCode::NOT_AN_AGGREGATE
            } else if lower.contains("unsupported") || lower.contains("not supported") {
                ErrorCode::NOT_IMPLEMENTED
            } else {
                ErrorCode::BAD_ARGUMENTS
            }
        }
        DataFusionError::IoError(_) => ErrorCode::CANNOT_OPEN_FILE,
        DataFusionError::Internal(_) => ErrorCode::LOGICAL_ERROR,
        _ => ErrorCode::STD_EXCEPTION,
    };
    Error::new(code, msg)
}

/// The name in DataFusion's "table function 'x' not found" (ClickHouse: "Unknown table
/// function x").
fn unknown_table_function(msg: &str) -> Option<&str> {
    let start = msg.find("table function '")? + "table function '".len();
    let rest = &msg[start..];
    let end = rest.find("' not found")?;
    Some(&rest[..end])
}
