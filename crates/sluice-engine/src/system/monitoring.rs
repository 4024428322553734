//! The tables monitoring tools read, with ClickHouse's columns: `system.metrics` (gauges:
//! running queries, merges and mutations, memory, Kafka consumers),
//! `system.asynchronous_metrics` (uptime, memory, table and part totals, computed when the
//! table is read), `system.disks` (the one local disk holding the data path),
//! `system.merge_tree_settings` (every MergeTree setting and its default),
//! `system.build_options`, `system.users` (the `default` user) and `system.clusters`
//! (empty: Sluice runs on one node). The `name` ALIAS columns of `metrics` and `clusters`
//! are not there (docs/status.md). Descriptions are Sluice's own wording.

use std::path::PathBuf;

use sluice_common::Result;

use super::SystemTables;
use super::storage::{merge_tree_tables, storage};
use crate::rows::{Cell, schema_of};

type Table = (datafusion::arrow::datatypes::SchemaRef, Vec<Vec<Cell>>);

/// Resident memory of this process in bytes (`/proc/self/statm` pages of 4 KiB, the page
/// size of the x86-64 Linux builds; 0 where unavailable).
fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Kafka consumer gauges over every Kafka table: consumers, consumers with an assignment,
/// consumers in use, assigned partitions.
fn kafka_gauges(s: &SystemTables) -> [u64; 4] {
    let mut g = [0u64; 4];
    for c in super::kafka::consumer_stats(s) {
        g[0] += 1;
        g[1] += u64::from(!c.assignments.is_empty());
        g[2] += u64::from(c.is_currently_used);
        g[3] += c.assignments.len() as u64;
    }
    g
}

/// `system.metrics`.
pub(super) fn metrics(s: &SystemTables) -> Result<Table> {
    let schema = schema_of(&[
        ("metric", "String"),
        ("value", "Int64"),
        ("description", "String"),
    ])?;
    let mut merges = 0u64;
    let mut mutations = 0u64;
    let mut active_parts = 0u64;
    let mut outdated_parts = 0u64;
    for (_, _, e) in merge_tree_tables(s) {
        let Some(mt) = storage(&e) else { continue };
        let st = mt.storage();
        merges += st.merges().len() as u64;
        mutations += st.mutations().iter().filter(|m| !m.is_done).count() as u64;
        for p in st.parts() {
            if p.active {
                active_parts += 1;
            } else {
                outdated_parts += 1;
            }
        }
    }
    let [consumers, with_assignment, in_use, partitions] = kafka_gauges(s);
    let rows: Vec<(&str, u64, &str)> = vec![
        (
            "Query",
            // The reading query is running too, also where it is not tracked (`sluice local`).
            (s.processes.snapshot().len() as u64).max(1),
            "Queries running now, this one included.",
        ),
        (
            "Merge",
            merges,
            "Background merges running now (mutations included).",
        ),
        (
            "PartMutation",
            mutations,
            "Mutations (ALTER DELETE/UPDATE) not finished yet.",
        ),
        (
            "MemoryTracking",
            resident_bytes(),
            "Memory the server holds, in bytes. Sluice reports the process's resident set.",
        ),
        (
            "PartsActive",
            active_parts,
            "Active data parts of MergeTree tables (the ones queries read).",
        ),
        (
            "PartsOutdated",
            outdated_parts,
            "Parts replaced by a merge or mutation and not yet removed.",
        ),
        (
            "KafkaConsumers",
            consumers,
            "Consumers of Kafka tables that exist now.",
        ),
        (
            "KafkaConsumersWithAssignment",
            with_assignment,
            "Kafka consumers with at least one partition assigned.",
        ),
        (
            "KafkaConsumersInUse",
            in_use,
            "Kafka consumers reading right now (for a view or a direct SELECT).",
        ),
        (
            "KafkaAssignedPartitions",
            partitions,
            "Kafka partitions assigned to the consumers of Kafka tables.",
        ),
    ];
    Ok((
        schema,
        rows.into_iter()
            .map(|(m, v, d)| vec![m.into(), Cell::I64(v as i64), d.into()])
            .collect(),
    ))
}

