//! Native blocks: BlockInfo, column count, row count, then per column its name, type,
//! (from 54454) a custom-serialization flag, and its data.
//!
//! Revision 0 (the HTTP `Native` format) has no BlockInfo.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, new_empty_array};
use arrow::datatypes::{Field, Schema};
use sluice_common::{ChType, Error, ErrorCode};

use crate::native::columns::{decode, wire_type};
use crate::native::handshake::rev;
use crate::native::wire::{DecodeError, DecodeResult, WireReader, WireWrite};

/// Most columns a decoded block may declare (ClickHouse's `NativeReader` limit).
pub const MAX_COLUMNS: u64 = 1_000_000;

/// Most rows a decoded block may declare (ClickHouse's `NativeReader` limit).
pub const MAX_ROWS: u64 = 1_000_000_000_000;

/// Deepest nesting of a column type name. ClickHouse allows `max_parser_depth` (1000);
/// Sluice's type parser and column decoder recurse per level on 2 MiB worker stacks, which
/// a debug build overflows near 150 levels, so the limit is 64 (real schemas nest a few).
pub const MAX_TYPE_DEPTH: usize = 64;

/// Canonical BlockInfo: is_overflows = false, bucket_num = -1.
const BLOCK_INFO: [u8; 8] = [0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];

/// Appends `batch` as a native block for revision `n`.
pub fn encode_block(batch: &RecordBatch, n: u64, out: &mut Vec<u8>) -> Result<(), Error> {
    if n > 0 {
        out.extend_from_slice(&BLOCK_INFO);
    }
    out.put_varint(batch.num_columns() as u64);
    out.put_varint(batch.num_rows() as u64);
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let t = wire_type(&ChType::from_field(field), n);
        out.put_str(field.name().as_bytes());
        out.put_str(t.to_string().as_bytes());
        if n >= rev::CUSTOM_SERIALIZATION {
            out.put_u8(0);
        }
        if batch.num_rows() > 0 {
            sluice_formats::native::write_column(out, column.as_ref(), 0..batch.num_rows(), &t)?;
        }
    }
    Ok(())
}

/// Appends a block with `schema`'s columns and no rows (header / sample block).
pub fn encode_header(schema: &Schema, n: u64, out: &mut Vec<u8>) -> Result<(), Error> {
    let batch = RecordBatch::new_empty(Arc::new(schema.clone()));
    encode_block(&batch, n, out)
}

/// A decoded block.
#[derive(Debug, Clone)]
pub struct Block {
    /// The columns and rows.
    pub batch: RecordBatch,
}

impl Block {
    /// True for the empty block (0 columns, 0 rows) that ends a data stream.
    pub fn is_end_marker(&self) -> bool {
        self.batch.num_columns() == 0 && self.batch.num_rows() == 0
    }
}

/// Decodes a block for revision `n` from the start of `buf`; returns it and its length.
pub fn decode_block(buf: &[u8], n: u64) -> DecodeResult<(Block, usize)> {
    let mut r = WireReader::new(buf);
    if n > 0 {
        read_block_info(&mut r)?;
    }
    let num_columns = r.varint()?;
    let num_rows = r.varint()?;
    // ClickHouse's NativeReader limits, checked before anything is sized by them.
    if num_columns > MAX_COLUMNS {
        return Err(DecodeError::Invalid(Error::new(
            ErrorCode::TOO_LARGE_ARRAY_SIZE,
            format!("Suspiciously many columns in Native format: {num_columns}"),
        )));
    }
    if num_rows > MAX_ROWS {
        return Err(DecodeError::Invalid(Error::new(
            ErrorCode::TOO_LARGE_ARRAY_SIZE,
            format!("Suspiciously many rows in Native format: {num_rows}"),
        )));
    }
    // Each column needs at least its name and type lengths.
    if num_columns.saturating_mul(2) > r.remaining() as u64 {
        return Err(DecodeError::Incomplete);
    }
    if num_columns > 0 && num_rows > r.remaining() as u64 {
        return Err(DecodeError::Incomplete);
    }
    let rows = num_rows as usize;
    let mut fields = Vec::with_capacity(num_columns as usize);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(num_columns as usize);
    for _ in 0..num_columns {
        let name = r.string()?;
        let type_name = r.string()?;
        check_type_depth(&type_name)?;
        let t = ChType::parse(&type_name).map_err(DecodeError::Invalid)?;
        if n >= rev::CUSTOM_SERIALIZATION && r.u8()? != 0 {
            return Err(DecodeError::Invalid(Error::new(
                ErrorCode::NOT_IMPLEMENTED,
                format!("Custom serialization of column {name} is not implemented in Sluice"),
            )));
        }
        let column = if rows > 0 {
            decode::read_prefix(&t, &mut r)?;
            decode::read_data(&t, rows, &mut r)?
        } else {
            new_empty_array(&t.to_arrow())
        };
        let nullable = t.is_nullable() || column.null_count() > 0 || matches!(t, ChType::Nothing);
        let field = t
            .to_field(&name)
            .with_data_type(column.data_type().clone())
            .with_nullable(nullable);
        fields.push(field);
        columns.push(column);
    }
    let schema = Arc::new(Schema::new(fields.into_iter().collect::<Vec<Field>>()));
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    let batch = RecordBatch::try_new_with_options(schema, columns, &options).map_err(|e| {
        DecodeError::Invalid(Error::new(
            ErrorCode::INCORRECT_DATA,
            format!("Invalid native block: {e}"),
        ))
    })?;
    Ok((Block { batch }, r.position()))
}

/// Refuses type names nested deeper than [`MAX_TYPE_DEPTH`] before they are parsed: type
/// parsing and column decoding recurse once per level, and a hostile client must not be
/// able to overflow the stack.
fn check_type_depth(type_name: &str) -> DecodeResult<()> {
    let mut depth = 0usize;
    for b in type_name.bytes() {
        match b {
            b'(' => {
                depth += 1;
                if depth > MAX_TYPE_DEPTH {
                    return Err(DecodeError::Invalid(Error::new(
                        ErrorCode::TOO_DEEP_RECURSION,
                        format!(
                            "Maximum parse depth ({MAX_TYPE_DEPTH}) exceeded. \
                             Consider rising max_parser_depth parameter."
                        ),
                    )));
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn read_block_info(r: &mut WireReader<'_>) -> DecodeResult<()> {
    loop {
        match r.varint()? {
            0 => return Ok(()),
            1 => {
                r.u8()?;
            }
            2 => {
                r.i32_le()?;
            }
            3 => {
                let count = r.varint()?;
                if count.saturating_mul(4) > r.remaining() as u64 {
                    return Err(DecodeError::Incomplete);
                }
                r.advance(count as usize * 4)?;
            }
            other => {
                return Err(DecodeError::Invalid(Error::new(
                    ErrorCode::INCORRECT_DATA,
                    format!("Unknown BlockInfo field number: {other}"),
                )));
            }
        }
    }
}

#[cfg(test)]
#[path = "block_tests.rs"]
mod tests;
