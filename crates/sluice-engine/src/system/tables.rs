//! Row generators for the catalog-describing system tables.

use datafusion::arrow::datatypes::SchemaRef;
use sluice_common::Result;

use super::SystemTables;
use crate::catalog::TableKind;
use crate::rows::{Cell, schema_of};

type Rows = (SchemaRef, Vec<Vec<Cell>>);

const TABLE_ENGINES: &str = include_str!("../../../sluice-common/data/table_engines.tsv");
const FORMATS: &str = include_str!("../../../sluice-common/data/formats.tsv");
const TYPE_FAMILIES: &str = include_str!("../../../sluice-common/data/data_type_families.tsv");

/// Engines Sluice implements; `system.table_engines` lists only these.
pub const SUPPORTED_ENGINES: &[&str] = &[
    "Memory",
    "Null",
    "View",
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "Kafka",
    "MaterializedView",
];

pub(super) fn databases(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("name", "String"),
        ("engine", "String"),
        ("data_path", "String"),
        ("metadata_path", "String"),
        ("uuid", "UUID"),
        ("engine_full", "String"),
        ("comment", "String"),
        ("is_external", "UInt8"),
    ])?;
    let base = s
        .catalog
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let rows = s
        .catalog
        .database_names()
        .into_iter()
        .map(|name| {
            let (engine, uuid) = s.catalog.database_info(&name).unwrap_or_default();
            vec![
                Cell::Str(name.clone()),
                Cell::Str(engine.clone()),
                Cell::Str(format!("{base}/store/")),
                Cell::Str(format!("{base}/metadata/{name}/")),
                Cell::Str(uuid),
                Cell::Str(engine),
                Cell::Str(String::new()),
                Cell::U64(0),
            ]
        })
        .collect();
    Ok((schema, rows))
}

pub(super) fn tables(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("name", "String"),
        ("uuid", "UUID"),
        ("engine", "String"),
        ("is_temporary", "UInt8"),
        ("data_paths", "Array(String)"),
        ("metadata_path", "String"),
        ("metadata_modification_time", "DateTime"),
        ("metadata_version", "Int32"),
        ("dependencies_database", "Array(String)"),
        ("dependencies_table", "Array(String)"),
        ("create_table_query", "String"),
        ("engine_full", "String"),
        ("as_select", "String"),
        ("partition_key", "String"),
        ("sorting_key", "String"),
        ("primary_key", "String"),
        ("sampling_key", "String"),
        ("storage_policy", "String"),
        ("total_rows", "Nullable(UInt64)"),
        ("total_bytes", "Nullable(UInt64)"),
        ("total_bytes_uncompressed", "Nullable(UInt64)"),
        ("parts", "Nullable(UInt64)"),
        ("active_parts", "Nullable(UInt64)"),
        ("total_marks", "Nullable(UInt64)"),
        ("comment", "String"),
        ("has_own_data", "UInt8"),
    ])?;
    let base = s
        .catalog
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for e in s.catalog.all_tables() {
        let (engine, engine_full, as_select) = match (&e.kind, &e.table) {
            (TableKind::View { query }, _) => ("View".to_string(), String::new(), query.clone()),
            (TableKind::MaterializedView(mv), _) => (
                "MaterializedView".to_string(),
                String::new(),
                mv.query_text.trim().to_string(),
            ),
            (_, Some(t)) => (t.engine().to_string(), t.engine_full(), String::new()),
            _ => (String::new(), String::new(), String::new()),
        };
        let mtime = e
            .metadata_time
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (rows_n, bytes_n) = match &e.table {
            Some(t) => (t.total_rows(), t.total_bytes()),
            None => (None, None),
        };
        let mt = e.table.as_ref().and_then(|t| {
            t.as_any()
                .downcast_ref::<crate::tables::merge_tree::MergeTreeStorage>()
        });
        let keys = mt.map(|m| m.keys().clone()).unwrap_or_default();
        let (parts_n, marks_n) = match mt {
            Some(m) => {
                let active: Vec<_> = m
                    .storage()
                    .parts()
                    .into_iter()
                    .filter(|p| p.active)
                    .collect();
                (
                    Cell::U64(active.len() as u64),
                    Cell::U64(active.iter().map(|p| p.marks).sum()),
                )
            }
            None => (Cell::Null, Cell::Null),
        };
        rows.push(vec![
            Cell::Str(e.database.clone()),
            Cell::Str(e.name.clone()),
            Cell::Str(e.uuid.clone()),
            Cell::Str(engine),
            Cell::U64(0),
            Cell::StrArr(vec![]),
            Cell::Str(format!("{base}/metadata/{}/{}.sql", e.database, e.name)),
            Cell::I64(mtime),
            Cell::I64(0),
            Cell::StrArr(vec![]),
            Cell::StrArr(vec![]),
            Cell::Str(one_line(&e.show_create)),
            Cell::Str(engine_full.replace('\n', " ")),
            Cell::Str(as_select),
            Cell::Str(keys.partition_key),
            Cell::Str(keys.sorting_key),
            Cell::Str(keys.primary_key),
            Cell::Str(String::new()),
            Cell::Str(if mt.is_some() {
                "default".into()
            } else {
                String::new()
            }),
            rows_n.into(),
            bytes_n.into(),
            Cell::Null,
            parts_n.clone(),
            parts_n,
            marks_n,
            Cell::Str(String::new()),
            Cell::U64(e.table.is_some() as u64),
        ]);
    }
    for name in super::NAMES {
        let mut row = vec![
            Cell::Str("system".into()),
            Cell::Str(name.to_string()),
            Cell::Str("00000000-0000-0000-0000-000000000000".into()),
            Cell::Str(system_engine(name)),
            Cell::U64(0),
            Cell::StrArr(vec![]),
            Cell::Str(String::new()),
            Cell::I64(0),
            Cell::I64(0),
            Cell::StrArr(vec![]),
            Cell::StrArr(vec![]),
        ];
        row.extend((0..8).map(|_| Cell::Str(String::new())));
        row.extend((0..6).map(|_| Cell::Null));
        row.push(Cell::Str(String::new()));
        row.push(Cell::U64(0));
        rows.push(row);
    }
    Ok((schema, rows))
}

