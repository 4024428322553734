//! Aggregate function combinators: `-If`, `-Array`, `-ForEach`, `-State`, `-Merge`,
//! `-MergeState`, `-OrNull`, `-OrDefault`, `-Distinct`, plus ClickHouse's implicit `Null`
//! combinator (skipping NULL arguments) and the function of a `NULL` literal argument.
//!
//! State formats: `-If`, `-Array`, `-State`, `-Merge` use the nested function's state
//! unchanged (as ClickHouse does); `-ForEach` writes `VarUInt` count + nested states;
//! `-OrNull`/`-OrDefault` write the nested state then a flag byte; the `Null` combinator
//! writes a flag byte then, if set, the nested state (ClickHouse's layout for Nullable
//! arguments). `-Distinct` uses its own format: `VarUInt` count of distinct rows, each
//! row as a binary string of the arguments' `RowBinary` encodings.

use std::sync::Arc;

use std::collections::HashSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, UInt8Array};
use datafusion::arrow::compute::{self, kernels::cmp};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_string, write_var_uint};
use super::factory::{build as build_full, build_named, parse_name};
use super::func::{AggFunc, AggFuncRef, AggState, Param, display_name, same};
use super::value::{default_value, list_scalar, read_value, scalars_to_array, write_value};
use crate::{ch_bail, impl_as_any};

/// Applies combinator `suffix` to the function named `nested` (parameters belong to the
/// nested function).
pub fn build(suffix: &str, nested: &str, params: &[Param], args: &[ChType]) -> Result<AggFuncRef> {
    match suffix {
        "If" => build_if(nested, params, args),
        "Array" => build_array(nested, params, args, false),
        "ForEach" => build_array(nested, params, args, true),
        "State" => {
            let f = build_named(nested, params, args)?;
            let ret = f.state_type();
            let name = display_name(&format!("{nested}State"), params);
            Ok(AggFunc::new(name, args.to_vec(), ret, move || {
                Box::new(StateState {
                    nested: f.new_state(),
                })
            }))
        }
        "Merge" | "MergeState" => build_merge(nested, args, suffix == "MergeState"),
        "OrNull" | "OrDefault" => {
            // ClickHouse applies its Null combinator outside -OrNull/-OrDefault.
            if args.iter().any(|t| t.is_nullable()) {
                let stripped: Vec<ChType> = args.iter().map(ChType::non_nullable).collect();
                let inner = build(suffix, nested, params, &stripped)?;
                return Ok(null(inner, args.to_vec(), true));
            }
            let f = build_named(nested, params, args)?;
            let or_null = suffix == "OrNull";
            let ret = if or_null && can_be_nullable(&f.ret) {
                nullable_result_type(&f.ret)
            } else {
                f.ret.clone()
            };
            let name = display_name(&format!("{nested}{suffix}"), params);
            let ret2 = ret.clone();
            Ok(AggFunc::new(name, args.to_vec(), ret, move || {
                Box::new(OrFillState {
                    nested: f.new_state(),
                    has: false,
                    ret: ret2.clone(),
                })
            }))
        }
        "Distinct" => {
            let f = build_named(nested, params, args)?;
            Ok(distinct(
                f,
                display_name(&format!("{nested}Distinct"), params),
            ))
        }
        _ => ch_bail!(
            UNKNOWN_AGGREGATE_FUNCTION,
            "Unknown aggregate function combinator {suffix}"
        ),
    }
}

/// `Nullable(t)` for an aggregate result (a `Tuple` included, which column types
/// otherwise never wrap: [`ChType::into_nullable`] keeps it as it is).
fn nullable_result_type(t: &ChType) -> ChType {
    match t {
        ChType::Tuple(_) => ChType::Nullable(Box::new(t.clone())),
        _ => t.clone().into_nullable(),
    }
}

/// True when ClickHouse can wrap the aggregate result type `t` in `Nullable` (a `Tuple`
/// can be, as of ClickHouse 26: `simpleLinearRegression` over a Nullable argument gives
/// `Nullable(Tuple(k Float64, b Float64))`).
pub fn can_be_nullable(t: &ChType) -> bool {
    !matches!(
        t,
        ChType::Array(_) | ChType::Map(..) | ChType::AggregateFunction { .. } | ChType::Nullable(_)
    ) && !t.is_nullable()
}

// ---------------------------------------------------------------- -If

