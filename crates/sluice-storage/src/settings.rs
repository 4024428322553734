//! MergeTree table settings (`SETTINGS index_granularity = …`): the typed ones storage
//! uses, and every other ClickHouse MergeTree setting accepted and listed.
//!
//! The list of names, types and defaults is ClickHouse's `system.merge_tree_settings`
//! (taken with the oracle: `ch-oracle -q "SELECT name, type, default, is_obsolete, tier
//! FROM system.merge_tree_settings"`, stored in `data/merge_tree_settings.tsv`).

use std::collections::HashMap;
use std::sync::OnceLock;

use sluice_common::{Error, ErrorCode, Result};

const SETTINGS_TSV: &str = include_str!("../data/merge_tree_settings.tsv");

/// The settings storage acts on; every other known MergeTree setting is accepted,
/// recorded in [`MergeTreeSettings::changes`] and has no effect.
pub const USED: &[&str] = &[
    "index_granularity",
    "parts_to_delay_insert",
    "parts_to_throw_insert",
    "max_delay_to_insert",
    "min_delay_to_insert_ms",
    "max_parts_in_total",
    "non_replicated_deduplication_window",
    "max_bytes_to_merge_at_max_space_in_pool",
    "max_parts_to_merge_at_once",
    "merge_max_block_size",
    "old_parts_lifetime",
];

pub use crate::accepted_unused::ACCEPTED_UNUSED;

/// Settings `ALTER TABLE … MODIFY/RESET SETTING` refuses (`READONLY_SETTING` 472): the
/// `readonly` ones of ClickHouse's `system.merge_tree_settings` (taken with the oracle).
pub const READONLY: &[&str] = &[
    "index_granularity",
    "share_nested_offsets",
    "allow_tuple_element_aggregation",
    "index_granularity_bytes",
    "enable_mixed_granularity_parts",
    "table_disk",
    "add_minmax_index_for_numeric_columns",
    "add_minmax_index_for_string_columns",
    "add_minmax_index_for_temporal_columns",
    "add_minmax_index_for_block_number_column",
    "add_minmax_index_for_block_offset_column",
];

/// Checks that `ALTER TABLE … MODIFY SETTING name` / `RESET SETTING name` may change the
/// setting: unknown names are `UNKNOWN_SETTING` (115) for MODIFY and `BAD_ARGUMENTS` (36)
/// for RESET, read-only ones `READONLY_SETTING` (472), as in ClickHouse.
pub fn check_alterable(name: &str, reset: bool) -> Result<()> {
    if !registry().contains_key(name) {
        return Err(if reset {
            Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "Cannot reset setting '{name}' because it doesn't exist for MergeTree engines family"
                ),
            )
        } else {
            Error::new(
                ErrorCode::UNKNOWN_SETTING,
                format!("Unknown setting '{name}'"),
            )
        });
    }
    if READONLY.contains(&name) {
        return Err(Error::new(
            ErrorCode::READONLY_SETTING,
            format!("Setting '{name}' is readonly for storage 'MergeTree'"),
        ));
    }
    Ok(())
}

/// One ClickHouse MergeTree setting: name, type, default value as text.
#[derive(Debug, Clone, Copy)]
pub struct MergeTreeSettingDef {
    /// Setting name.
    pub name: &'static str,
    /// ClickHouse type (`UInt64`, `Bool`, `Seconds`, …).
    pub ty: &'static str,
    /// Default value as text.
    pub default: &'static str,
    /// ClickHouse keeps it only so old tables still load.
    pub obsolete: bool,
    /// ClickHouse's tier: `Production`, `Beta`, `Experimental` or `Obsolete`.
    pub tier: &'static str,
}

/// All MergeTree settings ClickHouse knows, by name.
pub fn registry() -> &'static HashMap<&'static str, MergeTreeSettingDef> {
    static REG: OnceLock<HashMap<&'static str, MergeTreeSettingDef>> = OnceLock::new();
    REG.get_or_init(|| {
        SETTINGS_TSV
            .lines()
            .filter_map(|line| {
                let mut it = line.split('\t');
                let (name, ty, default) = (it.next()?, it.next()?, it.next()?);
                let obsolete = it.next()? == "1";
                let tier = it.next()?;
                Some((
                    name,
                    MergeTreeSettingDef {
                        name,
                        ty,
                        default,
                        obsolete,
                        tier,
                    },
                ))
            })
            .collect()
    })
}

