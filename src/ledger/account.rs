//! Account operations of the Credit Account API (SPEC §5): closing, credit limits, charity
//! donation, recurring payments, and cards.

use super::{AccountStatus, Card, HoldStatus, Ledger, LedgerError, NationalId, RecurringSetting};
use super::{Entity, RecurringRule};
use crate::money::Amount;

/// The outcome of an application for a higher credit limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDecision {
    pub approved: bool,
    pub reason: Option<String>,
    pub credit_limit: Amount,
}

/// A card as a client posts it.
#[derive(Debug, Clone)]
pub struct NewCard {
    pub token: String,
    pub pan_trunc: Option<String>,
    pub deleted: bool,
    pub main_card: bool,
    pub holder_number: Option<String>,
    pub holder_name: Option<String>,
    pub holder_national_id: Option<NationalId>,
}

pub const RECURRING_SCOPES: [&str; 3] = ["fixedRecurring", "totalDebt", "billedAmount"];

/// Cards an account may have, deleted ones included: every card is held in memory.
pub const MAX_CARDS_PER_ACCOUNT: usize = 100;

impl Ledger {
    pub(super) fn account_id(&self, account_no: &str) -> Result<i64, LedgerError> {
        self.account_by_no
            .get(account_no)
            .copied()
            .ok_or(LedgerError::NotFound(Entity::Account))
    }

    /// 409 unless the account takes new holds and purchases.
    pub(super) fn ensure_account_open(&self, account_id: i64) -> Result<(), LedgerError> {
        match self.accounts[&account_id].status {
            AccountStatus::Open => Ok(()),
            other => Err(LedgerError::AccountNotOpen(other)),
        }
    }

    /// A pending-close account closes once nothing is owed or held.
    pub(super) fn close_if_settled(&mut self, account_id: i64) {
        let account = &self.accounts[&account_id];
        if account.status != AccountStatus::PendingClose
            || account.balance != Amount::ZERO
            || self
                .holds
                .values()
                .any(|h| h.account_id == account_id && h.status == HoldStatus::Active)
        {
            return;
        }
        self.accounts
            .get_mut(&account_id)
            .expect("known account")
            .status = AccountStatus::Closed;
    }

    /// `open` → `pending-close`, closing at once if already settled. Idempotent.
    pub fn request_close(&mut self, account_no: &str) -> Result<AccountStatus, LedgerError> {
        let id = self.account_id(account_no)?;
        let account = self.accounts.get_mut(&id).expect("indexed account");
        if account.status == AccountStatus::Open {
            account.status = AccountStatus::PendingClose;
        }
        self.close_if_settled(id);
        Ok(self.accounts[&id].status)
    }

    /// A credit limit must cover what the account already owes and holds.
    fn check_limit_covers(&self, id: i64, limit: Amount) -> Result<(), LedgerError> {
        if limit.is_negative() {
            return Err(LedgerError::NegativeCreditLimit);
        }
        let account = &self.accounts[&id];
        let owed_and_reserved = account.reserved.checked_sub(account.balance)?;
        if limit < owed_and_reserved {
            return Err(LedgerError::CreditLimitBelowOwed {
                owed_and_reserved,
                scale: self.info.scale(),
            });
        }
        Ok(())
    }

    /// What the operator may change of an account: the credit limit either way (never below
    /// what is owed and reserved), and making it its customer's default account.
    pub fn operate_account(
        &mut self,
        account_no: &str,
        credit_limit: Option<Amount>,
        make_default: bool,
        low_balance_threshold: Option<Option<Amount>>,
    ) -> Result<super::Account, LedgerError> {
        let id = self.account_id(account_no)?;
        if self.accounts[&id].status == AccountStatus::Closed {
            return Err(LedgerError::AccountNotOpen(AccountStatus::Closed));
        }
        if let Some(threshold) = low_balance_threshold {
            self.accounts
                .get_mut(&id)
                .expect("indexed account")
                .low_balance_threshold = threshold;
        }
        if let Some(limit) = credit_limit {
            self.check_limit_covers(id, limit)?;
            self.accounts
                .get_mut(&id)
                .expect("indexed account")
                .credit_limit = limit;
        }
        if make_default {
            let customer_id = self.accounts[&id].customer_id;
            self.customers
                .get_mut(&customer_id)
                .expect("an account's customer")
                .default_account = Some(id);
        }
        Ok(self.accounts[&id].clone())
    }

    /// Changes what a customer may change: a lower credit limit and charity donation.
    pub fn patch_account(
        &mut self,
        account_no: &str,
        credit_limit: Option<Amount>,
        charity_donation: Option<bool>,
    ) -> Result<(), LedgerError> {
        let id = self.account_id(account_no)?;
        if let Some(limit) = credit_limit {
            if limit > self.accounts[&id].credit_limit {
                return Err(LedgerError::CreditLimitRaise);
            }
            self.check_limit_covers(id, limit)?;
        }
        let account = self.accounts.get_mut(&id).expect("indexed account");
        if let Some(limit) = credit_limit {
            account.credit_limit = limit;
        }
        if let Some(donate) = charity_donation {
            account.charity_donation = donate;
        }
        Ok(())
    }

