//! MyQ sessions and session payments (SPEC §3) on top of holds and postings.

use super::Entity;
use time::OffsetDateTime;

use super::{
    AccountStatus, HoldKind, HoldStatus, Ledger, LedgerError, PaymentStatus, Posting, Session,
    SessionPayment, SessionStatus, TxnType,
};
use crate::money::Amount;

/// How MyQ names the user starting a session; every field may be absent or empty.
#[derive(Debug, Clone, Default)]
pub struct Identification {
    pub username: Option<String>,
    pub aliases: Vec<String>,
    pub cards: Vec<String>,
    pub personal_number: Option<String>,
}

impl Ledger {
    /// Finds the customer in the seed's order: username (against usernames and aliases), then
    /// any alias, then any card, then the personal number.
    pub fn identify(&self, who: &Identification) -> Option<i64> {
        let non_empty = |s: &&String| !s.trim().is_empty();
        who.username
            .iter()
            .chain(who.aliases.iter())
            .filter(non_empty)
            .find_map(|h| self.by_handle.get(&h.to_lowercase()))
            .or_else(|| {
                who.cards
                    .iter()
                    .filter(non_empty)
                    .find_map(|c| self.by_card.get(c))
            })
            .or_else(|| {
                who.personal_number
                    .iter()
                    .filter(non_empty)
                    .find_map(|p| self.by_personal_number.get(p))
            })
            .copied()
    }

    pub fn open_session(
        &mut self,
        who: &Identification,
        now: OffsetDateTime,
    ) -> Result<i64, LedgerError> {
        let customer_id = self
            .identify(who)
            .ok_or(LedgerError::NotFound(Entity::Customer))?;
        let account_id = self.customers[&customer_id]
            .default_account
            .filter(|id| self.accounts[id].status == AccountStatus::Open)
            .ok_or(LedgerError::NoAccount)?;
        let id = Self::next_id(&mut self.last_id.session);
        self.sessions.insert(
            id,
            Session {
                id,
                account_id,
                status: SessionStatus::Open,
                created_at: now,
                last_activity: now,
                block_hold: None,
                payments: Vec::new(),
            },
        );
        Ok(id)
    }

    fn block_remaining(&self, session: &Session) -> Amount {
        session
            .block_hold
            .and_then(|h| self.holds.get(&h))
            .filter(|h| h.status == HoldStatus::Active)
            .map(|h| h.remaining)
            .unwrap_or_default()
    }

    /// The credit the session may still spend: the account's available credit plus what the
    /// session itself has blocked and not yet used.
    pub fn session_balance(
        &mut self,
        session_id: i64,
        now: OffsetDateTime,
    ) -> Result<Amount, LedgerError> {
        let (status, account_id) = self
            .session_state(session_id)?
            .ok_or(LedgerError::NotFound(Entity::Session))?;
        let available = self.accounts[&account_id].available();
        match status {
            SessionStatus::Ended => Ok(available),
            SessionStatus::Open => {
                let session = self.sessions.get_mut(&session_id).expect("open session");
                // Reading counts as activity for the idle timeout.
                session.last_activity = now;
                let session = &self.sessions[&session_id];
                Ok(available.checked_add(self.block_remaining(session))?)
            }
        }
    }

    /// 404 for a session this ledger never had, 409 for one that ended.
    fn ensure_open(&self, session_id: i64) -> Result<(), LedgerError> {
        match self.session_state(session_id)? {
            None => Err(LedgerError::NotFound(Entity::Session)),
            Some((SessionStatus::Ended, _)) => Err(LedgerError::SessionEnded),
            Some((SessionStatus::Open, _)) => Ok(()),
        }
    }

    /// An open session for a state-changing call, with its activity clock moved on.
    fn touch_open(
        &mut self,
        session_id: i64,
        now: OffsetDateTime,
    ) -> Result<&Session, LedgerError> {
        self.ensure_open(session_id)?;
        let session = self.sessions.get_mut(&session_id).expect("checked above");
        session.last_activity = now;
        Ok(session)
    }

    pub fn block(
        &mut self,
        session_id: i64,
        amount: Amount,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        non_negative(amount)?;
        let session = self.touch_open(session_id, now)?;
        let account_id = session.account_id;
        let existing = session.block_hold;
        if amount == Amount::ZERO {
            return Ok(());
        }
        self.ensure_account_open(account_id)?;
        if self.accounts[&account_id].available() < amount {
            return Err(LedgerError::InsufficientCredit);
        }
        let hold_id = match existing {
            Some(id) => id,
            None => {
                let id = self.new_hold(
                    account_id,
                    HoldKind::MyqBlock,
                    format!("MyQ session {session_id} block"),
                    now,
                );
                self.sessions
                    .get_mut(&session_id)
                    .expect("open session")
                    .block_hold = Some(id);
                id
            }
        };
        self.adjust_hold(hold_id, amount)?;
        let hold = self.holds.get_mut(&hold_id).expect("block hold");
        hold.amount = hold.amount.checked_add(amount)?;
        Ok(())
    }

