//! What each MergeTree engine does with rows that share a sorting key, applied to one
//! merged chunk (see `kway`): Replacing keeps the latest version, Summing adds numeric
//! columns, Aggregating merges states, Collapsing and VersionedCollapsing cancel sign
//! pairs. The same code serves inserts (`optimize_on_insert`), merges and `FINAL`.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, PrimitiveArray, RecordBatch, UInt32Array,
};
use datafusion::arrow::compute::{cast, filter_record_batch, take, take_record_batch};
use datafusion::arrow::datatypes::ArrowNativeTypeOp;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, SchemaRef, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use sluice_common::{ChType, Error, ErrorCode, Result};

use crate::engine_kind::MergeTreeEngine;
use crate::expr::StateMerger;
use crate::kway::Chunk;

/// Where rows are being combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An insert block (`optimize_on_insert`) or a background/OPTIMIZE merge.
    Merge,
    /// `SELECT … FINAL`: also drops `is_deleted` rows and negative Collapsing rows.
    Final,
}

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::LOGICAL_ERROR, format!("merge: {e}"))
}

#[derive(Debug, Clone)]
enum ColumnRule {
    First,
    Sum,
    State { ch_type: String },
    Simple(String),
}

/// Engine semantics bound to a schema.
#[derive(Debug, Clone)]
pub(crate) struct Semantics {
    engine: MergeTreeEngine,
    schema: SchemaRef,
    rules: Vec<ColumnRule>,
    sign: Option<usize>,
    version: Option<usize>,
    is_deleted: Option<usize>,
    merger: Option<Arc<dyn StateMerger>>,
}

fn column_index(schema: &SchemaRef, name: &str, role: &str) -> Result<usize> {
    schema.index_of(name).map_err(|_| {
        Error::new(
            ErrorCode::NO_SUCH_COLUMN_IN_TABLE,
            format!("{role} column {name} does not exist in the table"),
        )
    })
}

fn is_summable(dt: &DataType, ch: &ChType) -> bool {
    (dt.is_numeric()
        && !matches!(
            ch.base(),
            ChType::Bool | ChType::IPv4 | ChType::Enum8(_) | ChType::Enum16(_)
        ))
        && !matches!(dt, DataType::Boolean)
}

impl Semantics {
    pub(crate) fn new(
        engine: &MergeTreeEngine,
        schema: &SchemaRef,
        key_columns: &[String],
        merger: Option<Arc<dyn StateMerger>>,
    ) -> Result<Self> {
        let mut rules = vec![ColumnRule::First; schema.fields().len()];
        let (mut sign, mut version, mut is_deleted) = (None, None, None);
        match engine {
            MergeTreeEngine::MergeTree => {}
            MergeTreeEngine::Replacing {
                version: v,
                is_deleted: d,
            } => {
                version = v
                    .as_deref()
                    .map(|n| column_index(schema, n, "Version"))
                    .transpose()?;
                is_deleted = d
                    .as_deref()
                    .map(|n| column_index(schema, n, "is_deleted"))
                    .transpose()?;
            }
            MergeTreeEngine::Summing { columns } => {
                for (i, f) in schema.fields().iter().enumerate() {
                    let ch = ChType::from_field(f);
                    let listed = columns.is_empty() || columns.iter().any(|c| c == f.name());
                    if listed && !key_columns.contains(f.name()) && is_summable(f.data_type(), &ch)
                    {
                        rules[i] = ColumnRule::Sum;
                    }
                }
                for c in columns {
                    column_index(schema, c, "Summed")?;
                }
            }
            MergeTreeEngine::Aggregating => {
                for (i, f) in schema.fields().iter().enumerate() {
                    match ChType::from_field(f) {
                        ChType::AggregateFunction { .. } => {
                            rules[i] = ColumnRule::State {
                                ch_type: ChType::from_field(f).to_string(),
                            }
                        }
                        ChType::SimpleAggregateFunction { func, .. } => {
                            rules[i] = ColumnRule::Simple(func.clone())
                        }
                        _ => {}
                    }
                }
            }
            MergeTreeEngine::Collapsing { sign: s } => {
                sign = Some(column_index(schema, s, "Sign")?);
            }
            MergeTreeEngine::VersionedCollapsing {
                sign: s,
                version: v,
            } => {
                sign = Some(column_index(schema, s, "Sign")?);
                version = Some(column_index(schema, v, "Version")?);
            }
        }
        Ok(Self {
            engine: engine.clone(),
            schema: Arc::clone(schema),
            rules,
            sign,
            version,
            is_deleted,
            merger,
        })
    }

