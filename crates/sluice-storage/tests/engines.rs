//! Engine semantics (Replacing, Summing, Collapsing, VersionedCollapsing) at insert, merge,
//! OPTIMIZE and FINAL. Expected results come from ClickHouse through the oracle; each test
//! quotes the SQL that was run (`/work/shared/tools/ch-oracle -q "…"`).

mod common;

use common::*;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

fn open(
    dir: &tempfile::TempDir,
    engine: MergeTreeEngine,
    cols: &[(&str, &str)],
    key: &[&str],
) -> std::sync::Arc<MergeTreeTable> {
    MergeTreeTable::open(dir.path().join("t"), spec(engine, schema(cols), key)).unwrap()
}

fn insert(t: &MergeTreeTable, data: &[&[&str]]) {
    t.insert(rows(&t.schema(), data), InsertOptions::default())
        .unwrap();
}

/// ch-oracle -q "CREATE TABLE r (k UInt32, v String, ver UInt32, del UInt8)
///   ENGINE=ReplacingMergeTree(ver, del) ORDER BY k;
/// INSERT INTO r VALUES (1,'a',1,0),(2,'b',1,0),(3,'c',1,0);
/// INSERT INTO r VALUES (1,'a2',2,0),(2,'b2',2,1),(3,'c0',0,0);
/// SELECT * FROM r FINAL ORDER BY k; OPTIMIZE TABLE r FINAL; SELECT * FROM r ORDER BY k;"
#[tokio::test]
async fn replacing_with_version_and_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(
        &dir,
        MergeTreeEngine::Replacing {
            version: Some("ver".into()),
            is_deleted: Some("del".into()),
        },
        &[
            ("k", "UInt32"),
            ("v", "String"),
            ("ver", "UInt32"),
            ("del", "UInt8"),
        ],
        &["k"],
    );
    insert(
        &t,
        &[
            &["1", "a", "1", "0"],
            &["2", "b", "1", "0"],
            &["3", "c", "1", "0"],
        ],
    );
    insert(
        &t,
        &[
            &["1", "a2", "2", "0"],
            &["2", "b2", "2", "1"],
            &["3", "c0", "0", "0"],
        ],
    );
    assert_eq!(
        select(&t, true).await,
        sorted(&["1\ta2\t2\t0", "3\tc\t1\t0"])
    );
    t.optimize(None, true, false).unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["1\ta2\t2\t0", "2\tb2\t2\t1", "3\tc\t1\t0"])
    );
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE r (k UInt32, v UInt32) ENGINE=ReplacingMergeTree ORDER BY k;
/// INSERT INTO r VALUES (1,1),(2,2); INSERT INTO r VALUES (1,1),(1,2);
/// SELECT name, rows FROM system.parts WHERE table='r' AND active ORDER BY name; SELECT * FROM r;"
/// → all_1_1_1 2, all_2_2_1 1 (optimize_on_insert collapses the block; level 1).
#[tokio::test]
async fn combining_engines_collapse_the_insert_block() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(
        &dir,
        MergeTreeEngine::Replacing {
            version: None,
            is_deleted: None,
        },
        &[("k", "UInt32"), ("v", "UInt32")],
        &["k"],
    );
    insert(&t, &[&["1", "1"], &["2", "2"]]);
    insert(&t, &[&["1", "1"], &["1", "2"]]);
    let mut parts: Vec<(String, u64)> = t.parts().into_iter().map(|p| (p.name, p.rows)).collect();
    parts.sort();
    // A background merge may already have combined them; before it, the names match.
    if parts.len() == 2 {
        assert_eq!(
            parts,
            vec![("all_1_1_1".into(), 2), ("all_2_2_1".into(), 1)]
        );
    }
    assert_eq!(select(&t, true).await, sorted(&["1\t2", "2\t2"]));
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE s (k UInt32, x Int32, y Float64, z String)
///   ENGINE=SummingMergeTree ORDER BY k;
/// INSERT INTO s VALUES (1,1,1.5,'a'),(2,5,0,'b'); INSERT INTO s VALUES (1,2,1,'c'),(2,-5,0,'d');
/// SELECT * FROM s FINAL ORDER BY k; OPTIMIZE TABLE s FINAL; SELECT * FROM s ORDER BY k;"
/// → both: 1 3 2.5 a
#[tokio::test]
async fn summing_sums_and_drops_zero_rows() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(
        &dir,
        MergeTreeEngine::Summing { columns: vec![] },
        &[
            ("k", "UInt32"),
            ("x", "Int32"),
            ("y", "Float64"),
            ("z", "String"),
        ],
        &["k"],
    );
    insert(&t, &[&["1", "1", "1.5", "a"], &["2", "5", "0", "b"]]);
    insert(&t, &[&["1", "2", "1", "c"], &["2", "-5", "0", "d"]]);
    assert_eq!(select(&t, true).await, sorted(&["1\t3\t2.5\ta"]));
    t.optimize(None, true, false).unwrap();
    assert_eq!(select(&t, false).await, sorted(&["1\t3\t2.5\ta"]));
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE c (k UInt32, v UInt32, sign Int8) ENGINE=CollapsingMergeTree(sign)
///   ORDER BY k;
/// INSERT INTO c VALUES (1,10,-1), (2,20,1),(2,21,1),(2,22,-1), (3,30,1),(3,31,1),(3,32,1),
///   (3,33,-1), (4,40,-1),(4,41,-1),(4,42,1),(5,50,-1),(5,51,1), (6,60,1),(6,61,-1),(7,70,-1),
///   (7,71,-1),(7,72,-1),(7,73,1), (8,80,-1),(8,81,1),(8,82,-1);
/// SELECT * FROM c FINAL ORDER BY k, v; OPTIMIZE TABLE c FINAL; SELECT * FROM c ORDER BY k, v;"
#[tokio::test]
async fn collapsing_rules() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(
        &dir,
        MergeTreeEngine::Collapsing {
            sign: "sign".into(),
        },
        &[("k", "UInt32"), ("v", "UInt32"), ("sign", "Int8")],
        &["k"],
    );
    let data: Vec<[&str; 3]> = vec![
        ["1", "10", "-1"],
        ["2", "20", "1"],
        ["2", "21", "1"],
        ["2", "22", "-1"],
        ["3", "30", "1"],
        ["3", "31", "1"],
        ["3", "32", "1"],
        ["3", "33", "-1"],
        ["4", "40", "-1"],
        ["4", "41", "-1"],
        ["4", "42", "1"],
        ["5", "50", "-1"],
        ["5", "51", "1"],
        ["6", "60", "1"],
        ["6", "61", "-1"],
        ["7", "70", "-1"],
        ["7", "71", "-1"],
        ["7", "72", "-1"],
        ["7", "73", "1"],
        ["8", "80", "-1"],
        ["8", "81", "1"],
        ["8", "82", "-1"],
    ];
    let refs: Vec<&[&str]> = data.iter().map(|r| &r[..]).collect();
    insert(&t, &refs);
    assert_eq!(
        select(&t, true).await,
        sorted(&["2\t21\t1", "3\t32\t1", "5\t51\t1"])
    );
    t.optimize(None, true, false).unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&[
            "1\t10\t-1",
            "2\t21\t1",
            "3\t32\t1",
            "4\t40\t-1",
            "5\t50\t-1",
            "5\t51\t1",
            "7\t70\t-1",
            "8\t80\t-1"
        ])
    );
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE c (k UInt32, v UInt32, sign Int8) ENGINE=CollapsingMergeTree(sign)
///   ORDER BY k;
/// INSERT INTO c VALUES (1,10,1),(2,20,1),(3,30,-1),(4,40,1);
/// INSERT INTO c VALUES (1,10,-1),(1,11,1),(2,20,-1),(3,31,1),(4,40,-1),(4,41,-1);
/// SELECT * FROM c FINAL ORDER BY k, v; OPTIMIZE TABLE c FINAL; SELECT * FROM c ORDER BY k, v;"
#[tokio::test]
async fn collapsing_across_parts() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(
        &dir,
        MergeTreeEngine::Collapsing {
            sign: "sign".into(),
        },
        &[("k", "UInt32"), ("v", "UInt32"), ("sign", "Int8")],
        &["k"],
    );
    insert(
        &t,
        &[
            &["1", "10", "1"],
            &["2", "20", "1"],
            &["3", "30", "-1"],
            &["4", "40", "1"],
        ],
    );
    insert(
        &t,
        &[
            &["1", "10", "-1"],
            &["1", "11", "1"],
            &["2", "20", "-1"],
            &["3", "31", "1"],
            &["4", "40", "-1"],
            &["4", "41", "-1"],
        ],
    );
    assert_eq!(select(&t, true).await, sorted(&["1\t11\t1", "3\t31\t1"]));
    t.optimize(None, true, false).unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["1\t11\t1", "3\t30\t-1", "3\t31\t1"])
    );
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE d0 (a UInt32) ENGINE=MergeTree ORDER BY a;
/// INSERT INTO d0 SETTINGS insert_deduplication_token='x' VALUES (1); (twice)
/// INSERT INTO d0 VALUES (2); INSERT INTO d0 VALUES (2); SELECT count() FROM d0;" → 4
/// and with SETTINGS non_replicated_deduplication_window=10, tokens 'x' for (1) then (5),
/// (2) twice → [1,2]
#[tokio::test]
async fn insert_deduplication_window() {
    for (window, expected) in [(0u64, vec!["1", "1", "2", "2"]), (10, vec!["1", "2"])] {
        let dir = tempfile::tempdir().unwrap();
        let mut sp = spec(
            MergeTreeEngine::MergeTree,
            schema(&[("a", "UInt32")]),
            &["a"],
        );
        sp.settings.non_replicated_deduplication_window = window;
        let t = MergeTreeTable::open(dir.path().join("t"), sp).unwrap();
        let tok = |s: &str| InsertOptions {
            dedup_token: Some(s.into()),
            deduplicate: true,
            ..InsertOptions::default()
        };
        let plain = InsertOptions {
            deduplicate: true,
            ..InsertOptions::default()
        };
        let s = t.schema();
        t.insert(rows(&s, &[&["1"]]), tok("x")).unwrap();
        let second = t
            .insert(
                rows(&s, &[&[if window == 0 { "1" } else { "5" }]]),
                tok("x"),
            )
            .unwrap();
        assert_eq!(second.is_empty(), window > 0);
        t.insert(rows(&s, &[&["2"]]), plain.clone()).unwrap();
        t.insert(rows(&s, &[&["2"]]), plain).unwrap();
        assert_eq!(select(&t, false).await, sorted(&expected));
        t.shutdown();
        // The window survives a restart.
        if window > 0 {
            let sp = {
                let mut sp = spec(
                    MergeTreeEngine::MergeTree,
                    schema(&[("a", "UInt32")]),
                    &["a"],
                );
                sp.settings.non_replicated_deduplication_window = window;
                sp
            };
            drop(t);
            let t = MergeTreeTable::open(dir.path().join("t"), sp).unwrap();
            let again = t
                .insert(
                    rows(&t.schema(), &[&["2"]]),
                    InsertOptions {
                        deduplicate: true,
                        ..InsertOptions::default()
                    },
                )
                .unwrap();
            assert!(again.is_empty());
            t.shutdown();
        }
    }
}

