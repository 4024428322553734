//! Partition operations, mutations, ALTER of columns, TTL and VersionedCollapsing, with
//! expected results and part names from ClickHouse via the oracle (the SQL is quoted on
//! each test; run it with `/work/shared/tools/ch-oracle -q "…"`).

mod common;

use std::sync::Arc;

use common::*;
use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, StringArray, UInt32Array};
use datafusion::arrow::datatypes::{Date32Type, UInt32Type};
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

fn to_yyyymm() -> Arc<dyn sluice_storage::BatchExpr> {
    fn_expr("toYYYYMM(d)", &["d"], |b| {
        let d = b
            .column_by_name("d")
            .expect("d")
            .as_primitive::<Date32Type>();
        let out: UInt32Array = d
            .iter()
            .map(|v| {
                v.and_then(|days| {
                    let date = chrono::DateTime::from_timestamp(days as i64 * 86400, 0)?;
                    use chrono::Datelike;
                    Some(date.year() as u32 * 100 + date.month())
                })
            })
            .collect();
        Ok(vec![Arc::new(out) as ArrayRef])
    })
}

fn k_equals(n: u32) -> Arc<dyn sluice_storage::BatchExpr> {
    fn_expr(&format!("k = {n}"), &["k"], move |b| {
        let k = b
            .column_by_name("k")
            .expect("k")
            .as_primitive::<UInt32Type>();
        let out: BooleanArray = k.iter().map(|v| v.map(|v| v == n)).collect();
        Ok(vec![Arc::new(out) as ArrayRef])
    })
}

