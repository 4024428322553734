//! Arguments and the per-row driver shared by the DOM JSON functions
//! (`JSONExtract*`, `JSONHas`, `JSONLength`, `JSONType`, `JSONKey`, …).
//!
//! Planning: [`check_args`] validates argument types with ClickHouse's errors and decides
//! whether the result is `Nullable` (a `Nullable` JSON or path argument makes it so; a NULL
//! literal JSON gives `Nullable(Nothing)`).
//!
//! Execution: [`for_each_row`] resolves the document (through the parse-once cache), the
//! path of the row (constant steps resolved once) and calls the sink with the located value.
//!
//! Nested calls: a path may be split into *levels* (see `nested.rs`). Between two levels the
//! value found so far stands for the text `JSONExtractString` would have produced; when that
//! value is an object or array (and the final value holds no double, whose re-parsed form
//! could be classified differently) navigation simply continues in the same tape, otherwise
//! the intermediate text is produced and parsed, exactly as the nested calls would.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::error::Result;
use datafusion::logical_expr::ColumnarValue;
use sluice_common::ChType;

use super::cache::{JsonColumn, Parsed, parsed, parsed_uncached};
use super::doc::{Doc, Kind, Step, StepRef};
use super::serialize::write_value;
use super::tape::parse;
use crate::ch_bail;
use crate::util::arg_type;

/// Argument facts decided at planning time.
#[derive(Clone, Debug)]
pub struct ArgInfo {
    /// The JSON argument is a NULL literal (`Nothing`): the result is `Nullable(Nothing)`.
    pub json_is_null: bool,
    /// Some argument is `Nullable`: the result is `Nullable(T)`.
    pub nullable: bool,
}

fn is_string_type(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

fn is_int_type(dt: &DataType) -> bool {
    dt.is_integer()
}

/// Checks the JSON argument and `path` (the path arguments) of function `name`.
pub fn check_args(name: &str, json: &Field, path: &[Arc<Field>]) -> Result<ArgInfo> {
    let jt = json.data_type();
    let json_is_null = matches!(jt, DataType::Null);
    let ok = json_is_null
        || is_string_type(jt)
        || matches!(jt, DataType::Dictionary(_, v) if is_string_type(v));
    if !ok || matches!(arg_type(json).base(), ChType::FixedString(_)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "The first argument of function {name} should be a string containing JSON or a JSON object, illegal type: {}",
            arg_type(json)
        );
    }
    // A folded constant (`toNullable('…')`) keeps `Nullable` only in its metadata.
    let mut nullable = (json.is_nullable() || arg_type(json).is_nullable()) && !json_is_null;
    for (i, f) in path.iter().enumerate() {
        let dt = f.data_type();
        let t = arg_type(f);
        let lc_nullable = matches!(t, ChType::LowCardinality(_)) && t.is_nullable();
        let ok = is_string_type(dt)
            || is_int_type(dt)
            || matches!(dt, DataType::Dictionary(_, v) if is_string_type(v) || is_int_type(v))
            || matches!(dt, DataType::Null);
        if !ok || lc_nullable {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "The argument {} of function {name} should be a string specifying key or an integer specifying index, illegal type: {t}",
                i + 2
            );
        }
        nullable |= f.is_nullable() || t.is_nullable();
    }
    Ok(ArgInfo {
        json_is_null,
        nullable,
    })
}

/// Wraps `t` in `Nullable` when `info.nullable`, with ClickHouse's error for types that
/// cannot be inside `Nullable`.
pub fn result_type(t: ChType, info: &ArgInfo) -> Result<ChType> {
    if info.json_is_null {
        return Ok(ChType::Nullable(Box::new(ChType::Nothing)));
    }
    if !info.nullable || t.is_nullable() {
        return Ok(t);
    }
    if matches!(
        t,
        ChType::Array(_) | ChType::Map(..) | ChType::LowCardinality(_)
    ) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Nested type {t} cannot be inside Nullable type"
        );
    }
    Ok(ChType::Nullable(Box::new(t)))
}

/// One path argument at execution time.
enum PathArg {
    /// A constant step; `None` for a NULL constant.
    Const(Option<OwnedStep>),
    /// Keys per row.
    Keys(ArrayRef),
    /// Indices per row (as Int64, UInt64 wrapped like ClickHouse).
    Indices(Vec<Option<i64>>),
}

#[derive(Clone, Debug)]
enum OwnedStep {
    Key(Vec<u8>),
    Index(i64),
}

