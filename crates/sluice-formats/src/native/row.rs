//! `RowBinary` value encoding: like Native scalars, but row by row — `Nullable` as a
//! flag byte before the value, arrays and maps with a var-int length, LowCardinality as
//! its inner type.

use arrow::array::{Array, AsArray};
use sluice_common::{ChType, Error, Result};

use super::cursor::Cursor;
use super::leaf::{read_leaf, write_leaf};
use super::wire::write_varint;
use crate::parse::Value;
use crate::text::{dict_key, is_null_at, list_range};

/// Writes the value at `row` of `a` as RowBinary of type `t`.
pub(crate) fn write_row_value(
    out: &mut Vec<u8>,
    a: &dyn Array,
    row: usize,
    t: &ChType,
) -> Result<()> {
    if let Some(d) = a.as_any_dictionary_opt() {
        let inner = match t {
            ChType::LowCardinality(i) => i.as_ref(),
            t => t,
        };
        return match dict_key(d, row) {
            Some(k) => write_row_value(out, d.values().as_ref(), k, inner),
            None => write_row_value(out, &arrow::array::NullArray::new(1), 0, inner),
        };
    }
    match t {
        ChType::LowCardinality(inner) => write_row_value(out, a, row, inner),
        ChType::Nullable(inner) => {
            if is_null_at(a, row) {
                out.push(1);
                Ok(())
            } else {
                out.push(0);
                write_row_value(out, a, row, inner)
            }
        }
        ChType::Array(et) => match list_range(a, row) {
            Some((range, values)) => {
                write_varint(out, range.len() as u64);
                for i in range {
                    write_row_value(out, values, i, et)?;
                }
                Ok(())
            }
            None => {
                write_varint(out, 0);
                Ok(())
            }
        },
        ChType::Map(kt, vt) => {
            let m = a
                .as_map_opt()
                .ok_or_else(|| Error::internal("Map column is not a MapArray"))?;
            let o = m.value_offsets();
            let (s, e) = (o[row] as usize, o[row + 1] as usize);
            write_varint(out, (e - s) as u64);
            for i in s..e {
                write_row_value(out, m.keys().as_ref(), i, kt)?;
                write_row_value(out, m.values().as_ref(), i, vt)?;
            }
            Ok(())
        }
        ChType::Tuple(elems) => {
            let st = a
                .as_struct_opt()
                .ok_or_else(|| Error::internal("Tuple column is not a StructArray"))?;
            for ((_, et), col) in elems.iter().zip(st.columns()) {
                write_row_value(out, col.as_ref(), row, et)?;
            }
            Ok(())
        }
        t => write_leaf(out, a, row, t),
    }
}

/// Reads one RowBinary value of type `t`.
pub(crate) fn read_row_value(c: &mut Cursor<'_>, t: &ChType) -> Result<Value> {
    match t {
        ChType::LowCardinality(inner) => read_row_value(c, inner),
        ChType::Nullable(inner) => {
            if c.u8()? != 0 {
                Ok(Value::Null)
            } else {
                read_row_value(c, inner)
            }
        }
        ChType::Array(et) => {
            let n = c.read_len()?;
            Ok(Value::Array(
                (0..n)
                    .map(|_| read_row_value(c, et))
                    .collect::<Result<_>>()?,
            ))
        }
        ChType::Map(kt, vt) => {
            let n = c.read_len()?;
            Ok(Value::Map(
                (0..n)
                    .map(|_| Ok((read_row_value(c, kt)?, read_row_value(c, vt)?)))
                    .collect::<Result<_>>()?,
            ))
        }
        ChType::Tuple(elems) => Ok(Value::Tuple(
            elems
                .iter()
                .map(|(_, et)| read_row_value(c, et))
                .collect::<Result<_>>()?,
        )),
        ChType::Nothing => Ok(Value::Null),
        t => read_leaf(c, t),
    }
}
