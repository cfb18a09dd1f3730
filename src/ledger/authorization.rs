//! Merchant authorizations (SPEC §6): pre-authorizations with strong customer authentication,
//! split authorizations holding credit, captures, reversals, cancellations and expiry.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{
    AccountStatus, Entity, Expected, HoldKind, HoldStatus, Ledger, LedgerError, NationalId,
    Quantity, Resource,
};
use crate::money::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStatus {
    AwaitingSca,
    Approved,
    Declined,
}

impl AuthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthStatus::AwaitingSca => "awaiting-sca",
            AuthStatus::Approved => "approved",
            AuthStatus::Declined => "declined",
        }
    }
}

/// A pre-authorization: who buys, from whom, how much, and whether the consumer approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authentication {
    pub id: String,
    pub account_id: i64,
    pub amount: Amount,
    pub currency: String,
    pub seller_no: String,
    /// The request as the merchant sent it, echoed in the resource.
    pub request: serde_json::Value,
    pub status: AuthStatus,
    pub created_at: OffsetDateTime,
    pub valid_until: OffsetDateTime,
    /// The split authorization that used it, once.
    pub used_by: Option<String>,
    /// SHA-256 of the one-time SCA link's token, once a redirect was asked for.
    pub sca_token_sha256: Option<String>,
    pub sca_token_used: bool,
    pub return_url: Option<String>,
    /// Canonical SHA-256 of the request that created it: a retry with the same request gets
    /// the resource, another request under its id is a conflict. Absent on records older
    /// than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_sha256: Option<String>,
}

/// What a merchant sends to pre-authorize.
#[derive(Debug, Clone)]
pub struct PreAuthRequest {
    pub id: String,
    pub customer_no: Option<String>,
    pub national_id: Option<NationalId>,
    pub seller_no: String,
    pub amount: Amount,
    pub currency: String,
    pub sca_status: ScaStatus,
    pub request: serde_json::Value,
}

/// What the merchant's risk assessment says about strong customer authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaStatus {
    /// No opinion: the ledger's threshold decides.
    #[default]
    None,
    Required,
    Exempted,
}

impl ScaStatus {
    /// The seed's names, matched without regard to case.
    pub fn parse(s: &str) -> Option<ScaStatus> {
        [ScaStatus::None, ScaStatus::Required, ScaStatus::Exempted]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScaStatus::None => "None",
            ScaStatus::Required => "Required",
            ScaStatus::Exempted => "Exempted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitStatus {
    Authorized,
    Captured,
    Cancelled,
    Expired,
}

impl SplitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SplitStatus::Authorized => "authorized",
            SplitStatus::Captured => "captured",
            SplitStatus::Cancelled => "cancelled",
            SplitStatus::Expired => "expired",
        }
    }
}

/// Credit held for a merchant until captured, cancelled or expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitAuthorization {
    pub id: String,
    pub authentication_id: String,
    pub account_id: i64,
    pub hold_id: i64,
    pub seller_no: String,
    pub amount: Amount,
    pub remaining: Amount,
    pub currency: String,
    pub status: SplitStatus,
    pub created_at: OffsetDateTime,
    pub valid_to: OffsetDateTime,
    /// Canonical SHA-256 of the request that created it: a retry with the same request gets
    /// the resource, another request under its id is a conflict. Absent on records older
    /// than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    pub id: String,
    pub split_id: String,
    pub account_id: i64,
    pub amount: Amount,
    pub reversed: Amount,
    pub seller_transaction_id: String,
    pub product_name: String,
    /// A part-payment plan: `months` instalments of `monthly`, from the capture date.
    pub months: u32,
    pub monthly: Amount,
    pub created_at: OffsetDateTime,
    /// Canonical SHA-256 of the request that created it: a retry with the same request gets
    /// the resource, another request under its id is a conflict. Absent on records older
    /// than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reversal {
    pub id: String,
    pub capture_id: String,
    pub amount: Amount,
    pub seller_transaction_id: String,
    pub created_at: OffsetDateTime,
    /// Canonical SHA-256 of the request that created it: a retry with the same request gets
    /// the resource, another request under its id is a conflict. Absent on records older
    /// than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_sha256: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CaptureRequest {
    pub seller_transaction_id: String,
    pub total: Amount,
    pub months: u32,
    pub monthly: Amount,
    pub product_name: String,
}

/// Why an SCA link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaRefusal {
    Unknown,
    Used,
    Expired,
}

