//! Property tests of settlement on a real database: over random histories of lines, reversals,
//! approvals, payouts, lines earned late and corrections, every statement's total is its opening
//! plus the sum of its lines, and what is paid plus what is carried equals every line earned;
//! over random sets of paid orders in euros and pounds, each one that comes back nets to zero by
//! new lines, and no line is in another currency than its plan's and its order's.
//! Cases come from proptest's strategies with a fixed seed (the database runs outside
//! proptest's runner, so a failure prints the whole history rather than a shrunk one).

use portico::commissions::accrual::{self, Plan};
use portico::commissions::entity::{line, plan, statement};
use portico::commissions::model::{Period, PeriodKind};
use portico::commissions::store::{self, Actor, Settlement, StatementStatus};
use portico::orders::entity::sales_order;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRng, TestRunner};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use time::{Date, Duration, Month, OffsetDateTime};
use uuid::Uuid;

use crate::helpers::{TestApp, Visitor, commission_line_row, on_both_databases, partner_row};

/// Months of 2025 the histories play in: January to June.
const MONTHS: u8 = 6;
const CASES: u32 = 64;

#[derive(Debug, Clone)]
enum Step {
    /// Lines earned in a month (negative ones are reversals), not yet on a statement.
    Earn {
        month: u8,
        amounts: Vec<i64>,
    },
    Prepare {
        month: u8,
    },
    Approve {
        month: u8,
    },
    Pay {
        month: u8,
    },
    Correct {
        month: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let month = 0..MONTHS;
    prop_oneof![
        3 => (month.clone(), prop::collection::vec(-100_000_i64..80_000, 1..4))
            .prop_map(|(month, amounts)| Step::Earn { month, amounts }),
        3 => month.clone().prop_map(|month| Step::Prepare { month }),
        2 => month.clone().prop_map(|month| Step::Approve { month }),
        2 => month.clone().prop_map(|month| Step::Pay { month }),
        2 => month.prop_map(|month| Step::Correct { month }),
    ]
}

fn first_of(month: u8) -> Date {
    Date::from_calendar_date(2025, Month::try_from(month + 1).unwrap(), 1).unwrap()
}

fn period(month: u8) -> Period {
    Period::containing(first_of(month), PeriodKind::Monthly)
}

async fn partner(app: &TestApp) -> Uuid {
    let partner = partner_row("Property Partner", "gold")
        .insert(&app.pool)
        .await
        .unwrap();
    partner.id
}

async fn new_plan(app: &TestApp, case: u32) -> Plan {
    let row = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(format!("Property plan {case}")),
        description: Set(String::new()),
        currency: Set("EUR".into()),
        period: Set("monthly".into()),
        payout_days: Set(30),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(&app.pool)
    .await
    .unwrap();
    Plan::from_row(row).unwrap()
}

async fn earn(app: &TestApp, plan: &Plan, partner_id: Uuid, on: Date, amount: i64) {
    line::ActiveModel {
        kind: Set(if amount < 0 { "reversal" } else { "accrual" }.into()),
        base_minor: Set(amount.abs() * 10),
        rate_bp: Set(Some(1_000)),
        explanation: Set("property test line".into()),
        ..commission_line_row((partner_id, plan.row.id), "EUR", amount, on)
    }
    .insert(&app.pool)
    .await
    .unwrap();
}

/// The plan's statements that stand (not superseded by a correction), in period order.
async fn standing(app: &TestApp, plan: &Plan) -> Vec<Settlement> {
    let mut found = statement::Entity::find()
        .filter(statement::Column::PlanId.eq(plan.row.id))
        .filter(statement::Column::Status.ne(StatementStatus::Corrected.key()))
        .all(&app.pool)
        .await
        .unwrap();
    found.sort_by_key(|s| s.period_start);
    found
}

async fn standing_in(app: &TestApp, plan: &Plan, month: u8) -> Option<Settlement> {
    standing(app, plan)
        .await
        .into_iter()
        .find(|s| s.period_start == first_of(month))
}

/// The lines on a statement and on the revisions it supersedes.
async fn chain_lines(app: &TestApp, statement: &Settlement) -> i64 {
    let mut sum = 0;
    let mut next = Some(statement.id);
    while let Some(id) = next {
        sum += line::Entity::find()
            .filter(line::Column::StatementId.eq(id))
            .all(&app.pool)
            .await
            .unwrap()
            .iter()
            .map(|l| l.amount_minor)
            .sum::<i64>();
        next = statement::Entity::find_by_id(id)
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap()
            .supersedes_id;
    }
    sum
}

/// Every standing statement adds up: its lines are the sum of the lines on it and on what it
/// supersedes, its total the opening plus them, its payout what the total owes beyond what
/// earlier revisions paid.
async fn assert_each_adds_up(app: &TestApp, plan: &Plan, history: &[Step]) {
    for s in standing(app, plan).await {
        let lines = chain_lines(app, &s).await;
        assert_eq!(s.lines_minor, lines, "{} lines after {history:?}", s.number);
        assert_eq!(
            s.total_minor,
            s.opening_minor + s.lines_minor,
            "{} total after {history:?}",
            s.number
        );
        assert_eq!(
            s.payout_minor,
            s.total_minor.max(0) - s.paid_before_minor,
            "{} payout after {history:?}",
            s.number
        );
    }
}

async fn play(app: &TestApp, case: u32, history: &[Step]) {
    let plan = new_plan(app, case).await;
    let partner_id = partner(app).await;
    let preparer = Actor {
        user_id: None,
        label: "finance".into(),
    };
    let approver = Actor {
        user_id: None,
        label: "second finance".into(),
    };
    let mut earned = 0_i64;
    // After June, as finance would work: each step a moment later.
    let mut at = OffsetDateTime::new_utc(
        first_of(MONTHS - 1) + Duration::days(40),
        time::Time::MIDNIGHT,
    );
    for step in history {
        at += Duration::seconds(1);
        match step {
            Step::Earn { month, amounts } => {
                for (day, amount) in amounts.iter().enumerate() {
                    earn(
                        app,
                        &plan,
                        partner_id,
                        first_of(*month) + Duration::days(day as i64 * 9),
                        *amount,
                    )
                    .await;
                    earned += amount;
                }
            }
            Step::Prepare { month } => {
                store::generate_statements(&app.pool, &plan, period(*month), &preparer, at)
                    .await
                    .unwrap();
            }
            Step::Approve { month } => {
                if let Some(s) = standing_in(app, &plan, *month).await
                    && s.status == StatementStatus::Pending.key()
                {
                    assert!(store::approve(&app.pool, &s, &approver, at).await.unwrap());
                }
            }
            Step::Pay { month } => {
                if let Some(s) = standing_in(app, &plan, *month).await
                    && s.status == StatementStatus::Approved.key()
                {
                    let payout = ("PAY-1", at.date());
                    assert!(
                        store::mark_paid(&app.pool, &s, payout, &approver, at)
                            .await
                            .unwrap()
                    );
                }
            }
            Step::Correct { month } => {
                if let Some(s) = standing_in(app, &plan, *month).await
                    && s.status != StatementStatus::Pending.key()
                {
                    let revision =
                        store::correct_statement(&app.pool, &s, "late lines", &preparer, at)
                            .await
                            .unwrap();
                    assert!(revision.is_some());
                }
            }
        }
        assert_each_adds_up(app, &plan, history).await;
    }
    // The month after: every line still unsettled (earned late, or an adjustment) lands on a
    // statement, and what every statement pays plus what the last carries is what was earned.
    at += Duration::seconds(1);
    let after = Period::containing(at.date(), PeriodKind::Monthly);
    store::generate_statements(&app.pool, &plan, after, &preparer, at)
        .await
        .unwrap();
    assert_each_adds_up(app, &plan, history).await;
    let unsettled = line::Entity::find()
        .filter(line::Column::PlanId.eq(plan.row.id))
        .filter(line::Column::StatementId.is_null())
        .all(&app.pool)
        .await
        .unwrap();
    assert!(
        unsettled.is_empty(),
        "unsettled {unsettled:?} after {history:?}"
    );
    let statements = standing(app, &plan).await;
    let paid: i64 = statements
        .iter()
        .map(|s| s.paid_before_minor + s.payout_minor.max(0))
        .sum();
    let carried = statements
        .last()
        .map_or(0, |s| s.total_minor.min(0) + s.payout_minor.min(0));
    assert_eq!(
        paid + carried,
        earned,
        "paid {paid} + carried {carried} after {history:?}"
    );
}

on_both_databases! {
    async fn statements_add_up_over_random_histories(app) {
        let histories = prop::collection::vec(step(), 1..30);
        let mut runner = TestRunner::new_with_rng(
            Config::with_cases(CASES),
            TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
        );
        for case in 0..CASES {
            let history = histories.new_tree(&mut runner).unwrap().current();
            play(&app, case, &history).await;
        }
    }
}

/// Accrues each plan's current period as the run page does.
async fn accrue(app: &TestApp, plans: &[Plan]) {
    let today = OffsetDateTime::now_utc().date();
    for plan in plans {
        let period = Period::containing(today, plan.period);
        let run = accrual::plan_run(&app.pool, plan, period).await.unwrap();
        let at = OffsetDateTime::now_utc();
        accrual::write_lines(&app.pool, plan, &run, (None, "test"), at)
            .await
            .unwrap();
    }
}

async fn lines_of(app: &TestApp, order: &sales_order::Model) -> Vec<line::Model> {
    line::Entity::find()
        .filter(line::Column::OrderId.eq(order.id))
        .all(&app.pool)
        .await
        .unwrap()
}

async fn move_order(operations: &Visitor, order: &sales_order::Model, status: &str) {
    let moved = operations
        .post_form(
            &format!("/orders/{}/status", order.id),
            &[("status", status), ("reason", "Goods came back")],
        )
        .await;
    assert_eq!(moved.status(), 303, "{} to {status}", order.number);
}

on_both_databases! {
    async fn reversals_net_every_returned_order_to_zero(app) {
        let app = app.with_demo_program().await;
        // Every plan: two in euros (one monthly, one quarterly) and one in pounds.
        let plans: Vec<Plan> = plan::Entity::find()
            .all(&app.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|row| Plan::from_row(row).unwrap())
            .collect();
        assert!(plans.iter().any(|p| p.row.currency == "GBP"));
        let shipped = sales_order::Entity::find()
            .filter(sales_order::Column::Status.eq("shipped"))
            .order_by_asc(sales_order::Column::Number)
            .all(&app.pool)
            .await
            .unwrap();
        assert!(shipped.iter().any(|o| o.currency == "GBP") && shipped.iter().filter(|o| o.currency == "EUR").count() >= 4);
        // Which orders are paid, and which of those come back, drawn by proptest.
        let picks = (
            prop::sample::subsequence((0..shipped.len()).collect::<Vec<_>>(), 2..=shipped.len().min(8)),
            prop::collection::vec(any::<bool>(), 8),
        );
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
        );
        // The first draw that returns some of the orders and keeps some, in both currencies.
        let (picked, comes_back) = std::iter::repeat_with(|| picks.new_tree(&mut runner).unwrap().current())
            .find(|(picked, comes_back)| {
                let returning = (0..picked.len()).filter(|n| comes_back[*n]).count();
                let in_currency = |code: &str| picked.iter().any(|&i| shipped[i].currency == code);
                returning > 0 && returning < picked.len() && in_currency("GBP") && in_currency("EUR")
            })
            .unwrap();
        let operations = app.signed_in(crate::commissions::OPERATIONS).await;
        for &index in &picked {
            for status in ["delivered", "invoiced", "paid"] {
                move_order(&operations, &shipped[index], status).await;
            }
        }
        accrue(&app, &plans).await;
        let mut earned = Vec::new();
        for &index in &picked {
            earned.push(lines_of(&app, &shipped[index]).await);
        }
        assert!(earned.iter().flatten().any(|l| l.amount_minor > 0), "some picked order earned");

        for (n, &index) in picked.iter().enumerate() {
            if comes_back[n] {
                move_order(&operations, &shipped[index], "returned").await;
            }
        }
        accrue(&app, &plans).await;
        for (n, &index) in picked.iter().enumerate() {
            let now = lines_of(&app, &shipped[index]).await;
            let net: i64 = now.iter().map(|l| l.amount_minor).sum();
            // Nothing earned is edited or removed: a reversal is a new line.
            for line in &earned[n] {
                assert!(now.contains(line), "{} kept line {}", shipped[index].number, line.id);
            }
            if comes_back[n] {
                assert_eq!(net, 0, "returned {} nets to zero: {now:?}", shipped[index].number);
                assert!(now.iter().filter(|l| !earned[n].contains(l)).all(|l| l.kind == "reversal"));
            } else {
                assert_eq!(now, earned[n], "kept {} is unchanged", shipped[index].number);
            }
        }
        // Currencies never mix: every line is in its plan's currency and its order's.
        for &index in &picked {
            for line in lines_of(&app, &shipped[index]).await {
                let plan = plans.iter().find(|p| p.row.id == line.plan_id).expect("a line of these plans");
                assert_eq!(line.currency, plan.row.currency, "{line:?}");
                assert_eq!(line.currency, shipped[index].currency, "{line:?}");
            }
        }
        let today = OffsetDateTime::now_utc().date();
        for plan in &plans {
            let again = accrual::plan_run(&app.pool, plan, Period::containing(today, plan.period))
                .await
                .unwrap();
            assert!(again.lines.is_empty(), "a re-run plans nothing: {:?}", again.lines);
        }
    }
}
