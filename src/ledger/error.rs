//! Why the ledger refused an operation, as domain reasons. The ledger says nothing about
//! HTTP: each API maps these reasons onto its own statuses, messages and field names
//! (`crate::http::reason`).

use time::Date;

use super::{AccountStatus, AuthStatus, PaymentStatus, RechargeState, SplitStatus};
use crate::money::Amount;

/// What an operation named that the ledger does not hold, or holds already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Customer,
    Account,
    Card,
    Bill,
    Session,
    /// A print job's payment inside a MyQ session.
    SessionPayment,
    /// A recharge (top-up) payment.
    Recharge,
    RechargeProvider,
    Authentication,
    SplitAuthorization,
    Capture,
    Reversal,
    Application,
    PaymentOrder,
    /// The stored answer to an admin request sent with an `Idempotency-Key`.
    AdminAnswer,
}

/// An amount the operation needs to be greater than zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// The amount of a payment, deposit, recharge, reservation or reversal.
    Amount,
    /// The total a capture takes from its authorization.
    CaptureTotal,
}

/// The customer identity another customer of the ledger already uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Username,
    Alias,
    Card,
    PersonalNumber,
}

/// The rule a recurring-payment setting broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurringRule {
    /// The method is not one saldo collects by.
    Method,
    /// The scope is not one of the known scopes.
    Scope,
    /// A fixed recurring scope needs a positive amount.
    FixedAmount,
}

/// The state an authentication must be in for the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    AwaitingSca,
    Approved,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("{0:?} not found")]
    NotFound(Entity),
    /// A client-chosen id (or number) that is taken.
    #[error("{0:?} {1} already exists")]
    DuplicateId(Entity, String),
    #[error("{0:?} {1} is already used by another customer")]
    IdentityTaken(Identity, String),
    /// An admin `Idempotency-Key` that already answered another request.
    #[error("the Idempotency-Key was used for another request")]
    IdempotencyKeyReused,
    #[error("{0:?} must be greater than 0")]
    NotPositive(Quantity),
    #[error("the credit limit must not be negative")]
    NegativeCreditLimit,
    #[error("the amount is negative")]
    NegativeAmount,
    #[error("insufficient credit")]
    InsufficientCredit,
    #[error("the customer has no account")]
    NoAccount,
    #[error("the account is {0:?}")]
    AccountNotOpen(AccountStatus),
    #[error("a credit limit is only raised by application")]
    CreditLimitRaise,
    #[error("the credit limit would be below what is owed and reserved")]
    CreditLimitBelowOwed {
        owed_and_reserved: Amount,
        scale: u32,
    },
    #[error("recurring-payment setting: {0:?}")]
    Recurring(RecurringRule),
    #[error("the account already has a main card")]
    MainCardExists,
    /// Cards stay in memory, deleted ones too: an account holds at most `max`.
    #[error("the account has {max} cards already")]
    CardLimit { max: usize },
    #[error("the MyQ session has ended")]
    SessionEnded,
    #[error("the payment is {0:?}")]
    PaymentSettled(PaymentStatus),
    #[error("the recharge is already {0:?}")]
    RechargeSettled(RechargeState),
    #[error("a completed recharge cannot be rolled back")]
    RechargeCompleted,
    #[error("the recharge provider is disabled")]
    ProviderDisabled,
    #[error("the authentication is {found:?}, not {expected:?}")]
    AuthenticationState {
        found: AuthStatus,
        expected: Expected,
    },
    #[error("the authentication has expired")]
    AuthenticationExpired,
    #[error("the authentication was used by split authorization {0}")]
    AuthenticationUsed(String),
    #[error("the split authorization is {0:?}")]
    SplitNotAuthorized(SplitStatus),
    #[error("the capture exceeds what is still authorized")]
    ExceedsAuthorized,
    #[error("the reversal exceeds what can still be reversed")]
    ExceedsReversible { reversible: Amount, scale: u32 },
    #[error("no bill carries this payment reference")]
    UnknownPaymentReference,
    #[error("a bill run for {last} was made already")]
    BillRunNotLater { last: Date },
    #[error("the payment order is {} already", .0.as_str())]
    OrderSettled(super::OrderStatus),
    #[error("amount arithmetic overflow")]
    Overflow,
    /// What the request names could not be read back from the store; nothing was changed.
    #[error("the ledger's store is unavailable: {0}")]
    Unavailable(String),
}

impl From<crate::money::Overflow> for LedgerError {
    fn from(_: crate::money::Overflow) -> Self {
        LedgerError::Overflow
    }
}

impl From<super::Resource> for Entity {
    fn from(resource: super::Resource) -> Self {
        match resource {
            super::Resource::Authentication => Entity::Authentication,
            super::Resource::Split => Entity::SplitAuthorization,
            super::Resource::Capture => Entity::Capture,
            super::Resource::Reversal => Entity::Reversal,
            super::Resource::Application => Entity::Application,
            super::Resource::PaymentOrder => Entity::PaymentOrder,
            super::Resource::AdminAnswer => Entity::AdminAnswer,
        }
    }
}
