//! Commissions in the database: plans and rules, statements and their lines, read through the
//! caller's scope (a statement or line of another partner answers 404), and the statement
//! life: prepare, approve (never by the preparer), pay.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::accrual::Plan;
use super::entity::{dispute, event, line, plan, rule, rule_version, statement};
use super::model::Period;
use crate::platform::db::Db;
use crate::platform::error::AppError;
use crate::platform::scope::{Partners, Permission, Scope};
use crate::platform::{ids, numbers};

pub use line::Model as CommissionLine;
pub use statement::Model as Settlement;

const FIRST_STATEMENT_NUMBER: i64 = 10_001;

/// Where a statement is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementStatus {
    Pending,
    Approved,
    Paid,
    Corrected,
}

impl StatementStatus {
    pub const ALL: [StatementStatus; 4] = [
        StatementStatus::Pending,
        StatementStatus::Approved,
        StatementStatus::Paid,
        StatementStatus::Corrected,
    ];

    pub fn key(self) -> &'static str {
        match self {
            StatementStatus::Pending => "pending",
            StatementStatus::Approved => "approved",
            StatementStatus::Paid => "paid",
            StatementStatus::Corrected => "corrected",
        }
    }

    pub fn parse(key: &str) -> Option<StatementStatus> {
        StatementStatus::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            StatementStatus::Pending => "Pending approval",
            StatementStatus::Approved => "Approved",
            StatementStatus::Paid => "Paid",
            StatementStatus::Corrected => "Corrected",
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            StatementStatus::Pending => "amber",
            StatementStatus::Approved => "blue",
            StatementStatus::Paid => "green",
            StatementStatus::Corrected => "neutral",
        }
    }
}

pub async fn plans(db: &Db) -> Result<Vec<Plan>, DbErr> {
    plan::Entity::find()
        .order_by_asc(plan::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(Plan::from_row)
        .collect()
}

pub async fn find_plan(conn: &impl ConnectionTrait, id: Uuid) -> Result<Plan, AppError> {
    let row = plan::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Plan::from_row(row)?)
}

/// A rule with every version, newest version first.
pub struct RuleWithVersions {
    pub rule: rule::Model,
    pub versions: Vec<rule_version::Model>,
}

/// The plan's rules, highest precedence first.
pub async fn rules(db: &Db, plan_id: Uuid) -> Result<Vec<RuleWithVersions>, DbErr> {
    let mut versions: HashMap<Uuid, Vec<rule_version::Model>> = HashMap::new();
    for v in rule_version::Entity::find()
        .filter(rule_version::Column::PlanId.eq(plan_id))
        .order_by_desc(rule_version::Column::Version)
        .all(db)
        .await?
    {
        versions.entry(v.rule_id).or_default().push(v);
    }
    Ok(rule::Entity::find()
        .filter(rule::Column::PlanId.eq(plan_id))
        .order_by_desc(rule::Column::Precedence)
        .all(db)
        .await?
        .into_iter()
        .map(|rule| RuleWithVersions {
            versions: versions.remove(&rule.id).unwrap_or_default(),
            rule,
        })
        .collect())
}

/// What a statement list shows; `None` or no statuses filters nothing.
#[derive(Debug, Default)]
pub struct StatementFilter {
    pub partner_id: Option<Uuid>,
    pub statuses: Vec<StatementStatus>,
    pub plan_id: Option<Uuid>,
}

pub const STATEMENT_LIST_LIMIT: u64 = 500;

/// Statements in scope that pass the filter.
fn filtered_statements(
    scope: &Scope,
    filter: &StatementFilter,
) -> Result<sea_orm::Select<statement::Entity>, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    let mut query =
        statement::Entity::find().filter(partners.condition(statement::Column::PartnerId));
    if let Some(partner) = filter.partner_id {
        query = query.filter(statement::Column::PartnerId.eq(partner));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(
            statement::Column::Status.is_in(filter.statuses.iter().map(|status| status.key())),
        );
    }
    if let Some(plan) = filter.plan_id {
        query = query.filter(statement::Column::PlanId.eq(plan));
    }
    Ok(query)
}

/// Statements in scope, latest period first.
pub async fn list_statements(
    db: &Db,
    scope: &Scope,
    filter: &StatementFilter,
) -> Result<Vec<Settlement>, AppError> {
    Ok(filtered_statements(scope, filter)?
        .order_by_desc(statement::Column::PeriodStart)
        .order_by_asc(statement::Column::Number)
        .limit(STATEMENT_LIST_LIMIT)
        .all(db)
        .await?)
}

