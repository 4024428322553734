//! Exposes the Sluice [`Catalog`] to DataFusion: one catalog (`sluice`) whose schemas are
//! Sluice databases, plus the virtual `system` database.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::error::Result as DfResult;

use crate::catalog::Catalog;
use crate::system::SystemTables;

/// DataFusion catalog name under which Sluice databases appear.
pub const CATALOG_NAME: &str = "sluice";

/// The bridge catalog.
#[derive(Debug)]
pub struct SluiceCatalogProvider {
    catalog: Arc<Catalog>,
    system: Arc<SystemTables>,
}

impl SluiceCatalogProvider {
    /// Wraps a catalog.
    pub fn new(catalog: Arc<Catalog>, system: Arc<SystemTables>) -> Self {
        Self { catalog, system }
    }
}

impl CatalogProvider for SluiceCatalogProvider {
    fn schema_names(&self) -> Vec<String> {
        self.catalog.database_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if name == "system" {
            return Some(Arc::new(SystemSchema {
                system: Arc::clone(&self.system),
            }));
        }
        if !self.catalog.database_exists(name) {
            // Reading `db.t` of a missing (or detached) database is UNKNOWN_DATABASE.
            return Some(Arc::new(MissingDatabase {
                db: name.to_string(),
            }));
        }
        Some(Arc::new(DatabaseSchema {
            catalog: Arc::clone(&self.catalog),
            db: name.to_string(),
        }))
    }
}

/// A database that does not exist: every table lookup fails with `UNKNOWN_DATABASE`.
#[derive(Debug)]
struct MissingDatabase {
    db: String,
}

#[async_trait]
impl SchemaProvider for MissingDatabase {
    fn table_names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn table(&self, _name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        Err(datafusion::error::DataFusionError::External(Box::new(
            sluice_common::ch_err!(UNKNOWN_DATABASE, "Database {} does not exist", self.db),
        )))
    }

    fn table_exist(&self, _name: &str) -> bool {
        false
    }
}

#[derive(Debug)]
struct DatabaseSchema {
    catalog: Arc<Catalog>,
    db: String,
}

#[async_trait]
impl SchemaProvider for DatabaseSchema {
    fn table_names(&self) -> Vec<String> {
        self.catalog
            .tables(&self.db)
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        // A query reading the engine's virtual columns names the table with
        // VIRTUALS_SUFFIX (see rewrite::query).
        let (name, virtuals) = match name.strip_suffix(VIRTUALS_SUFFIX) {
            Some(base) => (base, true),
            None => (name, false),
        };
        // `t FINAL` arrives as `t` + FINAL_SUFFIX (see rewrite::query).
        if let Some(base) = name.strip_suffix(FINAL_SUFFIX) {
            let Some(table) = self
                .catalog
                .table(&self.db, base)
                .and_then(|e| e.table.clone())
            else {
                return Ok(None);
            };
            return table
                .final_provider()
                .map(|p| match virtuals {
                    true => crate::tables::virtuals::wrap(&table, &self.db, base, p),
                    false => Ok(p),
                })
                .transpose();
        }
        // A direct read of a Kafka table consumes once, now (see rewrite::query).
        if let Some(base) = name.strip_suffix(DIRECT_SUFFIX) {
            let Some(table) = self
                .catalog
                .table(&self.db, base)
                .and_then(|e| e.table.clone())
            else {
                return Ok(None);
            };
            let batch = tokio::task::spawn_blocking(move || {
                crate::tables::kafka::as_kafka(&table)
                    .ok_or_else(|| {
                        sluice_common::Error::internal("direct read of a non-Kafka table")
                    })?
                    .direct_select()
            })
            .await
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            let mem = datafusion::datasource::MemTable::try_new(batch.schema(), vec![vec![batch]])?;
            return Ok(Some(Arc::new(mem)));
        }
        let Some(table) = self
            .catalog
            .table(&self.db, name)
            .and_then(|e| e.table.clone())
        else {
            return Ok(None);
        };
        if !virtuals {
            return Ok(Some(table.provider()));
        }
        crate::tables::virtuals::wrap(&table, &self.db, name, table.provider()).map(Some)
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.strip_suffix(VIRTUALS_SUFFIX).unwrap_or(name);
        let base = name.strip_suffix(FINAL_SUFFIX).unwrap_or(name);
        let base = base.strip_suffix(DIRECT_SUFFIX).unwrap_or(base);
        self.catalog.table(&self.db, base).is_some()
    }
}

/// Appended to a table's name when the query reads it `FINAL`; the schema provider then
/// returns [`crate::table::Table::final_provider`].
pub const FINAL_SUFFIX: &str = "\u{1}FINAL";

/// Appended to a Kafka table's name when a query reads it directly
/// (`stream_like_engine_allow_direct_select = 1`); the schema provider then consumes one
/// block ([`crate::tables::kafka::KafkaTable::direct_select`]) and serves it.
pub const DIRECT_SUFFIX: &str = "\u{1}DIRECT";

/// Appended (last) to a table's or table function's name when the query reads the virtual
/// columns the engine computes (`_table`, `_database`, MergeTree's `_block_number`, …):
/// only then does the provider have them ([`crate::tables::virtuals`]), so `SELECT *` over
/// a join of two tables is not ambiguous about them.
pub const VIRTUALS_SUFFIX: &str = "\u{1}VIRTUALS";

#[derive(Debug)]
struct SystemSchema {
    system: Arc<SystemTables>,
}

#[async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        self.system.names().iter().map(|s| s.to_string()).collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let (name, virtuals) = match name.strip_suffix(VIRTUALS_SUFFIX) {
            Some(base) => (base, true),
            None => (name, false),
        };
        let provider = self
            .system
            .provider(name)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        match (provider, virtuals) {
            (Some(p), true) => crate::tables::virtuals::wrap_named("system", name, p).map(Some),
            (p, _) => Ok(p),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.strip_suffix(VIRTUALS_SUFFIX).unwrap_or(name);
        self.system.names().contains(&name)
    }
}
