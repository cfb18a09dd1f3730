//! Bill runs (SPEC §1.6): overdue bills get a reminder with a fee; every account in debt gets
//! a bill for its unbilled transactions; payments close bills once their minimum is paid.

use std::borrow::Cow;
use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime};

use super::{Bill, BillType, Ledger, LedgerError, Posting, TxnType, ocr};
use crate::money::Amount;

/// What the store knows at the bill date, read in one snapshot before the run.
#[derive(Debug, Clone)]
pub struct BillRunInput {
    pub bill_date: Date,
    /// Each account's balance counting only transactions dated on or before the bill date.
    pub balances: HashMap<i64, Amount>,
    /// Unbilled transactions dated on or before the bill date, by account.
    pub unbilled: HashMap<i64, Vec<i64>>,
}

impl BillRunInput {
    pub fn new(bill_date: Date) -> Self {
        BillRunInput {
            bill_date,
            balances: HashMap::new(),
            unbilled: HashMap::new(),
        }
    }
}

impl Ledger {
    /// Runs billing at `bill_date`; returns the bills and reminders it created.
    pub fn bill_run(
        &mut self,
        mut input: BillRunInput,
        now: OffsetDateTime,
    ) -> Result<Vec<Bill>, LedgerError> {
        let bill_date = input.bill_date;
        if let Some(last) = self.last_bill_date()?
            && bill_date <= last
        {
            return Err(LedgerError::BillRunNotLater { last });
        }
        let scale = self.info.scale();
        let settings = self.info.settings.clone();
        let fee = settings.money(&settings.reminder_fee, scale);
        let mut created = Vec::new();

        let mut overdue: Vec<i64> = self
            .bills
            .values()
            .filter(|b| b.open && b.due_date < bill_date && b.bill_type.next().is_some())
            .map(|b| b.bill_no)
            .collect();
        overdue.sort_unstable();
        for no in overdue {
            let previous = self.bills[&no].clone();
            let next = previous.bill_type.next().expect("filtered above");
            // Nothing may overdraw (SPEC §1.3), a fee neither: it is charged up to what is left.
            let charged = fee
                .min(self.accounts[&previous.account_id].available())
                .max(Amount::ZERO);
            if charged > Amount::ZERO {
                let posting = Posting {
                    account_id: previous.account_id,
                    kind: TxnType::Fee,
                    amount: charged.checked_neg()?,
                    description: format!(
                        "Reminder fee, {} {}",
                        next.as_str(),
                        previous.bill_type.id(no)
                    ),
                    reference: format!("reminder-fee:{no}"),
                    hold: None,
                };
                let fee_txn = self.post(posting, now)?;
                // The fee belongs to this run's bill of the account, like any other posting.
                let balance = input.balances.entry(previous.account_id).or_default();
                *balance = balance.checked_sub(charged)?;
                input
                    .unbilled
                    .entry(previous.account_id)
                    .or_default()
                    .push(fee_txn.id);
            }
            let outstanding = previous.minimum.checked_sub(previous.paid)?;
            let reminder = self.new_bill(
                previous.account_id,
                next,
                bill_date,
                bill_date + Duration::days(i64::from(settings.reminder_due_days)),
                previous
                    .amount
                    .checked_sub(previous.paid)?
                    .max(outstanding)
                    .checked_add(charged)?,
                outstanding.checked_add(charged)?,
                charged,
            );
            // The reminder takes the overdue bill's place as what is to be paid.
            let old = self.bills.get_mut(&no).expect("known bill");
            old.open = false;
            created.push(reminder);
        }

        let mut in_debt: Vec<(i64, Amount)> = input
            .balances
            .iter()
            .filter(|(_, b)| **b < Amount::ZERO)
            .map(|(a, b)| (*a, *b))
            .collect();
        in_debt.sort_unstable_by_key(|(a, _)| *a);
        let percent = settings.money(&settings.minimum_payment_percent, 2).minor();
        let floor = settings.money(&settings.minimum_payment, scale);
        for (account_id, balance) in in_debt {
            if !self.accounts.contains_key(&account_id) {
                continue;
            }
            let debt = balance.checked_neg()?;
            // Percent has two decimals: debt × percent / 10000, rounded up to a minor unit.
            let product = i128::from(debt.minor()) * i128::from(percent);
            let share = Amount::from_minor(((product + 9_999) / 10_000) as i64);
            let instalments = self.instalments_due(account_id, bill_date);
            let minimum = floor.max(share).max(instalments).min(debt);
            let bill = self.new_bill(
                account_id,
                BillType::Bill,
                bill_date,
                bill_date + Duration::days(i64::from(settings.bill_due_days)),
                debt,
                minimum,
                Amount::ZERO,
            );
            let txns = input.unbilled.get(&account_id).cloned().unwrap_or_default();
            self.billed.push((bill.bill_no, txns));
            created.push(bill);
        }
        Ok(created)
    }

