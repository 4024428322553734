//! [`KafkaSettings`]: every `kafka_*` setting of ClickHouse's Kafka engine (26.x list,
//! `KafkaSettings.cpp`), with ClickHouse's declared defaults and the effective defaults
//! its code derives, parsed from the positional form `Kafka('brokers', 'topics', …)`
//! and the `SETTINGS` clause, validated as `StorageKafkaUtils.cpp` does, and printed
//! back for `SHOW CREATE TABLE` exactly as written.
//!
//! Also Sluice's own `kafka_exactly_once` (default 1, see architecture.md §5).

use std::collections::HashSet;

use sluice_common::settings::registry;
use sluice_common::{Error, ErrorCode, Result};
use sluice_formats::FormatSettings;

use crate::literal::Literal;

/// `kafka_handle_error_mode` (`StreamingHandleErrorMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HandleErrorMode {
    /// A broken message stops the table (or is skipped under `kafka_skip_broken_messages`).
    #[default]
    Default,
    /// A broken message becomes a row with `_error` and `_raw_message`.
    Stream,
    /// A broken message goes to `system.dead_letter_queue`.
    DeadLetterQueue,
}

impl HandleErrorMode {
    fn parse(s: &str) -> Result<Self> {
        match s {
            "default" => Ok(Self::Default),
            "stream" => Ok(Self::Stream),
            "dead_letter_queue" => Ok(Self::DeadLetterQueue),
            _ => Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "Unexpected value of StreamingHandleErrorMode: '{s}'. Must be one of ['dead_letter_queue', 'stream', 'default']"
                ),
            )),
        }
    }

    /// The setting's text value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Stream => "stream",
            Self::DeadLetterQueue => "dead_letter_queue",
        }
    }
}

/// ClickHouse's `max_insert_block_size` default: basis of the effective block size.
pub const DEFAULT_MAX_INSERT_BLOCK_SIZE: u64 = 1_048_449;
/// ClickHouse's `max_block_size` default: basis of the effective poll batch size.
pub const DEFAULT_MAX_BLOCK_SIZE: u64 = 65_409;
/// ClickHouse's `stream_flush_interval_ms` default.
pub const DEFAULT_STREAM_FLUSH_INTERVAL_MS: u64 = 7_500;
/// ClickHouse's `stream_poll_timeout_ms` default.
pub const DEFAULT_STREAM_POLL_TIMEOUT_MS: u64 = 500;

/// Positional engine arguments: position (1-based) → setting. Position 5 (row delimiter)
/// is accepted and ignored, as in ClickHouse's source.
const POSITIONAL: [Option<&str>; 17] = [
    Some("kafka_broker_list"),
    Some("kafka_topic_list"),
    Some("kafka_group_name"),
    Some("kafka_format"),
    None,
    Some("kafka_schema"),
    Some("kafka_num_consumers"),
    Some("kafka_max_block_size"),
    Some("kafka_skip_broken_messages"),
    Some("kafka_commit_every_batch"),
    Some("kafka_client_id"),
    Some("kafka_poll_timeout_ms"),
    Some("kafka_flush_interval_ms"),
    Some("kafka_thread_per_consumer"),
    Some("kafka_handle_error_mode"),
    Some("kafka_commit_on_select"),
    Some("kafka_max_rows_per_message"),
];

