//! End-to-end tests: the UDAFs registered in a DataFusion `SessionContext` over MemTables
//! identical to the oracle's tables in `gen_cases.py`; every expected type and value in
//! `cases.tsv` comes from ClickHouse (`python3 .../tests/gen_cases.py` regenerates it).

mod format;

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float32Array, Float64Array, Int64Array, ListArray,
    StringArray, UInt8Array, UInt16Array, UInt64Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use sluice_common::ChType;

use super::{functions, resolve};

fn col(name: &str, t: &str, a: ArrayRef) -> (Arc<datafusion::arrow::datatypes::Field>, ArrayRef) {
    let t = ChType::parse(t).unwrap();
    (Arc::new(t.to_field(name)), a)
}

fn batch(cols: Vec<(Arc<datafusion::arrow::datatypes::Field>, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<_>, Vec<_>) = cols.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// Table `t` of gen_cases.py.
fn table_t() -> RecordBatch {
    let n: Vec<u64> = (0..10).collect();
    let arr_vals: Vec<u8> = n.iter().flat_map(|v| 0..(*v % 4) as u8).collect();
    let arr = ListArray::new(
        Arc::new(ChType::UInt8.to_field("item")),
        OffsetBuffer::from_lengths(n.iter().map(|v| (*v % 4) as usize)),
        Arc::new(UInt8Array::from(arr_vals)),
        None,
    );
    batch(vec![
        col("number", "UInt64", Arc::new(UInt64Array::from(n.clone()))),
        col(
            "x",
            "Nullable(UInt64)",
            Arc::new(UInt64Array::from_iter(
                n.iter().map(|v| (v % 3 != 0).then_some(*v)),
            )),
        ),
        col(
            "s",
            "String",
            Arc::new(StringArray::from_iter_values(
                n.iter().map(|v| v.to_string()),
            )),
        ),
        col(
            "i",
            "Int64",
            Arc::new(Int64Array::from_iter_values(
                n.iter().map(|v| *v as i64 - 5),
            )),
        ),
        col(
            "f",
            "Float32",
            Arc::new(Float32Array::from_iter_values(
                n.iter().map(|v| (*v as f64 / 4.0) as f32),
            )),
        ),
        col(
            "d",
            "Float64",
            Arc::new(Float64Array::from_iter_values(
                n.iter().map(|v| *v as f64 / 4.0),
            )),
        ),
        col(
            "dec",
            "Decimal(9, 2)",
            Arc::new(
                Decimal128Array::from_iter_values(n.iter().map(|v| *v as i128 * 25))
                    .with_precision_and_scale(9, 2)
                    .unwrap(),
            ),
        ),
        col(
            "dt",
            "Date",
            Arc::new(Date32Array::from_iter_values(
                n.iter().map(|v| *v as i32 * 1000),
            )),
        ),
        col(
            "c",
            "UInt8",
            Arc::new(UInt8Array::from_iter_values(
                n.iter().map(|v| (*v % 2) as u8),
            )),
        ),
        col(
            "n",
            "Nullable(UInt64)",
            Arc::new(UInt64Array::from(vec![None::<u64>; 10])),
        ),
        col("arr", "Array(UInt8)", Arc::new(arr)),
    ])
}

/// Table `big` of gen_cases.py.
fn table_big() -> RecordBatch {
    let n: Vec<u64> = (0..300_000).collect();
    batch(vec![
        col("number", "UInt64", Arc::new(UInt64Array::from(n.clone()))),
        col(
            "s",
            "String",
            Arc::new(StringArray::from_iter_values(
                n.iter().map(|v| v.to_string()),
            )),
        ),
        col(
            "m",
            "UInt16",
            Arc::new(UInt16Array::from_iter_values(
                n.iter().map(|v| (*v % 1000) as u16),
            )),
        ),
    ])
}

/// Rewrites ClickHouse parametric calls `f(p…)(args…)` into calls of the function named
/// `"f(p…)"` and quotes other function names (DataFusion lower-cases unquoted ones), as
/// the engine does; returns the names used.
pub fn rewrite_parametric(sql: &str) -> (String, Vec<String>) {
    let b = sql.as_bytes();
    let mut out = String::new();
    let mut names = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if i < b.len() && b[i] == b'(' {
                let mut depth = 0;
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j + 1 < b.len() && b[j + 1] == b'(' {
                    let name = format!("{}{}", &sql[start..i], &sql[i..=j]);
                    out.push('"');
                    out.push_str(&name);
                    out.push('"');
                    names.push(name);
                    i = j + 1;
                    continue;
                }
                // DataFusion lower-cases unquoted function names: quote them.
                out.push('"');
                out.push_str(&sql[start..i]);
                out.push('"');
                names.push(sql[start..i].to_string());
                continue;
            }
            out.push_str(&sql[start..i]);
            continue;
        }
        out.push(b[i] as char);
        i += 1;
    }
    (out, names)
}

