//! The admin API's requests and responses. Requests refuse fields they do not know: an
//! operator's typo (`setings`) is an error, not a silently ignored change.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::credit_account::types::Bill;
use crate::http::national_id::NationalIdentifier;
use crate::http::wire::{Decimal, Money, Text};
use crate::ledger::{NationalId, Settings};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminNewLedger)]
pub struct NewLedger {
    /// Digits only; the `{ledger}` of every API's paths.
    pub ledger_no: Text<16>,
    pub name: Text<200>,
    /// ISO 4217, three letters.
    pub currency: Text<3>,
    /// Settings that differ from the defaults.
    #[schema(value_type = Option<Settings>)]
    pub settings: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminLedgerPatch)]
pub struct LedgerPatch {
    pub name: Option<Text<200>>,
    /// The settings to change; the others keep their values.
    #[schema(value_type = Option<Settings>)]
    pub settings: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminLedger)]
pub struct Ledger {
    pub ledger_no: String,
    pub name: String,
    pub currency: String,
    pub settings: Settings,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminNewCustomer)]
pub struct NewCustomer {
    pub customer_no: Text<64>,
    pub name: Text<200>,
    pub email: Option<Text<254>>,
    pub msisdn: Option<Text<20>>,
    pub national_consumer_identifier: Option<NationalIdentifier>,
    /// The MyQ username; usernames and aliases share one case-insensitive namespace.
    pub username: Option<Text<255>>,
    /// At most 100; nulls and empty strings are skipped.
    pub aliases: Option<Vec<Option<Text<255>>>>,
    /// At most 100; nulls and empty strings are skipped.
    pub cards: Option<Vec<Option<Text<255>>>>,
    pub personal_number: Option<Text<255>>,
    /// Printed on the customer's bills and reminders.
    pub address: Option<crate::http::postal_address::NewAddress>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminCustomer)]
pub struct Customer {
    pub id: i64,
    pub customer_no: String,
    pub name: String,
    pub email: Option<String>,
    pub msisdn: Option<String>,
    #[schema(value_type = Option<NationalIdentifier>)]
    pub national_consumer_identifier: Option<NationalId>,
    pub username: Option<String>,
    pub aliases: Vec<String>,
    pub cards: Vec<String>,
    pub personal_number: Option<String>,
    /// Answered yes to being a politically exposed person.
    pub pep: bool,
    pub default_account_no: Option<String>,
    pub address: Option<crate::ledger::Address>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminNewAccount)]
pub struct NewAccount {
    pub customer_no: Text<64>,
    /// Chosen by saldo when not given.
    pub account_no: Option<Text<32>>,
    /// 0 when not given.
    pub credit_limit: Option<Decimal>,
    pub account_profile_type: Option<Text<64>>,
    pub account_alias: Option<Text<100>>,
    pub description: Option<Text<200>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminPayment)]
pub struct Payment {
    /// Greater than 0.
    pub amount: Decimal,
    pub description: Option<Text<200>>,
    pub payment_reference: Option<Text<64>>,
}

/// Money received with a bill's OCR reference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminPaymentByReference)]
pub struct PaymentByReference {
    /// Greater than 0.
    pub amount: Decimal,
    /// The OCR reference printed on the bill.
    pub payment_reference: Text<50>,
    pub description: Option<Text<200>>,
}

/// A posting on an account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminTransaction)]
pub struct Transaction {
    pub id: i64,
    /// `purchase`, `payment`, `fee`, `interest`, `refund`, `adjustment`…
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Signed: credits positive, debits negative.
    pub amount: Money,
    #[schema(format = Date)]
    pub date: String,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    pub description: String,
    #[schema(format = Date)]
    pub reserve_date: Option<String>,
    /// The id of the bill it was billed on.
    pub billed: Option<i64>,
    /// What caused it, e.g. `myq-payment:17` or `incoming:REF`.
    pub reference: String,
    /// In a statement: the account's balance after this posting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Money>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminBillRun)]
pub struct BillRun {
    /// Bills every account in debt at this date.
    #[schema(value_type = String, format = Date)]
    pub bill_date: Text<10>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AdminBills)]
