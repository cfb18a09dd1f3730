//! The figures a document shows, worked out from the bill and the transactions billed on it,
//! so that what it says is exactly what was posted. Every figure is what it adds to the
//! customer's debt: a purchase is positive, a payment negative.

use crate::ledger::{Bill, Transaction, TxnType};
use crate::money::{Amount, Overflow};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// The debt before this document's transactions.
    pub previous: Amount,
    pub payments: Amount,
    pub purchases: Amount,
    pub credits: Amount,
    /// The operator's corrections, either way.
    pub adjustments: Amount,
    pub fees: Amount,
    pub interest: Amount,
    /// The debt at the bill date: the bill's amount.
    pub new_balance: Amount,
}

impl Summary {
    pub fn of(bill: &Bill, transactions: &[Transaction]) -> Result<Summary, Overflow> {
        let mut s = Summary {
            new_balance: bill.amount,
            ..Summary::default()
        };
        let mut moved = Amount::ZERO;
        for t in transactions {
            let debt = t.amount.checked_neg()?;
            let figure = match t.kind {
                TxnType::Purchase => &mut s.purchases,
                TxnType::Payment | TxnType::Recharge => &mut s.payments,
                TxnType::Credit | TxnType::Reversal => &mut s.credits,
                TxnType::Adjustment => &mut s.adjustments,
                TxnType::Fee => &mut s.fees,
                TxnType::Interest => &mut s.interest,
            };
            *figure = figure.checked_add(debt)?;
            moved = moved.checked_add(debt)?;
        }
        s.previous = bill.amount.checked_sub(moved)?;
        Ok(s)
    }

    /// For a reminder: what was overdue before its fee and interest were added.
    pub fn overdue(&self, bill: &Bill) -> Result<Amount, Overflow> {
        Ok(bill
            .minimum
            .checked_sub(self.fees)?
            .checked_sub(self.interest)?
            .max(Amount::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::BillType;
    use time::macros::{date, datetime};

    fn txn(id: i64, kind: TxnType, minor: i64) -> Transaction {
        Transaction {
            id,
            account_id: 1,
            kind,
            amount: Amount::from_minor(minor),
            date: date!(2026 - 11 - 01),
            created_at: datetime!(2026-11-01 10:00 UTC),
            description: String::new(),
            reserve_date: None,
            billed: Some(1),
            hold_id: None,
            reference: String::new(),
        }
    }

    fn bill(amount: i64, minimum: i64) -> Bill {
        Bill {
            bill_no: 1,
            account_id: 1,
            bill_type: BillType::Bill,
            bill_date: date!(2026 - 11 - 30),
            due_date: date!(2026 - 12 - 30),
            amount: Amount::from_minor(amount),
            minimum: Amount::from_minor(minimum),
            paid: Amount::ZERO,
            open: true,
            reference: "1".into(),
            fee: Amount::ZERO,
            origin: None,
        }
    }

    #[test]
    fn the_figures_add_up_from_the_previous_balance_to_the_new() {
        let txns = [
            txn(1, TxnType::Payment, 30_000),
            txn(2, TxnType::Purchase, -12_000),
            txn(3, TxnType::Purchase, -500),
            txn(4, TxnType::Reversal, 500),
            txn(5, TxnType::Interest, -123),
            txn(6, TxnType::Fee, -6_000),
        ];
        let s = Summary::of(&bill(50_000, 10_000), &txns).unwrap();
        assert_eq!(s.payments, Amount::from_minor(-30_000));
        assert_eq!(s.purchases, Amount::from_minor(12_500));
        assert_eq!(s.credits, Amount::from_minor(-500));
        assert_eq!(s.interest, Amount::from_minor(123));
        assert_eq!(s.fees, Amount::from_minor(6_000));
        // 50 000 - (−30 000 + 12 500 − 500 + 123 + 6 000)
        assert_eq!(s.previous, Amount::from_minor(61_877));
    }

    #[test]
    fn a_reminders_overdue_part_is_its_minimum_without_fee_and_interest() {
        let txns = [
            txn(1, TxnType::Fee, -6_000),
            txn(2, TxnType::Interest, -250),
        ];
        let mut reminder = bill(40_000, 16_250);
        reminder.bill_type = BillType::Reminder1;
        let s = Summary::of(&reminder, &txns).unwrap();
        assert_eq!(s.overdue(&reminder).unwrap(), Amount::from_minor(10_000));
    }
}
