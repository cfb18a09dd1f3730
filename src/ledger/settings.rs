//! Per-ledger settings, stored as JSON so later features add fields with defaults.

use serde::{Deserialize, Serialize};

use super::LedgerError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Idle MyQ sessions are ended after this many seconds without a call.
    pub session_idle_timeout_seconds: u64,
    pub time_zone: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_timeout_seconds: 3600,
            time_zone: "Europe/Stockholm".into(),
        }
    }
}

impl Settings {
    /// Applies a JSON merge patch of settings, refusing unknown keys and bad values whole.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Settings, LedgerError> {
        let serde_json::Value::Object(fields) = patch else {
            return Err(LedgerError::invalid("settings", "must be an object"));
        };
        let mut merged = serde_json::to_value(self).expect("settings serialize");
        let obj = merged.as_object_mut().expect("settings are an object");
        for (key, value) in fields {
            if !obj.contains_key(key) {
                return Err(LedgerError::invalid(
                    format!("settings.{key}"),
                    "is not a known setting",
                ));
            }
            obj.insert(key.clone(), value.clone());
        }
        let next: Settings = serde_json::from_value(merged)
            .map_err(|e| LedgerError::invalid("settings", e.to_string()))?;
        next.validate()?;
        Ok(next)
    }

    pub fn validate(&self) -> Result<(), LedgerError> {
        if self.session_idle_timeout_seconds == 0 || self.session_idle_timeout_seconds > 86_400 * 30
        {
            return Err(LedgerError::invalid(
                "settings.sessionIdleTimeoutSeconds",
                "must be between 1 and 2592000",
            ));
        }
        if self.time_zone.is_empty() || self.time_zone.len() > 64 {
            return Err(LedgerError::invalid(
                "settings.timeZone",
                "must be 1 to 64 characters",
            ));
        }
        Ok(())
    }
}
