//! Accrual: turning qualifying order lines into commission lines for one plan and period.
//!
//! A run first *plans*: for every order line that earned in the period (or already carries
//! commission earned in it, or belongs to an order since cancelled or returned) it computes what
//! the line should have earned under the rules in force, and compares that with what its
//! commission lines already add up to. Only differences become new lines — an accrual, a
//! correction or a reversal — so a second run changes nothing, and nothing computed is ever
//! edited. Finance sees the plan as a preview and applies it; applying recomputes and refuses
//! if anything moved since the preview.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::entity::{line, plan, rule, rule_version};
use super::model::{
    Band, BandMode, Computed, Conditions, Earned, Earning, LineFacts, Period, PeriodKind, Reward,
    compute, first_reached,
};
use crate::orders::entity::{order_event, order_line, sales_order};
use crate::orders::model::{OrderStatus, money};
use crate::platform::ids;
use crate::platform::money::Currency;
use crate::platform::time::{format_day, start_of_day};

/// Kinds of line accrual writes and counts when it compares; adjustments are finance's own
/// and stand apart.
pub const COMPUTED_KINDS: [&str; 4] = ["accrual", "correction", "reversal", "exclusion"];

/// A plan with its parsed currency and period.
#[derive(Debug, Clone)]
pub struct Plan {
    pub row: plan::Model,
    pub currency: Currency,
    pub period: PeriodKind,
}

impl Plan {
    pub fn from_row(row: plan::Model) -> Result<Plan, DbErr> {
        let currency = Currency::parse(&row.currency)
            .map_err(|e| DbErr::Custom(format!("plan {}: {e}", row.name)))?;
        let period = PeriodKind::parse(&row.period)
            .ok_or_else(|| DbErr::Custom(format!("plan {}: period {}", row.name, row.period)))?;
        Ok(Plan {
            row,
            currency,
            period,
        })
    }
}

/// A stored rule version, parsed for matching and maths.
#[derive(Debug, Clone)]
pub struct VersionTerms {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub rule_name: String,
    pub precedence: i32,
    pub version: i32,
    pub from: Date,
    pub to: Option<Date>,
    pub conditions: Conditions,
    pub qualifying: OrderStatus,
    pub reward: Reward,
    pub cap_minor: Option<i64>,
}

impl VersionTerms {
    pub fn parse(rule: &rule::Model, row: &rule_version::Model) -> Result<VersionTerms, DbErr> {
        let broken =
            |what: &str| DbErr::Custom(format!("rule '{}' v{} has {what}", rule.name, row.version));
        let reward = match (row.rate_bp, row.per_unit_minor, row.band_mode.as_deref()) {
            (_, _, Some(mode)) => {
                let mode = BandMode::parse(mode).ok_or_else(|| broken("an unknown band mode"))?;
                let bands: Vec<Band> = serde_json::from_str(row.bands.as_deref().unwrap_or(""))
                    .map_err(|_| broken("unreadable bands"))?;
                Reward::Bands(mode, bands)
            }
            (Some(rate), _, None) => Reward::Rate(rate),
            (None, Some(per_unit), None) => Reward::PerUnit(per_unit),
            (None, None, None) => return Err(broken("no rate")),
        };
        Ok(VersionTerms {
            id: row.id,
            rule_id: row.rule_id,
            rule_name: rule.name.clone(),
            precedence: rule.precedence,
            version: row.version,
            from: row.effective_from,
            to: row.effective_to,
            conditions: Conditions {
                partner_type: row.partner_type.clone(),
                tier: row.tier.clone(),
                product_line: row.product_line.clone(),
                sku: row.sku.clone(),
                deal_type: row.deal_type.clone(),
            },
            qualifying: OrderStatus::parse(&row.qualifying_status)
                .ok_or_else(|| broken("an unknown qualifying status"))?,
            reward,
            cap_minor: row.cap_minor,
        })
    }

    fn in_force_on(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }

    /// "'Gold hardware 2026' v2", as explanations name it.
    pub fn title(&self) -> String {
        format!("'{}' v{}", self.rule_name, self.version)
    }
}

