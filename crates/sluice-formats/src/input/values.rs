//! `Values` input: `(1, 'a'), (2, 'b')` with literals only (numbers, strings, NULL,
//! arrays, tuples, maps). Expressions are not evaluated here: `NOT_IMPLEMENTED`.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{Error, Result};

use super::{InputFormat, Rows, at_row, null_for};
use crate::parse::Value;
use crate::parse::quoted::QuotedParser;
use crate::settings::FormatSettings;

/// Reader of the `Values` format.
pub struct ValuesInput {
    schema: SchemaRef,
    settings: FormatSettings,
}

impl ValuesInput {
    /// A `Values` reader.
    pub fn new(schema: SchemaRef, settings: FormatSettings) -> Self {
        Self { schema, settings }
    }
}

/// True when the text at the parser's position starts an expression (a function call
/// or an identifier) rather than a literal.
fn starts_expression(p: &QuotedParser<'_>, rest: &[u8]) -> bool {
    let _ = p;
    let word: Vec<u8> = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .copied()
        .collect();
    if word.is_empty() || word[0].is_ascii_digit() {
        return false;
    }
    let lower = String::from_utf8_lossy(&word).to_ascii_lowercase();
    !matches!(lower.as_str(), "null" | "true" | "false" | "inf" | "nan")
        || rest.get(word.len()) == Some(&b'(')
}

impl InputFormat for ValuesInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let mut rows = Rows::new(&self.schema);
        let mut p = QuotedParser::new(data, &self.settings);
        let mut row_no = 0;
        loop {
            p.skip_ws();
            if p.at_end() {
                break;
            }
            row_no += 1;
            p.expect(b'(').map_err(|e| at_row(e, row_no))?;
            let mut row = Vec::with_capacity(rows.types.len());
            for c in 0..rows.types.len() {
                if c > 0 {
                    p.expect(b',').map_err(|e| at_row(e, row_no))?;
                }
                p.skip_ws();
                let t = rows.types[c].clone();
                let start = p.pos;
                let v = match p.parse_value(&t) {
                    Ok(Value::Null) => null_for(&t, &self.settings, self.schema.field(c).name())?,
                    Ok(v) => v,
                    Err(e) => {
                        if starts_expression(&p, &data[start..]) {
                            return Err(Error::not_implemented(
                                "Expressions in the Values format (only literals are supported)",
                            ));
                        }
                        return Err(at_row(e, row_no));
                    }
                };
                row.push(Some(v));
            }
            p.expect(b')').map_err(|e| at_row(e, row_no))?;
            rows.push(row);
            p.skip_ws();
            p.eat(b',');
            p.eat(b';');
        }
        Ok(vec![rows.finish()?])
    }
}
