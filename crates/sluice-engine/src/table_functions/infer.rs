//! Schema inference for `file(path[, format])` without a structure, following ClickHouse's
//! rules for the text formats: every scalar column is `Nullable`, integers are `Int64`,
//! other numbers `Float64`, `true`/`false` `Bool`, `YYYY-MM-DD` `Date`,
//! `YYYY-MM-DD hh:mm:ss` `DateTime`, `[…]` `Array(…)` of the elements' type, anything else
//! `String`; a column mixing integers and floats is `Float64`, any other mix `String`.
//! Columns are `c1`, `c2`, … unless the format has a header (`…WithNames`) or names its
//! fields (`JSONEachRow`). The first 25,000 rows are read, as
//! `input_format_max_rows_to_read_for_schema_inference` does by default.
//!
//! Known difference: JSON objects are read as `String` (ClickHouse infers named tuples).

use sluice_common::{ChType, Error, ErrorCode, Result};

/// Rows read for inference.
const MAX_ROWS: usize = 25_000;

/// What the values of a column seen so far allow.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Only NULLs (or nothing) so far.
    Null,
    Int,
    Float,
    Bool,
    Date,
    DateTime,
    Str,
    Array(Box<Kind>),
}

fn merge(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (Kind::Null, x) | (x, Kind::Null) => x,
        (a, b) if a == b => a,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        (Kind::Array(x), Kind::Array(y)) => Kind::Array(Box::new(merge(*x, *y))),
        _ => Kind::Str,
    }
}

fn to_type(k: &Kind) -> ChType {
    let scalar = |t: ChType| t.into_nullable();
    match k {
        Kind::Null | Kind::Str => scalar(ChType::String),
        Kind::Int => scalar(ChType::Int64),
        Kind::Float => scalar(ChType::Float64),
        Kind::Bool => scalar(ChType::Bool),
        Kind::Date => scalar(ChType::Date),
        Kind::DateTime => scalar(ChType::DateTime(None)),
        Kind::Array(inner) => ChType::Array(Box::new(to_type(inner))),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && is_date(&s[..10])
        && b[10] == b' '
        && b[11..].iter().enumerate().all(|(i, c)| match i {
            2 | 5 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// The kind of one unquoted text cell.
fn text_kind(cell: &str) -> Kind {
    if cell == "\\N" || cell.is_empty() {
        return Kind::Null;
    }
    if cell.parse::<i64>().is_ok() {
        return Kind::Int;
    }
    if cell.parse::<f64>().is_ok() && cell.bytes().any(|c| c.is_ascii_digit()) {
        return Kind::Float;
    }
    if cell == "true" || cell == "false" {
        return Kind::Bool;
    }
    if is_date(cell) {
        return Kind::Date;
    }
    if is_datetime(cell) {
        return Kind::DateTime;
    }
    if cell.starts_with('[')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&cell.replace('\'', "\""))
    {
        return json_kind(&v);
    }
    Kind::Str
}

fn json_kind(v: &serde_json::Value) -> Kind {
    match v {
        serde_json::Value::Null => Kind::Null,
        serde_json::Value::Bool(_) => Kind::Bool,
        serde_json::Value::Number(n) => {
            if n.is_i64() {
                Kind::Int
            } else {
                Kind::Float
            }
        }
        serde_json::Value::String(s) => {
            if is_date(s) {
                Kind::Date
            } else if is_datetime(s) {
                Kind::DateTime
            } else {
                Kind::Str
            }
        }
        serde_json::Value::Array(items) => Kind::Array(Box::new(
            items.iter().map(json_kind).fold(Kind::Null, merge),
        )),
        serde_json::Value::Object(_) => Kind::Str,
    }
}

/// A JSON object's members in document order (serde_json's map sorts its keys).
struct OrderedObject(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for OrderedObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<OrderedObject, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    out.push((k, v));
                }
                Ok(OrderedObject(out))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// Splits one CSV line into cells; a quoted cell is `(text, true)`.
fn csv_cells(line: &str, delimiter: char) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' if in_quotes => in_quotes = false,
            '"' if cur.is_empty() => {
                in_quotes = true;
                quoted = true;
            }
            c if c == delimiter && !in_quotes => {
                out.push((std::mem::take(&mut cur), quoted));
                quoted = false;
            }
            c => cur.push(c),
        }
    }
    out.push((cur, quoted));
    out
}

