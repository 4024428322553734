//! Table definitions changed by `ALTER … SETTING / TTL`, `RENAME TABLE`, `DETACH TABLE`,
//! `DETACH DATABASE`, `EXCHANGE TABLES` and the full form `ATTACH TABLE t (…) ENGINE = …`
//! survive a restart (an engine reopened on the same `--path`) as in ClickHouse; a running
//! mutation can be killed. Expected
//! outputs come from ClickHouse: the same statements run through
//! `ch-oracle --path DIR`, one oracle call per engine lifetime (each call restarts chdb).

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use sluice_engine::{Engine, EngineConfig, EngineRef};

/// Runs `sql` (several statements) and returns its TSV output; errors as ClickHouse text.
async fn run(engine: &EngineRef, sql: &str) -> Result<String, String> {
    let mut session = engine.session();
    let mut text = String::new();
    let stmts = session.parse(sql).map_err(|e| e.to_clickhouse_string())?;
    for stmt in stmts {
        let out = session
            .execute(stmt, None)
            .await
            .map_err(|e| e.to_clickhouse_string())?;
        let Some(mut stream) = out.stream else {
            continue;
        };
        let fs = sluice_formats::FormatSettings::default();
        let mut w = sluice_formats::output_format("TSV", Arc::clone(&out.schema), &fs)
            .map_err(|e| e.to_clickhouse_string())?;
        let mut buf = Vec::new();
        w.write_prefix(&mut buf)
            .map_err(|e| e.to_clickhouse_string())?;
        while let Some(b) = stream.next().await {
            let b = b.map_err(|e| e.to_string())?;
            w.write_batch(&b, &mut buf)
                .map_err(|e| e.to_clickhouse_string())?;
        }
        w.write_suffix(&mut buf, &sluice_formats::QueryStatistics::default())
            .map_err(|e| e.to_clickhouse_string())?;
        text.push_str(&String::from_utf8_lossy(&buf));
    }
    Ok(text)
}

async fn open(path: &Path) -> EngineRef {
    match Engine::open(EngineConfig {
        path: Some(path.to_path_buf()),
        ..EngineConfig::default()
    })
    .await
    {
        Ok(e) => e,
        Err(e) => panic!("open: {}", e.to_clickhouse_string()),
    }
}

/// Closes an engine the way the server does before exiting.
async fn close(engine: EngineRef) {
    let e = Arc::clone(&engine);
    tokio::task::spawn_blocking(move || e.shutdown())
        .await
        .expect("shutdown task");
    drop(engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alter_rename_detach_survive_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path()).await;
    run(
        &engine,
        "CREATE DATABASE d;
        CREATE TABLE d.s (d DateTime, v UInt32) ENGINE = MergeTree ORDER BY v SETTINGS merge_with_ttl_timeout = 100;
        ALTER TABLE d.s MODIFY SETTING parts_to_throw_insert = 600;
        ALTER TABLE d.s RESET SETTING merge_with_ttl_timeout;
        ALTER TABLE d.s MODIFY TTL d + INTERVAL 1 YEAR;
        INSERT INTO d.s VALUES ('2100-01-01 00:00:00', 1);
        CREATE TABLE d.r (v UInt32) ENGINE = MergeTree ORDER BY v; INSERT INTO d.r VALUES (5);
        RENAME TABLE d.r TO d.r2;
        CREATE TABLE d.p (v UInt32) ENGINE = MergeTree ORDER BY v; INSERT INTO d.p VALUES (7); DETACH TABLE d.p PERMANENTLY;
        CREATE TABLE d.q (v UInt32) ENGINE = MergeTree ORDER BY v; INSERT INTO d.q VALUES (8); DETACH TABLE d.q;
        CREATE TABLE d.m (v UInt32) ENGINE = Memory; INSERT INTO d.m VALUES (9);",
    )
    .await
    .expect("first run");
    // The renamed table's data directory moved with it.
    assert!(dir.path().join("data/d/r2").is_dir());
    assert!(!dir.path().join("data/d/r").exists());
    assert_eq!(
        run(&engine, "SELECT * FROM d.r2").await.as_deref(),
        Ok("5\n")
    );
    close(engine).await;

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        "SHOW CREATE TABLE d.s; SELECT * FROM d.s; SELECT name FROM system.tables WHERE database='d' ORDER BY name; SELECT * FROM d.r2; SELECT * FROM d.q; SELECT table, is_permanently FROM system.detached_tables; SELECT count() FROM d.m; ATTACH TABLE d.p",
    )
    .await;
    // ch-oracle --path DIR, second call.
    let expected = "CREATE TABLE d.s\\n(\\n    `d` DateTime,\\n    `v` UInt32\\n)\\nENGINE = MergeTree\\nORDER BY v\\nTTL d + toIntervalYear(1)\\nSETTINGS index_granularity = 8192, parts_to_throw_insert = 600
