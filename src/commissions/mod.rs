//! Commissions: plans of versioned rules, accrual of commission lines from qualifying order
//! lines, statements per partner and settlement period, and their approval and payout.
//!
//! Rules: every amount is integer minor units in the plan's one currency, rounded half to even
//! once per line; nothing computed is edited — a change (a cancelled order, a new rule version,
//! a finance adjustment) is a new line that says why; a run is previewed before it is applied
//! and running it again writes nothing; a statement is approved by someone other than the
//! person who prepared it; partners see only their own (and granted descendants') statements
//! and lines, anything else answers 404.

pub mod accrual;
pub mod api;
mod disputes;
mod downloads;
pub mod entity;
pub mod jobs;
pub mod model;
mod pages;
mod rules;
pub mod seed;
pub mod store;

use axum::Router;
use axum::routing::{get, post};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use time::{Date, OffsetDateTime};

use crate::AppState;
use accrual::Plan;
use model::Period;
use store::{Actor, Generated};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/commissions", get(pages::statements))
        .route("/commissions/rules", get(pages::rules))
        .route(
            "/commissions/run",
            get(pages::run_form).post(pages::run_preview),
        )
        .route("/commissions/run/apply", post(pages::run_apply))
        .route("/commissions/statements/{id}", get(pages::statement))
        .route(
            "/commissions/statements/{id}/download/{format}",
            get(downloads::download),
        )
        .route("/commissions/statements/{id}/approve", post(pages::approve))
        .route("/commissions/statements/{id}/pay", post(pages::pay))
        .route("/commissions/statements/{id}/correct", post(pages::correct))
        .route("/commissions/disputes", get(disputes::queue))
        .route("/commissions/adjustments", post(disputes::add_adjustment))
        .route(
            "/commissions/adjustments/new",
            get(disputes::adjustment_form),
        )
        .route(
            "/commissions/plans/{id}/rules/new",
            get(rules::new_rule_form).post(rules::new_rule),
        )
        .route(
            "/commissions/rules/{id}/versions/new",
            get(rules::new_version_form).post(rules::new_version),
        )
        .route("/commissions/lines/{id}", get(pages::line))
        .route("/commissions/lines/{id}/dispute", post(disputes::open))
        .route(
            "/commissions/lines/{id}/messages",
            post(disputes::post).layer(crate::platform::files::upload_body_limit()),
        )
        .route(
            "/commissions/lines/{id}/attachments/{attachment_id}",
            get(disputes::attachment),
        )
        .route("/commissions/lines/{id}/resolve", post(disputes::resolve))
        .route("/commissions/lines/{id}/adjust", post(disputes::adjust))
        .route("/commissions/lines/{id}/exclude", post(disputes::exclude))
}

/// What settling one period did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub lines_written: usize,
    pub statements: Generated,
}

/// Accrues one period of a plan and prepares its statements, in one transaction: what the
/// demo, the command line and the benchmarks run without a preview.
pub async fn settle_period(
    db: &(impl ConnectionTrait + TransactionTrait),
    plan: &Plan,
    period: Period,
    actor: &Actor,
    at: OffsetDateTime,
) -> anyhow::Result<Settled> {
    // Writes first (the plan's lock), so SQLite takes its write lock at once.
    let txn = db.begin().await?;
    accrual::lock_plan(&txn, plan.row.id).await?;
    let run = accrual::plan_run(&txn, plan, period).await?;
    let lines_written =
        accrual::write_lines(&txn, plan, &run, (actor.user_id, &actor.label), at).await?;
    let statements = store::generate_statements(&txn, plan, period, actor, at).await?;
    txn.commit().await?;
    Ok(Settled {
        lines_written,
        statements,
    })
}

/// The plan's complete periods from `from` up to (not including) the one containing `until`.
pub fn periods_between(plan: &Plan, from: Date, until: Date) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut period = Period::containing(from, plan.period);
    while period.end < until && !period.contains(until) {
        periods.push(period);
        period = period.next(plan.period);
    }
    periods
}

/// What settling every plan did.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct SettleReport {
    pub periods: usize,
    pub lines_written: usize,
    pub statements_created: usize,
    pub statements_updated: usize,
    pub seconds: f64,
}

/// Lines written by one period after which a settle run refreshes the planner's statistics.
const STATISTICS_AFTER_LINES: usize = 10_000;

/// Accrues and prepares statements for every complete period of every plan up to the period
/// containing `through`, from `from` (default: the latest period with statements, or the
/// plan's first rule): what the daily run (or an operator catching up) does. Running it
/// again writes only what changed since. Each run is audited.
pub async fn settle_all(
    db: &crate::platform::db::Db,
    (from, through): (Option<Date>, Date),
    actor: &Actor,
) -> anyhow::Result<SettleReport> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let started = std::time::Instant::now();
    let mut report = SettleReport::default();
    for row in entity::plan::Entity::find()
        .order_by_asc(entity::plan::Column::Name)
        .all(db)
        .await?
    {
        let plan = Plan::from_row(row)?;
        let Some(first) = accrual::rule_versions(db, plan.row.id)
            .await?
            .iter()
            .map(|v| v.from)
            .min()
        else {
            continue;
        };
        // Catch up from the latest period with statements (re-run: it may take new lines);
        // earlier periods were settled, and reversals of their orders come with later runs.
        let latest: Option<Date> = entity::statement::Entity::find()
            .filter(entity::statement::Column::PlanId.eq(plan.row.id))
            .order_by_desc(entity::statement::Column::PeriodStart)
            .one(db)
            .await?
            .map(|s| s.period_start);
        let first = match from {
            Some(from) => from.max(first),
            None => latest.map_or(first, |latest| latest.max(first)),
        };
        for period in periods_between(&plan, first, through) {
            let settled =
                settle_period(db, &plan, period, actor, crate::platform::time::now()).await?;
            report.periods += 1;
            // A period writes up to hundreds of thousands of lines: the next one's lookups
            // need statistics that know it, or PostgreSQL (without autovacuum, or before it
            // runs) scans the table for each chunk of order lines.
            if settled.lines_written >= STATISTICS_AFTER_LINES {
                crate::platform::db::refresh_planner_statistics(db).await?;
            }
            report.lines_written += settled.lines_written;
            report.statements_created += settled.statements.created;
            report.statements_updated += settled.statements.updated;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    // Whoever ran it (the daily job, an operator), it is on the record like a run from the page.
    let txn = crate::platform::db::begin_write(db).await?;
    crate::audit::record(
        &txn,
        crate::audit::Entry::outside_requests(
            crate::audit::Actor {
                user_id: actor.user_id,
                label: actor.label.clone(),
            },
            "commission.settled",
        )
        .with(serde_json::json!({
            "through": through.to_string(),
            "periods": report.periods,
            "lines": report.lines_written,
            "statements_created": report.statements_created,
            "statements_updated": report.statements_updated,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}