/// The typed settings of one Kafka table.
#[derive(Clone, Debug, PartialEq)]
pub struct KafkaSettings {
    /// `kafka_broker_list`: comma-separated `host:port`.
    pub broker_list: String,
    /// `kafka_topic_list`: split on `,`, trimmed.
    pub topic_list: Vec<String>,
    /// `kafka_group_name`.
    pub group_name: String,
    /// `kafka_format`.
    pub format: String,
    /// `kafka_row_delimiter` (obsolete, ignored).
    pub row_delimiter: String,
    /// `kafka_schema` (becomes `format_schema`).
    pub schema: String,
    /// `kafka_num_consumers` (1).
    pub num_consumers: u64,
    /// `kafka_max_block_size` (0: `max_insert_block_size / kafka_num_consumers`).
    pub max_block_size: u64,
    /// `kafka_skip_broken_messages` (0).
    pub skip_broken_messages: u64,
    /// `kafka_commit_every_batch` (false).
    pub commit_every_batch: bool,
    /// `kafka_client_id` ('': `Sluice-{host}-{db}-{table}`).
    pub client_id: String,
    /// `kafka_poll_timeout_ms` (0: `stream_poll_timeout_ms` = 500).
    pub poll_timeout_ms: u64,
    /// `kafka_poll_max_batch_size` (0: `max_block_size` = 65409, capped at the block size).
    pub poll_max_batch_size: u64,
    /// `kafka_consumers_pool_ttl_ms` (60000).
    pub consumers_pool_ttl_ms: u64,
    /// `kafka_flush_interval_ms` (0: `stream_flush_interval_ms` = 7500).
    pub flush_interval_ms: u64,
    /// `kafka_consumer_reschedule_ms` (500).
    pub consumer_reschedule_ms: u64,
    /// `kafka_thread_per_consumer` (false).
    pub thread_per_consumer: bool,
    /// `kafka_handle_error_mode` (default).
    pub handle_error_mode: HandleErrorMode,
    /// `kafka_commit_on_select` (false).
    pub commit_on_select: bool,
    /// `kafka_max_rows_per_message` (1).
    pub max_rows_per_message: u64,
    /// `kafka_keeper_path` ('').
    pub keeper_path: String,
    /// `kafka_replica_name` ('').
    pub replica_name: String,
    /// `kafka_security_protocol` ('').
    pub security_protocol: String,
    /// `kafka_sasl_mechanism` ('').
    pub sasl_mechanism: String,
    /// `kafka_sasl_username` ('').
    pub sasl_username: String,
    /// `kafka_sasl_password` ('').
    pub sasl_password: String,
    /// `kafka_compression_codec` ('').
    pub compression_codec: String,
    /// `kafka_compression_level` (-1).
    pub compression_level: i64,
    /// `kafka_schema_registry_skip_bytes` (0, at most 255).
    pub schema_registry_skip_bytes: u64,
    /// `kafka_consumer_acquire_timeout_ms` (30000).
    pub consumer_acquire_timeout_ms: u64,
    /// `kafka_map_virtual_columns_on_write` (false).
    pub map_virtual_columns_on_write: bool,
    /// `kafka_aws_region` ('').
    pub aws_region: String,
    /// `kafka_autodetect_client_rack` ('').
    pub autodetect_client_rack: String,
    /// Sluice's `kafka_exactly_once` (true): offsets stored with the data, seek on
    /// assignment; 0 restores ClickHouse's at-least-once commit-after-insert.
    pub exactly_once: bool,
    /// Format settings given in `SETTINGS` (`format_csv_delimiter = '|'`, …), in order.
    pub format_settings: Vec<(String, String)>,
    /// Names of the settings given explicitly (positionally or in `SETTINGS`).
    changed: HashSet<String>,
    /// The query-level `allow_kafka_offsets_storage_in_keeper` (alias
    /// `allow_experimental_kafka_offsets_storage_in_keeper`) given in `SETTINGS` (the
    /// engine adds the session's value there when the clause does not name it).
    offsets_in_keeper_allowed: bool,
    /// Engine arguments as written.
    engine_args: Vec<Literal>,
    /// The `SETTINGS` clause as written (printed by [`KafkaSettings::to_sql`]).
    settings_clause: Vec<(String, Literal)>,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            broker_list: String::new(),
            topic_list: Vec::new(),
            group_name: String::new(),
            format: String::new(),
            row_delimiter: "\0".into(),
            schema: String::new(),
            num_consumers: 1,
            max_block_size: 0,
            skip_broken_messages: 0,
            commit_every_batch: false,
            client_id: String::new(),
            poll_timeout_ms: 0,
            poll_max_batch_size: 0,
            consumers_pool_ttl_ms: 60_000,
            flush_interval_ms: 0,
            consumer_reschedule_ms: 500,
            thread_per_consumer: false,
            handle_error_mode: HandleErrorMode::Default,
            commit_on_select: false,
            max_rows_per_message: 1,
            keeper_path: String::new(),
            replica_name: String::new(),
            security_protocol: String::new(),
            sasl_mechanism: String::new(),
            sasl_username: String::new(),
            sasl_password: String::new(),
            compression_codec: String::new(),
            compression_level: -1,
            schema_registry_skip_bytes: 0,
            consumer_acquire_timeout_ms: 30_000,
            map_virtual_columns_on_write: false,
            aws_region: String::new(),
            autodetect_client_rack: String::new(),
            exactly_once: true,
            format_settings: Vec::new(),
            changed: HashSet::new(),
            offsets_in_keeper_allowed: false,
            engine_args: Vec::new(),
            settings_clause: Vec::new(),
        }
    }
}

