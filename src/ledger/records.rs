//! The JSON records of API D's resources: writing, reading, and their request hashes.

use super::*;

/// The resources stored as records, each under an id its creator chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Authentication,
    Split,
    Capture,
    Reversal,
    Application,
    PaymentOrder,
    AdminAnswer,
}

impl Resource {
    /// The record kind the stores file it under.
    pub fn stored_kind(self) -> &'static str {
        match self {
            Resource::Authentication => "authentication",
            Resource::Split => "split",
            Resource::Capture => "capture",
            Resource::Reversal => "reversal",
            Resource::Application => "application",
            Resource::PaymentOrder => "payment-order",
            Resource::AdminAnswer => "admin-answer",
        }
    }

    pub fn from_stored(kind: &str) -> Option<Resource> {
        [
            Resource::Authentication,
            Resource::Split,
            Resource::Capture,
            Resource::Reversal,
            Resource::Application,
            Resource::PaymentOrder,
            Resource::AdminAnswer,
        ]
        .into_iter()
        .find(|r| r.stored_kind() == kind)
    }
}

/// The key of a capture: its id is the client's, unique only under its split authorization.
/// Client ids hold no `/` (the API refuses them), so the key is unambiguous.
pub fn capture_key(split_id: &str, capture_id: &str) -> String {
    format!("{split_id}/{capture_id}")
}

/// The key of a reversal: its id is unique only under its capture.
pub fn reversal_key(split_id: &str, capture_id: &str, reversal_id: &str) -> String {
    format!("{split_id}/{capture_id}/{reversal_id}")
}

/// The format of stored records this saldo writes. Records without `v` predate it and read as
/// format 1; a later format is refused by name rather than misread.
const RECORD_FORMAT: u32 = 1;

/// A stored record of `kind` under `key`, parsed; `Err` names what could not be read.
pub(super) fn parse_record<T: serde::de::DeserializeOwned>(
    kind: &str,
    key: &str,
    json: &str,
) -> Result<T, String> {
    let mut value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("{kind} {key}: {e}"))?;
    let format = value
        .as_object_mut()
        .and_then(|o| o.remove("v"))
        .map_or(Some(1), |v| v.as_u64());
    match format {
        Some(1) => serde_json::from_value(value).map_err(|e| format!("{kind} {key}: {e}")),
        Some(n) => Err(format!(
            "{kind} {key} is in record format {n}, written by a newer saldo (this one reads {RECORD_FORMAT})"
        )),
        None => Err(format!("{kind} {key}: the record format is not a number")),
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
            // Applications are not retried by id.
            Resource::Application => return self.applications.get(key).map(|_| None),
            Resource::PaymentOrder => return self.payment_orders.get(key).map(|_| None),
            Resource::AdminAnswer => return self.admin_answers.get(key).map(|_| None),
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
            Resource::Application | Resource::PaymentOrder | Resource::AdminAnswer => None,
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
            // A decided application never changes again.
            Some(Resource::Application) => self
                .applications
                .get(key)
                .is_some_and(|a| a.status == "awaiting-sign"),
            Some(Resource::PaymentOrder) => self
                .payment_orders
                .get(key)
                .is_some_and(|o| o.status == OrderStatus::Pending),
            Some(Resource::AdminAnswer) => false,
            None => true,
        }
    }

    /// A record as stored: JSON of the entity of `kind` under `key`, with its format (`v`).
    pub fn record_json(&self, kind: &str, key: &str) -> Option<String> {
        let value = match kind {
            "authentication" => serde_json::to_value(self.authentications.get(key)?),
            "split" => serde_json::to_value(self.splits.get(key)?),
            "capture" => serde_json::to_value(self.captures.get(key)?),
            "reversal" => serde_json::to_value(self.reversals.get(key)?),
            "application" => serde_json::to_value(self.applications.get(key)?),
            "payment-order" => serde_json::to_value(self.payment_orders.get(key)?),
            "admin-answer" => serde_json::to_value(self.admin_answers.get(key)?),
            _ => return None,
        };
        let mut value = value.expect("records serialize");
        value
            .as_object_mut()
            .expect("records are objects")
            .insert("v".into(), RECORD_FORMAT.into());
        Some(value.to_string())
    }

    /// Whether the record of `kind` under `key` is held in memory now.
    pub fn holds_record(&self, kind: Resource, key: &str) -> bool {
        match kind {
            Resource::Authentication => self.authentications.contains_key(key),
            Resource::Split => self.splits.contains_key(key),
            Resource::Capture => self.captures.contains_key(key),
            Resource::Reversal => self.reversals.contains_key(key),
            Resource::Application => self.applications.contains_key(key),
            Resource::PaymentOrder => self.payment_orders.contains_key(key),
            Resource::AdminAnswer => self.admin_answers.contains_key(key),
        }
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
            "payment-order" => drop(self.payment_orders.forget(&key)),
            "admin-answer" => drop(self.admin_answers.forget(&key)),
            _ => {}
        }
    }

    /// Puts back a stored record; `Err` names what could not be read.
    pub fn restore_record(&mut self, kind: &str, key: &str, json: &str) -> Result<(), String> {
        let key_owned = key.to_string();
        match kind {
            "authentication" => {
                let record = parse_record(kind, key, json)?;
                self.authentications.load(key_owned, record);
            }
            "split" => self.splits.load(key_owned, parse_record(kind, key, json)?),
            "capture" => self
                .captures
                .load(key_owned, parse_record(kind, key, json)?),
            "reversal" => self
                .reversals
                .load(key_owned, parse_record(kind, key, json)?),
            // Stored answers of older versions; migrations remove them.
            "idempotency" => {}
            "application" => {
                let record = parse_record(kind, key, json)?;
                self.applications.load(key_owned, record);
            }
            "payment-order" => self
                .payment_orders
                .load(key_owned, parse_record(kind, key, json)?),
            "admin-answer" => self
                .admin_answers
                .load(key_owned, parse_record(kind, key, json)?),
            other => return Err(format!("unknown record kind {other}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_record;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Thing {
        a: i64,
    }

    #[test]
    fn records_carry_their_format_and_a_newer_one_is_refused_by_name() {
        let read = |json: &str| parse_record::<Thing>("split", "s1", json);
        assert_eq!(read(r#"{"a":1}"#), Ok(Thing { a: 1 }), "before formats: 1");
        assert_eq!(read(r#"{"a":2,"v":1}"#), Ok(Thing { a: 2 }));
        let newer = read(r#"{"a":3,"v":2}"#).unwrap_err();
        assert!(newer.contains("split s1 is in record format 2"), "{newer}");
        assert!(read(r#"{"a":4,"v":"x"}"#).is_err());
    }
}