pub struct Bills {
    pub bills: Vec<Bill>,
}

/// Credit held now and not yet spent.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminHold)]
pub struct Hold {
    pub kind: &'static str,
    pub amount: Money,
    pub remaining: Money,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminStatement)]
pub struct Statement {
    pub account: Account,
    #[schema(format = Date)]
    pub from: Option<String>,
    #[schema(format = Date)]
    pub to: Option<String>,
    /// The balance before `from`.
    pub opening_balance: Money,
    pub transactions: Vec<Transaction>,
    pub holds: Vec<Hold>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(as = AdminCredentialKind)]
pub enum CredentialKind {
    /// MyQ X's Basic login for API A.
    #[serde(rename = "myq-basic")]
    MyqBasic,
    /// An OAuth2 client of API B.
    #[serde(rename = "myq-oauth-client")]
    MyqOauthClient,
    /// A bearer token for APIs C and D.
    #[serde(rename = "ledger-bearer")]
    LedgerBearer,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminNewCredential)]
pub struct NewCredential {
    pub kind: CredentialKind,
    /// Required for `myq-basic`; no `:`.
    pub login: Option<Text<64>>,
    /// Required for `myq-oauth-client`: `credit` and/or `users`.
    pub scopes: Option<Vec<Option<Text<32>>>>,
}

/// A credential as created: its secret is shown this once and never again (no `Debug`, so
/// it cannot reach a log).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminCredential)]
pub struct Credential {
    pub id: i64,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdminRechargeProviderPatch)]
pub struct RechargeProviderPatch {
    pub enabled: bool,
}

/// An autogiro payment order, as a bank-file tool reads it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminPaymentOrder)]
pub struct PaymentOrderView {
    /// The bill the order pays; also the order's id.
    pub bill_no: i64,
    pub account_no: String,
    pub amount: Money,
    #[schema(format = Date)]
    pub execution_date: String,
    /// `pending`, `executed`, `failed` or `canceled`.
    pub status: &'static str,
    /// The bill's OCR reference.
    pub payment_reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AdminPaymentOrders)]
pub struct PaymentOrders {
    pub orders: Vec<PaymentOrderView>,
}

/// One page of an admin list: `?limit=` (1 to 1000, default 50) and `?offset=`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AdminList)]
pub struct List<T> {
    pub items: Vec<T>,
    /// How many match in all.
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
}

/// Reads a present JSON value, `null` included, as `Some`: a field left out stays `None`,
/// so `{"email": null}` clears the e-mail and `{}` leaves it.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What an operator changes of a customer: the fields given; `null` or `""` clears an
/// optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminCustomerPatch)]
pub struct CustomerPatch {
    pub name: Option<Text<200>>,
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<Text<254>>>,
    #[serde(default, deserialize_with = "present")]
    pub msisdn: Option<Option<Text<20>>>,
    #[serde(default, deserialize_with = "present")]
    pub address: Option<Option<crate::http::postal_address::NewAddress>>,
    #[serde(default, deserialize_with = "present")]
    pub username: Option<Option<Text<255>>>,
    /// The whole list, replacing the old one; at most 100.
    pub aliases: Option<Vec<Option<Text<255>>>>,
    /// The whole list, replacing the old one; at most 100.
    pub cards: Option<Vec<Option<Text<255>>>>,
    #[serde(default, deserialize_with = "present")]
    pub personal_number: Option<Option<Text<255>>>,
}

