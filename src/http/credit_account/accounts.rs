//! Accounts: list, get, partial update, closing, credit-limit applications, recurring payments.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{CaProblem, LedgerToken, Page, render, validation};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::body::{self, BodyError, JsonBody};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, RecurringSetting};

type Body = Result<JsonBody, BodyError>;

pub async fn list(
    State(state): State<AppState>,
    token: LedgerToken,
    Path(ledger): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, CaProblem> {
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
            let items: Vec<Value> = accounts
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
) -> Result<Value, CaProblem> {
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

pub async fn get(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?;
    Ok(Json(
        account_after(&state, meta.id, account, |_, _| Ok(())).await?,
    ))
}

/// `GET /ledger/customers/v1/{ledgerNo}/customer/{customerNo}`: the customer an account
/// links to. Seed 003 links here without describing it; saldo answers with who the customer
/// is and where their accounts are.
pub async fn customer(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, customer_no)): Path<(String, String)>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            let c = l
                .customer_by_no(&customer_no)
                .ok_or(LedgerError::NotFound(Entity::Customer))?;
            let no = &l.info.ledger_no;
            Ok::<_, LedgerError>(serde_json::json!({
                "@id": format!("/ledger/customers/v1/{no}/customer/{}", c.customer_no),
                "customerNo": c.customer_no,
                "name": c.name,
                "email": c.email,
                "msisdn": c.msisdn,
                "nationalConsumerIdentifier": c.national_id,
                "accounts": format!("/ledger/credit-account/v1/{no}/accounts?customerNo={}", c.customer_no),
            }))
        })
        .await??;
    Ok(Json(body))
}

/// The account's payment orders still to be executed. saldo makes payment orders from the
/// recurring-payment setting only once bill runs do (issue 13): until then the list is empty,
/// and it answers for every account the ledger has.
pub async fn active_payment_orders(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let known = account.clone();
    state
        .engine
        .read(meta.id, move |l, _| {
            l.account_by_no(&known)
                .map(|_| ())
                .ok_or(LedgerError::NotFound(Entity::Account))
        })
        .await??;
    let path = format!(
        "{}/active-payment-orders",
        super::render::account_path(&meta.ledger_no, &account)
    );
    Ok(Json(page.list(&path, &[], Vec::new(), 0)))
}

pub async fn patch(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    body: Body,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    for key in body.as_object().into_iter().flat_map(|o| o.keys()) {
        if key != "creditLimit" && key != "charityDonation" {
            return Err(validation(
                key,
                "cannot be changed; only creditLimit and charityDonation can",
            ));
        }
    }
    let credit_limit = match body.get("creditLimit") {
        None | Some(Value::Null) => None,
        Some(_) => Some(body::amount(&body, "creditLimit", meta.scale)?),
    };
    let charity = match body.get("charityDonation") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(validation("charityDonation", "must be true or false")),
    };
    let account = account_after(&state, meta.id, account, move |l, no| {
        l.patch_account(no, credit_limit, charity)
    })
    .await?;
    Ok(Json(account))
}

pub async fn request_close(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?;
    Ok(Json(
        account_after(&state, meta.id, account, |l, no| l.request_close(no)).await?,
    ))
}

pub async fn apply_for_raised_limit(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    body: Body,
) -> Result<Response, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    let requested = body::amount(&body, "creditLimit", meta.scale)?;
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
    let body = json!({
        "@id": path,
        "accountNo": account,
        "account": render::account_path(&meta.ledger_no, &account),
        "creditLimit": requested.fixed_json(meta.scale),
        "status": if decision.approved { "approved" } else { "rejected" },
        "reason": decision.reason,
        "currentCreditLimit": decision.credit_limit.fixed_json(meta.scale),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn recurring_resource(
    ledger_no: &str,
    account_no: &str,
    setting: Option<&RecurringSetting>,
    scale: u32,
) -> Value {
    let parent = render::account_path(ledger_no, account_no);
    let id = format!("{parent}/recurring-payment-setting");
    json!({
        "@id": id,
        "recurringPaymentMethod": setting.map(|s| &s.method),
        "recurringPaymentScope": setting.map(|s| &s.scope),
        "fixedRecurringAmount": setting.and_then(|s| s.fixed_amount).map(|a| a.fixed_json(scale)),
        "parentHREF": parent,
        "operations": [{"rel": "partially-update-recurring-payment-setting", "method": "patch", "href": id}],
    })
}

pub async fn recurring(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
) -> Result<Json<Value>, CaProblem> {
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

pub async fn patch_recurring(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    body: Body,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    for key in body.as_object().into_iter().flat_map(|o| o.keys()) {
        if ![
            "recurringPaymentMethod",
            "recurringPaymentScope",
            "fixedRecurringAmount",
        ]
        .contains(&key.as_str())
        {
            return Err(validation(key, "is not a recurring payment setting"));
        }
    }
    let method = body::opt_string(&body, "recurringPaymentMethod", 15)?;
    let scope = body::opt_string(&body, "recurringPaymentScope", 25)?;
    let fixed = match body.get("fixedRecurringAmount") {
        None | Some(Value::Null) => None,
        Some(_) => Some(body::amount(&body, "fixedRecurringAmount", meta.scale)?),
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
