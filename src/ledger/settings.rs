//! Per-ledger settings, stored as JSON so later features add fields with defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A setting that broke a rule; `setting` is `None` when the settings as a whole are wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    pub setting: Option<String>,
    pub rule: String,
}

impl SettingError {
    fn whole(rule: impl Into<String>) -> Self {
        SettingError {
            setting: None,
            rule: rule.into(),
        }
    }

    fn named(setting: impl Into<String>, rule: impl Into<String>) -> Self {
        SettingError {
            setting: Some(setting.into()),
            rule: rule.into(),
        }
    }
}

/// A ledger's settings. A patch names only the settings it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Idle MyQ sessions are ended after this many seconds without a call.
    pub session_idle_timeout_seconds: u64,
    /// IANA zone in which timestamps and dates are rendered.
    pub time_zone: String,
    /// Recharge payments still `created` this long after creation are canceled.
    pub recharge_expiry_seconds: u64,
    /// Which recharge providers (by reference) are enabled.
    pub recharge_providers: BTreeMap<String, bool>,
    /// Highest credit limit an application is approved for, in major units.
    #[schema(value_type = f64)]
    pub max_credit_limit: serde_json::Number,
    /// Yearly interest rates in percent, shown on accounts.
    #[schema(value_type = f64)]
    pub debt_interest_rate: serde_json::Number,
    #[schema(value_type = f64)]
    pub penalty_interest_rate: serde_json::Number,
    /// Where customers pay their bills.
    pub bank_account_no: Option<String>,
    /// `BGSE`, `BKSE`, `PKSE` or `PGSE`.
    pub bank_account_type: String,
    pub bic: Option<String>,
    pub iban: Option<String>,
    /// Days from bill date to due date.
    pub bill_due_days: u32,
    /// Days from a reminder's date to its due date.
    pub reminder_due_days: u32,
    /// Charged with each reminder, in major units.
    #[schema(value_type = f64)]
    pub reminder_fee: serde_json::Number,
    /// The least minimum payment of a bill, in major units…
    #[schema(value_type = f64)]
    pub minimum_payment: serde_json::Number,
    /// …or this percentage of the debt, if more.
    #[schema(value_type = f64)]
    pub minimum_payment_percent: serde_json::Number,
    /// Authorizations above this amount need strong customer authentication.
    #[schema(value_type = f64)]
    pub sca_threshold: serde_json::Number,
    /// How long a pre-authorization can be used.
    pub authentication_ttl_seconds: u64,
    /// How long a split authorization holds credit.
    pub authorization_validity_days: u32,
    /// The offer public applications apply to (the `{profile}` in their URLs).
    pub account_offer_profile: String,
    /// `sv` or `en`: the language of bills and reminders, with its number and date formats.
    pub language: String,
    /// Who bills, at the top of every document; the ledger's name when not set.
    pub creditor_name: Option<String>,
    /// The creditor's postal address, a line each (at most 4 lines).
    pub creditor_address: Vec<String>,
    /// How customers reach the creditor: phone, e-mail, web (at most 3 lines).
    pub creditor_contact: Vec<String>,
    /// The creditor's organisation number, which Swedish bills must show.
    pub creditor_organization_no: Option<String>,
    /// An `account.low-balance` event is written when an account's available credit falls
    /// below this, in major units (once per crossing); no such events when not set.
    #[schema(value_type = Option<f64>)]
    pub low_balance_threshold: Option<serde_json::Number>,
    /// Webhook receivers on loopback or private addresses are refused unless this is true
    /// (a receiver on the same machine or network).
    pub webhooks_allow_private_addresses: bool,
    /// Settings a newer saldo wrote that this one does not know: kept, and written back
    /// unchanged, so processes of two versions can share a ledger during an upgrade.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

