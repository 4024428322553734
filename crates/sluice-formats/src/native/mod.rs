//! ClickHouse's `Native` block encoding, shared by the `Native` format and the TCP
//! server: [`write_native_block`] / [`read_native_block`] (columns count, rows count,
//! then per column its name, type name and data); columns are written by [`column`]
//! (with whole-column fast paths in `bulk`) and read by [`decode`] over a [`wire`]
//! reader, which tells a truncated input from a malformed one. The scalar codec `leaf`
//! also serves `RowBinary`.

pub(crate) mod bulk;
pub mod column;
pub mod cursor;
pub mod decode;
pub(crate) mod leaf;
pub(crate) mod row;
pub mod wire;

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use sluice_common::{ChType, Error, ErrorCode, Result};

pub use column::write_column;
pub use cursor::Cursor;
pub use leaf::decimal_width;
pub use wire::{write_bytes, write_varint};

/// Appends `batch` as one Native block (no block info header: that belongs to the TCP
/// protocol's Data packet). Column types come from [`ChType::from_field`].
pub fn write_native_block(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<()> {
    write_varint(out, batch.num_columns() as u64);
    write_varint(out, batch.num_rows() as u64);
    for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
        let t = ChType::from_field(f);
        write_bytes(out, f.name().as_bytes());
        write_bytes(out, t.to_string().as_bytes());
        if !column::writable(col.data_type()) {
            return Err(Error::not_implemented(format!(
                "Native encoding of Arrow type {}",
                col.data_type()
            )));
        }
        write_column(out, col.as_ref(), 0..batch.num_rows(), &t)?;
    }
    Ok(())
}

/// Reads one Native block starting at `*pos`, advancing it. The batch's schema comes
/// from the block's column names and ClickHouse types; columns are decoded by [`decode`],
/// the TCP server's reader, and cast to the type's usual Arrow layout where it differs.
pub fn read_native_block(data: &[u8], pos: &mut usize) -> Result<RecordBatch> {
    let mut r = wire::WireReader::new(data.get(*pos..).unwrap_or_default());
    let block = read_block(&mut r).map_err(|e| match e {
        wire::DecodeError::Incomplete => Error::new(
            ErrorCode::CANNOT_READ_ALL_DATA,
            "Cannot read all data: the Native block is truncated",
        ),
        wire::DecodeError::Invalid(e) => e,
    })?;
    *pos += r.position();
    Ok(block)
}

fn read_block(r: &mut wire::WireReader<'_>) -> wire::DecodeResult<RecordBatch> {
    let cols = r.varint()?;
    let rows = r.varint()?;
    let rows = usize::try_from(rows)
        .ok()
        .filter(|n| *n <= r.remaining().saturating_mul(8).max(1 << 20))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::CANNOT_READ_ALL_DATA,
                format!("Too many rows in a Native block: {rows}"),
            )
        })?;
    if cols > r.remaining() as u64 {
        return Err(Error::new(
            ErrorCode::CANNOT_READ_ALL_DATA,
            format!("Too many columns in a Native block: {cols}"),
        )
        .into());
    }
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for _ in 0..cols {
        let name = r.string()?;
        let t = ChType::parse(&r.string()?)?;
        decode::read_prefix(&t, r)?;
        let mut a = decode::read_data(&t, rows, r)?;
        let dt = t.to_arrow();
        if a.data_type() != &dt {
            a = arrow::compute::cast(&a, &dt).map_err(|e| {
                Error::new(
                    ErrorCode::INCORRECT_DATA,
                    format!("Malformed Native column {name}: {e}"),
                )
            })?;
        }
        arrays.push(a);
        fields.push(t.to_field(&name));
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(
        RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &opts).map_err(
            |e| {
                Error::new(
                    ErrorCode::INCORRECT_DATA,
                    format!("Malformed Native block: {e}"),
                )
            },
        )?,
    )
}

#[cfg(test)]
pub(crate) mod tests;
