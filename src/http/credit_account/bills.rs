//! Bills of an account: list, get, and the PDF document.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::document::{self, BillParty};
use super::{CaProblem, FLAVOR, LedgerToken, Page, render, validation};
use crate::http::AppState;
use crate::http::problem::Problem;
use crate::ledger::Entity;
use crate::ledger::{Bill, BillType, Ledger, LedgerError};

/// `bill-<no>` names a bill, `reminder-<no>` a reminder or collection notice.
fn bill_no(bill_id: &str) -> Option<(bool, i64)> {
    let (reminder, no) = match bill_id.split_once('-')? {
        ("bill", no) => (false, no),
        ("reminder", no) => (true, no),
        _ => return None,
    };
    Some((reminder, no.parse().ok()?))
}

/// The account's bill named by `bill_id`, or 404.
fn find<'a>(l: &'a Ledger, account_no: &str, bill_id: &str) -> Result<&'a Bill, LedgerError> {
    let account = l
        .account_by_no(account_no)
        .ok_or(LedgerError::NotFound(Entity::Account))?;
    bill_no(bill_id)
        .and_then(|(reminder, no)| {
            l.bill(no).filter(|b| {
                b.account_id == account.id && (b.bill_type != BillType::Bill) == reminder
            })
        })
        .ok_or(LedgerError::NotFound(Entity::Bill))
}

pub fn bill(l: &Ledger, account_no: &str, b: &Bill) -> Value {
    let scale = l.info.scale();
    let id = format!(
        "{}/bills/{}",
        render::account_path(&l.info.ledger_no, account_no),
        b.bill_type.id(b.bill_no)
    );
    let s = &l.info.settings;
    let details = b.open.then(|| {
        let recurring = l.account(b.account_id).is_some_and(|a| a.recurring.is_some());
        json!({
            "minimumAmountToBePayed": b.minimum.checked_sub(b.paid).unwrap_or_default().fixed_json(scale),
            "bankAccountNo": s.bank_account_no,
            "bankAccountType": s.bank_account_type,
            "bic": s.bic,
            "iban": s.iban,
            "paymentReference": b.reference,
            "paymentOrdersExists": recurring,
        })
    });
    json!({
        "@id": id,
        "dueDate": b.due_date.to_string(),
        "billDate": b.bill_date.to_string(),
        "billNo": b.bill_no.to_string(),
        "billAmount": b.amount.fixed_json(scale),
        "billType": b.bill_type.as_str(),
        "status": if b.open { "open" } else { "closed" },
        "activePaymentDetails": details,
        "document": format!("{id}/document"),
    })
}

pub async fn list(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let status = match query.get("status").map(String::as_str) {
        None | Some("") => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => return Err(validation("status", "must be open or closed")),
    };
    let (top, skip) = (page.top as usize, page.skip as usize);
    let lookup = account.clone();
    let (items, total) = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&lookup)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let bills: Vec<&Bill> = l
                .bills_of(a.id)
                .into_iter()
                .filter(|b| status.is_none_or(|open| b.open == open))
                .collect();
            let items = bills
                .iter()
                .skip(skip)
                .take(top)
                .map(|b| bill(l, &lookup, b))
                .collect::<Vec<_>>();
            Ok::<_, LedgerError>((items, bills.len() as i64))
        })
        .await??;
    let mut filters = Vec::new();
    if let Some(open) = status {
        filters.push(("status", if open { "open" } else { "closed" }.to_string()));
    }
    let path = format!("{}/bills", render::account_path(&meta.ledger_no, &account));
    Ok(Json(page.list(&path, &filters, items, total)))
}

pub async fn get(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, bill_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            find(l, &account, &bill_id).map(|b| bill(l, &account, b))
        })
        .await??;
    Ok(Json(body))
}

pub async fn document(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, bill_id)): Path<(String, String, String)>,
) -> Result<Response, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    // What the PDF needs of the ledger, taken in one consistent read.
    let (found, name, settings, customer) = state
        .engine
        .read(meta.id, move |l, _| {
            let b = find(l, &account, &bill_id)?.clone();
            let a = l.account(b.account_id).expect("a bill's account");
            let c = l
                .customer(a.customer_id)
                .map(|c| (c.name.clone(), c.customer_no.clone()))
                .unwrap_or_default();
            Ok::<_, LedgerError>((
                (b, a.account_no.clone()),
                l.info.name.clone(),
                l.info.settings.clone(),
                c,
            ))
        })
        .await??;
    let (b, account_no) = found;
    let store = state.engine.store().clone();
    let fatal = |e: String| {
        tracing::error!(error = %e, "rendering a bill document failed");
        CaProblem(Problem::new(
            FLAVOR,
            StatusCode::INTERNAL_SERVER_ERROR,
            "fatal",
            "Internal error",
        ))
    };
    let (ledger_id, bill_no) = (meta.id, b.bill_no);
    let txns = tokio::task::spawn_blocking(move || store.billed_transactions(ledger_id, bill_no))
        .await
        .map_err(|e| fatal(e.to_string()))?
        .map_err(|e| fatal(e.to_string()))?;
    let currency = meta.currency.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        let party = BillParty {
            ledger_name: &name,
            currency: &currency,
            scale: meta.scale,
            customer_name: &customer.0,
            customer_no: &customer.1,
            account_no: &account_no,
            settings: &settings,
        };
        document::render(&party, &b, &txns)
    })
    .await
    .map_err(|e| fatal(e.to_string()))?
    .map_err(|e| fatal(e.to_string()))?;
    let mut response = pdf.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    Ok(response)
}