fn build_if(nested: &str, params: &[Param], args: &[ChType]) -> Result<AggFuncRef> {
    let Some(cond) = args.last() else {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {nested}If requires at least one argument (the condition)"
        );
    };
    if !matches!(cond.base(), ChType::UInt8 | ChType::Bool | ChType::Nothing) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {cond} of the last argument of an aggregate function with the If suffix: \
             the last argument is the condition and must be UInt8. If the condition is missing, \
             it goes after the arguments of the aggregate function."
        );
    }
    let f = build_named(nested, params, &args[..args.len() - 1])?;
    let name = display_name(&format!("{nested}If"), params);
    let ret = f.ret.clone();
    Ok(AggFunc::new(name, args.to_vec(), ret, move || {
        Box::new(IfState {
            nested: f.new_state(),
        })
    }))
}

/// Rows where the condition column is true (NULL counts as false).
pub fn condition_mask(cond: &ArrayRef) -> Result<BooleanArray> {
    let mask = match cond.data_type() {
        DataType::Boolean => cond.as_boolean().clone(),
        DataType::Null => BooleanArray::from(vec![false; cond.len()]),
        DataType::UInt8 => cmp::neq(cond, &UInt8Array::new_scalar(0))?,
        _ => {
            let c = compute::cast(cond, &DataType::UInt8)?;
            cmp::neq(&c, &UInt8Array::new_scalar(0))?
        }
    };
    Ok(if mask.null_count() > 0 {
        compute::prep_null_mask_filter(&mask)
    } else {
        mask
    })
}

/// `args` restricted to rows where `mask` is true (cheap when all are).
pub fn filter_args(args: &[ArrayRef], mask: &BooleanArray) -> Result<Vec<ArrayRef>> {
    if mask.true_count() == mask.len() {
        return Ok(args.to_vec());
    }
    args.iter().map(|a| Ok(compute::filter(a, mask)?)).collect()
}

#[derive(Debug)]
struct IfState {
    nested: Box<dyn AggState>,
}

impl AggState for IfState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some((cond, rest)) = args.split_last() else {
            return Ok(());
        };
        let mask = condition_mask(cond)?;
        if mask.true_count() == 0 {
            return Ok(());
        }
        if self.nested.add_selected(rest, &mask)? {
            return Ok(());
        }
        if rest.is_empty() {
            // `countIf(cond)`: the nested function has no argument; give it the selected
            // rows of the condition so it sees the row count.
            return self
                .nested
                .add(&filter_args(std::slice::from_ref(cond), &mask)?);
        }
        self.nested.add(&filter_args(rest, &mask)?)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.nested.merge(&*same::<IfState>(other)?.nested)
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.nested.serialize(out)
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.nested.deserialize(r)
    }
    fn finalize(&self) -> Result<ScalarValue> {
        self.nested.finalize()
    }
    fn size(&self) -> usize {
        self.nested.size() + 8
    }
}

// ---------------------------------------------------------------- -Array / -ForEach

fn build_array(
    nested: &str,
    params: &[Param],
    args: &[ChType],
    for_each: bool,
) -> Result<AggFuncRef> {
    let suffix = if for_each { "ForEach" } else { "Array" };
    if args.is_empty() {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {nested}{suffix} requires arguments"
        );
    }
    let mut elems = Vec::with_capacity(args.len());
    for a in args {
        match a {
            ChType::Array(t) => elems.push((**t).clone()),
            _ => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {a} of argument for aggregate function with {suffix} suffix. Must be array."
            ),
        }
    }
    let f = build_named(nested, params, &elems)?;
    let name = display_name(&format!("{nested}{suffix}"), params);
    if for_each {
        let ret = ChType::Array(Box::new(f.ret.clone()));
        Ok(AggFunc::new(name, args.to_vec(), ret, move || {
            Box::new(ForEachState {
                func: Arc::clone(&f),
                states: Vec::new(),
            })
        }))
    } else {
        let ret = f.ret.clone();
        Ok(AggFunc::new(name, args.to_vec(), ret, move || {
            Box::new(ArrayState {
                nested: f.new_state(),
            })
        }))
    }
}

/// Per-row element ranges of list columns, checked to have equal lengths row by row.
/// A list column's flat values and each row's (start, length) in them.
type ListRanges = (ArrayRef, Vec<(usize, usize)>);

