//! `mutation_<N>.txt`: a mutation's entry in the table's directory, in ClickHouse's format
//! (`format version: 1`, `create time: YYYY-MM-DD hh:mm:ss` in local time, `commands: …`).
//! It is written durably (`tmp_mutation_<N>.txt`, fsync, rename, fsync of the directory)
//! before any part is rewritten and removed when the mutation is killed, so that
//! `system.mutations` survives a restart and an unfinished mutation can resume. Whether a
//! mutation is done is not stored: as in ClickHouse it is "no active part has a data
//! version below the mutation's block number".

use std::fs;
use std::path::Path;

use chrono::{Local, NaiveDateTime, TimeZone};
use sluice_common::Result;

use crate::fsutil::{fsync_dir, io_err, write_atomic};

/// A mutation entry read back from disk.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MutationEntry {
    /// The mutation's block number (`N` of `mutation_N.txt`).
    pub(crate) version: i64,
    /// Creation time, unix seconds.
    pub(crate) create_time: i64,
    /// The command text as `system.mutations` shows it.
    pub(crate) command: String,
}

/// `mutation_<version>.txt`.
pub(crate) fn file_name(version: i64) -> String {
    format!("mutation_{version}.txt")
}

/// The version of a `mutation_<N>.txt` name.
pub(crate) fn parse_file_name(name: &str) -> Option<i64> {
    name.strip_prefix("mutation_")?
        .strip_suffix(".txt")?
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

fn render(entry: &MutationEntry) -> String {
    let time = Local
        .timestamp_opt(entry.create_time, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "1970-01-01 00:00:00".to_string());
    format!(
        "format version: 1\ncreate time: {time}\ncommands: {}\n",
        entry.command
    )
}

fn parse(version: i64, text: &str) -> Option<MutationEntry> {
    let mut lines = text.lines();
    if lines.next()? != "format version: 1" {
        return None;
    }
    let time = lines.next()?.strip_prefix("create time: ")?;
    let create_time = NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|t| Local.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp())?;
    let command = lines.next()?.strip_prefix("commands: ")?.to_string();
    Some(MutationEntry {
        version,
        create_time,
        command,
    })
}

/// Writes the entry durably.
pub(crate) fn write(dir: &Path, entry: &MutationEntry) -> Result<()> {
    write_atomic(
        &dir.join(file_name(entry.version)),
        render(entry).as_bytes(),
    )
}

/// Removes the entry of mutation `version` (a no-op when it is not there).
pub(crate) fn remove(dir: &Path, version: i64) -> Result<()> {
    let path = dir.join(file_name(version));
    match fs::remove_file(&path) {
        Ok(()) => fsync_dir(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", &path, e)),
    }
}

/// Every entry of `dir`, by version. An entry that does not parse is logged and skipped
/// (its file stays for inspection).
pub(crate) fn load_all(dir: &Path) -> Result<Vec<MutationEntry>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| io_err("read directory", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err("read directory", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(version) = parse_file_name(&name) else {
            continue;
        };
        let path = entry.path();
        let text = fs::read_to_string(&path).map_err(|e| io_err("read", &path, e))?;
        match parse(version, &text) {
            Some(m) => out.push(m),
            None => tracing::error!("cannot parse mutation entry {}", path.display()),
        }
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = MutationEntry {
            version: 7,
            create_time: 1_764_295_200,
            command: "(UPDATE v = v + 1 WHERE k = 'a:b')".into(),
        };
        write(dir.path(), &m).expect("write");
        let text = fs::read_to_string(dir.path().join("mutation_7.txt")).expect("read");
        assert!(
            text.starts_with("format version: 1\ncreate time: "),
            "{text}"
        );
        assert!(text.ends_with("\ncommands: (UPDATE v = v + 1 WHERE k = 'a:b')\n"));
        assert_eq!(load_all(dir.path()).expect("load"), vec![m]);
        remove(dir.path(), 7).expect("remove");
        assert!(load_all(dir.path()).expect("load").is_empty());
        assert_eq!(parse_file_name("mutation_12.txt"), Some(12));
        assert_eq!(parse_file_name("tmp_mutation_12.txt"), None);
        assert_eq!(parse_file_name("mutation_x.txt"), None);
    }
}
