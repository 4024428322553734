//! JSON row formats: `JSONEachRow` (objects, one per row, also inside a top-level
//! array), `JSONStringsEachRow`, `JSONCompactEachRow` (arrays), `JSONCompactStringsEachRow`
//! and `JSONAsString` (each object's text into a single String column).

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use serde_json::Value as Json;
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::{InputFormat, Rows, at_row, null_for};
use crate::parse::{Value, parse_text};
use crate::settings::FormatSettings;

/// Which JSON row format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `JSONEachRow`.
    EachRow,
    /// `JSONStringsEachRow`.
    StringsEachRow,
    /// `JSONCompactEachRow`.
    CompactEachRow,
    /// `JSONCompactStringsEachRow`.
    CompactStringsEachRow,
    /// `JSONAsString`.
    AsString,
}

fn parse_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED, msg.into())
}

/// Converts a JSON value into a value of type `t` (ClickHouse's lenient rules: numbers
/// and bools into strings, strings parsed as the target type, objects/arrays as their
/// text into String columns).
pub(crate) fn json_to_value(j: &Json, t: &ChType, settings: &FormatSettings) -> Result<Value> {
    let base = match t {
        ChType::Nullable(i) | ChType::LowCardinality(i) => return json_to_value(j, i, settings),
        t => t,
    };
    match (j, base) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::String(s), _) => match base {
            ChType::Array(_) | ChType::Tuple(_) | ChType::Map(..) => {
                parse_text(s.as_bytes(), base, settings)
            }
            _ => parse_text(s.as_bytes(), base, settings),
        },
        (Json::Bool(b), ChType::Bool) => Ok(Value::Bool(*b)),
        (Json::Bool(b), ChType::String) => Ok(Value::Bytes(b.to_string().into_bytes())),
        (Json::Bool(b), _) => parse_text(if *b { b"1" } else { b"0" }, base, settings),
        (Json::Number(n), ChType::Float32 | ChType::Float64 | ChType::BFloat16) => {
            Ok(Value::Float(n.as_f64().unwrap_or(0.0)))
        }
        (Json::Number(n), ChType::Bool) => Ok(Value::Bool(n.as_f64().unwrap_or(0.0) != 0.0)),
        (Json::Number(n), _) => {
            let text = n.to_string();
            match (base, n.as_i64(), n.as_u64()) {
                (
                    ChType::DateTime(_) | ChType::DateTime64(..) | ChType::Date | ChType::Date32,
                    _,
                    _,
                ) => parse_text(text.as_bytes(), base, settings),
                (ChType::String, _, _) => Ok(Value::Bytes(text.into_bytes())),
                (_, None, None) if !matches!(base, ChType::Decimal { .. }) => {
                    // A float into an integer column: truncate as ClickHouse does.
                    let f = n.as_f64().unwrap_or(0.0);
                    parse_text(format!("{}", f.trunc() as i128).as_bytes(), base, settings)
                }
                _ => parse_text(text.as_bytes(), base, settings),
            }
        }
        (Json::Array(items), ChType::Array(et)) => Ok(Value::Array(
            items
                .iter()
                .map(|i| json_to_value(i, et, settings))
                .collect::<Result<_>>()?,
        )),
        (Json::Array(items), ChType::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(parse_err(format!(
                    "Tuple of {} elements expected, got a JSON array of {}",
                    elems.len(),
                    items.len()
                )));
            }
            Ok(Value::Tuple(
                items
                    .iter()
                    .zip(elems)
                    .map(|(i, (_, et))| json_to_value(i, et, settings))
                    .collect::<Result<_>>()?,
            ))
        }
        (Json::Object(obj), ChType::Tuple(elems)) => Ok(Value::Tuple(
            elems
                .iter()
                .enumerate()
                .map(|(i, (name, et))| {
                    let key = name.clone().unwrap_or_else(|| (i + 1).to_string());
                    match obj.get(&key) {
                        Some(v) => json_to_value(v, et, settings),
                        None => Ok(Value::Null),
                    }
                })
                .collect::<Result<_>>()?,
        )),
        (Json::Object(obj), ChType::Map(kt, vt)) => Ok(Value::Map(
            obj.iter()
                .map(|(k, v)| {
                    Ok((
                        parse_text(k.as_bytes(), kt, settings)?,
                        json_to_value(v, vt, settings)?,
                    ))
                })
                .collect::<Result<_>>()?,
        )),
        (Json::Array(_) | Json::Object(_), ChType::String) => {
            Ok(Value::Bytes(j.to_string().into_bytes()))
        }
        (other, t) => Err(parse_err(format!("Cannot parse JSON value {other} as {t}"))),
    }
}