fn list_ranges(args: &[ArrayRef]) -> Result<Vec<ListRanges>> {
    let mut out: Vec<ListRanges> = Vec::with_capacity(args.len());
    for a in args {
        let Some(list) = a.as_list_opt::<i32>() else {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Argument of -Array/-ForEach must be an array, got {}",
                a.data_type()
            );
        };
        let offs = list.value_offsets();
        let ranges: Vec<(usize, usize)> = (0..list.len())
            .map(|i| {
                if list.is_null(i) {
                    (offs[i] as usize, 0)
                } else {
                    (offs[i] as usize, (offs[i + 1] - offs[i]) as usize)
                }
            })
            .collect();
        if let Some((_, first)) = out.first()
            && first.iter().zip(&ranges).any(|(a, b)| a.1 != b.1)
        {
            ch_bail!(
                SIZES_OF_ARRAYS_DOESNT_MATCH,
                "Arrays passed to aggregate function with -Array/-ForEach suffix have different sizes"
            );
        }
        out.push((Arc::clone(list.values()), ranges));
    }
    Ok(out)
}

#[derive(Debug)]
struct ArrayState {
    nested: Box<dyn AggState>,
}

impl AggState for ArrayState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let lists = list_ranges(args)?;
        let mut flat = Vec::with_capacity(lists.len());
        for (values, ranges) in &lists {
            // Elements of all rows, in order (rows may not be contiguous after slicing).
            let contiguous = ranges.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0);
            if contiguous {
                let start = ranges.first().map(|r| r.0).unwrap_or(0);
                let len: usize = ranges.iter().map(|r| r.1).sum();
                flat.push(values.slice(start, len));
            } else {
                let parts: Vec<ArrayRef> =
                    ranges.iter().map(|(s, l)| values.slice(*s, *l)).collect();
                let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                flat.push(compute::concat(&refs)?);
            }
        }
        if flat.first().is_some_and(|a| !a.is_empty()) {
            self.nested.add(&flat)?;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.nested.merge(&*same::<ArrayState>(other)?.nested)
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.nested.serialize(out)
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.nested.deserialize(r)
    }
    fn finalize(&self) -> Result<ScalarValue> {
        self.nested.finalize()
    }
    fn size(&self) -> usize {
        self.nested.size() + 8
    }
}

#[derive(Debug)]
struct ForEachState {
    func: AggFuncRef,
    states: Vec<Box<dyn AggState>>,
}

impl AggState for ForEachState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let lists = list_ranges(args)?;
        let Some((_, first)) = lists.first() else {
            return Ok(());
        };
        for row in 0..first.len() {
            let n = first[row].1;
            while self.states.len() < n {
                self.states.push(self.func.new_state());
            }
            for i in 0..n {
                let elem: Vec<ArrayRef> = lists
                    .iter()
                    .map(|(v, r)| v.slice(r[row].0 + i, 1))
                    .collect();
                self.states[i].add(&elem)?;
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<ForEachState>(other)?;
        for (i, st) in o.states.iter().enumerate() {
            if i >= self.states.len() {
                self.states.push(self.func.new_state());
            }
            self.states[i].merge(&**st)?;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.states.len() as u64);
        for s in &self.states {
            s.serialize(out)?;
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(0)?;
        self.states.clear();
        for _ in 0..n {
            let mut s = self.func.new_state();
            s.deserialize(r)?;
            self.states.push(s);
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let vals = self
            .states
            .iter()
            .map(|s| s.finalize())
            .collect::<Result<Vec<_>>>()?;
        list_scalar(&self.func.ret, scalars_to_array(&self.func.ret, vals)?)
    }
    fn size(&self) -> usize {
        self.states.iter().map(|s| s.size()).sum::<usize>() + 32
    }
}

// ---------------------------------------------------------------- -State / -Merge

#[derive(Debug)]
struct StateState {
    nested: Box<dyn AggState>,
}

impl AggState for StateState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        self.nested.add(args)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.nested.merge(&*same::<StateState>(other)?.nested)
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.nested.serialize(out)
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.nested.deserialize(r)
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let mut out = Vec::new();
        self.nested.serialize(&mut out)?;
        Ok(ScalarValue::Binary(Some(out)))
    }
    fn size(&self) -> usize {
        self.nested.size() + 8
    }
}

