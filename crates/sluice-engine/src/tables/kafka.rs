//! `ENGINE = Kafka`: the table whose materialized views consume a topic. Consumers run
//! (on their own threads, in `sluice-kafka`) while at least one view reads the table;
//! each block goes through the views into their targets, and with exactly-once (the
//! default) the offsets after the block are stored in the parts written from it.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::sql::sqlparser::ast::{Expr, Value};
use parking_lot::{Mutex, RwLock};
use sluice_common::{Error, Result, ch_err};
use sluice_kafka::settings::{ColumnDefaultKind, check_column_defaults};
use sluice_kafka::{
    Block, BlockWriter, ConsumerSpec, ConsumerStats, DeadLetter, KafkaConfig, KafkaConsumers,
    KafkaProducer, KafkaSettings, KafkaSink, Literal, VirtualColumn,
};
use sluice_sql::{EngineClause, SettingValue};
use sluice_storage::{MergeTreeTable, SourceKey};

use crate::engine::Engine;
use crate::mview::ViewPush;
use crate::table::{ColumnDesc, DefaultKind, Table, stored_schema};

/// A Kafka table.
pub struct KafkaTable {
    database: String,
    name: String,
    columns: Vec<ColumnDesc>,
    settings: RwLock<KafkaSettings>,
    config: KafkaConfig,
    engine: Weak<Engine>,
    runtime: tokio::runtime::Handle,
    consumers: Mutex<Option<KafkaConsumers>>,
    producer: Mutex<Option<KafkaProducer>>,
    /// Held while a block goes through the views: the replay filter's check and the
    /// insert are one step for all consumers of the table, so two consumers that briefly
    /// both hold a partition during a rebalance cannot both write the same messages.
    write_lock: Mutex<()>,
    me: Weak<KafkaTable>,
}

impl std::fmt::Debug for KafkaTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaTable")
            .field("database", &self.database)
            .field("name", &self.name)
            .finish()
    }
}

fn literal_of(e: &Expr) -> Result<Literal> {
    Ok(match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Literal::string(s),
            Value::Number(n, _) => Literal::number(n),
            Value::Boolean(b) => Literal::Bool(*b),
            other => {
                return Err(ch_err!(
                    BAD_ARGUMENTS,
                    "Kafka engine argument must be a literal, got {other}"
                ));
            }
        },
        Expr::Identifier(i) => Literal::Identifier(i.value.clone()),
        Expr::UnaryOp { op, expr } if op.to_string() == "-" => match literal_of(expr)? {
            Literal::Number(n) => Literal::Number(format!("-{n}")),
            other => other,
        },
        other => {
            return Err(ch_err!(
                BAD_ARGUMENTS,
                "Kafka engine argument must be a literal, got {}",
                sluice_sql::format_expr(other)
            ));
        }
    })
}

fn setting_literal(v: &SettingValue) -> Literal {
    match v {
        SettingValue::String(s) => Literal::string(s),
        SettingValue::Bool(b) => Literal::Bool(*b),
        other => Literal::number(other.to_plain_string()),
    }
}