/// ch-oracle -q "CREATE TABLE ag (k UInt32, s SimpleAggregateFunction(sum, UInt64),
///   mx SimpleAggregateFunction(max, Int32), a SimpleAggregateFunction(anyLast, String),
///   other String) ENGINE=AggregatingMergeTree ORDER BY k
///   SETTINGS allow_dimensions_outside_sorting_key=1;
/// INSERT INTO ag VALUES (1,1,5,'x','p'),(2,2,1,'y','q');
/// INSERT INTO ag VALUES (1,10,3,'z','r'),(2,0,7,'w','t');
/// SELECT * FROM ag FINAL ORDER BY k; OPTIMIZE TABLE ag FINAL; SELECT * FROM ag ORDER BY k;"
/// Without the setting: Code: 36 … neither part of the sorting key nor aggregate measures.
#[tokio::test]
async fn aggregating_simple_functions() {
    let cols = [
        ("k", "UInt32"),
        ("s", "SimpleAggregateFunction(sum, UInt64)"),
        ("mx", "SimpleAggregateFunction(max, Int32)"),
        ("a", "SimpleAggregateFunction(anyLast, String)"),
        ("other", "String"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let err = MergeTreeTable::open(
        dir.path().join("bad"),
        spec(MergeTreeEngine::Aggregating, schema(&cols), &["k"]),
    )
    .unwrap_err();
    assert_eq!(err.code.0, 36);
    assert!(
        err.message
            .starts_with("Column(s) other of the AggregatingMergeTree table")
    );
    let mut sp = spec(MergeTreeEngine::Aggregating, schema(&cols), &["k"]);
    sp.settings
        .set("allow_dimensions_outside_sorting_key", "1")
        .unwrap();
    let t = MergeTreeTable::open(dir.path().join("ag"), sp).unwrap();
    insert(
        &t,
        &[&["1", "1", "5", "x", "p"], &["2", "2", "1", "y", "q"]],
    );
    insert(
        &t,
        &[&["1", "10", "3", "z", "r"], &["2", "0", "7", "w", "t"]],
    );
    let expected = sorted(&["1\t11\t5\tz\tp", "2\t2\t7\tw\tq"]);
    assert_eq!(select(&t, true).await, expected);
    t.optimize(None, true, false).unwrap();
    assert_eq!(select(&t, false).await, expected);
    t.shutdown();
}

/// An `AggregateFunction(sum, UInt64)` state stored as 8 little-endian bytes, merged by a
/// test merger (the engine provides the real one).
#[derive(Debug)]
struct SumStates;

impl sluice_storage::StateMerger for SumStates {
    fn merge_states(
        &self,
        _column: &str,
        _ch_type: &str,
        states: &datafusion::arrow::array::ArrayRef,
        groups: &[std::ops::Range<usize>],
    ) -> sluice_common::Result<datafusion::arrow::array::ArrayRef> {
        use datafusion::arrow::array::{AsArray, BinaryArray};
        let b = states.as_binary::<i32>();
        let out: BinaryArray = groups
            .iter()
            .map(|g| {
                let sum: u64 = g
                    .clone()
                    .map(|i| u64::from_le_bytes(b.value(i).try_into().unwrap_or([0; 8])))
                    .sum();
                Some(sum.to_le_bytes().to_vec())
            })
            .collect();
        Ok(std::sync::Arc::new(out))
    }
}

#[tokio::test]
async fn aggregating_states_use_the_state_merger() {
    use datafusion::arrow::array::{ArrayRef, BinaryArray, RecordBatch, UInt32Array};
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("k", "UInt32"), ("st", "AggregateFunction(sum, UInt64)")]);
    let t = MergeTreeTable::open(
        dir.path().join("t"),
        spec(
            MergeTreeEngine::Aggregating,
            std::sync::Arc::clone(&s),
            &["k"],
        ),
    )
    .unwrap();
    t.set_state_merger(std::sync::Arc::new(SumStates));
    let batch = |ks: &[u32], vs: &[u64]| {
        let k: ArrayRef = std::sync::Arc::new(UInt32Array::from(ks.to_vec()));
        let st: ArrayRef = std::sync::Arc::new(BinaryArray::from_iter_values(
            vs.iter().map(|v| v.to_le_bytes()),
        ));
        RecordBatch::try_new(std::sync::Arc::clone(&s), vec![k, st]).unwrap()
    };
    t.insert(batch(&[1, 2, 1], &[1, 2, 3]), InsertOptions::default())
        .unwrap();
    t.insert(batch(&[2], &[40]), InsertOptions::default())
        .unwrap();
    t.optimize(None, true, false).unwrap();
    let got = select_sql(&t, false, "SELECT k, st FROM t").await;
    let hex = |v: u64| {
        v.to_le_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(
        got,
        sorted(&[&format!("1\t{}", hex(4)), &format!("2\t{}", hex(42))])
    );
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE sm (d Date, k UInt32, x UInt64) ENGINE=SummingMergeTree
///   PARTITION BY toYYYYMM(d) ORDER BY k;
/// INSERT INTO sm VALUES ('2025-09-01',1,1),('2025-10-01',1,2);
/// INSERT INTO sm VALUES ('2025-09-02',1,3),('2025-10-05',1,4);
/// SELECT * FROM sm FINAL WHERE k = 1 ORDER BY d;   → 2025-09-01 1 10 (FINAL crosses partitions)
/// SELECT * FROM sm FINAL WHERE d >= '2025-10-01'; → nothing (WHERE after FINAL)
/// OPTIMIZE TABLE sm FINAL; SELECT * FROM sm ORDER BY d; → 2025-09-01 1 4 / 2025-10-01 1 6"
#[tokio::test]
async fn final_merges_across_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("d", "Date"), ("k", "UInt32"), ("x", "UInt64")]);
    let mut sp = spec(
        MergeTreeEngine::Summing { columns: vec![] },
        std::sync::Arc::clone(&s),
        &["k"],
    );
    // PARTITION BY the month: days / 31 stands in for toYYYYMM here (same grouping for
    // these dates).
    sp.partition_key = Some(fn_expr("toYYYYMM(d)", &["d"], |b| {
        use datafusion::arrow::array::{ArrayRef, AsArray, UInt32Array};
        use datafusion::arrow::datatypes::Date32Type;
        let d = b.column_by_name("d").unwrap().as_primitive::<Date32Type>();
        let out: UInt32Array = d
            .iter()
            .map(|v| v.map(|days| if days < 20362 { 202509 } else { 202510 }))
            .collect();
        Ok(vec![std::sync::Arc::new(out) as ArrayRef])
    }));
    let t = MergeTreeTable::open(dir.path().join("sm"), sp).unwrap();
    insert(&t, &[&["2025-09-01", "1", "1"], &["2025-10-01", "1", "2"]]);
    insert(&t, &[&["2025-09-02", "1", "3"], &["2025-10-05", "1", "4"]]);
    assert_eq!(
        select_sql(&t, true, "SELECT * FROM t WHERE k = 1").await,
        ["2025-09-01\t1\t10"]
    );
    assert!(
        select_sql(&t, true, "SELECT * FROM t WHERE d >= DATE '2025-10-01'")
            .await
            .is_empty()
    );
    t.optimize(None, true, false).unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["2025-09-01\t1\t4", "2025-10-01\t1\t6"])
    );
    t.shutdown();
}