2100-01-01 00:00:00\t1
m
q
r2
s
5
8
p\t1
0
";
    assert_eq!(out.as_deref(), Ok(expected));
    close(engine).await;

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        "SELECT * FROM d.p; SELECT name FROM system.tables WHERE database='d' ORDER BY name; SELECT count() FROM system.detached_tables",
    )
    .await;
    // ch-oracle --path DIR, third call.
    assert_eq!(out.as_deref(), Ok("7\nm\np\nq\nr2\ns\n0\n"));
    close(engine).await;
}

/// A detached database is back after a restart (its metadata stays), exchanged tables
/// keep their new names and data, and a MergeTree table whose metadata file was removed
/// comes back with its parts when attached with its definition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_database_exchange_and_attach_definition_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path()).await;
    run(
        &engine,
        "SET allow_deprecated_database_ordinary = 1;
        CREATE DATABASE d;
        CREATE TABLE d.t (v UInt32) ENGINE = MergeTree ORDER BY v; INSERT INTO d.t VALUES (1), (2);
        CREATE TABLE d.m (v UInt32) ENGINE = Memory; INSERT INTO d.m VALUES (3);
        CREATE TABLE a (v UInt32) ENGINE = MergeTree ORDER BY v; INSERT INTO a VALUES (10);
        CREATE TABLE b (s String) ENGINE = Memory; INSERT INTO b VALUES ('x');
        EXCHANGE TABLES a AND b;
        CREATE DATABASE o ENGINE = Ordinary;
        CREATE TABLE o.t (v UInt32, s String) ENGINE = MergeTree ORDER BY v; INSERT INTO o.t VALUES (4, 'four');
        CREATE TABLE src0 (v UInt32) ENGINE = Null; CREATE TABLE tgt0 (v UInt32) ENGINE = MergeTree ORDER BY v;
        CREATE MATERIALIZED VIEW mv0 TO tgt0 AS SELECT v FROM src0; CREATE TABLE x0 (v UInt8) ENGINE = Memory;
        EXCHANGE TABLES mv0 AND x0; RENAME TABLE x0 TO mv1;
        DETACH DATABASE d",
    )
    .await
    .expect("first run");
    // The exchanged MergeTree table's parts moved to its new name.
    assert!(dir.path().join("data/default/b").is_dir());
    assert!(!dir.path().join("data/default/a").exists());
    close(engine).await;
    // The table's definition is lost; its data directory stays.
    std::fs::remove_file(dir.path().join("metadata/o/t.sql")).expect("remove metadata");

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        "SELECT name FROM system.tables WHERE database = 'd' ORDER BY name; SELECT * FROM d.t ORDER BY v; SELECT count() FROM d.m; SELECT * FROM a; SELECT * FROM b; SELECT name FROM system.tables WHERE database = 'o'; ATTACH TABLE o.t (v UInt32, s String) ENGINE = MergeTree ORDER BY v; SELECT * FROM o.t; DETACH DATABASE d; ATTACH DATABASE d; SELECT * FROM d.t ORDER BY v",
    )
    .await;
    // ch-oracle --path DIR, second call.
    assert_eq!(out.as_deref(), Ok("m\nt\n1\n2\n0\n10\n4\tfour\n1\n2\n"));
    close(engine).await;

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        "SELECT * FROM o.t; SELECT count() FROM d.t; SELECT name, engine FROM system.tables WHERE name IN ('a', 'b') ORDER BY name; INSERT INTO src0 VALUES (1); SELECT count() FROM tgt0; SELECT name, engine FROM system.tables WHERE name IN ('mv0', 'mv1', 'x0') ORDER BY name",
    )
    .await;
    // ch-oracle --path DIR, third call (the view exchanged and renamed fires under its
    // new name).
    assert_eq!(
        out.as_deref(),
        Ok("4\tfour\n2\na\tMemory\nb\tMergeTree\n1\nmv0\tMemory\nmv1\tMaterializedView\n")
    );
    close(engine).await;
}

