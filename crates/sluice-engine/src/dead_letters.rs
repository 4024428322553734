//! `system.dead_letter_queue`: messages of Kafka tables with
//! `kafka_handle_error_mode = 'dead_letter_queue'` that failed to parse. ClickHouse keeps
//! them in a system log table; Sluice appends them to `<path>/logs/dead_letter_queue.jsonl`
//! (fsynced before the block's offsets are recorded, so a committed block's dead letters
//! are never lost) and serves them from memory. Entries are unique per
//! `(database, table, topic, partition, offset)`: a block re-read after a crash does not
//! list its broken messages twice.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sluice_common::{Error, ErrorCode, Result};
use sluice_kafka::DeadLetter;

/// One row of `system.dead_letter_queue`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeadLetterEntry {
    /// Microseconds since the epoch when the message was dead-lettered.
    pub time_us: i64,
    /// Database of the Kafka table.
    pub database: String,
    /// The Kafka table.
    pub table: String,
    /// The parser's exception text.
    pub error: String,
    /// The message payload (invalid UTF-8 replaced).
    pub raw_message: String,
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u64,
    /// Offset.
    pub offset: u64,
    /// Message key.
    pub key: String,
}

type Key = (String, String, String, u64, u64);

fn key_of(e: &DeadLetterEntry) -> Key {
    (
        e.database.clone(),
        e.table.clone(),
        e.topic.clone(),
        e.partition,
        e.offset,
    )
}

/// The queue: entries in memory, appended to a file when the engine has a data path.
#[derive(Debug, Default)]
pub struct DeadLetterQueue {
    file: Option<PathBuf>,
    state: Mutex<(Vec<DeadLetterEntry>, HashSet<Key>)>,
}

fn io_error(what: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorCode::CANNOT_OPEN_FILE,
        format!("Cannot {what} {}: {e}", path.display()),
    )
}

impl DeadLetterQueue {
    /// Loads `<path>/logs/dead_letter_queue.jsonl` (a torn last line from a crash is
    /// skipped), or an in-memory queue without a path.
    pub fn open(path: Option<&std::path::Path>) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let dir = path.join("logs");
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
        let file = dir.join("dead_letter_queue.jsonl");
        drop_torn_tail(&file)?;
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        if let Ok(f) = File::open(&file) {
            for line in BufReader::new(f).lines() {
                let Ok(line) = line else { break };
                if let Ok(e) = serde_json::from_str::<DeadLetterEntry>(&line)
                    && seen.insert(key_of(&e))
                {
                    entries.push(e);
                }
            }
        }
        Ok(Self {
            file: Some(file),
            state: Mutex::new((entries, seen)),
        })
    }

    /// Records the broken messages of one block of `database.table` (durably, with a path).
    pub fn record(&self, database: &str, table: &str, letters: &[DeadLetter]) -> Result<()> {
        if letters.is_empty() {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp_micros();
        let mut st = self.state.lock();
        let mut fresh = Vec::new();
        for l in letters {
            let e = DeadLetterEntry {
                time_us: now,
                database: database.to_string(),
                table: table.to_string(),
                error: l.error.clone(),
                raw_message: String::from_utf8_lossy(&l.raw_message).into_owned(),
                topic: l.topic.to_string(),
                partition: l.partition.max(0) as u64,
                offset: l.offset.max(0) as u64,
                key: String::from_utf8_lossy(&l.key).into_owned(),
            };
            if !st.1.contains(&key_of(&e)) {
                fresh.push(e);
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        if let Some(path) = &self.file {
            let mut text = Vec::new();
            for e in &fresh {
                serde_json::to_writer(&mut text, e)
                    .map_err(|e| Error::internal(format!("dead letter: {e}")))?;
                text.push(b'\n');
            }
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| io_error("open", path, e))?;
            f.write_all(&text).map_err(|e| io_error("write", path, e))?;
            f.sync_data().map_err(|e| io_error("fsync", path, e))?;
        }
        for e in fresh {
            st.1.insert(key_of(&e));
            st.0.push(e);
        }
        Ok(())
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> Vec<DeadLetterEntry> {
        self.state.lock().0.clone()
    }
}

/// Cuts a last line without its newline (a write interrupted by a crash), so the next
/// append starts on a line of its own.
fn drop_torn_tail(file: &std::path::Path) -> Result<()> {
    let Ok(bytes) = std::fs::read(file) else {
        return Ok(());
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let f = OpenOptions::new()
        .write(true)
        .open(file)
        .map_err(|e| io_error("open", file, e))?;
    f.set_len(keep as u64)
        .map_err(|e| io_error("truncate", file, e))?;
    f.sync_data().map_err(|e| io_error("fsync", file, e))
}