/// A page of statements in scope for the API, newest first: those created before `before`
/// (a moment and an id), at most `limit`.
pub async fn statements_page(
    db: &Db,
    scope: &Scope,
    filter: &StatementFilter,
    before: Option<(OffsetDateTime, Uuid)>,
    limit: u64,
) -> Result<Vec<Settlement>, AppError> {
    use sea_orm::Condition;
    let mut query = filtered_statements(scope, filter)?;
    if let Some((at, id)) = before {
        query = query.filter(
            Condition::any()
                .add(statement::Column::CreatedAt.lt(at))
                .add(
                    Condition::all()
                        .add(statement::Column::CreatedAt.eq(at))
                        .add(statement::Column::Id.lt(id)),
                ),
        );
    }
    Ok(query
        .order_by_desc(statement::Column::CreatedAt)
        .order_by_desc(statement::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn find_statement(db: &Db, scope: &Scope, id: Uuid) -> Result<Settlement, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    statement::Entity::find_by_id(id)
        .filter(partners.condition(statement::Column::PartnerId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The revisions a statement corrects, newest first (the statement itself not included).
pub async fn superseded(db: &Db, statement: &Settlement) -> Result<Vec<Settlement>, DbErr> {
    let mut chain = Vec::new();
    let mut next = statement.supersedes_id;
    while let Some(id) = next {
        let Some(earlier) = statement::Entity::find_by_id(id)
            .filter(statement::Column::PartnerId.eq(statement.partner_id))
            .one(db)
            .await?
        else {
            break;
        };
        next = earlier.supersedes_id;
        chain.push(earlier);
    }
    Ok(chain)
}

/// The statement that corrects this one, if any.
pub async fn superseded_by(db: &Db, statement: &Settlement) -> Result<Option<Settlement>, DbErr> {
    statement::Entity::find()
        .filter(statement::Column::PartnerId.eq(statement.partner_id))
        .filter(statement::Column::SupersedesId.eq(statement.id))
        .one(db)
        .await
}

/// A statement's lines, by date: its own and those of the revisions it corrects.
pub async fn statement_lines(
    db: &Db,
    statement: &Settlement,
) -> Result<Vec<CommissionLine>, DbErr> {
    let mut ids = vec![statement.id];
    ids.extend(superseded(db, statement).await?.iter().map(|s| s.id));
    line::Entity::find()
        .filter(line::Column::PartnerId.eq(statement.partner_id))
        .filter(line::Column::StatementId.is_in(ids))
        .order_by_asc(line::Column::EarnedOn)
        .order_by_asc(line::Column::CalculatedAt)
        .all(db)
        .await
}

/// Supersedes an approved or paid statement with a new revision that keeps its lines, takes
/// the lines written since for its period, and pays only what the earlier one did not. False
/// when someone changed the statement since it was read.
pub async fn correct_statement(
    conn: &impl ConnectionTrait,
    earlier: &Settlement,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Option<Settlement>, DbErr> {
    if !transition(
        conn,
        earlier,
        StatementStatus::Corrected,
        statement::ActiveModel {
            ..Default::default()
        },
        actor,
        at,
        Some(reason.to_owned()),
    )
    .await?
    {
        return Ok(None);
    }
    let paid_before = earlier.paid_before_minor
        + if earlier.status == StatementStatus::Paid.key() {
            earlier.payout_minor
        } else {
            0
        };
    let number = numbers::next(conn, "statement", FIRST_STATEMENT_NUMBER).await?;
    let revision = statement::ActiveModel {
        id: Set(ids::new_id()),
        number: Set(format!("STM-{number}")),
        revision: Set(earlier.revision + 1),
        status: Set(StatementStatus::Pending.key().to_owned()),
        paid_before_minor: Set(paid_before),
        prepared_by: Set(actor.user_id),
        prepared_label: Set(actor.label.clone()),
        approved_by: Set(None),
        approved_label: Set(None),
        approved_at: Set(None),
        paid_on: Set(None),
        payout_reference: Set(None),
        supersedes_id: Set(Some(earlier.id)),
        created_at: Set(at),
        updated_at: Set(at),
        ..statement::ActiveModel::from(earlier.clone())
    }
    .insert(conn)
    .await?;
    line::Entity::update_many()
        .col_expr(line::Column::StatementId, revision.id.into())
        .filter(line::Column::PlanId.eq(earlier.plan_id))
        .filter(line::Column::PartnerId.eq(earlier.partner_id))
        .filter(line::Column::StatementId.is_null())
        .filter(line::Column::EarnedOn.lte(earlier.period_end))
        .exec(conn)
        .await?;
    let lines_minor = chain_sum(conn, &revision).await?;
    let (total, payout) = total_and_payout(revision.opening_minor, lines_minor, paid_before);
    let revision = statement::ActiveModel {
        id: Set(revision.id),
        lines_minor: Set(lines_minor),
        total_minor: Set(total),
        payout_minor: Set(payout),
        ..Default::default()
    }
    .update(conn)
    .await?;
    record_event(
        conn,
        &revision,
        actor,
        at,
        "prepared",
        (None, Some(StatementStatus::Pending.key())),
        Some(format!("Corrects {}: {reason}", earlier.number)),
    )
    .await?;
    let why = format!("{} corrected {}", revision.number, earlier.number);
    refresh_later_openings(conn, carried_from(earlier), &revision, &why, actor, at).await?;
    Ok(Some(revision))
}

/// After `changed` (a correction, or a pending statement that took more lines) carries a
/// different balance than the `was_carrying` its later statements were prepared from, the
/// partner's later statements that are still pending open with the difference too. An
/// approved or paid one keeps what was approved: the difference becomes an adjustment line for
/// the next statement instead, so no clawback or overpayment is lost (the statements after it
/// already carry from it).
async fn refresh_later_openings(
    conn: &impl ConnectionTrait,
    was_carrying: i64,
    changed: &Settlement,
    why: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let mut difference = carried_from(changed) - was_carrying;
    if difference == 0 {
        return Ok(());
    }
    let later = statement::Entity::find()
        .filter(statement::Column::PartnerId.eq(changed.partner_id))
        .filter(statement::Column::PlanId.eq(changed.plan_id))
        .filter(statement::Column::PeriodStart.gt(changed.period_start))
        .filter(statement::Column::Status.ne(StatementStatus::Corrected.key()))
        .order_by_asc(statement::Column::PeriodStart)
        .all(conn)
        .await?;
    let shown = |minor: i64| crate::orders::model::money(minor, &changed.currency);
    let mut before = changed.number.clone();
    for next in later {
        let opening = next.opening_minor + difference;
        let (total, payout) = total_and_payout(opening, next.lines_minor, next.paid_before_minor);
        let refresh = statement::ActiveModel {
            opening_minor: Set(opening),
            total_minor: Set(total),
            payout_minor: Set(payout),
            updated_at: Set(at),
            ..Default::default()
        };
        // Only while it is still the pending statement read: one approved meanwhile keeps what
        // its approver saw.
        let refreshed = next.status == StatementStatus::Pending.key()
            && update_if_unchanged(conn, &next, refresh).await?;
        if !refreshed {
            let target = LineTarget {
                partner_id: next.partner_id,
                plan_id: next.plan_id,
                currency: &next.currency,
                order_id: None,
                order_line_id: None,
                base_minor: 0,
            };
            let reason = format!("{why} after {} was {}", next.number, next.status);
            let carried = FinanceLine {
                kind: "adjustment",
                amount_minor: difference,
                reason: &reason,
                explanation: format!(
                    "Balance carried after {why}: {} was already {} with an opening balance of {}, which would now be {}",
                    next.number,
                    next.status,
                    shown(next.opening_minor),
                    shown(opening),
                ),
            };
            insert_finance_line(conn, target, carried, actor, at).await?;
            return Ok(());
        }
        let refreshed = Settlement {
            opening_minor: opening,
            total_minor: total,
            payout_minor: payout,
            updated_at: at,
            ..next.clone()
        };
        record_event(
            conn,
            &refreshed,
            actor,
            at,
            "opening",
            (Some(&shown(next.opening_minor)), Some(&shown(opening))),
            Some(format!("carried from {before} after {why}")),
        )
        .await?;
        difference = carried_from(&refreshed) - carried_from(&next);
        if difference == 0 {
            break;
        }
        before = next.number;
    }
    Ok(())
}

/// A partner's latest statements the caller may read, newest period first.
pub async fn recent_for_partner(
    db: &Db,
    scope: &Scope,
    partner_id: Uuid,
    limit: u64,
) -> Result<Vec<Settlement>, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    if !partners.contains(partner_id) {
        return Ok(Vec::new());
    }
    Ok(statement::Entity::find()
        .filter(statement::Column::PartnerId.eq(partner_id))
        .order_by_desc(statement::Column::PeriodStart)
        .order_by_desc(statement::Column::Revision)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn find_line(db: &Db, scope: &Scope, id: Uuid) -> Result<CommissionLine, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    line::Entity::find_by_id(id)
        .filter(partners.condition(line::Column::PartnerId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Lines in scope by id.
pub async fn lines_by_id(
    db: &Db,
    scope: &Scope,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, CommissionLine>, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        for line in line::Entity::find()
            .filter(partners.condition(line::Column::PartnerId))
            .filter(line::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            found.insert(line.id, line);
        }
    }
    Ok(found)
}

/// Every line written for the same order line under the same plan: its whole history.
pub async fn lines_of_source(
    db: &impl ConnectionTrait,
    of: &CommissionLine,
) -> Result<Vec<CommissionLine>, DbErr> {
    let Some(order_line_id) = of.order_line_id else {
        return Ok(vec![of.clone()]);
    };
    line::Entity::find()
        .filter(line::Column::PartnerId.eq(of.partner_id))
        .filter(line::Column::OrderLineId.eq(order_line_id))
        .filter(line::Column::PlanId.eq(of.plan_id))
        .order_by_asc(line::Column::CalculatedAt)
        .all(db)
        .await
}

pub async fn find_version(
    db: &Db,
    id: Uuid,
) -> Result<Option<(rule::Model, rule_version::Model)>, DbErr> {
    let Some(version) = rule_version::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(rule::Entity::find_by_id(version.rule_id)
        .one(db)
        .await?
        .map(|rule| (rule, version)))
}

pub async fn events(db: &Db, statement: &Settlement) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::PartnerId.eq(statement.partner_id))
        .filter(event::Column::StatementId.eq(statement.id))
        .order_by_desc(event::Column::At)
        .all(db)
        .await
}

/// A partner's money so far, per currency.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Earnings {
    pub currency: String,
    pub paid_minor: i64,
    pub approved_minor: i64,
    pub pending_minor: i64,
    /// Lines written but not yet on a statement.
    pub unsettled_minor: i64,
}

#[derive(FromQueryResult)]
struct SumRow {
    currency: String,
    status: Option<String>,
    amount: i64,
}

/// Earnings to date of the partners in scope, per currency.
pub async fn earnings(db: &Db, partners: &Partners) -> Result<Vec<Earnings>, DbErr> {
    let backend = db.get_database_backend();
    let (filter, values): (String, Vec<Value>) = match partners {
        Partners::All => (String::new(), Vec::new()),
        Partners::Only(ids) if ids.is_empty() => return Ok(Vec::new()),
        Partners::Only(ids) => (
            format!(
                " AND partner_id IN ({})",
                (1..=ids.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ids.iter().map(|id| Value::from(*id)).collect(),
        ),
    };
    let statements = format!(
        "SELECT currency, CASE WHEN paid_on IS NOT NULL THEN 'paid' ELSE status END AS status, \
         CAST(SUM(payout_minor) AS BIGINT) AS amount FROM commission_statement \
         WHERE (paid_on IS NOT NULL OR status <> 'corrected'){filter} \
         GROUP BY currency, CASE WHEN paid_on IS NOT NULL THEN 'paid' ELSE status END"
    );
    let unsettled = format!(
        "SELECT currency, NULL AS status, CAST(SUM(amount_minor) AS BIGINT) AS amount FROM commission_line \
         WHERE statement_id IS NULL{filter} GROUP BY currency"
    );
    let mut by_currency: std::collections::BTreeMap<String, Earnings> = Default::default();
    for sql in [statements, unsettled] {
        for row in
            SumRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values.clone()))
                .all(db)
                .await?
        {
            let entry = by_currency
                .entry(row.currency.clone())
                .or_insert_with(|| Earnings {
                    currency: row.currency.clone(),
                    ..Earnings::default()
                });
            match row.status.as_deref() {
                Some("paid") => entry.paid_minor += row.amount,
                Some("approved") => entry.approved_minor += row.amount,
                Some(_) => entry.pending_minor += row.amount,
                None => entry.unsettled_minor += row.amount,
            }
        }
    }
    Ok(by_currency.into_values().collect())
}

/// Who acts on a statement.
pub use crate::platform::web::Author as Actor;

async fn record_event(
    conn: &impl ConnectionTrait,
    statement: &Settlement,
    actor: &Actor,
    at: OffsetDateTime,
    kind: &str,
    change: (Option<&str>, Option<&str>),
    reason: Option<String>,
) -> Result<(), DbErr> {
    event::ActiveModel {
        id: Set(ids::new_id()),
        statement_id: Set(statement.id),
        partner_id: Set(statement.partner_id),
        at: Set(at),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        kind: Set(kind.to_owned()),
        from_value: Set(change.0.map(str::to_owned)),
        to_value: Set(change.1.map(str::to_owned)),
        reason: Set(reason),
    }
    .insert(conn)
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Total {
    amount: Option<i64>,
}

/// What the lines of a statement and the revisions it corrects add up to.
async fn chain_sum(conn: &impl ConnectionTrait, statement: &Settlement) -> Result<i64, DbErr> {
    let mut ids = vec![statement.id];
    let mut next = statement.supersedes_id;
    while let Some(id) = next {
        ids.push(id);
        next = statement::Entity::find_by_id(id)
            .one(conn)
            .await?
            .and_then(|s| s.supersedes_id);
    }
    let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
    let mut values = vec![Value::from(statement.partner_id)];
    values.extend(ids.into_iter().map(Value::from));
    let total = Total::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!(
            "SELECT CAST(SUM(amount_minor) AS BIGINT) AS amount FROM commission_line \
             WHERE partner_id = $1 AND statement_id IN ({})",
            placeholders.join(", ")
        ),
        values,
    ))
    .one(conn)
    .await?;
    Ok(total.and_then(|t| t.amount).unwrap_or(0))
}

#[derive(FromQueryResult)]
struct PartnerSum {
    partner_id: Uuid,
    amount: i64,
}

/// What statement generation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub created: usize,
    pub updated: usize,
}

/// Prepares the plan's statements for a period: one per partner with lines not yet on a
/// statement (earned up to the period's end) or a negative balance carried from before.
/// A pending statement of the period takes newly written lines; an approved or paid one is
/// left alone and the new lines wait for the next period. Running it again changes nothing.
pub async fn generate_statements(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    period: Period,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Generated, DbErr> {
    let backend = conn.get_database_backend();
    let plan_id = plan.row.id;
    let unsettled: HashMap<Uuid, i64> =
        PartnerSum::find_by_statement(Statement::from_sql_and_values(
            backend,
            "SELECT partner_id, CAST(SUM(amount_minor) AS BIGINT) AS amount FROM commission_line \
             WHERE plan_id = $1 AND statement_id IS NULL AND earned_on <= $2 GROUP BY partner_id",
            [Value::from(plan_id), Value::from(period.end)],
        ))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.partner_id, r.amount))
        .collect();
    let mut carried: HashMap<Uuid, Settlement> = HashMap::new();
    let mut this_period: HashMap<Uuid, Settlement> = HashMap::new();
    for earlier in statement::Entity::find()
        .filter(statement::Column::PlanId.eq(plan_id))
        .filter(statement::Column::PeriodStart.lte(period.start))
        .filter(statement::Column::Status.ne(StatementStatus::Corrected.key()))
        .all(conn)
        .await?
    {
        if earlier.period_start == period.start {
            this_period.insert(earlier.partner_id, earlier);
        } else {
            let newer = carried
                .get(&earlier.partner_id)
                .is_none_or(|c| c.period_start < earlier.period_start);
            if newer {
                carried.insert(earlier.partner_id, earlier);
            }
        }
    }
    let mut partners: Vec<Uuid> = unsettled.keys().copied().collect();
    partners.extend(
        carried
            .iter()
            .filter(|(_, s)| s.total_minor < 0 || s.payout_minor < 0)
            .map(|(id, _)| *id),
    );
    partners.sort();
    partners.dedup();
    let mut generated = Generated::default();
    for partner_id in partners {
        // A negative total, or a correction that paid out more than it now owes, is carried.
        let opening = carried.get(&partner_id).map_or(0, carried_from);
        let settlement = match this_period.remove(&partner_id) {
            Some(existing) if existing.status == StatementStatus::Pending.key() => {
                if !unsettled.contains_key(&partner_id) {
                    continue;
                }
                // Claim it while it is still pending: an approval in between wins, and the
                // lines wait for the next statement rather than change an approved one.
                let claimed = statement::Entity::update_many()
                    .col_expr(statement::Column::UpdatedAt, at.into())
                    .filter(statement::Column::Id.eq(existing.id))
                    .filter(statement::Column::Status.eq(StatementStatus::Pending.key()))
                    .exec(conn)
                    .await?;
                if claimed.rows_affected != 1 {
                    continue;
                }
                generated.updated += 1;
                existing
            }
            Some(_) => continue,
            None => {
                generated.created += 1;
                let number = numbers::next(conn, "statement", FIRST_STATEMENT_NUMBER).await?;
                let created = statement::ActiveModel {
                    id: Set(ids::new_id()),
                    number: Set(format!("STM-{number}")),
                    partner_id: Set(partner_id),
                    plan_id: Set(plan_id),
                    period_start: Set(period.start),
                    period_end: Set(period.end),
                    revision: Set(1),
                    currency: Set(plan.currency.code().to_owned()),
                    opening_minor: Set(opening),
                    lines_minor: Set(0),
                    total_minor: Set(opening),
                    paid_before_minor: Set(0),
                    payout_minor: Set(0),
                    status: Set(StatementStatus::Pending.key().to_owned()),
                    expected_payout_on: Set(
                        period.end + Duration::days(plan.row.payout_days.into())
                    ),
                    prepared_by: Set(actor.user_id),
                    prepared_label: Set(actor.label.clone()),
                    approved_by: Set(None),
                    approved_label: Set(None),
                    approved_at: Set(None),
                    paid_on: Set(None),
                    payout_reference: Set(None),
                    supersedes_id: Set(None),
                    created_at: Set(at),
                    updated_at: Set(at),
                }
                .insert(conn)
                .await?;
                record_event(
                    conn,
                    &created,
                    actor,
                    at,
                    "prepared",
                    (None, Some(StatementStatus::Pending.key())),
                    None,
                )
                .await?;
                created
            }
        };
        let added = line::Entity::update_many()
            .col_expr(line::Column::StatementId, settlement.id.into())
            .filter(line::Column::PlanId.eq(plan_id))
            .filter(line::Column::PartnerId.eq(partner_id))
            .filter(line::Column::StatementId.is_null())
            .filter(line::Column::EarnedOn.lte(period.end))
            .exec(conn)
            .await?
            .rows_affected;
        // Summed from what is attached, not from what was read before attaching.
        let lines_minor = chain_sum(conn, &settlement).await?;
        let (total, payout) = total_and_payout(
            settlement.opening_minor,
            lines_minor,
            settlement.paid_before_minor,
        );
        let updated = statement::ActiveModel {
            id: Set(settlement.id),
            lines_minor: Set(lines_minor),
            total_minor: Set(total),
            payout_minor: Set(payout),
            updated_at: Set(at),
            ..Default::default()
        }
        .update(conn)
        .await?;
        // A statement of an earlier period than some already prepared (a late line): the later
        // ones opened without what it now carries.
        let why = format!("{} took lines earned late", updated.number);
        refresh_later_openings(conn, carried_from(&settlement), &updated, &why, actor, at).await?;
        if settlement.created_at != at {
            record_event(
                conn,
                &settlement,
                actor,
                at,
                "lines_added",
                (None, Some(&added.to_string())),
                None,
            )
            .await?;
        }
    }
    Ok(generated)
}

/// Moves a statement from `from` to `to` unless someone changed it since it was read; false
/// when they did.
async fn transition(
    conn: &impl ConnectionTrait,
    statement: &Settlement,
    to: StatementStatus,
    update: statement::ActiveModel,
    actor: &Actor,
    at: OffsetDateTime,
    reason: Option<String>,
) -> Result<bool, DbErr> {
    let update = statement::ActiveModel {
        status: Set(to.key().to_owned()),
        updated_at: Set(at),
        ..update
    };
    if !update_if_unchanged(conn, statement, update).await? {
        return Ok(false);
    }
    record_event(
        conn,
        statement,
        actor,
        at,
        "status",
        (Some(&statement.status), Some(to.key())),
        reason,
    )
    .await?;
    Ok(true)
}

/// Applies `update` only while the statement is as the caller read it (same status and last
/// change), so of two people acting at once the second is told instead of overwriting.
async fn update_if_unchanged(
    conn: &impl ConnectionTrait,
    read: &Settlement,
    update: statement::ActiveModel,
) -> Result<bool, DbErr> {
    let changed = statement::Entity::update_many()
        .set(update)
        .filter(statement::Column::Id.eq(read.id))
        .filter(statement::Column::Status.eq(read.status.as_str()))
        .filter(statement::Column::UpdatedAt.eq(read.updated_at))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// What a statement carries into the partner's next one: a negative total (clawbacks beyond
/// earnings), and what earlier revisions paid beyond what it now owes.
fn carried_from(statement: &Settlement) -> i64 {
    statement.total_minor.min(0) + statement.payout_minor.min(0)
}

/// A statement's total and payout from its opening, its lines and what earlier revisions of its
/// period paid: a negative total pays nothing (it is carried instead).
fn total_and_payout(opening_minor: i64, lines_minor: i64, paid_before_minor: i64) -> (i64, i64) {
    let total = opening_minor + lines_minor;
    (total, total.max(0) - paid_before_minor)
}

/// A statement's settlement period.
pub fn period_of(statement: &Settlement) -> Period {
    Period {
        start: statement.period_start,
        end: statement.period_end,
    }
}

/// Which state of a statement a page showed: its last change, to the microsecond as stored.
/// Every change to its lines or totals moves it.
pub fn version_of(statement: &Settlement) -> String {
    (statement.updated_at.unix_timestamp_nanos() / 1_000).to_string()
}

/// Whether `user` wrote any line of the statement (an adjustment, a run they applied).
pub async fn wrote_a_line_of(db: &Db, statement: &Settlement, user: Uuid) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(line::Entity::find()
        .filter(line::Column::PartnerId.eq(statement.partner_id))
        .filter(line::Column::StatementId.eq(statement.id))
        .filter(line::Column::AuthorUserId.eq(user))
        .count(db)
        .await?
        > 0)
}

/// Finance approves a pending statement. The caller has checked the approver did not prepare it.
pub async fn approve(
    conn: &impl ConnectionTrait,
    statement: &Settlement,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let update = statement::ActiveModel {
        approved_by: Set(actor.user_id),
        approved_label: Set(Some(actor.label.clone())),
        approved_at: Set(Some(at)),
        ..Default::default()
    };
    transition(
        conn,
        statement,
        StatementStatus::Approved,
        update,
        actor,
        at,
        None,
    )
    .await
}

/// Records the payout of an approved statement.
pub async fn mark_paid(
    conn: &impl ConnectionTrait,
    statement: &Settlement,
    payout: (&str, time::Date),
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let update = statement::ActiveModel {
        paid_on: Set(Some(payout.1)),
        payout_reference: Set(Some(payout.0.to_owned())),
        ..Default::default()
    };
    let reason = Some(format!("Payout reference {}", payout.0));
    transition(
        conn,
        statement,
        StatementStatus::Paid,
        update,
        actor,
        at,
        reason,
    )
    .await
}

pub use dispute::Model as Dispute;

/// The dispute of a line, open or the latest resolved one.
pub async fn dispute_of(
    db: &impl ConnectionTrait,
    line: &CommissionLine,
) -> Result<Option<Dispute>, DbErr> {
    dispute::Entity::find()
        .filter(dispute::Column::PartnerId.eq(line.partner_id))
        .filter(dispute::Column::LineId.eq(line.id))
        .order_by_desc(dispute::Column::OpenedAt)
        .one(db)
        .await
}

pub async fn open_dispute(
    conn: &impl ConnectionTrait,
    line: &CommissionLine,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Dispute, DbErr> {
    dispute::ActiveModel {
        id: Set(ids::new_id()),
        line_id: Set(line.id),
        partner_id: Set(line.partner_id),
        status: Set("open".to_owned()),
        opened_by: Set(actor.user_id),
        opened_label: Set(actor.label.clone()),
        opened_at: Set(at),
        resolved_by: Set(None),
        resolved_label: Set(None),
        resolved_at: Set(None),
        resolution: Set(None),
        adjustment_line_id: Set(None),
    }
    .insert(conn)
    .await
}

/// Disputes in the caller's scope: open ones first, oldest first.
pub async fn disputes(db: &Db, scope: &Scope) -> Result<Vec<Dispute>, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    Ok(dispute::Entity::find()
        .filter(partners.condition(dispute::Column::PartnerId))
        .order_by_desc(dispute::Column::Status.eq("open"))
        .order_by_asc(dispute::Column::OpenedAt)
        .limit(STATEMENT_LIST_LIMIT)
        .all(db)
        .await?)
}

pub async fn find_dispute(db: &Db, scope: &Scope, id: Uuid) -> Result<Dispute, AppError> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    dispute::Entity::find_by_id(id)
        .filter(partners.condition(dispute::Column::PartnerId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// What finance writes beside computed lines: an adjustment of any amount, or an exclusion
/// that takes a line's commission back to zero. Both carry a reason and an author.
pub struct FinanceLine<'a> {
    pub kind: &'static str,
    pub amount_minor: i64,
    pub reason: &'a str,
    pub explanation: String,
}

/// Writes a finance line on the same order line (and base) as `of`.
pub async fn add_finance_line(
    conn: &impl ConnectionTrait,
    of: &CommissionLine,
    new: FinanceLine<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<CommissionLine, DbErr> {
    let target = LineTarget {
        partner_id: of.partner_id,
        plan_id: of.plan_id,
        currency: &of.currency,
        order_id: of.order_id,
        order_line_id: of.order_line_id,
        base_minor: of.base_minor,
    };
    insert_finance_line(conn, target, new, actor, at).await
}

/// A finance adjustment of a partner's balance under a plan, not about any order line (a
/// bonus, a goodwill payment, a deduction agreed with the partner).
pub async fn add_partner_adjustment(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
    plan: &Plan,
    new: FinanceLine<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<CommissionLine, DbErr> {
    let target = LineTarget {
        partner_id,
        plan_id: plan.row.id,
        currency: plan.currency.code(),
        order_id: None,
        order_line_id: None,
        base_minor: 0,
    };
    insert_finance_line(conn, target, new, actor, at).await
}

/// Whose balance a finance line changes, and which order line it is about, if any.
struct LineTarget<'a> {
    partner_id: Uuid,
    plan_id: Uuid,
    currency: &'a str,
    order_id: Option<Uuid>,
    order_line_id: Option<Uuid>,
    base_minor: i64,
}

/// A finance line, not yet on a statement: the partner's next statement takes it.
async fn insert_finance_line(
    conn: &impl ConnectionTrait,
    target: LineTarget<'_>,
    new: FinanceLine<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<CommissionLine, DbErr> {
    line::ActiveModel {
        id: Set(ids::new_id()),
        partner_id: Set(target.partner_id),
        plan_id: Set(target.plan_id),
        kind: Set(new.kind.to_owned()),
        order_id: Set(target.order_id),
        order_line_id: Set(target.order_line_id),
        rule_version_id: Set(None),
        base_minor: Set(target.base_minor),
        rate_bp: Set(None),
        amount_minor: Set(new.amount_minor),
        currency: Set(target.currency.to_owned()),
        earned_on: Set(at.date()),
        calculated_at: Set(at),
        explanation: Set(new.explanation),
        reason: Set(Some(new.reason.to_owned())),
        author_user_id: Set(actor.user_id),
        author_label: Set(actor.label.clone()),
        statement_id: Set(None),
    }
    .insert(conn)
    .await
}

/// Closes an open dispute with finance's conclusion; false when it was already closed.
pub async fn resolve_dispute(
    conn: &impl ConnectionTrait,
    open: &Dispute,
    resolution: &str,
    adjustment: Option<Uuid>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<bool, DbErr> {
    let moved = dispute::Entity::update_many()
        .set(dispute::ActiveModel {
            status: Set("resolved".to_owned()),
            resolved_by: Set(actor.user_id),
            resolved_label: Set(Some(actor.label.clone())),
            resolved_at: Set(Some(at)),
            resolution: Set(Some(resolution.to_owned())),
            adjustment_line_id: Set(adjustment),
            ..Default::default()
        })
        .filter(dispute::Column::Id.eq(open.id))
        .filter(dispute::Column::Status.eq("open"))
        .exec(conn)
        .await?;
    Ok(moved.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Over any chain of revisions of one period: each pays what it owes beyond what the
        /// ones before paid, so the revisions together pay exactly the positive part of the
        /// last total, and what is carried on is what remains owed.
        #[test]
        fn revisions_pay_exactly_what_is_owed_and_carry_the_rest(
            opening in -1_000_000_i64..1_000_000,
            batches in prop::collection::vec(prop::collection::vec(-500_000_i64..500_000, 0..6), 1..5),
        ) {
            let mut lines_minor = 0_i64;
            let mut paid = 0_i64;
            let mut last = (0, 0);
            for batch in &batches {
                lines_minor += batch.iter().sum::<i64>();
                let (total, payout) = total_and_payout(opening, lines_minor, paid);
                prop_assert_eq!(total, opening + lines_minor, "the total is the opening plus every line");
                paid += payout;
                last = (total, payout);
            }
            prop_assert_eq!(paid, last.0.max(0), "paid in all: the positive part of the last total");
            let statement = Settlement {
                total_minor: last.0,
                payout_minor: last.1,
                ..blank()
            };
            let owed_back = carried_from(&statement);
            prop_assert!(owed_back <= 0);
            if last.1 >= 0 {
                prop_assert_eq!(owed_back, last.0.min(0));
            }
        }
    }

    fn blank() -> Settlement {
        let at = OffsetDateTime::UNIX_EPOCH;
        Settlement {
            id: Uuid::nil(),
            number: String::new(),
            partner_id: Uuid::nil(),
            plan_id: Uuid::nil(),
            period_start: at.date(),
            period_end: at.date(),
            revision: 1,
            currency: "EUR".into(),
            opening_minor: 0,
            lines_minor: 0,
            total_minor: 0,
            paid_before_minor: 0,
            payout_minor: 0,
            status: "pending".into(),
            expected_payout_on: at.date(),
            prepared_by: None,
            prepared_label: String::new(),
            approved_by: None,
            approved_label: None,
            approved_at: None,
            paid_on: None,
            payout_reference: None,
            supersedes_id: None,
            created_at: at,
            updated_at: at,
        }
    }
}
