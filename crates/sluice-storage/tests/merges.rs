//! Background merges and insert throttling.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

/// ch-oracle -q "CREATE TABLE x (a UInt32) ENGINE=MergeTree ORDER BY a
///   SETTINGS parts_to_throw_insert=3, parts_to_delay_insert=2; SYSTEM STOP MERGES x;
/// INSERT INTO x VALUES (1); … (4);"
/// → Code: 252. DB::Exception: Too many parts (3 with average size of 338.00 B) in table
///   'default.x (…)'. Merges are processing significantly slower than inserts.
#[tokio::test]
async fn too_many_parts_rejects_inserts() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("a", "UInt32")]);
    let mut sp = spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["a"]);
    sp.settings.set("parts_to_throw_insert", "3").unwrap();
    sp.settings.set("parts_to_delay_insert", "2").unwrap();
    let t = MergeTreeTable::open(dir.path().join("x"), sp).unwrap();
    t.set_display_name("default.x");
    t.stop_merges();
    for v in ["1", "2", "3"] {
        t.insert(rows(&s, &[&[v]]), InsertOptions::default())
            .unwrap();
    }
    let e = t
        .insert(rows(&s, &[&["4"]]), InsertOptions::default())
        .unwrap_err();
    assert_eq!(e.code.0, 252);
    assert!(
        e.message
            .starts_with("Too many parts (3 with average size of ")
            && e.message.ends_with(
                " in table 'default.x'. Merges are processing significantly slower than inserts"
            ),
        "{}",
        e.message
    );
    // Merges make room again.
    t.start_merges();
    let start = Instant::now();
    loop {
        if t.insert(rows(&s, &[&["4"]]), InsertOptions::default())
            .is_ok()
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "merges never caught up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(select(&t, false).await, sorted(&["1", "2", "3", "4"]));
    t.shutdown();
}

/// Many small inserts from several threads while merges run: nothing lost, nothing
/// doubled, and the part count comes down.
#[tokio::test]
async fn background_merges_keep_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("t", "UInt32"), ("i", "UInt32")]);
    let t = MergeTreeTable::open(
        dir.path().join("m"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["i"]),
    )
    .unwrap();
    std::thread::scope(|scope| {
        for th in 0..3u32 {
            let t = Arc::clone(&t);
            let s = Arc::clone(&s);
            scope.spawn(move || {
                for i in 0..40u32 {
                    let a = th.to_string();
                    let b = i.to_string();
                    t.insert(
                        rows(&s, &[&[a.as_str(), b.as_str()]]),
                        InsertOptions::default(),
                    )
                    .unwrap();
                }
            });
        }
    });
    let start = Instant::now();
    while t.parts().iter().filter(|p| p.active).count() > 10 {
        assert!(start.elapsed() < Duration::from_secs(20), "no merges");
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = select_sql(&t, false, "SELECT count(*), count(DISTINCT (t, i)) FROM t").await;
    assert_eq!(got, ["120\t120"]);
    let merged = t
        .parts()
        .into_iter()
        .filter(|p| p.active)
        .all(|p| p.rows >= 1);
    assert!(merged);
    t.shutdown();
}

/// A query planned before a merge still reads the parts the merge replaced (the snapshot
/// keeps their files until it ends).
#[tokio::test]
async fn snapshots_outlive_merges() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("k", "UInt32")]);
    let t = MergeTreeTable::open(
        dir.path().join("s"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]),
    )
    .unwrap();
    t.stop_merges();
    for v in ["1", "2", "3"] {
        t.insert(rows(&s, &[&[v]]), InsertOptions::default())
            .unwrap();
    }
    for final_ in [false, true] {
        let ctx = datafusion::prelude::SessionContext::new();
        ctx.register_table("t", t.provider(final_)).unwrap();
        let df = ctx.sql("SELECT k FROM t").await.unwrap();
        let plan = df.create_physical_plan().await.unwrap();
        // The provider is gone; only the plan holds the snapshot.
        ctx.deregister_table("t").unwrap();
        t.insert(rows(&s, &[&["4"]]), InsertOptions::default())
            .unwrap();
        t.optimize(None, true, false).unwrap();
        if !final_ {
            assert!(
                dir.path().join("s/all_1_1_0").exists(),
                "outdated part removed while a query holds it"
            );
        }
        let out = datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .unwrap();
        let mut got = tsv(&out);
        got.sort();
        let expected: &[&str] = if final_ {
            &["1", "2", "3", "4"]
        } else {
            &["1", "2", "3"]
        };
        assert_eq!(got, expected);
    }
    // Once the plans are gone, the replaced parts are removed.
    assert!(!dir.path().join("s/all_1_1_0").exists());
    t.shutdown();
}