/// The inferred `(name, type)` columns of `data` read as `format` (canonical name).
pub(super) fn infer(format: &str, data: &[u8]) -> Result<Vec<(String, ChType)>> {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().filter(|l| !l.is_empty());
    let mut names: Option<Vec<String>> = None;
    let mut kinds: Vec<Kind> = Vec::new();
    let mut widen = |row: Vec<Kind>| {
        if kinds.len() < row.len() {
            kinds.resize(row.len(), Kind::Null);
        }
        for (k, r) in kinds.iter_mut().zip(row) {
            *k = merge(std::mem::replace(k, Kind::Null), r);
        }
    };
    match format {
        "TabSeparated" | "TSV" | "TabSeparatedWithNames" | "TSVWithNames" => {
            let with_names = format.ends_with("WithNames");
            for (i, line) in lines.take(MAX_ROWS + 1).enumerate() {
                let cells = line.split('\t');
                if with_names && i == 0 {
                    names = Some(cells.map(str::to_string).collect());
                    continue;
                }
                widen(cells.map(text_kind).collect());
            }
        }
        "CSV" | "CSVWithNames" => {
            let with_names = format.ends_with("WithNames");
            for (i, line) in lines.take(MAX_ROWS + 1).enumerate() {
                let cells = csv_cells(line, ',');
                if with_names && i == 0 {
                    names = Some(cells.into_iter().map(|(c, _)| c).collect());
                    continue;
                }
                widen(
                    cells
                        .into_iter()
                        .map(|(c, quoted)| if quoted { Kind::Str } else { text_kind(&c) })
                        .collect(),
                );
            }
        }
        "JSONEachRow" | "JSONLines" | "JSONL" | "NDJSON" => {
            let mut order: Vec<String> = Vec::new();
            let mut by_name: Vec<Kind> = Vec::new();
            for line in lines.take(MAX_ROWS) {
                let obj: OrderedObject = serde_json::from_str(line).map_err(|e| {
                    Error::new(
                        ErrorCode::CANNOT_EXTRACT_TABLE_STRUCTURE,
                        format!("Cannot extract table structure from {format} data: {e}"),
                    )
                })?;
                for (k, v) in obj.0 {
                    let kind = json_kind(&v);
                    match order.iter().position(|n| *n == k) {
                        Some(i) => {
                            by_name[i] = merge(std::mem::replace(&mut by_name[i], Kind::Null), kind)
                        }
                        None => {
                            order.push(k);
                            by_name.push(kind);
                        }
                    }
                }
            }
            return Ok(order.into_iter().zip(by_name.iter().map(to_type)).collect());
        }
        other => {
            return Err(Error::new(
                ErrorCode::CANNOT_EXTRACT_TABLE_STRUCTURE,
                format!(
                    "The table structure cannot be extracted from a {other} format file; \
                     pass the structure as the third argument of file()"
                ),
            ));
        }
    }
    if kinds.is_empty() {
        return Err(Error::new(
            ErrorCode::CANNOT_EXTRACT_TABLE_STRUCTURE,
            format!("Cannot extract table structure from {format} format file, file is empty"),
        ));
    }
    let names: Vec<String> = (0..kinds.len())
        .map(|i| {
            names
                .as_ref()
                .and_then(|n| n.get(i).cloned())
                .unwrap_or_else(|| format!("c{}", i + 1))
        })
        .collect();
    Ok(names.into_iter().zip(kinds.iter().map(to_type)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(format: &str, data: &str) -> Vec<String> {
        infer(format, data.as_bytes())
            .expect("infers")
            .into_iter()
            .map(|(n, t)| format!("{n} {t}"))
            .collect()
    }

    #[test]
    fn tsv_scalars() {
        assert_eq!(
            types(
                "TSV",
                "2020-01-01\t2020-01-01 00:00:00\ttrue\t[1,2]\t1.5\t\\N\tabc\n"
            ),
            vec![
                "c1 Nullable(Date)",
                "c2 Nullable(DateTime)",
                "c3 Nullable(Bool)",
                "c4 Array(Nullable(Int64))",
                "c5 Nullable(Float64)",
                "c6 Nullable(String)",
                "c7 Nullable(String)",
            ]
        );
        assert_eq!(
            types("TSV", "1\tx\n2.5\ty\n"),
            vec!["c1 Nullable(Float64)", "c2 Nullable(String)"]
        );
    }

    #[test]
    fn csv_with_names_and_json() {
        assert_eq!(
            types("CSVWithNames", "a,b\n1,x\n"),
            vec!["a Nullable(Int64)", "b Nullable(String)"]
        );
        assert_eq!(
            types("CSV", "\"1\",2,\"a b\"\n3,4.5,\n"),
            vec![
                "c1 Nullable(String)",
                "c2 Nullable(Float64)",
                "c3 Nullable(String)"
            ]
        );
        assert_eq!(
            types(
                "JSONEachRow",
                "{\"a\":1,\"b\":\"x\",\"c\":[1,2]}\n{\"a\":null,\"d\":1.5}\n"
            ),
            vec![
                "a Nullable(Int64)",
                "b Nullable(String)",
                "c Array(Nullable(Int64))",
                "d Nullable(Float64)"
            ]
        );
        assert!(infer("TSV", b"").is_err());
        assert!(infer("Parquet", b"x").is_err());
    }
}
