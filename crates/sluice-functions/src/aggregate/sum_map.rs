//! `sumMap`, `maxMap`, `minMap` (alias `sumMappedArrays`): per key, the sum / maximum /
//! minimum of the values given beside it.
//!
//! Forms, as in ClickHouse: `f(keys, values…)` with arrays of equal length (one or more
//! value arrays), `f((keys, values…))` with a tuple of them — both give
//! `Tuple(Array(K), Array(V)…)` — and `f(map)` with a `Map(K, V)`, giving a `Map`. Keys come
//! out sorted. `sumMap` sums integers in `UInt64`/`Int64` (wrapping), floats in `Float64`,
//! decimals in their own type, and leaves out the keys whose every sum is 0; `maxMap` and
//! `minMap` keep the value type (strings too) and every key.
//!
//! Errors: a non-array, non-map argument or a single array, `ILLEGAL_TYPE_OF_ARGUMENT` (43,
//! "Aggregate function Map requires map as argument"); keys and values arrays of different
//! sizes in a row, `BAD_ARGUMENTS` (36); a value type `sum` does not take,
//! `ILLEGAL_TYPE_OF_ARGUMENT`. Not supported: `Nullable` value elements (ClickHouse
//! rejects them too), 128/256-bit integer values in `sumMap` (`NOT_IMPLEMENTED`).
//!
//! State: a `VarUInt` number of keys, then per key (in key order) the key and each value
//! in `RowBinary`, as ClickHouse writes it.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::value::{read_value, write_value};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name, aliases| BaseDef {
        name,
        aliases,
        case_insensitive: false,
        nulls: NullMode::Skip,
        build: build_map_agg,
    };
    vec![
        def("sumMap", &["sumMappedArrays"]),
        def("maxMap", &[]),
        def("minMap", &[]),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sum,
    Max,
    Min,
}

/// How the arguments carry keys and values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `f(keys, values…)`.
    Arrays,
    /// `f((keys, values…))`.
    Tuple,
    /// `f(map)`.
    Map,
}

/// How `sumMap` accumulates one value column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SumAs {
    U64,
    I64,
    F64,
    Decimal { precision: u8, scale: i8 },
}

#[derive(Debug)]
struct Shape {
    kind: Kind,
    form: Form,
    key: ChType,
    /// Input value types.
    values: Vec<ChType>,
    /// Result value types.
    results: Vec<ChType>,
    sums: Vec<SumAs>,
    ret: ChType,
}

fn requires_map() -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
        "Aggregate function Map requires map as argument".to_string(),
    ))
}

fn shape(b: &BuildArgs) -> Result<Shape> {
    let kind = match b.name {
        "sumMap" => Kind::Sum,
        "maxMap" => Kind::Max,
        _ => Kind::Min,
    };
    let (form, key, values) = match b.args {
        [ChType::Map(k, v)] => (Form::Map, (**k).clone(), vec![(**v).clone()]),
        [ChType::Tuple(elems)] if elems.len() >= 2 => {
            let mut items = Vec::new();
            for (_, t) in elems {
                let ChType::Array(item) = t else {
                    return Err(requires_map());
                };
                items.push((**item).clone());
            }
            let key = items.remove(0);
            (Form::Tuple, key, items)
        }
        args if args.len() >= 2 => {
            let mut items = Vec::new();
            for t in args {
                let ChType::Array(item) = t else {
                    return Err(requires_map());
                };
                items.push((**item).clone());
            }
            let key = items.remove(0);
            (Form::Arrays, key, items)
        }
        _ => return Err(requires_map()),
    };
    if values.iter().any(ChType::is_nullable) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Aggregation 'nothingNullMap' is not implemented for mapped arrays"
        );
    }
    let mut results = Vec::new();
    let mut sums = Vec::new();
    for v in &values {
        if kind != Kind::Sum {
            results.push(v.clone());
            continue;
        }
        let (sum, ret) = match v {
            ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 | ChType::Bool => {
                (SumAs::U64, ChType::UInt64)
            }
            ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 => {
                (SumAs::I64, ChType::Int64)
            }
            ChType::Float32 | ChType::Float64 => (SumAs::F64, ChType::Float64),
            ChType::Decimal { precision, scale } if *precision <= 38 => (
                SumAs::Decimal {
                    precision: *precision,
                    scale: *scale as i8,
                },
                v.clone(),
            ),
            ChType::UInt128 | ChType::Int128 | ChType::UInt256 | ChType::Int256 => {
                ch_bail!(NOT_IMPLEMENTED, "sumMap of {v} values is not supported")
            }
            _ => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {v} of argument for aggregate function sum"
            ),
        };
        sums.push(sum);
        results.push(ret);
    }
    let ret = match form {
        Form::Map => ChType::Map(
            Box::new(key.clone()),
            Box::new(results.first().cloned().unwrap_or(ChType::Nothing)),
        ),
        Form::Arrays | Form::Tuple => ChType::Tuple(
            std::iter::once(&key)
                .chain(&results)
                .map(|t| (None, ChType::Array(Box::new(t.clone()))))
                .collect(),
        ),
    };
    Ok(Shape {
        kind,
        form,
        key,
        values,
        results,
        sums,
        ret,
    })
}

