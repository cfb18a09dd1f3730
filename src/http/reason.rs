//! What each domain reason says on the wire by default. Every API decides its own status for
//! each reason (an exhaustive match in its error module) and may word a reason its own way;
//! the words shared by all of them live here.

use axum::http::StatusCode;

use crate::http::body::Invalid;
use crate::ledger::{
    Entity, Expected, Identity, LedgerError, PaymentStatus, Quantity, RecurringRule, SplitStatus,
};

/// The message MyQ X gives when a recharge provider is off (seed 001), to the byte.
pub const PROVIDER_DISABLED: &str = "Invalid operation: The operation cannot be performed in the current state. Payment provider is disabled.";

/// The answer a reason gets unless an API words it otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The request broke a rule: 400.
    Invalid,
    NotFound,
    /// The ledger's state does not allow it: 409.
    Conflict,
    /// Understood, but refused by a business rule: 422.
    Refused,
    Unavailable,
}

impl Class {
    pub fn status(self) -> StatusCode {
        match self {
            Class::Invalid => StatusCode::BAD_REQUEST,
            Class::NotFound => StatusCode::NOT_FOUND,
            Class::Conflict => StatusCode::CONFLICT,
            Class::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            Class::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The problem code of APIs C and D.
    pub fn code(self) -> &'static str {
        match self {
            Class::Invalid => "validation",
            Class::NotFound => "not-found",
            Class::Conflict => "conflict",
            Class::Refused => "unprocessable",
            Class::Unavailable => "fatal",
        }
    }
}

/// Every reason's class; a new reason must be placed here before anything compiles.
pub fn class(e: &LedgerError) -> Class {
    use LedgerError as E;
    match e {
        E::NotPositive(_)
        | E::NegativeCreditLimit
        | E::NegativeAmount
        | E::Recurring(_)
        | E::UnknownPaymentReference
        | E::Overflow => Class::Invalid,
        E::NotFound(_) => Class::NotFound,
        E::DuplicateId(..)
        | E::IdentityTaken(..)
        | E::IdempotencyKeyReused
        | E::InsufficientCredit
        | E::NoAccount
        | E::AccountNotOpen(_)
        | E::CreditLimitRaise
        | E::CreditLimitBelowOwed { .. }
        | E::MainCardExists
        | E::CardLimit { .. }
        | E::SessionEnded
        | E::PaymentSettled(_)
        | E::RechargeSettled(_)
        | E::RechargeCompleted
        | E::ProviderDisabled
        | E::SplitNotAuthorized(_)
        | E::ExceedsAuthorized
        | E::ExceedsReversible { .. }
        | E::BillRunNotLater { .. }
        | E::OrderSettled(_) => Class::Conflict,
        E::AuthenticationState { .. } | E::AuthenticationExpired | E::AuthenticationUsed(_) => {
            Class::Refused
        }
        E::Unavailable(_) => Class::Unavailable,
    }
}

/// A reason as words: a field that broke a rule, or a message.
pub enum Said {
    Field(Invalid),
    Message(String),
}

impl Said {
    /// One line, for the APIs whose errors carry only a message.
    pub fn line(self) -> String {
        match self {
            Said::Field(invalid) => invalid.to_string(),
            Said::Message(message) => message,
        }
    }
}

pub fn noun(entity: Entity) -> &'static str {
    match entity {
        Entity::Customer => "Customer",
        Entity::Account => "Account",
        Entity::Card => "Card",
        Entity::Bill => "Bill",
        Entity::Session => "Session",
        Entity::SessionPayment | Entity::Recharge => "Payment",
        Entity::RechargeProvider => "Recharge provider",
        Entity::Authentication => "Authentication",
        Entity::SplitAuthorization => "Split authorization",
        Entity::Capture => "Capture",
        Entity::Reversal => "Reversal",
        Entity::Application => "Application",
        Entity::PaymentOrder => "Payment order",
        Entity::AdminAnswer => "Idempotency-Key",
    }
}

fn field(field: &str, rule: &str) -> Said {
    Said::Field(Invalid::new(field, rule))
}

fn message(text: impl Into<String>) -> Said {
    Said::Message(text.into())
}

