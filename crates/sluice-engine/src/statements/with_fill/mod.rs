//! `ORDER BY … expr WITH FILL [FROM a] [TO b] [STEP s]`: rows added where the sorted
//! values of `expr` leave gaps, as ClickHouse's `FillingTransform` does.
//!
//! The query runs without the `WITH FILL` (and without its `LIMIT`/`OFFSET`, which
//! ClickHouse applies to the filled result), with the `ORDER BY` expressions up to the
//! filled one appended as hidden columns; then, within each run of equal values of the
//! expressions before the filled one, a grid of values starting at `FROM` (else the run's
//! first value) and advancing by `STEP` fills every gap: before each row, every grid value
//! short of the row's value (and short of `TO`) becomes a new row; a grid value equal to
//! the row's is skipped; after the run, grid values up to `TO` (exclusive) are added. New
//! rows carry the run's values of those earlier expressions and the grid value in the
//! filled expression's column (the visible one of that name too); every other column holds
//! its type's default (`NULL` when `Nullable`).
//!
//! Filled types: integers, floats, `Date`, `Date32`, `DateTime`, `DateTime64`. `STEP` is a
//! number (days for dates, seconds for date-times) or an `INTERVAL` (month, quarter and year
//! steps add calendar months, clamped to the month's end, one step after another).
//! Not supported: more than one `WITH FILL` column, `INTERPOLATE`, `WITH FILL` in a
//! `UNION`, with `LIMIT BY` or `WITH TIES`, and calendar steps on a `DateTime` outside UTC.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, UInt32Array, new_null_array};
use datafusion::arrow::compute::{concat_batches, interleave, take};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, OrderByKind, Query, SelectItem, SetExpr, Value,
};
use sluice_common::{ChType, Error, ErrorCode, Result, ch_err};

use crate::session::{QueryOutput, Session};

mod grid;

use grid::{Domain, Grid, Num};

/// Name prefix of the hidden columns.
const HIDDEN: &str = "__sluice_fill_";

/// What the `WITH FILL` of a query asks for, taken out of the query.
pub(super) struct FillRequest {
    /// The `ORDER BY` expressions up to and including the filled one (its last).
    keys: Vec<Expr>,
    descending: bool,
    from: Option<Expr>,
    to: Option<Expr>,
    step: Option<Expr>,
    limit: Option<usize>,
    offset: usize,
}

/// Takes the `WITH FILL` out of `query` (and its limits), appending the hidden key columns;
/// `None` when the query has no `WITH FILL`.
pub(super) fn take_fill(query: &mut Query) -> Result<Option<FillRequest>> {
    let Some(order_by) = &mut query.order_by else {
        return Ok(None);
    };
    let OrderByKind::Expressions(exprs) = &mut order_by.kind else {
        return Ok(None);
    };
    let filled: Vec<usize> = (0..exprs.len())
        .filter(|&i| exprs[i].with_fill.is_some())
        .collect();
    let Some(&position) = filled.first() else {
        if order_by.interpolate.is_some() {
            return Err(ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "INTERPOLATE is only allowed with WITH FILL"
            ));
        }
        return Ok(None);
    };
    if filled.len() > 1 {
        return Err(Error::not_implemented(
            "WITH FILL on more than one ORDER BY expression",
        ));
    }
    if order_by.interpolate.is_some() {
        return Err(Error::not_implemented("INTERPOLATE"));
    }
    let Some(fill) = exprs[position].with_fill.take() else {
        return Ok(None);
    };
    let descending = exprs[position].options.asc == Some(false);
    let keys: Vec<Expr> = exprs[..=position].iter().map(|o| o.expr.clone()).collect();
    let parts = sluice_sql::limit_parts(query);
    if parts.limit_by.is_some() || parts.with_ties {
        return Err(Error::not_implemented(
            "WITH FILL together with LIMIT BY or WITH TIES",
        ));
    }
    let limit = parts.limit.as_ref().map(count_literal).transpose()?;
    let offset = parts
        .offset
        .as_ref()
        .map(count_literal)
        .transpose()?
        .unwrap_or(0);
    query.limit_clause = None;
    query.fetch = None;
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err(Error::not_implemented("WITH FILL in a UNION"));
    };
    for (i, k) in keys.iter().enumerate() {
        select.projection.push(SelectItem::ExprWithAlias {
            expr: k.clone(),
            alias: Ident::new(format!("{HIDDEN}{i}")),
        });
    }
    Ok(Some(FillRequest {
        keys,
        descending,
        from: fill.from,
        to: fill.to,
        step: fill.step,
        limit,
        offset,
    }))
}