/// The engine name `system.tables` shows for a system table (ClickHouse's storage class
/// names: `parts` → `SystemParts`).
fn system_engine(name: &str) -> String {
    match name {
        "numbers_mt" => "SystemNumbers".into(),
        "data_type_families" => "SystemTableDataTypeFamilies".into(),
        _ => {
            let mut out = String::from("System");
            for word in name.split('_') {
                let mut chars = word.chars();
                if let Some(c) = chars.next() {
                    out.push(c.to_ascii_uppercase());
                    out.extend(chars);
                }
            }
            out
        }
    }
}

pub(super) fn columns(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("table", "String"),
        ("name", "String"),
        ("type", "String"),
        ("position", "UInt64"),
        ("default_kind", "String"),
        ("default_expression", "String"),
        ("data_compressed_bytes", "UInt64"),
        ("data_uncompressed_bytes", "UInt64"),
        ("marks_bytes", "UInt64"),
        ("comment", "String"),
        ("is_in_partition_key", "UInt8"),
        ("is_in_sorting_key", "UInt8"),
        ("is_in_primary_key", "UInt8"),
        ("is_in_sampling_key", "UInt8"),
        ("compression_codec", "String"),
        ("character_octet_length", "Nullable(UInt64)"),
        ("numeric_precision", "Nullable(UInt64)"),
        ("numeric_precision_radix", "Nullable(UInt64)"),
        ("numeric_scale", "Nullable(UInt64)"),
        ("datetime_precision", "Nullable(UInt64)"),
        ("serialization_hint", "Nullable(String)"),
        ("statistics", "String"),
    ])?;
    let mut rows = Vec::new();
    for e in s.catalog.all_tables() {
        let Some(t) = &e.table else { continue };
        let keys = t
            .as_any()
            .downcast_ref::<crate::tables::merge_tree::MergeTreeStorage>()
            .map(|m| m.keys().clone())
            .unwrap_or_default();
        let key_columns = [
            key_identifiers(&keys.partition_key),
            key_identifiers(&keys.sorting_key),
            key_identifiers(&keys.primary_key),
        ];
        for (i, c) in t.columns().iter().enumerate() {
            let in_key = |k: usize| Cell::U64(key_columns[k].contains(&c.name) as u64);
            let (kind, expr) = match &c.default {
                Some((k, x)) => (k.keyword().to_string(), x.clone()),
                None => (String::new(), String::new()),
            };
            rows.push(vec![
                Cell::Str(e.database.clone()),
                Cell::Str(e.name.clone()),
                Cell::Str(c.name.clone()),
                Cell::Str(c.ty.to_string()),
                Cell::U64(i as u64 + 1),
                Cell::Str(kind),
                Cell::Str(expr),
                Cell::U64(0),
                Cell::U64(0),
                Cell::U64(0),
                Cell::Str(c.comment.clone()),
                in_key(0),
                in_key(1),
                in_key(2),
                Cell::U64(0),
                Cell::Str(
                    c.codec
                        .as_ref()
                        .map(|c| format!("CODEC({c})"))
                        .unwrap_or_default(),
                ),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Str(String::new()),
            ]);
        }
    }
    Ok((schema, rows))
}

/// The column names a key expression (`a, lower(s)`, as `system.tables` prints it) reads:
/// its identifiers that are not function names.
fn key_identifiers(key: &str) -> Vec<String> {
    use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&ClickHouseDialect {}, key).tokenize() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = t else { continue };
        let next = tokens[i + 1..]
            .iter()
            .find(|t| !matches!(t, Token::Whitespace(_)));
        if !matches!(next, Some(Token::LParen)) {
            out.push(w.value.clone());
        }
    }
    out
}

