//! `/commissions`: statements, their lines grouped by order, each line with the sentence that
//! explains it and its history; the rules as plain language; and for finance the accrual run
//! (preview, then apply), approval and payout.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::response::Response;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::accrual::{self, Plan, RunPlan, signed};
use super::disputes;
use super::model::{Band, BandMode, Period, percent};
use super::store::{self, Actor, CommissionLine, Settlement, StatementFilter, StatementStatus};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::identity::store::reader_ids_on;
use crate::notify::{self, Event};
use crate::orders::model::money;
use crate::orders::store as orders;
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::money::Currency;
use crate::platform::scope::{Partners, Permission, Scope, Side};
use crate::platform::threads::MessageView;
use crate::platform::time::{format_date, format_day, now, parse_day};
use crate::platform::web::{
    Chrome, Notice, PageContext, TimelineEntry, redirect_with_notice, render,
};

fn parse_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

pub(super) fn actor(scope: &Scope, context: &PageContext) -> Actor {
    context.author(scope)
}

struct EarningsView {
    currency: String,
    paid: String,
    approved: String,
    pending: String,
    unsettled: String,
}

struct StatementRow {
    id: Uuid,
    number: String,
    partner: String,
    plan: String,
    period: String,
    total: String,
    payout: String,
    status: StatementStatus,
    expected: String,
}

#[derive(Template)]
#[template(path = "commissions/statements.html")]
struct StatementsPage {
    chrome: Chrome,
    earnings: Vec<EarningsView>,
    rows: Vec<StatementRow>,
    vendor: bool,
    /// The viewer sees more than one partner's statements (vendor staff, or a parent
    /// organisation granted its descendants').
    show_partner: bool,
    can_run: bool,
    partners: orgs::PartnerPick,
    statuses: [StatementStatus; 4],
    filter_status: String,
    filter_partner: String,
    capped: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatementQuery {
    status: String,
    partner: String,
}

/// The plan a form's field names; `None` when it names none.
pub(super) async fn plan_named(state: &AppState, field: &str) -> AppResult<Option<Plan>> {
    let Ok(plan_id) = Uuid::parse_str(field.trim()) else {
        return Ok(None);
    };
    match store::find_plan(&state.db, plan_id).await {
        Ok(plan) => Ok(Some(plan)),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Every plan as a form offers it: its id, and its name with currency and period.
pub(super) async fn plan_choices(state: &AppState) -> AppResult<Vec<(Uuid, String)>> {
    Ok(store::plans(&state.db)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.row.id,
                format!("{} ({}, {})", p.row.name, p.row.currency, p.row.period),
            )
        })
        .collect())
}

async fn plan_names(state: &AppState) -> AppResult<BTreeMap<Uuid, Plan>> {
    Ok(store::plans(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.row.id, p))
        .collect())
}

pub async fn statements(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(query): Query<StatementQuery>,
) -> AppResult<Response> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    let filter = StatementFilter {
        partner_id: Uuid::parse_str(query.partner.trim()).ok(),
        statuses: StatementStatus::parse(query.status.trim())
            .into_iter()
            .collect(),
        plan_id: None,
    };
    let found = store::list_statements(&state.db, &scope, &filter).await?;
    let plans = plan_names(&state).await?;
    let partner_ids: Vec<Uuid> = found.iter().map(|s| s.partner_id).collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let earnings = store::earnings(&state.db, &partners)
        .await?
        .into_iter()
        .map(|e| EarningsView {
            paid: money(e.paid_minor, &e.currency),
            approved: money(e.approved_minor, &e.currency),
            pending: money(e.pending_minor, &e.currency),
            unsettled: money(e.unsettled_minor, &e.currency),
            currency: e.currency,
        })
        .collect();
    let vendor = scope.side() == Side::Vendor;
    render(&StatementsPage {
        chrome: Chrome::new(&state.instance, &context),
        earnings,
        capped: found.len() as u64 == store::STATEMENT_LIST_LIMIT,
        rows: found
            .into_iter()
            .map(|s| StatementRow {
                id: s.id,
                partner: names.get(&s.partner_id).cloned().unwrap_or_default(),
                plan: plans
                    .get(&s.plan_id)
                    .map(|p| p.row.name.clone())
                    .unwrap_or_default(),
                period: store::period_of(&s).label(),
                total: money(s.total_minor, &s.currency),
                payout: money(s.payout_minor, &s.currency),
                status: StatementStatus::parse(&s.status).unwrap_or(StatementStatus::Pending),
                expected: format_day(s.expected_payout_on),
                number: s.number,
            })
            .collect(),
        partners: if vendor {
            orgs::partner_pick(&state.db, &scope, &query.partner).await
        } else {
            orgs::PartnerPick::default()
        },
        show_partner: vendor || !matches!(&partners, Partners::Only(ids) if ids.len() == 1),
        vendor,
        can_run: scope.can(Permission::SettlementsApprove),
        statuses: StatementStatus::ALL,
        filter_status: query.status,
        filter_partner: query.partner,
    })
}

