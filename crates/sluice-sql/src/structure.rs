//! Table-function structure strings (`'a UInt8, b Nullable(String)'`, as `values`, `file`,
//! `input` take them): parsed with the column-list grammar of `CREATE TABLE`.

use sluice_common::{Error, ErrorCode};

use crate::ast::Statement;
use crate::parser::parse_statement;

/// The `(name, type text)` pairs of a structure string. `T NULL` becomes `Nullable(T)`;
/// defaults and codecs are not allowed.
pub fn parse_structure(text: &str) -> Result<Vec<(String, String)>, Error> {
    let bad = || {
        Error::new(
            ErrorCode::SYNTAX_ERROR,
            format!("Cannot parse the table structure '{text}'"),
        )
    };
    if text.contains(';') {
        return Err(bad());
    }
    let parsed = parse_statement(&format!(
        "CREATE TABLE __sluice_structure ({text}) ENGINE = Memory"
    ))
    .map_err(|_| bad())?;
    let Statement::CreateTable(create) = parsed.statement else {
        return Err(bad());
    };
    let mut out = Vec::with_capacity(create.columns.len());
    for c in &create.columns {
        if c.default.is_some() || c.codec.is_some() {
            return Err(bad());
        }
        let Some(t) = &c.type_text else {
            return Err(bad());
        };
        let t = if c.null_modifier == Some(true) {
            format!("Nullable({t})")
        } else {
            t.clone()
        };
        out.push((c.name.clone(), t));
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// Whether `text` reads as a structure (every element is `name Type`), the test
/// `values('a UInt8', …)` applies to its first argument (`values('a', 'b')` are rows).
pub fn is_structure(text: &str) -> bool {
    parse_structure(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_types() {
        let cols = parse_structure("a UInt8, b Nullable(String), `c d` Array(Tuple(x UInt8))")
            .expect("parses");
        assert_eq!(
            cols,
            vec![
                ("a".to_string(), "UInt8".to_string()),
                ("b".to_string(), "Nullable(String)".to_string()),
                ("c d".to_string(), "Array(Tuple(x UInt8))".to_string()),
            ]
        );
        assert!(!is_structure("a"));
        assert!(!is_structure("x; DROP TABLE t"));
        assert!(parse_structure("").is_err());
    }
}
