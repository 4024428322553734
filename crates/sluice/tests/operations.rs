//! Operations of `sluice server`, over HTTP against a real server process:
//! `system.processes` seen from a second connection, `KILL QUERY` (TEST/ASYNC/SYNC) ending
//! a query with `QUERY_WAS_CANCELLED` (394), `max_execution_time` (`TIMEOUT_EXCEEDED`,
//! 159) as a SETTINGS clause and as a URL parameter, `system.query_log` rows of finished,
//! failed, killed and timed-out queries, `max_concurrent_queries`
//! (`TOO_MANY_SIMULTANEOUS_QUERIES`, 202), and a client that disconnects cancelling its
//! query. Column names and types are the oracle's (`operations_data/`); values that
//! depend on timing are checked by property.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Ports, terminate, wait_ready};

/// A query that runs for minutes (its filter defeats the count shortcut).
const SLOW: &str = "SELECT count() FROM numbers(10000000000) WHERE number % 7 = 3";

/// The server's configuration: at most two queries at once (`KILL` is exempt), and a
/// readonly user.
const CONFIG: &str = "[settings]\nmax_concurrent_queries = 2\n\n\
                      [users.default]\n\n[users.reader]\nreadonly = 1\n";

fn start(dir: &Path, ports: &Ports) -> Child {
    let config = dir.with_extension("toml");
    std::fs::write(&config, CONFIG).expect("config file");
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["server", "--config"])
        .arg(&config)
        .arg("--path")
        .arg(dir)
        .args(["--http-port", &ports.http.to_string()])
        .args(["--tcp-port", &ports.tcp.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start sluice server")
}

/// Runs `sql` with URL parameters: the body on success, the error text otherwise.
async fn run(
    client: &reqwest::Client,
    ports: &Ports,
    params: &[(&str, &str)],
    sql: &str,
) -> Result<String, String> {
    let resp = client
        .post(format!("http://127.0.0.1:{}/", ports.http))
        .query(params)
        .body(sql.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let ok = resp.status().is_success();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if ok { Ok(text) } else { Err(text) }
}

async fn sql(client: &reqwest::Client, ports: &Ports, sql: &str) -> String {
    match run(client, ports, &[], sql).await {
        Ok(t) => t,
        Err(e) => panic!("{sql}: {e}"),
    }
}

/// Starts `SLOW` with `query_id` in the background.
fn spawn_slow(
    client: &reqwest::Client,
    ports: &Ports,
    query_id: &str,
) -> tokio::task::JoinHandle<Result<String, String>> {
    let (client, http, id) = (client.clone(), ports.http, query_id.to_string());
    tokio::spawn(async move {
        let ports = Ports { http, tcp: 0 };
        run(&client, &ports, &[("query_id", &id)], SLOW).await
    })
}

/// Waits until `cond` holds for the rows of `query`, at most 60 s.
async fn wait_for(
    client: &reqwest::Client,
    ports: &Ports,
    query: &str,
    cond: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = sql(client, ports, query).await;
        if cond(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "{query}: still {out:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn running(id: &str) -> String {
    format!("SELECT count() FROM system.processes WHERE query_id = '{id}'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_kill_timeouts_query_log_and_limits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let ports = Ports::free();
    let mut child = start(&dir, &ports);
    let client = reqwest::Client::new();
    assert!(
        wait_ready(&client, &ports, &mut child).await,
        "server exited"
    );

    // The tables have ClickHouse's columns.
    for (table, expected) in [
        (
            "processes",
            include_str!("operations_data/describe_system_processes.tsv"),
        ),
        (
            "query_log",
            include_str!("operations_data/describe_system_query_log.tsv"),
        ),
        (
            "events",
            include_str!("operations_data/describe_system_events.tsv"),
        ),
        (
            "errors",
            include_str!("operations_data/describe_system_errors.tsv"),
        ),
        (
            "time_zones",
            include_str!("operations_data/describe_system_time_zones.tsv"),
        ),
    ] {
        // DESCRIBE of system tables is not there yet: the header of an empty result has
        // the same names and types.
        let out = sql(
            &client,
            &ports,
            &format!("SELECT * FROM system.{table} LIMIT 0 FORMAT TSVWithNamesAndTypes"),
        )
        .await;
        let mut header = out.lines();
        let names = header.next().unwrap_or("").split('\t');
        let types = header.next().unwrap_or("").split('\t');
        let got: Vec<String> = names.zip(types).map(|(n, t)| format!("{n}\t{t}")).collect();
        let want: Vec<&str> = expected.lines().collect();
        assert_eq!(got, want, "DESCRIBE system.{table}");
    }

    // A running query shows in system.processes, seen from another connection.
    let slow = spawn_slow(&client, &ports, "slow-1");
    wait_for(&client, &ports, &running("slow-1"), |o| o == "1\n").await;
    let row = sql(
        &client,
        &ports,
        "SELECT query_id, user, query, elapsed > 0, is_cancelled, query_kind, interface, \
         http_method, address, current_database FROM system.processes \
         WHERE query_id = 'slow-1'",
    )
    .await;
    assert_eq!(
        row,
        format!("slow-1\tdefault\t{SLOW}\t1\t0\tSelect\tHTTP\tPOST\t::ffff:127.0.0.1\tdefault\n")
    );
    // Its scans count rows as they are read.
    wait_for(
        &client,
        &ports,
        "SELECT read_rows > 0 AND read_bytes = 8 * read_rows FROM system.processes \
         WHERE query_id = 'slow-1'",
        |o| o == "1\n",
    )
    .await;
    // The query reading system.processes sees itself too.
    let me = run(
        &client,
        &ports,
        &[("query_id", "self-1")],
        "SELECT query_id FROM system.processes WHERE query_id = 'self-1'",
    )
    .await;
    assert_eq!(me.as_deref(), Ok("self-1\n"));

    // KILL … TEST lists without killing; KILL cancels; the killed query ends with 394.
    let listed = sql(
        &client,
        &ports,
        "KILL QUERY WHERE query_id = 'slow-1' TEST FORMAT TSVWithNamesAndTypes",
    )
    .await;
    assert_eq!(
        listed,
        format!(
            "kill_status\tquery_id\tuser\tquery\nString\tString\tString\tString\n\
             unknown_status\tslow-1\tdefault\t{SLOW}\n"
        )
    );
    assert_eq!(
        sql(&client, &ports, &running("slow-1")).await,
        "1\n",
        "TEST must not kill"
    );
    // A readonly user may kill only its own queries.
    let denied = run(
        &client,
        &ports,
        &[("user", "reader")],
        "KILL QUERY WHERE query_id = 'slow-1'",
    )
    .await
    .expect_err("readonly");
    assert!(
        denied.starts_with(
            "Code: 497. DB::Exception: User reader attempts to kill query created by default. (ACCESS_DENIED)"
        ),
        "{denied}"
    );
    let killed = sql(&client, &ports, "KILL QUERY WHERE query_id = 'slow-1'").await;
    assert_eq!(killed, format!("waiting\tslow-1\tdefault\t{SLOW}\n"));
    let ended = tokio::time::timeout(Duration::from_secs(30), slow)
        .await
        .expect("the killed query ends")
        .expect("task");
    let err = ended.expect_err("a killed query fails");
    assert!(
        err.contains("Code: 394.") && err.contains("(QUERY_WAS_CANCELLED)"),
        "{err}"
    );
    wait_for(&client, &ports, &running("slow-1"), |o| o == "0\n").await;
    // Nothing matches: no result at all (ClickHouse prints nothing, not even a header).
    assert_eq!(
        sql(
            &client,
            &ports,
            "KILL QUERY WHERE query_id = 'no-such' FORMAT TSVWithNames"
        )
        .await,
        ""
    );

    // KILL … SYNC waits until the query is gone and says `finished`.
    let slow = spawn_slow(&client, &ports, "slow-2");
    wait_for(&client, &ports, &running("slow-2"), |o| o == "1\n").await;
    let killed = sql(&client, &ports, "KILL QUERY WHERE user = 'default' SYNC").await;
    assert_eq!(killed, format!("finished\tslow-2\tdefault\t{SLOW}\n"));
    assert_eq!(sql(&client, &ports, &running("slow-2")).await, "0\n");
    let err = slow.await.expect("task").expect_err("killed");
    assert!(err.contains("Code: 394."), "{err}");

    // max_execution_time, as a SETTINGS clause and as a URL parameter, even while the
    // query produces no block.
    for (params, text) in [
        (
            vec![("query_id", "timeout-1")],
            format!("{SLOW} SETTINGS max_execution_time = 1"),
        ),
        (
            vec![("query_id", "timeout-2"), ("max_execution_time", "1")],
            SLOW.to_string(),
        ),
    ] {
        let started = Instant::now();
        let err = run(&client, &ports, &params, &text)
            .await
            .expect_err("times out");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        assert!(
            err.starts_with("Code: 159. DB::Exception: Timeout exceeded: elapsed ")
                && err.contains(" ms, maximum: 1000.000 ms. (TIMEOUT_EXCEEDED)"),
            "{err}"
        );
    }

    // system.query_log: start and finish rows with the result, exceptions before start
    // and while processing.
    assert_eq!(
        run(
            &client,
            &ports,
            &[("query_id", "log-ok")],
            "SELECT number FROM numbers(5)"
        )
        .await
        .as_deref(),
        Ok("0\n1\n2\n3\n4\n")
    );
    let err = run(
        &client,
        &ports,
        &[("query_id", "log-err")],
        "SELECT * FROM no_such_table",
    )
    .await
    .expect_err("unknown table");
    assert!(err.contains("(UNKNOWN_TABLE)"), "{err}");
    sql(&client, &ports, "SYSTEM FLUSH LOGS").await;
    let log = sql(
        &client,
        &ports,
        "SELECT query_id, type, query_kind, query, result_rows, exception_code, \
         exception != '', user, current_database, interface \
         FROM system.query_log \
         WHERE query_id IN ('log-ok', 'log-err', 'slow-1', 'timeout-1', 'timeout-2') \
         ORDER BY event_time_microseconds",
    )
    .await;
    let expected = [
        format!("slow-1\tQueryStart\tSelect\t{SLOW}\t0\t0\t0\tdefault\tdefault\tHTTP"),
        format!(
            "slow-1\tExceptionWhileProcessing\tSelect\t{SLOW}\t0\t394\t1\tdefault\tdefault\tHTTP"
        ),
        format!(
            "timeout-1\tQueryStart\tSelect\t{SLOW} SETTINGS max_execution_time = 1\t0\t0\t0\tdefault\tdefault\tHTTP"
        ),
        format!(
            "timeout-1\tExceptionWhileProcessing\tSelect\t{SLOW} SETTINGS max_execution_time = 1\t0\t159\t1\tdefault\tdefault\tHTTP"
        ),
        format!("timeout-2\tQueryStart\tSelect\t{SLOW}\t0\t0\t0\tdefault\tdefault\tHTTP"),
        format!(
            "timeout-2\tExceptionWhileProcessing\tSelect\t{SLOW}\t0\t159\t1\tdefault\tdefault\tHTTP"
        ),
        "log-ok\tQueryStart\tSelect\tSELECT number FROM numbers(5)\t0\t0\t0\tdefault\tdefault\tHTTP"
            .to_string(),
        "log-ok\tQueryFinish\tSelect\tSELECT number FROM numbers(5)\t5\t0\t0\tdefault\tdefault\tHTTP"
            .to_string(),
        "log-err\tExceptionBeforeStart\tSelect\tSELECT * FROM no_such_table\t0\t60\t1\tdefault\tdefault\tHTTP"
            .to_string(),
    ];
    assert_eq!(log.lines().collect::<Vec<_>>(), expected);
    // Rows read by the plan's scans (ClickHouse: 5 rows, 40 bytes for numbers(5)) and
    // rows written by an INSERT.
    sql(&client, &ports, "CREATE TABLE t (x UInt8) ENGINE = Memory").await;
    let inserted = run(
        &client,
        &ports,
        &[("query_id", "log-insert")],
        "INSERT INTO t VALUES (1), (2)",
    )
    .await;
    assert_eq!(inserted.as_deref(), Ok(""));
    let counted = sql(
        &client,
        &ports,
        "SELECT query_id, read_rows, read_bytes, written_rows FROM system.query_log \
         WHERE query_id = 'log-ok' AND type = 'QueryFinish'",
    )
    .await;
    assert_eq!(counted, "log-ok\t5\t40\t0\n");
    let written = sql(
        &client,
        &ports,
        "SELECT query_kind, written_rows, written_bytes > 0 FROM system.query_log \
         WHERE query_id = 'log-insert' AND type = 'QueryFinish'",
    )
    .await;
    assert_eq!(written, "Insert\t2\t1\n");

    // system.events counts the queries above (one killed, two timed out, one unknown
    // table: four failed SELECTs; one INSERT of two rows) and system.errors each code.
    let events = sql(
        &client,
        &ports,
        "SELECT event, if(event LIKE 'Insert%', value, value >= 4) FROM system.events \
         WHERE event IN ('Query', 'SelectQuery', 'FailedQuery', 'FailedSelectQuery', \
         'InsertQuery', 'InsertedRows', 'QueryTimeMicroseconds') ORDER BY event",
    )
    .await;
    assert_eq!(
        events,
        "FailedQuery\t1\nFailedSelectQuery\t1\nInsertQuery\t1\nInsertedRows\t2\n\
         Query\t1\nQueryTimeMicroseconds\t1\nSelectQuery\t1\n"
    );
    let errors = sql(
        &client,
        &ports,
        "SELECT name, code, value >= 1, last_error_message LIKE '%no_such_table%', query_id, \
         last_error_time > now() - 600, remote FROM system.errors \
         WHERE name IN ('UNKNOWN_TABLE', 'TIMEOUT_EXCEEDED') ORDER BY code",
    )
    .await;
    assert_eq!(
        errors,
        "UNKNOWN_TABLE\t60\t1\t1\tlog-err\t1\t0\n\
         TIMEOUT_EXCEEDED\t159\t1\t0\ttimeout-2\t1\t0\n"
    );
    let zones = sql(
        &client,
        &ports,
        "SELECT count() > 400, countIf(time_zone IN ('UTC', 'Europe/Berlin', 'Asia/Tokyo')) \
         FROM system.time_zones",
    )
    .await;
    assert_eq!(zones, "1\t3\n");

    // Times and sizes by property.
    let props = sql(
        &client,
        &ports,
        "SELECT query_duration_ms >= 1000, result_bytes > 0, \
         query_start_time <= event_time, event_date = toDate(event_time), \
         exception LIKE 'Code: 159. DB::Exception: Timeout exceeded: %' \
         FROM system.query_log WHERE query_id IN ('timeout-1', 'log-ok') AND type != 'QueryStart' \
         ORDER BY event_time_microseconds",
    )
    .await;
    assert_eq!(props, "1\t0\t1\t1\t1\n0\t1\t1\t1\t0\n");

    // max_memory_usage: the query's operators reserve from a pool with that limit
    // (ClickHouse: `Query memory limit exceeded: would use …, maximum: 9.54 MiB: While
    // executing AggregatingTransform. (MEMORY_LIMIT_EXCEEDED)`).
    let err = run(
        &client,
        &ports,
        &[("query_id", "memory-1")],
        "SELECT length(groupArray(number)) FROM numbers(10000000) \
         SETTINGS max_memory_usage = 10000000",
    )
    .await
    .expect_err("memory limit");
    assert!(
        err.starts_with("Code: 241. DB::Exception: Query memory limit exceeded: would use ")
            && err.contains("maximum: 9.54 MiB")
            && err.contains("(MEMORY_LIMIT_EXCEEDED)"),
        "{err}"
    );
    assert_eq!(
        sql(
            &client,
            &ports,
            "SELECT length(groupArray(number)) FROM numbers(10000000)"
        )
        .await,
        "10000000\n"
    );
    assert_eq!(
        sql(
            &client,
            &ports,
            "SELECT type, exception_code, memory_usage > 1000000 FROM system.query_log \
             WHERE query_id = 'memory-1' AND type != 'QueryStart'",
        )
        .await,
        "ExceptionWhileProcessing\t241\t1\n"
    );

    // max_concurrent_queries = 2: a third query is refused with 202; KILL still runs.
    let a = spawn_slow(&client, &ports, "limit-a");
    wait_for(&client, &ports, &running("limit-a"), |o| o == "1\n").await;
    let b = spawn_slow(&client, &ports, "limit-b");
    let deadline = Instant::now() + Duration::from_secs(60);
    let refused = loop {
        match run(&client, &ports, &[], "SELECT 1").await {
            Err(e) => break e,
            Ok(_) => {
                assert!(Instant::now() < deadline, "never refused");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    assert!(
        refused.starts_with(
            "Code: 202. DB::Exception: Too many simultaneous queries. Maximum: 2. (TOO_MANY_SIMULTANEOUS_QUERIES)"
        ),
        "{refused}"
    );
    let killed = sql(
        &client,
        &ports,
        "KILL QUERY WHERE query_id IN ('limit-a', 'limit-b') SYNC",
    )
    .await;
    assert_eq!(killed.lines().count(), 2, "{killed}");
    assert!(killed.lines().all(|l| l.starts_with("finished\tlimit-")));
    for t in [a, b] {
        let err = t.await.expect("task").expect_err("killed");
        assert!(err.contains("Code: 394."), "{err}");
    }
    assert_eq!(sql(&client, &ports, "SELECT 1").await, "1\n");

    // A client that disconnects cancels its query.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let gone = run(&impatient, &ports, &[("query_id", "gone-1")], SLOW).await;
    assert!(gone.is_err(), "{gone:?}");
    wait_for(&client, &ports, &running("gone-1"), |o| o == "0\n").await;
    let log = wait_for(
        &client,
        &ports,
        "SELECT type, exception_code FROM system.query_log \
         WHERE query_id = 'gone-1' AND type != 'QueryStart'",
        |o| !o.is_empty(),
    )
    .await;
    assert_eq!(log, "ExceptionWhileProcessing\t394\n");

    // Over the native protocol (Debian's clickhouse-client, when installed): the query is
    // in system.processes as TCP, KILL ends it with 394 at the client.
    if Command::new("clickhouse-client")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let tcp = ports.tcp;
        let native = tokio::task::spawn_blocking(move || {
            Command::new("clickhouse-client")
                .args([
                    "--port",
                    &tcp.to_string(),
                    "--query_id",
                    "native-1",
                    "-q",
                    SLOW,
                ])
                .output()
        });
        let row = wait_for(
            &client,
            &ports,
            "SELECT query_id, interface, user FROM system.processes WHERE query_id = 'native-1'",
            |o| !o.is_empty(),
        )
        .await;
        assert_eq!(row, "native-1\tTCP\tdefault\n");
        let killed = sql(
            &client,
            &ports,
            "KILL QUERY WHERE query_id = 'native-1' SYNC",
        )
        .await;
        assert_eq!(killed, format!("finished\tnative-1\tdefault\t{SLOW}\n"));
        let out = native.await.expect("task").expect("clickhouse-client runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("Code: 394."),
            "{stderr}"
        );
    }

    assert!(terminate(&mut child, Duration::from_secs(30)), "clean exit");
}