/// The nested function of an `AggregateFunction(...)` state type.
pub fn state_function(t: &ChType) -> Result<AggFuncRef> {
    match t {
        ChType::AggregateFunction { func, args } => build_full(func, args),
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument: must be AggregateFunction(...)"
        ),
    }
}

fn build_merge(nested: &str, args: &[ChType], keep_state: bool) -> Result<AggFuncRef> {
    let suffix = if keep_state { "MergeState" } else { "Merge" };
    if args.len() != 1 {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {nested}{suffix} requires exactly one argument"
        );
    }
    let t = &args[0];
    let ChType::AggregateFunction { func, .. } = t else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function with {suffix} suffix. Must be AggregateFunction(...)"
        );
    };
    let (state_name, _) = parse_name(func)?;
    if state_name != nested {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function with {suffix} suffix because it corresponds to different aggregate function: {state_name} instead of {nested}"
        );
    }
    let f = state_function(t)?;
    let ret = if keep_state { t.clone() } else { f.ret.clone() };
    let (name, fargs) = if keep_state {
        (f.name.clone(), f.args.clone())
    } else {
        (format!("{nested}{suffix}"), args.to_vec())
    };
    Ok(AggFunc::new(name, fargs, ret, move || {
        Box::new(MergeState {
            func: Arc::clone(&f),
            nested: f.new_state(),
            keep_state,
        })
    }))
}

#[derive(Debug)]
struct MergeState {
    func: AggFuncRef,
    nested: Box<dyn AggState>,
    keep_state: bool,
}

impl AggState for MergeState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(col) = args.first() else {
            return Ok(());
        };
        let col = if col.data_type() == &DataType::Binary {
            Arc::clone(col)
        } else {
            compute::cast(col, &DataType::Binary)?
        };
        let bin = col.as_binary::<i32>();
        for i in 0..bin.len() {
            if bin.is_valid(i) {
                let other = self.func.read_state(bin.value(i))?;
                self.nested.merge(&*other)?;
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.nested.merge(&*same::<MergeState>(other)?.nested)
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.nested.serialize(out)
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.nested.deserialize(r)
    }
    fn finalize(&self) -> Result<ScalarValue> {
        if self.keep_state {
            let mut out = Vec::new();
            self.nested.serialize(&mut out)?;
            Ok(ScalarValue::Binary(Some(out)))
        } else {
            self.nested.finalize()
        }
    }
    fn size(&self) -> usize {
        self.nested.size() + 16
    }
}

// ---------------------------------------------------------------- -OrNull / -OrDefault

#[derive(Debug)]
struct OrFillState {
    nested: Box<dyn AggState>,
    has: bool,
    ret: ChType,
}

impl AggState for OrFillState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        if args.first().is_some_and(|a| !a.is_empty()) {
            self.has = true;
        }
        self.nested.add(args)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<OrFillState>(other)?;
        self.has |= o.has;
        self.nested.merge(&*o.nested)
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.nested.serialize(out)?;
        out.push(u8::from(self.has));
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.nested.deserialize(r)?;
        self.has = r.u8()? != 0;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        if self.has {
            self.nested.finalize()
        } else {
            default_value(&self.ret)
        }
    }
    fn size(&self) -> usize {
        self.nested.size() + 8
    }
}

// ---------------------------------------------------------------- -Distinct

/// `f` applied to the distinct argument tuples only.
pub fn distinct(f: AggFuncRef, name: String) -> AggFuncRef {
    let args = f.args.clone();
    let ret = f.ret.clone();
    AggFunc::new(name, args, ret, move || {
        Box::new(DistinctState {
            func: Arc::clone(&f),
            seen: HashSet::new(),
            rows: Vec::new(),
        })
    })
}

#[derive(Debug)]
struct DistinctState {
    func: AggFuncRef,
    seen: HashSet<Vec<u8>>,
    rows: Vec<Vec<u8>>,
}

impl DistinctState {
    fn insert(&mut self, key: Vec<u8>) {
        if !self.seen.contains(&key) {
            self.seen.insert(key.clone());
            self.rows.push(key);
        }
    }
}

