//! Checks the Rust `clickhouse` crate against a `sluice server` whose HTTP URL is the first
//! argument: DDL, `client.insert()` (the crate asks `DESCRIBE TABLE` for the schema and
//! sends `RowBinaryWithNamesAndTypes`), typed reads with `#[derive(Row, Deserialize)]`
//! structs (the crate reads `RowBinaryWithNamesAndTypes` and validates the column types), and
//! an error's code. Expected values are ClickHouse's (`ch-oracle`, same statements; see
//! each check). Prints one line per check and exits 1 when any fails.

use chrono::{DateTime, NaiveDate, Utc};
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct Rec {
    id: u32,
    name: String,
    score: f64,
    #[serde(with = "clickhouse::serde::chrono::date")]
    d: NaiveDate,
    #[serde(with = "clickhouse::serde::chrono::datetime")]
    ts: DateTime<Utc>,
    opt: Option<i64>,
    tags: Vec<String>,
    #[serde(with = "clickhouse::serde::uuid")]
    u: Uuid,
}

#[derive(Debug, PartialEq, Row, Deserialize)]
struct Summary {
    n: u64,
    s: u64,
    last_day: String,
    first_ts: String,
    tag_count: u64,
    nulls: u64,
    max_u: String,
}

#[derive(Debug, PartialEq, Row, Deserialize)]
struct Twice {
    id: u32,
    name: String,
    twice: f64,
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}"))
}

fn ts(secs: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("bad timestamp {secs}"))
}

fn uuid(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s).map_err(|e| e.to_string())
}

fn rows() -> Result<Vec<Rec>, String> {
    Ok(vec![
        Rec {
            id: 1,
            name: "alice".into(),
            score: 1.5,
            d: date(2024, 1, 15)?,
            ts: ts(1_705_314_600)?, // 2024-01-15 10:30:00 UTC
            opt: Some(-7),
            tags: vec!["a".into(), "b".into()],
            u: uuid("61f0c404-5cb3-11e7-907b-a6006ad3dba0")?,
        },
        Rec {
            id: 2,
            name: "bob\ttab 'q' \u{e9}".into(),
            score: -0.25,
            d: date(1970, 1, 1)?,
            ts: ts(0)?,
            opt: None,
            tags: vec![],
            u: Uuid::nil(),
        },
        Rec {
            id: 3,
            name: String::new(),
            score: 1e300,
            d: date(2149, 6, 6)?,
            ts: ts(4_294_967_295)?, // 2106-02-07 06:28:15 UTC
            opt: Some(i64::MAX),
            tags: vec!["x".into()],
            u: uuid("ffffffff-ffff-ffff-ffff-ffffffffffff")?,
        },
    ])
}

async fn run(client: &Client) -> Result<Vec<(&'static str, Result<(), String>)>, String> {
    let e = |e: clickhouse::error::Error| e.to_string();
    let mut checks = Vec::new();
    client
        .query("DROP TABLE IF EXISTS rs")
        .execute()
        .await
        .map_err(e)?;
    client
        .query(
            "CREATE TABLE rs (id UInt32, name String, score Float64, d Date, ts DateTime, \
             opt Nullable(Int64), tags Array(String), u UUID) ENGINE = MergeTree ORDER BY id",
        )
        .execute()
        .await
        .map_err(e)?;

    // INSERT: the crate fetches `DESCRIBE TABLE rs`, then sends RowBinaryWithNamesAndTypes.
    let expected = rows()?;
    let inserted = async {
        let mut insert = client.insert::<Rec>("rs").await.map_err(e)?;
        for r in &expected {
            insert.write(r).await.map_err(e)?;
        }
        insert.end().await.map_err(e)
    }
    .await;
    checks.push(("insert with client.insert()", inserted));

    // ch-oracle: the same INSERT, then `SELECT * FROM rs ORDER BY id` gives the rows back.
    let back = client
        .query("SELECT ?fields FROM rs ORDER BY id")
        .fetch_all::<Rec>()
        .await
        .map_err(e)
        .and_then(|got| {
            if got == expected {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        });
    checks.push(("select back as #[derive(Row)] structs", back));

    // ch-oracle -f TSVWithNamesAndTypes: UInt64 UInt64 String String UInt64 UInt64 String
    // 3  6  2149-06-06  1970-01-01 00:00:00  3  1  ffffffff-ffff-ffff-ffff-ffffffffffff
    let summary = client
        .query(
            "SELECT count() AS n, sum(id) AS s, toString(max(d)) AS last_day, \
             toString(min(ts)) AS first_ts, sum(length(tags)) AS tag_count, \
             countIf(opt IS NULL) AS nulls, toString(max(u)) AS max_u FROM rs",
        )
        .fetch_one::<Summary>()
        .await
        .map_err(e)
        .and_then(|got| {
            let want = Summary {
                n: 3,
                s: 6,
                last_day: "2149-06-06".into(),
                first_ts: "1970-01-01 00:00:00".into(),
                tag_count: 3,
                nulls: 1,
                max_u: "ffffffff-ffff-ffff-ffff-ffffffffffff".into(),
            };
            if got == want {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        });
    checks.push(("aggregates with ClickHouse's result types", summary));

    // Bound parameters (`?` is formatted client-side). ch-oracle: UInt32 String Float64,
    // rows (1, 'alice', 3) and (3, '', 2e300).
    let bound = client
        .query("SELECT id, name, score * 2 AS twice FROM rs WHERE opt IS NOT NULL AND id >= ? ORDER BY id")
        .bind(1u32)
        .fetch_all::<Twice>()
        .await
        .map_err(e)
        .and_then(|got| {
            let want = vec![
                Twice {
                    id: 1,
                    name: "alice".into(),
                    twice: 3.0,
                },
                Twice {
                    id: 3,
                    name: String::new(),
                    twice: 2e300,
                },
            ];
            if got == want {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        });
    checks.push(("computed columns and a bound parameter", bound));

    // ch-oracle: "Code: 60. DB::Exception: Unknown table expression identifier
    // 'missing_table' … (UNKNOWN_TABLE)".
    let error = match client
        .query("SELECT * FROM missing_table")
        .fetch_all::<Twice>()
        .await
    {
        Ok(_) => Err("no error".to_string()),
        Err(clickhouse::error::Error::BadResponse(msg))
            if msg.contains("Code: 60.") && msg.contains("(UNKNOWN_TABLE)") =>
        {
            Ok(())
        }
        Err(other) => Err(format!("unexpected error: {other}")),
    };
    checks.push(("error code 60 (UNKNOWN_TABLE)", error));

    // The client is still usable after the error.
    let count = client
        .query("SELECT count() FROM rs")
        .fetch_one::<u64>()
        .await
        .map_err(e)
        .and_then(|n| {
            if n == 3 {
                Ok(())
            } else {
                Err(format!("got {n}"))
            }
        });
    checks.push(("usable after an error", count));
    Ok(checks)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: sluice-rust-client-check <http url>");
        std::process::exit(2);
    };
    let client = Client::default().with_url(url);
    let checks = match run(&client).await {
        Ok(c) => c,
        Err(e) => {
            println!("setup failed: {e}");
            std::process::exit(1);
        }
    };
    let mut failed = 0;
    for (name, result) in &checks {
        match result {
            Ok(()) => println!("ok      {name}"),
            Err(e) => {
                failed += 1;
                println!("FAILED  {name}: {e}");
            }
        }
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