impl KafkaTable {
    /// Checks the engine clause and builds the table (consumers start with the first view).
    pub fn create(
        engine: &Arc<Engine>,
        database: &str,
        name: &str,
        columns: Vec<ColumnDesc>,
        clause: &EngineClause,
    ) -> Result<Arc<Self>> {
        let args: Vec<Literal> = clause.args.iter().map(literal_of).collect::<Result<_>>()?;
        let settings: Vec<(String, Literal)> = clause
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), setting_literal(v)))
            .collect();
        let settings = KafkaSettings::parse(&args, &settings)?;
        // Plain and ALIAS columns only, as ClickHouse checks.
        let kinds: Vec<Option<ColumnDefaultKind>> = columns
            .iter()
            .map(|c| {
                c.default.as_ref().map(|(k, _)| match k {
                    DefaultKind::Default => ColumnDefaultKind::Default,
                    DefaultKind::Materialized => ColumnDefaultKind::Materialized,
                    DefaultKind::Ephemeral => ColumnDefaultKind::Ephemeral,
                    DefaultKind::Alias => ColumnDefaultKind::Alias,
                })
            })
            .collect();
        check_column_defaults(&kinds)?;
        Ok(Arc::new_cyclic(|me| Self {
            me: Weak::clone(me),
            database: database.to_string(),
            name: name.to_string(),
            columns,
            settings: RwLock::new(settings),
            config: engine.kafka_config.clone(),
            engine: Arc::downgrade(engine),
            runtime: tokio::runtime::Handle::current(),
            consumers: Mutex::new(None),
            producer: Mutex::new(None),
            write_lock: Mutex::new(()),
        }))
    }

    /// The consumers' description of this table.
    fn spec(&self) -> ConsumerSpec {
        ConsumerSpec {
            settings: self.settings.read().clone(),
            config: self.config.clone(),
            database: self.database.clone(),
            table: self.name.clone(),
            data_schema: stored_schema(&self.columns),
            virtuals: VirtualColumn::for_mode(self.settings.read().handle_error_mode),
        }
    }

    /// The schema of the blocks the views see: the columns, then the virtual columns.
    pub fn block_schema(&self) -> Arc<Schema> {
        let mut fields: Vec<Field> = stored_schema(&self.columns)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for v in VirtualColumn::for_mode(self.settings.read().handle_error_mode) {
            fields.push(v.ch_type().to_field(v.name()));
        }
        Arc::new(Schema::new(fields))
    }

    /// Starts the consumers when a view reads the table and stops them when none does.
    pub fn sync_consumers(&self, has_views: bool) -> Result<()> {
        let mut c = self.consumers.lock();
        match (has_views, c.is_some()) {
            (true, false) => {
                let sink: Arc<dyn KafkaSink> = Arc::new(ViewSink {
                    table: Weak::clone(&self.me),
                });
                *c = Some(KafkaConsumers::start(self.spec(), sink)?);
            }
            (false, true) => {
                if let Some(consumers) = c.take() {
                    // Joining the threads blocks; they finish their block first.
                    std::thread::spawn(move || consumers.stop());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Stops the consumers and waits for them (DROP, shutdown).
    pub fn stop(&self) {
        if let Some(c) = self.consumers.lock().take() {
            c.stop();
        }
    }

    /// `ALTER TABLE … MODIFY SETTING`: checks and applies the change, then restarts the
    /// consumers (they finish their block first) with the new settings.
    pub fn modify_settings(&self, pairs: &[(String, SettingValue)]) -> Result<()> {
        let changes: Vec<(String, Literal)> = pairs
            .iter()
            .map(|(k, v)| (k.clone(), setting_literal(v)))
            .collect();
        let mut next = self.settings.read().clone();
        next.modify(&changes)?;
        let running = self.consumers.lock().take();
        let was_running = running.is_some();
        if let Some(c) = running {
            c.stop();
        }
        *self.settings.write() = next;
        *self.producer.lock() = None;
        if was_running {
            self.sync_consumers(true)?;
        }
        Ok(())
    }

    /// Per-consumer state for `system.kafka_consumers`.
    pub fn consumer_stats(&self) -> Vec<ConsumerStats> {
        self.consumers
            .lock()
            .as_ref()
            .map(|c| c.stats())
            .unwrap_or_default()
    }

    /// Database and name.
    pub fn names(&self) -> (&str, &str) {
        (&self.database, &self.name)
    }

    /// A direct `SELECT` (consumes, as ClickHouse does); refused while a materialized view
    /// reads the table, whose consumers own the group's partitions.
    pub fn direct_select(&self) -> Result<RecordBatch> {
        if let Some(engine) = self.engine.upgrade()
            && !crate::mview::views_of(&engine, &self.database, &self.name).is_empty()
        {
            return Err(ch_err!(
                QUERY_NOT_ALLOWED,
                "Cannot read from StorageKafka with attached materialized views"
            ));
        }
        sluice_kafka::select::direct_select(&self.spec())
    }

    /// `system.kafka_consumers.dependencies` and `missing_dependencies`: the paths of
    /// views and targets down the cascade below this table ([`crate::mview::cascade`]).
    pub fn dependencies(&self) -> crate::mview::cascade::ViewChains {
        let Some(engine) = self.engine.upgrade() else {
            return (Vec::new(), Vec::new());
        };
        crate::mview::cascade::view_chains(&engine.catalog, &self.database, &self.name)
    }

    /// The MergeTree tables the views of this table write to.
    fn target_storages(&self, engine: &Engine) -> Vec<Arc<sluice_storage::MergeTreeTable>> {
        crate::mview::views_of(engine, &self.database, &self.name)
            .iter()
            .filter_map(|mv| target_storage(engine, mv))
            .collect()
    }
}

/// Hands consumed blocks to the table's views.
struct ViewSink {
    table: Weak<KafkaTable>,
}

impl ViewSink {
    /// A block through the table's views (their targets written at its commit).
    fn view_block(&self, group: &str) -> Result<ViewBlock> {
        let table = self
            .table
            .upgrade()
            .ok_or_else(|| Error::internal("Kafka table dropped"))?;
        let engine = table
            .engine
            .upgrade()
            .ok_or_else(|| Error::internal("engine shut down"))?;
        let mut session = engine.session();
        session.current_db = table.database.clone();
        let push = ViewPush::new(&session, &table.database, &table.name);
        let exactly_once = table.settings.read().exactly_once;
        let reads = virtuals_read(push.views(), &table.columns);
        let recorded = if exactly_once {
            table
                .target_storages(&engine)
                .into_iter()
                .map(|s| {
                    let offsets = s.source_offsets();
                    (s, offsets)
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ViewBlock {
            table,
            engine,
            session,
            push,
            dead_letters: Vec::new(),
            group: group.to_string(),
            exactly_once,
            reads,
            recorded,
        })
    }
}

impl KafkaSink for ViewSink {
    fn write(&self, block: &Block) -> Result<()> {
        let mut w = self.begin(&block.group, block.consumer)?;
        w.push(
            &block.batch,
            block.dead_letters.clone(),
            &block.start_offsets,
        )?;
        w.commit(block.offsets.clone(), block.start_offsets.clone())
    }

    fn begin<'a>(&'a self, group: &str, _consumer: usize) -> Result<Box<dyn BlockWriter + 'a>> {
        Ok(Box::new(self.view_block(group)?))
    }

    /// `kafka_thread_per_consumer = 0`: the consumers' threads hand their chunks to one
    /// block, one thread at a time; its views run on the thread that hands a chunk over.
    fn begin_shared(&self, group: &str) -> Result<Option<Box<dyn BlockWriter + Send>>> {
        Ok(Some(Box::new(self.view_block(group)?)))
    }

    fn reads_headers(&self) -> bool {
        let Some(table) = self.table.upgrade() else {
            return true;
        };
        let Some(engine) = table.engine.upgrade() else {
            return true;
        };
        let views = crate::mview::views_of(&engine, &table.database, &table.name);
        virtuals_read(views.iter().map(|mv| mv.as_ref()), &table.columns)
            .contains(&VirtualColumn::HeadersName)
    }

    fn committed_offsets(&self, group: &str, topic: &str, partition: i32) -> Option<i64> {
        let table = self.table.upgrade()?;
        let engine = table.engine.upgrade()?;
        let key = SourceKey {
            group: group.to_string(),
            topic: topic.to_string(),
            partition,
        };
        // A target without a record for the partition has none of its messages (records
        // never disappear, see `MergeTreeTable::source_offsets`): the partition then
        // starts where the group committed, not at another target's record.
        let mut smallest: Option<i64> = None;
        for s in table.target_storages(&engine) {
            let recorded = s.source_offsets().get(&key).copied()?;
            smallest = Some(smallest.map_or(recorded, |m| m.min(recorded)));
        }
        smallest
    }
}

/// One Kafka block on its way through the views: each chunk runs through them as it is
/// consumed, the targets are written at [`BlockWriter::commit`].
struct ViewBlock {
    table: Arc<KafkaTable>,
    engine: Arc<Engine>,
    session: crate::session::Session,
    push: ViewPush,
    dead_letters: Vec<DeadLetter>,
    group: String,
    exactly_once: bool,
    /// The virtual columns the views may read ([`virtuals_read`]).
    reads: Vec<VirtualColumn>,
    /// Per MergeTree target, the offsets it had recorded when the block began: the
    /// chunks are filtered against them, so the commit checks that no other consumer
    /// wrote these partitions meanwhile.
    recorded: Vec<(Arc<MergeTreeTable>, BTreeMap<SourceKey, i64>)>,
}

impl BlockWriter for ViewBlock {
    fn push(
        &mut self,
        batch: &RecordBatch,
        dead_letters: Vec<DeadLetter>,
        first_offsets: &[(String, i32, i64)],
    ) -> Result<()> {
        self.dead_letters.extend(dead_letters);
        if batch.num_rows() == 0 || self.push.is_empty() {
            return Ok(());
        }
        let filter = ReplayFilter {
            engine: &self.engine,
            group: &self.group,
            starts: first_offsets,
            exactly_once: self.exactly_once,
        };
        let apply = |mv: &crate::mview::MaterializedView, b: &RecordBatch| filter.apply(mv, b);
        let (push, session) = (&mut self.push, &self.session);
        let result = self.table.runtime.block_on(async move {
            push.feed(session, std::slice::from_ref(batch), Some(&apply))
                .await
        });
        // The views ran on this thread: drop the JSON tapes of this chunk's columns.
        sluice_functions::json::cache::clear_thread_cache();
        result
    }

    fn buffered_bytes(&self) -> usize {
        self.push.buffered_bytes()
    }

    fn reads_headers(&self) -> bool {
        self.reads.contains(&VirtualColumn::HeadersName)
    }

    fn reads_virtual(&self, v: VirtualColumn, first_offsets: &[(String, i32, i64)]) -> bool {
        if self.reads.contains(&v) {
            return true;
        }
        // The replay filter reads `_topic`, `_partition` and `_offset` of a chunk that a
        // target has recorded part of ([`ReplayFilter`]). A record that changes after
        // the block began fails the block at commit, so the records of its beginning
        // decide.
        matches!(
            v,
            VirtualColumn::Topic | VirtualColumn::Partition | VirtualColumn::Offset
        ) && self.exactly_once
            && first_offsets.iter().any(|(topic, partition, first)| {
                let key = SourceKey {
                    group: self.group.clone(),
                    topic: topic.clone(),
                    partition: *partition,
                };
                self.recorded
                    .iter()
                    .any(|(_, offsets)| offsets.get(&key).is_some_and(|r| r > first))
            })
    }

    fn commit(
        self: Box<Self>,
        offsets: Vec<(String, i32, i64)>,
        _start_offsets: Vec<(String, i32, i64)>,
    ) -> Result<()> {
        let ViewBlock {
            table,
            engine,
            mut session,
            push,
            dead_letters,
            group,
            exactly_once,
            reads: _,
            recorded,
        } = *self;
        // The check of what the targets recorded and the insert are one step for all
        // consumers of the table.
        let _serialized = table.write_lock.lock();
        let keys: Vec<(SourceKey, i64)> = offsets
            .iter()
            .map(|(topic, partition, next)| {
                (
                    SourceKey {
                        group: group.clone(),
                        topic: topic.clone(),
                        partition: *partition,
                    },
                    *next,
                )
            })
            .collect();
        for (storage, before) in &recorded {
            let now = storage.source_offsets();
            if keys.iter().any(|(k, _)| now.get(k) != before.get(k)) {
                return Err(ch_err!(
                    ABORTED,
                    "Another consumer of group {group} wrote some of this block's partitions while it was read; the block is read again"
                ));
            }
        }
        // Broken messages are on disk before the block's offsets can be recorded.
        engine
            .dead_letters
            .record(&table.database, &table.name, &dead_letters)?;
        if exactly_once {
            session.source_offsets = Some(keys);
        }
        table
            .runtime
            .block_on(async move { push.finish(&session).await })
    }
}

/// The virtual columns `views` may read: those a query names as a word (`_headers` for
/// both `_headers.*`), or every one when a query selects by `*` or `COLUMNS(…)`; a view
/// reading an ALIAS column of the table reads what the alias expressions name. A superset
/// of what they read: the consumer builds the others as zero values and does not ask
/// librdkafka for the headers ([`ViewBlock::reads_virtual`] adds what the replay filter
/// reads).
fn virtuals_read<'a>(
    views: impl Iterator<Item = &'a crate::mview::MaterializedView>,
    columns: &[ColumnDesc],
) -> Vec<VirtualColumn> {
    let mut text = String::new();
    for mv in views {
        text.push_str(&mv.query_text.to_ascii_lowercase());
        text.push('\n');
    }
    if text.is_empty() {
        return Vec::new();
    }
    for c in columns {
        if let Some((crate::table::DefaultKind::Alias, e)) = &c.default {
            text.push_str(&e.to_ascii_lowercase());
            text.push('\n');
        }
    }
    let all = text.contains('*') || text.contains("columns");
    VirtualColumn::ALL
        .into_iter()
        .filter(|v| {
            let name = v.name();
            all || names_word(&text, name.split('.').next().unwrap_or(name))
        })
        .collect()
}

/// Whether `word` occurs in `text` not inside a longer identifier (`_partition` is not
/// in `_partition_date`).
fn names_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + word.len()..].chars().next().is_some_and(ident)
    })
}

