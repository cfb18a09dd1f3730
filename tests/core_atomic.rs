//! Atomic jobs: random operation sequences, many of them meant to be refused (unknown ids,
//! amounts beyond the credit, ids used twice, invalid settings), each run as the writer runs a
//! job. Every refused job must leave the ledger equal to its clone from before; every accepted
//! one must leave the invariants holding; a panicking job must be put back too.

use proptest::prelude::*;
use saldo::ledger::{
    CaptureRequest, Entity, Identification, Ledger, LedgerError, LedgerInfo, NewAccount,
    NewCustomer, PreAuthRequest, SettingError, Settings,
};
use saldo::money::Amount;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone)]
enum Op {
    Customer(u8),
    Account(u8, i64),
    Open(u8),
    Block(u8, i64),
    Pay(u8, i64),
    Commit(u8, u8),
    Rollback(u8, u8),
    End(u8),
    Deposit(u8, i64),
    Recharge(u8, i64),
    RechargeCommit(u8),
    RechargeCancel(u8),
    Authorize(u8, u8, i64),
    Capture(u8, u8, i64),
    Reverse(u8, u8, u8, i64),
    Cancel(u8),
    Limit(u8, i64),
    Settings(i64),
    Sweep(i64),
    Persist,
    /// Several operations as one job: refused as a whole if any step is refused.
    Many(Vec<Op>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => step(),
        1 => prop::collection::vec(step(), 2..5).prop_map(Op::Many),
    ]
}

fn step() -> impl Strategy<Value = Op> {
    let n = 0u8..5;
    let amount = -50i64..6_000;
    prop_oneof![
        1 => (n.clone()).prop_map(Op::Customer),
        1 => (n.clone(), amount.clone()).prop_map(|(c, l)| Op::Account(c, l)),
        2 => n.clone().prop_map(Op::Open),
        2 => (n.clone(), amount.clone()).prop_map(|(s, a)| Op::Block(s, a)),
        3 => (n.clone(), amount.clone()).prop_map(|(s, a)| Op::Pay(s, a)),
        2 => (n.clone(), 0u8..12).prop_map(|(s, p)| Op::Commit(s, p)),
        1 => (n.clone(), 0u8..12).prop_map(|(s, p)| Op::Rollback(s, p)),
        1 => n.clone().prop_map(Op::End),
        1 => (n.clone(), amount.clone()).prop_map(|(a, x)| Op::Deposit(a, x)),
        1 => (n.clone(), amount.clone()).prop_map(|(c, x)| Op::Recharge(c, x)),
        1 => (0u8..8).prop_map(Op::RechargeCommit),
        1 => (0u8..8).prop_map(Op::RechargeCancel),
        2 => (n.clone(), n.clone(), amount.clone()).prop_map(|(i, c, x)| Op::Authorize(i, c, x)),
        2 => (n.clone(), n.clone(), amount.clone()).prop_map(|(s, k, x)| Op::Capture(s, k, x)),
        1 => (n.clone(), n.clone(), n.clone(), amount.clone())
            .prop_map(|(s, k, r, x)| Op::Reverse(s, k, r, x)),
        1 => n.clone().prop_map(Op::Cancel),
        1 => (n.clone(), amount.clone()).prop_map(|(a, x)| Op::Limit(a, x)),
        1 => (-5i64..5).prop_map(Op::Settings),
    ]
}

fn ledger() -> Ledger {
    Ledger::new(LedgerInfo {
        id: 1,
        ledger_no: "501".into(),
        name: "atomic".into(),
        currency: "SEK".into(),
        settings: Settings {
            session_idle_timeout_seconds: 3600,
            recharge_expiry_seconds: 3600,
            ..Settings::default()
        },
    })
}

fn minor(x: i64) -> Amount {
    Amount::from_minor(x)
}

/// Session ids as the ledger hands them out: 1, 2, 3…
fn session(s: u8) -> i64 {
    i64::from(s) + 1
}

fn account_no(l: &Ledger, a: u8) -> String {
    let mut nos: Vec<String> = l.accounts().map(|a| a.account_no.clone()).collect();
    nos.sort();
    nos.get(usize::from(a))
        .cloned()
        .unwrap_or_else(|| format!("missing-{a}"))
}

