//! The pipeline bench's CPU accounting: the machine's idle and steal shares over a window
//! (`/proc/stat`) and the server's CPU per thread group (`/proc/<pid>/task/*/schedstat`).

use super::machine::cpu_seconds;

/// The machine's CPU time counters (`/proc/stat`, all CPUs, in ticks).
pub struct MachineTimes {
    pub total: u64,
    pub idle: u64,
    pub steal: u64,
}

/// Shares of the machine's CPU time over an interval.
pub struct MachineShare {
    pub idle: f64,
    pub steal: f64,
    pub cpus: usize,
}

impl MachineTimes {
    pub fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let f: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        Self {
            // user nice system idle iowait irq softirq steal (guest time is inside user)
            total: (0..8).map(at).sum(),
            idle: at(3) + at(4),
            steal: at(7),
        }
    }

    pub fn share_since(&self, before: &Self) -> MachineShare {
        let total = self.total.saturating_sub(before.total).max(1) as f64;
        MachineShare {
            idle: self.idle.saturating_sub(before.idle) as f64 / total,
            steal: self.steal.saturating_sub(before.steal) as f64 / total,
            cpus: std::thread::available_parallelism().map_or(1, |c| c.get()),
        }
    }
}

/// The thread groups' use between `before` and `now` (groups by name; the threads that
/// ended in between, and the CPU of threads not listed, are the remainder of `cpu`, the
/// process's CPU over the same interval).
pub fn since(now: Vec<ThreadGroup>, before: &[ThreadGroup], cpu: f64) -> Vec<ThreadGroup> {
    let mut v: Vec<ThreadGroup> = now
        .into_iter()
        .filter(|g| g.name != EXITED)
        .map(|g| match before.iter().find(|b| b.name == g.name) {
            Some(b) => ThreadGroup {
                cpu: g.cpu - b.cpu,
                runnable_wait: g.runnable_wait - b.runnable_wait,
                preempted: g.preempted.saturating_sub(b.preempted),
                waits: g.waits.saturating_sub(b.waits),
                name: g.name,
            },
            None => g,
        })
        .collect();
    let listed: f64 = v.iter().map(|g| g.cpu).sum();
    v.push(ThreadGroup {
        name: EXITED.into(),
        cpu: cpu - listed,
        runnable_wait: 0.0,
        preempted: 0,
        waits: 0,
    });
    v.sort_by(|a, b| b.cpu.total_cmp(&a.cpu));
    v
}

pub const EXITED: &str = "(exited threads)";

/// One thread group of the server (see [`thread_groups`]).
pub struct ThreadGroup {
    pub name: String,
    /// CPU seconds (user + system).
    pub cpu: f64,
    /// Seconds the group's threads were runnable but waited for a CPU (`schedstat`).
    pub runnable_wait: f64,
    /// Involuntary context switches (preemptions).
    pub preempted: u64,
    /// Voluntary context switches (waits: for a message, a lock, a reply).
    pub waits: u64,
}

/// The thread groups of `pid` since the threads started, by CPU, largest first: thread
/// names with their digits dropped (`kafka-orders_kafka_json-0` and its librdkafka threads
/// `rdk:broker1`, `rdk:main`; merge and runtime worker pools) summed; threads that have
/// ended are one remainder (their CPU only, and the process figure's rounding to ticks).
pub fn thread_groups(pid: u32) -> Vec<ThreadGroup> {
    let mut groups: std::collections::BTreeMap<String, ThreadGroup> =
        std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    for task in tasks.flatten() {
        let path = task.path();
        let read = |f: &str| std::fs::read_to_string(path.join(f)).unwrap_or_default();
        let name: String = read("comm")
            .trim()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect();
        let g = groups.entry(name.clone()).or_insert(ThreadGroup {
            name,
            cpu: 0.0,
            runnable_wait: 0.0,
            preempted: 0,
            waits: 0,
        });
        // schedstat: time on a CPU, time waiting on a run queue (ns), timeslices. The time
        // on a CPU is exact and sums to the process's figure; `stat`'s utime + stime are
        // truncated to ticks per thread, and the sum over the server's 11-13 threads fell
        // 0.04-0.07 s short of it (printed as "exited threads" before).
        let sched: Vec<f64> = read("schedstat")
            .split_whitespace()
            .take(2)
            .filter_map(|v| v.parse::<f64>().ok())
            .collect();
        g.cpu += sched.first().copied().unwrap_or(0.0) / 1e9;
        g.runnable_wait += sched.get(1).copied().unwrap_or(0.0) / 1e9;
        let status = read("status");
        let switches = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        g.preempted += switches("nonvoluntary_ctxt_switches:");
        g.waits += switches("voluntary_ctxt_switches:");
    }
    let listed: f64 = groups.values().map(|g| g.cpu).sum();
    let mut v: Vec<ThreadGroup> = groups.into_values().collect();
    v.push(ThreadGroup {
        name: EXITED.into(),
        cpu: cpu_seconds(pid) - listed,
        runnable_wait: 0.0,
        preempted: 0,
        waits: 0,
    });
    v.sort_by(|a, b| b.cpu.total_cmp(&a.cpu));
    v
}