/// Names of the accepted-but-unused settings, sorted.
pub fn accepted_unused() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = registry()
        .keys()
        .copied()
        .filter(|n| !USED.contains(n))
        .collect();
    v.sort_unstable();
    v
}

/// Typed MergeTree settings of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeTreeSettings {
    /// Rows per granule: Parquet data page row limit; row groups hold 16 granules.
    pub index_granularity: u64,
    /// Active parts in a partition above which inserts are delayed.
    pub parts_to_delay_insert: u64,
    /// Active parts in a partition above which inserts fail with `TOO_MANY_PARTS`.
    pub parts_to_throw_insert: u64,
    /// Maximum insert delay, seconds.
    pub max_delay_to_insert: u64,
    /// Minimum insert delay, milliseconds.
    pub min_delay_to_insert_ms: u64,
    /// Active parts in the whole table above which inserts fail.
    pub max_parts_in_total: u64,
    /// Number of recent insert block ids kept for deduplication (0 = off).
    pub non_replicated_deduplication_window: u64,
    /// Largest total size of the parts of one background merge.
    pub max_bytes_to_merge_at_max_space_in_pool: u64,
    /// Most parts merged at once.
    pub max_parts_to_merge_at_once: u64,
    /// Rows per block produced by merges.
    pub merge_max_block_size: u64,
    /// Seconds an outdated part stays on disk after no query uses it.
    pub old_parts_lifetime: u64,
    /// Accepted for compatibility (parts are always one Parquet file).
    pub min_bytes_for_wide_part: u64,
    /// Every setting given in `SETTINGS`, in order, as written (for SHOW CREATE).
    pub changes: Vec<(String, String)>,
}

fn default_u64(name: &str) -> u64 {
    registry()
        .get(name)
        .and_then(|d| d.default.parse().ok())
        .unwrap_or(0)
}

impl Default for MergeTreeSettings {
    fn default() -> Self {
        Self {
            index_granularity: default_u64("index_granularity"),
            parts_to_delay_insert: default_u64("parts_to_delay_insert"),
            parts_to_throw_insert: default_u64("parts_to_throw_insert"),
            max_delay_to_insert: default_u64("max_delay_to_insert"),
            min_delay_to_insert_ms: default_u64("min_delay_to_insert_ms"),
            max_parts_in_total: default_u64("max_parts_in_total"),
            non_replicated_deduplication_window: default_u64("non_replicated_deduplication_window"),
            max_bytes_to_merge_at_max_space_in_pool: default_u64(
                "max_bytes_to_merge_at_max_space_in_pool",
            ),
            max_parts_to_merge_at_once: default_u64("max_parts_to_merge_at_once"),
            merge_max_block_size: default_u64("merge_max_block_size"),
            old_parts_lifetime: default_u64("old_parts_lifetime"),
            min_bytes_for_wide_part: default_u64("min_bytes_for_wide_part"),
            changes: Vec::new(),
        }
    }
}

fn parse_error(value: &str) -> Error {
    Error::new(
        ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
        format!("Cannot parse input: expected 'eof' before: '{value}'"),
    )
}

/// Checks `value` against the ClickHouse setting type `ty`.
fn check_value(ty: &str, value: &str) -> Result<()> {
    let v = value.trim().trim_matches('\'');
    let ok = match ty {
        "UInt64" | "UInt32" | "NonZeroUInt64" | "MaxThreads" | "UInt64Auto" => {
            v.parse::<u64>().is_ok() || (ty != "UInt64" && ty != "UInt32" && v == "auto")
        }
        "Int64" => v.parse::<i64>().is_ok(),
        "Float" => v.parse::<f64>().is_ok(),
        "Seconds" | "Milliseconds" => v.parse::<f64>().is_ok(),
        "Bool" => matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "1" | "true" | "false"
        ),
        _ => true,
    };
    if ok { Ok(()) } else { Err(parse_error(v)) }
}

