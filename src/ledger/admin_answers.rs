//! The admin API's idempotency keys: a request sent with an `Idempotency-Key` is carried out
//! once; the answer is kept in the same job as the change it made, so a retry with the same
//! key and request gets that answer, and the key with another request is refused. Answers are
//! records that never change: stored, then dropped from memory, and read back when named.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Ledger, LedgerError, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminAnswer {
    /// SHA-256 of the method, path and body of the request that made it.
    pub request_sha256: String,
    pub status: u16,
    /// The JSON answered.
    pub body: String,
    pub created_at: OffsetDateTime,
}

impl Ledger {
    /// The answer kept under `key`: from memory, or else from the store.
    pub fn admin_answer(&mut self, key: &str) -> Result<Option<AdminAnswer>, LedgerError> {
        self.fault_in(Resource::AdminAnswer, key)?;
        Ok(self.admin_answers.get(key).cloned())
    }

    /// Keeps the answer to the request this job carried out under `key`.
    pub fn keep_admin_answer(&mut self, key: String, answer: AdminAnswer) {
        self.admin_answers.insert(key, answer);
    }
}
