//! Running one Query packet on a native connection: external tables, then either the
//! INSERT flow (TableColumns, sample block, Data blocks in, ProfileEvents) or the SELECT
//! flow (header block, Data blocks out, Progress, Totals/Extremes, ProfileInfo), ending in
//! EndOfStream or an Exception.

use std::time::Instant;

use futures::StreamExt;
use sluice_common::{Error, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::handler::{BatchStream, InsertTarget, Query, QueryInput};
use crate::native::block::{encode_block, encode_header};
use crate::native::compression::CompressionMethod;
use crate::native::connection::Conn;
use crate::native::handshake::rev;
use crate::native::io::ReadError;
use crate::native::packets::{self, ProfileInfo, QueryPacket, client, server};
use crate::progress::{ProgressCounters, ProgressValues};

/// Outcome of a step: keep serving the connection or close it.
type Keep = bool;

struct QueryState {
    compression: Option<CompressionMethod>,
    compressed_in: bool,
    started: Instant,
    last_progress: ProgressValues,
}

/// Runs `q`; returns whether the connection stays usable.
pub(crate) async fn run_query<R, W>(conn: &mut Conn<R, W>, q: QueryPacket) -> Keep
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let compression = if q.compression {
        let method = q
            .settings
            .iter()
            .rev()
            .find(|(k, _)| k == "network_compression_method")
            .map(|(_, v)| CompressionMethod::from_name(v))
            .unwrap_or(Ok(CompressionMethod::Lz4));
        match method {
            Ok(CompressionMethod::None) | Err(_) => Some(CompressionMethod::Lz4),
            Ok(m) => Some(m),
        }
    } else {
        None
    };
    conn.compressed = q.compression;
    let mut st = QueryState {
        compression,
        compressed_in: q.compression,
        started: Instant::now(),
        last_progress: ProgressValues::default(),
    };
    // External tables: Data packets up to an empty block.
    let mut external_tables = 0usize;
    loop {
        match read_data_packet(conn, &st).await {
            Ok(Some(block)) if block.num_columns() == 0 && block.num_rows() == 0 => break,
            Ok(Some(_)) => external_tables += 1,
            Ok(None) => return false,
            Err(e) => {
                conn.fatal(e).await;
                return false;
            }
        }
    }
    if external_tables > 0 {
        let e = Error::not_implemented("External tables in the native protocol");
        return send_exception(conn, &e).await;
    }
    let query_id = if q.query_id.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        q.query_id.clone()
    };
    let target = match conn.session.insert_target(&q.sql).await {
        Ok(t) => t,
        Err(e) => return send_exception(conn, &e).await,
    };
    let cancel = CancellationToken::new();
    let mut client = conn.client.clone();
    client.client_name = if q.client_info.client_name.is_empty() {
        client.client_name
    } else {
        q.client_info.client_name.clone()
    };
    let query = Query {
        sql: q.sql,
        query_id,
        settings: q.settings,
        params: q.params,
        input: None,
        cancel: cancel.clone(),
        client,
    };
    let _guard = cancel.clone().drop_guard();
    match target {
        Some(target) => run_insert(conn, &mut st, query, target).await,
        None => run_select(conn, &mut st, query, cancel).await,
    }
}

/// Reads a Data packet (type, table name, block); `Ok(None)` if the client left.
async fn read_data_packet<R, W>(
    conn: &mut Conn<R, W>,
    st: &QueryState,
) -> Result<Option<arrow::array::RecordBatch>, Error>
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let packet = match conn.reader.next(|r| r.varint()).await {
        Ok(p) => p,
        Err(ReadError::Closed) => return Ok(None),
        Err(ReadError::Protocol(e)) => return Err(e),
    };
    match packet {
        client::DATA => {}
        client::CANCEL => {
            return Err(Error::new(
                ErrorCode::QUERY_WAS_CANCELLED,
                "Query was cancelled",
            ));
        }
        other => {
            return Err(Error::new(
                ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT,
                format!("Unexpected packet from client: expected Data, got {other}"),
            ));
        }
    }
    let read = async {
        conn.reader.next(|r| r.string()).await?;
        conn.reader.read_block(conn.n, st.compressed_in).await
    };
    match read.await {
        Ok(block) => Ok(Some(block.batch)),
        Err(ReadError::Closed) => Ok(None),
        Err(ReadError::Protocol(e)) => Err(e),
    }
}

