//! Finding and changing what a ledger holds: ledgers, customers (searched by name or by any
//! identity) and accounts (by customer, status, debt), a page at a time; customers' details
//! and accounts' credit limits changed by the operator.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};

use super::error::AdminError;
use super::{Admin, Body, ledger_id, ledger_meta, render, types};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::wire::{self, Text, Wire};
use crate::ledger::{AccountStatus, CustomerChange, Ledger};
use crate::money::Amount;

/// `limit` (1 to 1000, default 50) and `offset`, with every other parameter one of `filters`.
struct Window {
    limit: usize,
    offset: usize,
}

impl Window {
    fn read(query: &HashMap<String, String>, filters: &[&str]) -> Result<Window, Invalid> {
        if let Some(unknown) = query
            .keys()
            .find(|k| !["limit", "offset"].contains(&k.as_str()) && !filters.contains(&k.as_str()))
        {
            let known = ["limit", "offset"]
                .iter()
                .chain(filters)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Invalid::new(
                unknown.as_str(),
                format!("is not a parameter here; they are {known}"),
            ));
        }
        let number = |name: &str, default: usize, min: usize, max: usize| match query.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    Invalid::new(name, format!("must be an integer from {min} to {max}"))
                }),
        };
        Ok(Window {
            limit: number("limit", 50, 1, 1000)?,
            offset: number("offset", 0, 0, 1_000_000_000)?,
        })
    }

    fn page<T, U>(&self, all: Vec<T>, render: impl Fn(T) -> U) -> types::List<U> {
        let total = all.len();
        let items = all
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .map(render)
            .collect();
        types::List {
            items,
            total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

#[utoipa::path(get, operation_id = "adminListLedgers", path = "/admin/v1/ledgers", tag = "Admin API",
    params(("limit" = Option<usize>, Query), ("offset" = Option<usize>, Query)),
    responses((status = 200, description = "The ledgers by ledgerNo", body = types::List<types::Ledger>), super::Errors),
    security(("adminBearer" = [])))]
pub async fn ledgers(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<types::List<types::Ledger>>, AdminError> {
    let window = Window::read(&query, &[])?;
    let mut all = Vec::new();
    for id in state.engine.ledger_ids() {
        all.push(state.engine.read(id, |l, _| (*l.info).clone()).await?);
    }
    all.sort_by(|a, b| a.ledger_no.cmp(&b.ledger_no));
    Ok(Json(window.page(all, |info| render::ledger(&info))))
}

const CUSTOMER_FILTERS: [&str; 6] = [
    "q",
    "customerNo",
    "username",
    "card",
    "personalNumber",
    "email",
];

/// Whether the customer matches every filter given: `q` is part of the name or customer
/// number (any case); `username` is the username or an alias (any case); the rest exact.
fn customer_matches(l: &Ledger, c: &crate::ledger::Customer, f: &HashMap<String, String>) -> bool {
    let lower = |s: &str| s.to_lowercase();
    let given = |k: &str| f.get(k).map(String::as_str);
    given("q").is_none_or(|q| {
        lower(&c.name).contains(&lower(q)) || lower(&c.customer_no).contains(&lower(q))
    }) && given("customerNo").is_none_or(|n| c.customer_no == n)
        && given("username").is_none_or(|u| {
            l.customer_by_handle(u)
                .is_some_and(|found| found.id == c.id)
        })
        && given("card").is_none_or(|card| c.cards.iter().any(|x| x == card))
        && given("personalNumber").is_none_or(|p| c.personal_number.as_deref() == Some(p))
        && given("email").is_none_or(|e| {
            c.email
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(e))
        })
}

#[utoipa::path(get, operation_id = "adminListCustomers", path = "/admin/v1/ledgers/{ledger}/customers", tag = "Admin API",
    params(("ledger" = String, Path),
        ("q" = Option<String>, Query, description = "Part of the name or customerNo, any case"),
        ("customerNo" = Option<String>, Query), ("username" = Option<String>, Query, description = "A username or alias, any case"),
        ("card" = Option<String>, Query), ("personalNumber" = Option<String>, Query), ("email" = Option<String>, Query),
        ("limit" = Option<usize>, Query), ("offset" = Option<usize>, Query)),
    responses((status = 200, description = "The customers that match, by customerNo", body = types::List<types::Customer>), super::Errors),
    security(("adminBearer" = [])))]
pub async fn customers(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<types::List<types::Customer>>, AdminError> {
    let window = Window::read(&query, &CUSTOMER_FILTERS)?;
    let id = ledger_id(&state, &ledger)?;
    let page = state
        .engine
        .read(id, move |l, _| {
            let mut found: Vec<_> = l
                .customers()
                .filter(|c| customer_matches(l, c, &query))
                .collect();
            found.sort_by(|a, b| a.customer_no.cmp(&b.customer_no));
            window.page(found, |c| render::customer(l, c))
        })
        .await?;
    Ok(Json(page))
}

#[utoipa::path(patch, operation_id = "adminPatchCustomer", path = "/admin/v1/ledgers/{ledger}/customers/{customer}", tag = "Admin API",
    params(("ledger" = String, Path), ("customer" = String, Path, description = "The customerNo")),
    request_body = types::CustomerPatch,
    responses((status = 200, description = "The customer as changed", body = types::Customer), super::Errors),
    security(("adminBearer" = [])))]
