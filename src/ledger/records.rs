//! The JSON records of API D's resources and idempotency answers: writing and reading.

use super::*;

impl Ledger {
    pub fn idempotency(&self, key: &str) -> Option<&IdempotencyRecord> {
        self.idempotency.get(key)
    }

    pub fn remember(&mut self, key: String, record: IdempotencyRecord) {
        self.idempotency.insert(key, record);
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
            "idempotency" => {
                self.idempotency
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            "application" => {
                self.applications
                    .load(key.to_string(), serde_json::from_str(json).map_err(bad)?);
            }
            other => return Err(format!("unknown record kind {other}")),
        }
        Ok(())
    }
}
