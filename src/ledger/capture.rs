//! Captures of split authorizations (with part-payment plans) and their reversals.

use time::OffsetDateTime;

use super::*;
use crate::money::Amount;

impl Ledger {
    pub fn capture(
        &mut self,
        split_id: &str,
        capture_id: &str,
        req: CaptureRequest,
        now: OffsetDateTime,
    ) -> Result<Capture, LedgerError> {
        let key = capture_key(split_id, capture_id);
        self.fault_in(Resource::Capture, &key)?;
        if self.captures.contains_key(&key) {
            return Err(LedgerError::DuplicateId(
                Entity::Capture,
                capture_id.to_string(),
            ));
        }
        let split = self.authorized_split(split_id, now)?;
        if req.total <= Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::CaptureTotal));
        }
        if req.total > split.remaining {
            return Err(LedgerError::ExceedsAuthorized);
        }
        let hold = self.holds[&split.hold_id].clone();
        // The captured part leaves the hold and becomes a posted purchase; available is unchanged.
        self.adjust_hold(split.hold_id, req.total.checked_neg()?)?;
        let remaining = split.remaining.checked_sub(req.total)?;
        if remaining == Amount::ZERO {
            self.resolve_hold(split.hold_id, HoldStatus::Captured)?;
        }
        let posting = Posting {
            account_id: split.account_id,
            kind: TxnType::Purchase,
            amount: req.total.checked_neg()?,
            description: req.product_name.clone(),
            reference: format!("capture:{capture_id}"),
            hold: Some((hold.id, hold.created_at)),
        };
        self.post(posting, now)?;
        let s = self.splits.get_mut(split_id).expect("found above");
        s.remaining = remaining;
        if remaining == Amount::ZERO {
            s.status = SplitStatus::Captured;
        }
        let capture = Capture {
            id: capture_id.to_string(),
            split_id: split_id.to_string(),
            account_id: split.account_id,
            amount: req.total,
            reversed: Amount::ZERO,
            seller_transaction_id: req.seller_transaction_id,
            product_name: req.product_name,
            months: req.months,
            monthly: req.monthly,
            created_at: now,
            request_sha256: None,
        };
        self.captures.insert(key, capture.clone());
        Ok(capture)
    }

    /// The reversal `reversal_id` of the capture `capture_id` of the split `split_id`.
    pub fn reversal_of(
        &self,
        split_id: &str,
        capture_id: &str,
        reversal_id: &str,
    ) -> Option<&Reversal> {
        self.reversals
            .get(&reversal_key(split_id, capture_id, reversal_id))
    }

    pub fn reverse(
        &mut self,
        split_id: &str,
        capture_id: &str,
        reversal_id: &str,
        amount: Amount,
        seller_transaction_id: String,
        now: OffsetDateTime,
    ) -> Result<Reversal, LedgerError> {
        let key = reversal_key(split_id, capture_id, reversal_id);
        let of_capture = capture_key(split_id, capture_id);
        self.fault_in(Resource::Reversal, &key)?;
        self.fault_in(Resource::Capture, &of_capture)?;
        self.fault_in(Resource::Split, split_id)?;
        if self.reversals.contains_key(&key) {
            return Err(LedgerError::DuplicateId(
                Entity::Reversal,
                reversal_id.to_string(),
            ));
        }
        let capture = self
            .captures
            .get(&of_capture)
            .ok_or(LedgerError::NotFound(Entity::Capture))?
            .clone();
        if amount <= Amount::ZERO {
            return Err(LedgerError::NotPositive(Quantity::Amount));
        }
        let reversible = capture.amount.checked_sub(capture.reversed)?;
        if amount > reversible {
            return Err(LedgerError::ExceedsReversible {
                reversible,
                scale: self.info.scale(),
            });
        }
        let posting = Posting {
            account_id: capture.account_id,
            kind: TxnType::Credit,
            amount,
            description: format!("Reversal of {}", capture.product_name),
            reference: format!("reversal:{reversal_id}"),
            hold: None,
        };
        self.post(posting, now)?;
        self.captures
            .get_mut(&of_capture)
            .expect("found above")
            .reversed = capture.reversed.checked_add(amount)?;
        let reversal = Reversal {
            id: reversal_id.to_string(),
            capture_id: capture_id.to_string(),
            amount,
            seller_transaction_id,
            created_at: now,
            request_sha256: None,
        };
        self.reversals.insert(key, reversal.clone());
        Ok(reversal)
    }

    /// Part-payment instalments of the account falling due in the month of `date`.
    pub fn instalments_due(&self, account_id: i64, date: time::Date) -> Amount {
        self.captures
            .values()
            .filter(|c| c.account_id == account_id && c.months > 0)
            .filter(|c| {
                let start = c.created_at.date();
                let months_since = (date.year() - start.year()) * 12
                    + i32::from(u8::from(date.month()))
                    - i32::from(u8::from(start.month()));
                months_since >= 1 && months_since <= c.months as i32
            })
            .fold(Amount::ZERO, |sum, c| {
                sum.checked_add(c.monthly).unwrap_or(sum)
            })
    }
}
