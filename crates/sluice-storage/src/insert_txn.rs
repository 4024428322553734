//! One insert that writes several parts (one per partition, or per
//! `max_insert_block_size` rows) becomes visible all at once, so a crash never leaves half
//! of a block in the table. That matters beyond tidiness: every part of a Kafka block
//! records the block's source offsets, and a table holding some of the block's parts would
//! tell the consumer the whole block was stored.
//!
//! The parts are first written and fsynced under their `tmp_*` names. A journal
//! (`insert_txn_<first block>.json`, written atomically) then lists the renames; the parts
//! are renamed, the directory fsynced and the journal removed. On start-up, before leftover
//! `tmp_*` directories are deleted, [`roll_forward`] finishes the renames of every journal
//! it finds: once the journal exists, the insert has happened.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sluice_common::{Error, Result};

use crate::fsutil::{failpoint, fsync_dir, io_err, write_atomic};
use crate::manifest::Manifest;
use crate::part_io::PreparedPart;

/// File-name prefix of insert journals.
const JOURNAL_PREFIX: &str = "insert_txn_";

#[derive(Serialize, Deserialize)]
struct Journal {
    /// `(temporary directory, part directory)` names inside the table directory.
    renames: Vec<(String, String)>,
}

/// Publishes `parts` atomically (see the module docs); `txn` names the journal.
pub(crate) fn publish_all(
    table_dir: &Path,
    txn: i64,
    parts: Vec<PreparedPart>,
) -> Result<Vec<(Manifest, PathBuf)>> {
    if parts.len() <= 1 {
        return parts.into_iter().map(PreparedPart::publish).collect();
    }
    let journal = Journal {
        renames: parts
            .iter()
            .map(|p| (p.tmp_name(), p.final_name()))
            .collect(),
    };
    let bytes = serde_json::to_vec(&journal)
        .map_err(|e| Error::internal(format!("insert journal: {e}")))?;
    let path = table_dir.join(format!("{JOURNAL_PREFIX}{txn}.json"));
    write_atomic(&path, &bytes)?;
    failpoint("insert_txn_journal_written");
    let mut renamed = Vec::with_capacity(parts.len());
    for mut p in parts {
        p.rename()?;
        failpoint("insert_txn_part_renamed");
        renamed.push(p);
    }
    fsync_dir(table_dir)?;
    fs::remove_file(&path).map_err(|e| io_err("remove", &path, e))?;
    renamed
        .into_iter()
        .map(PreparedPart::into_published)
        .collect()
}

/// Completes the inserts whose journal is in `dir` (start-up, before `tmp_*` clean-up).
pub(crate) fn roll_forward(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| io_err("read directory", dir, e))?;
    let mut journals = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err("read directory", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(JOURNAL_PREFIX) && name.ends_with(".json") {
            journals.push(entry.path());
        }
    }
    for path in journals {
        let bytes = fs::read(&path).map_err(|e| io_err("read", &path, e))?;
        // A journal exists only until its insert returns, so an unreadable one belongs
        // to an insert nobody was told succeeded: dropping it (its tmp_* parts are
        // cleaned up next) loses nothing acknowledged, and a Kafka block is re-read.
        let journal: Journal = match serde_json::from_slice(&bytes) {
            Ok(j) => j,
            Err(e) => {
                tracing::error!(
                    "{}",
                    Error::new(
                        sluice_common::ErrorCode::CORRUPTED_DATA,
                        format!(
                            "insert journal {} is unreadable ({e}); its insert is dropped",
                            path.display()
                        ),
                    )
                    .to_clickhouse_string()
                );
                fs::remove_file(&path).map_err(|e| io_err("remove", &path, e))?;
                continue;
            }
        };
        for (tmp, part) in &journal.renames {
            let (from, to) = (dir.join(tmp), dir.join(part));
            if from.exists() && !to.exists() {
                tracing::info!("finishing interrupted insert: {tmp} -> {part}");
                fs::rename(&from, &to).map_err(|e| io_err("rename", &from, e))?;
            }
        }
        fsync_dir(dir)?;
        fs::remove_file(&path).map_err(|e| io_err("remove", &path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_journal_is_dropped_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = dir.path().join(format!("{JOURNAL_PREFIX}7.json"));
        fs::write(&journal, b"{\"renames\": [[\"tmp_insert_all_7_7_0\"").expect("write");
        fs::create_dir(dir.path().join("tmp_insert_all_7_7_0")).expect("tmp dir");
        roll_forward(dir.path()).expect("start-up goes on");
        assert!(!journal.exists());
        assert!(
            !dir.path().join("all_7_7_0").exists(),
            "nothing was published"
        );
    }

    #[test]
    fn a_journal_is_rolled_forward() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join("tmp_insert_all_8_8_0")).expect("tmp dir");
        fs::create_dir(dir.path().join("all_9_9_0")).expect("already renamed");
        let j = Journal {
            renames: vec![
                ("tmp_insert_all_8_8_0".into(), "all_8_8_0".into()),
                ("tmp_insert_all_9_9_0".into(), "all_9_9_0".into()),
            ],
        };
        let path = dir.path().join(format!("{JOURNAL_PREFIX}8.json"));
        fs::write(&path, serde_json::to_vec(&j).expect("json")).expect("write");
        roll_forward(dir.path()).expect("roll forward");
        assert!(dir.path().join("all_8_8_0").is_dir());
        assert!(dir.path().join("all_9_9_0").is_dir());
        assert!(!path.exists());
    }
}
