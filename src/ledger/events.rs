//! Events: what each job changed, told as facts (`myq.payment.committed`, `bill.created`, …)
//! with the resource's state after the job. They are read off the rows the job wrote, not
//! announced by the operations, so no operation can change the ledger without its event; they
//! are numbered ledger-wide and stored in the batch that stores the change (an outbox).

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    Account, AccountStatus, AuthStatus, Bill, BillType, Customer, Ledger, PaymentStatus,
    RechargePayment, RechargeState, SessionStatus, SplitStatus, Transaction, TxnType,
};
use crate::money::Amount;

/// Every type of event there is, for subscriptions to choose from.
pub const EVENT_TYPES: [&str; 26] = [
    "customer.created",
    "customer.changed",
    "account.created",
    "account.changed",
    "account.closed",
    "account.balance-changed",
    "account.low-balance",
    "myq.session.ended",
    "myq.payment.committed",
    "myq.payment.rolled-back",
    "myq.payment.reversed",
    "recharge.completed",
    "recharge.canceled",
    "recharge.expired",
    "authentication.approved",
    "authentication.declined",
    "authorization.created",
    "authorization.captured",
    "authorization.cancelled",
    "authorization.expired",
    "reversal.created",
    "bill.created",
    "reminder.created",
    "bill.closed",
    "payment.received",
    "adjustment.posted",
];

/// One change of a ledger, as its feed and webhooks tell it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Ledger-wide, gap-free, strictly increasing from 1.
    pub seq: i64,
    /// `myq.payment.committed`, `account.changed`, …
    pub kind: String,
    pub at: OffsetDateTime,
    /// What it is about: `account`, `session`, `payment`, …
    pub resource: String,
    /// That resource's id or number in the APIs.
    pub resource_id: String,
    /// The resource's state after the change, as JSON text (kept as text: a bulk job's
    /// events are held until its batch commits, and a tree per event would cost far more).
    pub data: String,
}

impl Event {
    /// Stable across reads and deliveries: the ledger's number and the sequence number.
    pub fn id(&self, ledger_no: &str) -> String {
        format!("evt-{ledger_no}-{}", self.seq)
    }
}

/// An event before it is numbered.
struct Fact {
    kind: &'static str,
    resource: &'static str,
    resource_id: String,
    data: String,
}

impl Ledger {
    /// Numbers and keeps the events of the job that just succeeded, read off the rows it wrote
    /// and the postings it made. Called before the job's undo records are dropped.
    pub(super) fn record_events(&mut self, posted_from: usize) {
        let mut facts = Vec::new();
        // What was made comes before what changed: an account opened with its customer
        // follows the customer, and the customer's new default account follows the account.
        for made in [true, false] {
            self.customer_facts(made, &mut facts);
            self.account_facts(made, &mut facts);
        }
        self.myq_facts(&mut facts);
        self.recharge_facts(&mut facts);
        self.authorization_facts(&mut facts);
        self.bill_facts(&mut facts);
        // Between jobs the store may have taken the postings already: nothing of them is new.
        let posted = self.transactions.get(posted_from..).unwrap_or_default();
        for txn in posted {
            let kind = match txn.kind {
                TxnType::Payment if txn.amount > Amount::ZERO => "payment.received",
                TxnType::Adjustment => "adjustment.posted",
                _ => continue,
            };
            facts.push(Fact {
                kind,
                resource: "transaction",
                resource_id: txn.id.to_string(),
                data: self.transaction_view(txn).to_string(),
            });
        }
        self.balance_facts(&mut facts);
        let at = self.job_time;
        for fact in facts {
            self.last_id.event += 1;
            self.events.push(Event {
                seq: self.last_id.event,
                kind: fact.kind.to_string(),
                at,
                resource: fact.resource.to_string(),
                resource_id: fact.resource_id,
                data: fact.data,
            });
        }
    }

