//! Bringing memory up to what other processes committed, key by key: each batch logs the keys
//! it changed (`Changes`), and a process that finds the ledger's version moved reads back only
//! those keys, not the whole ledger.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Counters, Customer, Dirty, Ledger, LedgerInfo, Snapshot, Tracked};

/// The keys one batch (or several, merged) changed, as the batch log keeps them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Changes {
    pub info: bool,
    pub customers: BTreeSet<i64>,
    pub accounts: BTreeSet<i64>,
    pub holds: BTreeSet<i64>,
    pub sessions: BTreeSet<i64>,
    pub payments: BTreeSet<i64>,
    pub recharges: BTreeSet<i64>,
    pub cards: BTreeSet<String>,
    pub bills: BTreeSet<i64>,
    /// JSON records as (kind, key).
    pub records: BTreeSet<(String, String)>,
    /// The ids in use after the batch.
    pub counters: Counters,
}

/// The stored form: versioned, so a later saldo can change it and still read older rows.
#[derive(Serialize, Deserialize)]
struct Logged {
    v: u32,
    changes: Changes,
}

const FORMAT: u32 = 1;

impl Changes {
    /// What the batch `dirty` changed, with the counters after it.
    pub fn of(dirty: &Dirty, counters: Counters) -> Changes {
        Changes {
            info: dirty.info,
            customers: dirty.customers.clone(),
            accounts: dirty.accounts.clone(),
            holds: dirty.holds.clone(),
            sessions: dirty.sessions.clone(),
            payments: dirty.payments.clone(),
            recharges: dirty.recharges.clone(),
            cards: dirty.cards.clone(),
            bills: dirty.bills.clone(),
            records: dirty
                .records
                .iter()
                .map(|(kind, key)| (kind.to_string(), key.clone()))
                .collect(),
            counters,
        }
    }

    /// Adds what a later batch changed.
    pub fn merge(&mut self, later: Changes) {
        self.info |= later.info;
        self.customers.extend(later.customers);
        self.accounts.extend(later.accounts);
        self.holds.extend(later.holds);
        self.sessions.extend(later.sessions);
        self.payments.extend(later.payments);
        self.recharges.extend(later.recharges);
        self.cards.extend(later.cards);
        self.bills.extend(later.bills);
        self.records.extend(later.records);
        self.counters = self.counters.max(later.counters);
    }

    /// How many keys; a catch-up of very many is better done as a whole reload.
    pub fn len(&self) -> usize {
        self.customers.len()
            + self.accounts.len()
            + self.holds.len()
            + self.sessions.len()
            + self.payments.len()
            + self.recharges.len()
            + self.cards.len()
            + self.bills.len()
            + self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_json(&self) -> String {
        let logged = Logged {
            v: FORMAT,
            changes: self.clone(),
        };
        serde_json::to_string(&logged).expect("changes serialize")
    }

    /// `None` for a format this saldo does not know (a newer one): reload the whole ledger.
    pub fn from_json(json: &str) -> Option<Changes> {
        let logged: Logged = serde_json::from_str(json).ok()?;
        (logged.v == FORMAT).then_some(logged.changes)
    }
}

impl Counters {
    /// The larger of each counter.
    pub fn max(self, other: Counters) -> Counters {
        Counters {
            customer: self.customer.max(other.customer),
            account: self.account.max(other.account),
            hold: self.hold.max(other.hold),
            transaction: self.transaction.max(other.transaction),
            session: self.session.max(other.session),
            payment: self.payment.max(other.payment),
            recharge: self.recharge.max(other.recharge),
            bill: self.bill.max(other.bill),
            card: self.card.max(other.card),
            event: self.event.max(other.event),
        }
    }
}

impl Ledger {
    /// The ids in use.
    pub fn counters(&self) -> Counters {
        self.last_id
    }

    /// Brings memory up to the store after other processes committed `changes`: every changed
    /// key is dropped and replaced by its row in `rows`, which holds the live rows among those
    /// keys (a key without a live row stays out, as after `compact`). Call between batches.
    pub fn catch_up(
        &mut self,
        info: LedgerInfo,
        changes: &Changes,
        rows: Snapshot,
    ) -> Result<(), String> {
        self.info = Tracked::new(info);
        self.forget_changed(changes);
        self.load_rows(rows)?;
        self.last_id = self.last_id.max(changes.counters);
        // Other processes may have numbered recharges: read the numbers again when needed.
        self.recharge_counts = Default::default();
        self.forget_derived_marks();
        self.keep_job();
        Ok(())
    }

    /// Drops every changed key from memory, with what indexes it.
    fn forget_changed(&mut self, changes: &Changes) {
        for id in &changes.customers {
            if let Some(old) = self.customers.forget(id) {
                self.unindex_customer(&old);
            }
        }
        for id in &changes.accounts {
            if let Some(old) = self.accounts.forget(id) {
                self.account_by_no.forget(&old.account_no);
            }
        }
        for id in &changes.holds {
            self.holds.forget(id);
        }
        for id in &changes.sessions {
            // The store reads a changed session back with all its payments.
            if let Some(old) = self.sessions.forget(id) {
                for payment in &old.payments {
                    self.payments.forget(payment);
                }
            }
        }
        for id in &changes.payments {
            self.payments.forget(id);
        }
        for id in &changes.recharges {
            self.recharges.forget(id);
        }
        for token in &changes.cards {
            self.cards.forget(token);
        }
        for bill_no in &changes.bills {
            self.bills.forget(bill_no);
        }
        for (kind, key) in &changes.records {
            self.forget_record(kind, key);
        }
    }

    fn unindex_customer(&mut self, c: &Customer) {
        let mine = |owner: Option<&i64>| owner == Some(&c.id);
        if mine(self.customer_by_no.get(&c.customer_no)) {
            self.customer_by_no.forget(&c.customer_no);
        }
        for handle in c.username.iter().chain(c.aliases.iter()) {
            let handle = handle.to_lowercase();
            if mine(self.by_handle.get(&handle)) {
                self.by_handle.forget(&handle);
            }
        }
        for card in &c.cards {
            if mine(self.by_card.get(card)) {
                self.by_card.forget(card);
            }
        }
        if let Some(pn) = &c.personal_number
            && mine(self.by_personal_number.get(pn))
        {
            self.by_personal_number.forget(pn);
        }
    }
}
