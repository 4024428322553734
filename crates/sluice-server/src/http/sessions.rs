//! HTTP sessions (`session_id`): a [`QuerySession`] kept between requests of one user, used
//! by one request at a time, dropped after `session_timeout` seconds without use.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sluice_common::{Error, ErrorCode};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::handler::QuerySession;

type Shared = Arc<AsyncMutex<Box<dyn QuerySession>>>;

struct Entry {
    session: Shared,
    timeout: Duration,
    last_used: Instant,
}

/// All live HTTP sessions, keyed by (user, session id).
#[derive(Default)]
pub struct SessionRegistry {
    sessions: Mutex<HashMap<(String, String), Entry>>,
}

/// Exclusive use of a session for one request.
pub type SessionGuard = OwnedMutexGuard<Box<dyn QuerySession>>;

/// Parses `session_timeout` (whole seconds, at most `max`).
pub fn parse_timeout(text: Option<&str>, default: u64, max: u64) -> Result<Duration, Error> {
    let Some(text) = text else {
        return Ok(Duration::from_secs(default));
    };
    match text.trim().parse::<u64>() {
        Ok(s) if s <= max => Ok(Duration::from_secs(s)),
        Ok(s) => Err(Error::new(
            ErrorCode::INVALID_SESSION_TIMEOUT,
            format!(
                "Session timeout '{s}' is larger than max_session_timeout: {max}. Maximum session timeout could be modified in configuration file."
            ),
        )),
        Err(_) => Err(Error::new(
            ErrorCode::INVALID_SESSION_TIMEOUT,
            format!("Invalid session timeout: '{text}'"),
        )),
    }
}

impl SessionRegistry {
    /// Takes the session `id` of `user`, or `None` if it does not exist (or expired).
    /// Errors with `SESSION_IS_LOCKED` when another request is using it.
    pub fn take(
        &self,
        user: &str,
        id: &str,
        timeout: Duration,
    ) -> Result<Option<SessionGuard>, Error> {
        let mut map = self.sessions.lock();
        let now = Instant::now();
        map.retain(|_, e| {
            now.duration_since(e.last_used) < e.timeout || Arc::strong_count(&e.session) > 1
        });
        let Some(entry) = map.get_mut(&(user.to_string(), id.to_string())) else {
            return Ok(None);
        };
        entry.timeout = timeout;
        entry.last_used = now;
        match Arc::clone(&entry.session).try_lock_owned() {
            Ok(guard) => Ok(Some(guard)),
            Err(_) => Err(Error::new(
                ErrorCode::SESSION_IS_LOCKED,
                format!("Session {id} is locked by a concurrent client"),
            )),
        }
    }

    /// Registers a new session and takes it. If a concurrent request created the same
    /// session meanwhile, that one wins and this one is an error (`SESSION_IS_LOCKED`).
    pub fn insert(
        &self,
        user: &str,
        id: &str,
        timeout: Duration,
        session: Box<dyn QuerySession>,
    ) -> Result<SessionGuard, Error> {
        let shared: Shared = Arc::new(AsyncMutex::new(session));
        let guard = Arc::clone(&shared)
            .try_lock_owned()
            .map_err(|_| Error::internal("new session is locked"))?;
        let mut map = self.sessions.lock();
        let key = (user.to_string(), id.to_string());
        if map.contains_key(&key) {
            return Err(Error::new(
                ErrorCode::SESSION_IS_LOCKED,
                format!("Session {id} is locked by a concurrent client"),
            ));
        }
        map.insert(
            key,
            Entry {
                session: shared,
                timeout,
                last_used: Instant::now(),
            },
        );
        Ok(guard)
    }

    /// Marks the session used now (its timeout counts from the end of a request).
    pub fn touch(&self, user: &str, id: &str) {
        if let Some(e) = self
            .sessions
            .lock()
            .get_mut(&(user.to_string(), id.to_string()))
        {
            e.last_used = Instant::now();
        }
    }

    /// Removes a session (`close_session=1`).
    pub fn remove(&self, user: &str, id: &str) {
        self.sessions
            .lock()
            .remove(&(user.to_string(), id.to_string()));
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    /// True when there is no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(
            parse_timeout(None, 60, 3600).ok(),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_timeout(Some("5"), 60, 3600).ok(),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_timeout(Some("7200"), 60, 3600)
                .expect_err("too long")
                .code,
            ErrorCode::INVALID_SESSION_TIMEOUT
        );
        assert_eq!(
            parse_timeout(Some("x"), 60, 3600).expect_err("bad").code,
            ErrorCode::INVALID_SESSION_TIMEOUT
        );
    }
}
