//! Interest (SPEC §1.6): accrued per day on the debt at `debtInterest` (yearly %), and at
//! `penaltyInterest` instead on the overdue part after the due date, posted at a bill run for
//! the days since the account's last interest posting.

use time::{Date, Duration, OffsetDateTime};

use super::{InterestBasis, Language, Ledger, LedgerError, Posting, TxnType};
use crate::money::Amount;

/// Rates in hundredths of a percent a year, over 365 days, give this denominator.
const PER_YEAR: i128 = 365 * 100 * 100;

/// The overdue part of a debt: at most `amount`, from the day after `due`.
#[derive(Debug, Clone, Copy)]
pub struct Overdue {
    pub due: Date,
    pub amount: Amount,
}

/// Interest on the days `(since, until]` (from the first posting when there is no `since`),
/// in minor units rounded half up, with the days it covers.
pub fn accrued(
    basis: &InterestBasis,
    until: Date,
    debt_rate: i64,
    penalty_rate: i64,
    overdue: Option<Overdue>,
) -> Option<(Amount, Date, Date)> {
    let first = match basis.since {
        Some(since) => since + Duration::days(1),
        None => basis.days.first()?.0,
    };
    let mut balance = i128::from(basis.opening.minor());
    let mut moves = basis.days.iter().peekable();
    let mut numerator: i128 = 0;
    let mut day = first;
    while day <= until {
        while let Some((_, amount)) = moves.next_if(|(d, _)| *d <= day) {
            balance += i128::from(amount.minor());
        }
        let debt = (-balance).max(0);
        let late = match overdue {
            Some(o) if day > o.due => debt.min(i128::from(o.amount.minor())),
            _ => 0,
        };
        numerator += (debt - late) * i128::from(debt_rate) + late * i128::from(penalty_rate);
        day += Duration::days(1);
    }
    let minor = i64::try_from((numerator + PER_YEAR / 2) / PER_YEAR).ok()?;
    (minor > 0).then(|| (Amount::from_minor(minor), first, until))
}

impl Ledger {
    /// Posts the account's interest up to the bill date, dated the bill date so that the next
    /// run starts from it; returns the posting's id and amount.
    /// `basis` is what the store held for the account (`InterestBasis::default()` if nothing).
    pub(super) fn charge_interest(
        &mut self,
        account_id: i64,
        bill_date: Date,
        overdue: Option<Overdue>,
        mut basis: InterestBasis,
        now: OffsetDateTime,
    ) -> Result<Option<(i64, Amount)>, LedgerError> {
        let Some((debt_rate, penalty_rate)) = self.interest_rates() else {
            return Ok(None);
        };
        let settings = &self.info.settings;
        self.add_unstored_days(account_id, bill_date, &mut basis);
        let Some((interest, from, to)) =
            accrued(&basis, bill_date, debt_rate, penalty_rate, overdue)
        else {
            return Ok(None);
        };
        let rate = |r: i64| Amount::from_minor(r).fixed(2);
        let (debt, penalty) = (rate(debt_rate), rate(penalty_rate));
        // Written in the ledger's language: it is a line on the customer's document.
        let description = match settings.language() {
            Language::Sv => format!(
                "Ränta {from} till {to} ({} % på skulden, {} % förfallet)",
                debt.replace('.', ","),
                penalty.replace('.', ",")
            ),
            Language::En => {
                format!("Interest {from} to {to} ({debt} % on the debt, {penalty} % overdue)")
            }
        };
        let posting = Posting {
            account_id,
            kind: TxnType::Interest,
            amount: interest.checked_neg()?,
            description,
            reference: format!("interest:{to}"),
            hold: None,
        };
        let txn = self.post_on(posting, bill_date, now)?;
        Ok(Some((txn.id, interest)))
    }

