//! `INSERT INTO t [(cols)] VALUES … | SELECT … | FORMAT fmt <data>`.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use sluice_common::{Error, Result, ch_err};
use sluice_sql::{Insert, InsertSource};

use super::insert_blocks::{BlockSizes, Chunking, insert_blocks};
use crate::session::{InsertInput, QueryOutput, Session};
use crate::table::ColumnDesc;

/// The columns an INSERT fills, in order: the listed ones, or every column `SELECT *`
/// would return.
pub fn insert_columns(all: &[ColumnDesc], listed: &[String]) -> Result<Vec<ColumnDesc>> {
    if listed.is_empty() {
        return Ok(all.iter().filter(|c| c.in_star()).cloned().collect());
    }
    let mut out = Vec::with_capacity(listed.len());
    for n in listed {
        let c = all
            .iter()
            .find(|c| &c.name == n)
            .ok_or_else(|| ch_err!(NO_SUCH_COLUMN_IN_TABLE, "No such column {n} in table"))?;
        // ClickHouse: a MATERIALIZED column cannot be listed, an ALIAS one does not exist
        // for INSERT.
        match &c.default {
            Some((crate::table::DefaultKind::Materialized, _)) => {
                return Err(ch_err!(
                    ILLEGAL_COLUMN,
                    "Cannot insert column {n}, because it is MATERIALIZED column"
                ));
            }
            Some((crate::table::DefaultKind::Alias, _)) => {
                return Err(ch_err!(
                    NO_SUCH_COLUMN_IN_TABLE,
                    "No such column {n} in table"
                ));
            }
            _ => {}
        }
        out.push(c.clone());
    }
    Ok(out)
}

/// Schema of the data an INSERT expects (for `FORMAT` input and native sample blocks).
pub fn insert_schema(cols: &[ColumnDesc]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|c| c.ty.to_field(&c.name))
            .collect::<Vec<Field>>(),
    ))
}

/// The table an INSERT writes to: its database, handle, every column, and the schema of
/// the columns the INSERT fills.
struct Target {
    db: String,
    table: crate::table::TableRef,
    all: Vec<ColumnDesc>,
    schema: SchemaRef,
}

fn resolve_target(session: &Session, ins: &Insert) -> Result<Target> {
    let db = ins
        .table
        .database
        .clone()
        .unwrap_or_else(|| session.current_db.clone());
    let entry = session.engine.catalog.table_or_err(&db, &ins.table.table)?;
    let table = entry.table.clone().ok_or_else(|| {
        ch_err!(
            TABLE_IS_READ_ONLY,
            "Table {db}.{} is a view",
            ins.table.table
        )
    })?;
    let all = table.columns();
    let cols = insert_columns(&all, &ins.columns)?;
    Ok(Target {
        db,
        table,
        schema: insert_schema(&cols),
        all,
    })
}

/// For an `INSERT` whose rows will arrive as blocks (native protocol: `VALUES` without
/// rows, or `FORMAT f` without inline data): the sample block (the columns the blocks
/// carry) and every column of the table with its default. `None` for other statements,
/// which run as they are.
pub fn block_insert_target(
    session: &Session,
    stmt: &sluice_sql::ParsedStatement,
) -> Result<Option<(SchemaRef, Vec<ColumnDesc>)>> {
    let sluice_sql::Statement::Insert(ins) = &stmt.statement else {
        return Ok(None);
    };
    let expects_blocks = match &ins.source {
        InsertSource::Values { data } => data.trim().is_empty(),
        InsertSource::Format { data, .. } => data.is_none(),
        InsertSource::Select(_) => false,
    };
    if !expects_blocks {
        return Ok(None);
    }
    let target = resolve_target(session, ins)?;
    Ok(Some((target.schema, target.all)))
}

