//! `POST …/imports/customers`: the operator's customer file as one upsert by customer
//! number, every row tried in one job on the ledger's writer and kept only if all are right.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::top_up::{refused, whole_file};
use super::{Admin, AdminError, Errors, ledger_meta, types};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::reason;
use crate::http::wire;
use crate::ledger::{Identity, ImportRow, ImportUndone, LedgerError, LineProblem};

/// Rows in one import, so one job stays bounded.
const MOST_ROWS: usize = 100_000;

/// The column a refusal of the ledger is about, for the operator's report.
fn column(e: &LedgerError) -> &'static str {
    match e {
        LedgerError::IdentityTaken(Identity::Card, _) => "cards",
        LedgerError::IdentityTaken(..) => "username",
        LedgerError::CreditLimitBelowOwed { .. } | LedgerError::NegativeCreditLimit => {
            "creditLimit"
        }
        _ => "customerNo",
    }
}

#[utoipa::path(post, operation_id = "adminImportCustomers", path = "/admin/v1/ledgers/{ledger}/imports/customers", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::CustomerImport,
    responses(
        (status = 201, description = "Applied, every row in one commit", body = types::ImportDone),
        (status = 200, description = "dryRun: every row is right; nothing changed", body = types::ImportDone),
        (status = 422, description = "Rows break rules: nothing changed; every problem listed", body = types::TopUpRefused),
        Errors),
    security(("adminBearer" = [])))]
pub(super) async fn customers(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    bytes: Bytes,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let body: types::CustomerImport = whole_file(&bytes)?;
    if body.rows.len() > MOST_ROWS {
        return Err(Invalid::new("rows", format!("must be at most {MOST_ROWS}")).into());
    }
    let dry_run = body.dry_run.unwrap_or(false);
    let count = body.rows.len();
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(count);
    for (i, r) in body.rows.into_iter().enumerate() {
        let line = r.line.unwrap_or(i as u64 + 1);
        match row(r, line, meta.scale) {
            Ok(row) => rows.push(row),
            Err(e) => problems.push(LineProblem {
                line,
                column: static_column(&e.field),
                rule: e.rule,
            }),
        }
    }
    let unreadable = !problems.is_empty();
    let outcome = state
        .engine
        .execute(meta.id, move |l, now| {
            l.import_customers(rows, dry_run || unreadable, now)
        })
        .await?;
    let done = |summary: crate::ledger::ImportSummary, status| {
        let body = types::ImportDone {
            dry_run,
            created: summary.created,
            updated: summary.updated,
            unchanged: summary.unchanged,
        };
        (status, Json(body)).into_response()
    };
    match outcome {
        Ok(summary) => Ok(done(summary, StatusCode::CREATED)),
        Err(ImportUndone::DryRun(summary)) if !unreadable => Ok(done(summary, StatusCode::OK)),
        Err(ImportUndone::DryRun(_)) => Ok(refused(problems, count)),
        Err(ImportUndone::Problems(found)) => {
            problems.extend(found.into_iter().map(|(line, e)| LineProblem {
                line,
                column: column(&e),
                rule: reason::said(&e).line(),
            }));
            problems.sort_by_key(|p| p.line);
            Ok(refused(problems, count))
        }
    }
}

/// The columns a row's own rules name.
fn static_column(field: &str) -> &'static str {
    match field {
        "creditLimit" => "creditLimit",
        "name" => "name",
        "cards" => "cards",
        _ => "customerNo",
    }
}

fn row(r: types::ImportRow, line: u64, scale: u32) -> Result<ImportRow, Invalid> {
    let text = |t: Option<Option<crate::http::wire::Text<255>>>| {
        t.map(|t| t.and_then(|t| t.given().map(str::to_string)))
    };
    Ok(ImportRow {
        line,
        customer_no: super::required("customerNo", r.customer_no)?,
        name: super::required("name", r.name)?,
        email: r
            .email
            .map(|t| t.and_then(|t| t.given().map(str::to_string))),
        username: text(r.username),
        cards: r.cards.map(|c| wire::texts("cards", Some(c))).transpose()?,
        credit_limit: r
            .credit_limit
            .map(|l| l.at(scale, "creditLimit"))
            .transpose()?,
    })
}