/// `system.asynchronous_metrics`.
pub(super) fn asynchronous_metrics(s: &SystemTables) -> Result<Table> {
    let schema = schema_of(&[
        ("metric", "String"),
        ("value", "Float64"),
        ("description", "String"),
    ])?;
    let mut tables = 0u64;
    let mut parts = 0u64;
    let mut rows_total = 0u64;
    let mut bytes_total = 0u64;
    let mut max_parts_in_partition = 0u64;
    for (_, _, e) in merge_tree_tables(s) {
        let Some(mt) = storage(&e) else { continue };
        tables += 1;
        let mut per_partition = std::collections::HashMap::<String, u64>::new();
        for p in mt.storage().parts().into_iter().filter(|p| p.active) {
            parts += 1;
            rows_total += p.rows;
            bytes_total += p.bytes_on_disk;
            *per_partition.entry(p.partition_id.clone()).or_default() += 1;
        }
        max_parts_in_partition =
            max_parts_in_partition.max(per_partition.values().copied().max().unwrap_or(0));
    }
    let all = s.catalog.all_tables();
    let databases = s.catalog.database_names().len() as f64;
    let rows: Vec<(&str, f64, &str)> = vec![
        (
            "Uptime",
            sluice_functions::uptime_seconds(),
            "Seconds since the server started.",
        ),
        (
            "MemoryResident",
            resident_bytes() as f64,
            "Resident memory of the server process, bytes.",
        ),
        ("NumberOfDatabases", databases, "Databases on the server."),
        (
            "NumberOfTables",
            all.len() as f64,
            "Tables and views in all databases.",
        ),
        (
            "NumberOfMergeTreeTables",
            tables as f64,
            "Tables of the MergeTree family.",
        ),
        (
            "TotalPartsOfMergeTreeTables",
            parts as f64,
            "Active parts of all MergeTree tables.",
        ),
        (
            "TotalRowsOfMergeTreeTables",
            rows_total as f64,
            "Rows in the active parts of all MergeTree tables.",
        ),
        (
            "TotalBytesOfMergeTreeTables",
            bytes_total as f64,
            "Bytes on disk of the active parts of all MergeTree tables.",
        ),
        (
            "MaxPartCountForPartition",
            max_parts_in_partition as f64,
            "The largest number of active parts in one partition of any MergeTree table.",
        ),
    ];
    Ok((
        schema,
        rows.into_iter()
            .map(|(m, v, d)| vec![m.into(), Cell::F64(v), d.into()])
            .collect(),
    ))
}

/// The directory the `default` disk stands for: the data path, or the temporary directory
/// when the server keeps no state on disk.
fn disk_path(s: &SystemTables) -> PathBuf {
    s.catalog
        .path()
        .map_or_else(std::env::temp_dir, |p| p.to_path_buf())
}

/// `system.disks`.
pub(super) fn disks(s: &SystemTables) -> Result<Table> {
    let schema = schema_of(&[
        ("name", "String"),
        ("path", "String"),
        ("free_space", "UInt64"),
        ("total_space", "UInt64"),
        ("unreserved_space", "UInt64"),
        ("keep_free_space", "UInt64"),
        ("type", "String"),
        ("object_storage_type", "String"),
        ("metadata_type", "String"),
        ("is_encrypted", "UInt8"),
        ("is_read_only", "UInt8"),
        ("is_write_once", "UInt8"),
        ("is_remote", "UInt8"),
        ("is_broken", "UInt8"),
        ("cache_path", "String"),
    ])?;
    let path = disk_path(s);
    let (free, total, broken) = match rustix::fs::statvfs(&path) {
        Ok(v) => (
            v.f_bavail.saturating_mul(v.f_frsize),
            v.f_blocks.saturating_mul(v.f_frsize),
            false,
        ),
        Err(_) => (0, 0, true),
    };
    let mut shown = path.to_string_lossy().into_owned();
    if !shown.ends_with('/') {
        shown.push('/');
    }
    let row = vec![
        "default".into(),
        shown.into(),
        Cell::U64(free),
        Cell::U64(total),
        Cell::U64(free),
        Cell::U64(0),
        "Local".into(),
        "None".into(),
        "None".into(),
        Cell::U64(0),
        Cell::U64(0),
        Cell::U64(0),
        Cell::U64(0),
        Cell::from(broken),
        "".into(),
    ];
    Ok((schema, vec![row]))
}

