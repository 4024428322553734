//! `numbers(N)`, `numbers(start, N[, step])`, `zeros(N)`.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;
use sluice_common::ErrorCode;

use super::{ch, const_u64};
use crate::system::NumbersTable;

#[derive(Debug)]
pub(super) struct NumbersFunc {
    pub zeros: bool,
}

impl TableFunctionImpl for NumbersFunc {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if self.zeros {
            return match exprs {
                [n] => Ok(Arc::new(NumbersTable::zeros(Some(const_u64(n)?)))),
                _ => Err(ch(
                    ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                    "Table function 'zeros' requires 'length'",
                )),
            };
        }
        match exprs {
            [n] => Ok(Arc::new(NumbersTable::new(
                "number",
                0,
                Some(const_u64(n)?),
            ))),
            [s, n] => Ok(Arc::new(NumbersTable::new(
                "number",
                const_u64(s)?,
                Some(const_u64(n)?),
            ))),
            [s, n, step] => {
                let step = const_u64(step)?;
                if step == 0 {
                    return Err(ch(
                        ErrorCode::BAD_ARGUMENTS,
                        "Table function 'numbers' requires step to be a positive number",
                    ));
                }
                let n = const_u64(n)?;
                // numbers(start, length, step): values start, start+step, … below start+length.
                let count = n.div_ceil(step);
                Ok(Arc::new(
                    NumbersTable::new("number", const_u64(s)?, Some(count)).with_step(step),
                ))
            }
            _ => Err(ch(
                ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Table function 'numbers' requires 'length' or 'offset', 'length'",
            )),
        }
    }
}
