//! `arrayReduce('agg', arr1, …)` and `arrayReduceInRanges('agg', ranges, arr1, …)`: an
//! aggregate function run over the elements of each row's arrays, as if they were the rows
//! of a group. The name is any aggregate this crate resolves, with parameters and
//! combinators (`'quantile(0.9)'`, `'sumIf'`, `'uniqState'`); the arrays are its arguments,
//! element by element, and must have equal lengths per row.
//!
//! `arrayReduceInRanges` runs the aggregate once per `(index, length)` range of each row:
//! `index` is 1-based, negative counts from the end, `0` or past either end gives an empty
//! range; `length` is cut at the array's end (ClickHouse's rules).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::factory;
use super::func::AggFuncRef;
use super::udaf::conform;
use super::value::scalars_to_array;
use crate::ch_bail;
use crate::util::{arg_type, ch_field};

/// The `arrayReduce` scalar function.
pub fn array_reduce() -> ScalarUDF {
    ScalarUDF::new_from_impl(ArrayReduce {
        ranges: false,
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

/// The `arrayReduceInRanges` scalar function.
pub fn array_reduce_in_ranges() -> ScalarUDF {
    ScalarUDF::new_from_impl(ArrayReduce {
        ranges: true,
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayReduce {
    /// `arrayReduceInRanges` (a ranges argument after the name).
    ranges: bool,
    signature: Signature,
}

impl ArrayReduce {
    fn fname(&self) -> &'static str {
        if self.ranges {
            "arrayReduceInRanges"
        } else {
            "arrayReduce"
        }
    }

    /// Index of the first array argument.
    fn first_array(&self) -> usize {
        if self.ranges { 2 } else { 1 }
    }

    /// The aggregate named by the constant first argument, for the element types of the
    /// array arguments.
    fn resolve(&self, name: Option<&ScalarValue>, fields: &[FieldRef]) -> Result<AggFuncRef> {
        let fname = self.fname();
        let min_args = self.first_array() + 1;
        if fields.len() < min_args {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function {fname} doesn't match: passed {}, should be at least {min_args}",
                fields.len()
            );
        }
        let name = match name {
            Some(
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)),
            ) => s.clone(),
            _ => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "First argument for function {fname} must be constant string: name of aggregate function"
            ),
        };
        if self.ranges {
            check_ranges_type(&arg_type(&fields[1]))?;
        }
        let mut elems = Vec::with_capacity(fields.len() - self.first_array());
        for (i, f) in fields.iter().enumerate().skip(self.first_array()) {
            match arg_type(f) {
                ChType::Array(inner) => elems.push(*inner),
                t => ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Argument {i} for function {fname} must be an array but it has type {t}"
                ),
            }
        }
        factory::build(&name, &elems)
    }
}

/// `Array(Tuple(Int*|UInt*, UInt*))`, as ClickHouse checks it.
fn check_ranges_type(t: &ChType) -> Result<()> {
    const FNAME: &str = "arrayReduceInRanges";
    let ChType::Array(inner) = t else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "The second argument of function {FNAME} must be an array of ranges"
        );
    };
    let ChType::Tuple(members) = inner.as_ref() else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Each array element in the second argument for function {FNAME} must be a tuple (index, length)"
        );
    };
    if members.len() != 2 {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Each array element in the second argument for function {FNAME} must be a tuple (index, length)"
        );
    }
    if !is_int(&members[0].1, true) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First tuple member in the second argument for function {FNAME} must be ints or uints"
        );
    }
    if !is_int(&members[1].1, false) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Second tuple member in the second argument for function {FNAME} must be uints"
        );
    }
    Ok(())
}

/// An integer type (`signed` admits the `Int*` types too).
fn is_int(t: &ChType, signed: bool) -> bool {
    match t.base() {
        ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 => true,
        ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 => signed,
        _ => false,
    }
}