fn number(text: &str) -> serde_json::Number {
    text.parse().expect("a literal decimal")
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
            max_credit_limit: number("10000.00"),
            debt_interest_rate: number("0.00"),
            penalty_interest_rate: number("0.00"),
            bank_account_no: None,
            bank_account_type: "BGSE".into(),
            bic: None,
            iban: None,
            bill_due_days: 30,
            reminder_due_days: 14,
            // Fees are the ledger's own decision (Swedish law caps them at 60 SEK).
            reminder_fee: number("0.00"),
            minimum_payment: number("100.00"),
            minimum_payment_percent: number("3.00"),
            sca_threshold: number("300.00"),
            authentication_ttl_seconds: 900,
            authorization_validity_days: 30,
            account_offer_profile: "standard".into(),
            // Documents read as they did before the setting existed.
            language: "en".into(),
            creditor_name: None,
            creditor_address: Vec::new(),
            creditor_contact: Vec::new(),
            creditor_organization_no: None,
            low_balance_threshold: None,
            webhooks_allow_private_addresses: false,
            unknown: BTreeMap::new(),
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

    /// The highest approvable credit limit in minor units of a currency with `scale` decimals.
    pub fn max_credit_limit(&self, scale: u32) -> crate::money::Amount {
        self.money(&self.max_credit_limit, scale)
    }

    /// A money setting in minor units of a currency with `scale` decimals.
    pub fn money(&self, value: &serde_json::Number, scale: u32) -> crate::money::Amount {
        crate::money::Amount::parse(&value.to_string(), scale).expect("validated when set")
    }

    /// Applies a JSON merge patch of settings, refusing unknown keys and bad values whole.
    /// `scale` is the ledger currency's decimals, for the money settings.
    pub fn patched(&self, patch: &serde_json::Value, scale: u32) -> Result<Settings, SettingError> {
        let serde_json::Value::Object(fields) = patch else {
            return Err(SettingError::whole("must be an object"));
        };
        let mut merged = serde_json::to_value(self).expect("settings serialize");
        let obj = merged.as_object_mut().expect("settings are an object");
        for (key, value) in fields {
            if !obj.contains_key(key) {
                return Err(SettingError::named(key, "is not a known setting"));
            }
            obj.insert(key.clone(), value.clone());
        }
        let next: Settings =
            serde_json::from_value(merged).map_err(|e| SettingError::whole(e.to_string()))?;
        next.validate(scale)?;
        Ok(next)
    }

    pub fn validate(&self, scale: u32) -> Result<(), SettingError> {
        for (field, value) in [
            ("maxCreditLimit", &self.max_credit_limit),
            ("debtInterestRate", &self.debt_interest_rate),
            ("penaltyInterestRate", &self.penalty_interest_rate),
            ("reminderFee", &self.reminder_fee),
            ("minimumPayment", &self.minimum_payment),
            ("minimumPaymentPercent", &self.minimum_payment_percent),
            ("scaThreshold", &self.sca_threshold),
        ] {
            crate::money::Amount::parse(&value.to_string(), scale)
                .map_err(|e| SettingError::named(field, e.to_string()))?;
        }
        if let Some(threshold) = &self.low_balance_threshold {
            let amount = crate::money::Amount::parse(&threshold.to_string(), scale)
                .map_err(|e| SettingError::named("lowBalanceThreshold", e.to_string()))?;
            if amount < crate::money::Amount::ZERO {
                return Err(SettingError::named(
                    "lowBalanceThreshold",
                    "must not be negative",
                ));
            }
        }
        for (field, days) in [
            ("billDueDays", self.bill_due_days),
            ("reminderDueDays", self.reminder_due_days),
        ] {
            if !(1..=365).contains(&days) {
                return Err(SettingError::named(field, "must be between 1 and 365"));
            }
        }
        if self.money(&self.minimum_payment_percent, 2) > crate::money::Amount::from_minor(10_000) {
            return Err(SettingError::named(
                "minimumPaymentPercent",
                "must be at most 100",
            ));
        }
        if !["BGSE", "BKSE", "PKSE", "PGSE"].contains(&self.bank_account_type.as_str()) {
            return Err(SettingError::named(
                "bankAccountType",
                "must be BGSE, BKSE, PKSE or PGSE",
            ));
        }
        for (field, value, max) in [
            ("bankAccountNo", &self.bank_account_no, 15),
            ("bic", &self.bic, 11),
            ("iban", &self.iban, 34),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                return Err(SettingError::named(
                    field,
                    format!("must be at most {max} characters"),
                ));
            }
        }
        self.validate_creditor()?;
        if self.session_idle_timeout_seconds == 0 || self.session_idle_timeout_seconds > 86_400 * 30
        {
            return Err(SettingError::named(
                "sessionIdleTimeoutSeconds",
                "must be between 1 and 2592000",
            ));
        }
        if !super::zone::is_known(&self.time_zone) {
            return Err(SettingError::named(
                "timeZone",
                "must be an IANA time zone such as Europe/Stockholm",
            ));
        }
        if self.recharge_expiry_seconds == 0 || self.recharge_expiry_seconds > 86_400 * 365 {
            return Err(SettingError::named(
                "rechargeExpirySeconds",
                "must be between 1 and 31536000",
            ));
        }
        if let Some(unknown) = self
            .recharge_providers
            .keys()
            .find(|r| !RECHARGE_PROVIDERS.iter().any(|(known, _)| known == r))
        {
            return Err(SettingError::named(
                format!("rechargeProviders.{unknown}"),
                "is not a recharge provider (external, voucher)",
            ));
        }
        Ok(())
    }
}

impl Settings {
    /// The language documents are written in.
    pub fn language(&self) -> Language {
        match self.language.as_str() {
            "sv" => Language::Sv,
            _ => Language::En,
        }
    }

    fn validate_creditor(&self) -> Result<(), SettingError> {
        if !["sv", "en"].contains(&self.language.as_str()) {
            return Err(SettingError::named("language", "must be sv or en"));
        }
        for (field, value, max) in [
            ("creditorName", &self.creditor_name, 70),
            ("creditorOrganizationNo", &self.creditor_organization_no, 20),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                return Err(SettingError::named(
                    field,
                    format!("must be at most {max} characters"),
                ));
            }
        }
        for (field, lines, most) in [
            ("creditorAddress", &self.creditor_address, 4),
            ("creditorContact", &self.creditor_contact, 3),
        ] {
            if lines.len() > most {
                return Err(SettingError::named(
                    field,
                    format!("must have at most {most} lines"),
                ));
            }
            if lines.iter().any(|l| l.chars().count() > 50) {
                return Err(SettingError::named(
                    field,
                    "lines must be at most 50 characters",
                ));
            }
        }
        Ok(())
    }
}

/// The languages documents are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Sv,
    En,
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn settings_a_newer_saldo_wrote_are_read_and_kept() {
        let stored = r#"{"timeZone":"Europe/Oslo","maxCreditLimit":20000.50,"futureSetting":{"on":true,"at":1.50}}"#;
        let settings: Settings = serde_json::from_str(stored).unwrap();
        assert_eq!(settings.time_zone, "Europe/Oslo");
        assert_eq!(settings.max_credit_limit.to_string(), "20000.50");
        let written = serde_json::to_value(&settings).unwrap();
        assert_eq!(
            serde_json::to_string(&written["futureSetting"]).unwrap(),
            r#"{"on":true,"at":1.50}"#
        );
        // A patch still names only settings this saldo knows.
        let refused = Settings::default().patched(&serde_json::json!({"bogus": 1}), 2);
        assert!(refused.is_err());
    }
}