impl AggState for DistinctState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let n = args.first().map(|a| a.len()).unwrap_or(0);
        for row in 0..n {
            let mut key = Vec::new();
            for (a, t) in args.iter().zip(&self.func.args) {
                write_value(&mut key, t, &ScalarValue::try_from_array(a, row)?)?;
            }
            self.insert(key);
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<DistinctState>(other)?;
        for k in &o.rows {
            self.insert(k.clone());
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.rows.len() as u64);
        for k in &self.rows {
            write_string(out, k);
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(1)?;
        for _ in 0..n {
            let k = r.string()?.to_vec();
            self.insert(k);
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let mut cols: Vec<Vec<ScalarValue>> =
            vec![Vec::with_capacity(self.rows.len()); self.func.args.len()];
        for k in &self.rows {
            let mut r = Reader::new(k);
            for (i, t) in self.func.args.iter().enumerate() {
                cols[i].push(read_value(&mut r, t)?);
            }
        }
        let arrays = cols
            .into_iter()
            .zip(&self.func.args)
            .map(|(c, t)| scalars_to_array(t, c))
            .collect::<Result<Vec<_>>>()?;
        let mut st = self.func.new_state();
        if !self.rows.is_empty() {
            st.add(&arrays)?;
        }
        st.finalize()
    }
    fn size(&self) -> usize {
        self.rows.iter().map(|r| r.len() * 2 + 48).sum::<usize>() + 64
    }
}

// ---------------------------------------------------------------- Null

/// ClickHouse's implicit `Null` combinator: `nested` was built for the non-Nullable
/// versions of `args`; rows where any argument is NULL are skipped, and when
/// `nullable_result` the result is Nullable and NULL if no row remained.
pub fn null(nested: AggFuncRef, args: Vec<ChType>, nullable_result: bool) -> AggFuncRef {
    let nullable_result = nullable_result && can_be_nullable(&nested.ret);
    let ret = if nullable_result {
        nullable_result_type(&nested.ret)
    } else {
        nested.ret.clone()
    };
    let name = nested.name.clone();
    AggFunc::new(name, args, ret, move || {
        Box::new(NullState {
            nested: nested.new_state(),
            seen: false,
            nullable_result,
        })
    })
}

#[derive(Debug)]
struct NullState {
    nested: Box<dyn AggState>,
    seen: bool,
    nullable_result: bool,
}

impl AggState for NullState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let mut mask: Option<BooleanArray> = None;
        for a in args {
            if a.null_count() > 0 || a.data_type() == &DataType::Null {
                let valid = if a.data_type() == &DataType::Null {
                    BooleanArray::from(vec![false; a.len()])
                } else {
                    compute::is_not_null(a)?
                };
                mask = Some(match mask {
                    None => valid,
                    Some(m) => compute::and(&m, &valid)?,
                });
            }
        }
        let args = match &mask {
            None => args.to_vec(),
            Some(m) => {
                if m.true_count() == 0 {
                    return Ok(());
                }
                filter_args(args, m)?
            }
        };
        if args.first().is_some_and(|a| !a.is_empty()) {
            self.seen = true;
            self.nested.add(&args)?;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<NullState>(other)?;
        if o.seen {
            self.seen = true;
            self.nested.merge(&*o.nested)?;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.nullable_result {
            out.push(u8::from(self.seen));
            if self.seen {
                self.nested.serialize(out)?;
            }
            Ok(())
        } else {
            self.nested.serialize(out)
        }
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        if self.nullable_result {
            self.seen = r.u8()? != 0;
            if self.seen {
                self.nested.deserialize(r)?;
            }
            Ok(())
        } else {
            self.seen = true;
            self.nested.deserialize(r)
        }
    }
    fn finalize(&self) -> Result<ScalarValue> {
        if self.nullable_result && !self.seen {
            return Ok(ScalarValue::Null);
        }
        self.nested.finalize()
    }
    fn size(&self) -> usize {
        self.nested.size() + 8
    }
}

/// A function with a `NULL` literal argument: its result is always `NULL` of type
/// `Nullable(Nothing)`.
pub fn nothing(name: &str, args: &[ChType]) -> AggFuncRef {
    AggFunc::new(
        name,
        args.to_vec(),
        ChType::Nullable(Box::new(ChType::Nothing)),
        || Box::new(NothingState),
    )
}

#[derive(Debug)]
struct NothingState;

impl AggState for NothingState {
    impl_as_any!();
    fn add(&mut self, _args: &[ArrayRef]) -> Result<()> {
        Ok(())
    }
    fn merge(&mut self, _other: &dyn AggState) -> Result<()> {
        Ok(())
    }
    fn serialize(&self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }
    fn deserialize(&mut self, _r: &mut Reader) -> Result<()> {
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::Null)
    }
}
