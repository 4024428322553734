//! Queries run under the process list: [`Session::execute_tracked`] registers the query
//! (`max_concurrent_queries`), logs it to `system.query_log`, gives it a memory pool
//! (`max_memory_usage`), and enforces `max_execution_time` and cancellation (`KILL QUERY`,
//! a client's Cancel or disconnect) both while the statement runs and while its result
//! streams: [`TrackedStream`] waits on the cancel token and the deadline next to the
//! result, so a query that produces nothing for a long time still stops on time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::{Stream, StreamExt};
use sluice_common::{Error, ErrorCode, Result};
use sluice_sql::{ParsedStatement, Statement};
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::memory::QueryMemoryPool;
use crate::processes::{ProcessHandle, QueryContext, QueryStatus, cancelled_error, query_kind};
use crate::query_log::QueryLogType;
use crate::session::{InsertInput, QueryOutput, Session, setting_text};

/// The limits of one query, from its `SETTINGS` clause over the session's settings.
struct QueryLimits {
    max_execution_time: Option<Duration>,
    overflow_break: bool,
    log_queries: bool,
    max_memory_usage: u64,
}

impl QueryLimits {
    fn of(session: &Session, stmt: &ParsedStatement) -> Self {
        let get = |name: &str| -> String {
            stmt.settings
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| setting_text(v))
                .or_else(|| session.settings().get(name))
                .unwrap_or_default()
        };
        let seconds = get("max_execution_time")
            .trim()
            .parse::<f64>()
            .unwrap_or(0.0);
        Self {
            max_execution_time: (seconds > 0.0 && seconds.is_finite())
                .then(|| Duration::from_secs_f64(seconds)),
            overflow_break: get("timeout_overflow_mode").eq_ignore_ascii_case("break"),
            log_queries: !matches!(get("log_queries").as_str(), "0" | "false"),
            max_memory_usage: get("max_memory_usage").trim().parse().unwrap_or(0),
        }
    }
}

/// `TIMEOUT_EXCEEDED` with ClickHouse's message.
fn timeout_error(status: &QueryStatus, max: Duration) -> Error {
    Error::new(
        ErrorCode::TIMEOUT_EXCEEDED,
        format!(
            "Timeout exceeded: elapsed {:.3} ms, maximum: {:.3} ms",
            status.elapsed() * 1000.0,
            max.as_secs_f64() * 1000.0
        ),
    )
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => futures::future::pending().await,
    }
}

impl Session {
    /// Runs one statement as a server query: in `system.processes` while it runs, in
    /// `system.query_log`, cancellable through `ctx.cancel` and `KILL QUERY`, limited by
    /// `max_execution_time`, `max_memory_usage` and the server's `max_concurrent_queries`.
    /// The returned stream (if any) keeps the query registered until it ends or is dropped.
    pub async fn execute_tracked(
        &mut self,
        ctx: QueryContext,
        stmt: ParsedStatement,
        input: Option<InsertInput>,
    ) -> Result<QueryOutput> {
        // The previous statement's `SETTINGS` clause ends here, before the limits are read.
        self.end_query_settings();
        let limits = QueryLimits::of(self, &stmt);
        let memory = Arc::new(QueryMemoryPool::new(limits.max_memory_usage));
        let status = Arc::new(QueryStatus::new(
            &ctx,
            &self.user,
            &stmt.text,
            query_kind(&stmt.statement),
            &self.current_db,
            memory,
        ));
        let processes = Arc::clone(&self.engine.processes);
        let exempt = matches!(stmt.statement, Statement::Kill(_));
        let handle = match processes.register(Arc::clone(&status), exempt) {
            Ok(h) => h,
            Err(e) => {
                if limits.log_queries {
                    processes
                        .log
                        .push(&status, QueryLogType::ExceptionBeforeStart, Some(&e));
                }
                return Err(e);
            }
        };
        handle.set_log_queries(limits.log_queries);
        let deadline = limits
            .max_execution_time
            .map(|d| tokio::time::Instant::now() + d);

        let saved_settings = self.settings.clone();
        self.current_query = Some(Arc::clone(&status));
        let result = {
            let run = self.execute(stmt, input);
            tokio::select! {
                r = run => Ok(r),
                _ = ctx.cancel.cancelled() => Err(cancelled_error()),
                _ = sleep_until(deadline) => {
                    let max = limits.max_execution_time.unwrap_or_default();
                    Err(timeout_error(&status, max))
                }
            }
        };
        self.current_query = None;
        let out = match result {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => {
                handle.fail_before_start(&e);
                return Err(e);
            }
            Err(e) => {
                // Stopped mid-way: the statement's per-query settings were not restored.
                self.settings = saved_settings;
                handle.log_start();
                handle.finish(Some(&e));
                return Err(e);
            }
        };
        handle.log_start();
        // One set of counters for the query: its scans', the statement's own, and the
        // servers' progress and summaries.
        status.absorb(&out.progress);
        let out = QueryOutput {
            progress: Arc::clone(&status.read),
            ..out
        };
        let Some(inner) = out.stream else {
            handle.finish(None);
            return Ok(QueryOutput {
                stream: None,
                ..out
            });
        };
        let stream = TrackedStream {
            schema: Arc::clone(&out.schema),
            inner: Some(inner),
            cancelled: Box::pin(ctx.cancel.clone().cancelled_owned()),
            deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
            max_execution_time: limits.max_execution_time.unwrap_or_default(),
            overflow_break: limits.overflow_break,
            handle: Some(handle),
        };
        Ok(QueryOutput {
            stream: Some(Box::pin(stream)),
            ..out
        })
    }

