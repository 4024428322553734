//! ClickHouse aggregate functions.

use datafusion::logical_expr::AggregateUDF;

/// The functions of this family.
pub fn functions() -> Vec<AggregateUDF> {
    Vec::new()
}