/// Whether a query-level setting name is a format setting (kept by a Kafka table and
/// handed to its parser).
fn is_format_setting(name: &str) -> bool {
    const PREFIXES: &[&str] = &["input_format_", "output_format_", "format_"];
    const NAMES: &[&str] = &[
        "date_time_input_format",
        "date_time_output_format",
        "bool_true_representation",
        "bool_false_representation",
        "errors_output_format",
        "column_names_for_schema_inference",
        "schema_inference_hints",
        "precise_float_parsing",
        "date_time_overflow_behavior",
        "interval_output_format",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name)
}

impl KafkaSettings {
    /// Parses `ENGINE = Kafka(args…) SETTINGS settings…` (either part may be empty) and
    /// validates the result as ClickHouse does at `CREATE TABLE`.
    pub fn parse(engine_args: &[Literal], settings: &[(String, Literal)]) -> Result<Self> {
        let mut s = Self::default();
        for (name, value) in settings {
            s.apply(name, value)?;
        }
        for (i, arg) in engine_args.iter().enumerate() {
            let Some(Some(name)) = POSITIONAL.get(i) else {
                continue;
            };
            if settings.iter().any(|(n, _)| n == name) {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!(
                        "The argument №{} of storage Kafka and the parameter '{name}' in SETTINGS cannot be specified at the same time",
                        i + 1
                    ),
                ));
            }
            check_positional_type(name, arg)?;
            s.apply(name, arg)?;
        }
        s.engine_args = engine_args.to_vec();
        s.settings_clause = settings
            .iter()
            .filter(|(n, _)| n.starts_with("kafka_") || is_format_setting(n))
            .cloned()
            .collect();
        s.validate()?;
        Ok(s)
    }

    /// Convenience for tests and tools: `SETTINGS` given as `(name, string literal)`.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self> {
        let settings: Vec<(String, Literal)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), Literal::string(*v)))
            .collect();
        Self::parse(&[], &settings)
    }

    /// `ALTER TABLE … MODIFY SETTING`: applies the changes (replacing a setting already
    /// in the `SETTINGS` clause or appending it) and re-validates; on error nothing changes.
    pub fn modify(&mut self, changes: &[(String, Literal)]) -> Result<()> {
        let mut clause = self.settings_clause.clone();
        for (name, value) in changes {
            if let Some(i) =
                self.engine_args.iter().enumerate().find_map(|(i, _)| {
                    (POSITIONAL.get(i) == Some(&Some(name.as_str()))).then_some(i)
                })
            {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!(
                        "The argument №{} of storage Kafka and the parameter '{name}' in SETTINGS cannot be specified at the same time",
                        i + 1
                    ),
                ));
            }
            match clause.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value.clone(),
                None => clause.push((name.clone(), value.clone())),
            }
        }
        let args = self.engine_args.clone();
        *self = Self::parse(&args, &clause)?;
        Ok(())
    }

    /// Applies one setting; `UNKNOWN_SETTING` for a name that is neither a Kafka setting
    /// nor a query-level setting. Format settings are kept for the parser; other
    /// query-level settings are accepted and dropped, as ClickHouse does.
    fn apply(&mut self, name: &str, v: &Literal) -> Result<()> {
        match name {
            "kafka_broker_list" => self.broker_list = v.as_setting_string()?,
            "kafka_topic_list" => {
                self.topic_list = v
                    .as_setting_string()?
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .collect()
            }
            "kafka_group_name" => self.group_name = v.as_setting_string()?,
            "kafka_format" => self.format = v.as_setting_string()?,
            "kafka_row_delimiter" => {
                let d = v.as_setting_string()?;
                if d.chars().count() != 1 {
                    return Err(Error::new(
                        ErrorCode::SIZE_OF_FIXED_STRING_DOESNT_MATCH,
                        "A setting's value string has to be an exactly one character long",
                    ));
                }
                self.row_delimiter = d;
            }
            "kafka_schema" => self.schema = v.as_setting_string()?,
            "kafka_num_consumers" => self.num_consumers = v.as_setting_u64()?,
            "kafka_max_block_size" => self.max_block_size = v.as_setting_u64()?,
            "kafka_skip_broken_messages" => self.skip_broken_messages = v.as_setting_u64()?,
            "kafka_commit_every_batch" => self.commit_every_batch = v.as_setting_bool()?,
            "kafka_client_id" => self.client_id = v.as_setting_string()?,
            "kafka_poll_timeout_ms" => self.poll_timeout_ms = v.as_setting_u64()?,
            "kafka_poll_max_batch_size" => self.poll_max_batch_size = v.as_setting_u64()?,
            "kafka_consumers_pool_ttl_ms" => self.consumers_pool_ttl_ms = v.as_setting_u64()?,
            "kafka_flush_interval_ms" => self.flush_interval_ms = v.as_setting_u64()?,
            "kafka_consumer_reschedule_ms" => self.consumer_reschedule_ms = v.as_setting_u64()?,
            "kafka_thread_per_consumer" => self.thread_per_consumer = v.as_setting_bool()?,
            "kafka_handle_error_mode" => {
                self.handle_error_mode = HandleErrorMode::parse(&v.as_setting_string()?)?
            }
            "kafka_commit_on_select" => self.commit_on_select = v.as_setting_bool()?,
            "kafka_max_rows_per_message" => self.max_rows_per_message = v.as_setting_u64()?,
            "kafka_keeper_path" => self.keeper_path = v.as_setting_string()?,
            "kafka_replica_name" => self.replica_name = v.as_setting_string()?,
            "kafka_security_protocol" => self.security_protocol = v.as_setting_string()?,
            "kafka_sasl_mechanism" => self.sasl_mechanism = v.as_setting_string()?,
            "kafka_sasl_username" => self.sasl_username = v.as_setting_string()?,
            "kafka_sasl_password" => self.sasl_password = v.as_setting_string()?,
            "kafka_compression_codec" => self.compression_codec = v.as_setting_string()?,
            "kafka_compression_level" => self.compression_level = v.as_setting_i64()?,
            "kafka_schema_registry_skip_bytes" => {
                self.schema_registry_skip_bytes = v.as_setting_u64()?
            }
            "kafka_consumer_acquire_timeout_ms" => {
                self.consumer_acquire_timeout_ms = v.as_setting_u64()?
            }
            "kafka_map_virtual_columns_on_write" => {
                self.map_virtual_columns_on_write = v.as_setting_bool()?
            }
            "kafka_aws_region" => self.aws_region = v.as_setting_string()?,
            "kafka_autodetect_client_rack" => {
                self.autodetect_client_rack = v.as_setting_string()?
            }
            "kafka_exactly_once" => self.exactly_once = v.as_setting_bool()?,
            _ => return self.apply_query_setting(name, v),
        }
        self.changed.insert(name.to_string());
        Ok(())
    }

    fn apply_query_setting(&mut self, name: &str, v: &Literal) -> Result<()> {
        let unknown = || {
            Error::new(
                ErrorCode::UNKNOWN_SETTING,
                format!("Unknown setting '{name}': for storage Kafka"),
            )
        };
        if name.starts_with("kafka_") && !registry().contains_key(name) {
            return Err(unknown());
        }
        let Some(def) = registry().get(name) else {
            return Err(unknown());
        };
        if matches!(
            name,
            "allow_kafka_offsets_storage_in_keeper"
                | "allow_experimental_kafka_offsets_storage_in_keeper"
        ) {
            self.offsets_in_keeper_allowed = v.as_setting_bool()?;
        }
        if !is_format_setting(name) {
            return Ok(());
        }
        let text = match v {
            Literal::String(s) | Literal::Identifier(s) => s.clone(),
            other => other.to_sql(),
        };
        if def.ty == "Char" && text.chars().count() != 1 {
            return Err(Error::new(
                ErrorCode::SIZE_OF_FIXED_STRING_DOESNT_MATCH,
                "A setting's value string has to be an exactly one character long",
            ));
        }
        FormatSettings::default().set(name, &text)?;
        self.format_settings.retain(|(n, _)| n != name);
        self.format_settings.push((name.to_string(), text));
        self.changed.insert(name.to_string());
        Ok(())
    }

    fn validate(&self) -> Result<()> {
        for (name, missing) in [
            (
                "kafka_broker_list",
                !self.changed.contains("kafka_broker_list"),
            ),
            (
                "kafka_topic_list",
                !self.changed.contains("kafka_topic_list"),
            ),
            (
                "kafka_group_name",
                !self.changed.contains("kafka_group_name"),
            ),
            ("kafka_format", !self.changed.contains("kafka_format")),
        ] {
            if missing {
                return Err(Error::new(
                    ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                    format!("Required parameter '{name}' for storage Kafka not specified"),
                ));
            }
        }
        let max_consumers = std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(1)
            .max(16);
        if self.num_consumers > max_consumers {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "The number of consumers can not be bigger than {max_consumers}. A single consumer can read any number of partitions. Extra consumers are relatively expensive, and using a lot of them can lead to high memory and CPU usage. To achieve better performance of getting data from Kafka, consider using a setting kafka_thread_per_consumer=1, and ensure you have enough threads in MessageBrokerSchedulePool (background_message_broker_schedule_pool_size). See also https://clickhouse.com/docs/integrations/connectors/data-ingestion/kafka/kafka-table-engine#tuning-performance"
                ),
            ));
        }
        if self.num_consumers < 1 {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                "Number of consumers can not be lower than 1",
            ));
        }
        if self.changed.contains("kafka_max_block_size") && self.max_block_size < 1 {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                "kafka_max_block_size can not be lower than 1",
            ));
        }
        if self.changed.contains("kafka_poll_max_batch_size") && self.poll_max_batch_size < 1 {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                "kafka_poll_max_batch_size can not be lower than 1",
            ));
        }
        if self.schema_registry_skip_bytes > 255 {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "kafka_schema_registry_skip_bytes value {} must be between 0 and 255",
                    self.schema_registry_skip_bytes
                ),
            ));
        }
        if self.consumers_pool_ttl_ms < self.consumer_reschedule_ms {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "The value of 'kafka_consumers_pool_ttl_ms' ({}) cannot be less than 'kafka_consumer_reschedule_ms' ({})",
                    self.consumers_pool_ttl_ms, self.consumer_reschedule_ms
                ),
            ));
        }
        if self.consumers_pool_ttl_ms > 600_000 {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "The value of 'kafka_consumers_pool_ttl_ms' ({}) cannot be too big (greater then 600000), since this may cause live memory leaks",
                    self.consumers_pool_ttl_ms
                ),
            ));
        }
        self.check_offsets_in_keeper()
    }

    /// `kafka_keeper_path`/`kafka_replica_name` (ClickHouse's `StorageKafka2`): refused as
    /// ClickHouse 26.9 refuses them unless `allow_kafka_offsets_storage_in_keeper` is on
    /// (in the `SETTINGS` clause or, through `sluice-engine`, the session); with it on, both
    /// are required, and then there is no Keeper configured (ClickHouse's 139).
    fn check_offsets_in_keeper(&self) -> Result<()> {
        if self.keeper_path.is_empty() && self.replica_name.is_empty() {
            return Ok(());
        }
        if !self.offsets_in_keeper_allowed {
            return Err(Error::new(
                ErrorCode::SUPPORT_IS_DISABLED,
                "Storing the Kafka offsets in Keeper is experimental. Set `allow_kafka_offsets_storage_in_keeper` setting to enable it",
            ));
        }
        if self.keeper_path.is_empty() || self.replica_name.is_empty() {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                "To store committed offsets in Keeper both kafka_keeper_path and kafka_replica_name must be specified",
            ));
        }
        // ClickHouse then looks for its Keeper; Sluice has none configured either.
        Err(Error::new(
            ErrorCode::NO_ELEMENTS_IN_CONFIG,
            "There is no Zookeeper configuration in server config",
        ))
    }

    /// Whether `name` was given explicitly.
    pub fn is_changed(&self, name: &str) -> bool {
        self.changed.contains(name)
    }

    /// Rows per flushed block: `kafka_max_block_size`, or `max_insert_block_size /
    /// kafka_num_consumers` when unset.
    pub fn effective_max_block_size(&self) -> u64 {
        if self.max_block_size > 0 {
            self.max_block_size
        } else {
            (DEFAULT_MAX_INSERT_BLOCK_SIZE / self.num_consumers.max(1)).max(1)
        }
    }

    /// Messages per poll: `kafka_poll_max_batch_size` (or `max_block_size`), capped at
    /// the effective block size.
    pub fn effective_poll_max_batch_size(&self) -> u64 {
        let n = if self.poll_max_batch_size > 0 {
            self.poll_max_batch_size
        } else {
            DEFAULT_MAX_BLOCK_SIZE
        };
        n.min(self.effective_max_block_size())
    }

    /// Timeout of one poll (`kafka_poll_timeout_ms` or `stream_poll_timeout_ms`).
    pub fn effective_poll_timeout_ms(&self) -> u64 {
        if self.poll_timeout_ms > 0 {
            self.poll_timeout_ms
        } else {
            DEFAULT_STREAM_POLL_TIMEOUT_MS
        }
    }

    /// Time limit of one block (`kafka_flush_interval_ms` or `stream_flush_interval_ms`).
    pub fn effective_flush_interval_ms(&self) -> u64 {
        if self.flush_interval_ms > 0 {
            self.flush_interval_ms
        } else {
            DEFAULT_STREAM_FLUSH_INTERVAL_MS
        }
    }

    /// Broken rows tolerated per message (`input_format_allow_errors_num`, which defaults
    /// to `kafka_skip_broken_messages`), in every error mode as in ClickHouse 26.9. See
    /// [`crate::decode`].
    pub fn allowed_errors(&self) -> u64 {
        self.format_settings
            .iter()
            .find(|(n, _)| n == "input_format_allow_errors_num")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(self.skip_broken_messages)
    }

    /// Share of a message's rows that may be broken (`input_format_allow_errors_ratio`, 0
    /// unless set), in every error mode as in ClickHouse 26.9. See [`crate::decode`].
    pub fn allowed_errors_ratio(&self) -> f64 {
        self.format_settings
            .iter()
            .find(|(n, _)| n == "input_format_allow_errors_ratio")
            .and_then(|(_, v)| v.parse::<f64>().ok())
            .filter(|r| r.is_finite())
            .unwrap_or(0.0)
    }

    /// The parser's format settings: the table's format settings over ClickHouse's Kafka
    /// adjustments (`input_format_skip_unknown_fields = 1` unless set).
    pub fn input_format_settings(&self) -> Result<FormatSettings> {
        let mut fs = FormatSettings {
            skip_unknown_fields: true,
            ..FormatSettings::default()
        };
        for (n, v) in &self.format_settings {
            fs.set(n, v)?;
        }
        Ok(fs)
    }

    /// `Kafka(…)` / `Kafka` and the `SETTINGS` clause as ClickHouse's `SHOW CREATE TABLE`
    /// prints them: `ENGINE = Kafka('b', 't')\nSETTINGS kafka_format = 'CSV'`, with
    /// `kafka_sasl_password` shown as `'[HIDDEN]'`.
    pub fn to_sql(&self) -> String {
        self.render(false)
    }

    /// [`KafkaSettings::to_sql`] with secrets, for the stored table metadata.
    pub fn to_sql_with_secrets(&self) -> String {
        self.render(true)
    }

    fn render(&self, secrets: bool) -> String {
        let mut out = String::from("ENGINE = Kafka");
        if !self.engine_args.is_empty() {
            out.push('(');
            let args: Vec<String> = self.engine_args.iter().map(Literal::to_sql).collect();
            out.push_str(&args.join(", "));
            out.push(')');
        }
        if !self.settings_clause.is_empty() {
            out.push_str("\nSETTINGS ");
            let items: Vec<String> = self
                .settings_clause
                .iter()
                .map(|(n, v)| {
                    if !secrets && n == "kafka_sasl_password" {
                        format!("{n} = '[HIDDEN]'")
                    } else {
                        format!("{n} = {}", v.to_sql())
                    }
                })
                .collect();
            out.push_str(&items.join(", "));
        }
        out
    }

    /// The engine arguments as written.
    pub fn engine_args(&self) -> &[Literal] {
        &self.engine_args
    }

    /// The `SETTINGS` clause as written (Kafka and format settings).
    pub fn settings_clause(&self) -> &[(String, Literal)] {
        &self.settings_clause
    }
}