/// What an operator changes of an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminAccountPatch)]
pub struct AccountPatch {
    /// Up or down, but never below what the account owes and holds.
    pub credit_limit: Option<Decimal>,
    /// `true` makes this its customer's default account.
    pub default: Option<bool>,
    /// Warn (`account.low-balance`) when available credit falls below this; `null` follows
    /// the ledger's `lowBalanceThreshold` again.
    #[serde(default, deserialize_with = "present")]
    pub low_balance_threshold: Option<Option<Decimal>>,
}

/// An account as the operator sees it: as API C shows it, and what only the operator sets.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminAccount)]
pub struct Account {
    #[serde(flatten)]
    pub shown: crate::http::credit_account::types::Account,
    /// The account's own low-balance threshold; null when it follows the ledger's.
    pub low_balance_threshold: Option<Money>,
}

/// A credential as the operator's list shows it: who it is, never its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminCredentialListed)]
pub struct ListedCredential {
    pub id: i64,
    pub kind: String,
    /// A MyQ Basic credential's login.
    pub login: Option<String>,
    /// An OAuth client's id.
    pub client_id: Option<String>,
    /// An OAuth client's scopes.
    pub scopes: Option<Vec<String>>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    /// When it last proved itself (to within a second or so); null if never.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
}

/// Which way an adjustment moves the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = AdminAdjustmentDirection)]
pub enum Direction {
    /// In the customer's favour.
    Credit,
    /// Against the customer; at most the available credit.
    Debit,
}

/// The operator's correction, posted as an `adjustment` transaction with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminAdjustment)]
pub struct Adjustment {
    pub direction: Direction,
    /// Greater than 0.
    pub amount: Decimal,
    /// Why: shown as the transaction's description, in statements and on bills.
    pub reason: Text<200>,
}

/// A bulk top-up: every line checked, then all applied in one commit, or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminTopUp)]
pub struct TopUp {
    /// The description of every posting ("Semester credit, spring 2027").
    pub description: Text<200>,
    /// Check every line and report, changing nothing.
    pub dry_run: Option<bool>,
    /// At most 200,000.
    pub lines: Vec<TopUpLine>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminTopUpLine)]
pub struct TopUpLine {
    /// The line's number in the operator's file, for reports; its place in the list if absent.
    pub line: Option<u64>,
    /// A username or alias; or else `customerNo`.
    pub username: Option<Text<255>>,
    pub customer_no: Option<Text<64>>,
    /// Greater than 0.
    pub amount: Decimal,
}

/// What a top-up did (or, with `dryRun`, would do).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminTopUpDone)]
pub struct TopUpDone {
    pub dry_run: bool,
    pub lines: usize,
    pub accounts: usize,
    pub total: Money,
}

/// A line of a top-up that breaks a rule.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminLineProblem)]
pub struct LineProblem {
    pub line: u64,
    pub column: &'static str,
    pub rule: String,
}

/// A refused top-up: nothing was applied; every problem is listed (the first 1,000).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AdminTopUpRefused)]
pub struct TopUpRefused {
    pub error: crate::http::myq_external::ExternalErrorMessage,
    pub problems: Vec<LineProblem>,
}

/// Customers to make or bring up to date, by customer number; a field left out is left as
/// it is (`null` clears an optional one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminCustomerImport)]
pub struct CustomerImport {
    /// Check every row and report, changing nothing.
    pub dry_run: Option<bool>,
    /// At most 100,000.
    pub rows: Vec<ImportRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminImportRow)]
pub struct ImportRow {
    /// The row's line in the operator's file; its place in the list if absent.
    pub line: Option<u64>,
    pub customer_no: Text<64>,
    pub name: Text<200>,
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<Text<254>>>,
    #[serde(default, deserialize_with = "present")]
    pub username: Option<Option<Text<255>>>,
    /// The whole list; at most 100.
    pub cards: Option<Vec<Option<Text<255>>>>,
    /// Of the customer's default account (made if it has none).
    pub credit_limit: Option<Decimal>,
}

/// What an import did (or, with `dryRun`, would do).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminImportDone)]
pub struct ImportDone {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}