/// Why the ledger refused an operation of this test.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug when a case fails
enum Refused {
    Ledger(LedgerError),
    Setting(SettingError),
}

impl From<LedgerError> for Refused {
    fn from(e: LedgerError) -> Self {
        Refused::Ledger(e)
    }
}

impl From<SettingError> for Refused {
    fn from(e: SettingError) -> Self {
        Refused::Setting(e)
    }
}

/// Applies `op` as a job; `Err` means the ledger refused it.
fn apply(l: &mut Ledger, op: &Op, now: OffsetDateTime) -> Result<(), Refused> {
    match *op {
        Op::Settings(timeout) => Ok(l
            .update_settings(&serde_json::json!({ "sessionIdleTimeoutSeconds": timeout * 600 }))
            .map(drop)?),
        Op::Many(ref steps) => steps.iter().try_for_each(|step| apply(l, step, now)),
        _ => Ok(apply_one(l, op, now)?),
    }
}

fn apply_one(l: &mut Ledger, op: &Op, now: OffsetDateTime) -> Result<(), LedgerError> {
    let who = |c: u8| Identification {
        username: Some(format!("user{c}")),
        ..Default::default()
    };
    match *op {
        Op::Customer(c) => l
            .create_customer(NewCustomer {
                customer_no: format!("c{c}"),
                name: format!("Customer {c}"),
                email: None,
                msisdn: None,
                national_id: None,
                username: Some(format!("user{c}")),
                aliases: vec![format!("alias{c}")],
                cards: vec![format!("card{c}")],
                personal_number: None,
                address: None,
            })
            .map(drop),
        Op::Account(c, limit) => l
            .create_account(
                NewAccount {
                    customer_no: format!("c{c}"),
                    account_no: None,
                    credit_limit: minor(limit),
                    profile_type: None,
                    alias: None,
                    description: None,
                },
                now,
            )
            .map(drop),
        Op::Open(c) => l.open_session(&who(c), now).map(drop),
        Op::Block(s, x) => l.block(session(s), minor(x), now).map(drop),
        Op::Pay(s, x) => l.create_payment(session(s), minor(x), now).map(drop),
        Op::Commit(s, p) => l
            .commit_payment(session(s), i64::from(p) + 1, now)
            .map(drop),
        Op::Rollback(s, p) => l
            .rollback_payment(session(s), i64::from(p) + 1, now)
            .map(drop),
        Op::End(s) => l.end_session(session(s), now),
        Op::Deposit(a, x) => {
            let no = account_no(l, a);
            l.receive_payment(&no, minor(x), None, None, now).map(drop)
        }
        Op::Recharge(c, x) => {
            let customer = l.customer_by_no(&format!("c{c}")).map_or(999, |c| c.id);
            l.create_recharge("external", customer, minor(x), Some("top-up".into()), now)
                .map(drop)
        }
        Op::RechargeCommit(r) => l
            .commit_recharge("external", i64::from(r) + 1, now)
            .map(drop),
        Op::RechargeCancel(r) => l
            .rollback_recharge("external", i64::from(r) + 1, None, now)
            .map(drop),
        Op::Authorize(i, c, x) => {
            let request = PreAuthRequest {
                id: format!("p{i}"),
                customer_no: Some(format!("c{c}")),
                national_id: None,
                seller_no: "S".into(),
                amount: minor(x),
                currency: "SEK".into(),
                sca_status: saldo::ledger::ScaStatus::Exempted,
                request: serde_json::json!({}),
            };
            // Two steps in one job: a refused split must also take back the authentication.
            l.pre_authorize(request, now)?;
            l.split_authorize(&format!("s{i}"), &format!("p{i}"), now)
                .map(drop)
        }
        Op::Capture(s, k, x) => {
            let req = CaptureRequest {
                seller_transaction_id: "t".into(),
                total: minor(x),
                months: 0,
                monthly: Amount::ZERO,
                product_name: "thing".into(),
            };
            l.capture(&format!("s{s}"), &format!("k{k}"), req, now)
                .map(drop)
        }
        Op::Reverse(s, k, r, x) => l
            .reverse(
                &format!("s{s}"),
                &format!("k{k}"),
                &format!("r{r}"),
                minor(x),
                "t".into(),
                now,
            )
            .map(drop),
        Op::Cancel(s) => l.cancel_split(&format!("s{s}"), now).map(drop),
        Op::Limit(a, x) => {
            let no = account_no(l, a);
            l.patch_account(&no, Some(minor(x)), None).map(drop)
        }
        Op::Settings(_) | Op::Many(_) => unreachable!("handled by apply"),
        Op::Sweep(_) | Op::Persist => unreachable!("handled by the caller"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn a_refused_job_leaves_the_ledger_equal_to_its_clone(
        ops in prop::collection::vec(prop_oneof![
            12 => op(),
            1 => (0i64..4_000).prop_map(Op::Sweep),
            1 => Just(Op::Persist),
        ], 1..80)
    ) {
        let mut l = ledger();
        let mut now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let mut refused = 0;
        for op in &ops {
            match op {
                Op::Sweep(seconds) => {
                    now += Duration::seconds(*seconds);
                    l.job(|l| {
                        l.end_idle_sessions(now);
                        l.expire_recharges(now);
                        l.expire_authorizations(now);
                        Ok::<_, ()>(())
                    })
                    .unwrap();
                }
                Op::Persist => {
                    let dirty = l.take_dirty();
                    l.compact(&dirty);
                }
                op => {
                    let before = l.clone();
                    if l.job(|l| apply(l, op, now)).is_err() {
                        refused += 1;
                        prop_assert!(l == before, "{op:?} was refused but changed the ledger");
                    }
                }
            }
            l.check_invariants().map_err(TestCaseError::fail)?;
            prop_assert!(l.overdrawn_accounts().is_empty(), "nothing charges here");
        }
        // Sequences this long always include refusals: the property is not vacuous.
        if ops.len() >= 40 {
            prop_assert!(refused > 0);
        }
    }
}

#[test]
fn a_panicking_job_is_put_back() {
    let mut l = ledger();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    l.job(|l| apply(l, &Op::Customer(0), now)).unwrap();
    l.job(|l| apply(l, &Op::Account(0, 5_000), now)).unwrap();
    let before = l.clone();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        l.job(|l| {
            apply(l, &Op::Customer(1), now).unwrap();
            apply(l, &Op::Open(0), now).unwrap();
            apply(l, &Op::Pay(0, 700), now).unwrap();
            panic!("a bug in an operation");
            #[allow(unreachable_code)]
            Ok::<_, ()>(())
        })
    }));
    assert!(panicked.is_err());
    assert!(l == before, "the panicking job's changes were kept");
}