/// Sends an Exception; the query is over, the connection stays open.
async fn send_exception<R, W>(conn: &mut Conn<R, W>, e: &Error) -> Keep
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    packets::write_exception(e, conn.writer.buffer());
    conn.writer.flush().await.is_ok()
}

/// Appends a Progress packet with the increments since the last one, if any.
fn put_progress<R, W: AsyncWrite + Unpin>(
    conn: &mut Conn<R, W>,
    st: &mut QueryState,
    progress: &ProgressCounters,
) {
    let now = progress.snapshot();
    let delta = now.delta_since(&st.last_progress);
    if delta.is_zero() {
        return;
    }
    st.last_progress = now;
    let elapsed = st.started.elapsed().as_nanos() as u64;
    packets::write_progress(&delta, elapsed, conn.n, conn.writer.buffer());
}

async fn run_insert<R, W>(
    conn: &mut Conn<R, W>,
    st: &mut QueryState,
    mut query: Query,
    target: InsertTarget,
) -> Keep
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let n = conn.n;
    if n >= rev::COLUMN_DEFAULTS_METADATA && !target.columns.is_empty() {
        packets::write_table_columns(&target, conn.writer.buffer());
    }
    let mut header = Vec::new();
    if let Err(e) = encode_header(&target.sample, n, &mut header) {
        return send_exception(conn, &e).await;
    }
    conn.writer
        .put_block_packet(server::DATA, &header, st.compression);
    if conn.writer.flush().await.is_err() {
        return false;
    }
    let (tx, rx) = mpsc::channel::<Result<arrow::array::RecordBatch, Error>>(4);
    let input: BatchStream = Box::pin(tokio_stream_from(rx));
    query.input = Some(QueryInput::Batches(input));
    let cancel = query.cancel.clone();
    let session = &mut conn.session;
    let exec = async move {
        let output = session.execute(query).await?;
        if let Some(mut stream) = output.stream {
            while let Some(item) = stream.next().await {
                item?;
            }
        }
        Ok::<_, Error>(output.progress)
    };
    let reader = &mut conn.reader;
    let writer = &mut conn.writer;
    let compressed_in = st.compressed_in;
    let feed = async move {
        let mut tx = Some(tx);
        loop {
            let packet = match reader.next(|r| r.varint()).await {
                Ok(p) => p,
                Err(ReadError::Closed) => return Err(None),
                Err(ReadError::Protocol(e)) => return Err(Some(e)),
            };
            if packet == client::CANCEL {
                cancel.cancel();
                return Ok(());
            }
            if packet != client::DATA {
                return Err(Some(Error::new(
                    ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT,
                    format!("Unexpected packet from client: expected Data, got {packet}"),
                )));
            }
            let block = async {
                reader.next(|r| r.string()).await?;
                reader.read_block(n, compressed_in).await
            };
            let block = match block.await {
                Ok(b) => b,
                Err(ReadError::Closed) => return Err(None),
                Err(ReadError::Protocol(e)) => return Err(Some(e)),
            };
            if block.is_end_marker() {
                drop(tx.take());
                if n >= rev::PROFILE_EVENTS_IN_INSERT {
                    packets::write_empty_profile_events(n, writer.buffer());
                    let _ = writer.flush().await;
                }
                return Ok(());
            }
            if let Some(sender) = &tx {
                // A closed receiver means the engine stopped reading (it failed or is
                // done); keep consuming the client's blocks until the end marker.
                if sender.send(Ok(block.batch)).await.is_err() {
                    tx = None;
                }
            }
            if n >= rev::PROFILE_EVENTS_IN_INSERT {
                packets::write_empty_profile_events(n, writer.buffer());
                if writer.flush().await.is_err() {
                    return Err(None);
                }
            }
        }
    };
    let (exec_res, feed_res) = futures::join!(exec, feed);
    match (exec_res, feed_res) {
        (_, Err(None)) => false,
        (_, Err(Some(e))) => {
            conn.fatal(e).await;
            false
        }
        (Err(e), Ok(())) => send_exception(conn, &e).await,
        (Ok(progress), Ok(())) => {
            // Clients below 54420 accept only Exception/EndOfStream/Log after INSERT data.
            if n >= rev::CLIENT_WRITE_INFO {
                put_progress(conn, st, &progress);
            }
            packets::write_simple(server::END_OF_STREAM, conn.writer.buffer());
            conn.writer.flush().await.is_ok()
        }
    }
}

