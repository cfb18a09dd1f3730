//! Accounts: list, get, partial update, closing, credit-limit applications, recurring payments.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Body, CaProblem, LedgerToken, Page, render, types};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::page::List;
use crate::http::wire::{Money, Operation, Text, Wire};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, RecurringSetting};

#[utoipa::path(get, operation_id = "listAccounts", path = "/ledger/credit-account/v1/{ledgerNo}/accounts", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("customerNo" = Option<String>, Query), ("accountNo" = Option<String>, Query),
        ("nationalConsumerIdentifier" = Option<String>, Query, description = "A person's accounts, by personnummer"),
        ("countryCode" = Option<String>, Query, description = "Of nationalConsumerIdentifier; default SE"),
        ("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "A page of accounts", body = List<types::Account>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: LedgerToken,
    Path(ledger): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<List<types::Account>>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let customer_no = query.get("customerNo").cloned().filter(|v| !v.is_empty());
    let account_no = query.get("accountNo").cloned().filter(|v| !v.is_empty());
    // Seed 003's to-do: the accounts of a person, by personnummer (or another country's id).
    let person = match query
        .get("nationalConsumerIdentifier")
        .filter(|v| !v.is_empty())
    {
        None => None,
        Some(value) => {
            let country = query.get("countryCode").map_or("SE", String::as_str);
            let today = state.engine.now().date();
            let id = crate::http::national_id::parse(value, country, today, "")
                .map_err(|e| CaProblem::from(query_field(e)))?;
            Some(id)
        }
    };
    let mut filters = Vec::new();
    if let Some(id) = &person {
        filters.push(("nationalConsumerIdentifier", id.value.clone()));
        filters.push(("countryCode", id.country_code.clone()));
    }
    if let Some(c) = &customer_no {
        filters.push(("customerNo", c.clone()));
    }
    if let Some(a) = &account_no {
        filters.push(("accountNo", a.clone()));
    }
    let (top, skip) = (page.top as usize, page.skip as usize);
    let (items, total) = state
        .engine
        .read(meta.id, move |l, _| {
            let mut accounts: Vec<_> = l
                .accounts()
                .filter(|a| account_no.as_ref().is_none_or(|no| &a.account_no == no))
                .filter(|a| {
                    customer_no.as_ref().is_none_or(|no| {
                        l.customer(a.customer_id)
                            .is_some_and(|c| &c.customer_no == no)
                    })
                })
                .filter(|a| {
                    person.as_ref().is_none_or(|id| {
                        l.customer(a.customer_id)
                            .is_some_and(|c| c.national_id.as_ref() == Some(id))
                    })
                })
                .collect();
            accounts.sort_by_key(|a| a.id);
            let total = accounts.len();
            let items: Vec<types::Account> = accounts
                .iter()
                .skip(skip)
                .take(top)
                .map(|a| render::account(l, a))
                .collect();
            (items, total as i64)
        })
        .await?;
    let path = format!("/ledger/credit-account/v1/{}/accounts", meta.ledger_no);
    Ok(Json(page.list(&path, &filters, items, total)))
}

/// A rule broken by the identifier in the query, named by its query parameter (`.value` is
/// `nationalConsumerIdentifier`, `.countryCode` is `countryCode`).
fn query_field(e: crate::http::body::Invalid) -> crate::http::body::Invalid {
    let field = match e.field.as_str() {
        ".countryCode" => "countryCode",
        _ => "nationalConsumerIdentifier",
    };
    crate::http::body::Invalid::new(field, e.rule)
}

/// Renders the account after `op` ran on it (in the same batch, so it shows what `op` did).
async fn account_after<T: Send + 'static>(
    state: &AppState,
    ledger_id: i64,
    account_no: String,
    op: impl FnOnce(&mut crate::ledger::Ledger, &str) -> Result<T, LedgerError> + Send + 'static,
) -> Result<types::Account, CaProblem> {
    Ok(state
        .engine
        .execute(ledger_id, move |l, _| {
            op(l, &account_no)?;
            let account = l
                .account_by_no(&account_no)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            Ok::<_, LedgerError>(render::account(l, account))
        })
        .await??)
}

