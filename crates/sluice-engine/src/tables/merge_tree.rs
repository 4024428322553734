//! The MergeTree family (`MergeTree`, `ReplacingMergeTree`, `SummingMergeTree`,
//! `AggregatingMergeTree`, `CollapsingMergeTree`, `VersionedCollapsingMergeTree`) as a
//! [`Table`]: the engine clause is checked and compiled here, the parts live in
//! `sluice-storage`.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::sql::sqlparser::ast::{Expr, FunctionArguments};
use parking_lot::RwLock;
use sluice_common::{Error, Result, ch_err};
use sluice_sql::EngineClause;
use sluice_storage::{
    InsertOptions, MergeTreeEngine, MergeTreeSettings, MergeTreeTable, PartInfo, TableSpec,
};

use crate::compiled_expr::compile;
use crate::session::Session;
use crate::table::{ColumnDesc, Table, stored_schema};

/// Engine names of the family.
pub const ENGINES: &[&str] = &[
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
];

/// The key expressions as `system.tables` shows them.
#[derive(Debug, Clone, Default)]
pub struct KeyTexts {
    /// `partition_key`.
    pub partition_key: String,
    /// `sorting_key`.
    pub sorting_key: String,
    /// `primary_key`.
    pub primary_key: String,
}

/// A MergeTree-family table.
#[derive(Debug)]
pub struct MergeTreeStorage {
    inner: Arc<MergeTreeTable>,
    columns: RwLock<Vec<ColumnDesc>>,
    /// The engine clause in its modern form; `SETTINGS` always list `index_granularity`
    /// (ClickHouse adds it to the stored definition), `ALTER … SETTING/TTL` edit it.
    clause: RwLock<EngineClause>,
    /// The deprecated `MergeTree(date, key, granularity)` form prints as written.
    legacy_full: Option<String>,
    keys: KeyTexts,
}

impl MergeTreeStorage {
    /// The storage table (parts, merges, mutations).
    pub fn storage(&self) -> &Arc<MergeTreeTable> {
        &self.inner
    }

    /// Key expressions for `system.tables`.
    pub fn keys(&self) -> &KeyTexts {
        &self.keys
    }

    /// Replaces the column list after `ALTER … COLUMN` (the storage schema is changed by the
    /// caller through [`MergeTreeTable::alter_schema`]).
    pub fn set_columns(&self, columns: Vec<ColumnDesc>) {
        *self.columns.write() = columns;
    }

    /// The engine clause as the stored definition (`metadata/…sql`) spells it.
    pub fn stored_engine_full(&self) -> String {
        match &self.legacy_full {
            Some(l) => l.clone(),
            None => render_clause(&self.clause.read(), |e| e.to_string()),
        }
    }

    /// The engine clause (modern form) as the table definition stands.
    pub fn clause(&self) -> EngineClause {
        self.clause.read().clone()
    }

    /// `ALTER TABLE … MODIFY SETTING k = v, …`: all or nothing; changed settings keep their
    /// place in `SETTINGS`, new ones are appended (as ClickHouse stores them).
    pub fn modify_settings(&self, pairs: &[(String, sluice_sql::SettingValue)]) -> Result<()> {
        for (k, _) in pairs {
            sluice_storage::settings::check_alterable(k, false)?;
        }
        let plain: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.clone(), v.to_plain_string()))
            .collect();
        self.inner.modify_settings(&plain)?;
        let mut clause = self.clause.write();
        for (k, v) in pairs {
            match clause.settings.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => clause.settings.push((k.clone(), v.clone())),
            }
        }
        Ok(())
    }

    /// `ALTER TABLE … RESET SETTING k, …`: the settings go back to their defaults and leave
    /// the definition.
    pub fn reset_settings(&self, names: &[String]) -> Result<()> {
        for k in names {
            sluice_storage::settings::check_alterable(k, true)?;
        }
        let mut clause = self.clause.write();
        let kept: Vec<(String, sluice_sql::SettingValue)> = clause
            .settings
            .iter()
            .filter(|(k, _)| !names.contains(k))
            .cloned()
            .collect();
        let settings = MergeTreeSettings::from_pairs(
            kept.iter().map(|(k, v)| (k.clone(), v.to_plain_string())),
        )?;
        self.inner.set_settings(settings);
        clause.settings = kept;
        Ok(())
    }

    /// `ALTER TABLE … MODIFY TTL` / `REMOVE TTL` (`ttl` empty): the compiled expression goes
    /// to storage (applied by merges from now on), the clause keeps the text.
    pub fn set_ttl(
        &self,
        ttl: Vec<sluice_sql::TtlElement>,
        compiled: Option<Arc<dyn sluice_storage::BatchExpr>>,
    ) {
        self.inner.modify_ttl(compiled);
        self.clause.write().ttl = ttl;
    }

    /// Inserts with explicit options (deduplication token, Kafka offsets); blocking.
    pub fn insert_with(&self, batch: RecordBatch, opts: InsertOptions) -> Result<Vec<PartInfo>> {
        self.inner.insert(batch, opts)
    }
}