    /// True when this engine combines rows (else chunks pass through).
    pub(crate) fn combines(&self) -> bool {
        match self.engine {
            MergeTreeEngine::MergeTree => false,
            MergeTreeEngine::Aggregating => {
                let has_states = self
                    .rules
                    .iter()
                    .any(|r| matches!(r, ColumnRule::State { .. }));
                // Without a state merger, tables with AggregateFunction columns merge like
                // plain MergeTree (no state is ever dropped).
                if has_states {
                    self.merger.is_some()
                } else {
                    self.rules
                        .iter()
                        .any(|r| matches!(r, ColumnRule::Simple(_)))
                }
            }
            _ => true,
        }
    }

    /// Applies the engine to a chunk whose groups hold equal keys.
    pub(crate) fn apply(&self, chunk: Chunk, mode: Mode) -> Result<RecordBatch> {
        let Chunk { batch, groups } = chunk;
        match &self.engine {
            MergeTreeEngine::MergeTree => Ok(batch),
            MergeTreeEngine::Replacing { .. } => self.replacing(&batch, &groups, mode),
            MergeTreeEngine::Collapsing { .. } => self.collapsing(&batch, &groups, mode),
            MergeTreeEngine::VersionedCollapsing { .. } => self.versioned(&batch, &groups),
            MergeTreeEngine::Summing { .. } | MergeTreeEngine::Aggregating => {
                if self.combines() {
                    self.aggregate(&batch, &groups)
                } else {
                    Ok(batch)
                }
            }
        }
    }

    fn replacing(
        &self,
        batch: &RecordBatch,
        groups: &[Range<usize>],
        mode: Mode,
    ) -> Result<RecordBatch> {
        let versions = match self.version {
            Some(v) => {
                let col = batch.column(v);
                let conv = RowConverter::new(vec![SortField::new(col.data_type().clone())])
                    .map_err(arrow_err)?;
                Some(
                    conv.convert_columns(&[Arc::clone(col)])
                        .map_err(arrow_err)?,
                )
            }
            None => None,
        };
        let mut keep: Vec<u32> = Vec::with_capacity(groups.len());
        for g in groups {
            let mut best = g.start;
            if let Some(rows) = &versions {
                for i in g.clone() {
                    if rows.row(i) >= rows.row(best) {
                        best = i;
                    }
                }
            } else {
                best = g.end - 1;
            }
            keep.push(best as u32);
        }
        let out = take_record_batch(batch, &UInt32Array::from(keep)).map_err(arrow_err)?;
        match (mode, self.is_deleted) {
            (Mode::Final, Some(d)) => {
                let flag = cast(out.column(d), &DataType::UInt8).map_err(arrow_err)?;
                let flag = flag.as_primitive::<UInt8Type>();
                let mask: datafusion::arrow::array::BooleanArray =
                    flag.iter().map(|v| Some(v.unwrap_or(0) == 0)).collect();
                filter_record_batch(&out, &mask).map_err(arrow_err)
            }
            _ => Ok(out),
        }
    }