/// Exactly-once across several targets: after a crash between two targets' writes, the
/// consumer re-reads from the smallest recorded offset; a target that already has a
/// message skips it.
struct ReplayFilter<'a> {
    engine: &'a Engine,
    group: &'a str,
    /// Per partition, the first offset of the rows being filtered.
    starts: &'a [(String, i32, i64)],
    exactly_once: bool,
}

impl ReplayFilter<'_> {
    fn apply(&self, mv: &crate::mview::MaterializedView, b: &RecordBatch) -> Result<RecordBatch> {
        if !self.exactly_once {
            return Ok(b.clone());
        }
        let Some(storage) = target_storage(self.engine, mv) else {
            return Ok(b.clone());
        };
        let recorded = storage.source_offsets();
        let mut skip: Vec<(String, i32, i64)> = Vec::new();
        for (topic, partition, first) in self.starts {
            let key = SourceKey {
                group: self.group.to_string(),
                topic: topic.clone(),
                partition: *partition,
            };
            if let Some(r) = recorded.get(&key)
                && *r > *first
            {
                skip.push((topic.clone(), *partition, *r));
            }
        }
        if skip.is_empty() {
            Ok(b.clone())
        } else {
            drop_replayed(b, &skip)
        }
    }
}

impl Table for KafkaTable {
    fn engine(&self) -> &str {
        "Kafka"
    }