fn build_map_agg(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    let shape = std::sync::Arc::new(shape(b)?);
    let ret = shape.ret.clone();
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(MapAggState {
            shape: std::sync::Arc::clone(&shape),
            entries: BTreeMap::new(),
        })
    }))
}

/// One key's key value and running values (`None` until the first value for min/max).
#[derive(Debug, Clone)]
struct Entry {
    key: ScalarValue,
    values: Vec<Option<ScalarValue>>,
}

#[derive(Debug)]
struct MapAggState {
    shape: std::sync::Arc<Shape>,
    /// By the key's Arrow row encoding, whose byte order is the keys' order.
    entries: BTreeMap<Box<[u8]>, Entry>,
}

/// The flattened key and value element arrays of a batch, and each row's element range
/// in each of them (`None` for a NULL row).
struct Elements {
    keys: ArrayRef,
    key_ranges: Ranges,
    values: Vec<(ArrayRef, Ranges)>,
}

type Ranges = Vec<Option<(usize, usize)>>;

fn list_parts(a: &ArrayRef) -> Result<(ArrayRef, Ranges)> {
    let list = a.as_list_opt::<i32>().ok_or_else(requires_map)?;
    let offsets = list.value_offsets();
    let ranges = (0..list.len())
        .map(|i| {
            list.is_valid(i)
                .then(|| (offsets[i] as usize, offsets[i + 1] as usize))
        })
        .collect();
    Ok((std::sync::Arc::clone(list.values()), ranges))
}

fn range_len(r: &Option<(usize, usize)>) -> usize {
    r.map_or(0, |(s, e)| e - s)
}

impl MapAggState {
    fn elements(&self, args: &[ArrayRef]) -> Result<Elements> {
        if self.shape.form == Form::Map {
            let Some(map) = args.first().and_then(|a| a.as_map_opt()) else {
                return Err(requires_map());
            };
            let offsets = map.value_offsets();
            let ranges: Ranges = (0..map.len())
                .map(|i| {
                    map.is_valid(i)
                        .then(|| (offsets[i] as usize, offsets[i + 1] as usize))
                })
                .collect();
            return Ok(Elements {
                keys: std::sync::Arc::clone(map.keys()),
                key_ranges: ranges.clone(),
                values: vec![(std::sync::Arc::clone(map.values()), ranges)],
            });
        }
        let columns: Vec<ArrayRef> = if self.shape.form == Form::Tuple {
            let Some(s) = args.first().and_then(|a| a.as_struct_opt()) else {
                return Err(requires_map());
            };
            s.columns().to_vec()
        } else {
            args.to_vec()
        };
        let mut parts = columns.iter().map(list_parts);
        let Some(first) = parts.next() else {
            return Err(requires_map());
        };
        let (keys, key_ranges) = first?;
        let mut values = Vec::new();
        for part in parts {
            let (v, ranges) = part?;
            if key_ranges
                .iter()
                .zip(&ranges)
                .any(|(k, v)| range_len(k) != range_len(v))
            {
                ch_bail!(
                    BAD_ARGUMENTS,
                    "Sizes of keys and values arrays do not match"
                );
            }
            values.push((v, ranges));
        }
        Ok(Elements {
            keys,
            key_ranges,
            values,
        })
    }

    fn add_value(&self, entry: &mut Entry, i: usize, v: ScalarValue) -> Result<()> {
        let Some(slot) = entry.values.get_mut(i) else {
            return Ok(());
        };
        match self.shape.kind {
            Kind::Sum => {
                let sum = self.shape.sums.get(i).copied().unwrap_or(SumAs::F64);
                *slot = Some(add_sum(slot.take(), &v, sum)?);
            }
            Kind::Max | Kind::Min => {
                let keep = match slot {
                    None => true,
                    Some(cur) => {
                        let ord = v.partial_cmp(cur).unwrap_or(Ordering::Equal);
                        (self.shape.kind == Kind::Max && ord == Ordering::Greater)
                            || (self.shape.kind == Kind::Min && ord == Ordering::Less)
                    }
                };
                if keep {
                    *slot = Some(v);
                }
            }
        }
        Ok(())
    }
}

