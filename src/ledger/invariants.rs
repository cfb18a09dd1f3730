//! SPEC §1.3 checked over the whole in-memory state.

use std::collections::HashMap;

use super::*;
use crate::money::Amount;

impl Ledger {
    /// Checks SPEC §1.3 over the whole in-memory state: reserved equals the active holds,
    /// nothing is overdrawn but by debt (reminder fees and interest are posted in full, SPEC
    /// §1.3's one exception), every index points at what it names.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut reserved: HashMap<i64, Amount> = HashMap::new();
        for hold in self.holds.values() {
            if hold.remaining < Amount::ZERO || hold.remaining > hold.amount {
                return Err(format!(
                    "hold {} has remaining {} of {}",
                    hold.id, hold.remaining, hold.amount
                ));
            }
            if hold.status == HoldStatus::Active {
                let sum = reserved.entry(hold.account_id).or_default();
                *sum = sum.checked_add(hold.remaining).map_err(|e| e.to_string())?;
            } else if hold.remaining != Amount::ZERO {
                return Err(format!("resolved hold {} still has a remainder", hold.id));
            }
        }
        for account in self.accounts.values() {
            let expected = reserved.get(&account.id).copied().unwrap_or_default();
            if account.reserved != expected {
                return Err(format!(
                    "account {} reserved {} but its active holds sum to {expected}",
                    account.account_no, account.reserved
                ));
            }
            // Charges may take available below zero, and only charges for a debt: an account
            // in credit is never overdrawn.
            if account.available() < Amount::ZERO && account.balance >= Amount::ZERO {
                return Err(format!("account {} is overdrawn", account.account_no));
            }
            if account.credit_limit < Amount::ZERO {
                return Err(format!(
                    "account {} has a negative limit",
                    account.account_no
                ));
            }
        }
        for (no, id) in &self.account_by_no {
            if self.accounts.get(id).map(|a| &a.account_no) != Some(no) {
                return Err(format!("account index {no} is stale"));
            }
        }
        Ok(())
    }

    /// Accounts whose available credit is below zero. Only reminder fees and interest may put
    /// one there; where a test posts neither, this must be empty.
    pub fn overdrawn_accounts(&self) -> Vec<&str> {
        self.accounts
            .values()
            .filter(|a| a.available() < Amount::ZERO)
            .map(|a| a.account_no.as_str())
            .collect()
    }
}
