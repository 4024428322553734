//! ClickHouse's query-level settings: the registry (names, types, defaults — taken from
//! ClickHouse 26.9's `system.settings` via the oracle, see `data/settings.tsv`) and a
//! session's changed values.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::error_code::ErrorCode;

/// One known setting.
#[derive(Debug, Clone)]
pub struct SettingDef {
    /// Setting name.
    pub name: &'static str,
    /// ClickHouse type name (`Bool`, `UInt64`, `String`, `Timezone`, …).
    pub ty: &'static str,
    /// Default value as text.
    pub default: &'static str,
    /// Readonly flag.
    pub readonly: bool,
    /// Tier (`Production`, `Beta`, `Experimental`).
    pub tier: &'static str,
}

const SETTINGS_TSV: &str = include_str!("../data/settings.tsv");

/// All known settings, by name.
pub fn registry() -> &'static HashMap<&'static str, SettingDef> {
    static REG: OnceLock<HashMap<&'static str, SettingDef>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut m = HashMap::new();
        for line in SETTINGS_TSV.lines() {
            let mut it = line.split('\t');
            let (Some(name), Some(ty), Some(default), Some(ro), Some(tier)) =
                (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                continue;
            };
            m.insert(
                name,
                SettingDef {
                    name,
                    ty,
                    default,
                    readonly: ro == "1",
                    tier,
                },
            );
        }
        m
    })
}

/// All known settings, sorted by name.
pub fn sorted_registry() -> Vec<&'static SettingDef> {
    let mut v: Vec<_> = registry().values().collect();
    v.sort_by_key(|d| d.name);
    v
}

/// Validates and normalises a value for a setting (`true` → `1` for Bool, …).
pub fn normalize(name: &str, value: &str) -> Result<String> {
    let def = registry().get(name).ok_or_else(|| {
        Error::new(
            ErrorCode::UNKNOWN_SETTING,
            format!("Unknown setting '{name}'"),
        )
    })?;
    let v = value.trim();
    let bad = || {
        Error::new(
            ErrorCode::CANNOT_PARSE_TEXT,
            format!("Cannot parse value '{v}' of setting '{name}' as {}", def.ty),
        )
    };
    Ok(match def.ty {
        "Bool" => match v.to_ascii_lowercase().as_str() {
            "1" | "true" => "1".into(),
            "0" | "false" => "0".into(),
            _ => return Err(bad()),
        },
        "UInt64" | "NonZeroUInt64" | "MaxThreads" | "UInt32" | "UInt8" => {
            if v.eq_ignore_ascii_case("auto") && def.ty == "MaxThreads" {
                return Ok("auto".into());
            }
            let n: u64 = v.parse().map_err(|_| bad())?;
            if def.ty == "NonZeroUInt64" && n == 0 {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!("A setting's value has to be greater than 0: {name}"),
                ));
            }
            n.to_string()
        }
        "Int64" | "Int32" => v.parse::<i64>().map_err(|_| bad())?.to_string(),
        "Float" | "Double" => {
            v.parse::<f64>().map_err(|_| bad())?;
            v.to_string()
        }
        _ => v.to_string(),
    })
}

/// A session's (or query's) changed settings on top of the defaults.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    changed: BTreeMap<String, String>,
}

impl Settings {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a known setting, validating its value.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let v = normalize(name, value)?;
        self.changed.insert(name.to_string(), v);
        Ok(())
    }

    /// Current value (changed or default); None for an unknown setting.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.changed.get(name) {
            return Some(v.clone());
        }
        registry().get(name).map(|d| d.default.to_string())
    }

    /// Value as bool (`1`/`true`).
    pub fn get_bool(&self, name: &str) -> bool {
        matches!(self.get(name).as_deref(), Some("1") | Some("true"))
    }

    /// Value as u64 (0 when unset/unparsable).
    pub fn get_u64(&self, name: &str) -> u64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// True if changed from default.
    pub fn is_changed(&self, name: &str) -> bool {
        self.changed.contains_key(name)
    }

    /// Changed settings.
    pub fn changed(&self) -> impl Iterator<Item = (&String, &String)> {
        self.changed.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_validate() {
        let mut s = Settings::new();
        s.set("max_block_size", "100").unwrap();
        assert_eq!(s.get_u64("max_block_size"), 100);
        assert_eq!(
            s.set("no_such_setting", "1").unwrap_err().code,
            ErrorCode::UNKNOWN_SETTING
        );
        assert!(s.set("allow_simdjson", "maybe").is_err());
        s.set("allow_simdjson", "false").unwrap();
        assert!(!s.get_bool("allow_simdjson"));
    }
}