/// `KILL MUTATION` of a running mutation: the `ALTER` fails with `UNFINISHED`, nothing it
/// rewrote stays, and the mutation leaves `system.mutations`. The mutation rewrites many
/// parts, so it is still running when the kill arrives (the test retries with a new
/// mutation if one finished first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_running_mutation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path()).await;
    run(
        &engine,
        "CREATE TABLE km (k UInt64, v UInt64) ENGINE = MergeTree ORDER BY k; SYSTEM STOP MERGES km",
    )
    .await
    .expect("create");
    for i in 0..200 {
        run(
            &engine,
            &format!(
                "INSERT INTO km SELECT number + {}, 0 FROM numbers(500)",
                i * 500
            ),
        )
        .await
        .expect("insert");
    }
    let mut killed = false;
    for attempt in 0..5 {
        let e = Arc::clone(&engine);
        let alter = tokio::spawn(async move {
            run(
                &e,
                &format!("ALTER TABLE km UPDATE v = {} WHERE 1", attempt + 1),
            )
            .await
        });
        // Wait until the mutation is listed as running, then kill it.
        let mut kill_out = String::new();
        for _ in 0..500 {
            let listed = run(
                &engine,
                "SELECT count() FROM system.mutations WHERE table = 'km' AND NOT is_done",
            )
            .await
            .expect("mutations");
            if listed.trim() != "0" {
                kill_out = run(&engine, "KILL MUTATION WHERE table = 'km' AND NOT is_done")
                    .await
                    .expect("kill");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let result = alter.await.expect("alter task");
        if kill_out.starts_with("waiting\tdefault\tkm\tmutation_") && result.is_err() {
            let err = result.err().unwrap_or_default();
            assert!(
                err.contains("Code: 341") && err.contains("was killed"),
                "{err}"
            );
            killed = true;
            break;
        }
    }
    assert!(killed, "no mutation was still running when killed");
    // Nothing of the killed mutation stays: every row keeps the previous value.
    let out = run(
        &engine,
        "SELECT uniqExact(v), count() FROM km; SELECT count() FROM system.mutations WHERE table = 'km' AND NOT is_done",
    )
    .await
    .expect("select");
    assert_eq!(out.lines().nth(1), Some("0"));
    assert!(out.starts_with("1\t100000\n"), "{out}");
    close(engine).await;
}

/// The columns of `system.mutations` the mutation tests compare.
const MUTATIONS: &str = "SELECT mutation_id, command, is_done, parts_to_do, parts_to_do_names, is_killed, latest_failed_part, latest_fail_error_code_name, create_time > '2020-01-01', toUnixTimestamp(finish_time), block_numbers.partition_id, block_numbers.number FROM system.mutations WHERE table = 'mr' ORDER BY mutation_id";

/// `system.mutations` survives restarts as in ClickHouse (a `mutation_<N>.txt` per
/// mutation): finished mutations stay listed (`finish_time` 0 after a restart), a failed
/// one stays not done and fails again when it resumes (ClickHouse's background retry:
/// `latest_fail_*` refilled), `KILL MUTATION` removes it for good, `TRUNCATE` clears the
/// list. Expected outputs: /tmp/s15/I/o1.sh, `ch-oracle --path DIR`, one call per engine
/// lifetime (the second call after `SELECT sleep(2)`, so that ClickHouse's retry has run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_survive_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path()).await;
    run(
        &engine,
        "CREATE TABLE mr (k UInt32, v UInt32, s String) ENGINE = MergeTree ORDER BY k SETTINGS max_bytes_to_merge_at_max_space_in_pool = 1;
        INSERT INTO mr VALUES (1, 1, 'a'), (2, 2, 'b');
        ALTER TABLE mr UPDATE v = v + 10 WHERE k = 1;
        ALTER TABLE mr DELETE WHERE k = 2;
        INSERT INTO mr VALUES (3, 3, 'c')",
    )
    .await
    .expect("first run");
    let failed = run(&engine, "ALTER TABLE mr DELETE WHERE toUInt32(s) = 1").await;
    assert!(
        failed.as_ref().is_err_and(|e| e.contains("Code: 341.")),
        "{failed:?}"
    );
    // ClickHouse's file format.
    let file = std::fs::read_to_string(dir.path().join("data/default/mr/mutation_3.txt"))
        .expect("mutation_3.txt");
    assert!(
        file.starts_with("format version: 1\ncreate time: 20"),
        "{file}"
    );
    assert!(
        file.ends_with("\ncommands: (DELETE WHERE k = 2)\n"),
        "{file}"
    );
    close(engine).await;

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        &format!("{MUTATIONS}; SELECT * FROM mr ORDER BY k"),
    )
    .await;
    let expected = "mutation_2.txt\t(UPDATE v = v + 10 WHERE k = 1)\t1\t0\t[]\t0\t\t\t1\t0\t['']\t[2]
