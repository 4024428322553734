//! Settings ClickHouse knows under two names (`system.settings.alias_for`): one setting, so
//! a `SET` of either name changes both. Only the pairs Sluice reads are listed; the others
//! stay two independent entries.

use crate::tables::kafka_session::{OFFSETS_IN_KEEPER, OFFSETS_IN_KEEPER_ALIAS};

/// `(alias, setting)` pairs, as ClickHouse 26.9's `system.settings` lists them.
const PAIRS: &[(&str, &str)] = &[(OFFSETS_IN_KEEPER_ALIAS, OFFSETS_IN_KEEPER)];

/// The other name of `name`, if it has one.
pub fn other_name(name: &str) -> Option<&'static str> {
    PAIRS.iter().find_map(|&(alias, setting)| {
        if name == alias {
            Some(setting)
        } else if name == setting {
            Some(alias)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_names_lead_to_the_other() {
        assert_eq!(
            other_name("allow_experimental_kafka_offsets_storage_in_keeper"),
            Some("allow_kafka_offsets_storage_in_keeper")
        );
        assert_eq!(
            other_name("allow_kafka_offsets_storage_in_keeper"),
            Some("allow_experimental_kafka_offsets_storage_in_keeper")
        );
        assert_eq!(other_name("max_threads"), None);
    }
}
