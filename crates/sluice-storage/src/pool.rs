//! A process-wide pool of worker threads for the CPU work of inserts and merges (encoding
//! row groups, gathering sorted columns). The threads live as long as the process, so
//! their allocator heaps and stacks are reused: a fresh thread per row group or per gather
//! started each time with fresh memory, and faulting it in (zeroing whole transparent huge
//! pages) was a large part of an insert's time. Jobs never wait for other jobs, so the
//! pool cannot deadlock; a job's panic is caught and reported to whoever joins it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// The pool's queue (`None` when no worker thread could be started).
static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();

/// Worker threads of the pool: the machine's parallelism, at most 8.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

fn start() -> Option<Mutex<Sender<Job>>> {
    let (tx, rx) = channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let mut started = 0;
    for i in 0..threads() {
        let rx = Arc::clone(&rx);
        let spawned = std::thread::Builder::new()
            .name(format!("sluice-storage-{i}"))
            .spawn(move || work(&rx));
        if spawned.is_ok() {
            started += 1;
        }
    }
    (started > 0).then(|| Mutex::new(tx))
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// A job's result, to be joined.
pub(crate) struct Task<T> {
    rx: Receiver<std::thread::Result<T>>,
}

impl<T> Task<T> {
    /// Waits for the job; `Err` when it panicked (or its worker went away).
    pub(crate) fn join(self) -> Result<T, String> {
        match self.rx.recv() {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err("a storage worker job panicked".into()),
            Err(_) => Err("a storage worker went away".into()),
        }
    }
}

fn run_into<T>(f: impl FnOnce() -> T, tx: &SyncSender<std::thread::Result<T>>) {
    let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
}

/// Runs `f` on the pool (on the calling thread when the pool has no threads).
pub(crate) fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Task<T> {
    let (tx, rx) = sync_channel(1);
    let queue = QUEUE
        .get_or_init(start)
        .as_ref()
        .and_then(|q| q.lock().ok());
    match queue {
        Some(q) => {
            let job_tx = tx.clone();
            let job: Job = Box::new(move || run_into(f, &job_tx));
            if let Err(e) = q.send(job) {
                // No worker left to take it: run it here.
                drop(q);
                (e.0)();
            }
        }
        None => run_into(f, &tx),
    }
    Task { rx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_and_panics_are_reported() {
        let tasks: Vec<Task<u64>> = (0..32u64).map(|i| spawn(move || i * i)).collect();
        let sum: u64 = tasks.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(sum, (0..32u64).map(|i| i * i).sum::<u64>());
        let bad = spawn(|| -> u8 { panic!("job failure") });
        assert!(bad.join().is_err());
        // The pool still works after a job panicked.
        assert_eq!(spawn(|| 7).join().unwrap(), 7);
    }
}
