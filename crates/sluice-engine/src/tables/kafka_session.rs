//! The query-level settings a `CREATE TABLE … ENGINE = Kafka` reads from the session:
//! ClickHouse applies the engine clause's query-level settings on top of the session's and
//! checks `allow_kafka_offsets_storage_in_keeper` (alias
//! `allow_experimental_kafka_offsets_storage_in_keeper`) in the result, so a session `SET`
//! (or an HTTP URL parameter) enables `kafka_keeper_path` unless the clause sets it back.

use sluice_sql::{EngineClause, SettingValue};

use crate::session::Session;

/// The setting ClickHouse checks before `kafka_keeper_path`/`kafka_replica_name`.
pub(crate) const OFFSETS_IN_KEEPER: &str = "allow_kafka_offsets_storage_in_keeper";
/// Its alias (one setting in ClickHouse: setting either changes both).
pub(crate) const OFFSETS_IN_KEEPER_ALIAS: &str =
    "allow_experimental_kafka_offsets_storage_in_keeper";

/// The engine clause with the session's `allow_kafka_offsets_storage_in_keeper` added when
/// the clause itself names neither that setting nor its alias (the clause wins).
pub fn with_session_settings(session: &Session, mut clause: EngineClause) -> EngineClause {
    let in_clause = clause
        .settings
        .iter()
        .any(|(n, _)| n == OFFSETS_IN_KEEPER || n == OFFSETS_IN_KEEPER_ALIAS);
    if !in_clause && session.settings().get_bool(OFFSETS_IN_KEEPER) {
        clause
            .settings
            .push((OFFSETS_IN_KEEPER.to_string(), SettingValue::Bool(true)));
    }
    clause
}
