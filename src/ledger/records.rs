//! The JSON records of API D's resources: writing, reading, and their request hashes.

use super::*;

/// The resources a merchant creates under an id of its own choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Authentication,
    Split,
    Capture,
    Reversal,
}

impl Resource {
    /// The record kind the stores file it under.
    pub fn stored_kind(self) -> &'static str {
        match self {
            Resource::Authentication => "authentication",
            Resource::Split => "split",
            Resource::Capture => "capture",
            Resource::Reversal => "reversal",
        }
    }

    pub fn from_stored(kind: &str) -> Option<Resource> {
        [
            Resource::Authentication,
            Resource::Split,
            Resource::Capture,
            Resource::Reversal,
        ]
        .into_iter()
        .find(|r| r.stored_kind() == kind)
    }
}

impl Ledger {
    /// The request hash of the resource of `kind` under `key`: `None` if there is no such
    /// resource, `Some(None)` if it predates request hashes.
    pub fn request_hash(&self, kind: Resource, key: &str) -> Option<Option<&str>> {
        let hash = match kind {
            Resource::Authentication => &self.authentications.get(key)?.request_sha256,
            Resource::Split => &self.splits.get(key)?.request_sha256,
            Resource::Capture => &self.captures.get(key)?.request_sha256,
            Resource::Reversal => &self.reversals.get(key)?.request_sha256,
        };
        Some(hash.as_deref())
    }

    /// Records the hash of the request that created the resource; the id stays an
    /// idempotency key for as long as the resource exists.
    pub fn set_request_hash(&mut self, kind: Resource, key: &str, hash: String) {
        let slot = match kind {
            Resource::Authentication => self
                .authentications
                .get_mut(key)
                .map(|r| &mut r.request_sha256),
            Resource::Split => self.splits.get_mut(key).map(|r| &mut r.request_sha256),
            Resource::Capture => self.captures.get_mut(key).map(|r| &mut r.request_sha256),
            Resource::Reversal => self.reversals.get_mut(key).map(|r| &mut r.request_sha256),
        };
        if let Some(slot) = slot {
            *slot = Some(hash);
        }
    }

    /// Whether the record can still change (and so stays in memory and is loaded at start).
    /// Unknown records count as live: nothing is dropped that is not understood.
    pub fn record_is_live(&self, kind: &str, key: &str) -> bool {
        match Resource::from_stored(kind) {
            Some(Resource::Authentication) => self
                .authentications
                .get(key)
                .is_some_and(|a| a.status != AuthStatus::Declined && a.used_by.is_none()),
            Some(Resource::Split) => self
                .splits
                .get(key)
                .is_some_and(|s| s.status == SplitStatus::Authorized),
            // A part-payment plan is read by every bill run until it ends.
            Some(Resource::Capture) => self.captures.get(key).is_some_and(|c| c.months > 0),
            Some(Resource::Reversal) => false,
            None => true,
        }
    }

    /// A record as stored: JSON of the entity of `kind` under `key`.
    pub fn record_json(&self, kind: &str, key: &str) -> Option<String> {
        let json = match kind {
            "authentication" => serde_json::to_string(self.authentications.get(key)?),
            "split" => serde_json::to_string(self.splits.get(key)?),
            "capture" => serde_json::to_string(self.captures.get(key)?),
            "reversal" => serde_json::to_string(self.reversals.get(key)?),
            "application" => serde_json::to_string(self.applications.get(key)?),
            _ => return None,
        };
        Some(json.expect("records serialize"))
    }

    /// Drops a record from memory, whatever it was.
    pub(super) fn forget_record(&mut self, kind: &str, key: &str) {
        let key = key.to_string();
        match kind {
            "authentication" => drop(self.authentications.forget(&key)),
            "split" => drop(self.splits.forget(&key)),
            "capture" => drop(self.captures.forget(&key)),
            "reversal" => drop(self.reversals.forget(&key)),
            "application" => drop(self.applications.forget(&key)),
            _ => {}
        }
    }

    /// Puts back a stored record; `Err` names what could not be read.
    pub fn restore_record(&mut self, kind: &str, key: &str, json: &str) -> Result<(), String> {
        let bad = |e: serde_json::Error| format!("{kind} {key}: {e}");
        match kind {
            "authentication" => {
                self.authentications
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "split" => {
                self.splits
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "capture" => {
                self.captures
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "reversal" => {
                self.reversals
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            // Stored answers of older versions; migrations remove them.
            "idempotency" => {}
            "application" => {
                self.applications
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            other => return Err(format!("unknown record kind {other}")),
        }
        Ok(())
    }
}
