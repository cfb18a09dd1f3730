//! Users (SPEC §4): find, get, accounts and their credit balance. Customers are MyQ users;
//! the customer id is MyQ's `userId`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use super::{V3Client, V3Error, page, path_id};
use crate::http::AppState;
use crate::ledger::Entity;
use crate::ledger::{Customer, Ledger, LedgerError, RECHARGE_PROVIDERS, UserFilter};

/// MyQ X's name for a user's credit account: its clients look for the account with this
/// reference and read its `limits.price` as the user's credit. It names the default account.
const INTERNAL_ACCOUNT: &str = "internalaccount";

fn user(c: &Customer) -> Value {
    json!({
        "id": c.id,
        "username": c.username,
        "fullname": c.name,
        "email": c.email,
        "code": c.personal_number,
        "aliases": c.aliases,
        "phone": c.msisdn,
        "lang": null,
    })
}

pub async fn find(
    State(state): State<AppState>,
    client: V3Client,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, V3Error> {
    client.require("users")?;
    let (limit, start) = page(&query)?;
    let filter_value = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
    let filter = UserFilter {
        username: filter_value("username"),
        card: filter_value("card"),
        code: filter_value("code"),
        email: filter_value("email"),
    };
    if filter.is_empty() {
        return Err(V3Error::bad_request(
            "At least one filter is required: username, card, code or email",
        ));
    }
    let (users, count) = state
        .engine
        .read(client.ledger.id, move |l, _| {
            let found = l.find_customers(&filter);
            let page: Vec<Value> = found
                .iter()
                .skip(start as usize)
                .take(limit as usize)
                .map(|c| user(c))
                .collect();
            (page, found.len())
        })
        .await?;
    Ok(Json(json!({ "users": users, "count": count })))
}

/// Runs `render` on the user with this path id, or answers 404.
async fn with_user<T: Send + 'static>(
    state: &AppState,
    client: &V3Client,
    id: &str,
    render: impl FnOnce(&Ledger, &Customer) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, V3Error> {
    let id = path_id(id, "User")?;
    Ok(state
        .engine
        .read(client.ledger.id, move |l, _| {
            let customer = l
                .customer(id)
                .ok_or(LedgerError::NotFound(Entity::Customer))?;
            render(l, customer)
        })
        .await??)
}

pub async fn get(
    State(state): State<AppState>,
    client: V3Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, V3Error> {
    client.require("users")?;
    Ok(Json(
        with_user(&state, &client, &id, |_, c| Ok(user(c))).await?,
    ))
}

pub async fn accounts(
    State(state): State<AppState>,
    client: V3Client,
    Path(id): Path<String>,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let body = with_user(&state, &client, &id, |l, c| {
        let providers: Vec<Value> = RECHARGE_PROVIDERS
            .iter()
            .filter(|(reference, _)| l.info.settings.recharge_provider_enabled(reference) == Some(true))
            .map(|(reference, name)| json!({"name": name, "reference": reference}))
            .collect();
        let scale = l.info.scale();
        let accounts: Vec<Value> = l
            .accounts_of(c.id)
            .into_iter()
            .map(|a| {
                let reference = if c.default_account == Some(a.id) {
                    INTERNAL_ACCOUNT.to_string()
                } else {
                    a.account_no.clone()
                };
                json!({
                    "name": a.alias.clone().or_else(|| a.description.clone()).unwrap_or_else(|| a.account_no.clone()),
                    "reference": reference,
                    "type": "credit",
                    "limits": {"price": a.available().plain_json(scale)},
                    "rechargeProviders": providers,
                })
            })
            .collect();
        Ok(json!({"credit": {"enabled": true}, "accounts": accounts}))
    })
    .await?;
    Ok(Json(body))
}

pub async fn balance(
    State(state): State<AppState>,
    client: V3Client,
    Path((id, reference)): Path<(String, String)>,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let scale = client.ledger.scale;
    let amount = with_user(&state, &client, &id, move |l, c| {
        l.accounts_of(c.id)
            .into_iter()
            .find(|a| match reference.as_str() {
                INTERNAL_ACCOUNT => c.default_account == Some(a.id),
                number => a.account_no == number,
            })
            .map(|a| a.available())
            .ok_or(LedgerError::NotFound(Entity::Account))
    })
    .await?;
    Ok(Json(json!({ "amount": amount.plain_json(scale) })))
}