/// ch-oracle -q "CREATE TABLE p (d Date, k UInt32, v String) ENGINE=MergeTree
///   PARTITION BY toYYYYMM(d) ORDER BY k;
/// INSERT INTO p VALUES ('2025-09-01',1,'a'),('2025-10-01',2,'b');
/// INSERT INTO p VALUES ('2025-09-03',3,'c');
/// ALTER TABLE p DETACH PARTITION 202509; (detached: 202509_1_1_0, 202509_3_3_0, reason '')
/// ALTER TABLE p ATTACH PARTITION 202509; (parts 202509_4_4_0 202509_5_5_0 202510_2_2_0)
/// ALTER TABLE p DROP PARTITION 202510;
/// ALTER TABLE p DELETE WHERE k = 1; (parts 202509_4_4_0_6 202509_5_5_0_6)
/// ALTER TABLE p UPDATE v = 'z' WHERE k = 3; (parts …_7; mutations (DELETE WHERE k = 1) …)
/// INSERT INTO p VALUES ('2025-09-05',5,'e'); OPTIMIZE TABLE p FINAL; (202509_4_8_1_7, 2 rows)
/// TRUNCATE TABLE p; INSERT INTO p VALUES ('2025-09-05',6,'f'); (202509_9_9_0)"
#[tokio::test]
async fn partitions_mutations_truncate() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("d", "Date"), ("k", "UInt32"), ("v", "String")]);
    let mut sp = spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]);
    sp.partition_key = Some(to_yyyymm());
    let t = MergeTreeTable::open(dir.path().join("p"), sp).unwrap();
    // Part names are compared with ClickHouse's, where no background merge ran.
    t.stop_merges();
    let ins = |data: &[&[&str]]| t.insert(rows(&s, data), InsertOptions::default()).unwrap();
    let written = ins(&[&["2025-09-01", "1", "a"], &["2025-10-01", "2", "b"]]);
    let mut names: Vec<_> = written.iter().map(|p| p.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["202509_1_1_0", "202510_2_2_0"]);
    assert_eq!(written[0].partition, "202509");
    assert_eq!(written[0].marks, 2);
    assert_eq!(written[0].min_date, 20332); // 2025-09-01
    ins(&[&["2025-09-03", "3", "c"]]);

    t.detach_partition("202509").unwrap();
    let detached: Vec<_> = t
        .detached_parts()
        .into_iter()
        .map(|d| (d.name, d.partition_id, d.reason, d.min_block_number))
        .collect();
    assert_eq!(
        detached,
        vec![
            (
                "202509_1_1_0".into(),
                Some("202509".into()),
                Some(String::new()),
                Some(1)
            ),
            (
                "202509_3_3_0".into(),
                Some("202509".into()),
                Some(String::new()),
                Some(3)
            ),
        ]
    );
    assert_eq!(select(&t, false).await, sorted(&["2025-10-01\t2\tb"]));
    t.attach_partition("202509").unwrap();
    assert_eq!(
        part_names(&t),
        ["202509_4_4_0", "202509_5_5_0", "202510_2_2_0"]
    );
    assert_eq!(
        select(&t, false).await,
        sorted(&["2025-09-01\t1\ta", "2025-10-01\t2\tb", "2025-09-03\t3\tc"])
    );
    t.drop_partition("202510").unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["2025-09-01\t1\ta", "2025-09-03\t3\tc"])
    );
    t.mutate_delete(k_equals(1)).unwrap();
    assert_eq!(select(&t, false).await, sorted(&["2025-09-03\t3\tc"]));
    assert_eq!(part_names(&t), ["202509_4_4_0_6", "202509_5_5_0_6"]);
    let set_z = fn_expr("'z'", &[], |b| {
        Ok(vec![
            Arc::new(StringArray::from(vec!["z"; b.num_rows()])) as ArrayRef
        ])
    });
    t.mutate_update(vec![("v".into(), set_z)], k_equals(3))
        .unwrap();
    assert_eq!(select(&t, false).await, sorted(&["2025-09-03\t3\tz"]));
    assert_eq!(part_names(&t), ["202509_4_4_0_7", "202509_5_5_0_7"]);
    let muts: Vec<_> = t
        .mutations()
        .into_iter()
        .map(|m| (m.mutation_id, m.command, m.is_done, m.parts_to_do))
        .collect();
    assert_eq!(
        muts,
        vec![
            (
                "mutation_6.txt".into(),
                "(DELETE WHERE k = 1)".into(),
                true,
                0
            ),
            (
                "mutation_7.txt".into(),
                "(UPDATE v = 'z' WHERE k = 3)".into(),
                true,
                0
            ),
        ]
    );
    ins(&[&["2025-09-05", "5", "e"]]);
    t.optimize(None, true, false).unwrap();
    let parts: Vec<_> = t
        .parts()
        .into_iter()
        .filter(|p| p.active)
        .map(|p| (p.name, p.rows))
        .collect();
    assert_eq!(parts, vec![("202509_4_8_1_7".to_string(), 2)]);
    t.truncate().unwrap();
    assert_eq!(t.total_rows(), 0);
    assert!(select(&t, false).await.is_empty());
    ins(&[&["2025-09-05", "6", "f"]]);
    assert_eq!(part_names(&t), ["202509_9_9_0"]);
    t.shutdown();
    drop(t);
    // Everything survives a restart: dropped rows stay dropped.
    let mut sp = spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]);
    sp.partition_key = Some(to_yyyymm());
    let t = MergeTreeTable::open(dir.path().join("p"), sp).unwrap();
    assert_eq!(select(&t, false).await, sorted(&["2025-09-05\t6\tf"]));
    assert_eq!(part_names(&t), ["202509_9_9_0"]);
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE t (d DateTime, k UInt32) ENGINE=MergeTree ORDER BY k
///   TTL d + INTERVAL 1 DAY;
/// INSERT INTO t VALUES ('2020-01-01 00:00:00',1),('2099-01-01 00:00:00',2);
/// SELECT k FROM t ORDER BY k; OPTIMIZE TABLE t FINAL; SELECT k FROM t ORDER BY k;" → 2, 2
#[tokio::test]
async fn ttl_drops_expired_rows() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("d", "DateTime"), ("k", "UInt32")]);
    let mut sp = spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]);
    sp.ttl = Some(fn_expr("d + toIntervalDay(1)", &["d"], |b| {
        let d = b.column_by_name("d").expect("d");
        let plus = datafusion::arrow::compute::kernels::numeric::add(
            d,
            &datafusion::arrow::array::Scalar::new(
                datafusion::arrow::array::DurationSecondArray::from(vec![86400]),
            ),
        )
        .map_err(|e| sluice_common::Error::internal(e.to_string()))?;
        Ok(vec![plus])
    }));
    let t = MergeTreeTable::open(dir.path().join("t"), sp).unwrap();
    t.insert(
        rows(
            &s,
            &[&["2020-01-01 00:00:00", "1"], &["2099-01-01 00:00:00", "2"]],
        ),
        InsertOptions::default(),
    )
    .unwrap();
    assert_eq!(select_sql(&t, false, "SELECT k FROM t").await, ["2"]);
    t.optimize(None, true, false).unwrap();
    assert_eq!(select_sql(&t, false, "SELECT k FROM t").await, ["2"]);
    let p = &t.parts()[0];
    assert_eq!(p.delete_ttl_info_min, 4070995200); // 2099-01-02 00:00:00
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE a (k UInt32, v String) ENGINE=MergeTree ORDER BY k;
/// INSERT INTO a VALUES (1,'x'); ALTER TABLE a ADD COLUMN n UInt16 DEFAULT 7;
/// ALTER TABLE a ADD COLUMN m Nullable(String); ALTER TABLE a RENAME COLUMN v TO w;
/// INSERT INTO a VALUES (2,'y',3,'q'); SELECT * FROM a ORDER BY k;
///   → 1 x 7 \N / 2 y 3 q
/// ALTER TABLE a MODIFY COLUMN n String; SELECT *, toTypeName(n) FROM a ORDER BY k;
///   → same rows, String
/// DELETE FROM a WHERE k = 1; SELECT name, has_lightweight_delete FROM system.parts …
///   → all_1_1_0_5 1, all_3_3_0_5 0"
#[tokio::test]
async fn alter_columns_and_lightweight_delete() {
    let dir = tempfile::tempdir().unwrap();
    let s1 = schema(&[("k", "UInt32"), ("v", "String")]);
    let t = MergeTreeTable::open(
        dir.path().join("a"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s1), &["k"]),
    )
    .unwrap();
    t.stop_merges();
    t.insert(rows(&s1, &[&["1", "x"]]), InsertOptions::default())
        .unwrap();
    let s2 = schema(&[("k", "UInt32"), ("v", "String"), ("n", "UInt16")]);
    t.alter_schema(Arc::clone(&s2), vec![]).unwrap();
    t.set_column_defaults(vec![(
        "n".into(),
        fn_expr("7", &[], |b| {
            Ok(vec![
                Arc::new(datafusion::arrow::array::UInt16Array::from(vec![
                    7;
                    b.num_rows(
                    )
                ])) as ArrayRef,
            ])
        }),
    )]);
    let s3 = schema(&[
        ("k", "UInt32"),
        ("v", "String"),
        ("n", "UInt16"),
        ("m", "Nullable(String)"),
    ]);
    t.alter_schema(Arc::clone(&s3), vec![]).unwrap();
    let s4 = schema(&[
        ("k", "UInt32"),
        ("w", "String"),
        ("n", "UInt16"),
        ("m", "Nullable(String)"),
    ]);
    t.alter_schema(Arc::clone(&s4), vec![("v".into(), "w".into())])
        .unwrap();
    t.insert(
        rows(&s4, &[&["2", "y", "3", "q"]]),
        InsertOptions::default(),
    )
    .unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["1\tx\t7\t\\N", "2\ty\t3\tq"])
    );
    let s5 = schema(&[
        ("k", "UInt32"),
        ("w", "String"),
        ("n", "String"),
        ("m", "Nullable(String)"),
    ]);
    t.alter_schema(Arc::clone(&s5), vec![]).unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["1\tx\t7\t\\N", "2\ty\t3\tq"])
    );
    assert_eq!(part_names(&t), ["all_1_1_0_4", "all_3_3_0_4"]);
    t.lightweight_delete(k_equals(1)).unwrap();
    assert_eq!(select(&t, false).await, sorted(&["2\ty\t3\tq"]));
    let flags: Vec<_> = {
        let mut v: Vec<_> = t
            .parts()
            .into_iter()
            .map(|p| (p.name, p.has_lightweight_delete))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        flags,
        vec![
            ("all_1_1_0_5".to_string(), true),
            ("all_3_3_0_5".to_string(), false)
        ]
    );
    // Renames survive a restart.
    t.shutdown();
    drop(t);
    let t = MergeTreeTable::open(
        dir.path().join("a"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s5), &["k"]),
    )
    .unwrap();
    assert_eq!(select(&t, false).await, sorted(&["2\ty\t3\tq"]));
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE v (k UInt32, x UInt32, sign Int8, ver UInt32)
///   ENGINE=VersionedCollapsingMergeTree(sign, ver) ORDER BY k;
/// INSERT INTO v VALUES (1,10,1,1),(2,20,1,1),(3,30,1,1);
/// INSERT INTO v VALUES (1,10,-1,1),(1,11,1,2),(2,20,-1,2),(3,30,-1,1),(3,30,-1,1);
/// SELECT * FROM v FINAL ORDER BY k, ver, sign; OPTIMIZE TABLE v FINAL; SELECT * FROM v …"
#[tokio::test]
async fn versioned_collapsing() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[
        ("k", "UInt32"),
        ("x", "UInt32"),
        ("sign", "Int8"),
        ("ver", "UInt32"),
    ]);
    let t = MergeTreeTable::open(
        dir.path().join("v"),
        spec(
            MergeTreeEngine::VersionedCollapsing {
                sign: "sign".into(),
                version: "ver".into(),
            },
            Arc::clone(&s),
            &["k"],
        ),
    )
    .unwrap();
    t.insert(
        rows(
            &s,
            &[
                &["1", "10", "1", "1"],
                &["2", "20", "1", "1"],
                &["3", "30", "1", "1"],
            ],
        ),
        InsertOptions::default(),
    )
    .unwrap();
    t.insert(
        rows(
            &s,
            &[
                &["1", "10", "-1", "1"],
                &["1", "11", "1", "2"],
                &["2", "20", "-1", "2"],
                &["3", "30", "-1", "1"],
                &["3", "30", "-1", "1"],
            ],
        ),
        InsertOptions::default(),
    )
    .unwrap();
    let expected = sorted(&["1\t11\t1\t2", "2\t20\t1\t1", "2\t20\t-1\t2", "3\t30\t-1\t1"]);
    assert_eq!(select(&t, true).await, expected);
    t.optimize(None, true, false).unwrap();
    assert_eq!(select(&t, false).await, expected);
    t.shutdown();
}

