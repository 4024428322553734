//! An active or outdated part in memory: name, directory and manifest. Dropping the last
//! reference to a part marked obsolete deletes its directory, so a query snapshot keeps
//! the files it reads alive.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::manifest::{DATA_FILE, Manifest};
use crate::part_name::PartName;

/// One part of a table.
#[derive(Debug)]
pub struct Part {
    /// Parsed part name.
    pub name: PartName,
    /// Part directory.
    pub dir: PathBuf,
    /// Manifest.
    pub manifest: Manifest,
    /// Directory modification time, unix seconds.
    pub modification_time: i64,
    obsolete: AtomicBool,
}

impl Part {
    /// A part loaded or just written.
    pub fn new(name: PartName, dir: PathBuf, manifest: Manifest) -> Self {
        let modification_time = fs::metadata(&dir)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
            .unwrap_or(manifest.created);
        Self {
            name,
            dir,
            manifest,
            modification_time,
            obsolete: AtomicBool::new(false),
        }
    }

    /// Path of `data.parquet`.
    pub fn data_path(&self) -> PathBuf {
        self.dir.join(DATA_FILE)
    }

    /// Rows.
    pub fn rows(&self) -> u64 {
        self.manifest.rows
    }

    /// Bytes on disk (data file; the manifest is small).
    pub fn bytes(&self) -> u64 {
        self.manifest.data_size
    }

    /// Marks the part so its directory is deleted once nothing references it.
    pub(crate) fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::SeqCst);
    }

    /// True once marked obsolete.
    pub fn is_obsolete(&self) -> bool {
        self.obsolete.load(Ordering::SeqCst)
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::SeqCst)
            && let Err(e) = fs::remove_dir_all(&self.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove outdated part {}: {e:#}", self.dir.display());
        }
    }
}
