//! Writing one batch of changes, every dirty row and new posting, inside the caller's
//! transaction.

use rusqlite::{Connection, params};

use super::cells::write;
use super::*;
use crate::store::columns;
use crate::store::{held, record_rows};

pub(super) fn rows(tx: &Connection, ledger: &Ledger, dirty: &Dirty) -> StoreResult<()> {
    let lid = ledger.info.id;
    if dirty.info {
        tx.prepare_cached("UPDATE ledgers SET name = ?2, settings = ?3 WHERE id = ?1")?
            .execute(params![
                lid,
                ledger.info.name,
                serde_json::to_string(&ledger.info.settings).expect("settings serialize")
            ])?;
    }
    let l = ledger;
    write(
        tx,
        lid,
        &columns::CUSTOMERS,
        held(&dirty.customers, |k| l.customer(*k)),
    )?;
    write(
        tx,
        lid,
        &columns::ACCOUNTS,
        held(&dirty.accounts, |k| l.account(*k)),
    )?;
    write(tx, lid, &columns::RECORDS, &record_rows(l, dirty))?;
    write(tx, lid, &columns::BILLS, held(&dirty.bills, |k| l.bill(*k)))?;
    write(tx, lid, &columns::CARDS, held(&dirty.cards, |k| l.card(k)))?;
    write(tx, lid, &columns::HOLDS, held(&dirty.holds, |k| l.hold(*k)))?;
    write(
        tx,
        lid,
        &columns::SESSIONS,
        held(&dirty.sessions, |k| l.session(*k)),
    )?;
    write(
        tx,
        lid,
        &columns::PAYMENTS,
        held(&dirty.payments, |k| l.payment(*k)),
    )?;
    write(
        tx,
        lid,
        &columns::RECHARGES,
        held(&dirty.recharges, |k| l.recharge(*k)),
    )?;
    write(tx, lid, &columns::TRANSACTIONS, &dirty.transactions)?;
    write(tx, lid, &columns::EVENTS, &dirty.events)?;
    // After the postings, so transactions billed in the batch that made them are found.
    for (bill_no, txns) in &dirty.billed {
        for id in txns {
            tx.prepare_cached(
                "UPDATE transactions SET billed = ?3 WHERE ledger_id = ?1 AND id = ?2 AND billed IS NULL",
            )?
            .execute(params![lid, id, bill_no])?;
        }
    }
    Ok(())
}
