//! `ENGINE = Memory`: rows kept in RAM for the life of the process; `ALTER TABLE … DELETE /
//! UPDATE` rewrite the batches at once (ClickHouse's Memory mutations).

use std::any::Any;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{cast, filter_record_batch, not};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::RwLock;
use sluice_common::{Error, Result, ch_err};
use sluice_storage::BatchExpr;
use sluice_storage::defaults::convert_column;

use crate::table::{ColumnDesc, Table, stored_schema};

/// A Memory table.
#[derive(Debug)]
pub struct MemoryTable {
    columns: RwLock<Vec<ColumnDesc>>,
    batches: Arc<RwLock<Vec<RecordBatch>>>,
}

impl MemoryTable {
    /// An empty table with these columns.
    pub fn new(columns: Vec<ColumnDesc>) -> Self {
        Self {
            columns: RwLock::new(columns),
            batches: Arc::new(RwLock::new(Vec::new())),
        }
    }
}

impl MemoryTable {
    /// `ALTER TABLE … DELETE WHERE predicate` (ClickHouse mutates a Memory table at once):
    /// every batch loses its matching rows (NULL = no match). All or nothing.
    pub fn mutate_delete(&self, predicate: &dyn BatchExpr) -> Result<()> {
        self.rewrite(|b| {
            let mask = match_mask(predicate, &b)?;
            let keep = not(&mask).map_err(arrow_err)?;
            filter_record_batch(&b, &keep).map_err(arrow_err)
        })
    }

    /// `ALTER TABLE … UPDATE col = expr, … WHERE predicate`: the matching rows take the
    /// values of the expressions (already cast to the columns' types). All or nothing.
    pub fn mutate_update(
        &self,
        assignments: &[(String, Arc<dyn BatchExpr>)],
        predicate: &dyn BatchExpr,
    ) -> Result<()> {
        let schema = stored_schema(&self.columns.read());
        self.rewrite(|b| {
            let mask = match_mask(predicate, &b)?;
            let mut columns: Vec<ArrayRef> = b.columns().to_vec();
            for (name, expr) in assignments {
                let idx = schema.index_of(name).map_err(|_| {
                    ch_err!(
                        NO_SUCH_COLUMN_IN_TABLE,
                        "There is no column {name} in table"
                    )
                })?;
                let values = expr.eval(&b)?;
                let v = values
                    .first()
                    .ok_or_else(|| Error::internal("update expression returned no column"))?;
                let v = convert_column(v, schema.field(idx))?;
                columns[idx] = zip(&mask, &v, b.column(idx)).map_err(arrow_err)?;
            }
            RecordBatch::try_new(b.schema(), columns).map_err(arrow_err)
        })
    }

    /// Replaces every batch by `f(batch)`, or nothing when one fails.
    fn rewrite(&self, f: impl Fn(RecordBatch) -> Result<RecordBatch>) -> Result<()> {
        let mut batches = self.batches.write();
        let mut out = Vec::with_capacity(batches.len());
        for b in batches.iter() {
            let nb = f(b.clone())?;
            if nb.num_rows() > 0 {
                out.push(nb);
            }
        }
        *batches = out;
        Ok(())
    }
}

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("Memory mutation: {e}"))
}

/// The predicate's value per row as a mask (NULL = false).
fn match_mask(predicate: &dyn BatchExpr, batch: &RecordBatch) -> Result<BooleanArray> {
    let values = predicate.eval(batch)?;
    let col = values
        .first()
        .ok_or_else(|| Error::internal("mutation predicate returned no column"))?;
    let b = cast(col, &DataType::Boolean).map_err(|e| {
        ch_err!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of column for filter: {e}",
            col.data_type()
        )
    })?;
    Ok(b.as_boolean()
        .iter()
        .map(|v| Some(v.unwrap_or(false)))
        .collect())
}

impl Table for MemoryTable {
    fn engine(&self) -> &str {
        "Memory"
    }

    fn columns(&self) -> Vec<ColumnDesc> {
        self.columns.read().clone()
    }

    fn provider(&self) -> Arc<dyn TableProvider> {
        Arc::new(MemoryProvider {
            schema: stored_schema(&self.columns.read()),
            batches: Arc::clone(&self.batches),
        })
    }

    fn insert(&self, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() > 0 {
            self.batches.write().push(batch);
        }
        Ok(())
    }

    fn truncate(&self) -> Result<()> {
        self.batches.write().clear();
        Ok(())
    }

    fn total_rows(&self) -> Option<u64> {
        Some(
            self.batches
                .read()
                .iter()
                .map(|b| b.num_rows() as u64)
                .sum(),
        )
    }

    fn total_bytes(&self) -> Option<u64> {
        Some(
            self.batches
                .read()
                .iter()
                .map(|b| b.get_array_memory_size() as u64)
                .sum(),
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct MemoryProvider {
    schema: SchemaRef,
    batches: Arc<RwLock<Vec<RecordBatch>>>,
}

#[async_trait::async_trait]
impl TableProvider for MemoryProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let batches: Vec<RecordBatch> = self.batches.read().clone();
        let mem = MemTable::try_new(Arc::clone(&self.schema), vec![batches])?;
        mem.scan(state, projection, filters, limit).await
    }
}