    fn engine_full(&self) -> String {
        let sql = self.settings.read().to_sql();
        sql.strip_prefix("ENGINE = ").unwrap_or(&sql).to_string()
    }

    fn columns(&self) -> Vec<ColumnDesc> {
        self.columns.clone()
    }

    fn virtual_columns(&self) -> Vec<String> {
        VirtualColumn::for_mode(self.settings.read().handle_error_mode)
            .iter()
            .map(|v| v.name().to_string())
            .collect()
    }

    fn provider(&self) -> Arc<dyn TableProvider> {
        // Direct reads go through `direct_select` (the rewrite checks the setting); an
        // empty provider with the table's schema keeps planning of views possible.
        Arc::new(datafusion::datasource::empty::EmptyTable::new(
            self.block_schema(),
        ))
    }

    fn insert(&self, batch: RecordBatch) -> Result<()> {
        let mut p = self.producer.lock();
        if p.is_none() {
            *p = Some(KafkaProducer::try_new(
                &self.settings.read(),
                &self.config,
                &self.database,
                &self.name,
            )?);
        }
        match p.as_ref() {
            Some(producer) => producer.write(&batch).map(|_| ()),
            None => Err(Error::internal("Kafka producer")),
        }
    }

    fn truncate(&self) -> Result<()> {
        Err(ch_err!(
            NOT_IMPLEMENTED,
            "Truncate is not supported by storage Kafka"
        ))
    }

