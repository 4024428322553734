//! Native column encoding: a column's values for all rows, the layout ClickHouse uses in
//! `Native` blocks (null map before values, `u64` offsets before array elements, tuple
//! elements one after another, LowCardinality as dictionary + indexes).

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use sluice_common::{ChType, Error, Result};

use super::bulk::write_bulk;
use super::leaf::write_leaf;
use crate::text::{dict_key, is_null_at, list_range};

/// LowCardinality index-type flags.
const HAS_ADDITIONAL_KEYS: u64 = 1 << 9;
const NEED_UPDATE_DICTIONARY: u64 = 1 << 10;

/// Resolves dictionary-encoded input to (values array, row) for `row`.
fn resolve(a: &dyn Array, row: usize) -> (&dyn Array, Option<usize>) {
    match a.as_any_dictionary_opt() {
        Some(d) => (d.values().as_ref(), dict_key(d, row)),
        None => (a, Some(row)),
    }
}

/// Writes rows `rows` of `a` as a Native column of type `t`.
pub fn write_column(
    out: &mut Vec<u8>,
    a: &dyn Array,
    rows: std::ops::Range<usize>,
    t: &ChType,
) -> Result<()> {
    match t {
        ChType::Nullable(inner) => {
            match a.data_type() {
                DataType::Dictionary(..) | DataType::Null => {
                    for r in rows.clone() {
                        out.push(u8::from(is_null_at(a, r)));
                    }
                }
                _ => match a.nulls() {
                    Some(n) => out.extend(rows.clone().map(|r| u8::from(n.is_null(r)))),
                    None => out.resize(out.len() + rows.len(), 0),
                },
            }
            write_column(out, a, rows, inner)
        }
        ChType::LowCardinality(inner) => write_low_cardinality(out, a, rows, inner),
        ChType::Array(et) => {
            // Child values of consecutive rows are contiguous: write them as one column.
            let mut total = 0u64;
            let mut child: Option<(&dyn Array, usize, usize)> = None;
            for r in rows.clone() {
                if let Some((range, values)) = list_range(a, r) {
                    total += range.len() as u64;
                    child = Some(match child {
                        None => (values, range.start, range.end),
                        Some((v, s, _)) => (v, s, range.end),
                    });
                }
                out.extend_from_slice(&total.to_le_bytes());
            }
            match child {
                Some((values, s, e)) => write_column(out, values, s..e, et),
                None => Ok(()),
            }
        }
        ChType::Map(kt, vt) => {
            let m = a
                .as_map_opt()
                .ok_or_else(|| Error::internal("Map column is not a MapArray"))?;
            let o = m.value_offsets();
            let mut total = 0u64;
            for r in rows.clone() {
                total += (o[r + 1] - o[r]) as u64;
                out.extend_from_slice(&total.to_le_bytes());
            }
            let (start, end) = (o[rows.start] as usize, o[rows.end.max(rows.start)] as usize);
            if rows.is_empty() {
                return Ok(());
            }
            write_column(out, m.keys().as_ref(), start..end, kt)?;
            write_column(out, m.values().as_ref(), start..end, vt)
        }
        ChType::Tuple(elems) => {
            let s = a
                .as_struct_opt()
                .ok_or_else(|| Error::internal("Tuple column is not a StructArray"))?;
            for ((_, et), col) in elems.iter().zip(s.columns()) {
                write_column(out, col.as_ref(), rows.clone(), et)?;
            }
            Ok(())
        }
        t => {
            if !matches!(a.data_type(), DataType::Dictionary(..))
                && write_bulk(out, a, rows.clone(), t)
            {
                return Ok(());
            }
            for r in rows {
                let (arr, i) = resolve(a, r);
                match i {
                    Some(i) => write_leaf(out, arr, i, t)?,
                    None => write_leaf(out, &arrow::array::NullArray::new(1), 0, t)?,
                }
            }
            Ok(())
        }
    }
}

fn write_low_cardinality(
    out: &mut Vec<u8>,
    a: &dyn Array,
    rows: std::ops::Range<usize>,
    inner: &ChType,
) -> Result<()> {
    let nullable = inner.is_nullable();
    let base = inner.non_nullable();
    // Dictionary: [NULL placeholder if nullable], default, then distinct values.
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut default = Vec::new();
    write_leaf(&mut default, &arrow::array::NullArray::new(1), 0, &base)?;
    if nullable {
        keys.push(default.clone());
    }
    keys.push(default.clone());
    let mut index: HashMap<Vec<u8>, u64> = HashMap::new();
    index.insert(default, u64::from(nullable));
    let mut idx = Vec::with_capacity(rows.len());
    for r in rows {
        if nullable && is_null_at(a, r) {
            idx.push(0u64);
            continue;
        }
        let (arr, i) = resolve(a, r);
        let mut enc = Vec::new();
        match i {
            Some(i) => write_leaf(&mut enc, arr, i, &base)?,
            None => write_leaf(&mut enc, &arrow::array::NullArray::new(1), 0, &base)?,
        }
        let next = keys.len() as u64;
        let k = *index.entry(enc.clone()).or_insert_with(|| {
            keys.push(enc);
            next
        });
        idx.push(k);
    }
    let (code, width) = match keys.len() {
        0..=0xff => (0u64, 1usize),
        0x100..=0xffff => (1, 2),
        0x1_0000..=0xffff_ffff => (2, 4),
        _ => (3, 8),
    };
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(&(code | HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY).to_le_bytes());
    out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
    for k in &keys {
        out.extend_from_slice(k);
    }
    out.extend_from_slice(&(idx.len() as u64).to_le_bytes());
    for i in idx {
        out.extend_from_slice(&i.to_le_bytes()[..width]);
    }
    Ok(())
}

/// True for Arrow types the Native writer handles directly (everything but views).
pub(crate) fn writable(dt: &DataType) -> bool {
    !matches!(dt, DataType::ListView(_) | DataType::LargeListView(_))
}
