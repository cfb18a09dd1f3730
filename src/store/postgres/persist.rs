//! Writing one batch of changes: one statement per table, each row set passed as arrays and
//! expanded with UNNEST, so a batch costs a fixed number of statements however many rows it
//! holds, and all of them travel in one pipelined round trip.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::types::ToSql;

use super::*;

type Param = Box<dyn ToSql + Sync + Send>;

/// One statement of a batch, with owned parameters so it can cross to the store's runtime.
pub(super) struct Write {
    sql: String,
    params: Vec<Param>,
}

fn col<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Param
where
    T: ToSql + Sync + Send + 'static,
{
    Box::new(rows.iter().map(f).collect::<Vec<T>>())
}

fn json_id(id: &Option<NationalId>) -> Option<String> {
    id.as_ref()
        .map(|n| serde_json::to_string(n).expect("id serializes"))
}

/// `INSERT … SELECT $1, * FROM UNNEST(…) ON CONFLICT (key) DO UPDATE` over `columns`, each
/// given with its SQL type; the key columns come first.
fn upsert(
    table: &str,
    key: usize,
    columns: &[(&str, &str)],
    ledger_id: i64,
    values: Vec<Param>,
) -> Write {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| format!("${}::{ty}[]", i + 2))
        .collect();
    let updates: Vec<String> = names[key..]
        .iter()
        .map(|n| format!("{n} = EXCLUDED.{n}"))
        .collect();
    let conflict = if updates.is_empty() {
        String::new()
    } else {
        format!(
            " ON CONFLICT (ledger_id, {}) DO UPDATE SET {}",
            names[..key].join(", "),
            updates.join(", ")
        )
    };
    let mut params: Vec<Param> = vec![Box::new(ledger_id)];
    params.extend(values);
    Write {
        sql: format!(
            "INSERT INTO {table} (ledger_id, {}) SELECT $1, * FROM UNNEST({}){conflict}",
            names.join(", "),
            arrays.join(", ")
        ),
        params,
    }
}

