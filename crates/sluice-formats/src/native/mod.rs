//! ClickHouse's `Native` block encoding, shared by the `Native` format and the TCP
//! server: [`write_native_block`] / [`read_native_block`] (columns count, rows count,
//! then per column its name, type name and data), plus the per-column codec in
//! [`column`] (with whole-column fast paths in `bulk`) and the scalar codec (also used by `RowBinary`) in `leaf`.

pub(crate) mod bulk;
pub mod column;
pub mod cursor;
pub(crate) mod leaf;
pub(crate) mod row;

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use sluice_common::{ChType, Error, ErrorCode, Result};

pub use column::{read_column, write_column};
pub use cursor::{Cursor, write_bytes, write_varint};
pub use leaf::decimal_width;

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
/// from the block's column names and ClickHouse types.
pub fn read_native_block(data: &[u8], pos: &mut usize) -> Result<RecordBatch> {
    let mut c = Cursor::new(data, *pos);
    let cols = c.varint()?;
    let rows = c.varint()?;
    let rows = usize::try_from(rows)
        .ok()
        .filter(|r| *r <= data.len().saturating_mul(8).max(1 << 20))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::CANNOT_READ_ALL_DATA,
                format!("Too many rows in a Native block: {rows}"),
            )
        })?;
    if cols > c.remaining() as u64 {
        return Err(Error::new(
            ErrorCode::CANNOT_READ_ALL_DATA,
            format!("Too many columns in a Native block: {cols}"),
        ));
    }
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for _ in 0..cols {
        let name = c.string()?;
        let type_name = c.string()?;
        let t = ChType::parse(&type_name)?;
        arrays.push(read_column(&mut c, &t, rows)?);
        fields.push(t.to_field(&name));
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    let batch = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &opts)
        .map_err(|e| {
            Error::new(
                ErrorCode::INCORRECT_DATA,
                format!("Malformed Native block: {e}"),
            )
        })?;
    *pos = c.pos;
    Ok(batch)
}

#[cfg(test)]
pub(crate) mod tests;
