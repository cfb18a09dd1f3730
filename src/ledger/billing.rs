//! Bill runs (SPEC §1.6): overdue bills get a reminder with a fee; every account in debt gets
//! a bill for its unbilled transactions; payments close bills once their minimum is paid.

use std::borrow::Cow;
use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime};

use super::interest::Overdue;
use super::{Bill, BillType, Language, Ledger, LedgerError, Posting, TxnType, ocr};
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

/// What interest on one account is computed from: the postings since its last interest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterestBasis {
    /// The date of the account's last interest posting; `None` if it never had one.
    pub since: Option<Date>,
    /// The balance at the end of `since` (0 without one).
    pub opening: Amount,
    /// The sum of the postings of each day after `since`, up to the bill date, by date.
    pub days: Vec<(Date, Amount)>,
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

/// What a bill run does for one account (SPEC §1.6: at most one document per account).
enum Step {
    /// The chain's latest document is past due and unpaid: its next step, with the fee.
    Remind(i64),
    /// A new bill for the debt; an open bill not yet due is superseded by it.
    Bill {
        superseded: Option<i64>,
    },
    Nothing,
}

impl Ledger {
    /// Runs billing at `bill_date` on the writer, so it bills exactly what is committed and
    /// what this batch has posted before it; returns the documents it made. A second run for
    /// the latest bill date makes nothing; an earlier date is refused.
    pub fn bill_run(
        &mut self,
        bill_date: Date,
        now: OffsetDateTime,
    ) -> Result<Vec<Bill>, LedgerError> {
        if let Some(last) = self.last_bill_date()? {
            if bill_date == last {
                return Ok(Vec::new());
            }
            if bill_date < last {
                return Err(LedgerError::BillRunNotLater { last });
            }
        }
        let mut input = self.archived_bill_run_input(bill_date)?;
        self.add_unstored(&mut input);
        let mut accounts: Vec<i64> = self.accounts.keys().copied().collect();
        accounts.sort_unstable();
        // An account's step depends only on its own documents and postings, so all are decided
        // first, and the interest bases of those that get a document read in a few statements.
        let steps: Vec<(i64, Step)> = accounts
            .into_iter()
            .map(|a| (a, self.step(a, &input)))
            .filter(|(_, step)| !matches!(step, Step::Nothing))
            .collect();
        let mut bases = match self.interest_rates() {
            Some(_) => {
                let ids: Vec<i64> = steps.iter().map(|(a, _)| *a).collect();
                self.archived_interest_bases(&ids, bill_date)?
            }
            None => HashMap::new(),
        };
        let mut created = Vec::new();
        for (account_id, step) in steps {
            // Interest goes on the document this run makes, so only where it makes one.
            let interest = self.charge_interest(
                account_id,
                bill_date,
                self.overdue(account_id, bill_date),
                bases.remove(&account_id).unwrap_or_default(),
                now,
            )?;
            if let Some((id, amount)) = interest {
                let balance = input.balances.entry(account_id).or_default();
                *balance = balance.checked_sub(amount)?;
                input.unbilled.entry(account_id).or_default().push(id);
            }
            let made = match step {
                Step::Remind(no) => Some(self.remind(no, &mut input, interest, now)?),
                Step::Bill { superseded } => self.bill_debt(account_id, superseded, &input, now)?,
                Step::Nothing => None,
            };
            if let Some(doc) = &made {
                self.close_others(account_id, doc.bill_no);
            }
            created.extend(made);
        }
        Ok(created)
    }

    /// What of the account's debt is overdue at `date`: the unpaid minimum of its latest open
    /// document once that is past due, overdue since its chain's original bill fell due.
    fn overdue(&self, account_id: i64, date: Date) -> Option<Overdue> {
        let doc = self.open_bills_of(account_id).into_iter().next()?;
        if doc.due_date >= date {
            return None;
        }
        let due = match doc.origin {
            Some(origin) => self
                .find_bill(origin)
                .ok()
                .flatten()
                .map_or(doc.due_date, |b| b.due_date),
            None => doc.due_date,
        };
        let amount = doc.minimum.checked_sub(doc.paid).ok()?.max(Amount::ZERO);
        Some(Overdue { due, amount })
    }

