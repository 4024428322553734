//! `min`, `max`, `any`, `anyLast`, `anyHeavy`, `argMin`, `argMax`: functions keeping one
//! value of the argument type (the type's default over an empty set).
//!
//! State (ClickHouse's `SingleValueData`): for `String`, an `Int32` size counting a
//! trailing zero byte (`-1` when empty) then the bytes and the zero; for every other type
//! a flag byte then, if set, the value in `RowBinary`. `argMin`/`argMax` write the result
//! value then the compared value; `anyHeavy` writes the value then a `VarUInt` counter.

use std::cmp::Ordering;

use datafusion::arrow::array::{Array, ArrayRef, make_comparator};
use datafusion::arrow::compute::SortOptions;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::column_stats::{ColumnStats, column_stats};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::value::{default_value, read_value, write_value};
use crate::impl_as_any;

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name, aliases, ci, build| BaseDef {
        name,
        aliases,
        case_insensitive: ci,
        nulls: NullMode::Skip,
        build,
    };
    vec![
        def("min", &[], true, build_single),
        def("max", &[], true, build_single),
        def("any", &["any_value", "first_value"], true, build_single),
        def("anyLast", &["last_value"], false, build_single),
        def("anyHeavy", &[], false, build_single),
        def("argMin", &[], false, build_arg),
        def("argMax", &[], false, build_arg),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Min,
    Max,
    Any,
    AnyLast,
    AnyHeavy,
}

fn build_single(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let kind = match b.name {
        "min" => Kind::Min,
        "max" => Kind::Max,
        "anyLast" => Kind::AnyLast,
        "anyHeavy" => Kind::AnyHeavy,
        _ => Kind::Any,
    };
    let t = b.args[0].clone();
    let t2 = t.clone();
    Ok(AggFunc::new(b.name, b.args.to_vec(), t, move || {
        Box::new(SingleState {
            kind,
            t: t2.clone(),
            value: None,
            counter: 0,
        })
    }))
}

/// Index of the smallest (`Less`) or greatest (`Greater`) non-NULL element, first
/// occurrence on ties.
pub fn extreme_index(arr: &ArrayRef, want: Ordering) -> Result<Option<usize>> {
    if let Some(found) = integer_extreme_index(arr.as_ref(), want) {
        return Ok(found);
    }
    let Some(mut best) = (0..arr.len()).find(|&i| arr.is_valid(i)) else {
        return Ok(None);
    };
    let cmp = make_comparator(arr.as_ref(), arr.as_ref(), SortOptions::default())?;
    for i in best + 1..arr.len() {
        if arr.is_valid(i) && cmp(i, best) == want {
            best = i;
        }
    }
    Ok(Some(best))
}

/// The smallest (`Less`) or greatest value of an integer column without NULLs, by Arrow's
/// min/max kernels (independent accumulators per lane); `None` for other columns.
fn integer_extreme(arr: &ArrayRef, want: Ordering) -> Option<ScalarValue> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::compute::{max, min};
    use datafusion::arrow::datatypes::{self as t, DataType as D};
    fn pick<T: t::ArrowNumericType>(arr: &dyn Array, want: Ordering) -> Option<ScalarValue> {
        let a = arr.as_primitive::<T>();
        let v = if want == Ordering::Less {
            min(a)
        } else {
            max(a)
        }?;
        ScalarValue::new_primitive::<T>(Some(v), arr.data_type()).ok()
    }
    if arr.null_count() > 0 || arr.is_empty() {
        return None;
    }
    let less = want == Ordering::Less;
    match column_stats(arr) {
        Some(ColumnStats::U64(s)) => {
            return Some(ScalarValue::UInt64(Some(if less { s.min } else { s.max })));
        }
        Some(ColumnStats::I64(s)) => {
            return Some(ScalarValue::Int64(Some(if less { s.min } else { s.max })));
        }
        None => {}
    }
    match arr.data_type() {
        D::Int8 => pick::<t::Int8Type>(arr, want),
        D::Int16 => pick::<t::Int16Type>(arr, want),
        D::Int32 => pick::<t::Int32Type>(arr, want),
        D::Int64 => pick::<t::Int64Type>(arr, want),
        D::UInt8 => pick::<t::UInt8Type>(arr, want),
        D::UInt16 => pick::<t::UInt16Type>(arr, want),
        D::UInt32 => pick::<t::UInt32Type>(arr, want),
        D::UInt64 => pick::<t::UInt64Type>(arr, want),
        _ => None,
    }
}

