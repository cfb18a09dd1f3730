//! The ledger's entities as plain data. Their behaviour lives in the operation modules.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::money::Amount;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NationalId {
    pub value: String,
    pub country_code: String,
}

/// Where a customer's documents go, as seed 004's `legalAddress` writes it (without the name,
/// which is the customer's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub street_address: Option<String>,
    pub co_address: Option<String>,
    pub zip_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: i64,
    pub customer_no: String,
    pub name: String,
    pub email: Option<String>,
    pub msisdn: Option<String>,
    pub national_id: Option<NationalId>,
    pub username: Option<String>,
    pub aliases: Vec<String>,
    pub cards: Vec<String>,
    pub personal_number: Option<String>,
    pub default_account: Option<i64>,
    /// Answered yes to being a politically exposed person: enhanced due diligence.
    pub pep: bool,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Open,
    PendingClose,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Open => "open",
            AccountStatus::PendingClose => "pending-close",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(AccountStatus::Open),
            "pending-close" => Some(AccountStatus::PendingClose),
            "closed" => Some(AccountStatus::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub account_no: String,
    pub customer_id: i64,
    pub status: AccountStatus,
    pub credit_limit: Amount,
    /// Posted credits minus posted debits; negative is debt.
    pub balance: Amount,
    /// Sum of the remaining amounts of this account's active holds.
    pub reserved: Amount,
    pub start_date: time::Date,
    pub profile_type: Option<String>,
    pub alias: Option<String>,
    pub description: Option<String>,
    pub charity_donation: bool,
    pub recurring: Option<RecurringSetting>,
    /// Warn (`account.low-balance`) when available credit falls below this; `None` follows
    /// the ledger's `lowBalanceThreshold`.
    pub low_balance_threshold: Option<Amount>,
}

/// How recurring payments (autogiro) collect from the customer's bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringSetting {
    /// `autogiro`, the only method there is.
    pub method: String,
    /// `fixedRecurring`, `totalDebt` or `billedAmount`.
    pub scope: String,
    /// Only meaningful (and then > 0) for `fixedRecurring`.
    pub fixed_amount: Option<Amount>,
}

/// A payment card on an account (SPEC §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// UUID, the card's id in the API.
    pub token: String,
    /// Creation order within the ledger, for stable listing.
    pub seq: i64,
    pub account_id: i64,
    pub pan_trunc: Option<String>,
    pub deleted: bool,
    pub main_card: bool,
    pub holder_number: Option<String>,
    pub holder_name: Option<String>,
    pub holder_national_id: Option<NationalId>,
}

impl Account {
    /// `creditLimit + balance − reserved`; `None` only if the stored figures are absurd.
    pub fn available(&self) -> Amount {
        self.credit_limit
            .checked_add(self.balance)
            .and_then(|a| a.checked_sub(self.reserved))
            .expect("account figures stay far inside i64 (amounts are capped at 1e14 minor)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldKind {
    MyqBlock,
    MyqPayment,
    Authorization,
}

impl HoldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldKind::MyqBlock => "myq-block",
            HoldKind::MyqPayment => "myq-payment",
            HoldKind::Authorization => "authorization",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "myq-block" => Some(HoldKind::MyqBlock),
            "myq-payment" => Some(HoldKind::MyqPayment),
            "authorization" => Some(HoldKind::Authorization),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    Active,
    Captured,
    Released,
    Expired,
}

impl HoldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Active => "active",
            HoldStatus::Captured => "captured",
            HoldStatus::Released => "released",
            HoldStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(HoldStatus::Active),
            "captured" => Some(HoldStatus::Captured),
            "released" => Some(HoldStatus::Released),
            "expired" => Some(HoldStatus::Expired),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: i64,
    pub account_id: i64,
    pub kind: HoldKind,
    pub amount: Amount,
    pub remaining: Amount,
    pub status: HoldStatus,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnType {
    Purchase,
    Payment,
    Credit,
    Recharge,
    Fee,
    Interest,
    Reversal,
    /// The operator's correction, either way, with its reason as the description.
    Adjustment,
}

impl TxnType {
    pub fn as_str(self) -> &'static str {
        match self {
            TxnType::Purchase => "purchase",
            TxnType::Payment => "payment",
            TxnType::Credit => "credit",
            TxnType::Recharge => "recharge",
            TxnType::Fee => "fee",
            TxnType::Interest => "interest",
            TxnType::Reversal => "reversal",
            TxnType::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "purchase" => Some(TxnType::Purchase),
            "payment" => Some(TxnType::Payment),
            "credit" => Some(TxnType::Credit),
            "recharge" => Some(TxnType::Recharge),
            "fee" => Some(TxnType::Fee),
            "interest" => Some(TxnType::Interest),
            "reversal" => Some(TxnType::Reversal),
            "adjustment" => Some(TxnType::Adjustment),
            _ => None,
        }
    }
}