    /// One open document per account: older ones (from before chains) close as superseded.
    fn close_others(&mut self, account_id: i64, keep: i64) {
        let others: Vec<i64> = self
            .open_bills_of(account_id)
            .iter()
            .map(|b| b.bill_no)
            .filter(|no| *no != keep)
            .collect();
        for no in others {
            self.bills.get_mut(&no).expect("known bill").open = false;
            self.cancel_order_of(no);
        }
    }

    /// Puts what this batch posted and billed, not yet in the store, into the run's input.
    fn add_unstored(&self, input: &mut BillRunInput) {
        let billed: std::collections::HashSet<i64> = self
            .billed
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        for list in input.unbilled.values_mut() {
            list.retain(|id| !billed.contains(id));
        }
        for t in self
            .transactions
            .iter()
            .filter(|t| t.date <= input.bill_date)
        {
            let balance = input.balances.entry(t.account_id).or_default();
            *balance = balance.checked_add(t.amount).unwrap_or(*balance);
            if t.billed.is_none() && !billed.contains(&t.id) {
                input.unbilled.entry(t.account_id).or_default().push(t.id);
            }
        }
    }

    /// The account's step in this run, decided from its chain: the latest open document.
    fn step(&self, account_id: i64, input: &BillRunInput) -> Step {
        let latest = self.open_bills_of(account_id).into_iter().next();
        if let Some(doc) = latest {
            if doc.bill_date >= input.bill_date {
                return Step::Nothing;
            }
            if doc.due_date < input.bill_date {
                // Past due and unpaid: the chain's next step; collection ends the chain.
                return match doc.bill_type.next() {
                    Some(_) => Step::Remind(doc.bill_no),
                    None => Step::Nothing,
                };
            }
            if doc.bill_type != BillType::Bill {
                // A reminder still running: the debt is in its chain until it is paid.
                return Step::Nothing;
            }
        }
        let debt = input.balances.get(&account_id).copied().unwrap_or_default();
        let news = input
            .unbilled
            .get(&account_id)
            .is_some_and(|t| !t.is_empty());
        match latest {
            _ if debt >= Amount::ZERO => Step::Nothing,
            // An open bill stands until there is something new to bill.
            Some(open) if news => Step::Bill {
                superseded: Some(open.bill_no),
            },
            Some(_) => Step::Nothing,
            None => Step::Bill { superseded: None },
        }
    }

    /// The next step of the chain whose latest document is `no`, with the ledger's fee posted
    /// in full (SPEC §1.3 lets a fee overdraw); the fee is billed on the reminder.
    fn remind(
        &mut self,
        no: i64,
        input: &mut BillRunInput,
        interest: Option<(i64, Amount)>,
        now: OffsetDateTime,
    ) -> Result<Bill, LedgerError> {
        let settings = self.info.settings.clone();
        let fee = settings.money(&settings.reminder_fee, self.info.scale());
        let previous = self.bills[&no].clone();
        let next = previous.bill_type.next().expect("a chain with a next step");
        let origin = previous.origin.unwrap_or(previous.bill_no);
        let (mut billed, interest) = match interest {
            Some((id, amount)) => (vec![id], amount),
            None => (Vec::new(), Amount::ZERO),
        };
        if fee > Amount::ZERO {
            let posting = Posting {
                account_id: previous.account_id,
                kind: TxnType::Fee,
                amount: fee.checked_neg()?,
                description: fee_description(settings.language(), next, origin),
                reference: format!("reminder-fee:{no}"),
                hold: None,
            };
            billed.push(self.post_on(posting, input.bill_date, now)?.id);
            let balance = input.balances.entry(previous.account_id).or_default();
            *balance = balance.checked_sub(fee)?;
        }
        // What is overdue, the fee and this run's interest: all of it is due by the reminder.
        let outstanding = previous
            .minimum
            .checked_sub(previous.paid)?
            .max(Amount::ZERO)
            .checked_add(interest)?;
        let due_days = i64::from(settings.reminder_due_days);
        let mut reminder = self.new_bill(
            previous.account_id,
            next,
            input.bill_date,
            input.bill_date + Duration::days(due_days),
            // The chain's debt: what is left of the bill, and this run's interest and fee.
            previous
                .amount
                .checked_sub(previous.paid)?
                .max(previous.minimum.checked_sub(previous.paid)?)
                .checked_add(interest)?
                .checked_add(fee)?,
            outstanding.checked_add(fee)?,
            fee,
        );
        reminder.origin = Some(origin);
        self.bills.insert(reminder.bill_no, reminder.clone());
        self.bills.get_mut(&no).expect("known bill").open = false;
        self.cancel_order_of(no);
        self.billed.push((reminder.bill_no, billed));
        Ok(reminder)
    }

