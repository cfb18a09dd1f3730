//! The JSON records of API D's resources and idempotency answers: marking, writing, reading.

use super::*;

impl Ledger {
    pub fn idempotency(&self, key: &str) -> Option<&IdempotencyRecord> {
        self.idempotency.get(key)
    }

    pub fn remember(&mut self, key: String, record: IdempotencyRecord) {
        self.mark_record("idempotency", &key);
        self.idempotency.insert(key, record);
    }

    pub(super) fn mark_record(&mut self, kind: &'static str, key: &str) {
        self.dirty.records.insert((kind, key.to_string()));
    }

    /// A record as stored: JSON of the entity of `kind` under `key`.
    pub fn record_json(&self, kind: &str, key: &str) -> Option<String> {
        let json = match kind {
            "authentication" => serde_json::to_string(self.authentications.get(key)?),
            "split" => serde_json::to_string(self.splits.get(key)?),
            "capture" => serde_json::to_string(self.captures.get(key)?),
            "reversal" => serde_json::to_string(self.reversals.get(key)?),
            "idempotency" => serde_json::to_string(self.idempotency.get(key)?),
            "application" => serde_json::to_string(self.applications.get(key)?),
            _ => return None,
        };
        Some(json.expect("records serialize"))
    }

    /// Puts back a stored record; `Err` names what could not be read.
    pub fn restore_record(&mut self, kind: &str, key: &str, json: &str) -> Result<(), String> {
        let bad = |e: serde_json::Error| format!("{kind} {key}: {e}");
        match kind {
            "authentication" => {
                self.authentications
                    .insert(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "split" => {
                self.splits
                    .insert(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "capture" => {
                self.captures
                    .insert(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "reversal" => {
                self.reversals
                    .insert(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "idempotency" => {
                self.idempotency
                    .insert(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "application" => {
                self.applications
                    .insert(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            other => return Err(format!("unknown record kind {other}")),
        }
        Ok(())
    }
}