/// The running sum `acc` plus `v`, in the accumulation type.
fn add_sum(acc: Option<ScalarValue>, v: &ScalarValue, sum: SumAs) -> Result<ScalarValue> {
    Ok(match sum {
        SumAs::U64 => {
            let a = match acc {
                Some(ScalarValue::UInt64(Some(a))) => a,
                _ => 0,
            };
            let x = match v.cast_to(&DataType::UInt64)? {
                ScalarValue::UInt64(Some(x)) => x,
                _ => 0,
            };
            ScalarValue::UInt64(Some(a.wrapping_add(x)))
        }
        SumAs::I64 => {
            let a = match acc {
                Some(ScalarValue::Int64(Some(a))) => a,
                _ => 0,
            };
            let x = match v.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(Some(x)) => x,
                _ => 0,
            };
            ScalarValue::Int64(Some(a.wrapping_add(x)))
        }
        SumAs::F64 => {
            let a = match acc {
                Some(ScalarValue::Float64(Some(a))) => a,
                _ => 0.0,
            };
            let x = match v.cast_to(&DataType::Float64)? {
                ScalarValue::Float64(Some(x)) => x,
                _ => 0.0,
            };
            ScalarValue::Float64(Some(a + x))
        }
        SumAs::Decimal { precision, scale } => {
            let a = match acc {
                Some(ScalarValue::Decimal128(Some(a), ..)) => a,
                _ => 0,
            };
            let x = match v {
                ScalarValue::Decimal128(Some(x), ..) => *x,
                _ => 0,
            };
            ScalarValue::Decimal128(Some(a.wrapping_add(x)), precision, scale)
        }
    })
}

fn is_zero(v: &Option<ScalarValue>) -> bool {
    match v {
        None => true,
        Some(ScalarValue::UInt64(Some(x))) => *x == 0,
        Some(ScalarValue::Int64(Some(x))) => *x == 0,
        Some(ScalarValue::Float64(Some(x))) => *x == 0.0,
        Some(ScalarValue::Decimal128(Some(x), ..)) => *x == 0,
        Some(_) => false,
    }
}

/// The Arrow row encoding of one key.
fn key_bytes(conv: &RowConverter, key: &ArrayRef, i: usize) -> Result<Box<[u8]>> {
    let rows = conv.convert_columns(&[key.slice(i, 1)])?;
    Ok(rows.row(0).as_ref().into())
}

