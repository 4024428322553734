//! `file(path, format[, structure])`.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;
use sluice_common::ErrorCode;

use super::ch;

#[derive(Debug)]
pub(super) struct FileFunc;

impl TableFunctionImpl for FileFunc {
    fn call_with_args(&self, _args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        Err(ch(
            ErrorCode::NOT_IMPLEMENTED,
            "Table function 'file' is not implemented in Sluice yet",
        ))
    }
}