/// An immutable posting. Corrections are new transactions, never edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: i64,
    pub account_id: i64,
    pub kind: TxnType,
    /// Signed: credits positive, debits negative.
    pub amount: Amount,
    pub date: time::Date,
    pub created_at: OffsetDateTime,
    pub description: String,
    pub reserve_date: Option<time::Date>,
    pub billed: Option<i64>,
    pub hold_id: Option<i64>,
    /// What caused it, e.g. `myq-payment:17` or `incoming:REF`.
    pub reference: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Open,
    Ended,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub account_id: i64,
    pub status: SessionStatus,
    pub created_at: OffsetDateTime,
    pub last_activity: OffsetDateTime,
    /// The session's one cumulative block hold, once something was blocked.
    pub block_hold: Option<i64>,
    pub payments: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Uncommitted,
    Committed,
    /// Uncommitted and released.
    RolledBack,
    /// Committed, then reversed with a credit.
    Reversed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Uncommitted => "uncommitted",
            PaymentStatus::Committed => "committed",
            PaymentStatus::RolledBack => "rolled-back",
            PaymentStatus::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "uncommitted" => Some(PaymentStatus::Uncommitted),
            "committed" => Some(PaymentStatus::Committed),
            "rolled-back" => Some(PaymentStatus::RolledBack),
            "reversed" => Some(PaymentStatus::Reversed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPayment {
    pub id: i64,
    pub session_id: i64,
    pub requested: Amount,
    pub permitted: Amount,
    /// The part of `permitted` taken from the session's block, returned to it on release.
    pub from_block: Amount,
    pub hold_id: Option<i64>,
    pub status: PaymentStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RechargeState {
    Created,
    Completed,
    Canceled,
}

impl RechargeState {
    pub fn as_str(self) -> &'static str {
        match self {
            RechargeState::Created => "created",
            RechargeState::Completed => "completed",
            RechargeState::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "created" => Some(RechargeState::Created),
            "completed" => Some(RechargeState::Completed),
            "canceled" => Some(RechargeState::Canceled),
            _ => None,
        }
    }
}

/// A top-up through MyQ's REST API (SPEC §4): no effect until committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RechargePayment {
    pub id: i64,
    pub customer_id: i64,
    /// The customer's default account when the payment was created; the credit goes there.
    pub account_id: i64,
    pub provider: String,
    pub amount: Amount,
    pub description: String,
    pub state: RechargeState,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Counts the customer's recharge payments: 1, 2, 3…
    pub payment_no: i64,
}

/// What the writer keeps of a settled recharge: enough to answer retries and conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledRecharge {
    pub provider: String,
    pub state: RechargeState,
    pub amount: Amount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillType {
    Bill,
    Reminder1,
    Reminder2,
    Collection,
}

impl BillType {
    pub fn as_str(self) -> &'static str {
        match self {
            BillType::Bill => "bill",
            BillType::Reminder1 => "reminder1",
            BillType::Reminder2 => "reminder2",
            BillType::Collection => "collection",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bill" => Some(BillType::Bill),
            "reminder1" => Some(BillType::Reminder1),
            "reminder2" => Some(BillType::Reminder2),
            "collection" => Some(BillType::Collection),
            _ => None,
        }
    }

    /// What an overdue bill of this type is followed by; collection is the end of the line.
    pub fn next(self) -> Option<BillType> {
        match self {
            BillType::Bill => Some(BillType::Reminder1),
            BillType::Reminder1 => Some(BillType::Reminder2),
            BillType::Reminder2 => Some(BillType::Collection),
            BillType::Collection => None,
        }
    }

    /// `bill-<no>` or `reminder-<no>`, the id in API C's paths.
    pub fn id(self, bill_no: i64) -> String {
        match self {
            BillType::Bill => format!("bill-{bill_no}"),
            _ => format!("reminder-{bill_no}"),
        }
    }
}

/// A bill or reminder produced by a bill run (SPEC §1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    pub bill_no: i64,
    pub account_id: i64,
    pub bill_type: BillType,
    pub bill_date: time::Date,
    pub due_date: time::Date,
    /// The amount stated on the bill.
    pub amount: Amount,
    pub minimum: Amount,
    /// Payments received since the bill date, counted towards `minimum`.
    pub paid: Amount,
    pub open: bool,
    /// OCR reference with a Luhn check digit.
    pub reference: String,
    /// The reminder fee charged with this bill (reminders only).
    pub fee: Amount,
    /// For a reminder or collection notice: the bill whose debt it is about.
    pub origin: Option<i64>,
}