async fn context() -> SessionContext {
    let cfg =
        SessionConfig::new().set_bool("datafusion.sql_parser.enable_ident_normalization", false);
    let ctx = SessionContext::new_with_config(cfg);
    for f in functions() {
        ctx.register_udaf(f);
    }
    ctx.register_udf(super::finalize::finalize_aggregation());
    for (name, b) in [("t", table_t()), ("big", table_big())] {
        let t = MemTable::try_new(b.schema(), vec![vec![b]]).unwrap();
        ctx.register_table(name, Arc::new(t)).unwrap();
    }
    let (states, names) = rewrite_parametric(STATES);
    for n in names {
        if let Some(f) = resolve(&n).unwrap() {
            ctx.register_udaf(f);
        }
    }
    for (view, w) in [("ts", ""), ("tse", " WHERE number > 100")] {
        ctx.sql(&format!("CREATE VIEW {view} AS SELECT {states} FROM t{w}"))
            .await
            .unwrap();
    }
    ctx
}

/// The state views `ts`/`tse` of gen_cases.py (keep in sync with its `STATES`).
const STATES: &str = "sumState(number) AS st_sum, countState(x) AS st_count, avgState(i) AS st_avg,
    minState(s) AS st_min, maxState(dec) AS st_max, argMaxState(s, i) AS st_argmax,
    sumIfState(number, c) AS st_sumif, sumStateIf(number, c) AS st_sumstateif, sumState(x) AS st_sumx,
    uniqState(number) AS st_uniq, groupArrayState(s) AS st_ga, quantilesState(0.5, 0.9)(number) AS st_q,
    uniqExactState(s) AS st_ue, uniqState(x) AS st_ux, avgState(x) AS st_avgx";

/// Runs `SELECT expr FROM table [WHERE w]`, returning (ClickHouse type, TSV value).
pub async fn eval(
    ctx: &SessionContext,
    table: &str,
    expr: &str,
    whr: &str,
) -> Result<(String, String), String> {
    let (inner, hex) = match expr.strip_prefix("hex(").and_then(|e| e.strip_suffix(')')) {
        Some(e) => (e, true),
        None => (expr, false),
    };
    let (inner, names) = rewrite_parametric(inner);
    for n in names {
        if let Some(f) = resolve(&n).map_err(|e| e.to_string())? {
            ctx.register_udaf(f);
        }
    }
    let w = if whr.is_empty() {
        String::new()
    } else {
        format!(" WHERE {whr}")
    };
    let sql = format!("SELECT {inner} AS r FROM {table}{w}");
    let df = ctx.sql(&sql).await.map_err(|e| e.to_string())?;
    let batches = df.collect().await.map_err(|e| e.to_string())?;
    let b = batches.iter().find(|b| b.num_rows() > 0).ok_or("no rows")?;
    let field = b.schema().field(0).clone();
    let t = ChType::from_field(&field);
    let a = b.column(0);
    if hex {
        let v = format::binary_hex(a, 0);
        return Ok(("String".into(), v));
    }
    Ok((t.to_string(), format::tsv(a, 0, &t)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_cases() {
    let ctx = context().await;
    let text = include_str!("cases.tsv");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let parts: Vec<&str> = line.splitn(5, '\t').collect();
        let [table, expr, whr, ty, val] = parts[..] else {
            continue;
        };
        if ty == "ERROR" {
            continue;
        }
        checked += 1;
        match eval(&ctx, table, expr, whr).await {
            Ok((got_t, got_v)) => {
                let value_matters = !ty.starts_with("AggregateFunction");
                if got_t != ty || (value_matters && got_v != val) {
                    failures.push(format!(
                        "{expr} [{whr}]: want {ty} {val}, got {got_t} {got_v}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{expr} [{whr}]: error {e}")),
        }
    }
    assert!(checked > 50, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `GROUP BY` queries (vectorized accumulators, partial/final state exchange) against
/// `grouped.tsv` from the oracle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_cases() {
    let ctx = context().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in include_str!("grouped.tsv").lines() {
        let parts: Vec<&str> = line.splitn(4, '\t').collect();
        let [table, select, key, want] = parts[..] else {
            continue;
        };
        checked += 1;
        let (select_sql, names) = rewrite_parametric(select);
        for n in names {
            if let Some(f) = resolve(&n).unwrap() {
                ctx.register_udaf(f);
            }
        }
        let sql = format!(
            "SELECT {key}, {select_sql} FROM {table} GROUP BY {key} ORDER BY {key} LIMIT 20"
        );
        let got = match ctx.sql(&sql).await {
            Ok(df) => match df.collect().await {
                Ok(batches) => {
                    let mut rows = Vec::new();
                    for b in &batches {
                        for r in 0..b.num_rows() {
                            let cells: Vec<String> = (0..b.num_columns())
                                .map(|c| {
                                    let t = ChType::from_field(b.schema().field(c));
                                    format::tsv(b.column(c), r, &t)
                                })
                                .collect();
                            rows.push(cells.join("\t"));
                        }
                    }
                    rows.join(" | ")
                }
                Err(e) => format!("error {e}"),
            },
            Err(e) => format!("error {e}"),
        };
        if got != want {
            failures.push(format!("{sql}:\n  want {want}\n  got  {got}"));
        }
    }
    assert!(checked >= 5, "only {checked} grouped cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} grouped cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
