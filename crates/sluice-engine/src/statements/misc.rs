//! `USE`, `SET`.

use sluice_common::Result;

use crate::session::{QueryOutput, Session, setting_text};

/// `USE db`.
pub fn use_db(session: &mut Session, db: String) -> Result<QueryOutput> {
    session.set_current_database(&db)?;
    Ok(QueryOutput::empty())
}

/// `SET a = 1, b = 'x'`.
pub fn set(
    session: &mut Session,
    assignments: Vec<(String, sluice_sql::SettingValue)>,
) -> Result<QueryOutput> {
    for (k, v) in assignments {
        session.set_setting(&k, &setting_text(&v))?;
    }
    Ok(QueryOutput::empty())
}