impl AggState for MapAggState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let el = self.elements(args)?;
        let conv = RowConverter::new(vec![SortField::new(el.keys.data_type().clone())])?;
        let rows = conv.convert_columns(&[std::sync::Arc::clone(&el.keys)])?;
        let n_values = self.shape.values.len();
        for (row, range) in el.key_ranges.iter().enumerate() {
            let Some((start, end)) = *range else { continue };
            for p in 0..end - start {
                let i = start + p;
                let k: Box<[u8]> = rows.row(i).as_ref().into();
                let mut entry = match self.entries.remove(&k) {
                    Some(entry) => entry,
                    None => Entry {
                        key: ScalarValue::try_from_array(&el.keys, i)?,
                        values: vec![None; n_values],
                    },
                };
                for (j, (values, ranges)) in el.values.iter().enumerate() {
                    let Some(Some((vs, _))) = ranges.get(row) else {
                        continue;
                    };
                    let v = ScalarValue::try_from_array(values, vs + p)?;
                    self.add_value(&mut entry, j, v)?;
                }
                self.entries.insert(k, entry);
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<MapAggState>(other)?;
        for (k, e) in &o.entries {
            let mut entry = match self.entries.remove(k) {
                Some(entry) => entry,
                None => Entry {
                    key: e.key.clone(),
                    values: vec![None; e.values.len()],
                },
            };
            for (j, v) in e.values.iter().enumerate() {
                if let Some(v) = v {
                    self.add_value(&mut entry, j, v.clone())?;
                }
            }
            self.entries.insert(k.clone(), entry);
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.entries.len() as u64);
        for e in self.entries.values() {
            write_value(out, &self.shape.key, &e.key)?;
            for (t, v) in self.shape.results.iter().zip(&e.values) {
                match v {
                    Some(v) => write_value(out, t, v)?,
                    None => write_value(out, t, &super::value::default_value(t)?)?,
                }
            }
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(1)?;
        let conv = RowConverter::new(vec![SortField::new(self.shape.key.to_arrow())])?;
        for _ in 0..n {
            let key = read_value(r, &self.shape.key)?;
            let mut values = Vec::with_capacity(self.shape.results.len());
            for t in &self.shape.results {
                values.push(Some(read_value(r, t)?));
            }
            let k = key_bytes(&conv, &key.to_array()?, 0)?;
            self.entries.insert(k, Entry { key, values });
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let kept: Vec<&Entry> = self
            .entries
            .values()
            .filter(|e| self.shape.kind != Kind::Sum || !e.values.iter().all(is_zero))
            .collect();
        // The result through its binary form (`RowBinary` of the tuple or map).
        let mut out = Vec::new();
        let value = |e: &Entry, j: usize, t: &ChType| -> Result<ScalarValue> {
            match e.values.get(j).cloned().flatten() {
                Some(v) => Ok(v),
                None => super::value::default_value(t),
            }
        };
        match self.shape.form {
            Form::Map => {
                write_var_uint(&mut out, kept.len() as u64);
                let t = self
                    .shape
                    .results
                    .first()
                    .cloned()
                    .unwrap_or(ChType::Nothing);
                for e in &kept {
                    write_value(&mut out, &self.shape.key, &e.key)?;
                    write_value(&mut out, &t, &value(e, 0, &t)?)?;
                }
            }
            Form::Arrays | Form::Tuple => {
                write_var_uint(&mut out, kept.len() as u64);
                for e in &kept {
                    write_value(&mut out, &self.shape.key, &e.key)?;
                }
                for (j, t) in self.shape.results.iter().enumerate() {
                    write_var_uint(&mut out, kept.len() as u64);
                    for e in &kept {
                        write_value(&mut out, t, &value(e, j, t)?)?;
                    }
                }
            }
        }
        read_value(&mut Reader::new(&out), &self.shape.ret)
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.entries.len() * 64
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int8Array, ListArray, UInt8Array};
    use datafusion::arrow::buffer::OffsetBuffer;
    use datafusion::arrow::datatypes::Field;
    use datafusion::arrow::util::display::array_value_to_string;

    use super::*;
    use crate::aggregate::factory::build;

    fn list(values: ArrayRef, lengths: &[usize]) -> ArrayRef {
        let field = Arc::new(Field::new("item", values.data_type().clone(), false));
        let offsets = OffsetBuffer::from_lengths(lengths.iter().copied());
        Arc::new(ListArray::try_new(field, offsets, values, None).expect("list"))
    }

    /// Oracle: `SELECT sumMap(k, v), maxMap(k, v) FROM values('k Array(UInt8), v Array(Int8)',
    /// ([1,2,3],[10,-10,5]), ([3,4],[-5,1]), ([2],[10]))` gives `([1,4],[10,1])` and
    /// `([1,2,3,4],[10,10,5,1])`. The lists here are slices (offsets not from 0), the
    /// values' slice starting elsewhere than the keys'.
    #[test]
    fn sums_and_maxima_by_key() {
        let keys: ArrayRef = Arc::new(UInt8Array::from(vec![9, 1, 2, 3, 3, 4, 2]));
        let values: ArrayRef = Arc::new(Int8Array::from(vec![0, 0, 10, -10, 5, -5, 1, 10]));
        let k = list(keys, &[1, 3, 2, 1]).slice(1, 3);
        let v = list(values, &[2, 3, 2, 1]).slice(1, 3);
        let args = [
            ChType::Array(Box::new(ChType::UInt8)),
            ChType::Array(Box::new(ChType::Int8)),
        ];
        for (name, want_keys, want_values) in [
            ("sumMap", "[1, 4]", "[10, 1]"),
            ("maxMap", "[1, 2, 3, 4]", "[10, 10, 5, 1]"),
        ] {
            let f = build(name, &args).expect("build");
            let mut s = f.new_state();
            s.add(&[Arc::clone(&k), Arc::clone(&v)]).expect("add");
            let mut bytes = Vec::new();
            s.serialize(&mut bytes).expect("serialize");
            let back = f.read_state(&bytes).expect("read");
            let ScalarValue::Struct(t) = back.finalize().expect("finalize") else {
                panic!("{name}: not a tuple");
            };
            let text = |j: usize| array_value_to_string(t.column(j), 0).expect("text");
            assert_eq!(
                (text(0).as_str(), text(1).as_str()),
                (want_keys, want_values),
                "{name}"
            );
        }
    }
}