/// The path of a call whose path arguments are all non-NULL constants, as owned steps;
/// `None` when some path argument is a column or NULL.
pub(crate) fn const_steps(args: &[ColumnarValue]) -> Result<Option<Vec<Step>>> {
    let mut steps = Vec::with_capacity(args.len());
    for a in args {
        if !matches!(a, ColumnarValue::Scalar(_)) {
            return Ok(None);
        }
        match path_arg(a, 1)? {
            PathArg::Const(Some(OwnedStep::Key(k))) => steps.push(Step::Key(k)),
            PathArg::Const(Some(OwnedStep::Index(i))) => steps.push(Step::Index(i)),
            _ => return Ok(None),
        }
    }
    Ok(Some(steps))
}

fn path_arg(v: &ColumnarValue, rows: usize) -> Result<PathArg> {
    match v {
        ColumnarValue::Scalar(s) => {
            if s.is_null() {
                return Ok(PathArg::Const(None));
            }
            let a = s.to_array_of_size(1)?;
            Ok(match step_column(&a)? {
                PathArg::Keys(k) => PathArg::Const(Some(OwnedStep::Key(
                    key_at(&k, 0).unwrap_or_default().to_vec(),
                ))),
                PathArg::Indices(ix) => PathArg::Const(ix[0].map(OwnedStep::Index)),
                c => c,
            })
        }
        ColumnarValue::Array(a) => {
            let _ = rows;
            step_column(a)
        }
    }
}

fn step_column(a: &ArrayRef) -> Result<PathArg> {
    let a = match a.data_type() {
        DataType::Dictionary(_, v) => cast(a, v)?,
        _ => Arc::clone(a),
    };
    let dt = a.data_type().clone();
    if is_string_type(&dt) {
        return Ok(PathArg::Keys(a));
    }
    if matches!(dt, DataType::Null) {
        return Ok(PathArg::Indices(vec![None; a.len()]));
    }
    if dt == DataType::UInt64 {
        let u = a.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        return Ok(PathArg::Indices(
            u.iter().map(|v| v.map(|x| x as i64)).collect(),
        ));
    }
    let i = cast(&a, &DataType::Int64)?;
    let i = i.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    Ok(PathArg::Indices(i.iter().collect()))
}

fn key_at(a: &ArrayRef, i: usize) -> Option<&[u8]> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).as_bytes(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).as_bytes(),
        DataType::Utf8View => a.as_string_view().value(i).as_bytes(),
        DataType::Binary => a.as_binary::<i32>().value(i),
        DataType::LargeBinary => a.as_binary::<i64>().value(i),
        DataType::BinaryView => a.as_binary_view().value(i),
        _ => return None,
    })
}

/// What a row resolved to.
pub enum Found<'a> {
    /// A NULL argument: the result is NULL.
    Null,
    /// Invalid document or missing path: the result is the default.
    Missing,
    /// The value at the path.
    Value(Doc<'a>, usize),
}

/// Evaluation options of one call.
#[derive(Clone, Copy, Debug)]
pub struct Options<'l> {
    /// Path-argument counts per nesting level (one level for an ordinary call).
    pub levels: &'l [usize],
    /// Keys compare ASCII case-insensitively (`…CaseInsensitive` functions).
    pub case_insensitive: bool,
}

/// The JSON column of a call, materialised, with an optional dictionary key mapping.
struct JsonInput {
    values: ArrayRef,
    keys: Option<Vec<Option<usize>>>,
    scalar: bool,
}

fn json_input(v: &ColumnarValue) -> Result<JsonInput> {
    let (arr, scalar) = match v {
        ColumnarValue::Scalar(s) => (s.to_array_of_size(1)?, true),
        ColumnarValue::Array(a) => (Arc::clone(a), false),
    };
    if let DataType::Dictionary(..) = arr.data_type() {
        let d = arr.as_any_dictionary();
        let keys: Vec<Option<usize>> = (0..d.keys().len())
            .map(|i| {
                if d.keys().is_null(i) {
                    None
                } else {
                    Some(d.normalized_keys()[i])
                }
            })
            .collect();
        let values = Arc::clone(d.values());
        return Ok(JsonInput {
            values,
            keys: Some(keys),
            scalar,
        });
    }
    Ok(JsonInput {
        values: arr,
        keys: None,
        scalar,
    })
}