pub(super) fn statements(ledger: &Ledger, dirty: &Dirty) -> Vec<Write> {
    let lid = ledger.info.id;
    let mut out = Vec::new();
    if dirty.info {
        out.push(Write {
            sql: "UPDATE ledgers SET name = $2, settings = $3 WHERE id = $1".into(),
            params: vec![
                Box::new(lid),
                Box::new(ledger.info.name.clone()),
                Box::new(serde_json::to_string(&ledger.info.settings).expect("settings serialize")),
            ],
        });
    }
    if !dirty.customers.is_empty() {
        let rows: Vec<&Customer> = dirty
            .customers
            .iter()
            .map(|id| ledger.customer(*id).expect("dirty customer exists"))
            .collect();
        out.push(upsert(
            "customers",
            1,
            &[
                ("id", "bigint"),
                ("customer_no", "text"),
                ("name", "text"),
                ("email", "text"),
                ("msisdn", "text"),
                ("national_id", "text"),
                ("username", "text"),
                // Arrays of arrays do not UNNEST row by row: lists are JSON text.
                ("aliases", "text"),
                ("cards", "text"),
                ("personal_number", "text"),
                ("default_account", "bigint"),
                ("pep", "bool"),
            ],
            lid,
            vec![
                col(&rows, |c| c.id),
                col(&rows, |c| c.customer_no.clone()),
                col(&rows, |c| c.name.clone()),
                col(&rows, |c| c.email.clone()),
                col(&rows, |c| c.msisdn.clone()),
                col(&rows, |c| json_id(&c.national_id)),
                col(&rows, |c| c.username.clone()),
                col(&rows, |c| {
                    serde_json::to_string(&c.aliases).expect("list serializes")
                }),
                col(&rows, |c| {
                    serde_json::to_string(&c.cards).expect("list serializes")
                }),
                col(&rows, |c| c.personal_number.clone()),
                col(&rows, |c| c.default_account),
                col(&rows, |c| c.pep),
            ],
        ));
    }
    if !dirty.accounts.is_empty() {
        let rows: Vec<&Account> = dirty
            .accounts
            .iter()
            .map(|id| ledger.account(*id).expect("dirty account exists"))
            .collect();
        out.push(upsert(
            "accounts",
            1,
            &[
                ("id", "bigint"),
                ("account_no", "text"),
                ("customer_id", "bigint"),
                ("status", "text"),
                ("credit_limit", "bigint"),
                ("balance", "bigint"),
                ("reserved", "bigint"),
                ("start_date", "date"),
                ("profile_type", "text"),
                ("alias", "text"),
                ("description", "text"),
                ("charity_donation", "bool"),
                ("recurring_method", "text"),
                ("recurring_scope", "text"),
                ("recurring_amount", "bigint"),
            ],
            lid,
            vec![
                col(&rows, |a| a.id),
                col(&rows, |a| a.account_no.clone()),
                col(&rows, |a| a.customer_id),
                col(&rows, |a| a.status.as_str()),
                col(&rows, |a| a.credit_limit.minor()),
                col(&rows, |a| a.balance.minor()),
                col(&rows, |a| a.reserved.minor()),
                col(&rows, |a| a.start_date),
                col(&rows, |a| a.profile_type.clone()),
                col(&rows, |a| a.alias.clone()),
                col(&rows, |a| a.description.clone()),
                col(&rows, |a| a.charity_donation),
                col(&rows, |a| a.recurring.as_ref().map(|r| r.method.clone())),
                col(&rows, |a| a.recurring.as_ref().map(|r| r.scope.clone())),
                col(&rows, |a| {
                    a.recurring
                        .as_ref()
                        .and_then(|r| r.fixed_amount)
                        .map(Amount::minor)
                }),
            ],
        ));
    }
    if !dirty.records.is_empty() {
        let rows: Vec<(&str, &String, String, bool)> = dirty
            .records
            .iter()
            .map(|(kind, key)| {
                let body = ledger.record_json(kind, key).expect("dirty record exists");
                (*kind, key, body, ledger.record_is_live(kind, key))
            })
            .collect();
        out.push(upsert(
            "records",
            2,
            &[
                ("kind", "text"),
                ("key", "text"),
                ("body", "text"),
                ("live", "boolean"),
            ],
            lid,
            vec![
                col(&rows, |r| r.0.to_string()),
                col(&rows, |r| r.1.clone()),
                col(&rows, |r| r.2.clone()),
                col(&rows, |r| r.3),
            ],
        ));
    }
    if !dirty.bills.is_empty() {
        let rows: Vec<&Bill> = dirty
            .bills
            .iter()
            .map(|no| ledger.bill(*no).expect("dirty bill exists"))
            .collect();
        out.push(upsert(
            "bills",
            1,
            &[
                ("bill_no", "bigint"),
                ("account_id", "bigint"),
                ("bill_type", "text"),
                ("bill_date", "date"),
                ("due_date", "date"),
                ("amount", "bigint"),
                ("minimum", "bigint"),
                ("paid", "bigint"),
                ("open", "bool"),
                ("reference", "text"),
                ("fee", "bigint"),
            ],
            lid,
            vec![
                col(&rows, |b| b.bill_no),
                col(&rows, |b| b.account_id),
                col(&rows, |b| b.bill_type.as_str()),
                col(&rows, |b| b.bill_date),
                col(&rows, |b| b.due_date),
                col(&rows, |b| b.amount.minor()),
                col(&rows, |b| b.minimum.minor()),
                col(&rows, |b| b.paid.minor()),
                col(&rows, |b| b.open),
                col(&rows, |b| b.reference.clone()),
                col(&rows, |b| b.fee.minor()),
            ],
        ));
    }
    if !dirty.cards.is_empty() {
        let rows: Vec<&Card> = dirty
            .cards
            .iter()
            .map(|token| ledger.card(token).expect("dirty card exists"))
            .collect();
        out.push(upsert(
            "cards",
            1,
            &[
                ("token", "text"),
                ("seq", "bigint"),
                ("account_id", "bigint"),
                ("pan_trunc", "text"),
                ("deleted", "bool"),
                ("main_card", "bool"),
                ("holder_number", "text"),
                ("holder_name", "text"),
                ("holder_national_id", "text"),
            ],
            lid,
            vec![
                col(&rows, |c| c.token.clone()),
                col(&rows, |c| c.seq),
                col(&rows, |c| c.account_id),
                col(&rows, |c| c.pan_trunc.clone()),
                col(&rows, |c| c.deleted),
                col(&rows, |c| c.main_card),
                col(&rows, |c| c.holder_number.clone()),
                col(&rows, |c| c.holder_name.clone()),
                col(&rows, |c| json_id(&c.holder_national_id)),
            ],
        ));
    }
    if !dirty.holds.is_empty() {
        let rows: Vec<&Hold> = dirty
            .holds
            .iter()
            .map(|id| ledger.hold(*id).expect("dirty hold exists until persisted"))
            .collect();
        out.push(upsert(
            "holds",
            1,
            &[
                ("id", "bigint"),
                ("account_id", "bigint"),
                ("kind", "text"),
                ("amount", "bigint"),
                ("remaining", "bigint"),
                ("status", "text"),
                ("created_at", "timestamptz"),
                ("expires_at", "timestamptz"),
                ("description", "text"),
            ],
            lid,
            vec![
                col(&rows, |h| h.id),
                col(&rows, |h| h.account_id),
                col(&rows, |h| h.kind.as_str()),
                col(&rows, |h| h.amount.minor()),
                col(&rows, |h| h.remaining.minor()),
                col(&rows, |h| h.status.as_str()),
                col(&rows, |h| h.created_at),
                col(&rows, |h| h.expires_at),
                col(&rows, |h| h.description.clone()),
            ],
        ));
    }
    if !dirty.sessions.is_empty() {
        let rows: Vec<&Session> = dirty
            .sessions
            .iter()
            .map(|id| ledger.session(*id).expect("dirty session exists"))
            .collect();
        out.push(upsert(
            "myq_sessions",
            1,
            &[
                ("id", "bigint"),
                ("account_id", "bigint"),
                ("status", "text"),
                ("created_at", "timestamptz"),
                ("last_activity", "timestamptz"),
                ("block_hold", "bigint"),
            ],
            lid,
            vec![
                col(&rows, |s| s.id),
                col(&rows, |s| s.account_id),
                col(&rows, |s| match s.status {
                    SessionStatus::Open => "open",
                    SessionStatus::Ended => "ended",
                }),
                col(&rows, |s| s.created_at),
                col(&rows, |s| s.last_activity),
                col(&rows, |s| s.block_hold),
            ],
        ));
    }
    if !dirty.payments.is_empty() {
        let rows: Vec<&SessionPayment> = dirty
            .payments
            .iter()
            .map(|id| {
                ledger
                    .payment(*id)
                    .expect("dirty payment exists until persisted")
            })
            .collect();
        out.push(upsert(
            "myq_payments",
            1,
            &[
                ("id", "bigint"),
                ("session_id", "bigint"),
                ("requested", "bigint"),
                ("permitted", "bigint"),
                ("from_block", "bigint"),
                ("hold_id", "bigint"),
                ("status", "text"),
            ],
            lid,
            vec![
                col(&rows, |p| p.id),
                col(&rows, |p| p.session_id),
                col(&rows, |p| p.requested.minor()),
                col(&rows, |p| p.permitted.minor()),
                col(&rows, |p| p.from_block.minor()),
                col(&rows, |p| p.hold_id),
                col(&rows, |p| p.status.as_str()),
            ],
        ));
    }
    if !dirty.recharges.is_empty() {
        let rows: Vec<&RechargePayment> = dirty
            .recharges
            .iter()
            .map(|id| {
                ledger
                    .recharge(*id)
                    .expect("dirty recharge exists until persisted")
            })
            .collect();
        out.push(upsert(
            "recharge_payments",
            1,
            &[
                ("id", "bigint"),
                ("customer_id", "bigint"),
                ("account_id", "bigint"),
                ("provider", "text"),
                ("amount", "bigint"),
                ("description", "text"),
                ("state", "text"),
                ("created_at", "timestamptz"),
                ("updated_at", "timestamptz"),
                ("payment_no", "bigint"),
            ],
            lid,
            vec![
                col(&rows, |p| p.id),
                col(&rows, |p| p.customer_id),
                col(&rows, |p| p.account_id),
                col(&rows, |p| p.provider.clone()),
                col(&rows, |p| p.amount.minor()),
                col(&rows, |p| p.description.clone()),
                col(&rows, |p| p.state.as_str()),
                col(&rows, |p| p.created_at),
                col(&rows, |p| p.updated_at),
                col(&rows, |p| p.payment_no),
            ],
        ));
    }
    if !dirty.transactions.is_empty() {
        let rows = &dirty.transactions;
        // Postings are append-only: a key collision is an error, never an update.
        out.push(upsert(
            "transactions",
            11,
            &[
                ("id", "bigint"),
                ("account_id", "bigint"),
                ("type", "text"),
                ("amount", "bigint"),
                ("date", "date"),
                ("created_at", "timestamptz"),
                ("description", "text"),
                ("reserve_date", "date"),
                ("billed", "bigint"),
                ("hold_id", "bigint"),
                ("reference", "text"),
            ],
            lid,
            vec![
                col(rows, |t| t.id),
                col(rows, |t| t.account_id),
                col(rows, |t| t.kind.as_str()),
                col(rows, |t| t.amount.minor()),
                col(rows, |t| t.date),
                col(rows, |t| t.created_at),
                col(rows, |t| t.description.clone()),
                col(rows, |t| t.reserve_date),
                col(rows, |t| t.billed),
                col(rows, |t| t.hold_id),
                col(rows, |t| t.reference.clone()),
            ],
        ));
    }
    // After the postings, so transactions billed in the batch that created them are found.
    let billed: Vec<(i64, i64)> = dirty
        .billed
        .iter()
        .flat_map(|(bill, ids)| ids.iter().map(move |id| (*id, *bill)))
        .collect();
    if !billed.is_empty() {
        out.push(Write {
            sql: "UPDATE transactions t SET billed = u.bill
                  FROM UNNEST($2::bigint[], $3::bigint[]) AS u(id, bill)
                  WHERE t.ledger_id = $1 AND t.id = u.id AND t.billed IS NULL"
                .into(),
            params: vec![Box::new(lid), col(&billed, |b| b.0), col(&billed, |b| b.1)],
        });
    }
    out
}