    /// Decides an application for a higher limit by the ledger's policy; approval raises it.
    pub fn apply_for_credit_limit(
        &mut self,
        account_no: &str,
        requested: Amount,
    ) -> Result<LimitDecision, LedgerError> {
        let id = self.account_id(account_no)?;
        self.ensure_account_open(id)?;
        let max = self.info.settings.max_credit_limit(self.info.scale());
        let current = self.accounts[&id].credit_limit;
        let reason = if requested <= current {
            Some(format!(
                "The requested limit is not above the current one ({})",
                current.fixed(self.info.scale())
            ))
        } else if requested > max {
            Some(format!(
                "The ledger grants at most {}",
                max.fixed(self.info.scale())
            ))
        } else if self.has_open_reminder(id) {
            Some("The account has a bill in reminder".to_string())
        } else {
            None
        };
        if reason.is_none() {
            self.accounts
                .get_mut(&id)
                .expect("indexed account")
                .credit_limit = requested;
        }
        Ok(LimitDecision {
            approved: reason.is_none(),
            reason,
            credit_limit: self.accounts[&id].credit_limit,
        })
    }

    pub fn set_recurring(
        &mut self,
        account_no: &str,
        setting: RecurringSetting,
    ) -> Result<(), LedgerError> {
        let id = self.account_id(account_no)?;
        if setting.method != "autogiro" {
            return Err(LedgerError::Recurring(RecurringRule::Method));
        }
        if !RECURRING_SCOPES.contains(&setting.scope.as_str()) {
            return Err(LedgerError::Recurring(RecurringRule::Scope));
        }
        let fixed = setting.fixed_amount.unwrap_or_default();
        if setting.scope == "fixedRecurring" && fixed <= Amount::ZERO {
            return Err(LedgerError::Recurring(RecurringRule::FixedAmount));
        }
        self.accounts
            .get_mut(&id)
            .expect("indexed account")
            .recurring = Some(setting);
        Ok(())
    }

    pub fn add_card(&mut self, account_no: &str, new: NewCard) -> Result<Card, LedgerError> {
        let id = self.account_id(account_no)?;
        self.ensure_account_open(id)?;
        if self.cards_of(id).len() >= MAX_CARDS_PER_ACCOUNT {
            return Err(LedgerError::CardLimit {
                max: MAX_CARDS_PER_ACCOUNT,
            });
        }
        if self.cards.contains_key(&new.token) {
            return Err(LedgerError::DuplicateId(Entity::Card, new.token));
        }
        if new.main_card
            && !new.deleted
            && self.cards_of(id).iter().any(|c| c.main_card && !c.deleted)
        {
            return Err(LedgerError::MainCardExists);
        }
        let seq = Self::next_id(&mut self.last_id.card);
        let card = Card {
            token: new.token,
            seq,
            account_id: id,
            pan_trunc: new.pan_trunc,
            deleted: new.deleted,
            main_card: new.main_card,
            holder_number: new.holder_number,
            holder_name: new.holder_name,
            holder_national_id: new.holder_national_id,
        };
        self.cards.insert(card.token.clone(), card.clone());
        Ok(card)
    }

    /// Marks a card deleted or not; undeleting a main card must not make two.
    pub fn set_card_deleted(
        &mut self,
        account_no: &str,
        token: &str,
        deleted: bool,
    ) -> Result<Card, LedgerError> {
        let id = self.account_id(account_no)?;
        let card = self
            .cards
            .get(token)
            .filter(|c| c.account_id == id)
            .ok_or(LedgerError::NotFound(Entity::Card))?;
        if !deleted
            && card.deleted
            && card.main_card
            && self.cards_of(id).iter().any(|c| c.main_card && !c.deleted)
        {
            return Err(LedgerError::MainCardExists);
        }
        let card = self.cards.get_mut(token).expect("found above");
        card.deleted = deleted;
        Ok(card.clone())
    }

    /// The account's cards in the order they were added.
    pub fn cards_of(&self, account_id: i64) -> Vec<&Card> {
        let mut cards: Vec<&Card> = self
            .cards
            .values()
            .filter(|c| c.account_id == account_id)
            .collect();
        cards.sort_by_key(|c| c.seq);
        cards
    }

    pub fn cards(&self) -> impl Iterator<Item = &Card> {
        self.cards.values()
    }

    pub fn card(&self, token: &str) -> Option<&Card> {
        self.cards.get(token)
    }

    /// The account's active holds, newest first.
    pub fn active_holds_of(&self, account_id: i64) -> Vec<&super::Hold> {
        let mut holds: Vec<&super::Hold> = self
            .holds
            .values()
            .filter(|h| {
                h.account_id == account_id
                    && h.status == HoldStatus::Active
                    && h.remaining > Amount::ZERO
            })
            .collect();
        holds.sort_by_key(|h| std::cmp::Reverse(h.id));
        holds
    }
}