/// Every rule version of a plan, highest precedence first.
pub async fn rule_versions(
    conn: &impl ConnectionTrait,
    plan_id: Uuid,
) -> Result<Vec<VersionTerms>, DbErr> {
    let rules: HashMap<Uuid, rule::Model> = rule::Entity::find()
        .filter(rule::Column::PlanId.eq(plan_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut versions = Vec::new();
    for row in rule_version::Entity::find()
        .filter(rule_version::Column::PlanId.eq(plan_id))
        .all(conn)
        .await?
    {
        let rule = rules
            .get(&row.rule_id)
            .ok_or_else(|| DbErr::RecordNotFound(format!("rule {}", row.rule_id)))?;
        versions.push(VersionTerms::parse(rule, &row)?);
    }
    versions.sort_by(|a, b| {
        b.precedence
            .cmp(&a.precedence)
            .then(b.version.cmp(&a.version))
    });
    Ok(versions)
}

/// One new commission line a run would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub partner_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub order_line_id: Uuid,
    pub position: i32,
    pub kind: &'static str,
    pub rule_version_id: Option<Uuid>,
    pub base_minor: i64,
    pub rate_bp: Option<i32>,
    /// What the line's commission added up to before, and what it should be.
    pub old_minor: i64,
    pub new_minor: i64,
    pub earned_on: Date,
    pub explanation: String,
}

impl PlannedLine {
    pub fn delta(&self) -> i64 {
        self.new_minor - self.old_minor
    }
}

/// What a run would do for one plan and period.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub period: Period,
    pub lines: Vec<PlannedLine>,
}

impl RunPlan {
    /// A digest of exactly what would be written: applying checks the preview is still true.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        for planned in &self.lines {
            hasher.update(planned.order_line_id.as_bytes());
            hasher.update(planned.kind.as_bytes());
            hasher.update(planned.delta().to_le_bytes());
        }
        format!("{:x}", hasher.finalize())
    }

    /// Net effect per partner, for the preview.
    pub fn per_partner(&self) -> BTreeMap<Uuid, (usize, i64)> {
        let mut effect: BTreeMap<Uuid, (usize, i64)> = BTreeMap::new();
        for planned in &self.lines {
            let entry = effect.entry(planned.partner_id).or_default();
            entry.0 += 1;
            entry.1 += planned.delta();
        }
        effect
    }
}

#[derive(FromQueryResult)]
struct OrderIdRow {
    order_id: Uuid,
}

/// Orders that reached any of `statuses` within the period.
async fn orders_qualifying_in(
    conn: &impl ConnectionTrait,
    period: Period,
    statuses: &BTreeSet<&'static str>,
) -> Result<Vec<Uuid>, DbErr> {
    let backend = conn.get_database_backend();
    let placeholders: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 3)).collect();
    let mut values: Vec<Value> = vec![
        Value::from(start_of_day(period.start)),
        Value::from(start_of_day(period.end.next_day().unwrap_or(period.end))),
    ];
    values.extend(statuses.iter().map(|s| Value::from(*s)));
    let sql = format!(
        "SELECT DISTINCT order_id FROM order_event WHERE kind = 'status' AND at >= $1 AND at < $2 \
         AND to_value IN ({})",
        placeholders.join(", ")
    );
    Ok(
        OrderIdRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.order_id)
            .collect(),
    )
}

/// Orders of the plan with commission earned in the period, and orders cancelled or returned
/// from the period's start on (a run from then on reverses what they earned, whenever that was).
async fn orders_with_commission(
    conn: &impl ConnectionTrait,
    plan_id: Uuid,
    period: Period,
) -> Result<Vec<Uuid>, DbErr> {
    let backend = conn.get_database_backend();
    let kinds = COMPUTED_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let earned = format!(
        "SELECT DISTINCT order_id FROM commission_line WHERE plan_id = $1 AND earned_on >= $2 \
         AND earned_on <= $3 AND order_id IS NOT NULL AND kind IN ({kinds})"
    );
    let undone = "SELECT DISTINCT order_id FROM order_event WHERE kind = 'status' AND at >= $1 \
                  AND to_value IN ('cancelled', 'returned')";
    let mut ids = OrderIdRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        earned,
        [
            Value::from(plan_id),
            Value::from(period.start),
            Value::from(period.end),
        ],
    ))
    .all(conn)
    .await?;
    ids.extend(
        OrderIdRow::find_by_statement(Statement::from_sql_and_values(
            backend,
            undone,
            [Value::from(start_of_day(period.start))],
        ))
        .all(conn)
        .await?,
    );
    Ok(ids.into_iter().map(|r| r.order_id).collect())
}

