//! Durable file-system steps: fsync of files and directories, atomic small-file writes,
//! and I/O errors as ClickHouse exceptions.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use sluice_common::{Error, ErrorCode};

/// An I/O error on `path` as a ClickHouse exception.
pub(crate) fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    let code = match e.kind() {
        std::io::ErrorKind::NotFound => ErrorCode::FILE_DOESNT_EXIST,
        _ => ErrorCode::CANNOT_OPEN_FILE,
    };
    Error::new(code, format!("Cannot {what} {}: {e}", path.display()))
}

/// fsync of a directory, so renames and creations inside it are durable.
pub(crate) fn fsync_dir(path: &Path) -> sluice_common::Result<()> {
    let f = File::open(path).map_err(|e| io_err("open directory", path, e))?;
    f.sync_all().map_err(|e| {
        Error::new(
            ErrorCode::CANNOT_FSYNC,
            format!("Cannot fsync {}: {e}", path.display()),
        )
    })
}

/// Writes `bytes` to `path` atomically: a temporary sibling, fsync, rename, fsync of the
/// directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> sluice_common::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::internal(format!("{} has no parent", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!("tmp_{name}"));
    {
        let mut f = File::create(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        f.write_all(bytes).map_err(|e| io_err("write", &tmp, e))?;
        f.sync_all().map_err(|e| {
            Error::new(
                ErrorCode::CANNOT_FSYNC,
                format!("Cannot fsync {}: {e}", tmp.display()),
            )
        })?;
    }
    fs::rename(&tmp, path).map_err(|e| io_err("rename", &tmp, e))?;
    fsync_dir(dir)
}

/// Test hook: when the environment variable `SLUICE_STORAGE_FAILPOINT` names `point`
/// (`point` or `point@N` for the N-th time it is reached), the process aborts there. Crash
/// tests kill a child process at each commit step this way. When
/// `SLUICE_STORAGE_FAILPOINT_PAUSE` names a file instead, the thread that reached the point
/// writes the point's name there and stops, so that the test can `kill -9` the process at
/// that moment (the other threads run on until then, as they would).
pub fn failpoint(point: &str) {
    static HITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let Ok(v) = std::env::var("SLUICE_STORAGE_FAILPOINT") else {
        return;
    };
    for spec in v.split(',') {
        let (name, nth) = match spec.split_once('@') {
            Some((n, k)) => (n, k.parse::<u64>().unwrap_or(1)),
            None => (spec, 1),
        };
        if name == point {
            let hit = HITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if hit >= nth {
                if let Ok(marker) = std::env::var("SLUICE_STORAGE_FAILPOINT_PAUSE")
                    && fs::write(&marker, spec).is_ok()
                {
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(3600));
                    }
                }
                std::process::abort();
            }
        }
    }
}