/// A `LIMIT`/`OFFSET` number.
fn count_literal(e: &Expr) -> Result<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n
                .parse()
                .map_err(|_| ch_err!(INVALID_LIMIT_EXPRESSION, "Invalid LIMIT expression {n}")),
            _ => Err(Error::not_implemented("WITH FILL with a non-literal LIMIT")),
        },
        _ => Err(Error::not_implemented("WITH FILL with a non-literal LIMIT")),
    }
}

/// Runs the prepared query and fills its result.
pub(super) async fn run_filled(
    session: &Session,
    query: Query,
    fill: FillRequest,
) -> Result<QueryOutput> {
    let out = Box::pin(super::select::run_query(session, query)).await?;
    let schema = Arc::clone(&out.schema);
    let batches = out.collect().await?;
    let all = concat_batches(&schema, &batches).map_err(arrow_err)?;
    let hidden = fill.keys.len();
    let width = schema.fields().len().saturating_sub(hidden);
    let key_col = width + hidden - 1;
    let field = schema.field(key_col);
    let ch = ChType::from_field(field);
    let domain = Domain::of(&ch, field.data_type())?;
    let from = match &fill.from {
        Some(e) => Some(domain.bound(&constant(session, e).await?, "FROM", e, &ch)?),
        None => None,
    };
    let to = match &fill.to {
        Some(e) => Some(domain.bound(&constant(session, e).await?, "TO", e, &ch)?),
        None => None,
    };
    let step = match &fill.step {
        Some(e) => domain.step_of(session, e).await?,
        None => domain.unit_step(fill.descending),
    };
    step.check(fill.descending)?;
    let values = domain.values(all.column(key_col))?;
    if all.num_rows() == 0 && hidden > 1 {
        // Nothing to fill: no run of the earlier keys.
        let out_schema = Arc::new(Schema::new(schema.fields()[..width].to_vec()));
        let batch = RecordBatch::new_empty(Arc::clone(&out_schema));
        return QueryOutput::batches(out_schema, vec![batch]);
    }
    let groups = group_starts(&all, width..key_col)?;
    let grid = Grid {
        domain: &domain,
        step: &step,
        descending: fill.descending,
        to,
    };
    // Output rows: `Ok(row)` of the result, `Err((template row, value))` a filled one.
    // Only the rows up to `OFFSET + LIMIT` are made.
    let wanted = fill
        .limit
        .map_or(usize::MAX, |l| l.saturating_add(fill.offset));
    let mut out = Rows {
        rows: Vec::new(),
        wanted,
    };
    'groups: for (g, &start) in groups.iter().enumerate() {
        let end = groups.get(g + 1).copied().unwrap_or(all.num_rows());
        let first = (start..end).find_map(|r| values[r]);
        let mut next = from.or(first);
        for (r, value) in values.iter().enumerate().take(end).skip(start) {
            if let (Some(v), Some(n)) = (value, next.as_mut()) {
                while grid.before(*n, *v) {
                    if !grid.keeps(*n) {
                        // Past TO or the type's range: no more filled rows in this run.
                        next = None;
                        break;
                    }
                    if out.push(Err((start, *n)))? {
                        break 'groups;
                    }
                    *n = grid.advance(*n)?;
                }
                if let Some(n) = next.as_mut()
                    && *n == *v
                {
                    *n = grid.advance(*n)?;
                }
            }
            if out.push(Ok(r))? {
                break 'groups;
            }
        }
        if let (Some(mut n), Some(_)) = (next, grid.to) {
            while grid.keeps(n) {
                if out.push(Err((start, n)))? {
                    break 'groups;
                }
                n = grid.advance(n)?;
            }
        }
    }
    let rows: Vec<_> = out
        .rows
        .into_iter()
        .skip(fill.offset)
        .take(fill.limit.unwrap_or(usize::MAX))
        .collect();
    let visible_key = visible_column(&schema, width, fill.keys.last());
    let carried: Vec<usize> = (0..hidden - 1)
        .flat_map(|i| {
            let mut v = vec![width + i];
            v.extend(visible_column(&schema, width, fill.keys.get(i)));
            v
        })
        .collect();
    // Filled rows hold NULL in Nullable columns.
    let out_schema = Arc::new(Schema::new(
        schema.fields()[..width]
            .iter()
            .map(|f| {
                let nullable = f.is_nullable() || ChType::from_field(f).is_nullable();
                f.as_ref().clone().with_nullable(nullable)
            })
            .collect::<Vec<_>>(),
    ));
    let batch = build(
        &all,
        &out_schema,
        &rows,
        &domain,
        key_col,
        visible_key,
        &carried,
    )?;
    QueryOutput::batches(out_schema, vec![batch])
}

