//! API C's requests and responses, field for field as seed 003 writes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::wire::{Decimal, Money, Operation, Text};
use crate::ledger::NationalId;

/// `PATCH …/accounts/{accountNo}`: only these two can change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountPatch {
    /// Lower only: raising goes through apply-for-raised-credit-limit.
    pub credit_limit: Option<Decimal>,
    pub charity_donation: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RaiseRequest {
    pub credit_limit: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RaiseDecision {
    #[serde(rename = "@id")]
    pub id: String,
    pub account_no: String,
    pub account: String,
    pub credit_limit: Money,
    /// `approved` or `rejected`.
    pub status: &'static str,
    pub reason: Option<String>,
    pub current_credit_limit: Money,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterestRate {
    /// Yearly percent.
    #[schema(value_type = f64)]
    pub debt_interest: serde_json::Value,
    /// Yearly percent on the overdue part.
    #[schema(value_type = f64)]
    pub penalty_interest: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankPayment {
    pub bank_account_no: Option<String>,
    /// `BGSE`, `BKSE`, `PKSE` or `PGSE`.
    pub bank_account_type: String,
    pub bic: Option<String>,
    pub iban: Option<String>,
    /// The account's standing OCR reference.
    pub payment_reference: String,
}

/// The account as seed 003's example shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(rename = "@id")]
    pub id: String,
    pub account_no: String,
    #[schema(format = Date)]
    pub start_date: String,
    pub description: Option<String>,
    pub account_profile_type: Option<String>,
    pub account_alias: Option<String>,
    pub customer_no: Option<String>,
    /// `open`, `pending-close` or `closed`.
    pub status: &'static str,
    pub credit_limit: Money,
    pub total_balance: Money,
    pub reserved_amount: Money,
    pub available_amount: Money,
    pub open_bill: Option<String>,
    pub charity_donation: bool,
    pub interest_rate: InterestRate,
    pub bank_payment: BankPayment,
    pub active_payment_orders: String,
    pub recurring_payment_consent: String,
    pub cards: String,
    pub transactions: String,
    pub reservations: String,
    /// Lower case, as the seed writes it.
    pub currency: String,
    pub bills: String,
    pub customer: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecurringPatch {
    /// `autogiro`.
    pub recurring_payment_method: Option<Text<15>>,
    /// `fixedRecurring`, `totalDebt` or `billedAmount`.
    pub recurring_payment_scope: Option<Text<25>>,
    /// Required, greater than 0, for `fixedRecurring`.
    pub fixed_recurring_amount: Option<Decimal>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecurringSetting {
    #[serde(rename = "@id")]
    pub id: String,
    pub recurring_payment_method: Option<String>,
    pub recurring_payment_scope: Option<String>,
    pub fixed_recurring_amount: Option<Money>,
    #[serde(rename = "parentHREF")]
    pub parent_href: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardHolder {
    pub number: Option<String>,
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub national_consumer_identifier: Option<NationalId>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    #[serde(rename = "@id")]
    pub id: String,
    pub token: String,
    pub pan_trunc: Option<String>,
    pub deleted: bool,
    pub main_card: bool,
    pub card_holder: CardHolder,
    #[serde(rename = "parentHREF")]
    pub parent_href: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardRequest {
    /// A UUID; made up when absent.
    pub token: Option<Text<36>>,
    /// The seed also writes it `PanTrunc`.
    #[serde(alias = "PanTrunc")]
    pub pan_trunc: Option<Text<32>>,
    pub deleted: Option<bool>,
    pub main_card: Option<bool>,
    pub card_holder: Option<CardHolderRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardHolderRequest {
    pub number: Option<Text<50>>,
    pub name: Option<Text<100>>,
    pub national_consumer_identifier: Option<crate::http::national_id::NationalIdentifier>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPatch {
    pub deleted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// `payment`, `purchase` or `credit` (fees and interest are purchases, told apart by
    /// their description).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    /// Positive: the type carries the direction.
    pub amount: Money,
    pub billed: bool,
    #[schema(format = Date)]
    pub date: String,
    #[schema(format = Date)]
    pub reserve_date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reservation {
    /// What is still held.
    pub amount: Money,
    pub description: String,
    #[schema(format = Date)]
    pub date: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetails {
    pub minimum_amount_to_be_payed: Money,
    pub bank_account_no: Option<String>,
    pub bank_account_type: String,
    pub bic: Option<String>,
    pub iban: Option<String>,
    /// The bill's OCR reference.
    pub payment_reference: String,
    pub payment_orders_exists: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bill {
    #[serde(rename = "@id")]
    pub id: String,
    #[schema(format = Date)]
    pub due_date: String,
    #[schema(format = Date)]
    pub bill_date: String,
    pub bill_no: String,
    pub bill_amount: Money,
    /// `bill`, `reminder1`, `reminder2` or `collection`.
    pub bill_type: &'static str,
    /// `open` or `closed`.
    pub status: &'static str,
    /// While the bill is open.
    pub active_payment_details: Option<PaymentDetails>,
    /// The PDF.
    pub document: String,
}

/// A payment order to be executed from the recurring-payment setting (seed 003).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOrder {
    /// `AUTOGIRO`.
    pub payment_method: String,
    #[schema(format = Date)]
    pub execution_date: String,
    pub amount: Money,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(rename = "@id")]
    pub id: String,
    pub customer_no: String,
    pub name: String,
    pub email: Option<String>,
    pub msisdn: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub national_consumer_identifier: Option<NationalId>,
    /// The customer's accounts in this API.
    pub accounts: String,
}