/// `system.merge_tree_settings`: every MergeTree setting ClickHouse has, with its default;
/// `readonly` marks the ones `ALTER TABLE … MODIFY SETTING` refuses.
pub(super) fn merge_tree_settings() -> Result<Table> {
    let schema = schema_of(&[
        ("name", "String"),
        ("value", "String"),
        ("default", "String"),
        ("changed", "UInt8"),
        ("description", "String"),
        ("min", "Nullable(String)"),
        ("max", "Nullable(String)"),
        ("disallowed_values", "Array(String)"),
        ("readonly", "UInt8"),
        ("type", "String"),
        ("is_obsolete", "UInt8"),
        (
            "tier",
            "Enum8('Production' = 0, 'Obsolete' = 4, 'Experimental' = 8, 'Beta' = 12, 'PrivatePreview' = 16)",
        ),
    ])?;
    let mut defs: Vec<_> = sluice_storage::settings::registry().values().collect();
    defs.sort_unstable_by_key(|d| d.name);
    let rows = defs
        .into_iter()
        .map(|d| {
            let used = sluice_storage::settings::USED.contains(&d.name);
            vec![
                d.name.into(),
                d.default.into(),
                d.default.into(),
                Cell::U64(0),
                if used {
                    "Used by Sluice."
                } else {
                    "Accepted and stored; Sluice does not act on it (docs/storage.md)."
                }
                .into(),
                Cell::Null,
                Cell::Null,
                Cell::StrArr(Vec::new()),
                Cell::from(sluice_storage::settings::READONLY.contains(&d.name)),
                d.ty.into(),
                Cell::from(d.obsolete),
                d.tier.into(),
            ]
        })
        .collect();
    Ok((schema, rows))
}

/// `system.build_options`: ClickHouse's option names where Sluice has a value.
pub(super) fn build_options() -> Result<Table> {
    let schema = schema_of(&[("name", "String"), ("value", "String")])?;
    let version = sluice_functions::type_info::CLICKHOUSE_VERSION;
    let short: String = version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let rows = [
        (
            "VERSION_FULL",
            format!("Sluice {}", env!("CARGO_PKG_VERSION")),
        ),
        ("VERSION_DESCRIBE", format!("v{version}-sluice")),
        ("VERSION_NAME", "Sluice".to_string()),
        ("VERSION_STRING", version.to_string()),
        ("VERSION_STRING_SHORT", short),
        (
            "SYSTEM",
            match std::env::consts::OS {
                "linux" => "Linux".to_string(),
                "macos" => "Darwin".to_string(),
                other => other.to_string(),
            },
        ),
        ("SYSTEM_PROCESSOR", std::env::consts::ARCH.to_string()),
        (
            "BUILD_TYPE",
            if cfg!(debug_assertions) {
                "Debug"
            } else {
                "Release"
            }
            .to_string(),
        ),
        ("USE_RDKAFKA", "1".to_string()),
        ("USE_PARQUET", "1".to_string()),
    ];
    Ok((
        schema,
        rows.into_iter()
            .map(|(n, v)| vec![n.into(), v.into()])
            .collect(),
    ))
}

/// `system.users`: the one user Sluice has, `default`, without a password.
pub(super) fn users() -> Result<Table> {
    let schema = schema_of(&[
        ("name", "String"),
        ("id", "UUID"),
        ("storage", "String"),
        (
            "auth_type",
            "Array(Enum8('no_password' = 0, 'plaintext_password' = 1, 'sha256_password' = 2, 'double_sha1_password' = 3, 'ldap' = 4, 'kerberos' = 5, 'ssl_certificate' = 6, 'bcrypt_password' = 7, 'ssh_key' = 8, 'http' = 9, 'jwt' = 10, 'scram_sha256_password' = 11, 'no_authentication' = 12))",
        ),
        ("auth_params", "Array(String)"),
        ("valid_until", "Array(DateTime64(0))"),
        ("auth_grants", "Array(String)"),
        ("host_ip", "Array(String)"),
        ("host_names", "Array(String)"),
        ("host_names_regexp", "Array(String)"),
        ("host_names_like", "Array(String)"),
        ("default_roles_all", "UInt8"),
        ("default_roles_list", "Array(String)"),
        ("default_roles_except", "Array(String)"),
        ("grantees_any", "UInt8"),
        ("grantees_list", "Array(String)"),
        ("grantees_except", "Array(String)"),
        ("default_database", "String"),
    ])?;
    let row = vec![
        "default".into(),
        "00000000-0000-0000-0000-000000000000".into(),
        "users_xml".into(),
        Cell::StrArr(vec!["no_password".into()]),
        Cell::StrArr(vec!["{}".into()]),
        Cell::I64Arr(vec![0]),
        Cell::StrArr(Vec::new()),
        Cell::StrArr(vec!["::/0".into()]),
        Cell::StrArr(Vec::new()),
        Cell::StrArr(Vec::new()),
        Cell::StrArr(Vec::new()),
        Cell::U64(1),
        Cell::StrArr(Vec::new()),
        Cell::StrArr(Vec::new()),
        Cell::U64(1),
        Cell::StrArr(Vec::new()),
        Cell::StrArr(Vec::new()),
        "".into(),
    ];
    Ok((schema, vec![row]))
}

