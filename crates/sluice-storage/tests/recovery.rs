//! Start-up repair: leftover `tmp_*` directories, parts covered by a merged part (a crash
//! after the merge committed), a corrupted part moved to `detached/`, and the offsets and
//! block numbers that must survive.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use common::*;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable, SourceKey};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn open(dir: &Path) -> Arc<MergeTreeTable> {
    let t = MergeTreeTable::open(
        dir.to_path_buf(),
        spec(
            MergeTreeEngine::MergeTree,
            schema(&[("k", "UInt32"), ("s", "String")]),
            &["k"],
        ),
    )
    .unwrap();
    t.stop_merges();
    t
}

#[tokio::test]
async fn covered_parts_tmp_dirs_and_corruption() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("t");
    let key = SourceKey {
        group: "g".into(),
        topic: "orders".into(),
        partition: 0,
    };
    {
        let t = open(&dir);
        let s = t.schema();
        for (i, off) in [(1, 10), (2, 20), (3, 30)] {
            let n = i.to_string();
            t.insert(
                rows(&s, &[&[n.as_str(), "x"]]),
                InsertOptions {
                    source_offsets: vec![(key.clone(), off)],
                    ..InsertOptions::default()
                },
            )
            .unwrap();
        }
        assert_eq!(part_names(&t), ["all_1_1_0", "all_2_2_0", "all_3_3_0"]);
        // Keep copies of the sources, merge, then put the sources back: the state of a
        // crash between the merge's commit and the removal of its sources.
        for n in ["all_1_1_0", "all_2_2_0"] {
            copy_dir(&dir.join(n), &root.path().join(n));
        }
        t.optimize(None, false, false).unwrap();
        assert_eq!(part_names(&t), ["all_1_3_1"]);
        assert_eq!(t.source_offsets().get(&key), Some(&30));
        t.shutdown();
    }
    for n in ["all_1_1_0", "all_2_2_0"] {
        copy_dir(&root.path().join(n), &dir.join(n));
    }
    fs::create_dir_all(dir.join("tmp_insert_all_9_9_0")).unwrap();
    fs::write(dir.join("tmp_insert_all_9_9_0/data.parquet"), b"partial").unwrap();
    {
        let t = open(&dir);
        assert_eq!(part_names(&t), ["all_1_3_1"]);
        assert!(!dir.join("tmp_insert_all_9_9_0").exists());
        assert!(!dir.join("all_1_1_0").exists());
        assert_eq!(select(&t, false).await, sorted(&["1\tx", "2\tx", "3\tx"]));
        // Block numbers continue after the largest seen.
        let w = t
            .insert(rows(&t.schema(), &[&["4", "y"]]), InsertOptions::default())
            .unwrap();
        assert_eq!(w[0].name, "all_4_4_0");
        t.shutdown();
    }
    // Corrupt the merged part: it is detached and the table still opens.
    let data = dir.join("all_1_3_1/data.parquet");
    let mut bytes = fs::read(&data).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&data, bytes).unwrap();
    {
        let t = open(&dir);
        assert_eq!(part_names(&t), ["all_4_4_0"]);
        assert_eq!(select(&t, false).await, sorted(&["4\ty"]));
        let d = t.detached_parts();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].name, "all_1_3_1");
        assert_eq!(d[0].reason.as_deref(), Some("broken-on-start"));
        assert!(dir.join("detached/broken-on-start_all_1_3_1").exists());
        // New blocks never reuse the detached part's numbers.
        let w = t
            .insert(rows(&t.schema(), &[&["5", "z"]]), InsertOptions::default())
            .unwrap();
        assert_eq!(w[0].name, "all_5_5_0");
        t.shutdown();
    }
}

/// Offsets recorded by parts that are then dropped never move back.
#[tokio::test]
async fn source_offsets_survive_drops() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("t");
    let key = SourceKey {
        group: "g".into(),
        topic: "t".into(),
        partition: 3,
    };
    let t = open(&dir);
    t.insert(
        rows(&t.schema(), &[&["1", "a"]]),
        InsertOptions {
            source_offsets: vec![(key.clone(), 42)],
            ..InsertOptions::default()
        },
    )
    .unwrap();
    t.truncate().unwrap();
    assert_eq!(t.total_rows(), 0);
    assert_eq!(t.source_offsets().get(&key), Some(&42));
    // A block whose rows a view filtered out entirely still moves the offset on.
    let empty = datafusion::arrow::array::RecordBatch::new_empty(t.schema());
    let written = t
        .insert(
            empty,
            InsertOptions {
                source_offsets: vec![(key.clone(), 50)],
                ..InsertOptions::default()
            },
        )
        .unwrap();
    assert!(written.is_empty());
    assert_eq!(t.source_offsets().get(&key), Some(&50));
    t.shutdown();
    drop(t);
    let t = open(&dir);
    assert_eq!(t.source_offsets().get(&key), Some(&50));
    assert!(t.parts().is_empty());
    t.shutdown();
}