impl Ledger {
    /// Checks the customer's credit and decides whether the consumer must approve (SCA).
    pub fn pre_authorize(
        &mut self,
        req: PreAuthRequest,
        now: OffsetDateTime,
    ) -> Result<Authentication, LedgerError> {
        if req.amount <= Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::Amount));
        }
        self.fault_in(Resource::Authentication, &req.id)?;
        if self.authentications.contains_key(&req.id) {
            return Err(LedgerError::DuplicateId(
                Entity::Authentication,
                req.id.clone(),
            ));
        }
        let customer = req
            .customer_no
            .as_ref()
            .and_then(|no| self.customer_by_no(no))
            .or_else(|| {
                req.national_id.as_ref().and_then(|nid| {
                    self.customers
                        .values()
                        .find(|c| c.national_id.as_ref() == Some(nid))
                })
            })
            .ok_or(LedgerError::NoAccount)?;
        let account = customer
            .default_account
            .and_then(|id| self.accounts.get(&id))
            .ok_or(LedgerError::NoAccount)?;
        if account.status != AccountStatus::Open {
            return Err(LedgerError::AccountNotOpen(account.status));
        }
        if account.available() < req.amount {
            return Err(LedgerError::InsufficientCredit);
        }
        let threshold = self
            .info
            .settings
            .money(&self.info.settings.sca_threshold, self.info.scale());
        let sca = match req.sca_status {
            ScaStatus::Required => true,
            ScaStatus::Exempted => false,
            ScaStatus::None => req.amount > threshold,
        };
        let auth = Authentication {
            id: req.id,
            account_id: account.id,
            amount: req.amount,
            currency: req.currency,
            seller_no: req.seller_no,
            request: req.request,
            status: if sca {
                AuthStatus::AwaitingSca
            } else {
                AuthStatus::Approved
            },
            created_at: now,
            valid_until: now
                + Duration::seconds(self.info.settings.authentication_ttl_seconds as i64),
            used_by: None,
            sca_token_sha256: None,
            sca_token_used: false,
            return_url: None,
            request_sha256: None,
        };
        self.authentications.insert(auth.id.clone(), auth.clone());
        Ok(auth)
    }

    /// Starts the consumer's approval: a one-time link (its token's hash is kept).
    pub fn start_sca(
        &mut self,
        id: &str,
        return_url: String,
        token_sha256: String,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        self.fault_in(Resource::Authentication, id)?;
        let auth = self
            .authentications
            .get(id)
            .ok_or(LedgerError::NotFound(Entity::Authentication))?;
        if auth.status != AuthStatus::AwaitingSca {
            return Err(LedgerError::AuthenticationState {
                found: auth.status,
                expected: Expected::AwaitingSca,
            });
        }
        if auth.valid_until <= now {
            return Err(LedgerError::AuthenticationExpired);
        }
        let auth = self.authentications.get_mut(id).expect("found above");
        auth.sca_token_sha256 = Some(token_sha256);
        auth.sca_token_used = false;
        auth.return_url = Some(return_url);
        Ok(())
    }

    fn by_sca_token(&self, token_sha256: &str) -> Option<&Authentication> {
        self.authentications
            .values()
            .find(|a| a.sca_token_sha256.as_deref() == Some(token_sha256))
    }

    /// The authentication an SCA link shows, if the link can still be used.
    pub fn sca_view(
        &self,
        token_sha256: &str,
        now: OffsetDateTime,
    ) -> Result<&Authentication, ScaRefusal> {
        let Some(auth) = self.by_sca_token(token_sha256) else {
            // The authentication may have left memory; a link used lately is still known.
            return Err(match self.used_links.get(token_sha256) {
                Some(valid_until) if *valid_until > now => ScaRefusal::Used,
                Some(_) => ScaRefusal::Expired,
                None => ScaRefusal::Unknown,
            });
        };
        if auth.sca_token_used {
            Err(ScaRefusal::Used)
        } else if auth.valid_until <= now {
            Err(ScaRefusal::Expired)
        } else {
            Ok(auth)
        }
    }

    /// The consumer's decision through the one-time link.
    pub fn sca_decide(
        &mut self,
        token_sha256: &str,
        approve: bool,
        now: OffsetDateTime,
    ) -> Result<Authentication, ScaRefusal> {
        let id = self.sca_view(token_sha256, now)?.id.clone();
        let auth = self.authentications.get_mut(&id).expect("found above");
        auth.sca_token_used = true;
        let valid_until = auth.valid_until;
        self.used_links
            .insert(token_sha256.to_string(), valid_until);
        let auth = self.authentications.get_mut(&id).expect("found above");
        auth.status = if approve {
            AuthStatus::Approved
        } else {
            AuthStatus::Declined
        };
        let auth = auth.clone();
        Ok(auth)
    }

    /// Holds the pre-authorized amount for the merchant.
    pub fn split_authorize(
        &mut self,
        split_id: &str,
        pre_auth_id: &str,
        now: OffsetDateTime,
    ) -> Result<SplitAuthorization, LedgerError> {
        self.fault_in(Resource::Split, split_id)?;
        self.fault_in(Resource::Authentication, pre_auth_id)?;
        if self.splits.contains_key(split_id) {
            return Err(LedgerError::DuplicateId(
                Entity::SplitAuthorization,
                split_id.to_string(),
            ));
        }
        let auth = self
            .authentications
            .get(pre_auth_id)
            .ok_or(LedgerError::NotFound(Entity::Authentication))?;
        if auth.valid_until <= now {
            return Err(LedgerError::AuthenticationExpired);
        }
        if auth.status != AuthStatus::Approved {
            return Err(LedgerError::AuthenticationState {
                found: auth.status,
                expected: Expected::Approved,
            });
        }
        if let Some(used) = &auth.used_by {
            return Err(LedgerError::AuthenticationUsed(used.clone()));
        }
        let (account_id, amount, currency, seller) = (
            auth.account_id,
            auth.amount,
            auth.currency.clone(),
            auth.seller_no.clone(),
        );
        let status = self.accounts[&account_id].status;
        if status != AccountStatus::Open {
            return Err(LedgerError::AccountNotOpen(status));
        }
        if self.accounts[&account_id].available() < amount {
            return Err(LedgerError::InsufficientCredit);
        }
        let valid_to =
            now + Duration::days(i64::from(self.info.settings.authorization_validity_days));
        let hold_id = self.new_hold(
            account_id,
            HoldKind::Authorization,
            format!("Authorization {split_id} ({seller})"),
            now,
        );
        self.adjust_hold(hold_id, amount)?;
        let hold = self.holds.get_mut(&hold_id).expect("new hold");
        hold.amount = amount;
        hold.expires_at = Some(valid_to);
        let split = SplitAuthorization {
            id: split_id.to_string(),
            authentication_id: pre_auth_id.to_string(),
            account_id,
            hold_id,
            seller_no: seller,
            amount,
            remaining: amount,
            currency,
            status: SplitStatus::Authorized,
            created_at: now,
            valid_to,
            request_sha256: None,
        };
        self.authentications
            .get_mut(pre_auth_id)
            .expect("found above")
            .used_by = Some(split_id.to_string());
        self.splits.insert(split.id.clone(), split.clone());
        Ok(split)
    }

    /// The split authorization, expired first if its time has passed (lazily, on any access).
    /// A split authorization, held or stored; one whose time ran out expires on access.
    pub fn split(
        &mut self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<SplitAuthorization>, LedgerError> {
        self.fault_in(Resource::Split, id)?;
        self.expire_split(id, now);
        Ok(self.splits.get(id).cloned())
    }

    fn expire_split(&mut self, id: &str, now: OffsetDateTime) -> bool {
        let Some(split) = self.splits.get(id) else {
            return false;
        };
        if split.status != SplitStatus::Authorized || split.valid_to > now {
            return false;
        }
        let hold_id = split.hold_id;
        if self
            .holds
            .get(&hold_id)
            .is_some_and(|h| h.status == HoldStatus::Active)
        {
            self.resolve_hold(hold_id, HoldStatus::Expired)
                .expect("releasing a hold cannot fail");
        }
        self.splits.get_mut(id).expect("found above").status = SplitStatus::Expired;
        true
    }

    /// Expires every split authorization past its `validToDate`.
    pub fn expire_authorizations(&mut self, now: OffsetDateTime) -> usize {
        let stale: Vec<String> = self
            .used_links
            .iter()
            .filter(|(_, valid_until)| **valid_until <= now)
            .map(|(token, _)| token.clone())
            .collect();
        for token in stale {
            self.used_links.remove(&token);
        }
        let due: Vec<String> = self
            .splits
            .values()
            .filter(|s| s.status == SplitStatus::Authorized && s.valid_to <= now)
            .map(|s| s.id.clone())
            .collect();
        due.iter().filter(|id| self.expire_split(id, now)).count()
    }

    pub(super) fn authorized_split(
        &mut self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<SplitAuthorization, LedgerError> {
        let split = self
            .split(id, now)?
            .ok_or(LedgerError::NotFound(Entity::SplitAuthorization))?;
        match split.status {
            SplitStatus::Authorized => Ok(split),
            other => Err(LedgerError::SplitNotAuthorized(other)),
        }
    }

    /// Releases what is left of the hold. Cancelling a cancelled authorization changes nothing.
    pub fn cancel_split(
        &mut self,
        split_id: &str,
        now: OffsetDateTime,
    ) -> Result<SplitAuthorization, LedgerError> {
        let split = self
            .split(split_id, now)?
            .ok_or(LedgerError::NotFound(Entity::SplitAuthorization))?;
        match split.status {
            SplitStatus::Cancelled => return Ok(split),
            SplitStatus::Captured | SplitStatus::Expired => {
                return Err(LedgerError::SplitNotAuthorized(split.status));
            }
            SplitStatus::Authorized => {}
        }
        self.resolve_hold(split.hold_id, HoldStatus::Released)?;
        let s = self.splits.get_mut(split_id).expect("found above");
        s.status = SplitStatus::Cancelled;
        let s = s.clone();
        Ok(s)
    }
}