struct LineView {
    id: Uuid,
    kind: String,
    explanation: String,
    base: String,
    amount: String,
    earned: String,
    /// Written since the revision this statement corrects: what the correction changed.
    new_here: bool,
}

struct OrderGroup {
    order_id: Option<Uuid>,
    title: String,
    lines: Vec<LineView>,
    subtotal: String,
}

#[derive(Template)]
#[template(path = "commissions/statement.html")]
struct StatementPage {
    chrome: Chrome,
    statement: Settlement,
    status: StatementStatus,
    partner: String,
    plan: String,
    period: String,
    opening: String,
    lines_total: String,
    total: String,
    paid_before: String,
    payout: String,
    expected: String,
    paid_on: String,
    groups: Vec<OrderGroup>,
    timeline: Vec<TimelineEntry>,
    flash: Option<String>,
    can_approve: bool,
    running_until: Option<String>,
    /// The statement as shown, sent back with an approval: approving pins what was seen.
    seen: String,
    prepared_by_viewer: bool,
    can_pay: bool,
    can_open_orders: bool,
    can_correct: bool,
    can_adjust: bool,
    /// The revision this one corrects, and the one that corrects it.
    corrects: Option<(Uuid, String)>,
    corrected_by: Option<(Uuid, String)>,
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "accrual" => "earned",
        "correction" => "correction",
        "reversal" => "reversal",
        "adjustment" => "adjustment",
        "exclusion" => "excluded",
        _ => "other",
    }
}

fn line_view(line: &CommissionLine) -> LineView {
    LineView {
        id: line.id,
        kind: kind_label(&line.kind).to_owned(),
        explanation: line.explanation.clone(),
        base: money(line.base_minor, &line.currency),
        amount: money(line.amount_minor, &line.currency),
        earned: format_day(line.earned_on),
        new_here: false,
    }
}

/// Lines grouped by their source order (in number order), finance's own lines last.
async fn group_by_order(
    state: &AppState,
    statement: &Settlement,
    lines: &[CommissionLine],
) -> AppResult<Vec<OrderGroup>> {
    let order_ids: Vec<Uuid> = lines.iter().filter_map(|l| l.order_id).collect();
    let numbers = orders::numbers_of(&state.db, statement.partner_id, &order_ids).await?;
    // (adjustments last, order number) → the order and its lines.
    type Groups<'a> = BTreeMap<(bool, String), (Option<Uuid>, Vec<&'a CommissionLine>)>;
    let mut by_order: Groups = BTreeMap::new();
    for line in lines {
        let key = match line.order_id {
            Some(id) => (
                false,
                numbers.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            ),
            None => (true, "Adjustments".to_owned()),
        };
        by_order
            .entry(key)
            .or_insert_with(|| (line.order_id, Vec::new()))
            .1
            .push(line);
    }
    Ok(by_order
        .into_iter()
        .map(|((_, title), (order_id, lines))| OrderGroup {
            order_id,
            subtotal: money(
                lines.iter().map(|l| l.amount_minor).sum(),
                &statement.currency,
            ),
            lines: lines
                .into_iter()
                .map(|line| LineView {
                    new_here: statement.supersedes_id.is_some()
                        && line.statement_id == Some(statement.id),
                    ..line_view(line)
                })
                .collect(),
            title: if order_id.is_some() {
                format!("Order {title}")
            } else {
                title
            },
        })
        .collect())
}

