//! `ENGINE = Memory`: rows kept in RAM for the life of the process.

use std::any::Any;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::RwLock;
use sluice_common::Result;

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