/// The orders' ids sorted by their partner.
async fn by_partner(conn: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<Uuid>, DbErr> {
    let mut keyed: Vec<(Uuid, Uuid)> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(Uuid, Uuid)> = sales_order::Entity::find()
            .select_only()
            .column(sales_order::Column::PartnerId)
            .column(sales_order::Column::Id)
            .filter(sales_order::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        keyed.extend(rows);
    }
    keyed.sort_unstable();
    Ok(keyed.into_iter().map(|(_, id)| id).collect())
}

/// An order line that earned under a rule version in the period.
struct Qualified {
    order_line_id: Uuid,
    version: usize,
    earned_at: OffsetDateTime,
    order_number: String,
    position: i32,
    earning: Earning,
}

/// What commission lines of one order line add up to so far.
#[derive(Default)]
struct Existing {
    net_minor: i64,
    excluded: bool,
}

/// Where a line stands before the comparison.
struct Candidate {
    partner_id: Uuid,
    order_id: Uuid,
    order_number: String,
    position: i32,
    base_minor: i64,
    /// The order is now cancelled or returned, with the day it happened.
    undone: Option<(OrderStatus, Date)>,
    /// The line earns in another period: that period's run owns it.
    earns_elsewhere: bool,
}

const CHUNK: usize = 500;

/// Plans a run: every new line it would write, in order number and position order.
pub async fn plan_run(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    period: Period,
) -> Result<RunPlan, DbErr> {
    let started = std::time::Instant::now();
    let versions = rule_versions(conn, plan.row.id).await?;
    let statuses: BTreeSet<&'static str> = OrderStatus::ALL
        .into_iter()
        .filter(|s| {
            versions
                .iter()
                .any(|v| super::model::has_reached(*s, v.qualifying))
        })
        .map(OrderStatus::key)
        .collect();
    let mut order_ids: BTreeSet<Uuid> = BTreeSet::new();
    if !statuses.is_empty() {
        order_ids.extend(orders_qualifying_in(conn, period, &statuses).await?);
    }
    order_ids.extend(orders_with_commission(conn, plan.row.id, period).await?);
    // In partner order, so each chunk names few partners for the (partner, order) indexes.
    let order_ids = by_partner(conn, order_ids.into_iter().collect()).await?;
    tracing::info!(period = %period.label(), orders = order_ids.len(), seconds = started.elapsed().as_secs_f64(), "accrual candidates found");

    let mut candidates: HashMap<Uuid, Candidate> = HashMap::new();
    // (partner, rule) → lines that earned, for bands and caps, which count the rule's period
    // across its versions.
    let mut groups: BTreeMap<(Uuid, Uuid), Vec<Qualified>> = BTreeMap::new();
    for chunk in order_ids.chunks(CHUNK) {
        let orders = sales_order::Entity::find()
            .filter(sales_order::Column::Id.is_in(chunk.iter().copied()))
            .filter(sales_order::Column::Currency.eq(plan.currency.code()))
            .all(conn)
            .await?;
        // Events and lines are indexed by (partner, order): name both, or each chunk scans.
        let partner_ids: BTreeSet<Uuid> = orders.iter().map(|o| o.partner_id).collect();
        let mut histories: HashMap<Uuid, Vec<(OffsetDateTime, OrderStatus)>> = HashMap::new();
        for event in order_event::Entity::find()
            .filter(order_event::Column::PartnerId.is_in(partner_ids.iter().copied()))
            .filter(order_event::Column::OrderId.is_in(chunk.iter().copied()))
            .order_by_asc(order_event::Column::At)
            .all(conn)
            .await?
        {
            // Kinds are picked here, not in SQL: a kind condition would steer the database to
            // the (kind, …) index and a scan of every order's events.
            if !matches!(event.kind.as_str(), "created" | "status") {
                continue;
            }
            if let Some(status) = event.to_value.as_deref().and_then(OrderStatus::parse) {
                histories
                    .entry(event.order_id)
                    .or_default()
                    .push((event.at, status));
            }
        }
        let mut lines_of: HashMap<Uuid, Vec<order_line::Model>> = HashMap::new();
        for row in order_line::Entity::find()
            .filter(order_line::Column::PartnerId.is_in(partner_ids.iter().copied()))
            .filter(order_line::Column::OrderId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            lines_of.entry(row.order_id).or_default().push(row);
        }
        for order in orders {
            let history = histories.remove(&order.id).unwrap_or_default();
            let status = OrderStatus::parse(&order.status);
            let undone = status
                .filter(|s| matches!(s, OrderStatus::Cancelled | OrderStatus::Returned))
                .map(|s| {
                    let day = history
                        .last()
                        .map_or(order.updated_at.date(), |(at, _)| at.date());
                    (s, day)
                });
            for order_line in lines_of.remove(&order.id).unwrap_or_default() {
                // The facts as they stood when the order was placed: a later tier change or a
                // product moved to another line does not re-rank what was sold before.
                let facts = LineFacts {
                    partner_type: order.partner_type.as_deref().unwrap_or_default(),
                    tier: order.partner_tier.as_deref().unwrap_or_default(),
                    product_line: order_line.product_line.as_deref().unwrap_or_default(),
                    sku: &order_line.sku,
                    deal_type: &order.deal_type,
                };
                candidates.insert(
                    order_line.id,
                    Candidate {
                        partner_id: order.partner_id,
                        order_id: order.id,
                        order_number: order.number.clone(),
                        position: order_line.position,
                        base_minor: order_line.total_minor,
                        undone,
                        earns_elsewhere: false,
                    },
                );
                if undone.is_some() {
                    continue;
                }
                // The highest-precedence rule whose version in force on the day the line
                // qualified matches it.
                let chosen = versions.iter().enumerate().find_map(|(index, v)| {
                    let earned_at = first_reached(&history, v.qualifying)?;
                    (v.in_force_on(earned_at.date()) && v.conditions.matches(&facts))
                        .then_some((index, earned_at))
                });
                match chosen {
                    Some((_, earned_at)) if !period.contains(earned_at.date()) => {
                        if let Some(candidate) = candidates.get_mut(&order_line.id) {
                            candidate.earns_elsewhere = true;
                        }
                    }
                    Some((version, earned_at)) => groups
                        .entry((order.partner_id, versions[version].rule_id))
                        .or_default()
                        .push(Qualified {
                            order_line_id: order_line.id,
                            version,
                            earned_at,
                            order_number: order.number.clone(),
                            position: order_line.position,
                            earning: Earning {
                                base_minor: order_line.total_minor,
                                quantity: order_line.quantity,
                            },
                        }),
                    None => {}
                }
            }
        }
    }

    let existing = existing_commission(conn, plan.row.id, candidates.keys().copied()).await?;
    let excluded = |id: &Uuid| existing.get(id).is_some_and(|e| e.excluded);

    // What each line should have earned; excluded lines count towards no band or cap.
    let mut targets: HashMap<Uuid, (usize, Date, Computed)> = HashMap::new();
    for mut lines in groups.into_values() {
        lines.retain(|l| !excluded(&l.order_line_id));
        lines.sort_by(|a, b| {
            (a.earned_at, &a.order_number, a.position).cmp(&(
                b.earned_at,
                &b.order_number,
                b.position,
            ))
        });
        let earned: Vec<Earned<'_>> = lines
            .iter()
            .map(|l| Earned {
                reward: &versions[l.version].reward,
                cap_minor: versions[l.version].cap_minor,
                line: l.earning,
            })
            .collect();
        let computed = compute(&earned, plan.currency);
        for (line, computed) in lines.into_iter().zip(computed) {
            targets.insert(
                line.order_line_id,
                (line.version, line.earned_at.date(), computed),
            );
        }
    }

    let mut planned = Vec::new();
    for (order_line_id, candidate) in candidates {
        let before = existing.get(&order_line_id);
        let old = before.map_or(0, |e| e.net_minor);
        if before.is_some_and(|e| e.excluded) || candidate.earns_elsewhere {
            continue;
        }
        let target = targets.get(&order_line_id);
        let new = target.map_or(0, |(_, _, c)| c.amount_minor);
        if new == old {
            continue;
        }
        // A line that never earned and still earns nothing needs no row; one that earns for
        // the first time (even zero under a cap) is only written when it differs.
        let base = money(candidate.base_minor, plan.currency.code());
        let (kind, version, earned_on, explanation) = match (target, candidate.undone) {
            (_, Some((status, day))) => (
                "reversal",
                None,
                day,
                format!(
                    "Reversal of {}: order {} was {} on {}",
                    money(old, plan.currency.code()),
                    candidate.order_number,
                    status.label().to_lowercase(),
                    format_day(day)
                ),
            ),
            (Some((version, day, computed)), None) => {
                let terms = &versions[*version];
                if before.is_none() {
                    (
                        "accrual",
                        Some(terms.id),
                        *day,
                        format!("{} under {}", computed.detail, terms.title()),
                    )
                } else {
                    (
                        "correction",
                        Some(terms.id),
                        *day,
                        format!(
                            "Correction of {}: now {} under {}; was {}",
                            signed(new - old, plan.currency),
                            computed.detail,
                            terms.title(),
                            money(old, plan.currency.code())
                        ),
                    )
                }
            }
            (None, None) => (
                "correction",
                None,
                period.end,
                format!(
                    "Correction of {}: no rule of this plan applies to this line of {base} any more; was {}",
                    signed(new - old, plan.currency),
                    money(old, plan.currency.code())
                ),
            ),
        };
        planned.push(PlannedLine {
            partner_id: candidate.partner_id,
            order_id: candidate.order_id,
            order_number: candidate.order_number,
            order_line_id,
            position: candidate.position,
            kind,
            rule_version_id: version,
            base_minor: candidate.base_minor,
            rate_bp: target.and_then(|(_, _, c)| c.rate_bp),
            old_minor: old,
            new_minor: new,
            earned_on,
            explanation,
        });
    }
    planned.sort_by(|a, b| (&a.order_number, a.position).cmp(&(&b.order_number, b.position)));
    tracing::info!(period = %period.label(), lines = planned.len(), seconds = started.elapsed().as_secs_f64(), "accrual planned");
    Ok(RunPlan {
        period,
        lines: planned,
    })
}

/// "+EUR 12.00" / "-EUR 3.50".
pub fn signed(minor: i64, currency: Currency) -> String {
    let text = crate::platform::money::Money::new(minor.abs(), currency).to_string();
    if minor < 0 {
        format!("-{text}")
    } else {
        format!("+{text}")
    }
}

async fn existing_commission(
    conn: &impl ConnectionTrait,
    plan_id: Uuid,
    order_lines: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Existing>, DbErr> {
    let ids: Vec<Uuid> = order_lines.collect();
    let mut existing: HashMap<Uuid, Existing> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(Option<Uuid>, String, i64)> = line::Entity::find()
            .select_only()
            .column(line::Column::OrderLineId)
            .column(line::Column::Kind)
            .column(line::Column::AmountMinor)
            .filter(line::Column::PlanId.eq(plan_id))
            .filter(line::Column::OrderLineId.is_in(chunk.iter().copied()))
            .filter(line::Column::Kind.is_in(COMPUTED_KINDS))
            .into_tuple()
            .all(conn)
            .await?;
        for (order_line_id, kind, amount) in rows {
            let Some(order_line_id) = order_line_id else {
                continue;
            };
            let entry = existing.entry(order_line_id).or_default();
            entry.net_minor += amount;
            entry.excluded |= kind == "exclusion";
        }
    }
    Ok(existing)
}

/// Takes the plan's write lock for the caller's transaction: runs, rule changes and finance
/// lines of one plan happen one at a time, so two of them never plan from the same state and
/// write the same difference twice. (A row lock on PostgreSQL; the database's write lock on
/// SQLite.)
pub async fn lock_plan(conn: &impl ConnectionTrait, plan_id: Uuid) -> Result<(), DbErr> {
    crate::platform::db::lock_row(conn, "commission_plan", plan_id).await
}

/// Writes a planned run's lines. The caller holds the transaction and has checked the
/// fingerprint.
pub async fn write_lines(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    run: &RunPlan,
    author: (Option<Uuid>, &str),
    at: OffsetDateTime,
) -> Result<usize, DbErr> {
    let rows: Vec<line::ActiveModel> = run
        .lines
        .iter()
        .map(|planned| {
            use sea_orm::ActiveValue::Set;
            line::ActiveModel {
                id: Set(ids::new_id()),
                partner_id: Set(planned.partner_id),
                plan_id: Set(plan.row.id),
                kind: Set(planned.kind.to_owned()),
                order_id: Set(Some(planned.order_id)),
                order_line_id: Set(Some(planned.order_line_id)),
                rule_version_id: Set(planned.rule_version_id),
                base_minor: Set(planned.base_minor),
                rate_bp: Set(planned.rate_bp),
                amount_minor: Set(planned.delta()),
                currency: Set(plan.currency.code().to_owned()),
                earned_on: Set(planned.earned_on),
                calculated_at: Set(at),
                explanation: Set(planned.explanation.clone()),
                reason: Set(None),
                author_user_id: Set(author.0),
                author_label: Set(author.1.to_owned()),
                statement_id: Set(None),
            }
        })
        .collect();
    let written = rows.len();
    for part in rows.chunks(CHUNK) {
        line::Entity::insert_many(part.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(written)
}
