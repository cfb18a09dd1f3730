//! Per-ledger settings, stored as JSON so later features add fields with defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::LedgerError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Idle MyQ sessions are ended after this many seconds without a call.
    pub session_idle_timeout_seconds: u64,
    /// IANA zone in which timestamps and dates are rendered.
    pub time_zone: String,
    /// Recharge payments still `created` this long after creation are canceled.
    pub recharge_expiry_seconds: u64,
    /// Which recharge providers (by reference) are enabled.
    pub recharge_providers: BTreeMap<String, bool>,
}

/// The recharge providers saldo offers (SPEC §4): reference and name.
pub const RECHARGE_PROVIDERS: [(&str, &str); 2] = [
    ("external", "External Payment Providers"),
    ("voucher", "Voucher"),
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_timeout_seconds: 3600,
            time_zone: "Europe/Stockholm".into(),
            recharge_expiry_seconds: 86_400,
            recharge_providers: RECHARGE_PROVIDERS
                .iter()
                .map(|(reference, _)| (reference.to_string(), true))
                .collect(),
        }
    }
}

impl Settings {
    /// Whether the provider exists and is enabled; `None` if saldo has no such provider.
    pub fn recharge_provider_enabled(&self, reference: &str) -> Option<bool> {
        RECHARGE_PROVIDERS
            .iter()
            .any(|(known, _)| *known == reference)
            .then(|| {
                self.recharge_providers
                    .get(reference)
                    .copied()
                    .unwrap_or(true)
            })
    }

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
        if !super::zone::is_known(&self.time_zone) {
            return Err(LedgerError::invalid(
                "settings.timeZone",
                "must be an IANA time zone such as Europe/Stockholm",
            ));
        }
        if self.recharge_expiry_seconds == 0 || self.recharge_expiry_seconds > 86_400 * 365 {
            return Err(LedgerError::invalid(
                "settings.rechargeExpirySeconds",
                "must be between 1 and 31536000",
            ));
        }
        if let Some(unknown) = self
            .recharge_providers
            .keys()
            .find(|r| !RECHARGE_PROVIDERS.iter().any(|(known, _)| known == r))
        {
            return Err(LedgerError::invalid(
                format!("settings.rechargeProviders.{unknown}"),
                "is not a recharge provider (external, voucher)",
            ));
        }
        Ok(())
    }
}