/// `system.clusters`: no rows (Sluice has no remote servers or replicas).
pub(super) fn clusters() -> Result<Table> {
    let schema = schema_of(&[
        ("cluster", "String"),
        ("shard_num", "UInt32"),
        ("shard_name", "String"),
        ("shard_weight", "UInt32"),
        ("internal_replication", "UInt8"),
        ("replica_num", "UInt32"),
        ("host_name", "String"),
        ("host_address", "String"),
        ("port", "UInt16"),
        ("is_local", "UInt8"),
        ("user", "String"),
        ("default_database", "String"),
        ("errors_count", "UInt32"),
        ("slowdowns_count", "UInt32"),
        ("estimated_recovery_time", "UInt32"),
        ("database_shard_name", "String"),
        ("database_replica_name", "String"),
        ("is_shared_catalog_cluster", "UInt8"),
        ("is_active", "Nullable(UInt8)"),
        ("unsynced_after_recovery", "Nullable(UInt8)"),
        ("replication_lag", "Nullable(UInt32)"),
        ("recovery_time", "Nullable(UInt64)"),
    ])?;
    Ok((schema, Vec::new()))
}

#[cfg(test)]
mod tests {
    //! `system.asynchronous_metrics` and `system.users` cannot be read in chdb (the oracle),
    //! so their checks are Sluice's own invariants; the other tables are in
    //! `sql-tests/system/monitoring.slt` with ClickHouse's answers.

    use datafusion::arrow::array::{Array, AsArray, RecordBatch};
    use datafusion::arrow::datatypes::Float64Type;

    use crate::{Engine, EngineConfig};

    async fn batches(sql: &str, setup: &str) -> Vec<RecordBatch> {
        let engine = Engine::open(EngineConfig::default()).await.expect("engine");
        let mut s = engine.session();
        s.execute_sql(setup).await.expect("setup");
        let mut out = s.execute_sql(sql).await.expect(sql);
        out.pop().map(|(_, b)| b).unwrap_or_default()
    }

    fn metric(rows: &[RecordBatch], name: &str) -> Option<f64> {
        rows.iter().find_map(|b| {
            let names = b.column(0).as_string::<i32>();
            let values = b.column(1).as_primitive::<Float64Type>();
            (0..b.num_rows())
                .find(|&i| names.value(i) == name)
                .map(|i| values.value(i))
        })
    }

    #[tokio::test]
    async fn asynchronous_metrics_count_tables_parts_and_rows() {
        let rows = batches(
            "SELECT metric, value FROM system.asynchronous_metrics",
            "CREATE TABLE t (k UInt64) ENGINE = MergeTree ORDER BY k;
             INSERT INTO t SELECT number FROM numbers(1000);
             INSERT INTO t SELECT number FROM numbers(500);
             CREATE TABLE m (k UInt64) ENGINE = Memory;",
        )
        .await;
        assert_eq!(metric(&rows, "NumberOfMergeTreeTables"), Some(1.0));
        assert_eq!(metric(&rows, "TotalPartsOfMergeTreeTables"), Some(2.0));
        assert_eq!(metric(&rows, "TotalRowsOfMergeTreeTables"), Some(1500.0));
        assert_eq!(metric(&rows, "MaxPartCountForPartition"), Some(2.0));
        assert!(metric(&rows, "TotalBytesOfMergeTreeTables").is_some_and(|b| b > 0.0));
        assert!(metric(&rows, "NumberOfTables").is_some_and(|n| n >= 2.0));
        assert!(metric(&rows, "MemoryResident").is_some_and(|m| m > 0.0));
        assert!(metric(&rows, "Uptime").is_some_and(|u| u >= 0.0));
    }

    #[tokio::test]
    async fn users_lists_the_default_user() {
        let rows = batches(
            "SELECT name, storage, toString(auth_type), toTypeName(auth_type), host_ip FROM system.users",
            "SELECT 1",
        )
        .await;
        let total: usize = rows.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(total, 1);
        let b = &rows[0];
        let text = |c: usize| b.column(c).as_string::<i32>().value(0).to_string();
        assert_eq!(text(0), "default");
        assert_eq!(text(1), "users_xml");
        assert_eq!(text(2), "['no_password']");
        assert!(
            text(3).starts_with("Array(Enum8('no_password' = 0"),
            "{}",
            text(3)
        );
        assert_eq!(b.column(4).len(), 1);
    }
}