impl Drop for MergeTreeStorage {
    fn drop(&mut self) {
        self.inner.shutdown();
    }
}

/// Elements of a key: `tuple()` → none, `(a, b)` → a, b, anything else → itself.
pub(super) fn key_items(e: &Expr) -> Vec<Expr> {
    match e {
        Expr::Tuple(items) => items.clone(),
        Expr::Nested(inner) => key_items(inner),
        Expr::Function(f)
            if f.name.to_string().eq_ignore_ascii_case("tuple")
                && matches!(&f.args, FunctionArguments::List(l) if l.args.is_empty())
                || matches!(&f.args, FunctionArguments::None)
                    && f.name.to_string().eq_ignore_ascii_case("tuple") =>
        {
            Vec::new()
        }
        other => vec![other.clone()],
    }
}

fn items_text(items: &[Expr]) -> String {
    items
        .iter()
        .map(sluice_sql::format_expr)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One expression parsed from SQL text.
fn parse_expr(text: &str) -> Result<Expr> {
    let stmts = sluice_sql::parse_statements(&format!("SELECT {text}"))?;
    if let Some(sluice_sql::Statement::Query(q)) = stmts.into_iter().next().map(|p| p.statement)
        && let datafusion::sql::sqlparser::ast::SetExpr::Select(sel) = *q.body
        && let Some(datafusion::sql::sqlparser::ast::SelectItem::UnnamedExpr(e)) =
            sel.projection.into_iter().next()
    {
        return Ok(e);
    }
    Err(Error::internal(format!("cannot parse expression {text}")))
}

/// The deprecated form `MergeTree(date, [sampling,] key, granularity[, engine params…])`
/// as the equivalent modern clause: `PARTITION BY toYYYYMM(date) ORDER BY key
/// SETTINGS index_granularity = granularity`, engine parameters after the granularity.
fn modern_clause(clause: &EngineClause) -> Result<Option<EngineClause>> {
    if clause.order_by.is_some()
        || clause.partition_by.is_some()
        || clause.primary_key.is_some()
        || clause.args.len() < 3
    {
        return Ok(None);
    }
    let is_number = |e: &Expr| matches!(e, Expr::Value(v) if matches!(v.value, datafusion::sql::sqlparser::ast::Value::Number(..)));
    let Some(g) = (2..=3).find(|&i| clause.args.get(i).is_some_and(is_number)) else {
        return Ok(None);
    };
    if g == 3 {
        return Err(Error::not_implemented(
            "SAMPLE BY (deprecated MergeTree syntax with sampling)",
        ));
    }
    let mut modern = EngineClause::new(clause.name.clone());
    let date = sluice_sql::format_expr(&clause.args[0]);
    modern.partition_by = Some(parse_expr(&format!("toYYYYMM({date})"))?);
    modern.order_by = Some(clause.args[g - 1].clone());
    let granularity = sluice_sql::format_expr(&clause.args[g]);
    modern.settings = vec![(
        "index_granularity".to_string(),
        sluice_sql::SettingValue::UInt(granularity.parse().map_err(|_| {
            ch_err!(
                BAD_ARGUMENTS,
                "Index granularity must be a positive integer"
            )
        })?),
    )];
    modern.args = clause.args[g + 1..].to_vec();
    modern.has_parens = true;
    Ok(Some(modern))
}

/// Compiles a table TTL: one `expr [DELETE]` rule (moves, recompression, `GROUP BY` and
/// `WHERE` are `NOT_IMPLEMENTED`); `None` for no rule.
pub async fn compile_ttl(
    session: &Session,
    columns: &[ColumnDesc],
    ttl: &[sluice_sql::TtlElement],
) -> Result<Option<Arc<dyn sluice_storage::BatchExpr>>> {
    let mut out = None;
    for t in ttl {
        let delete = t
            .action
            .as_deref()
            .is_none_or(|a| a.trim().eq_ignore_ascii_case("DELETE"));
        if !delete || t.where_.is_some() || out.is_some() {
            return Err(Error::not_implemented(
                "TTL other than one `expr [DELETE]` rule (moves, recompression, GROUP BY, WHERE)",
            ));
        }
        let ce = compile(
            session,
            columns,
            std::slice::from_ref(&t.expr),
            sluice_sql::format_expr(&t.expr),
        )
        .await?;
        // The result must be a Date or DateTime (BAD_TTL_EXPRESSION 450, as ClickHouse).
        let probe = RecordBatch::new_empty(stored_schema(columns));
        let result = sluice_storage::BatchExpr::eval(ce.as_ref(), &probe)?;
        if let Some(col) = result.first() {
            use datafusion::arrow::datatypes::DataType;
            if !matches!(
                col.data_type(),
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ) {
                let field =
                    datafusion::arrow::datatypes::Field::new("ttl", col.data_type().clone(), true);
                return Err(Error::new(
                    sluice_common::ErrorCode(450),
                    format!(
                        "TTL expression result column should have DateTime or Date type, but has {}",
                        sluice_common::ChType::from_field(&field)
                    ),
                ));
            }
        }
        out = Some(ce as Arc<dyn sluice_storage::BatchExpr>);
    }
    Ok(out)
}

/// Creates (or, at start-up, reopens) a MergeTree-family table in `dir`.
/// ClickHouse refuses a floating-point partition key (`BAD_ARGUMENTS`) unless the table
/// sets `allow_floating_point_partition_key`.
fn check_partition_key_types(
    key: &dyn sluice_storage::BatchExpr,
    columns: &[ColumnDesc],
    items: &[Expr],
    clause: &EngineClause,
) -> Result<()> {
    let allowed = clause.settings.iter().any(|(k, v)| {
        k == "allow_floating_point_partition_key"
            && matches!(v.to_plain_string().as_str(), "1" | "true")
    });
    if allowed {
        return Ok(());
    }
    let empty = RecordBatch::new_empty(stored_schema(columns));
    for (array, item) in key.eval(&empty)?.iter().zip(items) {
        if array.data_type().is_floating() {
            return Err(ch_err!(
                BAD_ARGUMENTS,
                "Floating point partition key is not supported: {}",
                sluice_sql::format_expr(item)
            ));
        }
    }
    Ok(())
}

pub async fn open(
    session: &Session,
    columns: &[ColumnDesc],
    clause: &EngineClause,
    dir: PathBuf,
) -> Result<Arc<MergeTreeStorage>> {
    let legacy = modern_clause(clause)?;
    let shown_legacy = legacy
        .as_ref()
        .map(|_| format!("{}({})", clause.name, items_text(&clause.args)));
    let clause = legacy.as_ref().unwrap_or(clause);
    let engine = super::merge_tree_engine::engine_kind(clause, columns)?;
    if clause.sample_by.is_some() {
        return Err(Error::not_implemented("SAMPLE BY"));
    }
    let order_items = match (&clause.order_by, &clause.primary_key) {
        (Some(o), _) => key_items(o),
        (None, Some(p)) => key_items(p),
        (None, None) => Vec::new(),
    };
    let primary_items = match &clause.primary_key {
        Some(p) => key_items(p),
        None => order_items.clone(),
    };
    if primary_items.len() > order_items.len() {
        return Err(ch_err!(
            BAD_ARGUMENTS,
            "Primary key must be a prefix of the sorting key, but its length: {} is greater than the sorting key length: {}",
            primary_items.len(),
            order_items.len()
        ));
    }
    for (i, (p, o)) in primary_items.iter().zip(order_items.iter()).enumerate() {
        if p != o {
            return Err(ch_err!(
                BAD_ARGUMENTS,
                "Primary key must be a prefix of the sorting key, but the column in the position {i} is {}, not {}",
                sluice_sql::format_expr(o),
                sluice_sql::format_expr(p)
            ));
        }
    }
    let partition_items = clause
        .partition_by
        .as_ref()
        .map(key_items)
        .unwrap_or_default();
    let mut settings_pairs = Vec::new();
    for (k, v) in &clause.settings {
        settings_pairs.push((k.clone(), v.to_plain_string()));
    }
    let settings = MergeTreeSettings::from_pairs(settings_pairs.iter().cloned())
        .map_err(|e| with_storage_suffix(e, clause.name.as_str()))?;
    let sorting_key_columns: Vec<String> = order_items
        .iter()
        .filter_map(|e| match e {
            Expr::Identifier(i) => Some(i.value.clone()),
            _ => None,
        })
        .collect();
    let sorting_key = if order_items.is_empty() {
        None
    } else {
        Some(
            compile(session, columns, &order_items, items_text(&order_items)).await?
                as Arc<dyn sluice_storage::BatchExpr>,
        )
    };
    let partition_key = if partition_items.is_empty() {
        None
    } else {
        Some(
            compile(
                session,
                columns,
                &partition_items,
                items_text(&partition_items),
            )
            .await? as Arc<dyn sluice_storage::BatchExpr>,
        )
    };
    Box::pin(super::merge_tree_nullable_key::check(
        session,
        columns,
        clause,
        &order_items,
        &partition_items,
    ))
    .await?;
    if let Some(key) = &partition_key {
        check_partition_key_types(key.as_ref(), columns, &partition_items, clause)?;
    }
    let ttl = compile_ttl(session, columns, &clause.ttl).await?;
    // `CODEC(...)` per column: Parquet compression and encodings (checked before the
    // table's directory is made).
    let codecs: Vec<(String, Vec<String>)> = columns
        .iter()
        .filter_map(|c| Some((c.name.clone(), split_codecs(c.codec.as_deref()?))))
        .collect();
    for (_, list) in &codecs {
        sluice_storage::validate_codecs(list)?;
    }
    let spec = TableSpec {
        engine: engine.clone(),
        schema: stored_schema(columns),
        sorting_key,
        sorting_key_columns,
        partition_key,
        ttl,
        settings,
    };
    let inner = tokio::task::spawn_blocking(move || MergeTreeTable::open(dir, spec))
        .await
        .map_err(|e| Error::internal(format!("opening table: {e}")))??;
    // Parts written before a column was added read its DEFAULT expression.
    let mut defaults = Vec::new();
    for c in columns {
        if let Some((
            crate::table::DefaultKind::Default | crate::table::DefaultKind::Materialized,
            e,
        )) = &c.default
        {
            let text = format!("_CAST(({e}), '{}')", c.ty.to_string().replace('\'', "\\'"));
            let ce =
                crate::compiled_expr::compile_texts(session, columns, &[text], e.clone()).await?;
            defaults.push((c.name.clone(), ce as Arc<dyn sluice_storage::BatchExpr>));
        }
    }
    if !defaults.is_empty() {
        inner.set_column_defaults(defaults);
    }
    if !codecs.is_empty() {
        inner.set_column_codecs(codecs)?;
    }
    // AggregatingMergeTree merges `AggregateFunction` states with the functions' own code.
    if columns
        .iter()
        .any(|c| matches!(c.ty, sluice_common::ChType::AggregateFunction { .. }))
    {
        inner.set_state_merger(Arc::new(FunctionStateMerger));
    }
    let mut stored = clause.clone();
    if !stored
        .settings
        .iter()
        .any(|(k, _)| k == "index_granularity")
    {
        stored.settings.push((
            "index_granularity".to_string(),
            sluice_sql::SettingValue::UInt(8192),
        ));
    }
    let table = Arc::new(MergeTreeStorage {
        inner,
        columns: RwLock::new(columns.to_vec()),
        clause: RwLock::new(stored),
        legacy_full: shown_legacy,
        keys: KeyTexts {
            partition_key: items_text(&partition_items),
            sorting_key: items_text(&order_items),
            primary_key: items_text(&primary_items),
        },
    });
    // Mutations a restart interrupted (or that failed) run on before the table is used.
    Box::pin(super::merge_tree_resume::resume_mutations(session, &table)).await;
    Ok(table)
}

/// The codecs of a `CODEC(Delta, ZSTD(3))` clause's text, split at top-level commas.
/// A column's `CODEC(...)` list as ClickHouse stores and shows it: `Delta`/`Gorilla` get
/// the value width of `ty`, `ZSTD` its level 1, `LZ4HC` level 0, `FPC` level 12
/// (`Delta, ZSTD` on a `UInt64` is `Delta(8), ZSTD(1)`).
pub(crate) fn normalize_codecs(text: &str, ty: &sluice_common::ChType) -> String {
    use sluice_common::ChType;
    let mut base = ty;
    while let ChType::Nullable(t) | ChType::LowCardinality(t) = base {
        base = t;
    }
    let width = match base {
        ChType::UInt8 | ChType::Int8 | ChType::Bool | ChType::Enum8(_) => 1,
        ChType::UInt16 | ChType::Int16 | ChType::Date | ChType::Enum16(_) => 2,
        ChType::UInt32
        | ChType::Int32
        | ChType::Float32
        | ChType::BFloat16
        | ChType::Date32
        | ChType::DateTime(_)
        | ChType::IPv4 => 4,
        ChType::UInt64 | ChType::Int64 | ChType::Float64 | ChType::DateTime64(..) => 8,
        ChType::Decimal { precision, .. } if *precision <= 9 => 4,
        ChType::Decimal { precision, .. } if *precision <= 18 => 8,
        _ => 1,
    };
    split_codecs(text)
        .into_iter()
        .map(|c| {
            if c.contains('(') {
                return c;
            }
            match c.to_ascii_uppercase().as_str() {
                "DELTA" => format!("Delta({width})"),
                "GORILLA" => format!("Gorilla({width})"),
                "ZSTD" => "ZSTD(1)".to_string(),
                "LZ4HC" => "LZ4HC(0)".to_string(),
                "FPC" => "FPC(12)".to_string(),
                _ => c,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn split_codecs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for ch in text.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// The engine clause as `SHOW CREATE TABLE` prints it (one clause per line) with
/// `show_expr` = `format_expr`, or as it is stored in `metadata/` with the parser's own
/// spelling (`INTERVAL 1 YEAR`, which reads back whatever functions exist).
fn render_clause(clause: &EngineClause, show_expr: fn(&Expr) -> String) -> String {
    let key_clause = |items: &[Expr]| match items {
        [] => "tuple()".to_string(),
        [one] => show_expr(one),
        many => format!(
            "({})",
            many.iter().map(show_expr).collect::<Vec<_>>().join(", ")
        ),
    };
    let order_items = match (&clause.order_by, &clause.primary_key) {
        (Some(o), _) => key_items(o),
        (None, Some(p)) => key_items(p),
        (None, None) => Vec::new(),
    };
    let mut full = clause.name.clone();
    if !clause.args.is_empty() {
        full.push_str(&format!(
            "({})",
            clause
                .args
                .iter()
                .map(show_expr)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(p) = &clause.partition_by
        && !key_items(p).is_empty()
    {
        full.push_str(&format!("\nPARTITION BY {}", show_expr(p)));
    }
    if let Some(p) = &clause.primary_key {
        full.push_str(&format!("\nPRIMARY KEY {}", key_clause(&key_items(p))));
    }
    full.push_str(&format!("\nORDER BY {}", key_clause(&order_items)));
    if let Some(t) = clause.ttl.first() {
        full.push_str(&format!("\nTTL {}", show_expr(&t.expr)));
    }
    let shown: Vec<String> = clause
        .settings
        .iter()
        .map(|(k, v)| format!("{k} = {}", setting_literal(&v.to_plain_string())))
        .collect();
    if !shown.is_empty() {
        full.push_str(&format!("\nSETTINGS {}", shown.join(", ")));
    }
    full
}

/// Merges `AggregateFunction(...)` states (ClickHouse's binary format, as `-State` writes
/// them) for AggregatingMergeTree merges and `FINAL`, with the aggregate function's code.
#[derive(Debug)]
struct FunctionStateMerger;

impl sluice_storage::StateMerger for FunctionStateMerger {
    fn merge_states(
        &self,
        column: &str,
        ch_type: &str,
        states: &datafusion::arrow::array::ArrayRef,
        groups: &[std::ops::Range<usize>],
    ) -> Result<datafusion::arrow::array::ArrayRef> {
        use datafusion::arrow::array::{Array, BinaryArray, BinaryBuilder};
        use sluice_functions::aggregate::binary::Reader;
        let ty = sluice_common::ChType::parse(ch_type)?;
        let func = sluice_functions::aggregate::combinators::state_function(&ty)
            .map_err(crate::error::from_datafusion)?;
        let states = states
            .as_any()
            .downcast_ref::<BinaryArray>()
            .ok_or_else(|| {
                Error::internal(format!(
                    "column {column}: states of {ch_type} are not Binary"
                ))
            })?;
        let mut out = BinaryBuilder::new();
        for g in groups {
            let mut acc = func.new_state();
            for i in g.clone() {
                if states.is_null(i) {
                    continue;
                }
                let mut one = func.new_state();
                let mut r = Reader::new(states.value(i));
                one.deserialize(&mut r)
                    .map_err(crate::error::from_datafusion)?;
                acc.merge(one.as_ref())
                    .map_err(crate::error::from_datafusion)?;
            }
            let mut bytes = Vec::new();
            acc.serialize(&mut bytes)
                .map_err(crate::error::from_datafusion)?;
            out.append_value(bytes);
        }
        Ok(Arc::new(out.finish()))
    }
}

/// Settings print as numbers when they are numbers, else quoted.
fn setting_literal(v: &str) -> String {
    if v.parse::<f64>().is_ok() {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// ClickHouse says `Unknown setting 'foo': for storage MergeTree`.
fn with_storage_suffix(e: Error, engine: &str) -> Error {
    if e.code == sluice_common::ErrorCode::UNKNOWN_SETTING && !e.message.contains("for storage") {
        Error::new(
            e.code,
            format!("{}: for storage {engine}", e.message.trim_end_matches('.')),
        )
    } else {
        e
    }
}

impl Table for MergeTreeStorage {
    fn engine(&self) -> &str {
        self.inner.spec().engine.name()
    }

    fn engine_full(&self) -> String {
        match &self.legacy_full {
            Some(l) => l.clone(),
            None => render_clause(&self.clause.read(), sluice_sql::format_expr),
        }
    }

    fn columns(&self) -> Vec<ColumnDesc> {
        self.columns.read().clone()
    }

    fn provider(&self) -> Arc<dyn TableProvider> {
        self.inner.provider_with(false, true)
    }

    fn final_provider(&self) -> Option<Arc<dyn TableProvider>> {
        // ClickHouse: "Storage MergeTree doesn't support FINAL" (ILLEGAL_FINAL).
        if matches!(self.inner.spec().engine, MergeTreeEngine::MergeTree) {
            return None;
        }
        Some(self.inner.provider_with(true, true))
    }

    fn insert(&self, batch: RecordBatch) -> Result<()> {
        self.inner
            .insert(
                batch,
                InsertOptions {
                    deduplicate: true,
                    ..InsertOptions::default()
                },
            )
            .map(|_| ())
    }

    fn truncate(&self) -> Result<()> {
        self.inner.truncate()
    }

    fn drop_data(&self) -> Result<()> {
        self.inner.shutdown();
        match std::fs::remove_dir_all(self.inner.dir()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ch_err!(
                CANNOT_OPEN_FILE,
                "Cannot remove {}: {e}",
                self.inner.dir().display()
            )),
        }
    }

    fn total_rows(&self) -> Option<u64> {
        Some(self.inner.total_rows())
    }

    fn total_bytes(&self) -> Option<u64> {
        Some(self.inner.total_bytes())
    }

    fn virtual_columns(&self) -> Vec<String> {
        sluice_storage::virtual_columns::virtual_names(&self.inner.schema())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
