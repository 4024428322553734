//! What the MergeTree examples share: running under the allocator options `sluice server`
//! uses, CPU time of this process, and ClickHouse (chdb through `ch-oracle`) runs timed
//! inside ClickHouse (wall clock and the CPU its query threads used).

use std::os::unix::process::CommandExt;
use std::process::Command;

/// mimalloc's options as `sluice server` sets them (crates/sluice/src/allocator.rs):
/// no transparent huge pages, freed memory given back after 100 ms.
const SERVER_ALLOCATOR: [(&str, &str); 2] =
    [("MIMALLOC_ALLOW_THP", "0"), ("MIMALLOC_PURGE_DELAY", "100")];

/// Re-executes the example with the server's allocator options unless they are set
/// (mimalloc reads them when the process starts), so its figures are the server's.
pub fn server_allocator() {
    let missing: Vec<_> = SERVER_ALLOCATOR
        .iter()
        .filter(|(k, _)| std::env::var_os(k).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = Command::new(exe);
    cmd.args(std::env::args_os().skip(1));
    for (k, v) in missing {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    eprintln!("could not re-execute with the server's allocator options: {err}");
}

/// User + system CPU seconds of this process so far (all threads; `/proc/self/stat`, in
/// clock ticks of 10 ms).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0
}

/// A ClickHouse run: seconds and CPU seconds measured inside ClickHouse, and its output.
pub struct Timed {
    pub secs: f64,
    pub cpu: f64,
    /// What the statements printed (between the stamps); `orders_bench` does not read it.
    #[allow(dead_code)]
    pub out: String,
}

/// Runs `sql` in ClickHouse under `dir`. The time is `now64()` before and after (process
/// start-up not counted); the CPU is the growth of `system.events`' user and system time
/// of query threads across the run.
pub fn oracle(bin: &str, dir: &std::path::Path, sql: &str) -> Timed {
    let stamp = "SELECT toUnixTimestamp64Micro(now64(6)), \
        (SELECT sumIf(value, event IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds')) \
        FROM system.events);";
    let out = Command::new(bin)
        .args([
            "--path",
            &dir.to_string_lossy(),
            "-q",
            &format!("{stamp}{sql};{stamp}"),
        ])
        .output()
        .expect("run ch-oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let stamp_of = |l: Option<&&str>| -> Option<(f64, f64)> {
        let mut it = l?.split('\t').map(|v| v.trim().parse::<f64>().ok());
        Some((it.next()??, it.next()??))
    };
    match (stamp_of(lines.first()), stamp_of(lines.last())) {
        (Some((t0, c0)), Some((t1, c1))) if lines.len() >= 2 => Timed {
            secs: (t1 - t0) / 1e6,
            cpu: (c1 - c0) / 1e6,
            out: lines[1..lines.len() - 1].join("\n"),
        },
        _ => Timed {
            secs: f64::NAN,
            cpu: f64::NAN,
            out: text,
        },
    }
}
