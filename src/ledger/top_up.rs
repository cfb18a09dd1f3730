//! Bulk top-ups, as a print room's operator writes them (`username;amount` per line): every
//! line is checked first, and the whole file is applied in one job or not at all.

use time::OffsetDateTime;

use super::{AccountStatus, Ledger, LedgerError, Posting, TxnType};
use crate::money::Amount;

/// One line of a top-up file: `line` is its number in the file, for the operator.
#[derive(Debug, Clone)]
pub struct TopUpLine {
    pub line: u64,
    pub who: Who,
    pub amount: Amount,
}

/// Whom a top-up line credits.
#[derive(Debug, Clone)]
pub enum Who {
    /// A username or alias, in any case.
    Handle(String),
    CustomerNo(String),
}

/// A line that breaks a rule: its number, the column and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: u64,
    pub column: &'static str,
    pub rule: String,
}

/// What a top-up did, or would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopUpSummary {
    pub lines: usize,
    pub accounts: usize,
    pub total: Amount,
}

impl Ledger {
    fn top_up_customer(&self, who: &Who) -> Option<&super::Customer> {
        match who {
            Who::Handle(handle) => self.customer_by_handle(handle),
            Who::CustomerNo(no) => self.customer_by_no(no),
        }
    }

    /// Every line's problem: an unknown username or alias, a customer without an open
    /// default account, an amount not above zero, a total that overflows. Changes nothing.
    fn check_top_up(&self, lines: &[TopUpLine]) -> (Vec<LineProblem>, TopUpSummary) {
        let mut problems = Vec::new();
        let mut accounts = std::collections::HashSet::new();
        let mut total = Amount::ZERO;
        for l in lines {
            let mut problem = |column: &'static str, rule: &str| {
                problems.push(LineProblem {
                    line: l.line,
                    column,
                    rule: rule.to_string(),
                })
            };
            if l.amount <= Amount::ZERO {
                problem("amount", "must be greater than 0");
                continue;
            }
            let Some(customer) = self.top_up_customer(&l.who) else {
                match l.who {
                    Who::Handle(_) => problem(
                        "username",
                        "is no customer's username or alias in this ledger",
                    ),
                    Who::CustomerNo(_) => problem("customerNo", "is no customer of this ledger"),
                }
                continue;
            };
            let account = customer.default_account.and_then(|id| self.account(id));
            match account {
                Some(a) if a.status != AccountStatus::Closed => {
                    accounts.insert(a.id);
                }
                _ => {
                    problem("username", "has no open account");
                    continue;
                }
            }
            match total.checked_add(l.amount) {
                Ok(sum) => total = sum,
                Err(_) => problem("amount", "makes the file's total too large"),
            }
        }
        let summary = TopUpSummary {
            lines: lines.len(),
            accounts: accounts.len(),
            total,
        };
        (problems, summary)
    }

    /// Checks every line, then (unless `dry_run`) posts each as a payment to its customer's
    /// default account, all in this job: the whole file or, with any problem, nothing.
    pub fn top_up(
        &mut self,
        lines: &[TopUpLine],
        description: &str,
        dry_run: bool,
        now: OffsetDateTime,
    ) -> Result<Result<TopUpSummary, Vec<LineProblem>>, LedgerError> {
        let (problems, summary) = self.check_top_up(lines);
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        if dry_run {
            return Ok(Ok(summary));
        }
        for l in lines {
            let account_id = self
                .top_up_customer(&l.who)
                .and_then(|c| c.default_account)
                .ok_or(LedgerError::NoAccount)?;
            let posting = Posting {
                account_id,
                kind: TxnType::Payment,
                amount: l.amount,
                description: description.to_string(),
                reference: "top-up".into(),
                hold: None,
            };
            self.post(posting, now)?;
        }
        Ok(Ok(summary))
    }
}