    /// Takes `permitted` for a payment: first from the session's block, then from available.
    /// Returns how much came from the block.
    fn draw(
        &mut self,
        session_id: i64,
        payment_hold: i64,
        permitted: Amount,
    ) -> Result<Amount, LedgerError> {
        let block = self.sessions[&session_id].block_hold;
        let from_block = block
            .map(|b| self.holds[&b].remaining.min(permitted))
            .unwrap_or_default();
        if let Some(b) = block {
            self.adjust_hold(b, from_block.checked_neg()?)?;
        }
        self.adjust_hold(payment_hold, permitted)?;
        let hold = self.holds.get_mut(&payment_hold).expect("payment hold");
        hold.amount = permitted;
        Ok(from_block)
    }

    /// Gives a payment's hold back: the part drawn from the block returns to it.
    fn undraw(&mut self, payment_id: i64) -> Result<(), LedgerError> {
        let payment = &self.payments[&payment_id];
        let (hold_id, from_block) = (
            payment.hold_id.expect("uncommitted payment hold"),
            payment.from_block,
        );
        let block = self.sessions[&payment.session_id].block_hold;
        let remaining = self.holds[&hold_id].remaining;
        self.adjust_hold(hold_id, remaining.checked_neg()?)?;
        if let Some(b) = block.filter(|_| from_block > Amount::ZERO) {
            self.adjust_hold(b, from_block)?;
            let p = self.payments.get_mut(&payment_id).expect("payment");
            p.from_block = Amount::ZERO;
        }
        Ok(())
    }

    pub fn create_payment(
        &mut self,
        session_id: i64,
        amount: Amount,
        now: OffsetDateTime,
    ) -> Result<SessionPayment, LedgerError> {
        non_negative(amount)?;
        let session = self.touch_open(session_id, now)?;
        let account_id = session.account_id;
        self.ensure_account_open(account_id)?;
        let balance = self.session_balance(session_id, now)?;
        let permitted = amount.min(balance);
        let id = Self::next_id(&mut self.last_id.payment);
        let hold_id = self.new_hold(
            account_id,
            HoldKind::MyqPayment,
            format!("MyQ session {session_id} payment {id}"),
            now,
        );
        let from_block = self.draw(session_id, hold_id, permitted)?;
        let payment = SessionPayment {
            id,
            session_id,
            requested: amount,
            permitted,
            from_block,
            hold_id: Some(hold_id),
            status: PaymentStatus::Uncommitted,
        };
        self.sessions
            .get_mut(&session_id)
            .expect("open session")
            .payments
            .push(id);
        self.payments.insert(id, payment.clone());
        Ok(payment)
    }

    fn payment_of(&self, session_id: i64, payment_id: i64) -> Result<&SessionPayment, LedgerError> {
        self.payments
            .get(&payment_id)
            .filter(|p| p.session_id == session_id)
            .ok_or(LedgerError::NotFound(Entity::SessionPayment))
    }

    /// Session first (an ended session answers 409 whatever the payment), then the payment.
    fn open_payment(
        &mut self,
        session_id: i64,
        payment_id: i64,
        now: OffsetDateTime,
    ) -> Result<SessionPayment, LedgerError> {
        self.ensure_open(session_id)?;
        let payment = self.payment_of(session_id, payment_id)?.clone();
        self.touch_open(session_id, now)?;
        Ok(payment)
    }

    pub fn patch_payment(
        &mut self,
        session_id: i64,
        payment_id: i64,
        amount: Amount,
        now: OffsetDateTime,
    ) -> Result<SessionPayment, LedgerError> {
        non_negative(amount)?;
        let payment = self.open_payment(session_id, payment_id, now)?;
        if payment.status != PaymentStatus::Uncommitted {
            return Err(LedgerError::PaymentSettled(payment.status));
        }
        self.ensure_account_open(self.sessions[&session_id].account_id)?;
        self.undraw(payment_id)?;
        let balance = self.session_balance(session_id, now)?;
        let permitted = amount.min(balance);
        let hold_id = payment.hold_id.expect("uncommitted payment hold");
        let from_block = self.draw(session_id, hold_id, permitted)?;
        let p = self.payments.get_mut(&payment_id).expect("payment");
        p.requested = amount;
        p.permitted = permitted;
        p.from_block = from_block;
        Ok(p.clone())
    }

