//! Users (SPEC §4): find, get, accounts and their credit balance. Customers are MyQ users;
//! the customer id is MyQ's `userId`.

use std::collections::HashMap;

use super::{V3Client, V3Error, page, path_id, types};
use crate::http::AppState;
use crate::ledger::Entity;
use crate::ledger::{Customer, Ledger, LedgerError, RECHARGE_PROVIDERS, UserFilter};
use axum::Json;
use axum::extract::{Path, Query, State};

/// MyQ X's name for a user's credit account: its clients look for the account with this
/// reference and read its `limits.price` as the user's credit. It names the default account.
const INTERNAL_ACCOUNT: &str = "internalaccount";

fn user(c: &Customer) -> types::User {
    types::User {
        id: c.id,
        username: c.username.clone(),
        fullname: c.name.clone(),
        email: c.email.clone(),
        code: c.personal_number.clone(),
        aliases: c.aliases.clone(),
        phone: c.msisdn.clone(),
        lang: None,
    }
}

#[utoipa::path(get, operation_id = "findUsers", path = "/api/v3/users/find", tag = "MyQ X REST API v3",
    params(("username" = Option<String>, Query, description = "A username or alias, any case"),
        ("card" = Option<String>, Query), ("code" = Option<String>, Query, description = "A personal number"),
        ("email" = Option<String>, Query), ("limit" = Option<u32>, Query), ("start" = Option<i64>, Query)),
    responses((status = 200, description = "The users matching every filter given (at least one)", body = types::Users), super::Errors),
    security(("myqOAuth" = ["users"])))]
pub async fn find(
    State(state): State<AppState>,
    client: V3Client,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<types::Users>, V3Error> {
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
            let page: Vec<types::User> = found
                .iter()
                .skip(start as usize)
                .take(limit as usize)
                .map(|c| user(c))
                .collect();
            (page, found.len())
        })
        .await?;
    Ok(Json(types::Users { users, count }))
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

#[utoipa::path(get, operation_id = "getUser", path = "/api/v3/users/{id}", tag = "MyQ X REST API v3",
    params(("id" = i64, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = types::User), super::Errors),
    security(("myqOAuth" = ["users"])))]
pub async fn get(
    State(state): State<AppState>,
    client: V3Client,
    Path(id): Path<String>,
) -> Result<Json<types::User>, V3Error> {
    client.require("users")?;
    Ok(Json(
        with_user(&state, &client, &id, |_, c| Ok(user(c))).await?,
    ))
}

#[utoipa::path(get, operation_id = "getUserAccounts", path = "/api/v3/users/{id}/accounts", tag = "MyQ X REST API v3",
    params(("id" = i64, Path, description = "The user's id")),
    responses((status = 200, description = "The user's accounts; the default one is internalaccount", body = types::Accounts), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn accounts(
    State(state): State<AppState>,
    client: V3Client,
    Path(id): Path<String>,
) -> Result<Json<types::Accounts>, V3Error> {
    client.require("credit")?;
    let body = with_user(&state, &client, &id, |l, c| {
        let providers = || {
            RECHARGE_PROVIDERS
                .iter()
                .filter(|(reference, _)| {
                    l.info.settings.recharge_provider_enabled(reference) == Some(true)
                })
                .map(|(reference, name)| types::Provider { name, reference })
                .collect()
        };
        let scale = l.info.scale();
        let accounts: Vec<types::UserAccount> = l
            .accounts_of(c.id)
            .into_iter()
            .map(|a| {
                let reference = if c.default_account == Some(a.id) {
                    INTERNAL_ACCOUNT.to_string()
                } else {
                    a.account_no.clone()
                };
                types::UserAccount {
                    name: a
                        .alias
                        .clone()
                        .or_else(|| a.description.clone())
                        .unwrap_or_else(|| a.account_no.clone()),
                    reference,
                    kind: "credit",
                    limits: types::Limits {
                        price: a.available().plain_json(scale),
                    },
                    recharge_providers: providers(),
                }
            })
            .collect();
        Ok(types::Accounts {
            credit: types::Enabled { enabled: true },
            accounts,
        })
    })
    .await?;
    Ok(Json(body))
}

#[utoipa::path(get, operation_id = "getAccountBalance", path = "/api/v3/users/{id}/accounts/{reference}/balance", tag = "MyQ X REST API v3",
    params(("id" = i64, Path), ("reference" = String, Path, description = "internalaccount or an account number")),
    responses((status = 200, description = "The credit available", body = types::AmountOnly), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn balance(
    State(state): State<AppState>,
    client: V3Client,
    Path((id, reference)): Path<(String, String)>,
) -> Result<Json<types::AmountOnly>, V3Error> {
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
    Ok(Json(types::AmountOnly {
        amount: amount.plain_json(scale),
    }))
}
