//! The column list of `OPTIMIZE TABLE … DEDUPLICATE BY …` as ClickHouse expands it:
//! names, `*` (the columns `SELECT *` gives: not MATERIALIZED, ALIAS or EPHEMERAL),
//! `COLUMNS('re')` (those whose name matches the RE2 pattern anywhere), then `EXCEPT`.
//! A named column must be stored (ordinary, DEFAULT or MATERIALIZED); the list must not
//! be empty and must hold every column the sorting, primary and partition keys use.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::Schema;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value,
};
use sluice_common::{Error, Result, ch_err};

use crate::compiled_expr::compile_texts;
use crate::session::Session;
use crate::table::{ColumnDesc, DefaultKind};
use crate::tables::merge_tree::MergeTreeStorage;

/// Columns `*` stands for.
fn star_columns(columns: &[ColumnDesc]) -> Vec<&ColumnDesc> {
    columns
        .iter()
        .filter(|c| {
            !matches!(
                c.default.as_ref().map(|(k, _)| *k),
                Some(DefaultKind::Materialized | DefaultKind::Alias | DefaultKind::Ephemeral)
            )
        })
        .collect()
}

/// The pattern of `COLUMNS('re')`, when `e` is one.
fn columns_pattern(e: &Expr) -> Option<String> {
    let Expr::Function(f) = e else { return None };
    if !f.name.to_string().eq_ignore_ascii_case("COLUMNS") {
        return None;
    }
    let FunctionArguments::List(l) = &f.args else {
        return None;
    };
    match l.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))] => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The names among `names` that `pattern` matches (ClickHouse's `match`).
async fn matching(session: &Session, names: &[&str], pattern: &str) -> Result<Vec<String>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
    let texts: Vec<String> = names
        .iter()
        .map(|n| format!("match({}, {})", quote(n), quote(pattern)))
        .collect();
    let compiled = compile_texts(session, &[], &texts, String::new()).await?;
    let one_row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(|e| Error::internal(format!("COLUMNS pattern batch: {e}")))?;
    let values = sluice_storage::BatchExpr::eval(compiled.as_ref(), &one_row)?;
    let mut out = Vec::new();
    for (name, v) in names.iter().zip(values) {
        let v =
            datafusion::arrow::compute::cast(&v, &datafusion::arrow::datatypes::DataType::Boolean)
                .map_err(|e| Error::internal(format!("COLUMNS pattern: {e}")))?;
        let b = v.as_boolean();
        if !b.is_empty() && b.is_valid(0) && b.value(0) {
            out.push((*name).to_string());
        }
    }
    Ok(out)
}

/// Expands and checks the `DEDUPLICATE BY` list of `o` for table `mt`.
/// `table` names the table in errors (`db.t`).
pub(crate) async fn deduplicate_by_columns(
    session: &Session,
    mt: &MergeTreeStorage,
    table: &str,
    o: &sluice_sql::Optimize,
) -> Result<Vec<String>> {
    let columns = crate::table::Table::columns(mt);
    let mut names: Vec<String> = Vec::new();
    for e in &o.deduplicate_by {
        let expanded: Vec<String> = match e {
            Expr::Wildcard(_) => star_columns(&columns)
                .iter()
                .map(|c| c.name.clone())
                .collect(),
            Expr::Identifier(id) => vec![id.value.clone()],
            other => match columns_pattern(other) {
                Some(p) => {
                    let star: Vec<&str> = star_columns(&columns)
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    matching(session, &star, &p).await?
                }
                None => {
                    return Err(ch_err!(
                        BAD_ARGUMENTS,
                        "DEDUPLICATE BY takes column names, `*` or COLUMNS('regexp'), not {other}"
                    ));
                }
            },
        };
        names.extend(expanded);
    }
    names.retain(|n| !o.deduplicate_except.contains(n));
    // The stored columns (ordinary, DEFAULT, MATERIALIZED).
    let stored: Vec<&str> = columns
        .iter()
        .filter(|c| {
            !matches!(
                c.default.as_ref().map(|(k, _)| *k),
                Some(DefaultKind::Alias | DefaultKind::Ephemeral)
            )
        })
        .map(|c| c.name.as_str())
        .collect();
    if let Some(n) = names.iter().find(|n| !stored.contains(&n.as_str())) {
        return Err(ch_err!(
            NO_SUCH_COLUMN_IN_TABLE,
            "There is no column with name `{n}` in table {table}. There are columns: {}",
            stored.join(", ")
        ));
    }
    if names.is_empty() {
        return Err(ch_err!(
            EMPTY_LIST_OF_COLUMNS_QUERIED,
            "Empty list of columns queried. There are columns: {}",
            stored.join(", ")
        ));
    }
    let spec = mt.storage().spec();
    let mut required: Vec<String> = Vec::new();
    for key in [&spec.sorting_key, &spec.partition_key]
        .into_iter()
        .flatten()
    {
        for c in key.columns() {
            if !required.contains(&c) {
                required.push(c);
            }
        }
    }
    if let Some(missing) = required.iter().find(|c| !names.contains(c)) {
        return Err(ch_err!(
            THERE_IS_NO_COLUMN,
            "DEDUPLICATE BY expression must include all columns used in table's ORDER BY, \
             PRIMARY KEY, or PARTITION BY but '{missing}' is missing. Expanded DEDUPLICATE BY \
             columns expression: ['{}']",
            names.join("', '")
        ));
    }
    Ok(names)
}
