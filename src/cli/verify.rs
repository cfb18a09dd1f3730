//! `saldo verify`: the full audit of every ledger (SPEC §1.3), kept out of start-up because it
//! reads every posting. It reads consistent snapshots, so it may run beside a serving saldo.

use crate::ledger::Ledger;

use super::serve::DatabaseArgs;

/// Checks every ledger; prints one line per ledger as it goes, and fails naming each broken
/// rule.
pub fn run(db: &DatabaseArgs) -> anyhow::Result<()> {
    let store = db.open()?;
    let ledgers = store.ledgers()?;
    let total = ledgers.len();
    let mut broken = Vec::new();
    for (n, info) in ledgers.into_iter().enumerate() {
        let (id, no) = (info.id, info.ledger_no.clone());
        let snapshot = store.load(id)?;
        let (accounts, holds) = (snapshot.accounts.len(), snapshot.holds.len());
        // Reserved equals the active holds, no hold out of range, nothing overdrawn but by
        // the charges on a debt (SPEC §1.3).
        let mut found: Vec<String> = Ledger::restore(info, snapshot).err().into_iter().collect();
        // Every balance equals the sum of its postings.
        found.extend(store.unbalanced_accounts(id)?.into_iter().map(|account| {
            format!("ledger {no}: account {account}: balance differs from the sum of its postings")
        }));
        let verdict = if found.is_empty() { "ok" } else { "BROKEN" };
        println!(
            "[{}/{total}] ledger {no}: {accounts} accounts, {holds} active holds: {verdict}",
            n + 1
        );
        broken.extend(found);
    }
    if broken.is_empty() {
        println!(
            "verified {total} ledgers: every balance equals the sum of its postings, reserved \
             equals the active holds, nothing is overdrawn but by charges on a debt"
        );
        return Ok(());
    }
    for rule in &broken {
        println!("broken: {rule}");
    }
    anyhow::bail!("{} broken rule(s) found", broken.len())
}
