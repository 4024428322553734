//! The allocator's options for the long-running commands (`server`, `demo`).
//!
//! mimalloc reads its options from the environment when the process starts, so
//! [`configure_for_server`] re-executes the binary (same pid, same arguments) with them set
//! unless the user set them already:
//! - `MIMALLOC_ALLOW_THP=0`: mimalloc asks for transparent huge pages on its arenas, so
//!   every first touch of a 2 MiB region made the kernel zero 2 MiB. A Kafka pipeline
//!   allocates a block's columns, the views' outputs and the part writer's buffers per block;
//!   with huge pages the seed pipeline spent 6% of its CPU in `clear_page_erms` under huge
//!   page faults and its peak RSS was 40–60 MB higher (regions half used stayed resident).
//! - `MIMALLOC_PURGE_DELAY=100` (mimalloc's default is 1000 ms): memory freed by one block
//!   is still there for the next one (blocks of the pipeline follow each other within
//!   milliseconds) but is given back to the OS a tenth of a second after the pipeline
//!   stops needing it, instead of a second; 0 (give back at once) made every block fault
//!   its pages in again.
//!
//! Measured with `crates/sluice/benches/pipeline.rs` (docs/benchmarks.md, "Seed pipeline").

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// The options set for `server` and `demo`, each unless already in the environment.
const OPTIONS: [(&str, &str); 2] = [("MIMALLOC_ALLOW_THP", "0"), ("MIMALLOC_PURGE_DELAY", "100")];

/// Marks the re-executed process (so it never re-executes again, whatever the options).
const MARKER: &str = "SLUICE_ALLOCATOR_CONFIGURED";

/// Re-executes the process with [`OPTIONS`] in its environment, unless that was done
/// already or the user set every one of them. Returns only when no re-execution happened
/// (or it failed, which leaves mimalloc's defaults: slower, not wrong).
pub fn configure_for_server() {
    if std::env::var_os(MARKER).is_some() {
        return;
    }
    let missing: Vec<(&str, &str)> = OPTIONS
        .iter()
        .copied()
        .filter(|(k, _)| std::env::var_os(k).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0: OsString = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let mut cmd = std::process::Command::new(&exe);
    cmd.arg0(arg0).args(args).env(MARKER, "1");
    for (k, v) in missing {
        cmd.env(k, v);
    }
    // `exec` only returns on failure; the process then runs with the defaults.
    let err = cmd.exec();
    eprintln!(
        "sluice: could not re-execute {} with the allocator's options ({err}); running with mimalloc's defaults",
        exe.display()
    );
}