    pub fn commit_payment(
        &mut self,
        session_id: i64,
        payment_id: i64,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        let payment = self.open_payment(session_id, payment_id, now)?;
        match payment.status {
            PaymentStatus::Committed => return Ok(()),
            PaymentStatus::RolledBack | PaymentStatus::Reversed => {
                return Err(LedgerError::PaymentSettled(payment.status));
            }
            PaymentStatus::Uncommitted => {}
        }
        let hold_id = payment.hold_id.expect("uncommitted payment hold");
        let account_id = self.holds[&hold_id].account_id;
        // Capture: the hold's remainder becomes a posted debit; available does not move.
        self.resolve_hold(hold_id, HoldStatus::Captured)?;
        if payment.permitted > Amount::ZERO {
            let posting = Posting {
                account_id,
                kind: TxnType::Purchase,
                amount: payment.permitted.checked_neg()?,
                description: format!("MyQ session {session_id} payment {payment_id}"),
                reference: format!("myq-payment:{payment_id}"),
                hold: Some((hold_id, self.holds[&hold_id].created_at)),
            };
            self.post(posting, now)?;
        }
        let p = self.payments.get_mut(&payment_id).expect("payment");
        p.status = PaymentStatus::Committed;
        p.from_block = Amount::ZERO;
        Ok(())
    }

    pub fn rollback_payment(
        &mut self,
        session_id: i64,
        payment_id: i64,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        let payment = self.open_payment(session_id, payment_id, now)?;
        match payment.status {
            PaymentStatus::RolledBack | PaymentStatus::Reversed => return Ok(()),
            PaymentStatus::Uncommitted => {
                self.undraw(payment_id)?;
                let hold_id = payment.hold_id.expect("uncommitted payment hold");
                self.resolve_hold(hold_id, HoldStatus::Released)?;
                self.payments.get_mut(&payment_id).expect("payment").status =
                    PaymentStatus::RolledBack;
            }
            PaymentStatus::Committed => {
                let account_id = self.sessions[&session_id].account_id;
                if payment.permitted > Amount::ZERO {
                    let posting = Posting {
                        account_id,
                        kind: TxnType::Reversal,
                        amount: payment.permitted,
                        description: format!(
                            "Rollback of MyQ session {session_id} payment {payment_id}"
                        ),
                        reference: format!("myq-payment-rollback:{payment_id}"),
                        hold: None,
                    };
                    self.post(posting, now)?;
                }
                self.payments.get_mut(&payment_id).expect("payment").status =
                    PaymentStatus::Reversed;
            }
        }
        Ok(())
    }

    /// Ends a session: releases its block and every uncommitted payment. Idempotent.
    pub fn end_session(
        &mut self,
        session_id: i64,
        _now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        match self.ensure_open(session_id) {
            Err(LedgerError::SessionEnded) => return Ok(()),
            other => other?,
        }
        let session = &self.sessions[&session_id];
        let (block, payments) = (session.block_hold, session.payments.clone());
        for pid in payments {
            if self.payments[&pid].status == PaymentStatus::Uncommitted {
                let hold_id = self.payments[&pid]
                    .hold_id
                    .expect("uncommitted payment hold");
                self.resolve_hold(hold_id, HoldStatus::Released)?;
                let p = self.payments.get_mut(&pid).expect("payment");
                p.status = PaymentStatus::RolledBack;
                p.from_block = Amount::ZERO;
            }
        }
        if let Some(b) = block {
            self.resolve_hold(b, HoldStatus::Released)?;
        }
        self.sessions.get_mut(&session_id).expect("session").status = SessionStatus::Ended;
        Ok(())
    }

    /// Ends every open session idle for the ledger's timeout, as if DELETE had been called.
    pub fn end_idle_sessions(&mut self, now: OffsetDateTime) -> Vec<i64> {
        let timeout =
            time::Duration::seconds(self.info.settings.session_idle_timeout_seconds as i64);
        let idle: Vec<i64> = self
            .sessions
            .values()
            .filter(|s| s.status == SessionStatus::Open && s.last_activity + timeout <= now)
            .map(|s| s.id)
            .collect();
        for &id in &idle {
            self.end_session(id, now)
                .expect("ending an open session cannot fail");
        }
        idle
    }
}

/// MyQ amounts are at least 0; the API refuses a negative one before it gets here, and so does
/// the core, rather than drawing a hold below zero.
fn non_negative(amount: Amount) -> Result<(), LedgerError> {
    if amount < Amount::ZERO {
        return Err(LedgerError::NegativeAmount);
    }
    Ok(())
}
