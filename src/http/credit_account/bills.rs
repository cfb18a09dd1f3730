//! Bills of an account: list, get, and the PDF document.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::document::{self, BillParty};
use super::{CaProblem, FLAVOR, LedgerToken, Page, render, types, validation};
use crate::http::page::List;
use crate::http::problem::Problem;
use crate::http::wire::Money;
use crate::http::{AppState, read_store};
use crate::ledger::Entity;
use crate::ledger::{Account, Bill, BillType, Ledger, LedgerError, LedgerInfo};
use crate::store::BillQuery;

/// `bill-<no>` names a bill, `reminder-<no>` a reminder or collection notice.
fn bill_no(bill_id: &str) -> Option<(bool, i64)> {
    let (reminder, no) = match bill_id.split_once('-')? {
        ("bill", no) => (false, no),
        ("reminder", no) => (true, no),
        _ => return None,
    };
    Some((reminder, no.parse().ok()?))
}

/// The account's bill named by `bill_id`, held or stored, or 404.
fn find<'a>(l: &'a Ledger, account_no: &str, bill_id: &str) -> Result<Cow<'a, Bill>, LedgerError> {
    let account = l
        .account_by_no(account_no)
        .ok_or(LedgerError::NotFound(Entity::Account))?;
    let Some((reminder, no)) = bill_no(bill_id) else {
        return Err(LedgerError::NotFound(Entity::Bill));
    };
    l.find_bill(no)?
        .filter(|b| b.account_id == account.id && (b.bill_type != BillType::Bill) == reminder)
        .ok_or(LedgerError::NotFound(Entity::Bill))
}

/// What a bill's rendering needs of its ledger and account.
pub struct BillContext {
    info: LedgerInfo,
    account_no: String,
    /// Bills with an autogiro order still to be executed.
    ordered: std::collections::HashSet<i64>,
}

impl BillContext {
    pub fn of(l: &Ledger, account: &Account) -> BillContext {
        BillContext {
            info: (*l.info).clone(),
            account_no: account.account_no.clone(),
            ordered: l
                .pending_orders(None, Some(account.id))
                .iter()
                .map(|o| o.bill_no)
                .collect(),
        }
    }
}

pub fn bill(cx: &BillContext, b: &Bill) -> types::Bill {
    let scale = cx.info.scale();
    let id = format!(
        "{}/bills/{}",
        render::account_path(&cx.info.ledger_no, &cx.account_no),
        b.bill_type.id(b.bill_no)
    );
    let s = &cx.info.settings;
    let details = b.open.then(|| types::PaymentDetails {
        minimum_amount_to_be_payed: Money::of(
            b.minimum.checked_sub(b.paid).unwrap_or_default(),
            scale,
        ),
        bank_account_no: s.bank_account_no.clone(),
        bank_account_type: s.bank_account_type.clone(),
        bic: s.bic.clone(),
        iban: s.iban.clone(),
        payment_reference: b.reference.clone(),
        payment_orders_exists: cx.ordered.contains(&b.bill_no),
    });
    types::Bill {
        document: format!("{id}/document"),
        id,
        due_date: b.due_date.to_string(),
        bill_date: b.bill_date.to_string(),
        bill_no: b.bill_no.to_string(),
        bill_amount: Money::of(b.amount, scale),
        bill_type: b.bill_type.as_str(),
        status: if b.open { "open" } else { "closed" },
        active_payment_details: details,
    }
}

/// A page of the account's bills, read from the store (closed bills are not held in memory).
#[utoipa::path(get, operation_id = "listBills", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/bills", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path),
        ("status" = Option<String>, Query, description = "open or closed"),
        ("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "Newest first", body = List<types::Bill>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<List<types::Bill>>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let status = match query.get("status").map(String::as_str) {
        None | Some("") => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => return Err(validation("status", "must be open or closed")),
    };
    let lookup = account.clone();
    let (cx, account_id) = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&lookup)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            Ok::<_, LedgerError>((BillContext::of(l, a), a.id))
        })
        .await??;
    let q = BillQuery {
        ledger_id: meta.id,
        account_id,
        open: status,
        limit: page.top,
        offset: page.skip,
    };
    let (bills, total) = read_store(&state, "listing bills", move |s| s.bills_page(&q)).await?;
    let items = bills.iter().map(|b| bill(&cx, b)).collect();
    let mut filters = Vec::new();
    if let Some(open) = status {
        filters.push(("status", if open { "open" } else { "closed" }.to_string()));
    }
    let path = format!("{}/bills", render::account_path(&meta.ledger_no, &account));
    Ok(Json(page.list(&path, &filters, items, total)))
}

#[utoipa::path(get, operation_id = "getBill", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/bills/{billId}", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("billId" = String, Path, description = "bill-<billNo> or reminder-<billNo>")),
    responses((status = 200, description = "The bill or reminder", body = types::Bill), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, bill_id)): Path<(String, String, String)>,
) -> Result<Json<types::Bill>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            let b = find(l, &account, &bill_id)?;
            let a = l.account(b.account_id).expect("a bill's account");
            Ok::<_, LedgerError>(bill(&BillContext::of(l, a), &b))
        })
        .await??;
    Ok(Json(body))
}

#[utoipa::path(get, operation_id = "getBillDocument", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/bills/{billId}/document", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("billId" = String, Path, description = "bill-<billNo> or reminder-<billNo>")),
    responses((status = 200, description = "The bill as a PDF", content_type = "application/pdf", body = Vec<u8>), super::Errors),
    security(("ledgerBearer" = [])))]
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
            let b = find(l, &account, &bill_id)?.into_owned();
            let origin = match b.origin {
                Some(no) => l.find_bill(no)?.map(|o| o.into_owned()),
                None => None,
            };
            let a = l.account(b.account_id).expect("a bill's account");
            let c = l
                .customer(a.customer_id)
                .map(|c| (c.name.clone(), c.customer_no.clone(), c.address.clone()))
                .unwrap_or_default();
            Ok::<_, LedgerError>((
                (b, origin, a.account_no.clone()),
                l.info.name.clone(),
                l.info.settings.clone(),
                c,
            ))
        })
        .await??;
    let (b, origin, account_no) = found;
    let (ledger_id, bill_no) = (meta.id, b.bill_no);
    let txns = read_store(&state, "reading a bill's transactions", move |s| {
        s.billed_transactions(ledger_id, bill_no)
    })
    .await?;
    let fatal = |e: String| {
        tracing::error!(error = %e, "rendering a bill document failed");
        CaProblem(Problem::new(
            FLAVOR,
            StatusCode::INTERNAL_SERVER_ERROR,
            "fatal",
            "Internal error",
        ))
    };
    let currency = meta.currency.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        let party = BillParty {
            ledger_name: &name,
            currency: &currency,
            scale: meta.scale,
            customer_name: &customer.0,
            customer_no: &customer.1,
            customer_address: customer.2.as_ref(),
            account_no: &account_no,
            settings: &settings,
            origin: origin.as_ref(),
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