fn describe_event(kind: &str, from: Option<&str>, to: Option<&str>) -> String {
    let status = |key: Option<&str>| {
        key.and_then(StatementStatus::parse)
            .map_or("—", StatementStatus::label)
    };
    match kind {
        "prepared" => "Statement prepared".to_owned(),
        "lines_added" => format!("{} new lines added", to.unwrap_or("0")),
        "opening" => format!(
            "Opening balance: {} → {}",
            from.unwrap_or("—"),
            to.unwrap_or("—")
        ),
        "status" => format!("Status: {} → {}", status(from), status(to)),
        other => other.to_owned(),
    }
}

pub async fn statement(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let statement = store::find_statement(&state.db, &scope, parse_id(&id)?).await?;
    let lines = store::statement_lines(&state.db, &statement).await?;
    let groups = group_by_order(&state, &statement, &lines).await?;
    let plan = store::find_plan(&state.db, statement.plan_id).await?;
    let partner = orgs::names_of(&state.db, &[statement.partner_id])
        .await?
        .remove(&statement.partner_id)
        .unwrap_or_default();
    let timeline = store::events(&state.db, &statement)
        .await?
        .iter()
        .map(|e| {
            TimelineEntry::new(
                &e.actor_label,
                e.at,
                describe_event(&e.kind, e.from_value.as_deref(), e.to_value.as_deref()),
                e.reason.as_deref(),
            )
        })
        .collect();
    let status = StatementStatus::parse(&statement.status).unwrap_or(StatementStatus::Pending);
    let currency = statement.currency.clone();
    render(&StatementPage {
        chrome: Chrome::new(&state.instance, &context),
        status,
        partner,
        plan: plan.row.name,
        period: store::period_of(&statement).label(),
        opening: money(statement.opening_minor, &currency),
        lines_total: money(statement.lines_minor, &currency),
        total: money(statement.total_minor, &currency),
        paid_before: money(statement.paid_before_minor, &currency),
        payout: money(statement.payout_minor, &currency),
        expected: format_day(statement.expected_payout_on),
        paid_on: statement.paid_on.map(format_day).unwrap_or_default(),
        groups,
        timeline,
        flash: notice.done,
        can_approve: status == StatementStatus::Pending
            && scope.can(Permission::SettlementsApprove),
        running_until: running_until(store::period_of(&statement)),
        seen: store::version_of(&statement),
        prepared_by_viewer: statement.prepared_by == Some(scope.user_id),
        can_pay: status == StatementStatus::Approved && scope.can(Permission::PayoutsManage),
        can_open_orders: scope.can(Permission::OrdersRead),
        can_correct: matches!(status, StatementStatus::Approved | StatementStatus::Paid)
            && scope.can(Permission::SettlementsApprove),
        can_adjust: scope.can(Permission::SettlementsApprove),
        corrects: store::superseded(&state.db, &statement)
            .await?
            .into_iter()
            .next()
            .map(|s| (s.id, s.number)),
        corrected_by: store::superseded_by(&state.db, &statement)
            .await?
            .map(|s| (s.id, s.number)),
        statement,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CorrectForm {
    reason: String,
}

/// `POST /commissions/statements/{id}/correct`: an approved or paid statement is superseded by
/// a new revision with the lines written since; it goes through approval again.
pub async fn correct(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<CorrectForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let statement = store::find_statement(&state.db, &scope, parse_id(&id)?).await?;
    if !matches!(
        StatementStatus::parse(&statement.status),
        Some(StatementStatus::Approved | StatementStatus::Paid)
    ) {
        return Ok(back_to(
            &statement,
            "Only an approved or paid statement is corrected; a pending one takes new lines itself.",
        ));
    }
    let reason = match disputes::required_reason(&form.reason, "why the statement is corrected") {
        Ok(reason) => reason,
        Err(problem) => return Ok(back_to(&statement, &problem)),
    };
    let reason = reason.as_str();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // The plan's lock: a run preparing statements meanwhile would miss the carried balance.
    accrual::lock_plan(&txn, statement.plan_id).await?;
    let Some(revision) =
        store::correct_statement(&txn, &statement, reason, &actor(&scope, &context), now()).await?
    else {
        return Ok(back_to(
            &statement,
            "Someone changed this statement while you were looking at it; check it again.",
        ));
    };
    tell_partner(
        &txn,
        &revision,
        scope.user_id,
        (
            format!(
                "Statement {} corrected by {}",
                statement.number, revision.number
            ),
            format!(
                "Why: “{reason}”. {}",
                revision_effect(&revision, "once it is approved")
            ),
        ),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.statement_corrected")
            .on("commission_statement", &statement.number)
            .with(json!({ "revision": revision.number, "reason": reason, "payout_minor": revision.payout_minor })),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &revision,
        &format!(
            "{} corrects {}. {}",
            revision.number,
            statement.number,
            revision_effect(&revision, "once someone else in finance approves it")
        ),
    ))
}

/// What a correcting revision does to the money, `when` it takes effect.
fn revision_effect(revision: &Settlement, when: &str) -> String {
    let currency = &revision.currency;
    match revision.payout_minor {
        0 => "The payout does not change.".to_owned(),
        more if more > 0 => format!("It pays {} more {when}.", money(more, currency)),
        over => format!(
            "{} was paid too much; it is carried to the next statement as a clawback {when}.",
            money(-over, currency)
        ),
    }
}

/// Tells the partner's own people who read commissions that their statement moved (finance,
/// who caused it, reads it on the page).
async fn tell_partner(
    conn: &impl ConnectionTrait,
    statement: &Settlement,
    actor: Uuid,
    (title, body): (String, String),
) -> Result<(), DbErr> {
    let recipients = reader_ids_on(
        conn,
        statement.partner_id,
        Permission::CommissionsRead,
        Side::Partner,
    )
    .await?;
    notify::publish(
        conn,
        Event {
            kind: "commission.statement",
            recipients,
            actor: Some(actor),
            partner_id: Some(statement.partner_id),
            title,
            body,
            link: format!("/commissions/statements/{}", statement.id),
        },
    )
    .await
}

/// The period's last day while it is still running.
fn running_until(period: Period) -> Option<String> {
    (!period.has_ended(now().date())).then(|| format_day(period.end))
}

fn back_to(statement: &Settlement, message: &str) -> Response {
    redirect_with_notice(
        &format!("/commissions/statements/{}", statement.id),
        message,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    /// [`store::version_of`] the statement as the approver saw it.
    seen: String,
}

pub async fn approve(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ApproveForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let statement = store::find_statement(&state.db, &scope, parse_id(&id)?).await?;
    if statement.status != StatementStatus::Pending.key() {
        return Ok(back_to(
            &statement,
            "Only a statement pending approval can be approved.",
        ));
    }
    // Statements prepared before a period's statements waited for its end.
    if let Some(until) = running_until(store::period_of(&statement)) {
        return Ok(back_to(
            &statement,
            &format!(
                "{} covers a period that runs until {until}: approve it once the period has \
                 ended and all its lines are in.",
                statement.number
            ),
        ));
    }
    if statement.prepared_by == Some(scope.user_id)
        || store::wrote_a_line_of(&state.db, &statement, scope.user_id).await?
    {
        return Ok(back_to(
            &statement,
            &format!(
                "You prepared {} or wrote lines on it, so someone else in finance must approve it (four eyes).",
                statement.number
            ),
        ));
    }
    if form.seen.trim() != store::version_of(&statement) {
        return Ok(back_to(
            &statement,
            &format!(
                "{} changed since you opened it: its lines or totals are not what you saw. Check \
                 them again, then approve.",
                statement.number
            ),
        ));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::approve(&txn, &statement, &actor(&scope, &context), now()).await? {
        return Ok(back_to(
            &statement,
            "Someone changed this statement while you were looking at it; check it again.",
        ));
    }
    let expected = format_day(statement.expected_payout_on);
    tell_partner(
        &txn,
        &statement,
        scope.user_id,
        (
            format!("Statement {} approved", statement.number),
            match statement.payout_minor {
                0 => "Nothing is paid out for it.".to_owned(),
                owed if owed > 0 => format!(
                    "Payout {}, expected {expected}.",
                    money(owed, &statement.currency)
                ),
                over => format!(
                    "{} paid before is taken back from your next statement.",
                    money(-over, &statement.currency)
                ),
            },
        ),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.statement_approved")
            .on("commission_statement", &statement.number)
            .with(
                json!({ "payout_minor": statement.payout_minor, "currency": statement.currency }),
            ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &statement,
        &format!(
            "Statement {} approved; the partner sees it as approved, payout expected {expected}.",
            statement.number,
        ),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PayForm {
    reference: String,
    paid_on: String,
}

pub async fn pay(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<PayForm>,
) -> AppResult<Response> {
    scope.require(Permission::PayoutsManage)?;
    let statement = store::find_statement(&state.db, &scope, parse_id(&id)?).await?;
    if statement.status != StatementStatus::Approved.key() {
        return Ok(back_to(
            &statement,
            "Only an approved statement can be paid.",
        ));
    }
    let reference = form.reference.trim();
    if reference.is_empty() || reference.chars().count() > 100 {
        return Ok(back_to(
            &statement,
            "Give the payout reference (up to 100 characters) so the partner can match the payment.",
        ));
    }
    let Some(paid_on) = parse_day(&form.paid_on) else {
        return Ok(back_to(&statement, "Give the payout date, as 2026-04-15."));
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::mark_paid(
        &txn,
        &statement,
        (reference, paid_on),
        &actor(&scope, &context),
        now(),
    )
    .await?
    {
        return Ok(back_to(
            &statement,
            "Someone changed this statement while you were looking at it; check it again.",
        ));
    }
    tell_partner(
        &txn,
        &statement,
        scope.user_id,
        (
            format!("Statement {} paid", statement.number),
            format!(
                "{} paid on {}, reference {reference}.",
                money(statement.payout_minor, &statement.currency),
                format_day(paid_on)
            ),
        ),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.statement_paid")
            .on("commission_statement", &statement.number)
            .with(json!({ "reference": reference, "paid_on": paid_on.to_string(), "payout_minor": statement.payout_minor })),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &statement,
        &format!("Statement {} marked paid ({reference}).", statement.number),
    ))
}

struct RuleView {
    /// Where finance adds the next version, on the latest version only.
    new_version_href: Option<String>,
    precedence: i32,
    title: String,
    applies_to: String,
    pays: String,
    qualifies: String,
    effective: String,
    cap: String,
    note: String,
}

#[derive(Template)]
#[template(path = "commissions/line.html")]
struct LinePage {
    chrome: Chrome,
    line: CommissionLine,
    kind: String,
    base: String,
    amount: String,
    rate: String,
    earned: String,
    calculated: String,
    order: Option<(Uuid, String)>,
    order_line: String,
    statement: Option<(Uuid, String)>,
    rule: Option<RuleView>,
    history: Vec<LineView>,
    net: String,
    can_open_orders: bool,
    flash: Option<String>,
    /// "Disputed by … on …" or "Dispute resolved by … on …: …".
    dispute: Option<DisputeView>,
    can_dispute: bool,
    can_resolve: bool,
    can_adjust: bool,
    messages: Vec<MessageView>,
    can_post: bool,
    can_post_internal: bool,
    can_attach: bool,
    thread_object: &'static str,
    thread_action: String,
    reply_statuses: Vec<(&'static str, &'static str)>,
    ask_support: Option<String>,
    draft: String,
    attachment_base: String,
}

struct DisputeView {
    open: bool,
    summary: String,
    resolution: String,
}

fn pays(version: &super::entity::rule_version::Model, currency: &str) -> String {
    let code = Currency::parse(currency).ok();
    if let Some(mode) = version.band_mode.as_deref().and_then(BandMode::parse) {
        let bands: Vec<Band> =
            serde_json::from_str(version.bands.as_deref().unwrap_or("[]")).unwrap_or_default();
        let steps: Vec<String> = bands
            .iter()
            .map(|b| match b.to_minor {
                Some(to) => format!(
                    "{} from {} to {}",
                    percent(b.rate_bp),
                    money(b.from_minor, currency),
                    money(to, currency)
                ),
                None => format!(
                    "{} from {}",
                    percent(b.rate_bp),
                    money(b.from_minor, currency)
                ),
            })
            .collect();
        return format!(
            "Volume bands per period ({}): {}; {}.",
            mode.key(),
            steps.join(", "),
            mode.explained()
        );
    }
    match (version.rate_bp, version.per_unit_minor, code) {
        (Some(rate), _, _) => format!("{} of the line's net value.", percent(rate)),
        (None, Some(per_unit), _) => format!("{} per unit sold.", money(per_unit, currency)),
        _ => "Nothing.".to_owned(),
    }
}

fn rule_view(
    rule: &super::entity::rule::Model,
    version: &super::entity::rule_version::Model,
    currency: &str,
) -> RuleView {
    let conditions = super::model::Conditions {
        partner_type: version.partner_type.clone(),
        tier: version.tier.clone(),
        product_line: version.product_line.clone(),
        sku: version.sku.clone(),
        deal_type: version.deal_type.clone(),
    };
    RuleView {
        new_version_href: None,
        precedence: rule.precedence,
        title: format!("{} v{}", rule.name, version.version),
        applies_to: conditions.describe(),
        pays: pays(version, currency),
        qualifies: format!(
            "when the order is {}",
            crate::orders::model::OrderStatus::parse(&version.qualifying_status)
                .map_or("—", |s| s.label())
                .to_lowercase()
        ),
        effective: match version.effective_to {
            Some(to) => format!(
                "from {} until {}",
                format_day(version.effective_from),
                format_day(to.previous_day().unwrap_or(to))
            ),
            None => format!("from {}", format_day(version.effective_from)),
        },
        cap: version
            .cap_minor
            .map(|cap| format!("At most {} per period.", money(cap, currency)))
            .unwrap_or_default(),
        note: version.note.clone(),
    }
}

pub async fn line(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let line = store::find_line(&state.db, &scope, parse_id(&id)?).await?;
    let dispute = store::dispute_of(&state.db, &line).await?;
    let open_dispute = dispute.as_ref().is_some_and(|d| d.status == "open");
    let may_write = disputes::may_write(&scope, &line);
    let history = store::lines_of_source(&state.db, &line).await?;
    let order = match line.order_id {
        Some(order_id) => orders::numbers_of(&state.db, line.partner_id, &[order_id])
            .await?
            .remove(&order_id)
            .map(|number| (order_id, number)),
        None => None,
    };
    let order_line = match line.order_line_id {
        Some(id) => orders::describe_line(&state.db, line.partner_id, id)
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    let statement = match line.statement_id {
        Some(id) => store::find_statement(&state.db, &scope, id)
            .await
            .ok()
            .map(|s| (s.id, s.number)),
        None => None,
    };
    let rule = match line.rule_version_id {
        Some(id) => store::find_version(&state.db, id)
            .await?
            .map(|(rule, version)| rule_view(&rule, &version, &line.currency)),
        None => None,
    };
    render(&LinePage {
        chrome: Chrome::new(&state.instance, &context),
        kind: kind_label(&line.kind).to_owned(),
        base: money(line.base_minor, &line.currency),
        amount: money(line.amount_minor, &line.currency),
        rate: line.rate_bp.map(percent).unwrap_or_default(),
        earned: format_day(line.earned_on),
        calculated: format_date(line.calculated_at),
        net: money(history.iter().map(|l| l.amount_minor).sum(), &line.currency),
        history: history.iter().map(line_view).collect(),
        order,
        order_line,
        statement,
        rule,
        can_open_orders: scope.can(Permission::OrdersRead),
        flash: notice.done,
        dispute: dispute.map(|d| DisputeView {
            open: d.status == "open",
            summary: match (&d.resolved_label, d.resolved_at) {
                (Some(who), Some(at)) => format!(
                    "Disputed by {} on {}; resolved by {who} on {}",
                    d.opened_label,
                    format_date(d.opened_at),
                    format_date(at)
                ),
                _ => format!(
                    "Disputed by {} on {}; finance answer in the discussion below",
                    d.opened_label,
                    format_date(d.opened_at)
                ),
            },
            resolution: d.resolution.unwrap_or_default(),
        }),
        can_dispute: scope.side() == Side::Partner && may_write && !open_dispute,
        can_resolve: open_dispute && scope.can(Permission::SettlementsApprove),
        can_adjust: scope.can(Permission::SettlementsApprove),
        messages: disputes::messages(&state.db, &scope, &line).await?,
        can_post: may_write,
        can_post_internal: may_write && disputes::sees_internal(&scope),
        can_attach: may_write,
        thread_object: "commission line",
        thread_action: format!("/commissions/lines/{}/messages", line.id),
        reply_statuses: Vec::new(),
        draft: String::new(),
        ask_support: crate::support::ask_about(&scope, "commission_line", line.id, line.partner_id),
        attachment_base: format!("/commissions/lines/{}/attachments", line.id),
        line,
    })
}

struct PlanView {
    new_rule_href: Option<String>,
    name: String,
    description: String,
    currency: String,
    period: String,
    payout_days: i32,
    rules: Vec<RuleView>,
}

#[derive(Template)]
#[template(path = "commissions/rules.html")]
struct RulesPage {
    chrome: Chrome,
    vendor: bool,
    plans: Vec<PlanView>,
    flash: Option<String>,
}

/// "How your commission is calculated": for a partner, the rule versions in force today whose
/// partner type and tier fit it, in precedence order; for vendor staff, every version.
pub async fn rules(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    scope.require(Permission::CommissionsRead)?;
    let vendor = scope.side() == Side::Vendor;
    let own = if vendor {
        None
    } else {
        Some(orgs::find_partner(&state.db, &scope, scope.organization_id).await?)
    };
    let today = now().date();
    let can_edit = scope.can(Permission::SettlementsApprove);
    let fits = |wanted: &Option<String>, actual: &Option<String>| {
        wanted
            .as_deref()
            .is_none_or(|w| actual.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(w)))
    };
    let mut plans = Vec::new();
    for plan in store::plans(&state.db).await? {
        let mut views = Vec::new();
        for entry in store::rules(&state.db, plan.row.id).await? {
            for version in &entry.versions {
                let shown = match &own {
                    None => true,
                    Some(partner) => {
                        version.effective_from <= today
                            && version.effective_to.is_none_or(|to| today < to)
                            && fits(&version.partner_type, &partner.partner_type)
                            && fits(&version.tier, &partner.tier)
                    }
                };
                if shown {
                    let mut view = rule_view(&entry.rule, version, &plan.row.currency);
                    if can_edit && version.effective_to.is_none() {
                        view.new_version_href =
                            Some(format!("/commissions/rules/{}/versions/new", entry.rule.id));
                    }
                    views.push(view);
                }
            }
        }
        if vendor || !views.is_empty() {
            plans.push(PlanView {
                new_rule_href: can_edit
                    .then(|| format!("/commissions/plans/{}/rules/new", plan.row.id)),
                name: plan.row.name.clone(),
                description: plan.row.description.clone(),
                currency: plan.row.currency.clone(),
                period: plan.row.period.clone(),
                payout_days: plan.row.payout_days,
                rules: views,
            });
        }
    }
    render(&RulesPage {
        chrome: Chrome::new(&state.instance, &context),
        vendor,
        plans,
        flash: notice.done,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RunForm {
    plan: String,
    /// A month as `2026-03`: the period of the plan that contains its first day.
    period: String,
    fingerprint: String,
}

struct PartnerEffect {
    partner: String,
    lines: usize,
    net: String,
}

struct PlannedView {
    order_id: Uuid,
    order: String,
    partner: String,
    kind: &'static str,
    old: String,
    new: String,
    delta: String,
    explanation: String,
}

#[derive(Template)]
#[template(path = "commissions/run.html")]
struct RunPage {
    chrome: Chrome,
    plans: Vec<(Uuid, String)>,
    form_plan: String,
    form_period: String,
    error: Option<String>,
    flash: Option<String>,
    preview: Option<Preview>,
}

struct Preview {
    plan_name: String,
    period: String,
    fingerprint: String,
    effects: Vec<PartnerEffect>,
    lines: Vec<PlannedView>,
    shown_of: usize,
    net: String,
    /// The period's last day while it is still running: applying then writes its lines so
    /// far, and its statements wait until it has ended.
    running_until: Option<String>,
}

const PREVIEW_LINES: usize = 500;

async fn run_page(
    state: &AppState,
    context: &PageContext,
    form: &RunForm,
    error: Option<String>,
    flash: Option<String>,
    preview: Option<Preview>,
) -> AppResult<Response> {
    render(&RunPage {
        chrome: Chrome::new(&state.instance, context),
        plans: plan_choices(state).await?,
        form_plan: form.plan.clone(),
        form_period: form.period.clone(),
        error,
        flash,
        preview,
    })
}

pub async fn run_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    // Last month: the latest a monthly run can settle.
    let last_month = now()
        .date()
        .replace_day(1)
        .expect("every month has a first day")
        .previous_day()
        .expect("dates continue");
    let form = RunForm {
        period: format!("{}-{:02}", last_month.year(), u8::from(last_month.month())),
        ..RunForm::default()
    };
    run_page(&state, &context, &form, None, notice.done, None).await
}

/// The plan and period a run form names, or the sentence that says what is wrong.
async fn chosen(state: &AppState, form: &RunForm) -> AppResult<Result<(Plan, Period), String>> {
    let Some(plan) = plan_named(state, &form.plan).await? else {
        return Ok(Err("Choose the plan to run.".to_owned()));
    };
    let Some(first) = parse_day(&format!("{}-01", form.period.trim())) else {
        return Ok(Err(format!(
            "\"{}\" is not a month; give one as 2026-03.",
            form.period.trim()
        )));
    };
    let period = Period::containing(first, plan.period);
    if period.start > now().date() {
        return Ok(Err(format!(
            "{} has not started yet; nothing can have earned in it.",
            period.label()
        )));
    }
    Ok(Ok((plan, period)))
}

async fn preview_of(state: &AppState, plan: &Plan, run: &RunPlan) -> AppResult<Preview> {
    let effects = run.per_partner();
    let partner_ids: Vec<Uuid> = effects.keys().copied().collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let currency = plan.currency;
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_default();
    Ok(Preview {
        plan_name: plan.row.name.clone(),
        period: run.period.label(),
        running_until: running_until(run.period),
        fingerprint: run.fingerprint(),
        net: signed(run.lines.iter().map(|l| l.delta()).sum(), currency),
        effects: effects
            .iter()
            .map(|(id, (lines, net))| PartnerEffect {
                partner: name(id),
                lines: *lines,
                net: signed(*net, currency),
            })
            .collect(),
        shown_of: run.lines.len(),
        lines: run
            .lines
            .iter()
            .take(PREVIEW_LINES)
            .map(|l| PlannedView {
                order_id: l.order_id,
                order: format!("{} line {}", l.order_number, l.position),
                partner: name(&l.partner_id),
                kind: kind_label(l.kind),
                old: money(l.old_minor, currency.code()),
                new: money(l.new_minor, currency.code()),
                delta: signed(l.delta(), currency),
                explanation: l.explanation.clone(),
            })
            .collect(),
    })
}

/// Shows what a run would write, and changes nothing.
pub async fn run_preview(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<RunForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let (plan, period) = match chosen(&state, &form).await? {
        Ok(chosen) => chosen,
        Err(error) => return run_page(&state, &context, &form, Some(error), None, None).await,
    };
    let run = accrual::plan_run(&state.db, &plan, period).await?;
    let preview = preview_of(&state, &plan, &run).await?;
    run_page(&state, &context, &form, None, None, Some(preview)).await
}

/// Writes what the preview showed — unless something moved since, in which case the new
/// preview is shown instead — and prepares the period's statements.
pub async fn run_apply(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<RunForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let (plan, period) = match chosen(&state, &form).await? {
        Ok(chosen) => chosen,
        Err(error) => return run_page(&state, &context, &form, Some(error), None, None).await,
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    accrual::lock_plan(&txn, plan.row.id).await?;
    let run = accrual::plan_run(&txn, &plan, period).await?;
    if run.fingerprint() != form.fingerprint.trim() {
        drop(txn);
        let preview = preview_of(&state, &plan, &run).await?;
        let error = "Orders or rules changed since the preview, so nothing was written. \
                     Here is the preview as it stands now."
            .to_owned();
        return run_page(&state, &context, &form, Some(error), None, Some(preview)).await;
    }
    let who = actor(&scope, &context);
    let at = now();
    let written = accrual::write_lines(&txn, &plan, &run, (who.user_id, &who.label), at).await?;
    // A running period's statements would be approved before all its lines are earned.
    let ended = period.has_ended(at.date());
    let generated = if ended {
        store::generate_statements(&txn, &plan, period, &who, at).await?
    } else {
        store::Generated::default()
    };
    let net: i64 = run.lines.iter().map(|l| l.delta()).sum();
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.run_applied")
            .on("commission_plan", plan.row.id)
            .with(json!({
                "period": period.label(),
                "lines": written,
                "net_minor": net,
                "statements_created": generated.created,
                "statements_updated": generated.updated,
            })),
    )
    .await?;
    txn.commit().await?;
    let written = format!(
        "{} for {}: {written} lines written (net {})",
        plan.row.name,
        period.label(),
        signed(net, plan.currency),
    );
    let message = if ended {
        format!(
            "{written}; {} statements prepared, {} updated.",
            generated.created, generated.updated
        )
    } else {
        format!(
            "{written}. The period runs until {}: its statements are prepared once it has ended.",
            format_day(period.end)
        )
    };
    Ok(redirect_with_notice("/commissions/run", &message))
}