/// The kind of default a column of a Kafka table declares (`None`: plain column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnDefaultKind {
    /// `DEFAULT expr`.
    Default,
    /// `MATERIALIZED expr`.
    Materialized,
    /// `EPHEMERAL [expr]`.
    Ephemeral,
    /// `ALIAS expr` (allowed).
    Alias,
}

/// ClickHouse's check of a Kafka table's columns at `CREATE`: only plain and `ALIAS`
/// columns are allowed.
pub fn check_column_defaults(kinds: &[Option<ColumnDefaultKind>]) -> Result<()> {
    if kinds
        .iter()
        .flatten()
        .any(|k| *k != ColumnDefaultKind::Alias)
    {
        return Err(Error::new(
            ErrorCode::BAD_ARGUMENTS,
            "KafkaEngine doesn't support DEFAULT/MATERIALIZED/EPHEMERAL expressions for columns. See https://clickhouse.com/docs/reference/engines/table-engines/integrations/kafka#configuration",
        ));
    }
    Ok(())
}

/// Positional arguments must have the literal type of their setting.
fn check_positional_type(name: &str, arg: &Literal) -> Result<()> {
    let numeric = matches!(
        name,
        "kafka_num_consumers"
            | "kafka_max_block_size"
            | "kafka_skip_broken_messages"
            | "kafka_commit_every_batch"
            | "kafka_poll_timeout_ms"
            | "kafka_flush_interval_ms"
            | "kafka_thread_per_consumer"
            | "kafka_commit_on_select"
            | "kafka_max_rows_per_message"
    );
    let ok = if numeric {
        arg.is_number()
    } else {
        !arg.is_number()
    };
    if ok {
        return Ok(());
    }
    let (want, got) = if numeric {
        ("UInt64", arg.field_type_name())
    } else {
        ("String", arg.field_type_name())
    };
    Err(Error::new(
        ErrorCode::BAD_ARGUMENTS,
        format!("Argument '{name}' must be a literal with type {want}, got {got}"),
    ))
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