/// Runs an INSERT.
pub async fn run(
    session: &mut Session,
    ins: Insert,
    input: Option<InsertInput>,
) -> Result<QueryOutput> {
    let Target {
        db,
        table,
        all,
        schema,
    } = resolve_target(session, &ins)?;
    let (batches, chunking): (Vec<RecordBatch>, Chunking) = match (ins.source, input) {
        (_, Some(InsertInput::Batches(b))) => (b, Chunking::AsGiven),
        (InsertSource::Select(q), _) => {
            let (_, out) = super::select::collect_query(session, *q).await?;
            let out = out
                .into_iter()
                .map(|b| relabel(&schema, b))
                .collect::<Result<Vec<_>>>()?;
            (out, Chunking::Select)
        }
        (InsertSource::Values { data }, _) => (
            values_batches(session, &schema, &data).await?,
            Chunking::Format,
        ),
        (InsertSource::Format { format, data }, input) => {
            let (fmt, bytes) = match input {
                Some(InsertInput::Bytes { format: f, data: d }) => (f.unwrap_or(format), d),
                _ => (format, data.map(|d| d.into_bytes()).unwrap_or_default()),
            };
            let mut fs = sluice_formats::FormatSettings::default();
            for (k, v) in session.settings().changed() {
                let _ = fs.set(k, v);
            }
            let _ = fs.set("session_timezone", &session.timezone());
            (read_input(&fmt, &schema, &fs, &bytes)?, Chunking::Format)
        }
    };
    let progress = Arc::new(crate::session::Progress::default());
    let mut filled_batches = Vec::with_capacity(batches.len());
    for b in batches {
        if b.num_rows() == 0 {
            continue;
        }
        let rows = b.num_rows() as u64;
        let bytes = b.get_array_memory_size() as u64;
        filled_batches.push(super::fill::fill_batch(session, &all, b).await?);
        progress.add_written(rows, bytes);
    }
    write_insert_blocks(
        session,
        &db,
        &ins.table.table,
        &table,
        filled_batches,
        Some(chunking),
    )
    .await?;
    let mut out = QueryOutput::empty();
    out.progress = progress;
    Ok(out)
}

/// Gives a query's output batch the INSERT's column names (positional, like ClickHouse).
fn relabel(schema: &SchemaRef, b: RecordBatch) -> Result<RecordBatch> {
    if b.num_columns() != schema.fields().len() {
        return Err(Error::new(
            sluice_common::ErrorCode::NUMBER_OF_COLUMNS_DOESNT_MATCH,
            format!(
                "Number of columns doesn't match: inserting {} columns into {}",
                b.num_columns(),
                schema.fields().len()
            ),
        ));
    }
    let fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .zip(schema.fields())
        .map(|(f, t)| f.as_ref().clone().with_name(t.name().clone()))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), b.columns().to_vec())
        .map_err(|e| Error::internal(e.to_string()))
}

/// `VALUES (…), (…)`: parsed as ClickHouse's Values format when the rows are literals, else
/// evaluated as SQL expressions (`VALUES (1 + 1, now())`).
async fn values_batches(
    session: &Session,
    schema: &SchemaRef,
    data: &str,
) -> Result<Vec<RecordBatch>> {
    let mut fs = sluice_formats::FormatSettings::default();
    let _ = fs.set("session_timezone", &session.timezone());
    if let Ok(b) = read_input("Values", schema, &fs, data.as_bytes()) {
        return Ok(b);
    }
    let sql = format!("SELECT * FROM (VALUES {data})");
    let stmts = sluice_sql::parse_statements(&sql)?;
    let Some(sluice_sql::Statement::Query(q)) = stmts.into_iter().next().map(|p| p.statement)
    else {
        return Err(Error::new(
            sluice_common::ErrorCode::SYNTAX_ERROR,
            "Cannot parse VALUES",
        ));
    };
    let (_, out) = super::select::collect_query(session, *q).await?;
    out.into_iter().map(|b| relabel(schema, b)).collect()
}

/// Decodes INSERT data in a ClickHouse input format into batches of `schema`.
fn read_input(
    format: &str,
    schema: &SchemaRef,
    fs: &sluice_formats::FormatSettings,
    data: &[u8],
) -> Result<Vec<RecordBatch>> {
    let mut reader = sluice_formats::input_format(format, Arc::clone(schema), fs)?;
    reader.read(data)
}

/// Writes filled batches (already in the stored schema) that do not come from an INSERT
/// statement (a view's output, CREATE TABLE … AS SELECT, POPULATE) to `table`: squashed
/// to at least the default `min_insert_block_size_rows` and cut at the default
/// `max_insert_block_size` by the storage, whatever the session's settings; a Kafka block
/// stays one insert. See [`write_insert_blocks`].
pub(crate) async fn write_blocks(
    session: &Session,
    db: &str,
    name: &str,
    table: &crate::table::TableRef,
    batches: Vec<RecordBatch>,
) -> Result<()> {
    write_insert_blocks(session, db, name, table, batches, None).await
}