#[utoipa::path(get, operation_id = "getAccount", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    responses((status = 200, description = "The account", body = types::Account), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<types::Account>, CaProblem> {
    let meta = token.ledger(&ledger)?;
    Ok(Json(
        account_after(&state, meta.id, account, |_, _| Ok(())).await?,
    ))
}

/// `GET /ledger/customers/v1/{ledgerNo}/customer/{customerNo}`: the customer an account
/// links to. Seed 003 links here without describing it; saldo answers with who the customer
/// is and where their accounts are.
#[utoipa::path(get, operation_id = "getCustomer", path = "/ledger/customers/v1/{ledgerNo}/customer/{customerNo}", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("customerNo" = String, Path)),
    responses((status = 200, description = "The customer an account names", body = types::Customer), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn customer(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, customer_no)): Path<(String, String)>,
) -> Result<Json<types::Customer>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            let c = l
                .customer_by_no(&customer_no)
                .ok_or(LedgerError::NotFound(Entity::Customer))?;
            let no = &l.info.ledger_no;
            Ok::<_, LedgerError>(types::Customer {
                id: format!("/ledger/customers/v1/{no}/customer/{}", c.customer_no),
                customer_no: c.customer_no.clone(),
                name: c.name.clone(),
                email: c.email.clone(),
                msisdn: c.msisdn.clone(),
                national_consumer_identifier: c.national_id.clone(),
                accounts: format!(
                    "/ledger/credit-account/v1/{no}/accounts?customerNo={}",
                    c.customer_no
                ),
            })
        })
        .await??;
    Ok(Json(body))
}

/// The account's autogiro payment orders still to be executed, by execution date.
#[utoipa::path(get, operation_id = "listActivePaymentOrders", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/active-payment-orders", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "Payment orders still to be executed", body = List<types::PaymentOrder>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn active_payment_orders(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<List<types::PaymentOrder>>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let known = account.clone();
    let scale = meta.scale;
    let orders: Vec<types::PaymentOrder> = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&known)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            Ok::<_, LedgerError>(
                l.pending_orders(None, Some(a.id))
                    .iter()
                    .map(|o| types::PaymentOrder {
                        payment_method: "AUTOGIRO".into(),
                        execution_date: o.execution_date.to_string(),
                        amount: Money::of(o.amount, scale),
                    })
                    .collect(),
            )
        })
        .await??;
    let path = format!(
        "{}/active-payment-orders",
        super::render::account_path(&meta.ledger_no, &account)
    );
    // Pending orders are few (at most one per open bill): held in memory, paged here.
    let total = orders.len() as i64;
    let skip = usize::try_from(page.skip).unwrap_or(usize::MAX);
    let top = usize::try_from(page.top).unwrap_or(0);
    let items = orders.into_iter().skip(skip).take(top).collect();
    Ok(Json(page.list(&path, &[], items, total)))
}

#[utoipa::path(patch, operation_id = "patchAccount", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    request_body = types::AccountPatch,
    responses((status = 200, description = "The account after the change", body = types::Account), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Wire { body, .. }: Body<types::AccountPatch>,
) -> Result<Json<types::Account>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let credit_limit = match &body.credit_limit {
        None => None,
        Some(limit) => Some(limit.at(meta.scale, "creditLimit")?),
    };
    let charity = body.charity_donation;
    let account = account_after(&state, meta.id, account, move |l, no| {
        l.patch_account(no, credit_limit, charity)
    })
    .await?;
    Ok(Json(account))
}

#[utoipa::path(post, operation_id = "requestCloseAccount", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/request-close-account", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    responses((status = 200, description = "The account, pending-close or closed", body = types::Account), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn request_close(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<types::Account>, CaProblem> {
    let meta = token.ledger(&ledger)?;
    Ok(Json(
        account_after(&state, meta.id, account, |l, no| l.request_close(no)).await?,
    ))
}

