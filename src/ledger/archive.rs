//! What reached a final state leaves memory once it is stored, and is read back from the store
//! when a request names it. The ledger reaches the store only through this trait, so the core
//! stays free of I/O: the engine hands each ledger an archive backed by its store.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use time::Date;

use super::{Bill, BillRunInput, InterestBasis, Ledger, LedgerError, Resource, SettledRecharge};

/// Accounts whose interest basis one store read fetches: a bill run over many accounts reads
/// them in a few statements, each of bounded size.
const INTEREST_BASES_PER_READ: usize = 1000;

/// Point reads of committed state, outside the writer's batch: what they find was committed
/// before the batch began, and nothing else writes it meanwhile (the batch holds the lock).
pub trait Archive: Send + Sync {
    /// The stored JSON of the record of `kind` under `key`.
    fn record(&self, ledger_id: i64, kind: &str, key: &str) -> Result<Option<String>, String>;
    /// The account of an ended MyQ session.
    fn ended_session(&self, ledger_id: i64, id: i64) -> Result<Option<i64>, String>;
    /// A completed or canceled recharge payment.
    fn settled_recharge(&self, ledger_id: i64, id: i64) -> Result<Option<SettledRecharge>, String>;
    /// The highest payment number of a customer's stored recharges; 0 if there are none.
    fn last_recharge_no(&self, ledger_id: i64, customer_id: i64) -> Result<i64, String>;
    /// A stored bill or reminder.
    fn bill(&self, ledger_id: i64, bill_no: i64) -> Result<Option<Bill>, String>;
    /// The latest bill date of the stored bills.
    fn last_bill_date(&self, ledger_id: i64) -> Result<Option<Date>, String>;
    /// Balances and unbilled transactions at a bill date, as committed.
    fn bill_run_input(&self, ledger_id: i64, bill_date: Date) -> Result<BillRunInput, String>;
    /// Each account's postings since its last interest, up to `until`, as committed, in one
    /// snapshot; an account without postings may be left out.
    fn interest_bases(
        &self,
        ledger_id: i64,
        accounts: &[i64],
        until: Date,
    ) -> Result<HashMap<i64, InterestBasis>, String>;
}

/// The ledger's way to its archive, and what it read back from it; not part of the ledger's
/// state (two ledgers are equal whatever their archives hold).
#[derive(Clone, Default)]
pub(super) struct Cold {
    archive: Option<Arc<dyn Archive>>,
    /// Records read back into the tables, to let go of once the batch is stored.
    pub faulted: Vec<(Resource, String)>,
    /// Records this batch looked for and the store does not have: a new id is looked up once,
    /// not by every step that checks it. Valid until the batch ends, as the batch holds the
    /// ledger's lock.
    pub absent: HashSet<(Resource, String)>,
}

impl PartialEq for Cold {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Cold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cold")
            .field("archive", &self.archive.is_some())
            .field("faulted", &self.faulted.len())
            .finish()
    }
}

fn unavailable(e: String) -> LedgerError {
    LedgerError::Unavailable(e)
}

impl Ledger {
    pub fn set_archive(&mut self, archive: Arc<dyn Archive>) {
        self.cold.archive = Some(archive);
    }

    pub fn archive(&self) -> Option<Arc<dyn Archive>> {
        self.cold.archive.clone()
    }

    /// A stored record of `kind` under `key`, parsed.
    pub(super) fn archived<T: DeserializeOwned>(
        &self,
        kind: Resource,
        key: &str,
    ) -> Result<Option<T>, LedgerError> {
        let Some(archive) = &self.cold.archive else {
            return Ok(None);
        };
        if self.cold.absent.contains(&(kind, key.to_string())) {
            return Ok(None);
        }
        let Some(json) = archive
            .record(self.info.id, kind.stored_kind(), key)
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        super::records::parse_record(kind.stored_kind(), key, &json)
            .map(Some)
            .map_err(|e| unavailable(format!("unreadable: {e}")))
    }