/// Writes filled batches (already in the stored schema) to `table`, off the async runtime
/// (MergeTree inserts fsync), with the session's `insert_deduplication_token` for
/// MergeTree tables. An INSERT statement's rows (`chunking` given) are chunked and
/// squashed into blocks by the session's block-size settings like ClickHouse
/// ([`super::insert_blocks`]), each block one part per partition.
async fn write_insert_blocks(
    session: &Session,
    db: &str,
    name: &str,
    table: &crate::table::TableRef,
    batches: Vec<RecordBatch>,
    chunking: Option<Chunking>,
) -> Result<()> {
    // A Kafka block's rows go into one insert (whatever its size) that records the
    // block's offsets: split in two, a crash between the halves would leave a table
    // claiming the whole block. A block the view filtered out entirely still records
    // them, so it is not read again after a restart.
    let from_kafka = session.source_offsets.is_some();
    if batches.is_empty() {
        if from_kafka
            && let Some(mt) = table
                .as_any()
                .downcast_ref::<crate::tables::merge_tree::MergeTreeStorage>()
        {
            let storage = Arc::clone(mt.storage());
            let opts = sluice_storage::InsertOptions {
                source_offsets: session.source_offsets.clone().unwrap_or_default(),
                ..Default::default()
            };
            tokio::task::spawn_blocking(move || {
                storage.insert(RecordBatch::new_empty(storage.schema()), opts)
            })
            .await
            .map_err(|e| sluice_common::Error::internal(format!("insert task: {e}")))??;
        }
        return Ok(());
    }
    // A Kafka block stays one insert; other blocks not from an INSERT statement are
    // squashed to the default minimum rows; the storage splits both at the default
    // `max_insert_block_size`. An INSERT's blocks are ClickHouse's blocks, each written as
    // one part per partition.
    let (sizes, max_part_rows) = match chunking {
        _ if from_kafka => (BlockSizes::one_block(), None),
        None => (BlockSizes::default_rows(), None),
        Some(chunking) => (
            BlockSizes::of_session(session.settings(), chunking),
            Some(usize::MAX),
        ),
    };
    let blocks = insert_blocks(batches, &sizes)?;
    let token = session
        .settings()
        .get("insert_deduplication_token")
        .filter(|t| !t.is_empty());
    // `insert_deduplicate` is for Replicated tables: a MergeTree table with a
    // `non_replicated_deduplication_window` skips a repeated block whatever it says
    // (ClickHouse 26 does the same).
    let deduplicate = true;
    let no_optimize_on_insert = !session.settings().get_bool("optimize_on_insert");
    for (i, batch) in blocks.into_iter().enumerate() {
        let pushed = batch.clone();
        let t = Arc::clone(table);
        let opts = sluice_storage::InsertOptions {
            dedup_token: token.clone(),
            // ClickHouse appends the block number to the token, the first block's too: an
            // insert of one block with token `k_1` is not the second block of an insert with
            // token `k` (ch-oracle: kept), one with token `k` is its first (skipped); the
            // rows of an earlier insert's second block are new as a first block.
            block_index: i,
            deduplicate,
            source_offsets: session.source_offsets.clone().unwrap_or_default(),
            no_optimize_on_insert,
            max_part_rows,
        };
        tokio::task::spawn_blocking(move || {
            match t
                .as_any()
                .downcast_ref::<crate::tables::merge_tree::MergeTreeStorage>()
            {
                Some(mt) => mt.insert_with(batch, opts).map(|_| ()),
                None => t.insert(batch),
            }
        })
        .await
        .map_err(|e| sluice_common::Error::internal(format!("insert task: {e}")))??;
        // Materialized views see every block written to their source, except a Kafka
        // table's: an INSERT there produces messages, and its views read them back from
        // the topic.
        if crate::tables::kafka::as_kafka(table).is_none() {
            crate::mview::push(session, db, name, std::slice::from_ref(&pushed)).await?;
        }
    }
    Ok(())
}