pub async fn patch_customer(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, customer)): Path<(String, String)>,
    Wire { body, .. }: Body<types::CustomerPatch>,
) -> Result<Json<types::Customer>, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let change = customer_change(body)?;
    let changed = state
        .engine
        .execute(id, move |l, _| {
            l.update_customer(&customer, change)
                .map(|c| render::customer(l, &c))
        })
        .await??;
    Ok(Json(changed))
}

/// An optional text as sent: absent stays `None`; `null` and `""` clear it.
fn cleared<const N: usize>(text: Option<Option<Text<N>>>) -> Option<Option<String>> {
    text.map(|t| t.and_then(|t| t.given().map(str::to_string)))
}

/// The body's fields as the ledger's change.
fn customer_change(body: types::CustomerPatch) -> Result<CustomerChange, Invalid> {
    let name = match body.name {
        Some(name) => Some(
            name.given()
                .map(str::to_string)
                .ok_or_else(|| Invalid::new("name", "must not be empty"))?,
        ),
        None => None,
    };
    let list = |field: &str, list: Option<Vec<Option<Text<255>>>>| {
        list.map(|l| wire::texts(field, Some(l))).transpose()
    };
    Ok(CustomerChange {
        name,
        email: cleared(body.email),
        msisdn: cleared(body.msisdn),
        address: body
            .address
            .map(|a| {
                a.map(|a| a.checked().map_err(|e| e.within("address")))
                    .transpose()
            })
            .transpose()?,
        username: cleared(body.username),
        aliases: list("aliases", body.aliases)?,
        cards: list("cards", body.cards)?,
        personal_number: cleared(body.personal_number),
    })
}

const ACCOUNT_FILTERS: [&str; 3] = ["customerNo", "status", "inDebt"];

#[utoipa::path(get, operation_id = "adminListAccounts", path = "/admin/v1/ledgers/{ledger}/accounts", tag = "Admin API",
    params(("ledger" = String, Path), ("customerNo" = Option<String>, Query),
        ("status" = Option<String>, Query, description = "open, pending-close or closed"),
        ("inDebt" = Option<bool>, Query, description = "true: only accounts with a negative balance; false: only the others"),
        ("limit" = Option<usize>, Query), ("offset" = Option<usize>, Query)),
    responses((status = 200, description = "The accounts that match, by accountNo, as API C shows them with the operator's settings", body = types::List<types::Account>), super::Errors),
    security(("adminBearer" = [])))]
pub async fn accounts(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<types::List<types::Account>>, AdminError> {
    let window = Window::read(&query, &ACCOUNT_FILTERS)?;
    let status = match query.get("status").map(String::as_str) {
        None => None,
        // As accounts show it; `pendingClose` is how this filter first spelled it.
        Some("pendingClose") => Some(AccountStatus::PendingClose),
        Some(shown) => Some(
            AccountStatus::parse(shown)
                .ok_or_else(|| Invalid::new("status", "must be open, pending-close or closed"))?,
        ),
    };
    let in_debt = match query.get("inDebt").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(Invalid::new("inDebt", "must be true or false").into()),
    };
    let customer_no = query.get("customerNo").cloned();
    let id = ledger_id(&state, &ledger)?;
    let page = state
        .engine
        .read(id, move |l, _| {
            let owner = customer_no
                .as_ref()
                .map(|no| l.customer_by_no(no).map(|c| c.id));
            let mut found: Vec<_> = l
                .accounts()
                .filter(|a| owner.is_none_or(|o| o == Some(a.customer_id)))
                .filter(|a| status.is_none_or(|s| a.status == s))
                .filter(|a| in_debt.is_none_or(|d| a.balance.is_negative() == d))
                .collect();
            found.sort_by(|a, b| a.account_no.cmp(&b.account_no));
            window.page(found, |a| render::account(l, a))
        })
        .await?;
    Ok(Json(page))
}

#[utoipa::path(patch, operation_id = "adminPatchAccount", path = "/admin/v1/ledgers/{ledger}/accounts/{account}", tag = "Admin API",
    params(("ledger" = String, Path), ("account" = String, Path, description = "The accountNo")),
    request_body = types::AccountPatch,
    responses((status = 200, description = "The account as changed, as API C shows it with the operator's settings", body = types::Account), super::Errors),
    security(("adminBearer" = [])))]
pub async fn patch_account(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
    Wire { body, .. }: Body<types::AccountPatch>,
) -> Result<Json<types::Account>, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let limit: Option<Amount> = body
        .credit_limit
        .map(|l| l.at(meta.scale, "creditLimit"))
        .transpose()?;
    let make_default = match body.default {
        Some(false) => {
            return Err(Invalid::new(
                "default",
                "can only be true: make another account the default instead",
            )
            .into());
        }
        Some(true) => true,
        None => false,
    };
    let threshold = match body.low_balance_threshold {
        Some(Some(t)) => Some(Some(low_balance_threshold(t, meta.scale)?)),
        Some(None) => Some(None),
        None => None,
    };
    let changed = state
        .engine
        .execute(meta.id, move |l, _| {
            l.operate_account(&account, limit, make_default, threshold)
                .map(|a| render::account(l, &a))
        })
        .await??;
    Ok(Json(changed))
}

/// An account's low-balance threshold: an amount at the ledger's scale, not below zero.
fn low_balance_threshold(t: wire::Decimal, scale: u32) -> Result<Amount, AdminError> {
    let amount = t.at(scale, "lowBalanceThreshold")?;
    if amount < Amount::ZERO {
        return Err(Invalid::new("lowBalanceThreshold", "must not be negative").into());
    }
    Ok(amount)
}
