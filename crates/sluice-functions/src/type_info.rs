//! ClickHouse type_info functions.

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    Vec::new()
}