/// A stream over an mpsc receiver.
fn tokio_stream_from<T: Send + 'static>(
    rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

async fn run_select<R, W>(
    conn: &mut Conn<R, W>,
    st: &mut QueryState,
    query: Query,
    cancel: CancellationToken,
) -> Keep
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let n = conn.n;
    let output = match conn.session.execute(query).await {
        Ok(o) => o,
        Err(e) => return send_exception(conn, &e).await,
    };
    let mut info = ProfileInfo::default();
    let mut block = Vec::new();
    if let Some(mut stream) = output.stream {
        if let Err(e) = encode_header(&output.schema, n, &mut block) {
            return send_exception(conn, &e).await;
        }
        conn.writer
            .put_block_packet(server::DATA, &block, st.compression);
        if conn.writer.flush().await.is_err() {
            return false;
        }
        let mut ticker = tokio::time::interval(conn.ctx.config.progress_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    None => break,
                    Some(Err(e)) => return send_exception(conn, &e).await,
                    Some(Ok(batch)) => {
                        if batch.num_rows() == 0 {
                            continue;
                        }
                        block.clear();
                        if let Err(e) = encode_block(&batch, n, &mut block) {
                            return send_exception(conn, &e).await;
                        }
                        info.rows += batch.num_rows() as u64;
                        info.blocks += 1;
                        info.bytes += batch.get_array_memory_size() as u64;
                        conn.writer.put_block_packet(server::DATA, &block, st.compression);
                        if conn.writer.flush().await.is_err() {
                            cancel.cancel();
                            return false;
                        }
                    }
                },
                _ = ticker.tick() => {
                    put_progress(conn, st, &output.progress);
                    if conn.writer.buffered() > 0 && conn.writer.flush().await.is_err() {
                        return false;
                    }
                }
                got = conn.reader.fill() => match got {
                    Err(_) => {
                        // Client gone: stop the query.
                        cancel.cancel();
                        return false;
                    }
                    Ok(_) => {
                        // Only Cancel (or Ping) is expected while a query runs.
                        match conn.reader.next(|r| r.varint()).await {
                            Ok(client::CANCEL) => {
                                cancel.cancel();
                                drop(stream);
                                packets::write_simple(server::END_OF_STREAM, conn.writer.buffer());
                                return conn.writer.flush().await.is_ok();
                            }
                            Ok(client::PING) => {
                                packets::write_simple(server::PONG, conn.writer.buffer());
                            }
                            Ok(other) => {
                                let e = Error::new(
                                    ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT,
                                    format!("Unexpected packet {other} from client while a query runs"),
                                );
                                cancel.cancel();
                                conn.fatal(e).await;
                                return false;
                            }
                            Err(_) => {
                                cancel.cancel();
                                return false;
                            }
                        }
                    }
                },
            }
        }
        if let Some(trailer) = output.trailer {
            match trailer.await {
                Ok(t) => {
                    for (packet, batch) in
                        [(server::TOTALS, t.totals), (server::EXTREMES, t.extremes)]
                    {
                        if let Some(batch) = batch {
                            block.clear();
                            if let Err(e) = encode_block(&batch, n, &mut block) {
                                return send_exception(conn, &e).await;
                            }
                            conn.writer.put_block_packet(packet, &block, st.compression);
                        }
                    }
                }
                Err(e) => return send_exception(conn, &e).await,
            }
        }
        packets::write_profile_info(&info, conn.writer.buffer());
    }
    // Debian's clickhouse-client 18.16 aborts on an all-zero Progress packet: send
    // only real increments.
    put_progress(conn, st, &output.progress);
    packets::write_simple(server::END_OF_STREAM, conn.writer.buffer());
    conn.writer.flush().await.is_ok()
}
