//! Start-up of a table directory: interrupted multi-part inserts are finished
//! ([`crate::insert_txn`]), leftover `tmp_*` directories are removed, parts whose
//! manifest or checksum is bad are moved to `detached/broken-on-start_<name>` with an
//! error log, parts covered by another part (the sources of a merge or mutation that
//! committed before a crash) are deleted, then the empty parts DROP PARTITION/TRUNCATE
//! wrote to cover them.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use sluice_common::Result;

use crate::fsutil::{fsync_dir, io_err};
use crate::info::DetachedPartInfo;
use crate::manifest::Manifest;
use crate::part::Part;
use crate::part_io::verify_checksum;
use crate::part_name::PartName;

/// Directory of detached parts.
pub const DETACHED_DIR: &str = "detached";

/// Parts found on disk.
pub(crate) struct Loaded {
    pub(crate) parts: Vec<Arc<Part>>,
    pub(crate) max_block: i64,
}

fn detach_broken(dir: &Path, name: &str, why: &sluice_common::Error) -> Result<()> {
    tracing::error!(
        "part {name} of {} is broken and is detached: {}",
        dir.display(),
        why.to_clickhouse_string()
    );
    let from = dir.join(name);
    let to = dir
        .join(DETACHED_DIR)
        .join(format!("broken-on-start_{name}"));
    if to.exists() {
        fs::remove_dir_all(&to).map_err(|e| io_err("remove", &to, e))?;
    }
    fs::rename(&from, &to).map_err(|e| io_err("rename", &from, e))
}

/// Scans and repairs `dir`.
pub(crate) fn recover(dir: &Path) -> Result<Loaded> {
    fs::create_dir_all(dir.join(DETACHED_DIR)).map_err(|e| io_err("create directory", dir, e))?;
    // An insert whose journal was written happened: finish its renames before the
    // `tmp_*` clean-up below.
    crate::insert_txn::roll_forward(dir)?;
    let mut found: Vec<(PartName, Manifest)> = Vec::new();
    let mut max_block = 0i64;
    let entries = fs::read_dir(dir).map_err(|e| io_err("read directory", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err("read directory", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with("tmp_") {
            let r = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            r.map_err(|e| io_err("remove", &path, e))?;
            continue;
        }
        if !path.is_dir() || name == DETACHED_DIR {
            continue;
        }
        let Some(pname) = PartName::parse(&name) else {
            tracing::warn!("ignoring unexpected directory {}", path.display());
            continue;
        };
        max_block = max_block
            .max(pname.max_block)
            .max(pname.mutation.unwrap_or(0));
        let checked = Manifest::load(&path).and_then(|m| {
            verify_checksum(&path, &m)?;
            Ok(m)
        });
        match checked {
            Ok(m) => found.push((pname, m)),
            Err(e) => detach_broken(dir, &name, &e)?,
        }
    }
    // Detached parts still own their block numbers.
    for d in list_detached(dir) {
        max_block = max_block.max(d.max_block_number.unwrap_or(0));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<PartName> = found.iter().map(|(n, _)| n.clone()).collect();
    let mut parts = Vec::new();
    let mut removed_any = false;
    for (name, manifest) in found {
        let path = dir.join(name.to_string());
        if names.iter().any(|other| other.covers(&name)) {
            tracing::info!("removing part {name}: covered by a newer part");
            fs::remove_dir_all(&path).map_err(|e| io_err("remove", &path, e))?;
            removed_any = true;
            continue;
        }
        parts.push((name, path, manifest));
    }
    let mut out = Vec::new();
    for (name, path, manifest) in parts {
        if manifest.drop_marker {
            fs::remove_dir_all(&path).map_err(|e| io_err("remove", &path, e))?;
            removed_any = true;
            continue;
        }
        out.push(Arc::new(Part::new(name, path, manifest)));
    }
    if removed_any {
        fsync_dir(dir)?;
    }
    Ok(Loaded {
        parts: out,
        max_block,
    })
}

/// Lists `detached/`.
pub(crate) fn list_detached(dir: &Path) -> Vec<DetachedPartInfo> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir.join(DETACHED_DIR)) else {
        return out;
    };
    for entry in entries.flatten() {
        let dname = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let (reason, name) = match PartName::parse(&dname) {
            Some(_) => (Some(String::new()), dname.clone()),
            None => match dname.split_once('_') {
                Some((r, n)) if PartName::parse(n).is_some() => {
                    (Some(r.to_string()), n.to_string())
                }
                _ => (Some(String::new()), dname.clone()),
            },
        };
        let parsed = PartName::parse(&name);
        let bytes = fs::read_dir(&path)
            .map(|it| {
                it.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        let modification_time = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        out.push(DetachedPartInfo {
            partition_id: parsed.as_ref().map(|p| p.partition_id.clone()),
            name,
            bytes_on_disk: bytes,
            modification_time,
            disk: "default".into(),
            path: format!("{}/", path.display()),
            reason,
            min_block_number: parsed.as_ref().map(|p| p.min_block),
            max_block_number: parsed.as_ref().map(|p| p.max_block),
            level: parsed.as_ref().map(|p| p.level),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
