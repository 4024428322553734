//! Runs every `sql-tests/**/*.slt` file against a fresh Sluice engine.
//!
//! Each query's result is rendered in its output format (TSV unless the query says
//! `FORMAT …`) exactly as `sluice local` prints it, one expected line per output line
//! (an empty output line is written `(empty)`). Expected outputs come from ClickHouse via
//! `sql-tests/regen.py FILE…`, never by hand.
//!
//! `cargo test -p sluice-engine --test sqllogictest [-- FILTER]`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use sluice_engine::{Engine, EngineConfig, Session};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

struct SluiceDb {
    session: Session,
}

#[async_trait::async_trait]
impl AsyncDB for SluiceDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        run_sql(&mut self.session, sql)
            .await
            .map_err(|e| SltError(e.to_clickhouse_string()))
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "sluice"
    }
}

async fn run_sql(
    session: &mut Session,
    sql: &str,
) -> sluice_common::Result<DBOutput<DefaultColumnType>> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut had_rows = false;
    for stmt in session.parse(sql)? {
        let out = session.execute(stmt, None).await?;
        let Some(mut stream) = out.stream else {
            continue;
        };
        had_rows = true;
        let format = out.format.clone().unwrap_or_else(|| "TSV".to_string());
        let mut fs = sluice_formats::FormatSettings::default();
        for (k, v) in session.settings().changed() {
            let _ = fs.set(k, v);
        }
        let _ = fs.set("session_timezone", &session.timezone());
        let mut w = sluice_formats::output_format(&format, Arc::clone(&out.schema), &fs)?;
        let mut buf = Vec::new();
        w.write_prefix(&mut buf)?;
        while let Some(b) = stream.next().await {
            let b = b.map_err(sluice_engine::from_datafusion)?;
            w.write_batch(&b, &mut buf)?;
        }
        if let Some(t) = &out.totals {
            w.write_totals(t, &mut buf)?;
        }
        let stats = sluice_formats::QueryStatistics::default();
        w.write_suffix(&mut buf, &stats)?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        for line in text.strip_suffix('\n').unwrap_or(&text).split('\n') {
            if text.is_empty() {
                break;
            }
            let line = if line.is_empty() {
                "(empty)".to_string()
            } else {
                line.to_string()
            };
            lines.push(vec![line]);
        }
    }
    if had_rows {
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Text],
            rows: lines,
        })
    } else {
        Ok(DBOutput::StatementComplete(0))
    }
}

fn exact_validator(
    _normalizer: sqllogictest::Normalizer,
    actual: &[Vec<String>],
    expected: &[String],
) -> bool {
    let actual: Vec<String> = actual.iter().map(|r| r.join("\t")).collect();
    let expected: Vec<String> = expected.iter().map(|s| s.trim_end().to_string()).collect();
    let actual: Vec<String> = actual.iter().map(|s| s.trim_end().to_string()).collect();
    actual == expected
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "slt") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql-tests");
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.retain(|f| {
        filters.is_empty() || filters.iter().any(|flt| f.to_string_lossy().contains(flt))
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut failed = Vec::new();
    let mut queries = 0usize;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        queries += text
            .lines()
            .filter(|l| l.starts_with("query") || l.starts_with("statement"))
            .count();
        let dir = tempfile_dir(f);
        let result = rt.block_on(async {
            let engine = Engine::open(EngineConfig {
                path: Some(dir.clone()),
                ..EngineConfig::default()
            })
            .await
            .map_err(|e| e.to_clickhouse_string())?;
            let mut runner = Runner::new(move || {
                let engine = Arc::clone(&engine);
                async move {
                    Ok::<_, SltError>(SluiceDb {
                        session: engine.session(),
                    })
                }
            });
            runner.with_validator(exact_validator);
            // Run every record, collecting failures, so one file reports all its problems.
            let records = sqllogictest::parse_file::<DefaultColumnType>(f)
                .map_err(|e| format!("parse error: {e}"))?;
            let mut errors = Vec::new();
            for record in records {
                if let Err(e) = runner.run_async(record).await {
                    errors.push(format!("{}", e.display(true)));
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} failed records:\n{}",
                    errors.len(),
                    errors.join("\n")
                ))
            }
        });
        let _ = std::fs::remove_dir_all(&dir);
        match result {
            Ok(()) => println!("PASS {}", f.display()),
            Err(e) => {
                println!("FAIL {}\n{e}", f.display());
                failed.push(f.clone());
            }
        }
    }
    println!(
        "{} files, {} records, {} failed",
        files.len(),
        queries,
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

fn tempfile_dir(f: &Path) -> PathBuf {
    let name = f
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("sluice-slt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}