    /// Customers made (`made`) or changed.
    fn customer_facts(&self, made: bool, facts: &mut Vec<Fact>) {
        for (id, prior) in self.customers.job_writes() {
            let Some(now) = self.customers.get(id) else {
                continue;
            };
            let kind = match prior {
                None if made => "customer.created",
                Some(prior) if !made && prior != now => "customer.changed",
                _ => continue,
            };
            facts.push(Fact {
                kind,
                resource: "customer",
                resource_id: now.customer_no.clone(),
                data: self.customer_view(now).to_string(),
            });
        }
    }

    /// Accounts opened (`made`), or closed or changed in anything but their money (which
    /// the balance facts tell).
    fn account_facts(&self, made: bool, facts: &mut Vec<Fact>) {
        for (id, prior) in self.accounts.job_writes() {
            let Some(now) = self.accounts.get(id) else {
                continue;
            };
            let kind = match prior {
                None if made => "account.created",
                None => continue,
                Some(_) if made => continue,
                Some(p) if now.status == AccountStatus::Closed && p.status != now.status => {
                    "account.closed"
                }
                Some(p) if !same_but_money(p, now) => "account.changed",
                Some(_) => continue,
            };
            facts.push(self.account_fact(kind, now));
        }
    }

    /// One `account.balance-changed` per account whose balance or reserved amount the job
    /// moved, so the feed alone rebuilds every account's figures; and `account.low-balance`
    /// when available credit fell below the account's threshold, or else the ledger's.
    fn balance_facts(&self, facts: &mut Vec<Fact>) {
        let ledger_threshold = self
            .info
            .settings
            .low_balance_threshold
            .as_ref()
            .map(|t| self.info.settings.money(t, self.info.scale()));
        for (id, prior) in self.accounts.job_writes() {
            let Some(now) = self.accounts.get(id) else {
                continue;
            };
            let before = prior.map(|p| (p.balance, p.reserved));
            if before.unwrap_or_default() != (now.balance, now.reserved) {
                facts.push(self.account_fact("account.balance-changed", now));
            }
            let was = prior.map(Account::available);
            let threshold = now.low_balance_threshold.or(ledger_threshold);
            if let (Some(limit), Some(was)) = (threshold, was)
                && was >= limit
                && now.available() < limit
            {
                facts.push(self.account_fact("account.low-balance", now));
            }
        }
    }

    fn account_fact(&self, kind: &'static str, account: &Account) -> Fact {
        Fact {
            kind,
            resource: "account",
            resource_id: account.account_no.clone(),
            data: self.account_view(account).to_string(),
        }
    }

    fn myq_facts(&self, facts: &mut Vec<Fact>) {
        for (id, prior) in self.payments.job_writes() {
            let Some(now) = self.payments.get(id) else {
                continue;
            };
            if prior.is_some_and(|p| p.status == now.status) {
                continue;
            }
            let kind = match now.status {
                PaymentStatus::Committed => "myq.payment.committed",
                PaymentStatus::RolledBack => "myq.payment.rolled-back",
                PaymentStatus::Reversed => "myq.payment.reversed",
                PaymentStatus::Uncommitted => continue,
            };
            let scale = self.info.scale();
            facts.push(Fact {
                kind,
                resource: "payment",
                resource_id: now.id.to_string(),
                data: json!({
                    "id": now.id, "sessionId": now.session_id, "status": now.status.as_str(),
                    "requested": now.requested.plain_json(scale),
                    "amount": now.permitted.plain_json(scale),
                    "accountNo": self.session(now.session_id).map(|s| self.account_no(s.account_id)),
                }).to_string(),
            });
        }
        for (id, prior) in self.sessions.job_writes() {
            let Some(now) = self.sessions.get(id) else {
                continue;
            };
            let ended = now.status == SessionStatus::Ended;
            if ended && prior.is_none_or(|p| p.status != SessionStatus::Ended) {
                facts.push(Fact {
                    kind: "myq.session.ended",
                    resource: "session",
                    resource_id: now.id.to_string(),
                    data: json!({
                        "id": now.id, "status": "ended", "payments": now.payments,
                        "accountNo": self.account_no(now.account_id),
                    })
                    .to_string(),
                });
            }
        }
    }