/// Runs `sink` over every row: `args[0]` is the JSON, `args[1..1 + path_len]` the path.
pub fn for_each_row(
    args: &[ColumnarValue],
    path_len: usize,
    rows: usize,
    opts: Options<'_>,
    mut sink: impl FnMut(Found<'_>),
) -> Result<()> {
    if let ColumnarValue::Scalar(s) = &args[0]
        && s.data_type() == DataType::Null
    {
        for _ in 0..rows {
            sink(Found::Null);
        }
        return Ok(());
    }
    let input = json_input(&args[0])?;
    let owned;
    let shared;
    let p: &Parsed = if input.scalar {
        owned = parsed_uncached(&input.values);
        &owned
    } else {
        shared = parsed(&input.values);
        &shared
    };
    let col = p.column();
    let paths: Vec<PathArg> = args[1..1 + path_len]
        .iter()
        .map(|a| path_arg(a, rows))
        .collect::<Result<_>>()?;
    let mut steps: Vec<StepRef<'_>> = Vec::with_capacity(path_len);
    let mut scratch = Scratch::default();
    for row in 0..rows {
        let jrow = match (&input.keys, input.scalar) {
            (_, true) => Some(0),
            (Some(k), false) => k[row],
            (None, false) => Some(row),
        };
        let Some(jrow) = jrow else {
            sink(Found::Null);
            continue;
        };
        if col.is_null(jrow) {
            sink(Found::Null);
            continue;
        }
        steps.clear();
        let mut null = false;
        for pa in &paths {
            let s = match pa {
                PathArg::Const(Some(OwnedStep::Key(k))) => StepRef::Key(k),
                PathArg::Const(Some(OwnedStep::Index(i))) => StepRef::Index(*i),
                PathArg::Const(None) => {
                    null = true;
                    break;
                }
                PathArg::Keys(a) => match key_at(a, row) {
                    Some(k) => StepRef::Key(k),
                    None => {
                        null = true;
                        break;
                    }
                },
                PathArg::Indices(ix) => match ix[row] {
                    Some(i) => StepRef::Index(i),
                    None => {
                        null = true;
                        break;
                    }
                },
            };
            steps.push(s);
        }
        if null {
            sink(Found::Null);
            continue;
        }
        match p.doc(&col, jrow) {
            None => sink(Found::Missing),
            Some(doc) => resolve(doc, &steps, opts, &mut scratch, &mut sink),
        }
    }
    Ok(())
}

/// Reusable buffers of [`resolve`].
#[derive(Default)]
pub(crate) struct Scratch {
    text: Vec<u8>,
}

/// Navigates `steps` (split into `opts.levels`) from the root of `doc` and calls `sink`.
pub(crate) fn resolve(
    doc: Doc<'_>,
    steps: &[StepRef<'_>],
    opts: Options<'_>,
    scratch: &mut Scratch,
    sink: &mut impl FnMut(Found<'_>),
) {
    let levels = opts.levels;
    let mut cur = 0usize;
    let mut off = 0usize;
    for (li, &n) in levels.iter().enumerate() {
        if li > 0 && !doc.is_container(cur) {
            return slow(doc, cur, &steps[off..], &levels[li..], opts, scratch, sink);
        }
        for s in &steps[off..off + n] {
            let next = match *s {
                StepRef::Key(k) => doc.member(cur, k, opts.case_insensitive),
                StepRef::Index(i) => doc.element(cur, i),
            };
            match next {
                Some(c) => cur = c,
                None => return sink(Found::Missing),
            }
        }
        off += n;
    }
    if levels.len() > 1 && doc.node(cur).has_double() {
        // Doubles may change class when re-parsed from text: follow the nested calls
        // literally for this row.
        let (first, rest) = levels.split_at(1);
        let mut cur = 0usize;
        for s in &steps[..first[0]] {
            let next = match *s {
                StepRef::Key(k) => doc.member(cur, k, opts.case_insensitive),
                StepRef::Index(i) => doc.element(cur, i),
            };
            match next {
                Some(c) => cur = c,
                None => return sink(Found::Missing),
            }
        }
        return slow(doc, cur, &steps[first[0]..], rest, opts, scratch, sink);
    }
    sink(Found::Value(doc, cur))
}

/// Produces the text `JSONExtractString` gives for value `at`, parses it as a new document
/// and resolves the remaining levels in it.
fn slow(
    doc: Doc<'_>,
    at: usize,
    steps: &[StepRef<'_>],
    levels: &[usize],
    opts: Options<'_>,
    scratch: &mut Scratch,
    sink: &mut impl FnMut(Found<'_>),
) {
    let mut text = std::mem::take(&mut scratch.text);
    text.clear();
    match doc.kind(at) {
        Kind::Str => doc.push_str_content(at, &mut text),
        Kind::Null => {}
        _ => write_value(&doc, at, &mut text),
    }
    let mut nodes = Vec::new();
    if parse(&text, &mut nodes).is_ok() {
        let inner = Doc {
            bytes: &text,
            nodes: &nodes,
        };
        let mut sub = Scratch::default();
        resolve(inner, steps, Options { levels, ..opts }, &mut sub, sink);
    } else {
        sink(Found::Missing);
    }
    scratch.text = text;
}

/// Whether `col` is usable as a JSON column type (for tests and callers).
pub fn is_json_column(a: &ArrayRef) -> bool {
    JsonColumn::try_new(a).is_some()
}