/// Most rows a `WITH FILL` makes (result and filled rows): ClickHouse streams them, Sluice
/// holds them, so a runaway range (`TO 1e12`) is refused instead of exhausting memory.
const MAX_ROWS: usize = 10_000_000;

/// The output rows being made.
struct Rows {
    rows: Vec<std::result::Result<usize, (usize, Num)>>,
    /// `OFFSET + LIMIT`: no row after it is needed.
    wanted: usize,
}

impl Rows {
    /// Adds a row; true when no more are wanted.
    fn push(&mut self, row: std::result::Result<usize, (usize, Num)>) -> Result<bool> {
        if self.rows.len() >= MAX_ROWS {
            return Err(ch_err!(
                TOO_MANY_ROWS,
                "WITH FILL would make more than {MAX_ROWS} rows; narrow FROM/TO or add a LIMIT"
            ));
        }
        self.rows.push(row);
        Ok(self.rows.len() >= self.wanted)
    }
}

/// The visible column the `ORDER BY` expression `e` names (`n`, `t.n`), if any.
fn visible_column(schema: &Schema, width: usize, e: Option<&Expr>) -> Option<usize> {
    let name = match e? {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => parts.last()?.value.clone(),
        other => other.to_string(),
    };
    (0..width).find(|&i| schema.field(i).name() == &name)
}

/// The first row of each run of equal values in `columns` (one run without columns).
fn group_starts(batch: &RecordBatch, columns: std::ops::Range<usize>) -> Result<Vec<usize>> {
    if columns.is_empty() || batch.num_rows() == 0 {
        return Ok(vec![0]);
    }
    let arrays: Vec<ArrayRef> = columns.map(|i| Arc::clone(batch.column(i))).collect();
    let converter = RowConverter::new(
        arrays
            .iter()
            .map(|a| SortField::new(a.data_type().clone()))
            .collect(),
    )
    .map_err(arrow_err)?;
    let rows = converter.convert_columns(&arrays).map_err(arrow_err)?;
    let mut starts = vec![0];
    for r in 1..batch.num_rows() {
        if rows.row(r) != rows.row(r - 1) {
            starts.push(r);
        }
    }
    Ok(starts)
}

/// The output batch: result rows and filled rows interleaved.
fn build(
    all: &RecordBatch,
    schema: &SchemaRef,
    rows: &[std::result::Result<usize, (usize, Num)>],
    domain: &Domain,
    key_col: usize,
    visible_key: Option<usize>,
    carried: &[usize],
) -> Result<RecordBatch> {
    let fills: Vec<(usize, Num)> = rows.iter().filter_map(|r| r.err()).collect();
    let templates = UInt32Array::from(
        fills
            .iter()
            .map(|(t, _)| u32::try_from(*t).unwrap_or(u32::MAX))
            .collect::<Vec<_>>(),
    );
    let mut fill_index = 0usize;
    let indices: Vec<(usize, usize)> = rows
        .iter()
        .map(|r| match r {
            Ok(row) => (0, *row),
            Err(_) => {
                fill_index += 1;
                (1, fill_index - 1)
            }
        })
        .collect();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let source = all.column(i);
        let filled: ArrayRef = if Some(i) == visible_key || i == key_col {
            domain.array(field.data_type(), fills.iter().map(|(_, v)| *v))?
        } else if carried.contains(&i) && !fills.is_empty() {
            take(source.as_ref(), &templates, None).map_err(arrow_err)?
        } else {
            default_array(field, fills.len())?
        };
        columns.push(interleave(&[source.as_ref(), filled.as_ref()], &indices).map_err(arrow_err)?);
    }
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(arrow_err)
}