/// [`extreme_index`] over an integer (or date/time) column without NULLs, comparing the
/// values directly (the generic comparator costs a dynamic call and a validity check per
/// row); `None` for other columns.
fn integer_extreme_index(arr: &dyn Array, want: Ordering) -> Option<Option<usize>> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{self as t, DataType as D, TimeUnit as U};
    fn scan<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
        arr: &dyn Array,
        want: Ordering,
    ) -> Option<usize>
    where
        T::Native: Ord,
    {
        let values = arr.as_primitive::<T>().values();
        let first = *values.first()?;
        // The extreme value in a branch-free (vectorizable) fold, then its first position,
        // looked for a chunk at a time: tracking the index in the fold keeps it scalar.
        let best_value = if want == Ordering::Less {
            values.iter().fold(first, |m, v| m.min(*v))
        } else {
            values.iter().fold(first, |m, v| m.max(*v))
        };
        const CHUNK: usize = 64;
        values
            .chunks(CHUNK)
            .enumerate()
            .find(|(_, c)| c.iter().fold(false, |f, v| f | (*v == best_value)))
            .and_then(|(ci, c)| {
                c.iter()
                    .position(|v| *v == best_value)
                    .map(|p| ci * CHUNK + p)
            })
    }
    if arr.null_count() > 0 {
        return None;
    }
    Some(match arr.data_type() {
        D::Int8 => scan::<t::Int8Type>(arr, want),
        D::Int16 => scan::<t::Int16Type>(arr, want),
        D::Int32 => scan::<t::Int32Type>(arr, want),
        D::Int64 => scan::<t::Int64Type>(arr, want),
        D::UInt8 => scan::<t::UInt8Type>(arr, want),
        D::UInt16 => scan::<t::UInt16Type>(arr, want),
        D::UInt32 => scan::<t::UInt32Type>(arr, want),
        D::UInt64 => scan::<t::UInt64Type>(arr, want),
        D::Date32 => scan::<t::Date32Type>(arr, want),
        D::Timestamp(U::Second, _) => scan::<t::TimestampSecondType>(arr, want),
        D::Timestamp(U::Millisecond, _) => scan::<t::TimestampMillisecondType>(arr, want),
        D::Timestamp(U::Microsecond, _) => scan::<t::TimestampMicrosecondType>(arr, want),
        D::Timestamp(U::Nanosecond, _) => scan::<t::TimestampNanosecondType>(arr, want),
        _ => return None,
    })
}

/// ClickHouse's batch rule for `argMin`/`argMax`: with no value yet the first row is
/// taken, then the extreme of the remaining rows (its last occurrence) replaces it only if
/// strictly better.
fn arg_extreme_index(arr: &ArrayRef, want: Ordering, has_value: bool) -> Result<Option<usize>> {
    let start = if has_value {
        0
    } else {
        (0..arr.len())
            .find(|&i| arr.is_valid(i))
            .unwrap_or(arr.len())
    };
    if start >= arr.len() {
        return Ok(None);
    }
    let cmp = make_comparator(arr.as_ref(), arr.as_ref(), SortOptions::default())?;
    let mut best = start;
    let from = if has_value { start } else { start + 1 };
    let mut cand: Option<usize> = None;
    for i in from..arr.len() {
        if arr.is_valid(i) {
            cand = match cand {
                None => Some(i),
                Some(c) if cmp(i, c) != want.reverse() => Some(i),
                c => c,
            };
        }
    }
    if let Some(c) = cand
        && (has_value || cmp(c, best) == want)
    {
        best = c;
    }
    Ok(Some(best))
}

fn better(candidate: &ScalarValue, current: &Option<ScalarValue>, want: Ordering) -> bool {
    match current {
        None => true,
        Some(c) => candidate.partial_cmp(c) == Some(want),
    }
}

fn write_single(out: &mut Vec<u8>, t: &ChType, v: &Option<ScalarValue>) -> Result<()> {
    if matches!(t, ChType::String) {
        match v {
            None => out.extend_from_slice(&(-1i32).to_le_bytes()),
            Some(v) => {
                let mut tmp = Vec::new();
                write_value(&mut tmp, t, v)?;
                // `tmp` is VarUInt length + bytes; ClickHouse stores Int32 size + bytes + '\0'.
                let mut r = Reader::new(&tmp);
                let s = r.string()?;
                out.extend_from_slice(&((s.len() + 1) as i32).to_le_bytes());
                out.extend_from_slice(s);
                out.push(0);
            }
        }
        return Ok(());
    }
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            write_value(out, t, v)?;
        }
    }
    Ok(())
}