/// The default words for a reason. A store failure is logged here with its cause, which the
/// client never sees.
pub fn said(e: &LedgerError) -> Said {
    use LedgerError as E;
    match e {
        E::NotFound(entity) => message(format!("{} not found", noun(*entity))),
        E::DuplicateId(Entity::Customer, no) => message(format!("customerNo {no} already exists")),
        E::DuplicateId(Entity::Account, no) => message(format!("accountNo {no} already exists")),
        E::DuplicateId(Entity::Card, token) => {
            message(format!("A card with token {token} already exists"))
        }
        E::DuplicateId(entity, id) => message(format!("{} {id} already exists", noun(*entity))),
        E::IdentityTaken(identity, value) => message(match identity {
            Identity::Username | Identity::Alias => format!(
                "{}: {value} is already used by a username or alias in this ledger",
                if *identity == Identity::Username {
                    "username"
                } else {
                    "aliases"
                }
            ),
            Identity::Card => format!("cards: {value} is already used in this ledger"),
            Identity::PersonalNumber => {
                format!("personalNumber: {value} is already used in this ledger")
            }
        }),
        E::IdempotencyKeyReused => message(
            "Idempotency-Key: already used for a different request (another method, path or body)",
        ),
        E::NotPositive(Quantity::Amount) => field("amount", "must be greater than 0"),
        E::NotPositive(Quantity::CaptureTotal) => field("totalAmount", "must be greater than 0"),
        E::NegativeCreditLimit => field("creditLimit", "must not be negative"),
        E::NegativeAmount => field("amount", "must not be negative"),
        E::InsufficientCredit => message("Insufficient credit"),
        E::NoAccount => message("The customer has no account"),
        E::AccountNotOpen(status) => message(format!(
            "The account is {}: it takes no new reservations or purchases",
            status.as_str()
        )),
        E::CreditLimitRaise => message(
            "The credit limit can only be lowered here; apply for a raise with apply-for-raised-credit-limit",
        ),
        E::CreditLimitBelowOwed {
            owed_and_reserved,
            scale,
        } => message(format!(
            "The credit limit cannot be lower than what is owed and reserved ({})",
            owed_and_reserved.fixed(*scale)
        )),
        E::Recurring(RecurringRule::Method) => field("recurringPaymentMethod", "must be autogiro"),
        E::Recurring(RecurringRule::Scope) => field(
            "recurringPaymentScope",
            "must be fixedRecurring, totalDebt or billedAmount",
        ),
        E::Recurring(RecurringRule::FixedAmount) => field(
            "fixedRecurringAmount",
            "must be greater than 0 when recurringPaymentScope is fixedRecurring",
        ),
        E::MainCardExists => message("The account already has a main card"),
        E::CardLimit { max } => message(format!(
            "The account has {max} cards already (deleted ones count): it takes no more"
        )),
        E::SessionEnded => message("Session ended"),
        E::PaymentSettled(PaymentStatus::Committed) => message("Payment is committed"),
        E::PaymentSettled(_) => message("Payment was rolled back"),
        E::RechargeSettled(state) => message(format!("The payment is already {}", state.as_str())),
        E::OrderSettled(status) => {
            message(format!("The payment order is already {}", status.as_str()))
        }
        E::RechargeCompleted => {
            message("A completed payment cannot be rolled back; refund it instead")
        }
        E::ProviderDisabled => message(PROVIDER_DISABLED),
        E::AuthenticationState { found, expected } => message(format!(
            "The authentication is {}, not {}",
            found.as_str(),
            match expected {
                Expected::AwaitingSca => "awaiting-sca",
                Expected::Approved => "approved",
            }
        )),
        E::AuthenticationExpired => message("The authentication has expired"),
        E::AuthenticationUsed(split) => message(format!(
            "The authentication was used by split authorization {split}"
        )),
        E::SplitNotAuthorized(status) => message(match status {
            SplitStatus::Cancelled => "Authorization is cancelled",
            SplitStatus::Expired => "Authorization has expired",
            SplitStatus::Captured => "Authorization already captured",
            SplitStatus::Authorized => "Authorization is still authorized",
        }),
        E::ExceedsAuthorized => message("Insufficient authorized amount"),
        E::ExceedsReversible { reversible, scale } => message(format!(
            "Insufficient captured amount: at most {} can be reversed",
            reversible.fixed(*scale)
        )),
        E::UnknownPaymentReference => field("paymentReference", "matches no bill of this ledger"),
        E::BillRunNotLater { last } => message(format!(
            "A bill run for {last} was made already; the next must be later"
        )),
        E::Overflow => field("amount", "the result would be out of range"),
        E::Unavailable(cause) => {
            tracing::error!(%cause, "a point read from the store failed");
            message(super::STORE_UNAVAILABLE)
        }
    }
}