    /// A new bill for the account's debt at the bill date, billing what was not billed
    /// before; a superseded open bill closes and its unpaid minimum is carried over.
    fn bill_debt(
        &mut self,
        account_id: i64,
        superseded: Option<i64>,
        input: &BillRunInput,
        now: OffsetDateTime,
    ) -> Result<Option<Bill>, LedgerError> {
        let settings = self.info.settings.clone();
        let scale = self.info.scale();
        let debt = input
            .balances
            .get(&account_id)
            .copied()
            .unwrap_or_default()
            .checked_neg()?;
        let carried = match superseded {
            Some(no) => {
                let old = self.bills.get_mut(&no).expect("known bill");
                old.open = false;
                let unpaid = old.minimum.checked_sub(old.paid)?.max(Amount::ZERO);
                self.cancel_order_of(no);
                unpaid
            }
            None => Amount::ZERO,
        };
        // Percent has two decimals: debt × percent / 10000, rounded up to a minor unit.
        let percent = settings.money(&settings.minimum_payment_percent, 2).minor();
        let product = i128::from(debt.minor()) * i128::from(percent);
        let share = Amount::from_minor(((product + 9_999) / 10_000) as i64);
        let floor = settings.money(&settings.minimum_payment, scale);
        let instalments = self.instalments_due(account_id, input.bill_date);
        let minimum = floor
            .max(share)
            .max(instalments)
            .checked_add(carried)?
            .min(debt);
        let bill = self.new_bill(
            account_id,
            BillType::Bill,
            input.bill_date,
            input.bill_date + Duration::days(i64::from(settings.bill_due_days)),
            debt,
            minimum,
            Amount::ZERO,
        );
        let txns = input.unbilled.get(&account_id).cloned().unwrap_or_default();
        self.billed.push((bill.bill_no, txns));
        self.order_for(&bill, now);
        Ok(Some(bill))
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
            origin: None,
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
        let mut closed = Vec::new();
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
                closed.push(no);
            }
        }
        // Paid otherwise: the bill's autogiro order is not to be drawn as well.
        for no in closed {
            self.cancel_order_of(no);
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
        if bill_no >= ocr::ACCOUNT_BASE {
            // The account's own reference.
            let account_id = bill_no - ocr::ACCOUNT_BASE;
            return Ok(self
                .accounts
                .contains_key(&account_id)
                .then_some(account_id));
        }
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

/// A reminder fee's line, in the ledger's language: it is printed on the reminder.
fn fee_description(language: Language, step: BillType, origin: i64) -> String {
    match language {
        Language::Sv => {
            let step = match step {
                BillType::Reminder2 => "andra påminnelse",
                BillType::Collection => "inkassovarsel",
                _ => "påminnelse",
            };
            format!("Påminnelseavgift, {step} för faktura {origin}")
        }
        Language::En => format!("Reminder fee, {} of bill {origin}", step.as_str()),
    }
}
