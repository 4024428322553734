//! ClickHouse's column layout of the catalog system tables (issue 2 point 6): every column
//! ClickHouse 26 has, in its order and with its type (from `system.columns` of the oracle,
//! ClickHouse's `ALIAS` columns `database`/`table`/`column` left out). The row generators fill
//! what Sluice knows; [`conform`] reorders their columns into this layout and gives every
//! column a generator does not fill its type's default (empty text, 0, an empty array, NULL).

use datafusion::arrow::datatypes::SchemaRef;
use sluice_common::Result;

use crate::rows::{Cell, schema_of};

type Rows = (SchemaRef, Vec<Vec<Cell>>);

const DATABASES: &[(&str, &str)] = &[
    ("name", "String"),
    ("engine", "String"),
    ("data_path", "String"),
    ("metadata_path", "String"),
    ("uuid", "UUID"),
    ("engine_full", "String"),
    ("comment", "String"),
    ("is_external", "UInt8"),
];

const TABLES: &[(&str, &str)] = &[
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
    (
        "parameterized_view_parameters",
        "Array(Tuple(name String, type String))",
    ),
    ("partition_key", "String"),
    ("sorting_key", "String"),
    ("primary_key", "String"),
    ("sampling_key", "String"),
    ("unique_key", "String"),
    ("skipping_indices_types", "Array(String)"),
    ("storage_policy", "String"),
    ("total_rows", "Nullable(UInt64)"),
    ("total_bytes", "Nullable(UInt64)"),
    ("total_bytes_uncompressed", "Nullable(UInt64)"),
    ("parts", "Nullable(UInt64)"),
    ("active_parts", "Nullable(UInt64)"),
    ("total_marks", "Nullable(UInt64)"),
    ("active_on_fly_data_mutations", "UInt64"),
    ("active_on_fly_alter_mutations", "UInt64"),
    ("active_on_fly_metadata_mutations", "UInt64"),
    ("columns_descriptions_cache_size", "UInt64"),
    ("lifetime_rows", "Nullable(UInt64)"),
    ("lifetime_bytes", "Nullable(UInt64)"),
    ("comment", "String"),
    ("has_own_data", "UInt8"),
    ("loading_dependencies_database", "Array(String)"),
    ("loading_dependencies_table", "Array(String)"),
    ("loading_dependent_database", "Array(String)"),
    ("loading_dependent_table", "Array(String)"),
    ("target_database", "String"),
    ("target_table", "String"),
    ("definer", "String"),
];

const COLUMNS: &[(&str, &str)] = &[
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
];

const FUNCTIONS: &[(&str, &str)] = &[
    ("name", "String"),
    ("is_aggregate", "UInt8"),
    ("case_insensitive", "UInt8"),
    ("alias_to", "String"),
    ("create_query", "String"),
    (
        "origin",
        "Enum8('System' = 0, 'SQLUserDefined' = 1, 'ExecutableUserDefined' = 2, 'WasmUserDefined' = 3)",
    ),
    ("description", "String"),
    ("syntax", "String"),
    ("arguments", "String"),
    ("parameters", "String"),
    ("returned_value", "String"),
    ("examples", "String"),
    ("introduced_in", "String"),
    ("categories", "String"),
    ("deterministic", "Nullable(UInt8)"),
    ("higher_order", "Nullable(UInt8)"),
];

const SETTINGS: &[(&str, &str)] = &[
    ("name", "String"),
    ("value", "String"),
    ("changed", "UInt8"),
    ("description", "String"),
    ("min", "Nullable(String)"),
    ("max", "Nullable(String)"),
    ("disallowed_values", "Array(String)"),
    ("readonly", "UInt8"),
    ("type", "String"),
    ("default", "String"),
    ("alias_for", "String"),
    ("is_obsolete", "UInt8"),
    (
        "tier",
        "Enum8('Production' = 0, 'Obsolete' = 4, 'Experimental' = 8, 'Beta' = 12, 'PrivatePreview' = 16)",
    ),
];