pub(super) fn functions(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("name", "String"),
        ("is_aggregate", "UInt8"),
        ("case_insensitive", "UInt8"),
        ("alias_to", "String"),
        ("create_query", "String"),
        (
            "origin",
            "Enum8('System' = 0, 'SQLUserDefined' = 1, 'ExecutableUserDefined' = 2)",
        ),
        ("description", "String"),
    ])?;
    let rows = s
        .functions
        .iter()
        .map(|f| {
            vec![
                Cell::Str(f.name.clone()),
                Cell::U64(f.is_aggregate as u64),
                Cell::U64(f.case_insensitive as u64),
                Cell::Str(f.alias_to.clone()),
                Cell::Str(String::new()),
                Cell::Str("System".into()),
                Cell::Str(String::new()),
            ]
        })
        .collect();
    Ok((schema, rows))
}

pub(super) fn settings(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("name", "String"),
        ("value", "String"),
        ("changed", "UInt8"),
        ("description", "String"),
        ("min", "Nullable(String)"),
        ("max", "Nullable(String)"),
        ("readonly", "UInt8"),
        ("type", "String"),
        ("default", "String"),
        ("alias_for", "String"),
        ("is_obsolete", "UInt8"),
    ])?;
    let rows = sluice_common::settings::sorted_registry()
        .into_iter()
        .map(|d| {
            vec![
                Cell::Str(d.name.to_string()),
                Cell::Str(s.settings.get(d.name).unwrap_or_default()),
                Cell::U64(s.settings.is_changed(d.name) as u64),
                Cell::Str(String::new()),
                Cell::Null,
                Cell::Null,
                Cell::U64(d.readonly as u64),
                Cell::Str(d.ty.to_string()),
                Cell::Str(d.default.to_string()),
                Cell::Str(String::new()),
                Cell::U64(0),
            ]
        })
        .collect();
    Ok((schema, rows))
}

pub(super) fn table_engines() -> Result<Rows> {
    let schema = schema_of(&[
        ("name", "String"),
        ("supports_settings", "UInt8"),
        ("supports_skipping_indices", "UInt8"),
        ("supports_projections", "UInt8"),
        ("supports_sort_order", "UInt8"),
        ("supports_ttl", "UInt8"),
        ("supports_replication", "UInt8"),
        ("supports_deduplication", "UInt8"),
        ("supports_parallel_insert", "UInt8"),
    ])?;
    let rows = TABLE_ENGINES
        .lines()
        .filter(|l| {
            l.split('\t')
                .next()
                .is_some_and(|n| SUPPORTED_ENGINES.contains(&n))
        })
        .map(|l| {
            let mut it = l.split('\t');
            let mut row = vec![Cell::Str(it.next().unwrap_or_default().to_string())];
            row.extend(it.map(|v| Cell::U64(v.parse().unwrap_or(0))));
            row
        })
        .collect();
    Ok((schema, rows))
}

pub(super) fn formats() -> Result<Rows> {
    let schema = schema_of(&[
        ("name", "String"),
        ("is_input", "UInt8"),
        ("is_output", "UInt8"),
    ])?;
    let rows = FORMATS
        .lines()
        .map(|l| {
            let mut it = l.split('\t');
            vec![
                Cell::Str(it.next().unwrap_or_default().to_string()),
                Cell::U64(it.next().and_then(|v| v.parse().ok()).unwrap_or(0)),
                Cell::U64(it.next().and_then(|v| v.parse().ok()).unwrap_or(0)),
            ]
        })
        .collect();
    Ok((schema, rows))
}

pub(super) fn data_type_families() -> Result<Rows> {
    let schema = schema_of(&[
        ("name", "String"),
        ("case_insensitive", "UInt8"),
        ("alias_to", "String"),
    ])?;
    let rows = TYPE_FAMILIES
        .lines()
        .map(|l| {
            let mut it = l.split('\t');
            vec![
                Cell::Str(it.next().unwrap_or_default().to_string()),
                Cell::U64(it.next().and_then(|v| v.parse().ok()).unwrap_or(0)),
                Cell::Str(it.next().unwrap_or_default().to_string()),
            ]
        })
        .collect();
    Ok((schema, rows))
}

/// `SHOW CREATE TABLE`'s text on one line, as `system.tables.create_table_query` holds it:
/// `(` and `,` at a line end join the next line without its indent (`(\`x\` UInt8, …)`),
/// a line starting with `)` joins the previous one, and any other line break is a space.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        let line = if i == 0 { line } else { line.trim_start() };
        if i > 0 && !out.ends_with('(') && !line.starts_with(')') {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}