/// `n` default values of `field`'s ClickHouse type (`NULL` when `Nullable`).
fn default_array(field: &datafusion::arrow::datatypes::Field, n: usize) -> Result<ArrayRef> {
    let ch = ChType::from_field(field);
    if ch.is_nullable() {
        return Ok(new_null_array(field.data_type(), n));
    }
    let array = default_of(field.data_type(), n).ok_or_else(|| {
        Error::not_implemented(format!("WITH FILL with a column of type {ch} beside it"))
    })?;
    Ok(array)
}

/// `n` defaults of an Arrow type: zero, empty, and per field of a struct.
fn default_of(dt: &DataType, n: usize) -> Option<ArrayRef> {
    use datafusion::arrow::array::{
        FixedSizeBinaryArray, LargeListArray, ListArray, MapArray, StructArray, new_empty_array,
    };
    use datafusion::arrow::buffer::OffsetBuffer;
    Some(match dt {
        DataType::List(f) => Arc::new(ListArray::new(
            Arc::clone(f),
            OffsetBuffer::new_zeroed(n),
            new_empty_array(f.data_type()),
            None,
        )),
        DataType::LargeList(f) => Arc::new(LargeListArray::new(
            Arc::clone(f),
            OffsetBuffer::new_zeroed(n),
            new_empty_array(f.data_type()),
            None,
        )),
        DataType::Map(f, sorted) => {
            let DataType::Struct(fields) = f.data_type() else {
                return None;
            };
            let entries = StructArray::new_empty_fields(0, None);
            let entries = if fields.is_empty() {
                entries
            } else {
                StructArray::new(
                    fields.clone(),
                    fields
                        .iter()
                        .map(|c| new_empty_array(c.data_type()))
                        .collect(),
                    None,
                )
            };
            Arc::new(MapArray::new(
                Arc::clone(f),
                OffsetBuffer::new_zeroed(n),
                entries,
                None,
                *sorted,
            ))
        }
        DataType::Struct(fields) => {
            let columns: Option<Vec<ArrayRef>> = fields
                .iter()
                .map(|c| default_of(c.data_type(), n))
                .collect();
            Arc::new(StructArray::new(fields.clone(), columns?, None))
        }
        DataType::FixedSizeBinary(k) => {
            let width = usize::try_from(*k).ok()?;
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(std::iter::repeat_n(vec![0u8; width], n))
                    .ok()?,
            )
        }
        DataType::Dictionary(_, value) => {
            datafusion::arrow::compute::cast(&default_of(value, n)?, dt).ok()?
        }
        _ => {
            let simple = ScalarValue::new_default(dt)
                .ok()?
                .to_array_of_size(n)
                .ok()?;
            if simple.data_type() != dt {
                return None;
            }
            simple
        }
    })
}

/// The value of a constant expression.
async fn constant(session: &Session, e: &Expr) -> Result<ScalarValue> {
    let parsed = sluice_sql::parse_statements(&format!("SELECT {e}"))?;
    let Some(sluice_sql::Statement::Query(q)) = parsed.into_iter().next().map(|p| p.statement)
    else {
        return Err(Error::internal("WITH FILL constant"));
    };
    let (_, batches) = Box::pin(super::select::collect_query(session, *q)).await?;
    let batch = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| Error::internal("WITH FILL constant without a row"))?;
    ScalarValue::try_from_array(batch.column(0), 0).map_err(crate::error::from_datafusion)
}

pub(super) fn arrow_err(e: datafusion::arrow::error::ArrowError) -> Error {
    Error::new(ErrorCode::LOGICAL_ERROR, format!("WITH FILL: {e}"))
}
