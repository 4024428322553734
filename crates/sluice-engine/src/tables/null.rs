//! `ENGINE = Null`: accepts inserts (so materialized views fire) and stores nothing.

use std::any::Any;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, TableProvider};
use parking_lot::RwLock;
use sluice_common::Result;

use crate::table::{ColumnDesc, Table, stored_schema};

/// A Null table.
#[derive(Debug)]
pub struct NullTable {
    columns: RwLock<Vec<ColumnDesc>>,
}

impl NullTable {
    /// A Null table with these columns.
    pub fn new(columns: Vec<ColumnDesc>) -> Self {
        Self {
            columns: RwLock::new(columns),
        }
    }
}

impl Table for NullTable {
    fn engine(&self) -> &str {
        "Null"
    }

    fn columns(&self) -> Vec<ColumnDesc> {
        self.columns.read().clone()
    }

    fn provider(&self) -> Arc<dyn TableProvider> {
        let schema = stored_schema(&self.columns.read());
        match MemTable::try_new(Arc::clone(&schema), vec![vec![]]) {
            Ok(t) => Arc::new(t),
            Err(_) => Arc::new(datafusion::datasource::empty::EmptyTable::new(schema)),
        }
    }

    fn insert(&self, _batch: RecordBatch) -> Result<()> {
        Ok(())
    }

    fn truncate(&self) -> Result<()> {
        Ok(())
    }

    fn total_rows(&self) -> Option<u64> {
        Some(0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