    /// Logs a query that failed before the engine could run it (a syntax error, an
    /// unknown setting): an `ExceptionBeforeStart` row in `system.query_log`.
    pub fn log_exception_before_start(&self, ctx: &QueryContext, sql: &str, error: &Error) {
        self.engine.processes.events.failed_query("");
        self.engine.processes.errors.record(error, &ctx.query_id);
        if matches!(
            self.settings.get("log_queries").as_deref(),
            Some("0") | Some("false")
        ) {
            return;
        }
        let status = Arc::new(QueryStatus::new(
            ctx,
            &self.user,
            sql,
            "",
            &self.current_db,
            Arc::new(QueryMemoryPool::default()),
        ));
        self.engine
            .processes
            .log
            .push(&status, QueryLogType::ExceptionBeforeStart, Some(error));
    }
}

/// A query's result stream under the process list's control: counts the result, ends
/// with `QUERY_WAS_CANCELLED` when cancelled and `TIMEOUT_EXCEEDED` at the deadline, and
/// leaves the process list when it ends or is dropped.
pub struct TrackedStream {
    schema: SchemaRef,
    inner: Option<SendableRecordBatchStream>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    max_execution_time: Duration,
    overflow_break: bool,
    handle: Option<ProcessHandle>,
}

impl TrackedStream {
    /// Ends the query; dropping the inner stream stops its work.
    fn end(
        &mut self,
        error: Option<Error>,
    ) -> Poll<Option<datafusion::error::Result<RecordBatch>>> {
        self.inner = None;
        if let Some(h) = self.handle.take() {
            h.finish(error.as_ref());
        }
        Poll::Ready(error.map(|e| Err(DataFusionError::External(Box::new(e)))))
    }
}

impl Stream for TrackedStream {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(handle) = &this.handle else {
            return Poll::Ready(None);
        };
        if this.cancelled.as_mut().poll(cx).is_ready() {
            return this.end(Some(cancelled_error()));
        }
        if let Some(d) = this.deadline.as_mut()
            && d.as_mut().poll(cx).is_ready()
        {
            if this.overflow_break {
                return this.end(None);
            }
            let e = timeout_error(handle.status(), this.max_execution_time);
            return this.end(Some(e));
        }
        let Some(inner) = this.inner.as_mut() else {
            return this.end(None);
        };
        match inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => this.end(None),
            Poll::Ready(Some(Ok(batch))) => {
                let status = handle.status();
                status
                    .result_rows
                    .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                status
                    .result_bytes
                    .fetch_add(batch.get_array_memory_size() as u64, Ordering::Relaxed);
                Poll::Ready(Some(Ok(batch)))
            }
            Poll::Ready(Some(Err(e))) => {
                let e = crate::error::from_datafusion(e);
                this.end(Some(e))
            }
        }
    }
}

impl RecordBatchStream for TrackedStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
