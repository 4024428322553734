//! A table function whose provider has ClickHouse's `_table` (the function's name) and
//! `_database` (`_table_function`) virtual columns.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;

/// `inner` under `name`, its provider with `_table`/`_database`.
#[derive(Debug)]
pub(super) struct Named {
    pub name: &'static str,
    pub inner: Arc<dyn TableFunctionImpl>,
}

impl TableFunctionImpl for Named {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let provider = self.inner.call_with_args(args)?;
        crate::tables::virtuals::wrap_named("_table_function", self.name, provider)
    }
}