#[test]
fn a_refused_signing_leaves_no_customer_behind() {
    // The example: a job that creates a customer and then fails opening its account
    // leaves neither.
    let mut l = ledger();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    l.job(|l| apply(l, &Op::Customer(0), now)).unwrap();
    l.job(|l| apply(l, &Op::Account(0, 100), now)).unwrap();
    let taken = account_no(&l, 0);
    let before = l.clone();
    let out = l.job(|l| {
        apply_one(l, &Op::Customer(3), now)?;
        let account = NewAccount {
            customer_no: "c3".into(),
            account_no: Some(taken.clone()),
            credit_limit: minor(100),
            profile_type: None,
            alias: None,
            description: None,
        };
        l.create_account(account, now).map(drop)
    });
    assert!(
        matches!(out, Err(LedgerError::DuplicateId(Entity::Account, _))),
        "the account number is taken: {out:?}"
    );
    assert!(l == before);
    assert!(l.customer_by_no("c3").is_none());
}

/// Found by the property above: a MyQ payment, block or patch with a negative amount is
/// refused by the core itself (the API refuses it first), never drawn below zero.
#[test]
fn negative_myq_amounts_are_refused_not_drawn() {
    let mut l = ledger();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    for op in [Op::Customer(1), Op::Account(1, 0), Op::Open(1)] {
        l.job(|l| apply(l, &op, now)).unwrap();
    }
    let before = l.clone();
    assert!(l.job(|l| apply(l, &Op::Pay(0, -1), now)).is_err());
    assert!(l.job(|l| l.block(session(0), minor(-1), now)).is_err());
    assert!(l == before, "nothing changed");
    l.check_invariants().unwrap();
}
