//! Importing customers from an operator's file: an upsert by customer number, so running the
//! same file again changes nothing. Every row is tried in one job; with any problem (or for a
//! dry run) the job is refused, and so undone whole.

use time::OffsetDateTime;

use super::{CustomerChange, Ledger, LedgerError, NewAccount, NewCustomer};
use crate::money::Amount;

/// One row: the customer as it should be, and its default account's credit limit. A field
/// is `None` when the file has no such column: it is left as it is.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: u64,
    pub customer_no: String,
    pub name: String,
    pub email: Option<Option<String>>,
    pub username: Option<Option<String>>,
    pub cards: Option<Vec<String>>,
    pub credit_limit: Option<Amount>,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Why an import's job is undone: the rows the ledger refused (line, why), or a dry run's
/// findings.
#[derive(Debug)]
pub enum ImportUndone {
    Problems(Vec<(u64, LedgerError)>),
    DryRun(ImportSummary),
}

impl Ledger {
    /// Makes every row's customer and default account as the row says.
    pub fn import_customers(
        &mut self,
        rows: Vec<ImportRow>,
        dry_run: bool,
        now: OffsetDateTime,
    ) -> Result<ImportSummary, ImportUndone> {
        let mut summary = ImportSummary::default();
        let mut problems = Vec::new();
        for row in rows {
            let line = row.line;
            match self.import_row(row, now) {
                Ok(Some(true)) => summary.created += 1,
                Ok(Some(false)) => summary.updated += 1,
                Ok(None) => summary.unchanged += 1,
                Err(e) => problems.push((line, e)),
            }
        }
        if !problems.is_empty() {
            return Err(ImportUndone::Problems(problems));
        }
        if dry_run {
            return Err(ImportUndone::DryRun(summary));
        }
        Ok(summary)
    }

    /// `Some(true)` created, `Some(false)` changed, `None` already so.
    fn import_row(
        &mut self,
        row: ImportRow,
        now: OffsetDateTime,
    ) -> Result<Option<bool>, LedgerError> {
        let Some(existing) = self.customer_by_no(&row.customer_no).cloned() else {
            self.create_customer(NewCustomer {
                customer_no: row.customer_no.clone(),
                name: row.name,
                email: row.email.flatten(),
                msisdn: None,
                national_id: None,
                username: row.username.flatten(),
                aliases: Vec::new(),
                cards: row.cards.unwrap_or_default(),
                personal_number: None,
                address: None,
            })?;
            self.open_imported_account(row.customer_no, row.credit_limit, now)?;
            return Ok(Some(true));
        };
        let changed = self.update_customer(
            &row.customer_no,
            CustomerChange {
                name: Some(row.name),
                email: row.email,
                username: row.username,
                cards: row.cards,
                ..CustomerChange::default()
            },
        )?;
        let mut differs = changed != existing;
        match existing
            .default_account
            .and_then(|id| self.account(id))
            .cloned()
        {
            Some(account) => {
                if let Some(limit) = row.credit_limit.filter(|l| *l != account.credit_limit) {
                    self.operate_account(&account.account_no, Some(limit), false, None)?;
                    differs = true;
                }
            }
            None => {
                self.open_imported_account(row.customer_no, row.credit_limit, now)?;
                differs = true;
            }
        }
        Ok(differs.then_some(false))
    }

    /// The default account an imported customer gets, with the row's limit (0 without one).
    fn open_imported_account(
        &mut self,
        customer_no: String,
        credit_limit: Option<Amount>,
        now: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        let account = NewAccount {
            customer_no,
            account_no: None,
            credit_limit: credit_limit.unwrap_or(Amount::ZERO),
            profile_type: None,
            alias: None,
            description: None,
        };
        self.create_account(account, now).map(|_| ())
    }
}