    /// Brings the record of `kind` under `key` back into memory if it is stored but not held,
    /// so an operation can act on it.
    pub fn fault_in(&mut self, kind: Resource, key: &str) -> Result<(), LedgerError> {
        if self.holds_record(kind, key) {
            return Ok(());
        }
        let key = key.to_string();
        let found = match kind {
            Resource::Authentication => self
                .archived(kind, &key)?
                .map(|r| self.authentications.load(key.clone(), r)),
            Resource::Split => self
                .archived(kind, &key)?
                .map(|r| self.splits.load(key.clone(), r)),
            Resource::Capture => self
                .archived(kind, &key)?
                .map(|r| self.captures.load(key.clone(), r)),
            Resource::Reversal => self
                .archived(kind, &key)?
                .map(|r| self.reversals.load(key.clone(), r)),
            Resource::Application => self
                .archived(kind, &key)?
                .map(|r| self.applications.load(key.clone(), r)),
            Resource::PaymentOrder => self
                .archived(kind, &key)?
                .map(|r| self.payment_orders.load(key.clone(), r)),
            Resource::AdminAnswer => self
                .archived(kind, &key)?
                .map(|r| self.admin_answers.load(key.clone(), r)),
        };
        if found.is_some() {
            self.cold.faulted.push((kind, key));
        } else {
            self.cold.absent.insert((kind, key));
        }
        Ok(())
    }

