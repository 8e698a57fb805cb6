//! The demo's commission program: plans for monthly channel resale (EUR, and GBP for the UK)
//! and quarterly referrals, with
//! versioned rules, bands and a cap, a year of statements settled by the real accrual — older
//! ones approved and paid, recent ones approved or pending — and a few returned orders whose
//! commission is clawed back.

use anyhow::Context as _;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::accrual::Plan;
use super::entity::{line, plan, rule, rule_version, statement};
use super::model::{Band, Period};
use super::store::{self, Actor, StatementStatus};
use crate::identity::store::readers_of;
use crate::orders::entity::sales_order;
use crate::orders::model::OrderStatus;
use crate::orders::store::{Author, change_status};
use crate::platform::ids;
use crate::platform::scope::{Permission, Side};
use crate::platform::threads;
use crate::platform::time::start_of_day;

/// A rule version as the demo writes it.
struct DemoRule {
    name: &'static str,
    precedence: i32,
    tier: Option<&'static str>,
    product_line: Option<&'static str>,
    deal_type: &'static str,
    qualifying: OrderStatus,
    /// (effective from, days before now; rate in bp or per-unit amount or bands)
    versions: &'static [(i64, Pays)],
    cap_minor: Option<i64>,
    note: &'static str,
}

#[derive(Clone, Copy)]
enum Pays {
    Rate(i32),
    PerUnit(i64),
    Marginal(&'static [(i64, Option<i64>, i32)]),
    Retroactive(&'static [(i64, Option<i64>, i32)]),
}

const RESALE_RULES: [DemoRule; 4] = [
    DemoRule {
        name: "Registered deals",
        precedence: 50,
        tier: None,
        product_line: None,
        deal_type: "registered_deal",
        qualifying: OrderStatus::Invoiced,
        versions: &[(420, Pays::Rate(1_000))],
        cap_minor: None,
        note: "Deals registered and approved before the order earn on invoice, not on payment.",
    },
    DemoRule {
        name: "Cloud licences",
        precedence: 40,
        tier: None,
        product_line: Some("Cloud Licences"),
        deal_type: "resale",
        qualifying: OrderStatus::Paid,
        versions: &[(420, Pays::PerUnit(400))],
        cap_minor: None,
        note: "",
    },
    DemoRule {
        name: "Gold volume",
        precedence: 30,
        tier: Some("Gold"),
        product_line: None,
        deal_type: "resale",
        qualifying: OrderStatus::Paid,
        versions: &[(
            420,
            Pays::Marginal(&[(0, Some(2_000_000), 500), (2_000_000, None, 700)]),
        )],
        cap_minor: Some(400_000),
        note: "Gold partners earn more on their sales beyond EUR 20,000 a month.",
    },
    DemoRule {
        name: "Standard resale",
        precedence: 10,
        tier: None,
        product_line: None,
        deal_type: "resale",
        qualifying: OrderStatus::Paid,
        versions: &[(420, Pays::Rate(400)), (150, Pays::Rate(450))],
        cap_minor: None,
        note: "",
    },
];

const REFERRAL_RULES: [DemoRule; 1] = [DemoRule {
    name: "Referral bonus",
    precedence: 10,
    tier: None,
    product_line: None,
    deal_type: "referral",
    qualifying: OrderStatus::Paid,
    versions: &[(
        420,
        Pays::Retroactive(&[(0, Some(1_500_000), 800), (1_500_000, None, 1_000)]),
    )],
    cap_minor: None,
    note: "Referred orders earn 8%, and 10% on the whole quarter once it passes EUR 15,000.",
}];

const UK_RULES: [DemoRule; 1] = [DemoRule {
    name: "UK resale",
    precedence: 10,
    tier: None,
    product_line: None,
    deal_type: "resale",
    qualifying: OrderStatus::Paid,
    versions: &[(420, Pays::Rate(500))],
    cap_minor: None,
    note: "UK partners order and are paid in pounds sterling.",
}];

fn first_of_month(day: Date) -> Date {
    day.replace_day(1).expect("every month has a first day")
}

async fn add_plan(
    conn: &impl ConnectionTrait,
    details: (&str, &str, &str, &str, i32),
    rules: &[DemoRule],
    author: &Actor,
    now: OffsetDateTime,
) -> anyhow::Result<Plan> {
    let (name, description, currency, period, payout_days) = details;
    let saved = plan::ActiveModel {
        id: Set(ids::new_id()),
        name: Set(name.to_owned()),
        description: Set(description.to_owned()),
        currency: Set(currency.to_owned()),
        period: Set(period.to_owned()),
        payout_days: Set(payout_days),
        created_at: Set(now - Duration::days(430)),
    }
    .insert(conn)
    .await?;
    for demo in rules {
        let rule_id = ids::new_id();
        rule::ActiveModel {
            id: Set(rule_id),
            plan_id: Set(saved.id),
            name: Set(demo.name.to_owned()),
            precedence: Set(demo.precedence),
            created_at: Set(now - Duration::days(430)),
        }
        .insert(conn)
        .await?;
        for (index, (days_ago, pays)) in demo.versions.iter().enumerate() {
            let from = first_of_month((now - Duration::days(*days_ago)).date());
            let to = demo
                .versions
                .get(index + 1)
                .map(|(next, _)| first_of_month((now - Duration::days(*next)).date()));
            let bands = |mode: &str, bands: &[(i64, Option<i64>, i32)]| {
                let bands: Vec<Band> = bands
                    .iter()
                    .map(|&(from_minor, to_minor, rate_bp)| Band {
                        from_minor,
                        to_minor,
                        rate_bp,
                    })
                    .collect();
                (Some(mode.to_owned()), serde_json::to_string(&bands).ok())
            };
            let (rate_bp, per_unit_minor, (band_mode, band_rows)) = match pays {
                Pays::Rate(rate) => (Some(*rate), None, (None, None)),
                Pays::PerUnit(amount) => (None, Some(*amount), (None, None)),
                Pays::Marginal(rows) => (None, None, bands("marginal", rows)),
                Pays::Retroactive(rows) => (None, None, bands("retroactive", rows)),
            };
            rule_version::ActiveModel {
                id: Set(ids::new_id()),
                rule_id: Set(rule_id),
                plan_id: Set(saved.id),
                version: Set(index as i32 + 1),
                effective_from: Set(from),
                effective_to: Set(to),
                partner_type: Set(None),
                tier: Set(demo.tier.map(str::to_owned)),
                product_line: Set(demo.product_line.map(str::to_owned)),
                sku: Set(None),
                deal_type: Set(Some(demo.deal_type.to_owned())),
                qualifying_status: Set(demo.qualifying.key().to_owned()),
                rate_bp: Set(rate_bp),
                per_unit_minor: Set(per_unit_minor),
                band_mode: Set(band_mode),
                bands: Set(band_rows),
                cap_minor: Set(demo.cap_minor),
                note: Set(if index > 0 {
                    "Raised from 4.00% to reward steady resale.".to_owned()
                } else {
                    demo.note.to_owned()
                }),
                created_by: Set(author.user_id),
                created_label: Set(author.label.clone()),
                created_at: Set(start_of_day(from) - Duration::days(10)),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(Plan::from_row(saved)?)
}

/// Finance people of the demo: one approves, the other records payouts.
pub struct Finance {
    pub approver: Actor,
    pub payer: Actor,
}

/// Who runs accrual on schedule in the demo.
fn scheduled_run() -> Actor {
    Actor {
        user_id: None,
        label: "Monthly commission run".to_owned(),
    }
}

pub async fn seed_commissions(
    db: &(impl ConnectionTrait + TransactionTrait),
    finance: &Finance,
    operations: &Author,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let resale = add_plan(
        db,
        (
            "Channel resale 2026",
            "Commission on what partners resell and on deals they registered, settled monthly.",
            "EUR",
            "monthly",
            30,
        ),
        &RESALE_RULES,
        &finance.approver,
        now,
    )
    .await?;
    let referral = add_plan(
        db,
        (
            "Referral programme 2026",
            "A bonus on orders partners refer to Northwind, settled quarterly.",
            "EUR",
            "quarterly",
            45,
        ),
        &REFERRAL_RULES,
        &finance.approver,
        now,
    )
    .await?;
    let uk = add_plan(
        db,
        (
            "UK channel 2026",
            "Commission on UK partners' resale in pounds sterling, settled monthly.",
            "GBP",
            "monthly",
            30,
        ),
        &UK_RULES,
        &finance.approver,
        now,
    )
    .await?;
    let from = (now - Duration::days(400)).date();
    let runner = scheduled_run();
    for plan in [&resale, &referral, &uk] {
        let periods = super::periods_between(plan, from, now.date());
        let Some((last, earlier)) = periods.split_last() else {
            continue;
        };
        for period in earlier {
            let at = start_of_day(period.end) + Duration::days(3);
            super::settle_period(db, plan, *period, &runner, at).await?;
        }
        if plan.row.id == resale.row.id {
            return_some_orders(db, plan, *last, operations).await?;
        }
        let at = (start_of_day(last.end) + Duration::days(3)).min(now);
        super::settle_period(db, plan, *last, &runner, at).await?;
        approve_and_pay(db, plan, finance, now).await?;
        if plan.row.id == resale.row.id {
            correct_a_paid_statement(db, plan, (finance, operations), now).await?;
        }
    }
    seed_disputes(db, &resale, finance, now).await
}

/// A demo dispute: the partner's complaint, finance's resolution with its adjustment (none
/// while it is open), and finance's internal note.
type DemoDispute = (&'static str, Option<(&'static str, i64)>, &'static str);

const DISPUTES: [DemoDispute; 3] = [
    (
        "We moved to a higher tier at the start of the month; this line still uses the old rate.",
        Some((
            "The tier change was recorded late; the difference is adjusted.",
            1_850,
        )),
        "Checked: the tier change was approved on the 2nd, so the partner is right.",
    ),
    (
        "Is this order not a registered deal? We registered it in January.",
        Some((
            "The registration expired before the order was placed, so the resale rate applies.",
            0,
        )),
        "Registration DR-2231 expired on 31 Jan; order placed 4 Feb.",
    ),
    (
        "This line is lower than the rate on the rules page.",
        None,
        "Cap for the month was reached on this line; explain the cap in the answer.",
    ),
];

/// Three disputes of recent lines: one resolved with an adjustment, one explained, one open
/// with an internal note.
async fn seed_disputes(
    db: &(impl ConnectionTrait + TransactionTrait),
    plan: &Plan,
    finance: &Finance,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let recent = line::Entity::find()
        .filter(line::Column::PlanId.eq(plan.row.id))
        .filter(line::Column::Kind.eq("accrual"))
        .order_by_desc(line::Column::EarnedOn)
        .limit(60)
        .all(db)
        .await?;
    let mut used_partners = Vec::new();
    let mut chosen = Vec::new();
    for candidate in recent {
        if chosen.len() == DISPUTES.len() || used_partners.contains(&candidate.partner_id) {
            continue;
        }
        let disputer = readers_of(db, candidate.partner_id, Permission::CommissionsDispute)
            .await?
            .into_iter()
            .find(|u| u.organization_id == candidate.partner_id);
        if let Some(user) = disputer {
            used_partners.push(candidate.partner_id);
            chosen.push((candidate, user));
        }
    }
    for ((disputed, user), (complaint, answer, note)) in chosen.iter().zip(DISPUTES) {
        let opened_at = now - Duration::days(6);
        let partner_name =
            crate::orgs::entity::organization::Entity::find_by_id(disputed.partner_id)
                .one(db)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
        let opener = Actor {
            user_id: Some(user.id),
            label: format!("{} ({partner_name})", user.display_name),
        };
        let open = store::open_dispute(db, disputed, &opener, opened_at).await?;
        let subject = threads::Subject {
            object_type: "commission_line",
            object_id: disputed.id,
            partner_id: disputed.partner_id,
        };
        let say = |who: &Actor, side: Side, body: &'static str, internal: bool, at| {
            let author = threads::Participant {
                user_id: who.user_id.unwrap_or(user.id),
                label: who.label.clone(),
                side,
            };
            async move {
                threads::post(
                    db,
                    &subject,
                    &author,
                    threads::NewMessage {
                        body,
                        internal,
                        attachment: None,
                        at,
                    },
                    &[],
                )
                .await
            }
        };
        say(&opener, Side::Partner, complaint, false, opened_at).await?;
        let noted = opened_at + Duration::hours(3);
        say(&finance.approver, Side::Vendor, note, true, noted).await?;
        let Some((resolution, adjustment)) = answer else {
            continue;
        };
        let resolved_at = opened_at + Duration::days(2);
        let adjusted = if adjustment != 0 {
            let explanation = format!(
                "Adjustment of {} after a dispute: {resolution}",
                super::accrual::signed(adjustment, plan.currency)
            );
            Some(
                store::add_finance_line(
                    db,
                    disputed,
                    store::FinanceLine {
                        kind: "adjustment",
                        amount_minor: adjustment,
                        reason: resolution,
                        explanation,
                    },
                    &finance.approver,
                    resolved_at,
                )
                .await?
                .id,
            )
        } else {
            None
        };
        store::resolve_dispute(
            db,
            &open,
            resolution,
            adjusted,
            &finance.approver,
            resolved_at,
        )
        .await?;
        let answer: &'static str = if adjusted.is_some() {
            "Resolved: you were right; an adjustment is on your next statement."
        } else {
            "Resolved: the registration had expired before the order, so the resale rate applies."
        };
        say(&finance.approver, Side::Vendor, answer, false, resolved_at).await?;
    }
    Ok(())
}

/// Three orders paid long ago come back during the last period: their commission is reversed.
async fn return_some_orders(
    db: &(impl ConnectionTrait + TransactionTrait),
    plan: &Plan,
    last: Period,
    operations: &Author,
) -> anyhow::Result<()> {
    let order_ids: Vec<Option<Uuid>> = line::Entity::find()
        .select_only()
        .column(line::Column::OrderId)
        .filter(line::Column::PlanId.eq(plan.row.id))
        .filter(line::Column::Kind.eq("accrual"))
        .filter(line::Column::EarnedOn.lt(last.start - Duration::days(90)))
        .order_by_asc(line::Column::EarnedOn)
        .limit(40)
        .into_tuple()
        .all(db)
        .await?;
    let mut returned = Vec::new();
    for id in order_ids.into_iter().flatten() {
        if returned.len() == 3 {
            break;
        }
        if returned.contains(&id) {
            continue;
        }
        let order = sales_order::Entity::find_by_id(id)
            .one(db)
            .await?
            .context("a commissioned order exists")?;
        if order.status != OrderStatus::Paid.key() {
            continue;
        }
        let at = start_of_day(last.start) + Duration::days(4 + returned.len() as i64 * 6);
        change_status(
            db,
            &order,
            OrderStatus::Returned,
            Some("The customer returned the goods unopened within the return period.".to_owned()),
            operations,
            at,
        )
        .await?;
        returned.push(id);
    }
    Ok(())
}

/// A return recorded late: an order came back within a period whose statement was already paid.
/// Running that period again reverses its commission, and finance corrects the paid statement;
/// the revision claws the difference back and waits for approval.
async fn correct_a_paid_statement(
    db: &(impl ConnectionTrait + TransactionTrait),
    plan: &Plan,
    (finance, operations): (&Finance, &Author),
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let paid: Vec<Uuid> = statement::Entity::find()
        .select_only()
        .column(statement::Column::Id)
        .filter(statement::Column::PlanId.eq(plan.row.id))
        .filter(statement::Column::Status.eq(StatementStatus::Paid.key()))
        .into_tuple()
        .all(db)
        .await?;
    // The latest earned line on a paid statement whose order is paid, with days of its period
    // left for the return.
    let candidates = line::Entity::find()
        .filter(line::Column::Kind.eq("accrual"))
        .filter(line::Column::StatementId.is_in(paid))
        .order_by_desc(line::Column::EarnedOn)
        .limit(200)
        .all(db)
        .await?;
    for earned in candidates {
        let (Some(order_id), Some(statement_id)) = (earned.order_id, earned.statement_id) else {
            continue;
        };
        let settled = statement::Entity::find_by_id(statement_id)
            .one(db)
            .await?
            .context("the line's statement exists")?;
        let order = sales_order::Entity::find_by_id(order_id)
            .one(db)
            .await?
            .context("a commissioned order exists")?;
        if order.status != OrderStatus::Paid.key()
            || earned.earned_on + Duration::days(2) > settled.period_end
        {
            continue;
        }
        let returned_at = start_of_day(earned.earned_on) + Duration::days(1) + Duration::hours(11);
        change_status(
            db,
            &order,
            OrderStatus::Returned,
            Some(
                "Returned within the period; the return was recorded after the payout.".to_owned(),
            ),
            operations,
            returned_at,
        )
        .await?;
        let at = now - Duration::days(4);
        let period = store::period_of(&settled);
        super::settle_period(db, plan, period, &scheduled_run(), at).await?;
        let reason = format!(
            "Order {} was returned on {}, recorded only after the payout.",
            order.number,
            returned_at.date()
        );
        let txn = db.begin().await?;
        super::accrual::lock_plan(&txn, plan.row.id).await?;
        store::correct_statement(&txn, &settled, &reason, &finance.payer, at).await?;
        txn.commit().await?;
        return Ok(());
    }
    Ok(())
}

/// Statements of the latest period stay pending; older ones are approved, and paid once their
/// payout date is a month past.
async fn approve_and_pay(
    db: &(impl ConnectionTrait + TransactionTrait),
    plan: &Plan,
    finance: &Finance,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let statements = statement::Entity::find()
        .filter(statement::Column::PlanId.eq(plan.row.id))
        .order_by_asc(statement::Column::PeriodStart)
        .all(db)
        .await?;
    let latest = statements.iter().map(|s| s.period_start).max();
    for (index, settlement) in statements.iter().enumerate() {
        let approve_on = start_of_day(settlement.period_end) + Duration::days(8);
        if settlement.status != StatementStatus::Pending.key()
            || Some(settlement.period_start) == latest
            || approve_on > now
        {
            continue;
        }
        if !store::approve(db, settlement, &finance.approver, approve_on).await? {
            continue;
        }
        if start_of_day(settlement.expected_payout_on) + Duration::days(30) > now {
            continue;
        }
        let approved = statement::Entity::find_by_id(settlement.id)
            .one(db)
            .await?
            .context("the statement just approved exists")?;
        let paid_on = settlement.expected_payout_on;
        let reference = format!("PAY-{}-{:04}", paid_on.year(), 1_000 + index);
        store::mark_paid(
            db,
            &approved,
            (&reference, paid_on),
            &finance.payer,
            start_of_day(paid_on) + Duration::hours(10),
        )
        .await?;
    }
    Ok(())
}