    #[allow(clippy::too_many_arguments)]
    fn new_bill(
        &mut self,
        account_id: i64,
        bill_type: BillType,
        bill_date: Date,
        due_date: Date,
        amount: Amount,
        minimum: Amount,
        fee: Amount,
    ) -> Bill {
        let bill_no = Self::next_id(&mut self.last_id.bill);
        let bill = Bill {
            bill_no,
            account_id,
            bill_type,
            bill_date,
            due_date,
            amount,
            minimum,
            paid: Amount::ZERO,
            open: minimum > Amount::ZERO,
            reference: ocr::reference(&self.info.ledger_no, bill_no),
            fee,
        };
        self.bills.insert(bill_no, bill.clone());
        bill
    }

    /// Counts money received towards the account's open bills, the one whose reference the
    /// payer gave first, then the oldest; a bill closes when its minimum is paid.
    pub(super) fn apply_payment_to_bills(
        &mut self,
        account_id: i64,
        amount: Amount,
        reference: Option<&str>,
    ) {
        let mut open: Vec<i64> = self
            .bills
            .values()
            .filter(|b| b.open && b.account_id == account_id)
            .map(|b| b.bill_no)
            .collect();
        open.sort_by_key(|no| (Some(self.bills[no].reference.as_str()) != reference, *no));
        let mut left = amount;
        for no in open {
            if left <= Amount::ZERO {
                break;
            }
            let bill = self.bills.get_mut(&no).expect("known bill");
            let due = bill.minimum.checked_sub(bill.paid).unwrap_or_default();
            let applied = left.min(due);
            bill.paid = bill.paid.checked_add(applied).unwrap_or(bill.paid);
            left = left.checked_sub(applied).unwrap_or_default();
            if bill.paid >= bill.minimum {
                bill.open = false;
            }
        }
    }

    /// The account of the bill that carries this OCR reference, open or closed.
    pub fn account_of_reference(&self, reference: &str) -> Result<Option<i64>, LedgerError> {
        if let Some(b) = self.bills.values().find(|b| b.reference == reference) {
            return Ok(Some(b.account_id));
        }
        let Some(bill_no) = ocr::bill_no(&self.info.ledger_no, reference) else {
            return Ok(None);
        };
        Ok(self
            .find_bill(bill_no)?
            .filter(|b| b.reference == reference)
            .map(|b| b.account_id))
    }

    /// The bills held: every open one, and those closed in the current batch.
    pub fn bills(&self) -> impl Iterator<Item = &Bill> {
        self.bills.values()
    }

    /// A held bill (see `bills`); `find_bill` also reads closed ones from the store.
    pub fn bill(&self, bill_no: i64) -> Option<&Bill> {
        self.bills.get(&bill_no)
    }

    /// A bill, held or stored.
    pub fn find_bill(&self, bill_no: i64) -> Result<Option<Cow<'_, Bill>>, LedgerError> {
        if let Some(b) = self.bills.get(&bill_no) {
            return Ok(Some(Cow::Borrowed(b)));
        }
        Ok(self.archived_bill(bill_no)?.map(Cow::Owned))
    }

    /// The account's open bills, newest first.
    pub fn open_bills_of(&self, account_id: i64) -> Vec<&Bill> {
        let mut bills: Vec<&Bill> = self
            .bills
            .values()
            .filter(|b| b.account_id == account_id && b.open)
            .collect();
        bills.sort_by_key(|b| std::cmp::Reverse(b.bill_no));
        bills
    }

    /// The latest bill date of any bill run: held bills, or the store's.
    fn last_bill_date(&self) -> Result<Option<Date>, LedgerError> {
        let held = self.bills.values().map(|b| b.bill_date).max();
        Ok(held.max(self.archived_last_bill_date()?))
    }

    /// Whether the account has an open reminder or collection notice.
    pub fn has_open_reminder(&self, account_id: i64) -> bool {
        self.bills
            .values()
            .any(|b| b.account_id == account_id && b.open && b.bill_type != BillType::Bill)
    }
}