fn read_single(r: &mut Reader, t: &ChType) -> Result<Option<ScalarValue>> {
    if matches!(t, ChType::String) {
        let n = r.i32()?;
        if n < 0 {
            return Ok(None);
        }
        let b = r.bytes(n as usize)?;
        let s = b.strip_suffix(&[0]).unwrap_or(b);
        return Ok(Some(ScalarValue::Utf8(Some(
            String::from_utf8_lossy(s).into_owned(),
        ))));
    }
    if r.u8()? == 0 {
        return Ok(None);
    }
    Ok(Some(read_value(r, t)?))
}

#[derive(Debug)]
struct SingleState {
    kind: Kind,
    t: ChType,
    value: Option<ScalarValue>,
    counter: u64,
}

impl SingleState {
    fn offer(&mut self, v: ScalarValue, counter: u64) {
        match self.kind {
            Kind::Min => {
                if better(&v, &self.value, Ordering::Less) {
                    self.value = Some(v)
                }
            }
            Kind::Max => {
                if better(&v, &self.value, Ordering::Greater) {
                    self.value = Some(v)
                }
            }
            Kind::Any => {
                if self.value.is_none() {
                    self.value = Some(v)
                }
            }
            Kind::AnyLast => self.value = Some(v),
            Kind::AnyHeavy => {
                if self.value.as_ref() == Some(&v) {
                    self.counter += counter;
                } else if self.counter < counter {
                    self.counter = counter - self.counter;
                    self.value = Some(v);
                } else {
                    self.counter -= counter;
                }
            }
        }
    }
}

impl AggState for SingleState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        if a.is_empty() {
            return Ok(());
        }
        match self.kind {
            Kind::Min | Kind::Max => {
                let want = if self.kind == Kind::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                if let Some(v) = integer_extreme(a, want) {
                    self.offer(v, 1);
                } else if let Some(i) = extreme_index(a, want)? {
                    self.offer(ScalarValue::try_from_array(a, i)?, 1);
                }
            }
            Kind::Any => {
                if self.value.is_none() {
                    self.value = Some(ScalarValue::try_from_array(a, 0)?);
                }
            }
            Kind::AnyLast => self.value = Some(ScalarValue::try_from_array(a, a.len() - 1)?),
            Kind::AnyHeavy => {
                for i in 0..a.len() {
                    let v = ScalarValue::try_from_array(a, i)?;
                    if self.value.as_ref() == Some(&v) {
                        self.counter += 1;
                    } else if self.counter == 0 {
                        self.value = Some(v);
                        self.counter = 1;
                    } else {
                        self.counter -= 1;
                    }
                }
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<SingleState>(other)?;
        if let Some(v) = &o.value {
            self.offer(v.clone(), o.counter);
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_single(out, &self.t, &self.value)?;
        if self.kind == Kind::AnyHeavy {
            write_var_uint(out, self.counter);
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.value = read_single(r, &self.t)?;
        if self.kind == Kind::AnyHeavy {
            self.counter = r.var_uint()?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        match &self.value {
            Some(v) => Ok(v.clone()),
            None => default_value(&self.t),
        }
    }
}

fn build_arg(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(2)?;
    let want = if b.name == "argMin" {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    let (rt, vt) = (b.args[0].clone(), b.args[1].clone());
    let rt2 = rt.clone();
    Ok(AggFunc::new(b.name, b.args.to_vec(), rt, move || {
        Box::new(ArgState {
            want,
            rt: rt2.clone(),
            vt: vt.clone(),
            result: None,
            value: None,
        })
    }))
}

#[derive(Debug)]
struct ArgState {
    want: Ordering,
    rt: ChType,
    vt: ChType,
    result: Option<ScalarValue>,
    value: Option<ScalarValue>,
}

impl AggState for ArgState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let [res, val] = args else { return Ok(()) };
        if let Some(i) = arg_extreme_index(val, self.want, self.value.is_some())? {
            let v = ScalarValue::try_from_array(val, i)?;
            if better(&v, &self.value, self.want) {
                self.value = Some(v);
                self.result = Some(ScalarValue::try_from_array(res, i)?);
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<ArgState>(other)?;
        if let Some(v) = &o.value
            && better(v, &self.value, self.want)
        {
            self.value = Some(v.clone());
            self.result = o.result.clone();
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_single(out, &self.rt, &self.result)?;
        write_single(out, &self.vt, &self.value)
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.result = read_single(r, &self.rt)?;
        self.value = read_single(r, &self.vt)?;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        match &self.result {
            Some(v) => Ok(v.clone()),
            None => default_value(&self.rt),
        }
    }
}