    /// The ledger's debt and penalty rates in hundredths of a percent; `None` if both are 0.
    pub(super) fn interest_rates(&self) -> Option<(i64, i64)> {
        let settings = &self.info.settings;
        let debt = settings.money(&settings.debt_interest_rate, 2).minor();
        let penalty = settings.money(&settings.penalty_interest_rate, 2).minor();
        (debt != 0 || penalty != 0).then_some((debt, penalty))
    }

    /// The postings this batch made for the account, not yet stored, in the basis.
    fn add_unstored_days(&self, account_id: i64, until: Date, basis: &mut InterestBasis) {
        for t in self
            .transactions
            .iter()
            .filter(|t| t.account_id == account_id && t.date <= until)
        {
            if basis.since.is_some_and(|since| t.date <= since) {
                basis.opening = basis.opening.checked_add(t.amount).unwrap_or(basis.opening);
                continue;
            }
            match basis.days.binary_search_by_key(&t.date, |(d, _)| *d) {
                Ok(at) => {
                    let day = &mut basis.days[at].1;
                    *day = day.checked_add(t.amount).unwrap_or(*day);
                }
                Err(at) => basis.days.insert(at, (t.date, t.amount)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn basis(opening: i64, days: &[(Date, i64)]) -> InterestBasis {
        InterestBasis {
            since: Some(date!(2027 - 01 - 01)),
            opening: Amount::from_minor(opening),
            days: days
                .iter()
                .map(|(d, a)| (*d, Amount::from_minor(*a)))
                .collect(),
        }
    }

    #[test]
    fn a_month_of_debt_at_ten_percent_is_worked_out_by_hand() {
        // 1,000.00 owed for the 31 days of January at 10.00 %: 1000 × 0.10 × 31 / 365 = 8.4931…
        let b = basis(-100_000, &[]);
        let (interest, from, to) = accrued(
            &InterestBasis {
                since: Some(date!(2026 - 12 - 31)),
                ..b
            },
            date!(2027 - 01 - 31),
            1000,
            0,
            None,
        )
        .unwrap();
        assert_eq!(
            (interest.minor(), from, to),
            (849, date!(2027 - 01 - 01), date!(2027 - 01 - 31))
        );
    }

    #[test]
    fn the_debt_of_each_day_counts_and_credit_earns_nothing() {
        // 500.00 owed from Jan 11 to Jan 20 (10 days), paid off with 100.00 to spare on
        // Jan 21; credit earns nothing: 500 × 0.20 × 10 / 365 = 2.7397… → 2.74.
        let b = basis(
            0,
            &[
                (date!(2027 - 01 - 11), -50_000),
                (date!(2027 - 01 - 21), 60_000),
            ],
        );
        let (interest, ..) = accrued(&b, date!(2027 - 01 - 31), 2000, 0, None).unwrap();
        assert_eq!(interest.minor(), 274);
    }

    #[test]
    fn the_overdue_part_bears_the_penalty_rate_instead_after_the_due_date() {
        // 1,000.00 owed for Jan 2..31 (30 days); 200.00 of it overdue after Jan 21 (10 days):
        // 800 × 0.10 × 10 + 200 × 0.25 × 10 + 1000 × 0.10 × 20, over 365:
        // (800 + 500 + 2000) / 365 = 9.0410… → 9.04.
        let b = basis(-100_000, &[]);
        let overdue = Overdue {
            due: date!(2027 - 01 - 21),
            amount: Amount::from_minor(20_000),
        };
        let (interest, ..) = accrued(&b, date!(2027 - 01 - 31), 1000, 2500, Some(overdue)).unwrap();
        assert_eq!(interest.minor(), 904);
    }

    #[test]
    fn nothing_owed_or_no_days_is_no_interest() {
        assert_eq!(
            accrued(&basis(5_000, &[]), date!(2027 - 01 - 31), 1000, 1000, None),
            None
        );
        assert_eq!(
            accrued(&basis(-5_000, &[]), date!(2027 - 01 - 01), 1000, 1000, None),
            None
        );
    }
}
