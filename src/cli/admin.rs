//! `saldo admin …`: a thin client of the admin API, so the server stays the only writer.

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::output::{Body, View};
use crate::secret::Secret;

#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    /// Base URL of the saldo server.
    #[arg(long, env = "SALDO_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Admin token.
    #[arg(long, env = "SALDO_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Secret,
    /// Sent as `Idempotency-Key`: a POST repeated with the same key (a script run twice, a
    /// retry after a timeout) is carried out once. Use the bank's id for a payment.
    #[arg(long, global = true)]
    pub idempotency_key: Option<String>,
    /// Print the server's answer as JSON, for scripts, instead of tables and summaries.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a ledger.
    LedgerCreate {
        /// The new ledger's number, digits only.
        #[arg(long)]
        ledger_no: String,
        /// The name shown.
        #[arg(long)]
        name: String,
        /// ISO 4217 code of the ledger's currency.
        #[arg(long, default_value = "SEK")]
        currency: String,
    },
    /// Show a ledger and its settings.
    LedgerGet { ledger: String },
    /// List the ledgers.
    LedgerList {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Find customers: all of them, or those matching every filter given.
    CustomerList {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// Part of the name or customer number, in any case.
        #[arg(long)]
        q: Option<String>,
        /// The customer's number (customerNo).
        #[arg(long)]
        customer_no: Option<String>,
        /// A username or alias, in any case.
        #[arg(long)]
        username: Option<String>,
        /// A card number.
        #[arg(long)]
        card: Option<String>,
        /// Personal number (Swedish personnummer or another).
        #[arg(long)]
        personal_number: Option<String>,
        /// E-mail address ("" clears it where it can be changed).
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change a customer: only what is given changes; `--email ""` clears the e-mail.
    CustomerUpdate {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The customer's number (customerNo).
        customer_no: String,
        /// The name shown.
        #[arg(long)]
        name: Option<String>,
        /// E-mail address ("" clears it where it can be changed).
        #[arg(long)]
        email: Option<String>,
        /// The phone number (MSISDN).
        #[arg(long)]
        phone: Option<String>,
        /// MyQ username, unique in the ledger in any case.
        #[arg(long)]
        username: Option<String>,
        /// Replaces all aliases (repeat for several; `--alias ""` removes them all).
        #[arg(long = "alias")]
        aliases: Option<Vec<String>>,
        /// Replaces all cards (repeat for several; `--card ""` removes them all).
        #[arg(long = "card")]
        cards: Option<Vec<String>>,
        /// Personal number (Swedish personnummer or another).
        #[arg(long)]
        personal_number: Option<String>,
    },
    /// Find accounts: all of them, or those matching every filter given.
    AccountList {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The customer's number (customerNo).
        #[arg(long)]
        customer_no: Option<String>,
        /// open, pending-close or closed.
        #[arg(long, value_parser = ["open", "pendingClose", "closed"])]
        status: Option<String>,
        /// Only accounts that owe money (`true`) or only the others (`false`).
        #[arg(long)]
        in_debt: Option<bool>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change an account: its credit limit (up or down, never below what it owes and holds),
    /// its low-balance threshold, or make it its customer's default account.
    AccountSet {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The account's number (accountNo).
        account: String,
        /// In major units, e.g. 500.00.
        #[arg(long, required_unless_present_any = ["default", "low_balance_threshold"])]
        credit_limit: Option<String>,
        /// Make this the customer's default account.
        #[arg(long)]
        default: bool,
        /// Warn (`account.low-balance`) below this available credit, in major units; `none`
        /// follows the ledger's setting again.
        #[arg(long)]
        low_balance_threshold: Option<String>,
    },
    /// Change ledger settings: `--set sessionIdleTimeoutSeconds=600`.
    LedgerSettings {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// A setting as KEY=VALUE (repeat for several).
        #[arg(long = "set", value_name = "KEY=VALUE", required = true)]
        set: Vec<String>,
    },
    /// Create a customer, with its MyQ identity.
    CustomerCreate {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The customer's number (customerNo).
        #[arg(long)]
        customer_no: String,
        /// The name shown.
        #[arg(long)]
        name: String,
        /// E-mail address ("" clears it where it can be changed).
        #[arg(long)]
        email: Option<String>,
        /// MyQ username, unique in the ledger in any case.
        #[arg(long)]
        username: Option<String>,
        /// A MyQ alias (repeat for several).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// A card number (repeat for several).
        #[arg(long = "card")]
        cards: Vec<String>,
        /// Personal number (Swedish personnummer or another).
        #[arg(long)]
        personal_number: Option<String>,
    },
    /// Open an account for a customer.
    AccountCreate {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The customer's number (customerNo).
        #[arg(long)]
        customer_no: String,
        /// Chosen by saldo when not given.
        #[arg(long)]
        account_no: Option<String>,
        /// In major units, e.g. 100.00.
        #[arg(long, default_value = "0")]
        credit_limit: String,
    },
    /// Show an account with its balances.
    AccountGet { ledger: String, account: String },
    /// Record money received from the customer.
    PaymentCreate {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The account's number (accountNo).
        account: String,
        /// In major units, e.g. 25.50.
        #[arg(long)]
        amount: String,
        /// Shown on the posting.
        #[arg(long)]
        description: Option<String>,
        /// The payment reference (a bill's or the account's OCR reference).
        #[arg(long)]
        reference: Option<String>,
    },
    /// Correct a balance: `--credit 10.00` or `--debit 2.50`, with the reason customers see.
    Adjust {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The account's number (accountNo).
        account: String,
        /// In the customer's favour, in major units.
        #[arg(long, conflicts_with = "debit", required_unless_present = "debit")]
        credit: Option<String>,
        /// Against the customer (at most the available credit), in major units.
        #[arg(long)]
        debit: Option<String>,
        /// Why; shown as the transaction's description.
        #[arg(long)]
        reason: String,
    },
    /// Top up many customers from a file of `username;amount` lines (MyQ's format; a header
    /// and `#` comments are skipped, `12,50` reads as 12.50): all lines or none.
    TopUp {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The file to read.
        file: std::path::PathBuf,
        /// Shown on every posting, e.g. "Semester credit".
        #[arg(long)]
        description: String,
        /// Check every line and report the wrong ones, changing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Top up every customer the filters find (every customer without filters) by the same
    /// amount, as one top-up: all of them or none.
    TopUpAll {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// Per customer, in major units.
        #[arg(long)]
        amount: String,
        /// Shown on the posting.
        #[arg(long)]
        description: String,
        /// Part of the name or customer number, in any case.
        #[arg(long)]
        q: Option<String>,
        /// A username or alias, in any case.
        #[arg(long)]
        username: Option<String>,
        /// A card number.
        #[arg(long)]
        card: Option<String>,
        /// E-mail address ("" clears it where it can be changed).
        #[arg(long)]
        email: Option<String>,
        /// Check everything and report, changing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import customers from a file whose header names its columns (customerNo;name;email;
    /// username;cards;creditLimit): an upsert by customerNo, all rows or none.
    Import {
        /// What to import: customers.
        #[arg(value_parser = ["customers"])]
        what: String,
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The file to read.
        file: std::path::PathBuf,
        /// Check every row and report the wrong ones, changing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show an account's postings with the running balance.
    Statement {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The account's number (accountNo).
        account: String,
        /// From this day (YYYY-MM-DD); earlier postings make the balance brought forward.
        #[arg(long)]
        from: Option<String>,
        /// Up to and including this day (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// json or csv.
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
    },
    /// Create a credential; its secret is shown once.
    CredentialCreate {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// myq-basic, myq-oauth-client or ledger-bearer.
        #[arg(long, default_value = "myq-basic", value_parser = ["myq-basic", "myq-oauth-client", "ledger-bearer"])]
        kind: String,
        /// The MyQ Basic login (myq-basic only).
        #[arg(long)]
        login: Option<String>,
        /// Scopes of an OAuth client (repeat for several).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Enable or disable a recharge provider (`external`, `voucher`).
    RechargeProvider {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The payment reference (a bill's or the account's OCR reference).
        reference: String,
        /// Enable the provider.
        #[arg(long, conflicts_with = "disable", required_unless_present = "disable")]
        enable: bool,
        /// Disable the provider.
        #[arg(long)]
        disable: bool,
    },
    /// Run billing for a ledger at a bill date (YYYY-MM-DD).
    BillRun {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The bill date, YYYY-MM-DD.
        #[arg(long)]
        bill_date: String,
    },
    /// Record money received with a bill's OCR payment reference.
    PayReference {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// In major units, e.g. 25.50.
        #[arg(long)]
        amount: String,
        /// The payment reference (a bill's or the account's OCR reference).
        #[arg(long)]
        reference: String,
    },
    /// Print the ledger's events as NDJSON, oldest first; `--follow` waits for new ones.
    Events {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// Only events after this sequence number: the last one a consumer handled.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Keep waiting for new events until interrupted (Ctrl-C).
        #[arg(long)]
        follow: bool,
    },
    /// Subscribe a URL to the ledger's events; the signing secret is shown once.
    WebhookCreate {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// Where events are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// An event type wanted, e.g. recharge.completed (repeat for several; all when none).
        #[arg(long = "type")]
        types: Vec<String>,
        /// Deliver events after this sequence number (default: only events from now on).
        #[arg(long)]
        after: Option<i64>,
    },
    /// List the ledger's webhook subscriptions (never their secrets).
    WebhookList { ledger: String },
    /// Pause or resume a webhook subscription; resuming retries its next event at once.
    WebhookSet {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The subscription's id (in `webhook-list`).
        id: i64,
        /// active or paused.
        #[arg(long, value_parser = ["active", "paused"])]
        status: String,
    },
    /// Deliver a webhook subscription's events again, from after a sequence number.
    WebhookReplay {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The subscription's id (in `webhook-list`).
        id: i64,
        /// The last event not to deliver again (0: from the first).
        #[arg(long)]
        after: i64,
    },
    /// A webhook subscription's latest delivery attempts: status, error, latency.
    WebhookDeliveries {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The subscription's id (in `webhook-list`).
        id: i64,
        /// At most this many, newest first (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Delete a webhook subscription: nothing more is delivered to it.
    WebhookDelete {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// The subscription's id (in `webhook-list`).
        id: i64,
    },
    /// Revoke a credential (its id is in `credential-list`).
    CredentialRevoke { ledger: String, id: i64 },
    /// List a ledger's credentials: id, kind, login or client id, created, last used.
    CredentialList { ledger: String },
    /// Autogiro payment orders still pending, as CSV for a bank-file tool.
    PaymentOrders {
        /// The ledger's number (ledgerNo).
        ledger: String,
        /// Only those to execute on or before this day (YYYY-MM-DD).
        #[arg(long)]
        due: Option<String>,
    },
    /// Mark an autogiro payment order (named by its bill number) executed or failed.
    PaymentOrderDone {
        /// The ledger's number (ledgerNo).
        ledger: String,
        bill_no: i64,
        /// The bank drew the order: post the payment.
        #[arg(long, conflicts_with = "failed", required_unless_present = "failed")]
        executed: bool,
        /// The bank could not draw the order: the bill stays open.
        #[arg(long)]
        failed: bool,
    },
}

/// Which page of a list to show.
#[derive(clap::Args, Debug)]
pub struct PageArgs {
    /// At most this many (1 to 1000).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Skip this many first.
    #[arg(long, default_value_t = 0)]
    offset: usize,
}

/// `path` with the given filters and the page as its query string, encoded.
fn listing(path: String, filters: &[(&str, Option<String>)], page: PageArgs) -> String {
    let mut all = filters.to_vec();
    all.push(("limit", Some(page.limit.to_string())));
    all.push(("offset", Some(page.offset.to_string())));
    with_query(path, &all)
}

/// `path` with the filters given as its query string, encoded.
fn with_query(path: String, filters: &[(&str, Option<String>)]) -> String {
    let mut url = reqwest::Url::parse("http://saldo/").expect("a valid URL");
    {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in filters {
            if let Some(value) = value {
                pairs.append_pair(name, value);
            }
        }
    }
    format!("{path}?{}", url.query().unwrap_or_default())
}

/// A CLI amount sent as a JSON number, exactly as typed.
fn number(text: &str, what: &str) -> anyhow::Result<Value> {
    let n: serde_json::Number = text
        .parse()
        .with_context(|| format!("{what} must be a number"))?;
    Ok(Value::Number(n))
}

/// How a person sees `command`'s answer (without `--json`).
fn view(command: &AdminCommand) -> View {
    use AdminCommand::*;
    match command {
        LedgerCreate { .. } => View::change("created ledger {/ledgerNo} ({/name}, {/currency})"),
        LedgerList { .. } => View::table(
            "/items",
            &[
                ("ledger", "/ledgerNo"),
                ("name", "/name"),
                ("currency", "/currency"),
            ],
        ),
        LedgerSettings { ledger, .. } => {
            View::change(format!("changed the settings of ledger {ledger}"))
        }
        RechargeProvider {
            reference, enable, ..
        } => View::change(format!(
            "{} the recharge provider {reference} of ledger {{/ledgerNo}}",
            if *enable { "enabled" } else { "disabled" }
        )),
        CustomerList { .. } => View::table(
            "/items",
            &[
                ("customer", "/customerNo"),
                ("name", "/name"),
                ("username", "/username"),
                ("email", "/email"),
                ("cards", "/cards"),
                ("account", "/defaultAccountNo"),
            ],
        ),
        CustomerCreate { .. } => View::change("created customer {/customerNo} ({/name})"),
        CustomerUpdate { .. } => View::change("changed customer {/customerNo} ({/name})"),
        AccountList { .. } => View::table(
            "/items",
            &[
                ("account", "/accountNo"),
                ("customer", "/customerNo"),
                ("status", "/status"),
                ("credit limit", "/creditLimit"),
                ("balance", "/totalBalance"),
                ("reserved", "/reservedAmount"),
                ("available", "/availableAmount"),
            ],
        ),
        AccountCreate { .. } => View::change(
            "opened account {/accountNo} for customer {/customerNo} with credit limit {/creditLimit}",
        ),
        AccountSet { .. } => View::change(
            "changed account {/accountNo}: credit limit {/creditLimit}, available {/availableAmount}, low-balance threshold {/lowBalanceThreshold}",
        ),
        PaymentCreate { account, .. } => View::change(format!(
            "recorded a payment of {{/amount}} on account {account}"
        )),
        PayReference { reference, .. } => View::change(format!(
            "recorded a payment of {{/amount}} with reference {reference}"
        )),
        Adjust { account, .. } => View::change(format!(
            "posted an adjustment of {{/amount}} on account {account}: {{/description}}"
        )),
        Statement { format, .. } if format == "csv" => View {
            headline: None,
            body: Body::Raw,
        },
        Statement { .. } => View::table(
            "/transactions",
            &[
                ("date", "/date"),
                ("type", "/type"),
                ("description", "/description"),
                ("amount", "/amount"),
                ("balance", "/balance"),
            ],
        )
        .with_headline(
            "account {/account/accountNo}: brought forward {/openingBalance}, \
             balance now {/account/totalBalance}, available {/account/availableAmount}",
        ),
        CredentialCreate { .. } => {
            View::change("created credential {/id} ({/kind}); its secret is shown only now")
        }
        CredentialList { .. } => View::table(
            "/items",
            &[
                ("id", "/id"),
                ("kind", "/kind"),
                ("login", "/login"),
                ("client id", "/clientId"),
                ("created", "/createdAt"),
                ("last used", "/lastUsedAt"),
            ],
        ),
        CredentialRevoke { ledger, id } => View {
            headline: Some(format!("revoked credential {id} of ledger {ledger}")),
            body: Body::Nothing,
        },
        BillRun { bill_date, .. } => View::table(
            "/bills",
            &[
                ("bill", "/billNo"),
                ("type", "/billType"),
                ("amount", "/billAmount"),
                ("due", "/dueDate"),
                ("reference", "/activePaymentDetails/paymentReference"),
            ],
        )
        .with_headline(format!("bill run of {bill_date}: {{#/bills}} documents")),
        PaymentOrders { .. } => View {
            headline: None,
            body: Body::Raw,
        },
        PaymentOrderDone { executed, .. } => View::change(format!(
            "marked the payment order of bill {{/billNo}} {}",
            if *executed { "executed" } else { "failed" }
        )),
        WebhookCreate { .. } => {
            View::change("created webhook {/id} to {/url}; its signing secret is shown only now")
        }
        WebhookList { .. } => View::table(
            "/items",
            &[
                ("id", "/id"),
                ("url", "/url"),
                ("types", "/types"),
                ("status", "/status"),
                ("handled", "/handledSeq"),
                ("failed", "/failedAttempts"),
            ],
        ),
        WebhookSet { .. } => View::change("webhook {/id} is {/status}"),
        WebhookReplay { .. } => {
            View::change("webhook {/id} delivers again every event after {/handledSeq}")
        }
        WebhookDeliveries { .. } => View::table(
            "/items",
            &[
                ("at", "/at"),
                ("seq", "/seq"),
                ("type", "/type"),
                ("try", "/attempt"),
                ("status", "/status"),
                ("outcome", "/outcome"),
                ("error", "/error"),
                ("ms", "/latencyMs"),
            ],
        ),
        WebhookDelete { ledger, id } => View {
            headline: Some(format!("deleted webhook {id} of ledger {ledger}")),
            body: Body::Nothing,
        },
        LedgerGet { .. } | AccountGet { .. } => View::record(),
        TopUp { .. } | TopUpAll { .. } | Import { .. } | Events { .. } => View::record(),
    }
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    use AdminCommand::*;
    let base = format!("{}/admin/v1", args.url.trim_end_matches('/'));
    let view = view(&args.command);
    let server = super::bulk::Server {
        base: &base,
        token: args.token.expose(),
        json: args.json,
        idempotency_key: args.idempotency_key.as_deref(),
    };
    if let TopUp {
        ledger,
        file,
        description,
        dry_run,
    } = &args.command
    {
        return super::top_up::run(&server, ledger, file, description, *dry_run).await;
    }
    if let TopUpAll {
        ledger,
        amount,
        description,
        q,
        username,
        card,
        email,
        dry_run,
    } = &args.command
    {
        let filters = [
            ("q", q.clone()),
            ("username", username.clone()),
            ("card", card.clone()),
            ("email", email.clone()),
        ];
        return super::top_up::everyone(&server, ledger, &filters, amount, description, *dry_run)
            .await;
    }
    if let Events {
        ledger,
        after,
        follow,
    } = &args.command
    {
        return super::events::print(&server, ledger, *after, *follow).await;
    }
    if let Import {
        ledger,
        file,
        dry_run,
        ..
    } = &args.command
    {
        return super::import::customers(&server, ledger, file, *dry_run).await;
    }
    let (method, path, body) = match args.command {
        LedgerCreate {
            ledger_no,
            name,
            currency,
        } => (
            "POST",
            "/ledgers".to_string(),
            Some(json!({"ledgerNo": ledger_no, "name": name, "currency": currency})),
        ),
        LedgerGet { ledger } => ("GET", format!("/ledgers/{ledger}"), None),
        LedgerList { page } => ("GET", listing("/ledgers".into(), &[], page), None),
        CustomerList {
            ledger,
            q,
            customer_no,
            username,
            card,
            personal_number,
            email,
            page,
        } => {
            let filters = [
                ("q", q),
                ("customerNo", customer_no),
                ("username", username),
                ("card", card),
                ("personalNumber", personal_number),
                ("email", email),
            ];
            let path = listing(format!("/ledgers/{ledger}/customers"), &filters, page);
            ("GET", path, None)
        }
        CustomerUpdate {
            ledger,
            customer_no,
            name,
            email,
            phone,
            username,
            aliases,
            cards,
            personal_number,
        } => {
            let mut body = Map::new();
            let list = |l: Vec<String>| -> Vec<String> {
                l.into_iter().filter(|x| !x.is_empty()).collect()
            };
            for (key, value) in [
                ("name", name.map(Value::String)),
                ("email", email.map(Value::String)),
                ("msisdn", phone.map(Value::String)),
                ("username", username.map(Value::String)),
                ("aliases", aliases.map(|a| json!(list(a)))),
                ("cards", cards.map(|c| json!(list(c)))),
                ("personalNumber", personal_number.map(Value::String)),
            ] {
                if let Some(value) = value {
                    body.insert(key.to_string(), value);
                }
            }
            let path = format!("/ledgers/{ledger}/customers/{customer_no}");
            ("PATCH", path, Some(Value::Object(body)))
        }
        AccountList {
            ledger,
            customer_no,
            status,
            in_debt,
            page,
        } => {
            let filters = [
                ("customerNo", customer_no),
                ("status", status),
                ("inDebt", in_debt.map(|d| d.to_string())),
            ];
            let path = listing(format!("/ledgers/{ledger}/accounts"), &filters, page);
            ("GET", path, None)
        }
        AccountSet {
            ledger,
            account,
            credit_limit,
            default,
            low_balance_threshold,
        } => {
            let mut body = json!({});
            if let Some(limit) = credit_limit {
                body["creditLimit"] = number(&limit, "--credit-limit")?;
            }
            if default {
                body["default"] = json!(true);
            }
            match low_balance_threshold.as_deref() {
                Some("none") => body["lowBalanceThreshold"] = Value::Null,
                Some(t) => body["lowBalanceThreshold"] = number(t, "--low-balance-threshold")?,
                None => {}
            }
            (
                "PATCH",
                format!("/ledgers/{ledger}/accounts/{account}"),
                Some(body),
            )
        }
        LedgerSettings { ledger, set } => {
            let mut settings = Map::new();
            for pair in set {
                let (k, v) = pair.split_once('=').context("--set takes KEY=VALUE")?;
                let value =
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
                settings.insert(k.to_string(), value);
            }
            (
                "PATCH",
                format!("/ledgers/{ledger}"),
                Some(json!({ "settings": settings })),
            )
        }
        CustomerCreate {
            ledger,
            customer_no,
            name,
            email,
            username,
            aliases,
            cards,
            personal_number,
        } => (
            "POST",
            format!("/ledgers/{ledger}/customers"),
            Some(json!({
                "customerNo": customer_no, "name": name, "email": email, "username": username,
                "aliases": aliases, "cards": cards, "personalNumber": personal_number,
            })),
        ),
        AccountCreate {
            ledger,
            customer_no,
            account_no,
            credit_limit,
        } => (
            "POST",
            format!("/ledgers/{ledger}/accounts"),
            Some(json!({
                "customerNo": customer_no, "accountNo": account_no,
                "creditLimit": number(&credit_limit, "--credit-limit")?,
            })),
        ),
        AccountGet { ledger, account } => {
            ("GET", format!("/ledgers/{ledger}/accounts/{account}"), None)
        }
        PaymentCreate {
            ledger,
            account,
            amount,
            description,
            reference,
        } => (
            "POST",
            format!("/ledgers/{ledger}/accounts/{account}/payments"),
            Some(json!({
                "amount": number(&amount, "--amount")?, "description": description,
                "paymentReference": reference,
            })),
        ),
        Adjust {
            ledger,
            account,
            credit,
            debit,
            reason,
        } => {
            let (direction, amount) = match (credit, debit) {
                (Some(amount), _) => ("credit", amount),
                (None, Some(amount)) => ("debit", amount),
                (None, None) => anyhow::bail!("give --credit or --debit"),
            };
            (
                "POST",
                format!("/ledgers/{ledger}/accounts/{account}/adjustments"),
                Some(json!({
                    "direction": direction, "amount": number(&amount, "the amount")?,
                    "reason": reason,
                })),
            )
        }
        TopUp { .. } | TopUpAll { .. } | Import { .. } | Events { .. } => {
            unreachable!("sent above")
        }
        Statement {
            ledger,
            account,
            from,
            to,
            format,
        } => {
            let path = format!("/ledgers/{ledger}/accounts/{account}/statement");
            let filters = [("from", from), ("to", to), ("format", Some(format))];
            ("GET", with_query(path, &filters), None)
        }
        CredentialCreate {
            ledger,
            kind,
            login,
            scopes,
        } => {
            let mut body = json!({ "kind": kind, "login": login });
            if !scopes.is_empty() {
                body["scopes"] = json!(scopes);
            }
            ("POST", format!("/ledgers/{ledger}/credentials"), Some(body))
        }
        BillRun { ledger, bill_date } => (
            "POST",
            format!("/ledgers/{ledger}/bill-runs"),
            Some(json!({ "billDate": bill_date })),
        ),
        PayReference {
            ledger,
            amount,
            reference,
        } => (
            "POST",
            format!("/ledgers/{ledger}/payments"),
            Some(json!({ "amount": number(&amount, "--amount")?, "paymentReference": reference })),
        ),
        RechargeProvider {
            ledger,
            reference,
            enable,
            ..
        } => (
            "PATCH",
            format!("/ledgers/{ledger}/recharge-providers/{reference}"),
            Some(json!({ "enabled": enable })),
        ),
        CredentialList { ledger } => ("GET", format!("/ledgers/{ledger}/credentials"), None),
        WebhookCreate {
            ledger,
            url,
            types,
            after,
        } => (
            "POST",
            format!("/ledgers/{ledger}/webhooks"),
            Some(json!({"url": url, "types": types, "after": after})),
        ),
        WebhookList { ledger } => ("GET", format!("/ledgers/{ledger}/webhooks"), None),
        WebhookSet { ledger, id, status } => (
            "PATCH",
            format!("/ledgers/{ledger}/webhooks/{id}"),
            Some(json!({ "status": status })),
        ),
        WebhookReplay { ledger, id, after } => (
            "POST",
            format!("/ledgers/{ledger}/webhooks/{id}/replay"),
            Some(json!({ "after": after })),
        ),
        WebhookDeliveries { ledger, id, limit } => (
            "GET",
            format!("/ledgers/{ledger}/webhooks/{id}/deliveries?limit={limit}"),
            None,
        ),
        WebhookDelete { ledger, id } => {
            ("DELETE", format!("/ledgers/{ledger}/webhooks/{id}"), None)
        }
        CredentialRevoke { ledger, id } => (
            "DELETE",
            format!("/ledgers/{ledger}/credentials/{id}"),
            None,
        ),
        PaymentOrders { ledger, due } => (
            "GET",
            format!(
                "/ledgers/{ledger}/payment-orders?format=csv&due={}",
                due.unwrap_or_default()
            ),
            None,
        ),
        PaymentOrderDone {
            ledger,
            bill_no,
            executed,
            ..
        } => (
            "POST",
            format!(
                "/ledgers/{ledger}/payment-orders/{bill_no}/{}",
                if executed { "executed" } else { "failed" }
            ),
            None,
        ),
    };
    let client = reqwest::Client::new();
    let method: reqwest::Method = method.parse().expect("known method");
    let mut request = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(args.token.expose());
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = &args.idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("calling {base}"))?;
    let status = response.status();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let text = response.text().await?;
    let shown = if args.json || !status.is_success() {
        serde_json::from_str::<Value>(&text)
            .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default() + "\n")
            .unwrap_or(text)
    } else {
        view.render(&text, replayed)
    };
    print!("{shown}");
    anyhow::ensure!(status.is_success(), "the server answered {status}");
    Ok(())
}
