//! Autogiro payment orders (SPEC §1.6): each new bill of an account with an autogiro setting
//! gets one, executed on the bill's due date; a bank-file tool exports them and the operator
//! marks each executed (the payment is posted) or failed.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{Bill, Entity, Ledger, LedgerError, Posting, Resource, TxnType};
use crate::money::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStatus {
    Pending,
    Executed,
    Failed,
    /// Its bill closed before it was executed (paid or superseded).
    Canceled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Executed => "executed",
            OrderStatus::Failed => "failed",
            OrderStatus::Canceled => "canceled",
        }
    }
}

/// One per bill, so the bill's number is the order's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentOrder {
    pub bill_no: i64,
    pub account_id: i64,
    pub amount: Amount,
    pub execution_date: Date,
    pub status: OrderStatus,
    pub created_at: OffsetDateTime,
}

impl Ledger {
    /// The order the account's recurring setting makes for a new bill, if it is autogiro:
    /// the bill's minimum, the whole debt, or the fixed amount (at most the debt).
    pub(super) fn order_for(&mut self, bill: &Bill, now: OffsetDateTime) {
        let Some(setting) = self
            .accounts
            .get(&bill.account_id)
            .and_then(|a| a.recurring.clone())
        else {
            return;
        };
        if !setting.method.eq_ignore_ascii_case("autogiro") {
            return;
        }
        let amount = match setting.scope.as_str() {
            "totalDebt" => bill.amount,
            "fixedRecurring" => setting.fixed_amount.unwrap_or_default().min(bill.amount),
            _ => bill.minimum,
        };
        if amount <= Amount::ZERO {
            return;
        }
        let order = PaymentOrder {
            bill_no: bill.bill_no,
            account_id: bill.account_id,
            amount,
            execution_date: bill.due_date,
            status: OrderStatus::Pending,
            created_at: now,
        };
        self.payment_orders.insert(bill.bill_no.to_string(), order);
    }

    /// A bill closed: its order, if still pending, will not be executed.
    pub(super) fn cancel_order_of(&mut self, bill_no: i64) {
        let key = bill_no.to_string();
        if self
            .payment_orders
            .get(&key)
            .is_some_and(|o| o.status == OrderStatus::Pending)
            && let Some(order) = self.payment_orders.get_mut(&key)
        {
            order.status = OrderStatus::Canceled;
        }
    }

    /// Pending orders (all held in memory), by execution date then bill; `due` keeps those to
    /// be executed on or before it, `account` those of one account.
    pub fn pending_orders(&self, due: Option<Date>, account: Option<i64>) -> Vec<&PaymentOrder> {
        let mut orders: Vec<&PaymentOrder> = self
            .payment_orders
            .values()
            .filter(|o| o.status == OrderStatus::Pending)
            .filter(|o| due.is_none_or(|d| o.execution_date <= d))
            .filter(|o| account.is_none_or(|a| o.account_id == a))
            .collect();
        orders.sort_by_key(|o| (o.execution_date, o.bill_no));
        orders
    }

    /// Whether the bill has an order still to be executed.
    pub fn has_pending_order(&self, bill_no: i64) -> bool {
        self.payment_orders
            .get(&bill_no.to_string())
            .is_some_and(|o| o.status == OrderStatus::Pending)
    }

    /// The bank executed the order: its amount is posted as a payment with the bill's
    /// reference, which counts towards the bill like any payment.
    pub fn execute_order(
        &mut self,
        bill_no: i64,
        now: OffsetDateTime,
    ) -> Result<PaymentOrder, LedgerError> {
        self.fault_in(Resource::PaymentOrder, &bill_no.to_string())?;
        let order = self.pending_order(bill_no)?;
        let reference = self
            .find_bill(bill_no)?
            .map(|b| b.reference.clone())
            .unwrap_or_default();
        self.payment_orders
            .get_mut(&bill_no.to_string())
            .expect("pending above")
            .status = OrderStatus::Executed;
        let posting = Posting {
            account_id: order.account_id,
            kind: TxnType::Payment,
            amount: order.amount,
            description: format!("Autogiro payment of bill {bill_no}"),
            reference: format!("incoming:{reference}"),
            hold: None,
        };
        self.post(posting, now)?;
        Ok(PaymentOrder {
            status: OrderStatus::Executed,
            ..order
        })
    }

    /// The bank could not execute the order; the bill stays open for other payments.
    pub fn fail_order(&mut self, bill_no: i64) -> Result<PaymentOrder, LedgerError> {
        self.fault_in(Resource::PaymentOrder, &bill_no.to_string())?;
        let order = self.pending_order(bill_no)?;
        self.payment_orders
            .get_mut(&bill_no.to_string())
            .expect("pending above")
            .status = OrderStatus::Failed;
        Ok(PaymentOrder {
            status: OrderStatus::Failed,
            ..order
        })
    }

    fn pending_order(&self, bill_no: i64) -> Result<PaymentOrder, LedgerError> {
        let order = self
            .payment_orders
            .get(&bill_no.to_string())
            .ok_or(LedgerError::NotFound(Entity::PaymentOrder))?;
        if order.status != OrderStatus::Pending {
            return Err(LedgerError::OrderSettled(order.status));
        }
        Ok(order.clone())
    }
}