#[utoipa::path(post, operation_id = "applyForRaisedCreditLimit", path = "/ledger/credit-account-onboardings/v1/{ledgerNo}/accounts/{accountNo}/apply-for-raised-credit-limit", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    request_body = types::RaiseRequest,
    responses((status = 201, description = "The decision, by the ledger's credit policy", body = types::RaiseDecision), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn apply_for_raised_limit(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Wire { body, .. }: Body<types::RaiseRequest>,
) -> Result<Response, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let requested = body.credit_limit.at(meta.scale, "creditLimit")?;
    let account_no = account.clone();
    let decision = state
        .engine
        .execute(meta.id, move |l, _| {
            l.apply_for_credit_limit(&account_no, requested)
        })
        .await??;
    let path = format!(
        "/ledger/credit-account-onboardings/v1/{}/accounts/{account}/apply-for-raised-credit-limit/{}",
        meta.ledger_no,
        uuid::Uuid::new_v4()
    );
    let body = types::RaiseDecision {
        id: path,
        account: render::account_path(&meta.ledger_no, &account),
        account_no: account,
        credit_limit: Money::of(requested, meta.scale),
        status: if decision.approved {
            "approved"
        } else {
            "rejected"
        },
        reason: decision.reason,
        current_credit_limit: Money::of(decision.credit_limit, meta.scale),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn recurring_resource(
    ledger_no: &str,
    account_no: &str,
    setting: Option<&RecurringSetting>,
    scale: u32,
) -> types::RecurringSetting {
    let parent = render::account_path(ledger_no, account_no);
    let id = format!("{parent}/recurring-payment-setting");
    types::RecurringSetting {
        operations: vec![Operation {
            rel: "partially-update-recurring-payment-setting",
            method: "patch",
            href: id.clone(),
        }],
        id,
        recurring_payment_method: setting.map(|s| s.method.clone()),
        recurring_payment_scope: setting.map(|s| s.scope.clone()),
        fixed_recurring_amount: setting
            .and_then(|s| s.fixed_amount)
            .map(|a| Money::of(a, scale)),
        parent_href: parent,
    }
}

#[utoipa::path(get, operation_id = "getRecurringPaymentSetting", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/recurring-payment-setting", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    responses((status = 200, description = "The setting (nulls when none)", body = types::RecurringSetting), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn recurring(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<types::RecurringSetting>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let (no, scale) = (meta.ledger_no.clone(), meta.scale);
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&account)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            Ok::<_, LedgerError>(recurring_resource(
                &no,
                &account,
                a.recurring.as_ref(),
                scale,
            ))
        })
        .await??;
    Ok(Json(body))
}

#[utoipa::path(patch, operation_id = "patchRecurringPaymentSetting", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/recurring-payment-setting", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    request_body = types::RecurringPatch,
    responses((status = 200, description = "The setting after the change", body = types::RecurringSetting), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn patch_recurring(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Wire { body, .. }: Body<types::RecurringPatch>,
) -> Result<Json<types::RecurringSetting>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let given = |t: Option<Text<25>>| t.and_then(|t| t.given().map(str::to_string));
    let method = given(body.recurring_payment_method.map(|m| Text(m.0)));
    let scope = given(body.recurring_payment_scope);
    let fixed = match &body.fixed_recurring_amount {
        None => None,
        Some(amount) => Some(amount.at(meta.scale, "fixedRecurringAmount")?),
    };
    let (no, scale) = (meta.ledger_no.clone(), meta.scale);
    let body = state
        .engine
        .execute(meta.id, move |l, _| {
            let a = l
                .account_by_no(&account)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let current = a.recurring.clone();
            let scope = scope
                .or_else(|| current.as_ref().map(|c| c.scope.clone()))
                .ok_or_else(|| Invalid::new("recurringPaymentScope", "is required"))?;
            let fixed_amount = if scope == "fixedRecurring" {
                fixed.or_else(|| current.as_ref().and_then(|c| c.fixed_amount))
            } else {
                None
            };
            let setting = RecurringSetting {
                method: method
                    .or_else(|| current.map(|c| c.method))
                    .unwrap_or_else(|| "autogiro".into()),
                scope,
                fixed_amount,
            };
            l.set_recurring(&account, setting.clone())?;
            Ok::<_, CaProblem>(recurring_resource(&no, &account, Some(&setting), scale))
        })
        .await??;
    Ok(Json(body))
}
