//! Test helpers: simple `BatchExpr`s (columns by name, closures), schemas from ClickHouse
//! type names, and reading a table back as sorted TSV lines.

#![allow(dead_code)]

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;
use sluice_common::{ChType, Result};
use sluice_storage::{BatchExpr, MergeTreeEngine, MergeTreeSettings, MergeTreeTable, TableSpec};

/// Columns by name.
#[derive(Debug)]
pub struct Cols(pub Vec<String>);

impl Cols {
    pub fn expr(names: &[&str]) -> Arc<dyn BatchExpr> {
        Arc::new(Cols(names.iter().map(|s| s.to_string()).collect()))
    }
}

impl BatchExpr for Cols {
    fn eval(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        self.0
            .iter()
            .map(|n| {
                batch
                    .column_by_name(n)
                    .cloned()
                    .ok_or_else(|| sluice_common::Error::internal(format!("no column {n}")))
            })
            .collect()
    }
    fn text(&self) -> String {
        self.0.join(", ")
    }
    fn columns(&self) -> Vec<String> {
        self.0.clone()
    }
}

type EvalFn = dyn Fn(&RecordBatch) -> Result<Vec<ArrayRef>> + Send + Sync;

/// An expression given as a closure.
pub struct FnExpr {
    pub text: String,
    pub columns: Vec<String>,
    pub f: Box<EvalFn>,
}

impl std::fmt::Debug for FnExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FnExpr({})", self.text)
    }
}

impl BatchExpr for FnExpr {
    fn eval(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        (self.f)(batch)
    }
    fn text(&self) -> String {
        self.text.clone()
    }
    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }
}

pub fn fn_expr(
    text: &str,
    columns: &[&str],
    f: impl Fn(&RecordBatch) -> Result<Vec<ArrayRef>> + Send + Sync + 'static,
) -> Arc<dyn BatchExpr> {
    Arc::new(FnExpr {
        text: text.into(),
        columns: columns.iter().map(|s| s.to_string()).collect(),
        f: Box::new(f),
    })
}

/// A schema from `(name, ClickHouse type)` pairs.
pub fn schema(cols: &[(&str, &str)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| ChType::parse(t).expect("type").to_field(n))
            .collect::<Vec<_>>(),
    ))
}

/// A spec with `ORDER BY key` (plain columns).
pub fn spec(engine: MergeTreeEngine, schema: SchemaRef, key: &[&str]) -> TableSpec {
    TableSpec {
        engine,
        schema,
        sorting_key: if key.is_empty() {
            None
        } else {
            Some(Cols::expr(key))
        },
        sorting_key_columns: key.iter().map(|s| s.to_string()).collect(),
        partition_key: None,
        ttl: None,
        settings: MergeTreeSettings::default(),
    }
}

/// Rows of a record batch as TSV lines.
pub fn tsv(batches: &[RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let cells: Vec<String> = b
                .columns()
                .iter()
                .map(|c| {
                    if c.is_null(r) {
                        "\\N".to_string()
                    } else {
                        array_value_to_string(c, r).expect("display")
                    }
                })
                .collect();
            out.push(cells.join("\t"));
        }
    }
    out
}

/// `SELECT * FROM t [FINAL]` as sorted TSV lines.
pub async fn select(table: &MergeTreeTable, final_: bool) -> Vec<String> {
    select_sql(table, final_, "SELECT * FROM t").await
}

/// Any query over the table registered as `t`, rows sorted.
pub async fn select_sql(table: &MergeTreeTable, final_: bool, sql: &str) -> Vec<String> {
    let ctx = SessionContext::new();
    ctx.register_table("t", table.provider(final_))
        .expect("register");
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let mut lines = tsv(&batches);
    lines.sort();
    lines
}

/// Sorted copy of expected lines.
pub fn sorted(lines: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Active part names, sorted.
pub fn part_names(table: &MergeTreeTable) -> Vec<String> {
    let mut v: Vec<String> = table
        .parts()
        .into_iter()
        .filter(|p| p.active)
        .map(|p| p.name)
        .collect();
    v.sort();
    v
}

/// A batch from rows of text cells, each cast from `Utf8` to its column type (`\N` = NULL).
pub fn rows(schema: &SchemaRef, rows: &[&[&str]]) -> RecordBatch {
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::compute::cast;
    let cols: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let texts: StringArray = rows
                .iter()
                .map(|r| if r[i] == "\\N" { None } else { Some(r[i]) })
                .collect();
            let texts: ArrayRef = Arc::new(texts);
            cast(&texts, f.data_type()).expect("cast test value")
        })
        .collect();
    RecordBatch::try_new(Arc::clone(schema), cols).expect("batch")
}