impl MergeTreeSettings {
    /// Parses `SETTINGS name = value, …`: unknown names give `UNKNOWN_SETTING` (115), values
    /// that do not parse as the setting's type `CANNOT_PARSE_INPUT_ASSERTION_FAILED` (27).
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut s = MergeTreeSettings::default();
        for (k, v) in pairs {
            s.set(k.as_ref(), v.as_ref())?;
        }
        Ok(s)
    }

    /// Changes one setting (as `ALTER TABLE … MODIFY SETTING` does).
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let Some(def) = registry().get(name) else {
            return Err(Error::new(
                ErrorCode::UNKNOWN_SETTING,
                format!("Unknown setting '{name}': for storage MergeTree"),
            ));
        };
        check_value(def.ty, value)?;
        let v = value.trim().trim_matches('\'');
        let num = || -> Result<u64> {
            v.parse::<u64>()
                .or_else(|_| v.parse::<f64>().map(|f| f as u64))
                .map_err(|_| parse_error(v))
        };
        match name {
            "index_granularity" => {
                let n = num()?;
                if n == 0 {
                    return Err(Error::new(
                        ErrorCode::BAD_ARGUMENTS,
                        "index_granularity: value 0 makes no sense",
                    ));
                }
                self.index_granularity = n;
            }
            "parts_to_delay_insert" => self.parts_to_delay_insert = num()?,
            "parts_to_throw_insert" => self.parts_to_throw_insert = num()?,
            "max_delay_to_insert" => self.max_delay_to_insert = num()?,
            "min_delay_to_insert_ms" => self.min_delay_to_insert_ms = num()?,
            "max_parts_in_total" => self.max_parts_in_total = num()?,
            "non_replicated_deduplication_window" => {
                self.non_replicated_deduplication_window = num()?
            }
            "max_bytes_to_merge_at_max_space_in_pool" => {
                self.max_bytes_to_merge_at_max_space_in_pool = num()?
            }
            "max_parts_to_merge_at_once" => self.max_parts_to_merge_at_once = num()?,
            "merge_max_block_size" => self.merge_max_block_size = num()?.max(1),
            "old_parts_lifetime" => self.old_parts_lifetime = num()?,
            "min_bytes_for_wide_part" => self.min_bytes_for_wide_part = num()?,
            _ => {}
        }
        if let Some(slot) = self.changes.iter_mut().find(|(k, _)| k == name) {
            slot.1 = value.to_string();
        } else {
            self.changes.push((name.to_string(), value.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alter_checks_match_clickhouse() {
        // ch-oracle: ALTER TABLE t MODIFY SETTING index_granularity = 100 → Code: 472
        assert_eq!(
            check_alterable("index_granularity", false).map_err(|e| e.code.0),
            Err(472)
        );
        // ch-oracle: ALTER TABLE t MODIFY SETTING nonexistent_x = 1 → Code: 115
        assert_eq!(
            check_alterable("nonexistent_x", false).map_err(|e| e.code.0),
            Err(115)
        );
        // ch-oracle: ALTER TABLE t RESET SETTING nonexistent_x → Code: 36
        assert_eq!(
            check_alterable("nonexistent_x", true).map_err(|e| e.code.0),
            Err(36)
        );
        assert!(check_alterable("parts_to_throw_insert", true).is_ok());
        assert!(READONLY.iter().all(|n| registry().contains_key(n)));
    }

    #[test]
    fn defaults_and_errors_match_clickhouse() {
        let s = MergeTreeSettings::default();
        assert_eq!(s.index_granularity, 8192);
        assert_eq!(s.parts_to_delay_insert, 1000);
        assert_eq!(s.parts_to_throw_insert, 3000);
        assert_eq!(s.non_replicated_deduplication_window, 0);
        // ch-oracle: CREATE TABLE x (a UInt8) ENGINE=MergeTree ORDER BY a SETTINGS foo_bar=1
        let e = MergeTreeSettings::from_pairs([("foo_bar", "1")]).unwrap_err();
        assert_eq!(e.code, ErrorCode::UNKNOWN_SETTING);
        assert_eq!(
            e.message,
            "Unknown setting 'foo_bar': for storage MergeTree"
        );
        // ch-oracle: … SETTINGS index_granularity='abc' → Code: 27
        let e = MergeTreeSettings::from_pairs([("index_granularity", "'abc'")]).unwrap_err();
        assert_eq!(e.code.0, 27);
        let s = MergeTreeSettings::from_pairs([
            ("index_granularity", "3"),
            ("ttl_only_drop_parts", "1"),
        ])
        .unwrap();
        assert_eq!(s.index_granularity, 3);
        assert_eq!(s.changes.len(), 2);
        assert!(accepted_unused().contains(&"ttl_only_drop_parts"));
        assert!(!accepted_unused().contains(&"index_granularity"));
        assert_eq!(accepted_unused(), ACCEPTED_UNUSED.to_vec());
    }
}
