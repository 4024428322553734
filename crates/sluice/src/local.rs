//! `sluice local`: parse the SQL, run each statement in order, print each result in the
//! output format (the statement's `FORMAT` clause wins over `--format`), stop at the first
//! error with `Code: N. DB::Exception: … (NAME)` on stderr and a non-zero exit status.

use std::io::{Read, Write};

use futures::StreamExt;
use sluice_engine::{Engine, EngineConfig, Session};
use sluice_formats::{FormatSettings, output_format};

use crate::cli::LocalArgs;

/// Runs `sluice local`; returns the process exit code.
pub fn run(args: LocalArgs) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Code: 1001. DB::Exception: cannot start runtime: {e}. (STD_EXCEPTION)");
            return 1;
        }
    };
    rt.block_on(run_async(args))
}

async fn run_async(args: LocalArgs) -> i32 {
    let sql = match &args.query {
        Some(q) => q.clone(),
        None => {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                eprintln!("Code: 1001. DB::Exception: cannot read stdin: {e}. (STD_EXCEPTION)");
                return 1;
            }
            s
        }
    };
    let engine = match Engine::open(EngineConfig {
        path: args.path.clone(),
        settings: args.settings.clone(),
        ..EngineConfig::default()
    })
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{}", e.to_clickhouse_string());
            return exit_code(&e);
        }
    };
    let mut session = engine.session();
    for (name, value) in &args.params {
        if let Err(e) = session.set_setting(&format!("param_{name}"), value) {
            eprintln!("{}", e.to_clickhouse_string());
            return exit_code(&e);
        }
    }
    match execute_all(&mut session, &sql, &args).await {
        Ok(()) => 0,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("{}", e.to_clickhouse_string());
            exit_code(&e)
        }
    }
}

fn exit_code(e: &sluice_common::Error) -> i32 {
    let c = e.code.0 % 256;
    if c == 0 { 1 } else { c }
}

async fn execute_all(
    session: &mut Session,
    sql: &str,
    args: &LocalArgs,
) -> sluice_common::Result<()> {
    // Each statement is parsed just before it runs, as clickhouse-local does: a syntax
    // error in the third statement leaves the first two's output printed.
    let script = sluice_sql::split::split_statements(sql);
    for span in &script.statements {
        let text = &sql[span.start..span.end];
        for stmt in session.parse(text)? {
            execute_one(session, stmt, args).await?;
        }
    }
    Ok(())
}

/// Runs one parsed statement and prints its result, if it has one.
async fn execute_one(
    session: &mut Session,
    stmt: sluice_sql::ParsedStatement,
    args: &LocalArgs,
) -> sluice_common::Result<()> {
    let stdout = std::io::stdout();
    {
        let out = session.execute(stmt, None).await?;
        let Some(mut stream) = out.stream else {
            return Ok(());
        };
        let format = out
            .format
            .clone()
            .or_else(|| args.format.clone())
            .unwrap_or_else(|| "TSV".to_string());
        let mut fs = FormatSettings::default();
        for (k, v) in session.settings().changed() {
            let _ = fs.set(k, v);
        }
        let _ = fs.set("session_timezone", &session.timezone());
        let mut writer = output_format(&format, std::sync::Arc::clone(&out.schema), &fs)?;
        let mut buf = Vec::with_capacity(1 << 16);
        writer.write_prefix(&mut buf)?;
        let mut rows = 0u64;
        let started = std::time::Instant::now();
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(sluice_engine::from_datafusion)?;
            rows += batch.num_rows() as u64;
            writer.write_batch(&batch, &mut buf)?;
            if buf.len() > 1 << 20 {
                let mut lock = stdout.lock();
                let _ = lock.write_all(&buf);
                buf.clear();
            }
        }
        if let Some(t) = &out.totals {
            writer.write_totals(t, &mut buf)?;
        }
        let stats = sluice_formats::QueryStatistics {
            elapsed: started.elapsed().as_secs_f64(),
            rows_read: rows,
            bytes_read: 0,
            rows_before_limit: None,
        };
        writer.write_suffix(&mut buf, &stats)?;
        let mut lock = stdout.lock();
        let _ = lock.write_all(&buf);
        let _ = lock.flush();
    }
    Ok(())
}