    fn recharge_facts(&self, facts: &mut Vec<Fact>) {
        for (id, prior) in self.recharges.job_writes() {
            let Some(now) = self.recharges.get(id) else {
                continue;
            };
            if prior.is_some_and(|p| p.state == now.state) {
                continue;
            }
            let kind = match now.state {
                RechargeState::Completed => "recharge.completed",
                RechargeState::Canceled if self.expired(now) => "recharge.expired",
                RechargeState::Canceled => "recharge.canceled",
                RechargeState::Created => continue,
            };
            facts.push(Fact {
                kind,
                resource: "recharge",
                resource_id: now.id.to_string(),
                data: json!({
                    "id": now.id, "paymentNo": now.payment_no, "state": now.state.as_str(),
                    "provider": now.provider,
                    "amount": now.amount.plain_json(self.info.scale()),
                    "accountNo": self.account_no(now.account_id),
                    "customerNo": self.customer(now.customer_id).map(|c| c.customer_no.clone()),
                })
                .to_string(),
            });
        }
    }

    /// Whether the sweeper cancelled it, not its client: the sweeper's reason, given once the
    /// payment's time was up (a client may give any reason, at any time).
    fn expired(&self, p: &RechargePayment) -> bool {
        let ttl = time::Duration::seconds(self.info.settings.recharge_expiry_seconds as i64);
        p.description == "Expired" && p.updated_at >= p.created_at + ttl
    }

    fn authorization_facts(&self, facts: &mut Vec<Fact>) {
        let scale = self.info.scale();
        for (id, prior) in self.authentications.job_writes() {
            let Some(now) = self.authentications.get(id) else {
                continue;
            };
            if prior.is_some_and(|p| p.status == now.status) {
                continue;
            }
            let kind = match now.status {
                AuthStatus::Approved => "authentication.approved",
                AuthStatus::Declined => "authentication.declined",
                AuthStatus::AwaitingSca => continue,
            };
            facts.push(Fact {
                kind,
                resource: "authentication",
                resource_id: now.id.clone(),
                data: json!({
                    "id": now.id, "status": now.status.as_str(),
                    "amount": now.amount.fixed_json(scale), "currency": now.currency,
                    "sellerNo": now.seller_no, "accountNo": self.account_no(now.account_id),
                })
                .to_string(),
            });
        }
        for (id, prior) in self.splits.job_writes() {
            let Some(now) = self.splits.get(id) else {
                continue;
            };
            let kind = match (prior.map(|p| p.status), now.status) {
                (None, _) => "authorization.created",
                (Some(before), after) if before == after => continue,
                (_, SplitStatus::Cancelled) => "authorization.cancelled",
                (_, SplitStatus::Expired) => "authorization.expired",
                // A capture tells it, below.
                (_, SplitStatus::Captured | SplitStatus::Authorized) => continue,
            };
            facts.push(Fact {
                kind,
                resource: "authorization",
                resource_id: now.id.clone(),
                data: json!({
                    "id": now.id, "status": now.status.as_str(),
                    "amount": now.amount.fixed_json(scale),
                    "remaining": now.remaining.fixed_json(scale), "currency": now.currency,
                    "sellerNo": now.seller_no, "accountNo": self.account_no(now.account_id),
                })
                .to_string(),
            });
        }
        for (id, prior) in self.captures.job_writes() {
            let (None, Some(now)) = (prior, self.captures.get(id)) else {
                continue;
            };
            facts.push(Fact {
                kind: "authorization.captured",
                resource: "capture",
                resource_id: now.id.clone(),
                data: json!({
                    "id": now.id, "authorizationId": now.split_id,
                    "amount": now.amount.fixed_json(scale),
                    "sellerTransactionId": now.seller_transaction_id,
                    "accountNo": self.account_no(now.account_id),
                })
                .to_string(),
            });
        }
        for (id, prior) in self.reversals.job_writes() {
            let (None, Some(now)) = (prior, self.reversals.get(id)) else {
                continue;
            };
            facts.push(Fact {
                kind: "reversal.created",
                resource: "reversal",
                resource_id: now.id.clone(),
                data: json!({
                    "id": now.id, "captureId": now.capture_id,
                    "amount": now.amount.fixed_json(scale),
                    "sellerTransactionId": now.seller_transaction_id,
                })
                .to_string(),
            });
        }
    }