impl ScalarUDFImpl for ArrayReduce {
    fn name(&self) -> &str {
        self.fname()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        ch_bail!(
            LOGICAL_ERROR,
            "{}: return_field_from_args is used",
            self.fname()
        )
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let name = args.scalar_arguments.first().copied().flatten();
        let func = self.resolve(name, args.arg_fields)?;
        let ret = if self.ranges {
            ChType::Array(Box::new(func.ret.clone()))
        } else {
            func.ret.clone()
        };
        Ok(ch_field(self.fname(), &ret))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = match &args.args[0] {
            ColumnarValue::Scalar(s) => Some(s.clone()),
            ColumnarValue::Array(_) => None,
        };
        let func = self.resolve(name.as_ref(), &args.arg_fields)?;
        let n = args.number_rows;
        let mut lists = Vec::with_capacity(args.args.len() - self.first_array());
        for a in &args.args[self.first_array()..] {
            lists.push(list_of(&a.to_array(n)?, self.fname())?.clone());
        }
        let out_type = func.ret.to_arrow();
        let reduce = |row: usize, begin: usize, end: usize| -> Result<ScalarValue> {
            let slices: Vec<ArrayRef> = lists
                .iter()
                .map(|l| {
                    let start = l.value_offsets()[row] as usize;
                    l.values().slice(start + begin, end - begin)
                })
                .collect();
            let mut state = func.new_state();
            state.add(&slices)?;
            conform(state.finalize()?, &out_type)
        };
        let mut lens = Vec::with_capacity(n);
        for row in 0..n {
            let len = lists[0].value_length(row) as usize;
            if lists.iter().any(|l| l.value_length(row) as usize != len) {
                ch_bail!(
                    SIZES_OF_ARRAYS_DOESNT_MATCH,
                    "Lengths of all arrays passed to {} must be equal",
                    self.fname()
                );
            }
            lens.push(len);
        }
        if !self.ranges {
            let vals = (0..n)
                .map(|row| reduce(row, 0, lens[row]))
                .collect::<Result<Vec<_>>>()?;
            return Ok(ColumnarValue::Array(scalars_to_array(&func.ret, vals)?));
        }
        let ranges = args.args[1].to_array(n)?;
        let ranges = list_of(&ranges, self.fname())?;
        let Some(tuples) = ranges.values().as_struct_opt() else {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Each array element in the second argument for function arrayReduceInRanges must be a tuple (index, length)"
            );
        };
        let starts = datafusion::arrow::compute::cast(tuples.column(0), &DataType::Int64)?;
        let starts = starts.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let lengths = datafusion::arrow::compute::cast(tuples.column(1), &DataType::UInt64)?;
        let lengths = lengths.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        let mut vals = Vec::new();
        let mut offsets = Vec::with_capacity(n);
        for (row, &len) in lens.iter().enumerate() {
            let from = ranges.value_offsets()[row] as usize;
            let to = ranges.value_offsets()[row + 1] as usize;
            for r in from..to {
                let (begin, end) = range_bounds(starts.value(r), lengths.value(r), len);
                vals.push(reduce(row, begin, end)?);
            }
            offsets.push(to - from);
        }
        let values = scalars_to_array(&func.ret, vals)?;
        let field = match args.return_field.data_type() {
            DataType::List(f) if f.data_type() == values.data_type() => Arc::clone(f),
            _ => Arc::new(Field::new("item", out_type, func.ret.is_nullable())),
        };
        let list = ListArray::try_new(field, OffsetBuffer::from_lengths(offsets), values, None)?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

/// An array argument's list column (the types were checked when planning; this keeps an
/// unexpected layout an error, not a panic).
fn list_of<'a>(a: &'a ArrayRef, fname: &str) -> Result<&'a ListArray> {
    match a.as_list_opt::<i32>() {
        Some(l) => Ok(l),
        None => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Arguments of function {fname} after the function name must be arrays, got {}",
            a.data_type()
        ),
    }
}

/// ClickHouse's reading of an `(index, length)` range over an array of `size` elements:
/// the element positions `begin..end` (empty when the start is `0` or outside the array).
fn range_bounds(index: i64, length: u64, size: usize) -> (usize, usize) {
    let size_i = i64::try_from(size).unwrap_or(i64::MAX);
    let begin = if index > 0 {
        index - 1
    } else if index < 0 && index.unsigned_abs() <= size as u64 {
        size_i + index
    } else {
        return (0, 0);
    };
    if begin >= size_i {
        return (0, 0);
    }
    let begin = begin as usize;
    let end = begin.saturating_add(usize::try_from(length).unwrap_or(usize::MAX));
    (begin, end.min(size))
}

#[cfg(test)]
mod tests {
    use super::range_bounds;

    #[test]
    fn ranges_follow_clickhouse() {
        // SELECT arrayReduceInRanges('groupArray', [(0, 2), (-1, 1), (-3, 2), (-4, 2),
        // (-10, 20), (1, 3), (2, 0), (3, 1), (4, 1), (5, 1)], [1, 2, 3]) in ClickHouse:
        // [[],[3],[1,2],[],[],[1,2,3],[],[3],[],[]]
        let got: Vec<(usize, usize)> = [
            (0, 2),
            (-1, 1),
            (-3, 2),
            (-4, 2),
            (-10, 20),
            (1, 3),
            (2, 0),
            (3, 1),
            (4, 1),
            (5, 1),
        ]
        .iter()
        .map(|&(i, l)| {
            let (b, e) = range_bounds(i, l, 3);
            if b >= e { (0, 0) } else { (b, e) }
        })
        .collect();
        assert_eq!(
            got,
            vec![
                (0, 0),
                (2, 3),
                (0, 2),
                (0, 0),
                (0, 0),
                (0, 3),
                (0, 0),
                (2, 3),
                (0, 0),
                (0, 0)
            ]
        );
    }
}
