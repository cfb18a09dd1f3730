//! Recharge payments (SPEC §4): created, then committed as a `recharge` credit, or rolled back,
//! or expired. Commit and rollback are idempotent.

use super::{Entity, Quantity};
use time::OffsetDateTime;

use super::{AccountStatus, Ledger, LedgerError, Posting, RechargePayment, RechargeState, TxnType};
use crate::money::Amount;

/// A recharge payment as far as the writer still knows it.
enum Found<'a> {
    Created(&'a RechargePayment),
    Settled(RechargeState, Amount),
}

impl Ledger {
    /// 404 for a provider saldo does not have, 400 (invalid operation) for a disabled one.
    pub fn check_recharge_provider(&self, reference: &str) -> Result<(), LedgerError> {
        match self.info.settings.recharge_provider_enabled(reference) {
            None => Err(LedgerError::NotFound(Entity::RechargeProvider)),
            Some(false) => Err(LedgerError::ProviderDisabled),
            Some(true) => Ok(()),
        }
    }

    pub fn create_recharge(
        &mut self,
        provider: &str,
        customer_id: i64,
        amount: Amount,
        description: Option<String>,
        now: OffsetDateTime,
    ) -> Result<RechargePayment, LedgerError> {
        self.check_recharge_provider(provider)?;
        if amount <= Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::Amount));
        }
        let customer = self
            .customers
            .get(&customer_id)
            .ok_or(LedgerError::NotFound(Entity::Customer))?;
        let account_id = customer.default_account.ok_or(LedgerError::NoAccount)?;
        if self.accounts[&account_id].status == AccountStatus::Closed {
            return Err(LedgerError::AccountNotOpen(AccountStatus::Closed));
        }
        let payment_no = self.last_recharge_no(customer_id)? + 1;
        let payment = RechargePayment {
            id: Self::next_id(&mut self.last_id.recharge),
            customer_id,
            account_id,
            provider: provider.to_string(),
            amount,
            description: description.unwrap_or_default(),
            state: RechargeState::Created,
            created_at: now,
            updated_at: now,
            payment_no,
        };
        self.recharge_counts.insert(customer_id, payment_no);
        self.recharges.insert(payment.id, payment.clone());
        Ok(payment)
    }

    fn find_recharge(&self, provider: &str, id: i64) -> Result<Found<'_>, LedgerError> {
        if let Some(p) = self.recharges.get(&id).filter(|p| p.provider == provider) {
            return Ok(match p.state {
                RechargeState::Created => Found::Created(p),
                settled => Found::Settled(settled, p.amount),
            });
        }
        self.settled_recharge(id)?
            .filter(|s| s.provider == provider)
            .map(|s| Found::Settled(s.state, s.amount))
            .ok_or(LedgerError::NotFound(Entity::Recharge))
    }

    fn settled_conflict(state: RechargeState) -> LedgerError {
        LedgerError::RechargeSettled(state)
    }

    pub fn patch_recharge(
        &mut self,
        provider: &str,
        id: i64,
        amount: Amount,
        description: Option<String>,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        match self.find_recharge(provider, id)? {
            Found::Settled(state, _) => return Err(Self::settled_conflict(state)),
            Found::Created(_) => {}
        }
        if amount <= Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::Amount));
        }
        let p = self.recharges.get_mut(&id).expect("found above");
        p.amount = amount;
        if let Some(d) = description {
            p.description = d;
        }
        p.updated_at = now;
        Ok(())
    }

    /// Posts the credit once; a retry answers the same amount and posts nothing.
    pub fn commit_recharge(
        &mut self,
        provider: &str,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<Amount, LedgerError> {
        let (account_id, amount) = match self.find_recharge(provider, id)? {
            Found::Settled(RechargeState::Completed, amount) => return Ok(amount),
            Found::Settled(state, _) => return Err(Self::settled_conflict(state)),
            Found::Created(p) => (p.account_id, p.amount),
        };
        let posting = Posting {
            account_id,
            kind: TxnType::Recharge,
            amount,
            description: format!("Recharge via {provider} (payment {id})"),
            reference: format!("recharge:{id}"),
            hold: None,
        };
        self.post(posting, now)?;
        let p = self.recharges.get_mut(&id).expect("found above");
        p.state = RechargeState::Completed;
        p.updated_at = now;
        Ok(amount)
    }

    /// Cancels a created payment; the reason becomes its description. Idempotent.
    pub fn rollback_recharge(
        &mut self,
        provider: &str,
        id: i64,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        match self.find_recharge(provider, id)? {
            Found::Settled(RechargeState::Canceled, _) => return Ok(()),
            Found::Settled(_, _) => {
                return Err(LedgerError::RechargeCompleted);
            }
            Found::Created(_) => {}
        }
        self.cancel_recharge(id, reason, now);
        Ok(())
    }

    fn cancel_recharge(&mut self, id: i64, reason: Option<String>, now: OffsetDateTime) {
        let p = self.recharges.get_mut(&id).expect("a created recharge");
        p.state = RechargeState::Canceled;
        if let Some(reason) = reason {
            p.description = reason;
        }
        p.updated_at = now;
    }

    /// Cancels created payments older than the ledger's `rechargeExpirySeconds`.
    pub fn expire_recharges(&mut self, now: OffsetDateTime) -> Vec<i64> {
        let ttl = time::Duration::seconds(self.info.settings.recharge_expiry_seconds as i64);
        let expired: Vec<i64> = self
            .recharges
            .values()
            .filter(|p| p.state == RechargeState::Created && p.created_at + ttl <= now)
            .map(|p| p.id)
            .collect();
        for &id in &expired {
            self.cancel_recharge(id, Some("Expired".into()), now);
        }
        expired
    }

    pub fn recharge(&self, id: i64) -> Option<&RechargePayment> {
        self.recharges.get(&id)
    }

    /// Recharge payments still `created` (and settled ones not yet compacted).
    pub fn recharges(&self) -> impl Iterator<Item = &RechargePayment> {
        self.recharges.values()
    }
}