    fn bill_facts(&self, facts: &mut Vec<Fact>) {
        for (no, prior) in self.bills.job_writes() {
            let Some(now) = self.bills.get(no) else {
                continue;
            };
            let kind = match prior {
                None if now.bill_type == BillType::Bill => "bill.created",
                None => "reminder.created",
                Some(p) if p.open && !now.open => "bill.closed",
                Some(_) => continue,
            };
            let mut data = self.bill_view(now);
            if kind == "bill.closed" {
                // A bill closes when paid, or when the next document (a reminder, or a new
                // bill carrying its unpaid minimum) takes its place.
                let why = if now.paid >= now.minimum {
                    "paid"
                } else {
                    "superseded"
                };
                data["closedBecause"] = json!(why);
            }
            facts.push(Fact {
                kind,
                resource: "bill",
                resource_id: now.bill_no.to_string(),
                data: data.to_string(),
            });
        }
    }

    fn account_no(&self, account_id: i64) -> Option<String> {
        self.account(account_id).map(|a| a.account_no.clone())
    }

    fn account_view(&self, a: &Account) -> Value {
        let scale = self.info.scale();
        json!({
            "accountNo": a.account_no,
            "customerNo": self.customer(a.customer_id).map(|c| c.customer_no.clone()),
            "status": a.status.as_str(),
            "creditLimit": a.credit_limit.fixed_json(scale),
            "balance": a.balance.fixed_json(scale),
            "reserved": a.reserved.fixed_json(scale),
            "available": a.available().fixed_json(scale),
            "currency": self.info.currency,
            "lowBalanceThreshold": a.low_balance_threshold.map(|t| t.fixed_json(scale)),
        })
    }

    fn transaction_view(&self, t: &Transaction) -> Value {
        json!({
            "id": t.id, "type": t.kind.as_str(), "accountNo": self.account_no(t.account_id),
            "amount": t.amount.fixed_json(self.info.scale()), "date": t.date.to_string(),
            "description": t.description,
        })
    }

    fn bill_view(&self, b: &Bill) -> Value {
        let scale = self.info.scale();
        json!({
            "billNo": b.bill_no, "type": b.bill_type.as_str(),
            "accountNo": self.account_no(b.account_id),
            "billDate": b.bill_date.to_string(), "dueDate": b.due_date.to_string(),
            "amount": b.amount.fixed_json(scale), "minimum": b.minimum.fixed_json(scale),
            "paid": b.paid.fixed_json(scale), "open": b.open, "paymentReference": b.reference,
        })
    }
}

/// Whether two states of an account differ only in balance and reserved amount.
fn same_but_money(a: &Account, b: &Account) -> bool {
    Account {
        balance: b.balance,
        reserved: b.reserved,
        ..a.clone()
    } == *b
}

impl Ledger {
    fn customer_view(&self, c: &Customer) -> Value {
        json!({
            "customerNo": c.customer_no, "name": c.name, "email": c.email, "msisdn": c.msisdn,
            "username": c.username, "aliases": c.aliases, "cards": c.cards,
            "defaultAccountNo": c.default_account.and_then(|id| self.account_no(id)),
        })
    }
}
