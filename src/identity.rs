//! Identity checks for public onboarding (SPEC §6): a pluggable provider. The built-in test
//! provider approves through a saldo-hosted page, standing in for BankID.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ledger::NationalId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityStatus {
    Pending,
    Complete,
    Failed,
}

impl IdentityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityStatus::Pending => "pending",
            IdentityStatus::Complete => "complete",
            IdentityStatus::Failed => "failed",
        }
    }
}

/// A started identity check.
#[derive(Debug, Clone)]
pub struct IdentityOrder {
    pub order_ref: String,
    /// Where to send the person, a path on this server for hosted providers.
    pub redirect_path: String,
}

pub trait IdentityProvider: Send + Sync + 'static {
    /// Starts checking that the person at hand is `who`.
    fn begin(&self, ledger_id: i64, who: &NationalId) -> IdentityOrder;
    /// The check's state, if the order belongs to the ledger.
    fn status(&self, ledger_id: i64, order_ref: &str) -> Option<(IdentityStatus, NationalId)>;
    /// Records the person's answer, for providers whose approval page saldo hosts. Returns the
    /// state after it, or `None` for an unknown order.
    fn answer(&self, order_ref: &str, approve: bool) -> Option<IdentityStatus>;
}

/// Approves whoever presses Approve on saldo's page: for tests and demos only.
#[derive(Default)]
pub struct TestIdentityProvider {
    orders: Mutex<HashMap<String, (i64, NationalId, IdentityStatus)>>,
}

impl IdentityProvider for TestIdentityProvider {
    fn begin(&self, ledger_id: i64, who: &NationalId) -> IdentityOrder {
        let order_ref = uuid::Uuid::new_v4().to_string();
        self.orders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                order_ref.clone(),
                (ledger_id, who.clone(), IdentityStatus::Pending),
            );
        IdentityOrder {
            redirect_path: format!("/ledger/public-account-transaction/v1/identity/{order_ref}"),
            order_ref,
        }
    }

    fn status(&self, ledger_id: i64, order_ref: &str) -> Option<(IdentityStatus, NationalId)> {
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let (ledger, who, status) = orders.get(order_ref)?;
        (*ledger == ledger_id).then(|| (*status, who.clone()))
    }

    fn answer(&self, order_ref: &str, approve: bool) -> Option<IdentityStatus> {
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let (_, _, status) = orders.get_mut(order_ref)?;
        if *status == IdentityStatus::Pending {
            *status = if approve {
                IdentityStatus::Complete
            } else {
                IdentityStatus::Failed
            };
        }
        Some(*status)
    }
}