    fn drop_data(&self) -> Result<()> {
        self.stop();
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The Kafka table behind a table handle, if it is one.
pub fn as_kafka(t: &crate::table::TableRef) -> Option<&KafkaTable> {
    t.as_any().downcast_ref::<KafkaTable>()
}

/// The MergeTree target of a view, if it has one.
fn target_storage(
    engine: &Engine,
    mv: &crate::mview::MaterializedView,
) -> Option<Arc<sluice_storage::MergeTreeTable>> {
    let t = engine.catalog.table(&mv.target.0, &mv.target.1)?;
    let table = t.table.clone()?;
    table
        .as_any()
        .downcast_ref::<super::merge_tree::MergeTreeStorage>()
        .map(|m| Arc::clone(m.storage()))
}

/// Rows of `b` except those of `(topic, partition)` below the offset given for it.
fn drop_replayed(b: &RecordBatch, skip: &[(String, i32, i64)]) -> Result<RecordBatch> {
    use datafusion::arrow::array::{Array, BooleanArray, UInt64Array};
    let col = |name: &str| {
        b.schema()
            .index_of(name)
            .ok()
            .map(|i| std::sync::Arc::clone(b.column(i)))
    };
    let (Some(topic), Some(partition), Some(offset)) =
        (col("_topic"), col("_partition"), col("_offset"))
    else {
        return Ok(b.clone());
    };
    let topic =
        datafusion::arrow::compute::cast(&topic, &datafusion::arrow::datatypes::DataType::Utf8)
            .map_err(|e| Error::internal(e.to_string()))?;
    let topic = topic
        .as_any()
        .downcast_ref::<datafusion::arrow::array::StringArray>()
        .ok_or_else(|| Error::internal("_topic column"))?;
    let partition = partition
        .as_any()
        .downcast_ref::<UInt64Array>()
        .ok_or_else(|| Error::internal("_partition column"))?;
    let offset = offset
        .as_any()
        .downcast_ref::<UInt64Array>()
        .ok_or_else(|| Error::internal("_offset column"))?;
    let keep: BooleanArray = (0..b.num_rows())
        .map(|i| {
            let dup = skip.iter().any(|(t, p, r)| {
                topic.value(i) == t
                    && partition.value(i) == *p as u64
                    && (offset.value(i) as i64) < *r
            });
            Some(!dup)
        })
        .collect();
    let _ = topic.len();
    datafusion::arrow::compute::filter_record_batch(b, &keep)
        .map_err(|e| Error::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::names_word;

    #[test]
    fn a_virtual_column_is_named_as_a_word() {
        assert!(names_word("select _partition from t", "_partition"));
        assert!(!names_word("today() as _partition_date", "_partition"));
        assert!(names_word("select `_headers.name` from t", "_headers"));
        assert!(!names_word("select _timestamp_ms from t", "_timestamp"));
        assert!(names_word("select _timestamp_ms from t", "_timestamp_ms"));
    }
}
