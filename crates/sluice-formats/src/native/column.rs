//! Native column encoding: a column's values for all rows, the layout ClickHouse uses in
//! `Native` blocks (null map before values, `u64` offsets before array elements, tuple
//! elements one after another, LowCardinality as dictionary + indexes).

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::bulk::write_bulk;
use super::cursor::Cursor;
use super::leaf::{read_leaf, write_leaf};
use crate::parse::{Value, build_array};
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

fn too_big(n: u64) -> Error {
    Error::new(
        ErrorCode::CANNOT_READ_ALL_DATA,
        format!("Cannot read all data: size {n} exceeds the input"),
    )
}

/// Reads `rows` values of a Native column of type `t`.
pub fn read_values(c: &mut Cursor<'_>, t: &ChType, rows: usize) -> Result<Vec<Value>> {
    match t {
        ChType::Nullable(inner) => {
            let map = c.take(rows)?.to_vec();
            let vals = read_values(c, inner, rows)?;
            Ok(vals
                .into_iter()
                .zip(map)
                .map(|(v, n)| if n != 0 { Value::Null } else { v })
                .collect())
        }
        ChType::LowCardinality(inner) => read_low_cardinality(c, inner, rows),
        ChType::Array(et) => {
            let offsets = read_offsets(c, rows)?;
            let total = offsets.last().copied().unwrap_or(0);
            let flat = read_values(c, et, total)?;
            let mut out = Vec::with_capacity(rows);
            let mut prev = 0;
            for o in offsets {
                out.push(Value::Array(flat[prev..o].to_vec()));
                prev = o;
            }
            Ok(out)
        }
        ChType::Map(kt, vt) => {
            let offsets = read_offsets(c, rows)?;
            let total = offsets.last().copied().unwrap_or(0);
            let keys = read_values(c, kt, total)?;
            let vals = read_values(c, vt, total)?;
            let mut out = Vec::with_capacity(rows);
            let mut prev = 0;
            for o in offsets {
                out.push(Value::Map(
                    keys[prev..o]
                        .iter()
                        .cloned()
                        .zip(vals[prev..o].iter().cloned())
                        .collect(),
                ));
                prev = o;
            }
            Ok(out)
        }
        ChType::Tuple(elems) => {
            let mut cols = Vec::with_capacity(elems.len());
            for (_, et) in elems {
                cols.push(read_values(c, et, rows)?);
            }
            Ok((0..rows)
                .map(|r| Value::Tuple(cols.iter().map(|col| col[r].clone()).collect()))
                .collect())
        }
        t => {
            if rows > c.remaining().max(1) * 8 && !matches!(t, ChType::Nothing) {
                return Err(too_big(rows as u64));
            }
            (0..rows).map(|_| read_leaf(c, t)).collect()
        }
    }
}

fn read_offsets(c: &mut Cursor<'_>, rows: usize) -> Result<Vec<usize>> {
    if rows.saturating_mul(8) > c.remaining() {
        return Err(too_big(rows as u64));
    }
    let mut prev = 0usize;
    (0..rows)
        .map(|_| {
            let o = c.u64()?;
            let o = usize::try_from(o).map_err(|_| too_big(o))?;
            if o < prev {
                return Err(Error::new(
                    ErrorCode::INCORRECT_DATA,
                    "Array offsets are not increasing",
                ));
            }
            prev = o;
            Ok(o)
        })
        .collect()
}

fn read_low_cardinality(c: &mut Cursor<'_>, inner: &ChType, rows: usize) -> Result<Vec<Value>> {
    if rows == 0 {
        return Ok(Vec::new());
    }
    let version = c.u64()?;
    if version != 1 {
        return Err(Error::new(
            ErrorCode::INCORRECT_DATA,
            format!("Invalid version for LowCardinality column: {version}"),
        ));
    }
    let nullable = inner.is_nullable();
    let base = inner.non_nullable();
    let mut out = Vec::with_capacity(rows);
    let mut dict: Vec<Value> = Vec::new();
    while out.len() < rows {
        let flags = c.u64()?;
        if flags & HAS_ADDITIONAL_KEYS != 0 || flags & NEED_UPDATE_DICTIONARY != 0 {
            let n = c.u64()?;
            let n = usize::try_from(n)
                .ok()
                .filter(|n| *n <= c.remaining())
                .ok_or_else(|| too_big(n))?;
            dict = read_values(c, &base, n)?;
        }
        let n = c.u64()?;
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n <= c.remaining())
            .ok_or_else(|| too_big(n))?;
        let width = 1usize << (flags & 0xff).min(3);
        for _ in 0..n {
            let b = c.take(width)?;
            let mut full = [0u8; 8];
            full[..width].copy_from_slice(b);
            let i = u64::from_le_bytes(full) as usize;
            if nullable && i == 0 {
                out.push(Value::Null);
            } else {
                out.push(dict.get(i).cloned().ok_or_else(|| {
                    Error::new(
                        ErrorCode::INCORRECT_DATA,
                        format!("LowCardinality index {i} out of dictionary"),
                    )
                })?);
            }
        }
        if n == 0 {
            break;
        }
    }
    out.truncate(rows);
    Ok(out)
}

/// Reads a Native column of type `t` with `rows` rows into an Arrow array.
pub fn read_column(c: &mut Cursor<'_>, t: &ChType, rows: usize) -> Result<ArrayRef> {
    let vals = read_values(c, t, rows)?;
    build_array(&vals, t)
}

/// True for Arrow types the Native writer handles directly (everything but views).
pub(crate) fn writable(dt: &DataType) -> bool {
    !matches!(dt, DataType::ListView(_) | DataType::LargeListView(_))
}