mutation_3.txt\t(DELETE WHERE k = 2)\t1\t0\t[]\t0\t\t\t1\t0\t['']\t[3]
mutation_5.txt\t(DELETE WHERE toUInt32(s) = 1)\t0\t2\t['all_1_1_0_3','all_4_4_0']\t0\tall_1_1_0_3\tCANNOT_PARSE_TEXT\t1\t0\t['']\t[5]
1\t11\ta
3\t3\tc
";
    assert_eq!(out.as_deref(), Ok(expected));
    close(engine).await;

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        &format!("KILL MUTATION WHERE table = 'mr' AND NOT is_done; {MUTATIONS}"),
    )
    .await;
    let done = "mutation_2.txt\t(UPDATE v = v + 10 WHERE k = 1)\t1\t0\t[]\t0\t\t\t1\t0\t['']\t[2]
mutation_3.txt\t(DELETE WHERE k = 2)\t1\t0\t[]\t0\t\t\t1\t0\t['']\t[3]
";
    let killed =
        format!("waiting\tdefault\tmr\tmutation_5.txt\t(DELETE WHERE toUInt32(s) = 1)\n{done}");
    assert_eq!(out.as_deref(), Ok(killed.as_str()));
    close(engine).await;

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        &format!("{MUTATIONS}; SELECT * FROM mr ORDER BY k; TRUNCATE TABLE mr; {MUTATIONS}"),
    )
    .await;
    assert_eq!(out, Ok(format!("{done}1\t11\ta\n3\t3\tc\n")));
    close(engine).await;

    let engine = open(dir.path()).await;
    assert_eq!(run(&engine, MUTATIONS).await.as_deref(), Ok(""));
    close(engine).await;
    let left: Vec<String> = std::fs::read_dir(dir.path().join("data/default/mr"))
        .expect("table directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("mutation_"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A mutation a restart interrupted (its `mutation_<N>.txt` written, no part rewritten
/// yet — the state a crash right after the entry's fsync leaves) runs when the table
/// opens. ClickHouse (/tmp/s15/I/o2.sh): `SYSTEM STOP MERGES`, an `ALTER … UPDATE` and a
/// lightweight `DELETE` with `mutations_sync = 0` leave the two entries written here (same
/// text) and no mutated part; in the next process both run (checked after `SELECT
/// sleep(2)`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_mutation_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(dir.path()).await;
    run(
        &engine,
        "CREATE TABLE mq (k UInt32, v UInt32) ENGINE = MergeTree ORDER BY k SETTINGS max_bytes_to_merge_at_max_space_in_pool = 1;
        INSERT INTO mq VALUES (1, 1), (2, 2);
        INSERT INTO mq VALUES (3, 3)",
    )
    .await
    .expect("first run");
    close(engine).await;
    let table = dir.path().join("data/default/mq");
    for (n, command) in [
        (3, "(UPDATE v = v * 100 WHERE k >= 2)"),
        (4, "(UPDATE _row_exists = 0 WHERE k = 1)"),
    ] {
        std::fs::write(
            table.join(format!("mutation_{n}.txt")),
            format!("format version: 1\ncreate time: 2026-11-28 02:20:28\ncommands: {command}\n"),
        )
        .expect("mutation file");
    }

    let engine = open(dir.path()).await;
    let out = run(
        &engine,
        "SELECT mutation_id, command, is_done, parts_to_do, parts_to_do_names, is_killed, latest_failed_part, latest_fail_error_code_name FROM system.mutations WHERE table = 'mq' ORDER BY mutation_id;
        SELECT * FROM mq ORDER BY k;
        SELECT name FROM system.parts WHERE table = 'mq' AND active ORDER BY name",
    )
    .await;
    let expected = "mutation_3.txt\t(UPDATE v = v * 100 WHERE k >= 2)\t1\t0\t[]\t0\t\t
mutation_4.txt\t(UPDATE _row_exists = 0 WHERE k = 1)\t1\t0\t[]\t0\t\t
2\t200
3\t300
all_1_1_0_4
all_2_2_0_4
";
    assert_eq!(out.as_deref(), Ok(expected));
    // The next insert takes a block number after the mutations'.
    let out = run(
        &engine,
        "INSERT INTO mq VALUES (4, 4); SELECT name FROM system.parts WHERE table = 'mq' AND active ORDER BY name",
    )
    .await;
    assert_eq!(out.as_deref(), Ok("all_1_1_0_4\nall_2_2_0_4\nall_5_5_0\n"));
    close(engine).await;
}