/// ch-oracle -q "CREATE TABLE dd (k UInt32, v String) ENGINE=MergeTree ORDER BY k;
/// INSERT INTO dd VALUES (1,'a'),(1,'a'),(1,'b'),(2,'c');
/// INSERT INTO dd VALUES (1,'a'),(2,'c'),(3,'d');
/// OPTIMIZE TABLE dd DEDUPLICATE; SELECT * FROM dd ORDER BY k, v;
///   → 1 a / 1 b / 2 c / 3 d, part all_1_2_1
/// CREATE TABLE one (k UInt32) ENGINE=MergeTree ORDER BY k; INSERT INTO one VALUES (1);
/// OPTIMIZE TABLE one; (all_1_1_0) OPTIMIZE TABLE one FINAL; (all_1_1_1) again (all_1_1_2)"
#[tokio::test]
async fn optimize_deduplicate_and_single_parts() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("k", "UInt32"), ("v", "String")]);
    let t = MergeTreeTable::open(
        dir.path().join("dd"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]),
    )
    .unwrap();
    t.stop_merges();
    let ins = |data: &[&[&str]]| t.insert(rows(&s, data), InsertOptions::default()).unwrap();
    ins(&[&["1", "a"], &["1", "a"], &["1", "b"], &["2", "c"]]);
    ins(&[&["1", "a"], &["2", "c"], &["3", "d"]]);
    t.optimize(None, false, true).unwrap();
    assert_eq!(
        select(&t, false).await,
        sorted(&["1\ta", "1\tb", "2\tc", "3\td"])
    );
    assert_eq!(part_names(&t), ["all_1_2_1"]);
    t.shutdown();

    let s1 = schema(&[("k", "UInt32")]);
    let one = MergeTreeTable::open(
        dir.path().join("one"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s1), &["k"]),
    )
    .unwrap();
    one.insert(rows(&s1, &[&["1"]]), InsertOptions::default())
        .unwrap();
    one.optimize(None, false, false).unwrap();
    assert_eq!(part_names(&one), ["all_1_1_0"]);
    one.optimize(None, true, false).unwrap();
    assert_eq!(part_names(&one), ["all_1_1_1"]);
    one.optimize(None, true, false).unwrap();
    assert_eq!(part_names(&one), ["all_1_1_2"]);
    one.shutdown();
}

/// A MODIFY COLUMN whose values do not convert fails and leaves the table as it was
/// (ClickHouse: the mutation fails with a parse error; the column keeps its type).
#[tokio::test]
async fn failed_modify_column_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("k", "UInt32"), ("v", "String")]);
    let t = MergeTreeTable::open(
        dir.path().join("m"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]),
    )
    .unwrap();
    t.insert(
        rows(&s, &[&["1", "12"], &["2", "abc"]]),
        InsertOptions::default(),
    )
    .unwrap();
    let bad = schema(&[("k", "UInt32"), ("v", "UInt32")]);
    let e = t.alter_schema(bad, vec![]).unwrap_err();
    assert_eq!(e.code.0, 70, "{}", e.message);
    assert_eq!(t.schema(), s);
    assert_eq!(select(&t, false).await, sorted(&["1\t12", "2\tabc"]));
    let m = t.mutations();
    assert_eq!(m.len(), 1);
    assert!(!m[0].is_done);
    assert_eq!(m[0].latest_fail_error_code_name, "CANNOT_CONVERT_TYPE");
    t.shutdown();
}