    /// An authentication, held or stored.
    pub fn authentication(
        &self,
        id: &str,
    ) -> Result<Option<Cow<'_, super::Authentication>>, LedgerError> {
        match self.authentications.get(id) {
            Some(a) => Ok(Some(Cow::Borrowed(a))),
            None => Ok(self.archived(Resource::Authentication, id)?.map(Cow::Owned)),
        }
    }

    /// The capture `capture_id` of the split authorization `split_id`, held or stored.
    pub fn capture_of(
        &self,
        split_id: &str,
        capture_id: &str,
    ) -> Result<Option<Cow<'_, super::Capture>>, LedgerError> {
        let key = super::capture_key(split_id, capture_id);
        Ok(match self.captures.get(&key) {
            Some(c) => Some(Cow::Borrowed(c)),
            None => self.archived(Resource::Capture, &key)?.map(Cow::Owned),
        })
    }

    /// The reversal `reversal_id` of the capture `capture_id` of `split_id`, held or stored.
    pub fn reversal(
        &self,
        split_id: &str,
        capture_id: &str,
        reversal_id: &str,
    ) -> Result<Option<Cow<'_, super::Reversal>>, LedgerError> {
        let key = super::reversal_key(split_id, capture_id, reversal_id);
        Ok(match self.reversals.get(&key) {
            Some(r) => Some(Cow::Borrowed(r)),
            None => self.archived(Resource::Reversal, &key)?.map(Cow::Owned),
        })
    }

    /// A session's status and account, held (open, or ended in this batch) or stored.
    pub fn session_state(
        &self,
        id: i64,
    ) -> Result<Option<(super::SessionStatus, i64)>, LedgerError> {
        if let Some(s) = self.sessions.get(&id) {
            return Ok(Some((s.status, s.account_id)));
        }
        let Some(archive) = &self.cold.archive else {
            return Ok(None);
        };
        let account = archive
            .ended_session(self.info.id, id)
            .map_err(unavailable)?;
        Ok(account.map(|a| (super::SessionStatus::Ended, a)))
    }

    /// The customer's last recharge payment number: counted in memory once known, read from
    /// the store the first time (start-up does not count every customer's recharges).
    pub(super) fn last_recharge_no(&self, customer_id: i64) -> Result<i64, LedgerError> {
        if let Some(n) = self.recharge_counts.get(&customer_id) {
            return Ok(*n);
        }
        match &self.cold.archive {
            Some(archive) => archive
                .last_recharge_no(self.info.id, customer_id)
                .map_err(unavailable),
            None => Ok(0),
        }
    }

    /// A bill from the store (closed ones are not held).
    pub(super) fn archived_bill(&self, bill_no: i64) -> Result<Option<Bill>, LedgerError> {
        match &self.cold.archive {
            Some(archive) => archive.bill(self.info.id, bill_no).map_err(unavailable),
            None => Ok(None),
        }
    }

    /// What the store holds for a bill run at `bill_date`; nothing without a store.
    pub(super) fn archived_bill_run_input(
        &self,
        bill_date: Date,
    ) -> Result<BillRunInput, LedgerError> {
        match &self.cold.archive {
            Some(archive) => archive
                .bill_run_input(self.info.id, bill_date)
                .map_err(unavailable),
            None => Ok(BillRunInput::new(bill_date)),
        }
    }

    /// What the store holds for interest on the accounts up to `until`, read a bounded number
    /// of accounts at a time; nothing without a store.
    pub(super) fn archived_interest_bases(
        &self,
        accounts: &[i64],
        until: Date,
    ) -> Result<HashMap<i64, InterestBasis>, LedgerError> {
        let mut bases = HashMap::new();
        let Some(archive) = &self.cold.archive else {
            return Ok(bases);
        };
        for chunk in accounts.chunks(INTEREST_BASES_PER_READ) {
            bases.extend(
                archive
                    .interest_bases(self.info.id, chunk, until)
                    .map_err(unavailable)?,
            );
        }
        Ok(bases)
    }

    pub(super) fn archived_last_bill_date(&self) -> Result<Option<Date>, LedgerError> {
        match &self.cold.archive {
            Some(archive) => archive.last_bill_date(self.info.id).map_err(unavailable),
            None => Ok(None),
        }
    }

    /// A completed or canceled recharge payment, from the store.
    pub(super) fn settled_recharge(&self, id: i64) -> Result<Option<SettledRecharge>, LedgerError> {
        match &self.cold.archive {
            Some(archive) => archive
                .settled_recharge(self.info.id, id)
                .map_err(unavailable),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ledger::{LedgerInfo, Settings};

    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl Archive for Counting {
        fn record(&self, _: i64, _: &str, _: &str) -> Result<Option<String>, String> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(None)
        }
        fn ended_session(&self, _: i64, _: i64) -> Result<Option<i64>, String> {
            Ok(None)
        }
        fn settled_recharge(&self, _: i64, _: i64) -> Result<Option<SettledRecharge>, String> {
            Ok(None)
        }
        fn last_recharge_no(&self, _: i64, _: i64) -> Result<i64, String> {
            Ok(0)
        }
        fn bill(&self, _: i64, _: i64) -> Result<Option<Bill>, String> {
            Ok(None)
        }
        fn last_bill_date(&self, _: i64) -> Result<Option<Date>, String> {
            Ok(None)
        }
        fn bill_run_input(&self, _: i64, bill_date: Date) -> Result<BillRunInput, String> {
            Ok(BillRunInput::new(bill_date))
        }
        fn interest_bases(
            &self,
            _: i64,
            _: &[i64],
            _: Date,
        ) -> Result<HashMap<i64, InterestBasis>, String> {
            Ok(HashMap::new())
        }
    }

    #[test]
    fn a_missing_record_is_looked_up_once_per_batch() {
        let mut l = Ledger::new(LedgerInfo {
            id: 1,
            ledger_no: "1".into(),
            name: "n".into(),
            currency: "SEK".into(),
            settings: Settings::default(),
        });
        let archive = Arc::new(Counting::default());
        l.set_archive(archive.clone());
        l.fault_in(Resource::Split, "s1").unwrap();
        l.fault_in(Resource::Split, "s1").unwrap();
        assert!(
            l.split("s1", time::OffsetDateTime::UNIX_EPOCH)
                .unwrap()
                .is_none()
        );
        assert_eq!(archive.0.load(Ordering::Relaxed), 1);
        // After the batch, the store may have it (another process may write): ask again.
        let dirty = l.take_dirty();
        l.compact(&dirty);
        l.fault_in(Resource::Split, "s1").unwrap();
        assert_eq!(archive.0.load(Ordering::Relaxed), 2);
    }
}
