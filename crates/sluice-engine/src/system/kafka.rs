//! `system.kafka_consumers`: one row per consumer of every Kafka table, with ClickHouse's
//! columns (`assignments.intent_size` is NULL, as for ClickHouse's `StorageKafka`; it is
//! StorageKafka2's) plus Sluice's `assignments.high_water_mark` and `assignments.lag`; and
//! `system.dead_letter_queue` with ClickHouse's columns (the RabbitMQ ones stay empty).

use datafusion::arrow::datatypes::SchemaRef;
use sluice_common::Result;

use super::SystemTables;
use crate::rows::{Cell, schema_of};

type Rows = (SchemaRef, Vec<Vec<Cell>>);

/// A Kafka table's view chains (`dependencies`, `missing_dependencies`).
type Dependencies = (Vec<Vec<String>>, Vec<Vec<String>>);

/// The statistics of every consumer of every Kafka table, with its table's view chains.
fn consumers(s: &SystemTables) -> Vec<(sluice_kafka::ConsumerStats, Dependencies)> {
    s.catalog
        .all_tables()
        .iter()
        .filter_map(|e| e.table.as_ref().and_then(crate::tables::kafka::as_kafka))
        .flat_map(|k| {
            let deps = k.dependencies();
            k.consumer_stats()
                .into_iter()
                .map(move |c| (c, deps.clone()))
        })
        .collect()
}

/// The statistics of every consumer of every Kafka table.
pub(super) fn consumer_stats(s: &SystemTables) -> Vec<sluice_kafka::ConsumerStats> {
    consumers(s).into_iter().map(|(c, _)| c).collect()
}

pub(super) fn kafka_consumers(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("table", "String"),
        ("consumer_id", "String"),
        ("assignments.topic", "Array(String)"),
        ("assignments.partition_id", "Array(Int32)"),
        ("assignments.current_offset", "Array(Int64)"),
        ("assignments.intent_size", "Array(Nullable(Int64))"),
        ("assignments.high_water_mark", "Array(Int64)"),
        ("assignments.lag", "Array(Int64)"),
        ("exceptions.time", "Array(DateTime)"),
        ("exceptions.text", "Array(String)"),
        ("last_poll_time", "DateTime"),
        ("num_messages_read", "UInt64"),
        ("last_commit_time", "DateTime"),
        ("num_commits", "UInt64"),
        ("last_rebalance_time", "DateTime"),
        ("num_rebalance_revocations", "UInt64"),
        ("num_rebalance_assignments", "UInt64"),
        ("is_currently_used", "UInt8"),
        ("last_used", "DateTime64(6)"),
        ("rdkafka_stat", "String"),
        ("dependencies", "Array(Array(String))"),
        ("missing_dependencies", "Array(Array(String))"),
    ])?;
    let mut rows = Vec::new();
    for (c, (dependencies, missing_dependencies)) in consumers(s) {
        let a = &c.assignments;
        rows.push(vec![
            Cell::Str(c.database.clone()),
            Cell::Str(c.table.clone()),
            Cell::Str(c.consumer_id.clone()),
            Cell::StrArr(a.iter().map(|x| x.topic.clone()).collect()),
            Cell::I64Arr(a.iter().map(|x| i64::from(x.partition_id)).collect()),
            Cell::I64Arr(a.iter().map(|x| x.current_offset).collect()),
            Cell::OptI64Arr(vec![None; a.len()]),
            Cell::I64Arr(a.iter().map(|x| x.high_water_mark).collect()),
            Cell::I64Arr(a.iter().map(|x| x.lag).collect()),
            Cell::I64Arr(c.exceptions.iter().map(|(t, _)| *t as i64).collect()),
            Cell::StrArr(c.exceptions.iter().map(|(_, m)| m.clone()).collect()),
            Cell::I64(c.last_poll_time as i64),
            Cell::U64(c.num_messages_read),
            Cell::I64(c.last_commit_time as i64),
            Cell::U64(c.num_commits),
            Cell::I64(c.last_rebalance_time as i64),
            Cell::U64(c.num_rebalance_revocations),
            Cell::U64(c.num_rebalance_assignments),
            Cell::from(c.is_currently_used),
            Cell::I64(c.last_used_us as i64),
            Cell::Str(c.rdkafka_stat.clone()),
            Cell::StrArrArr(dependencies),
            Cell::StrArrArr(missing_dependencies),
        ]);
    }
    Ok((schema, rows))
}

pub(super) fn dead_letter_queue(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("table_engine", "Enum8('Kafka' = 1, 'RabbitMQ' = 2)"),
        ("event_date", "Date"),
        ("event_time", "DateTime"),
        ("event_time_microseconds", "DateTime64(6)"),
        ("database", "LowCardinality(String)"),
        ("table", "LowCardinality(String)"),
        ("error", "String"),
        ("raw_message", "String"),
        ("kafka_topic_name", "String"),
        ("kafka_partition", "UInt64"),
        ("kafka_offset", "UInt64"),
        ("kafka_key", "String"),
        ("rabbitmq_exchange_name", "String"),
        ("rabbitmq_message_id", "String"),
        ("rabbitmq_message_timestamp", "DateTime"),
        ("rabbitmq_message_redelivered", "UInt8"),
        ("rabbitmq_message_delivery_tag", "UInt64"),
        ("rabbitmq_channel_id", "String"),
    ])?;
    let rows = s
        .dead_letters
        .entries()
        .into_iter()
        .map(|e| {
            let secs = e.time_us.div_euclid(1_000_000);
            vec![
                Cell::from("Kafka"),
                Cell::I64(secs.div_euclid(86_400)),
                Cell::I64(secs),
                Cell::I64(e.time_us),
                Cell::Str(e.database),
                Cell::Str(e.table),
                Cell::Str(e.error),
                Cell::Str(e.raw_message),
                Cell::Str(e.topic),
                Cell::U64(e.partition),
                Cell::U64(e.offset),
                Cell::Str(e.key),
                Cell::from(""),
                Cell::from(""),
                Cell::I64(0),
                Cell::U64(0),
                Cell::U64(0),
                Cell::from(""),
            ]
        })
        .collect();
    Ok((schema, rows))
}