/// Reader of the JSON row formats.
pub struct JsonInput {
    schema: SchemaRef,
    settings: FormatSettings,
    kind: Kind,
}

impl JsonInput {
    /// A reader of the given JSON row format.
    pub fn new(schema: SchemaRef, settings: FormatSettings, kind: Kind) -> Self {
        Self {
            schema,
            settings,
            kind,
        }
    }

    fn cell(&self, j: &Json, t: &ChType, name: &str, strings: bool) -> Result<Value> {
        match j {
            Json::Null => null_for(t, &self.settings, name),
            Json::String(s) if strings => parse_text(s.as_bytes(), t, &self.settings),
            j => json_to_value(j, t, &self.settings),
        }
    }

    fn row(&self, rows: &mut Rows, j: &Json, row_no: usize) -> Result<()> {
        let strings = matches!(
            self.kind,
            Kind::StringsEachRow | Kind::CompactStringsEachRow
        );
        let mut row = vec![None; rows.types.len()];
        match (self.kind, j) {
            (Kind::EachRow | Kind::StringsEachRow, Json::Object(obj)) => {
                for (k, v) in obj {
                    match self.schema.fields().iter().position(|f| f.name() == k) {
                        Some(c) => {
                            let val = self.cell(v, &rows.types[c], k, strings).map_err(|e| {
                                Error::new(
                                    e.code,
                                    format!("{}: (while reading the value of key {k})", e.message),
                                )
                            })?;
                            row[c] = Some(val);
                        }
                        None if self.settings.skip_unknown_fields => {}
                        None => {
                            return Err(Error::new(
                                ErrorCode::INCORRECT_DATA,
                                format!(
                                    "Unknown field found while parsing JSONEachRow format: {k}"
                                ),
                            ));
                        }
                    }
                }
            }
            (Kind::CompactEachRow | Kind::CompactStringsEachRow, Json::Array(items)) => {
                if items.len() != rows.types.len() {
                    return Err(parse_err(format!(
                        "Expected {} values in a row, got {}",
                        rows.types.len(),
                        items.len()
                    )));
                }
                for (c, v) in items.iter().enumerate() {
                    row[c] =
                        Some(self.cell(v, &rows.types[c], self.schema.field(c).name(), strings)?);
                }
            }
            (Kind::AsString, j) => {
                row[0] = Some(Value::Bytes(j.to_string().into_bytes()));
            }
            _ => {
                let expected = if matches!(
                    self.kind,
                    Kind::CompactEachRow | Kind::CompactStringsEachRow
                ) {
                    "'['"
                } else {
                    "'{'"
                };
                return Err(at_row(
                    parse_err(format!(
                        "Cannot parse input: expected {expected} before: '{j}'"
                    )),
                    row_no,
                ));
            }
        }
        rows.push(row);
        Ok(())
    }
}

impl InputFormat for JsonInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let rows = Rows::new(&self.schema);
        if self.kind == Kind::AsString && self.schema.fields().len() != 1 {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                "This input format is only suitable for tables with a single column of type String or Object",
            ));
        }
        self.read_from(rows, data)
    }
}

impl JsonInput {
    /// Reads rows separated by whitespace or commas.
    fn read_from(&mut self, mut rows: Rows, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let (mut offset, mut row_no) = (0, 0);
        loop {
            let rest = &data[offset..];
            let skip = rest
                .iter()
                .take_while(|c| c.is_ascii_whitespace() || **c == b',')
                .count();
            offset += skip;
            if offset >= data.len() {
                break;
            }
            let mut stream =
                serde_json::Deserializer::from_slice(&data[offset..]).into_iter::<Json>();
            let Some(next) = stream.next() else { break };
            row_no += 1;
            let j =
                next.map_err(|e| at_row(parse_err(format!("Cannot parse JSON: {e}")), row_no))?;
            let end = offset + stream.byte_offset();
            if matches!(self.kind, Kind::EachRow | Kind::StringsEachRow) && j.is_array() {
                if let Json::Array(items) = &j {
                    for item in items {
                        self.row(&mut rows, item, row_no)?;
                    }
                }
            } else if self.kind == Kind::AsString {
                rows.push(vec![Some(Value::Bytes(
                    data[offset..end].trim_ascii().to_vec(),
                ))]);
            } else {
                self.row(&mut rows, &j, row_no).map_err(|e| {
                    if e.message.contains("(at row") {
                        e
                    } else {
                        at_row(e, row_no)
                    }
                })?;
            }
            offset = end;
        }
        Ok(vec![rows.finish()?])
    }
}