    fn signs(&self, batch: &RecordBatch) -> Result<Vec<i8>> {
        let idx = self
            .sign
            .ok_or_else(|| Error::internal("collapsing without a sign column"))?;
        let col = cast(batch.column(idx), &DataType::Int8).map_err(arrow_err)?;
        let col = col.as_primitive::<Int8Type>();
        let mut out = Vec::with_capacity(col.len());
        for v in col.iter() {
            match v {
                Some(s @ (1 | -1)) => out.push(s),
                other => {
                    return Err(Error::new(
                        ErrorCode::INCORRECT_DATA,
                        format!(
                            "Incorrect data: Sign = {} (must be 1 or -1)",
                            other
                                .map(|v| v.to_string())
                                .unwrap_or_else(|| "NULL".into())
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn collapsing(
        &self,
        batch: &RecordBatch,
        groups: &[Range<usize>],
        mode: Mode,
    ) -> Result<RecordBatch> {
        let signs = self.signs(batch)?;
        let only_positive = mode == Mode::Final;
        let mut keep: Vec<u32> = Vec::new();
        for g in groups {
            let (mut pos, mut neg) = (0usize, 0usize);
            let (mut first_neg, mut last_pos) = (None, None);
            let mut last_is_positive = false;
            for i in g.clone() {
                if signs[i] == 1 {
                    pos += 1;
                    last_pos = Some(i);
                    last_is_positive = true;
                } else {
                    if neg == 0 {
                        first_neg = Some(i);
                    }
                    neg += 1;
                    last_is_positive = false;
                }
            }
            if last_is_positive || pos != neg {
                if pos <= neg
                    && !only_positive
                    && let Some(i) = first_neg
                {
                    keep.push(i as u32);
                }
                if pos >= neg
                    && let Some(i) = last_pos
                {
                    keep.push(i as u32);
                }
            }
        }
        take_record_batch(batch, &UInt32Array::from(keep)).map_err(arrow_err)
    }

    fn versioned(&self, batch: &RecordBatch, groups: &[Range<usize>]) -> Result<RecordBatch> {
        let signs = self.signs(batch)?;
        let v = self
            .version
            .ok_or_else(|| Error::internal("versioned collapsing without a version"))?;
        let col = batch.column(v);
        let conv =
            RowConverter::new(vec![SortField::new(col.data_type().clone())]).map_err(arrow_err)?;
        let versions = conv
            .convert_columns(&[Arc::clone(col)])
            .map_err(arrow_err)?;
        let mut keep: Vec<u32> = Vec::new();
        for g in groups {
            // Per version, a row cancels the latest unmatched row of the opposite sign.
            let mut order: Vec<usize> = g.clone().collect();
            order.sort_by(|&a, &b| versions.row(a).cmp(&versions.row(b)).then(a.cmp(&b)));
            let mut i = 0;
            while i < order.len() {
                let mut j = i;
                while j < order.len() && versions.row(order[j]) == versions.row(order[i]) {
                    j += 1;
                }
                let mut stack: Vec<usize> = Vec::new();
                for &r in &order[i..j] {
                    match stack.last() {
                        Some(&top) if signs[top] != signs[r] => {
                            stack.pop();
                        }
                        _ => stack.push(r),
                    }
                }
                keep.extend(stack.into_iter().map(|r| r as u32));
                i = j;
            }
        }
        keep.sort_unstable();
        take_record_batch(batch, &UInt32Array::from(keep)).map_err(arrow_err)
    }

    fn aggregate(&self, batch: &RecordBatch, groups: &[Range<usize>]) -> Result<RecordBatch> {
        let firsts = UInt32Array::from(groups.iter().map(|g| g.start as u32).collect::<Vec<_>>());
        let mut columns = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            let col = batch.column(i);
            let out = match rule {
                ColumnRule::First => take(col, &firsts, None).map_err(arrow_err)?,
                ColumnRule::Sum => sum_groups(col, groups)?,
                ColumnRule::State { ch_type } => match &self.merger {
                    Some(m) => m.merge_states(self.schema.field(i).name(), ch_type, col, groups)?,
                    None => take(col, &firsts, None).map_err(arrow_err)?,
                },
                ColumnRule::Simple(func) => simple_groups(func, col, groups)?,
            };
            columns.push(out);
        }
        // Columns past the table's (a FINAL read's row origins) follow the first row.
        for col in batch.columns().iter().skip(self.rules.len()) {
            columns.push(take(col, &firsts, None).map_err(arrow_err)?);
        }
        let out = RecordBatch::try_new(batch.schema(), columns).map_err(arrow_err)?;
        // SummingMergeTree drops rows whose summed columns are all zero.
        let summed: Vec<usize> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, ColumnRule::Sum))
            .map(|(i, _)| i)
            .collect();
        if matches!(self.engine, MergeTreeEngine::Summing { .. }) && !summed.is_empty() {
            let mut mask = vec![false; out.num_rows()];
            for &c in &summed {
                let col = out.column(c);
                let zero = ScalarValue::new_zero(col.data_type()).map_err(arrow_err)?;
                for (row, m) in mask.iter_mut().enumerate() {
                    if !*m {
                        let v = ScalarValue::try_from_array(col, row).map_err(arrow_err)?;
                        *m = !v.is_null() && v != zero;
                    }
                }
            }
            let mask = datafusion::arrow::array::BooleanArray::from(mask);
            return filter_record_batch(&out, &mask).map_err(arrow_err);
        }
        Ok(out)
    }
}

fn sum_primitive<T: ArrowPrimitiveType>(col: &ArrayRef, groups: &[Range<usize>]) -> ArrayRef {
    let arr = col.as_primitive::<T>();
    let out: PrimitiveArray<T> = groups
        .iter()
        .map(|g| {
            let mut acc = T::Native::default();
            let mut any = false;
            for i in g.clone() {
                if arr.is_valid(i) {
                    acc = acc.add_wrapping(arr.value(i));
                    any = true;
                }
            }
            any.then_some(acc)
        })
        .collect();
    Arc::new(out.with_data_type(col.data_type().clone()))
}

/// Sums each group of a numeric column (wrapping, as ClickHouse integer sums do).
pub(crate) fn sum_groups(col: &ArrayRef, groups: &[Range<usize>]) -> Result<ArrayRef> {
    Ok(match col.data_type() {
        DataType::UInt8 => sum_primitive::<UInt8Type>(col, groups),
        DataType::UInt16 => sum_primitive::<UInt16Type>(col, groups),
        DataType::UInt32 => sum_primitive::<UInt32Type>(col, groups),
        DataType::UInt64 => sum_primitive::<UInt64Type>(col, groups),
        DataType::Int8 => sum_primitive::<Int8Type>(col, groups),
        DataType::Int16 => sum_primitive::<Int16Type>(col, groups),
        DataType::Int32 => sum_primitive::<Int32Type>(col, groups),
        DataType::Int64 => sum_primitive::<Int64Type>(col, groups),
        DataType::Float32 => sum_primitive::<Float32Type>(col, groups),
        DataType::Float64 => sum_primitive::<Float64Type>(col, groups),
        DataType::Decimal128(..) => sum_primitive::<Decimal128Type>(col, groups),
        DataType::Decimal256(..) => sum_primitive::<Decimal256Type>(col, groups),
        other => {
            return Err(Error::new(
                ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                format!("cannot sum a column of type {other} in SummingMergeTree"),
            ));
        }
    })
}

/// `SimpleAggregateFunction(func, T)` columns: sum, min, max, any, anyLast.
fn simple_groups(func: &str, col: &ArrayRef, groups: &[Range<usize>]) -> Result<ArrayRef> {
    let pick = |choose_last: bool| -> Result<ArrayRef> {
        let idx: Vec<u32> = groups
            .iter()
            .map(|g| {
                let mut it = g.clone().filter(|&i| col.is_valid(i));
                let found = if choose_last {
                    it.next_back()
                } else {
                    it.next()
                };
                found.unwrap_or(g.start) as u32
            })
            .collect();
        take(col, &UInt32Array::from(idx), None).map_err(arrow_err)
    };
    match func {
        "sum" | "sumWithOverflow" => sum_groups(col, groups),
        "any" => pick(false),
        "anyLast" => pick(true),
        "min" | "max" => {
            let conv = RowConverter::new(vec![SortField::new(col.data_type().clone())])
                .map_err(arrow_err)?;
            let rows = conv
                .convert_columns(&[Arc::clone(col)])
                .map_err(arrow_err)?;
            let idx: Vec<u32> = groups
                .iter()
                .map(|g| {
                    let valid = g.clone().filter(|&i| col.is_valid(i));
                    let best = if func == "min" {
                        valid.min_by(|&a, &b| rows.row(a).cmp(&rows.row(b)))
                    } else {
                        valid.max_by(|&a, &b| rows.row(a).cmp(&rows.row(b)))
                    };
                    best.unwrap_or(g.start) as u32
                })
                .collect();
            take(col, &UInt32Array::from(idx), None).map_err(arrow_err)
        }
        other => Err(Error::not_implemented(format!(
            "SimpleAggregateFunction({other}, …) in AggregatingMergeTree merges"
        ))),
    }
}