/// Runs every write and advances the ledger's version, pipelined; returns the new version.
pub(super) async fn execute(
    c: &ClientWrapper,
    ledger_id: i64,
    token: i64,
    changes: &str,
    writes: &[Write],
) -> StoreResult<i64> {
    let mut prepared = Vec::with_capacity(writes.len());
    for w in writes {
        prepared.push(c.prepare_cached(&w.sql).await?);
    }
    // One round trip: the version advances, the batch is logged under it, and every
    // `BATCH_LOG_PRUNE_EVERY` versions the oldest entries go.
    let bump = c
        .prepare_cached(
            "WITH bumped AS (
                 UPDATE ledgers SET version = version + 1 WHERE id = $1 RETURNING version
             ), logged AS (
                 INSERT INTO ledger_batches (ledger_id, version, token, changes)
                 SELECT $1, version, $2, $5 FROM bumped RETURNING version
             ), pruned AS (
                 DELETE FROM ledger_batches
                 WHERE ledger_id = $1 AND version <= (SELECT version FROM bumped) - $3
                   AND (SELECT version FROM bumped) % $4 = 0
             )
             SELECT version FROM logged",
        )
        .await?;
    let runs = writes.iter().zip(&prepared).map(|(w, stmt)| {
        let params: Vec<&(dyn ToSql + Sync)> = w
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        async move { c.execute(stmt, &params).await }
    });
    let (_, version) = futures::future::try_join(
        futures::future::try_join_all(runs),
        c.query_one(
            &bump,
            &[
                &ledger_id,
                &token,
                &super::super::BATCH_LOG_KEEP,
                &super::super::BATCH_LOG_PRUNE_EVERY,
                &changes,
            ],
        ),
    )
    .await?;
    Ok(version.try_get(0)?)
}
