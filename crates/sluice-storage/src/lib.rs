#![warn(missing_docs)]
//! Sluice's storage engine: the MergeTree family on Parquet parts.
//!
//! Entry point: [`MergeTreeTable::open`] with a [`TableSpec`]; then
//! [`MergeTreeTable::insert`], [`MergeTreeTable::provider`] (queries, `FINAL`),
//! [`MergeTreeTable::optimize`], partition operations, mutations and `ALTER`.
//!
//! Module map:
//! - [`expr`]: [`BatchExpr`] / [`StateMerger`], the hooks the engine implements.
//! - [`engine_kind`], [`spec`], [`settings`]: table definition and MergeTree settings.
//! - [`part_name`], [`manifest`], `part_io`, `part_stats`, [`part`]: parts on disk; `rg_writer`,
//!   `page_layout`, `row_gather`: Parquet row groups encoded in parallel.
//! - `partition`, `siphash`: partition ids as ClickHouse computes them.
//! - `insert`, `key_sort`, `radix`, `dedup`, `block_counter`: durable inserts (sorted by
//!   the key) and deduplication.
//! - `kway`, `semantics`, `merge_task`, `scheduler`: merges and `FINAL`.
//! - `ops`, `mutation`, `mutation_file`: OPTIMIZE, TRUNCATE, partitions, mutations (their
//!   `mutation_<N>.txt` entries), ALTER.
//! - [`provider`], `scan_exec`, `stats`: reads with pruning.
//! - `recovery`: start-up repair; [`info`]: system table rows.
//! - [`virtual_columns`]: `_part`, `_partition_id`, … of reads.

mod accepted_unused;
mod block_counter;
mod codec;
mod dedup;
pub mod defaults;
pub mod engine_kind;
pub mod expr;
mod fsutil;
pub mod info;
mod insert;
mod insert_txn;
mod keep_alive;
mod key_sort;
mod kway;
pub mod manifest;
mod merge_task;
mod mutation;
mod mutation_file;
mod ops;
mod page_layout;
pub mod part;
mod part_io;
pub mod part_name;
mod part_stats;
mod partition;
mod pool;
pub mod provider;
mod radix;
mod recovery;
mod rg_writer;
mod row_gather;
mod scan_exec;
mod scheduler;
mod semantics;
pub mod settings;
mod siphash;
pub mod source;
pub mod spec;
mod stats;
mod table;
pub mod virtual_columns;

pub use codec::validate as validate_codecs;
pub use engine_kind::MergeTreeEngine;
pub use expr::{BatchExpr, StateMerger};
pub use fsutil::failpoint;
pub use info::{DetachedPartInfo, MergeInfo, MutationInfo, PartInfo};
pub use insert::MAX_INSERT_BLOCK_SIZE;
pub use mutation::{MutationCommand, MutationPartition};
pub use part_name::PartName;
pub use partition::partition_id;
pub use settings::{ACCEPTED_UNUSED, MergeTreeSettings};
pub use source::{InsertOptions, SourceKey};
pub use spec::TableSpec;
pub use table::MergeTreeTable;