const TABLE_ENGINES: &[(&str, &str)] = &[
    ("name", "String"),
    ("supports_settings", "UInt8"),
    ("supports_skipping_indices", "UInt8"),
    ("supports_projections", "UInt8"),
    ("supports_sort_order", "UInt8"),
    ("supports_ttl", "UInt8"),
    ("supports_replication", "UInt8"),
    ("supports_deduplication", "UInt8"),
    ("supports_parallel_insert", "UInt8"),
    ("description", "String"),
    ("syntax", "String"),
    ("examples", "String"),
    ("introduced_in", "String"),
    ("related", "Array(String)"),
];

const FORMATS: &[(&str, &str)] = &[
    ("name", "String"),
    ("is_input", "UInt8"),
    ("is_output", "UInt8"),
    ("supports_parallel_parsing", "UInt8"),
    ("supports_parallel_formatting", "UInt8"),
    ("is_tty_friendly", "UInt8"),
    ("content_type", "String"),
    ("supports_random_access", "UInt8"),
    ("has_schema_inference", "UInt8"),
    ("has_external_schema", "UInt8"),
    ("prefers_large_blocks", "UInt8"),
    ("supports_append", "UInt8"),
    ("supports_subsets_of_columns", "UInt8"),
    ("description", "String"),
    ("examples", "String"),
    ("introduced_in", "String"),
    ("related", "Array(String)"),
];

const DATA_TYPE_FAMILIES: &[(&str, &str)] = &[
    ("name", "String"),
    ("case_insensitive", "UInt8"),
    ("alias_to", "String"),
    ("description", "String"),
    ("syntax", "String"),
    ("examples", "String"),
    ("introduced_in", "String"),
    ("related", "Array(String)"),
];

/// The layout of `system.<name>`, for the tables this file covers.
fn layout(name: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match name {
        "databases" => DATABASES,
        "tables" => TABLES,
        "columns" => COLUMNS,
        "functions" => FUNCTIONS,
        "settings" => SETTINGS,
        "table_engines" => TABLE_ENGINES,
        "formats" => FORMATS,
        "data_type_families" => DATA_TYPE_FAMILIES,
        _ => return None,
    })
}

/// `rows` of `system.<name>` in ClickHouse's layout (unchanged for other tables).
pub(super) fn conform(name: &str, (schema, rows): Rows) -> Result<Rows> {
    let Some(layout) = layout(name) else {
        return Ok((schema, rows));
    };
    let from: Vec<(Option<usize>, Cell)> = layout
        .iter()
        .map(|(col, ty)| (schema.index_of(col).ok(), default_cell(ty)))
        .collect();
    let rows = rows
        .into_iter()
        .map(|row| {
            from.iter()
                .map(|(i, dflt)| i.and_then(|i| row.get(i).cloned()).unwrap_or(dflt.clone()))
                .collect()
        })
        .collect();
    Ok((schema_of(layout)?, rows))
}

/// What a column no generator fills holds: an `Enum8`'s first value (`'Production'`),
/// otherwise NULL, which the batch builder turns into the type's default when the column
/// is not Nullable.
fn default_cell(ty: &str) -> Cell {
    match ty.strip_prefix("Enum8('") {
        Some(rest) => Cell::Str(rest.split('\'').next().unwrap_or_default().to_string()),
        None => Cell::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_parses_and_keeps_filled_columns() {
        for name in [
            "databases",
            "tables",
            "columns",
            "functions",
            "settings",
            "table_engines",
            "formats",
            "data_type_families",
        ] {
            let layout = layout(name).expect("layout");
            assert!(schema_of(layout).is_ok(), "{name}");
        }
        let schema = schema_of(&[("name", "String"), ("is_aggregate", "UInt8")]).expect("schema");
        let (s, rows) = conform(
            "functions",
            (schema, vec![vec![Cell::Str("f".into()), Cell::U64(1)]]),
        )
        .expect("conform");
        assert_eq!(s.fields().len(), FUNCTIONS.len());
        assert!(matches!(&rows[0][0], Cell::Str(n) if n == "f"));
        assert!(matches!(rows[0][1], Cell::U64(1)));
        assert!(matches!(rows[0][2], Cell::Null));
    }
}
