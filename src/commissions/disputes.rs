//! Disputes and finance's own lines. A partner disputes a commission line, which opens a
//! discussion attached to it; finance answers there (with internal notes partners never see),
//! resolves the dispute — with an adjustment line where the partner was right — or adjusts or
//! excludes a line with a reason. Nothing computed is edited: every change is a new line.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, Request, State};
use axum::response::Response;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::accrual::{COMPUTED_KINDS, signed};
use super::pages::{actor, plan_choices, plan_named};
use super::store::{self, Actor, CommissionLine, FinanceLine};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::identity::store::{mentionable_readers, reader_ids_on};
use crate::notify::{self, Announcement};
use crate::orders::model::money;
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::files;
use crate::platform::money::{Currency, Money};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::threads::{self, Mentionable, MessageView, NewMessage, Participant, Subject};
use crate::platform::time::{format_date, now};
use crate::platform::web::{
    Chrome, FormError, FormErrors, PageContext, redirect_with_notice, render,
};

pub(super) fn subject(line: &CommissionLine) -> Subject {
    Subject {
        object_type: "commission_line",
        object_id: line.id,
        partner_id: line.partner_id,
    }
}

pub(super) fn sees_internal(scope: &Scope) -> bool {
    threads::reads_internal(scope)
}

/// Partners write about their own organisation's lines (a parent only reads its
/// sub-partners'); vendor finance about any line it approves.
pub(super) fn may_write(scope: &Scope, line: &CommissionLine) -> bool {
    let permission = match scope.side() {
        Side::Partner => Permission::CommissionsDispute,
        Side::Vendor => Permission::SettlementsApprove,
    };
    scope
        .partners(permission)
        .is_ok_and(|reach| reach.contains(line.partner_id))
}

pub(super) async fn messages(
    db: &impl ConnectionTrait,
    scope: &Scope,
    line: &CommissionLine,
) -> Result<Vec<MessageView>, DbErr> {
    threads::message_views(db, &subject(line), sees_internal(scope)).await
}

/// Everyone who may read the line's commission today.
async fn readers(
    conn: &impl ConnectionTrait,
    line: &CommissionLine,
) -> Result<Vec<Mentionable>, DbErr> {
    mentionable_readers(conn, line.partner_id, Permission::CommissionsRead).await
}

/// Vendor finance people who may act on the line's partner: told of a new dispute.
async fn finance_people(
    conn: &impl ConnectionTrait,
    line: &CommissionLine,
) -> Result<Vec<Uuid>, DbErr> {
    reader_ids_on(
        conn,
        line.partner_id,
        Permission::SettlementsApprove,
        Side::Vendor,
    )
    .await
}

fn link(line: &CommissionLine) -> String {
    format!("/commissions/lines/{}#discussion", line.id)
}

fn back_to(line: &CommissionLine, message: &str) -> Response {
    redirect_with_notice(&link(line), message)
}

/// A message finance or the partner writes with an action (a dispute, a resolution).
fn said(body: &str) -> NewMessage<'_> {
    NewMessage {
        body,
        internal: false,
        attachment: None,
        at: now(),
    }
}

fn participant(scope: &Scope, actor: &Actor) -> Participant {
    Participant {
        user_id: scope.user_id,
        label: actor.label.clone(),
        side: scope.side(),
    }
}

async fn line_for(state: &AppState, scope: &Scope, id: &str) -> AppResult<CommissionLine> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    store::find_line(&state.db, scope, id).await
}

/// Posts a message on the line's discussion and tells the people it mentions and the
/// followers (plus `also_tell`), inside the caller's transaction.
async fn post_message(
    conn: &impl ConnectionTrait,
    line: &CommissionLine,
    author: &Participant,
    message: NewMessage<'_>,
    also_tell: Vec<Uuid>,
    title: String,
) -> Result<threads::Posted, DbErr> {
    let (body, internal) = (message.body, message.internal);
    let mentionable = readers(conn, line).await?;
    let posted = threads::post(conn, &subject(line), author, message, &mentionable).await?;
    notify::announce_message(
        conn,
        Announcement {
            posted: &posted,
            author,
            partner_id: line.partner_id,
            about: "a commission line".to_owned(),
            title: Some(title),
            body,
            link: link(line),
            also_tell,
            internal,
        },
    )
    .await?;
    Ok(posted)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DisputeForm {
    body: String,
}

/// `POST /commissions/lines/{id}/dispute`: the partner says what it thinks is wrong.
pub async fn open(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<DisputeForm>,
) -> AppResult<Response> {
    let line = line_for(&state, &scope, &id).await?;
    if scope.side() != Side::Partner || !may_write(&scope, &line) {
        return Err(AppError::Forbidden);
    }
    if store::dispute_of(&state.db, &line)
        .await?
        .is_some_and(|d| d.status == "open")
    {
        return Ok(back_to(
            &line,
            "This line is already disputed; add what you know to its discussion.",
        ));
    }
    let body = match threads::check_body(&form.body) {
        Ok(body) => body.to_owned(),
        Err(problem) => {
            return Ok(back_to(
                &line,
                &format!("Say what you think is wrong with this line: {problem}"),
            ));
        }
    };
    let who = actor(&scope, &context);
    if raise(&state, &scope, &who, &client, &line, &body)
        .await?
        .is_none()
    {
        return Ok(back_to(&line, "This line is already disputed."));
    }
    Ok(back_to(
        &line,
        "Your dispute is with finance, who answer here; you are told when they do.",
    ))
}

/// Opens a dispute of the line with the partner's first message, tells vendor finance, and
/// audits it, in one transaction; `None` (nothing written) when the line is already disputed.
/// The caller has checked that the partner may dispute the line.
pub(super) async fn raise(
    state: &AppState,
    scope: &Scope,
    who: &Actor,
    client: &SocketAddr,
    line: &CommissionLine,
    body: &str,
) -> AppResult<Option<store::Dispute>> {
    let txn = crate::platform::db::begin_write(&state.db).await?;
    super::accrual::lock_plan(&txn, line.plan_id).await?;
    if store::dispute_of(&txn, line)
        .await?
        .is_some_and(|d| d.status == "open")
    {
        return Ok(None);
    }
    let dispute = store::open_dispute(&txn, line, who, now()).await?;
    let finance = finance_people(&txn, line).await?;
    post_message(
        &txn,
        line,
        &participant(scope, who),
        said(body),
        finance,
        format!(
            "{} disputes a commission line of {}",
            who.label,
            money(line.amount_minor, &line.currency)
        ),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(scope, client, "commission.line_disputed")
            .on("commission_line", line.id)
            .with(json!({ "dispute": dispute.id, "amount_minor": line.amount_minor })),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(dispute))
}

/// `POST /commissions/lines/{id}/messages`: a reply in the line's discussion (or, for vendor
/// staff, an internal note); the thread form is multipart with its CSRF token in the address.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let line = line_for(&state, &scope, &id).await?;
    if !may_write(&scope, &line) {
        return Err(AppError::Forbidden);
    }
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let body = match threads::check_body(upload.field("body")) {
        Ok(body) => body.to_owned(),
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let internal = upload.field("internal") == "yes";
    if internal && !sees_internal(&scope) {
        return Err(AppError::Forbidden);
    }
    let file = upload.file();
    let stored = threads::store_upload(&state.files, file).await?;
    let who = actor(&scope, &context);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let posted = post_message(
        &txn,
        &line,
        &participant(&scope, &who),
        NewMessage {
            body: &body,
            internal,
            attachment: stored.as_ref().map(threads::StoredUpload::attachment),
            at: now(),
        },
        Vec::new(),
        "New message on a commission line".to_owned(),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(
            &scope,
            &client,
            if internal {
                "commission.note_added"
            } else {
                "commission.message_posted"
            },
        )
        .on("commission_line", line.id)
        .with(json!({ "message": posted.message_id, "attachment": file.map(|f| f.name.clone()) })),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(&line, "Your message is in the discussion."))
}

/// `GET /commissions/lines/{id}/attachments/{attachment_id}`: a file from the line's
/// discussion, if the caller may read the message it belongs to.
pub async fn attachment(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, attachment_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let line = line_for(&state, &scope, &id).await?;
    threads::download(
        &state,
        &subject(&line),
        &attachment_id,
        sees_internal(&scope),
        |detail| {
            Entry::by(&scope, &client, "commission.attachment_downloaded")
                .on("commission_line", line.id)
                .concerning(line.partner_id)
                .with(detail)
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolveForm {
    resolution: String,
    /// A signed amount in the line's currency, or empty for none.
    adjustment: String,
}

/// An optional signed amount: `Ok(None)` when left empty.
fn parse_adjustment(text: &str, currency: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let currency = Currency::parse(currency).map_err(|e| e.to_string())?;
    let amount = Money::parse(text.trim_start_matches('+'), currency)
        .map_err(|e| format!("Adjustment: {e}"))?;
    if amount.minor == 0 {
        return Ok(None);
    }
    Ok(Some(amount.minor))
}

pub(super) fn required_reason(text: &str, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2_000 {
        Err(format!(
            "Say {what} (up to 2,000 characters): the partner reads it."
        ))
    } else {
        Ok(text.to_owned())
    }
}

/// `POST /commissions/lines/{id}/resolve`: finance closes the open dispute, with an
/// adjustment line where the partner was right.
pub async fn resolve(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ResolveForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let line = line_for(&state, &scope, &id).await?;
    let Some(open) = store::dispute_of(&state.db, &line)
        .await?
        .filter(|d| d.status == "open")
    else {
        return Ok(back_to(&line, "This line has no open dispute."));
    };
    let resolution = match required_reason(&form.resolution, "how the dispute was resolved") {
        Ok(text) => text,
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let adjustment = match parse_adjustment(&form.adjustment, &line.currency) {
        Ok(amount) => amount,
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let who = actor(&scope, &context);
    let at = now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let currency = Currency::parse(&line.currency).map_err(anyhow::Error::from)?;
    let adjusted = match adjustment {
        Some(amount) => Some(
            store::add_finance_line(
                &txn,
                &line,
                FinanceLine {
                    kind: "adjustment",
                    amount_minor: amount,
                    reason: &resolution,
                    explanation: format!(
                        "Adjustment of {} after a dispute: {resolution}",
                        signed(amount, currency)
                    ),
                },
                &who,
                at,
            )
            .await?,
        ),
        None => None,
    };
    if !store::resolve_dispute(
        &txn,
        &open,
        &resolution,
        adjusted.as_ref().map(|l| l.id),
        &who,
        at,
    )
    .await?
    {
        return Ok(back_to(
            &line,
            "Someone resolved this dispute a moment ago.",
        ));
    }
    let answer = match &adjusted {
        Some(adjustment) => format!(
            "Resolved: {resolution}\nAn adjustment of {} is on your next statement.",
            signed(adjustment.amount_minor, currency)
        ),
        None => format!("Resolved: {resolution}"),
    };
    post_message(
        &txn,
        &line,
        &participant(&scope, &who),
        said(&answer),
        open.opened_by.into_iter().collect(),
        "Your commission dispute was resolved".to_owned(),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.dispute_resolved")
            .on("commission_line", line.id)
            .with(json!({ "dispute": open.id, "adjustment_minor": adjustment })),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(&line, "Dispute resolved; the partner is told."))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AdjustForm {
    amount: String,
    reason: String,
}

/// `POST /commissions/lines/{id}/adjust`: finance adds an amount to a line, with a reason.
pub async fn adjust(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<AdjustForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let line = line_for(&state, &scope, &id).await?;
    let amount = match parse_adjustment(&form.amount, &line.currency) {
        Ok(Some(amount)) => amount,
        Ok(None) => {
            return Ok(back_to(
                &line,
                "Adjustment: give a non-zero amount, e.g. 25.00 or -12.50.",
            ));
        }
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let reason = match required_reason(&form.reason, "why you adjust this line") {
        Ok(text) => text,
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let currency = Currency::parse(&line.currency).map_err(anyhow::Error::from)?;
    let who = actor(&scope, &context);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let written = store::add_finance_line(
        &txn,
        &line,
        FinanceLine {
            kind: "adjustment",
            amount_minor: amount,
            reason: &reason,
            explanation: format!(
                "Adjustment of {} by finance: {reason}",
                signed(amount, currency)
            ),
        },
        &who,
        now(),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.line_adjusted")
            .on("commission_line", written.id)
            .with(json!({ "of": line.id, "amount_minor": amount, "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("/commissions/lines/{}", written.id),
        "Adjustment written; it goes on the partner's next statement.",
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExcludeForm {
    reason: String,
}

/// `POST /commissions/lines/{id}/exclude`: finance takes an order line's commission back to
/// zero for good; later accrual runs leave it there.
pub async fn exclude(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ExcludeForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let line = line_for(&state, &scope, &id).await?;
    if line.order_line_id.is_none() {
        return Ok(back_to(
            &line,
            "Only commission earned on an order line can be excluded.",
        ));
    }
    let reason = match required_reason(&form.reason, "why this line is excluded") {
        Ok(text) => text,
        Err(problem) => return Ok(back_to(&line, &problem)),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // Under the plan's lock, so a double click or a run in between cannot unbalance it.
    super::accrual::lock_plan(&txn, line.plan_id).await?;
    let history = store::lines_of_source(&txn, &line).await?;
    if history.iter().any(|l| l.kind == "exclusion") {
        return Ok(back_to(&line, "This order line is already excluded."));
    }
    let net: i64 = history
        .iter()
        .filter(|l| COMPUTED_KINDS.contains(&l.kind.as_str()))
        .map(|l| l.amount_minor)
        .sum();
    let currency = Currency::parse(&line.currency).map_err(anyhow::Error::from)?;
    let who = actor(&scope, &context);
    let written = store::add_finance_line(
        &txn,
        &line,
        FinanceLine {
            kind: "exclusion",
            amount_minor: -net,
            reason: &reason,
            explanation: format!(
                "Excluded by finance: {reason}. Takes this order line's commission of {} back to zero.",
                Money::new(net, currency)
            ),
        },
        &who,
        now(),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.line_excluded")
            .on("commission_line", written.id)
            .with(json!({ "of": line.id, "amount_minor": -net, "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("/commissions/lines/{}", written.id),
        "Line excluded; later accrual runs leave it at zero.",
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AdjustmentQuery {
    partner: String,
    /// The plan to start with, when finance comes from a statement.
    plan: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PartnerAdjustmentForm {
    partner: String,
    plan: String,
    amount: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "commissions/adjustment.html")]
struct AdjustmentPage {
    chrome: Chrome,
    partner_id: Uuid,
    partner: String,
    plans: Vec<(Uuid, String)>,
    form: PartnerAdjustmentForm,
    errors: Vec<FormError>,
}

impl FormErrors for AdjustmentPage {
    fn form_errors(&self) -> &[FormError] {
        &self.errors
    }
}

fn problem(field: &str, message: impl Into<String>) -> FormError {
    FormError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The partner organisation finance adjusts; 404 for anything it does not reach.
async fn adjusted_partner(
    state: &AppState,
    scope: &Scope,
    id: &str,
) -> AppResult<crate::orgs::entity::organization::Model> {
    scope.require(Permission::SettlementsApprove)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    orgs::find_partner_within(&state.db, scope, Permission::SettlementsApprove, id).await
}

async fn adjustment_page(
    state: &AppState,
    context: &PageContext,
    partner: &crate::orgs::entity::organization::Model,
    form: PartnerAdjustmentForm,
    errors: Vec<FormError>,
) -> AppResult<Response> {
    render(&AdjustmentPage {
        chrome: Chrome::new(&state.instance, context),
        partner_id: partner.id,
        partner: partner.name.clone(),
        plans: plan_choices(state).await?,
        form,
        errors,
    })
}

/// `GET /commissions/adjustments/new?partner=`: finance adjusts a partner's balance under a
/// plan, not tied to any order line.
pub async fn adjustment_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(query): Query<AdjustmentQuery>,
) -> AppResult<Response> {
    let partner = adjusted_partner(&state, &scope, &query.partner).await?;
    let form = PartnerAdjustmentForm {
        plan: query.plan,
        ..Default::default()
    };
    adjustment_page(&state, &context, &partner, form, Vec::new()).await
}

/// `POST /commissions/adjustments`: writes the adjustment line, which the partner's next
/// statement of the plan takes; a bad field changes nothing and says which.
pub async fn add_adjustment(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<PartnerAdjustmentForm>,
) -> AppResult<Response> {
    let partner = adjusted_partner(&state, &scope, &form.partner).await?;
    let mut errors = Vec::new();
    let plan = plan_named(&state, &form.plan).await?;
    if plan.is_none() {
        errors.push(problem(
            "plan",
            "Choose the plan whose balance the adjustment changes.",
        ));
    }
    // The amount's decimals are the plan's currency's: checked in full once the plan is known.
    let amount = match &plan {
        Some(plan) => match parse_adjustment(&form.amount, plan.currency.code()) {
            Ok(Some(amount)) => Some(amount),
            Ok(None) => {
                errors.push(problem(
                    "amount",
                    format!(
                        "Give a non-zero amount in {}, e.g. 250.00 or -80.00.",
                        plan.currency.code()
                    ),
                ));
                None
            }
            Err(wrong) => {
                errors.push(problem("amount", wrong));
                None
            }
        },
        None => {
            if form.amount.trim().is_empty() {
                errors.push(problem(
                    "amount",
                    "Give a non-zero amount, e.g. 250.00 or -80.00.",
                ));
            }
            None
        }
    };
    let reason = match required_reason(&form.reason, "why you adjust the balance") {
        Ok(text) => Some(text),
        Err(wrong) => {
            errors.push(problem("reason", wrong));
            None
        }
    };
    let (Some(plan), Some(amount), Some(reason)) = (plan, amount, reason) else {
        return adjustment_page(&state, &context, &partner, form, errors).await;
    };
    let who = actor(&scope, &context);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let written = store::add_partner_adjustment(
        &txn,
        partner.id,
        &plan,
        FinanceLine {
            kind: "adjustment",
            amount_minor: amount,
            reason: &reason,
            explanation: format!(
                "Adjustment of {} under '{}' by finance: {reason}",
                signed(amount, plan.currency),
                plan.row.name
            ),
        },
        &who,
        now(),
    )
    .await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.partner_adjusted")
            .on("commission_line", written.id)
            .concerning(partner.id)
            .with(json!({
                "partner": partner.id,
                "plan": plan.row.id,
                "amount_minor": amount,
                "reason": reason,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("/commissions/lines/{}", written.id),
        &format!(
            "Adjustment written for {}; it goes on their next {} statement.",
            partner.name, plan.row.name
        ),
    ))
}

struct DisputeRow {
    line_id: Uuid,
    partner: String,
    amount: String,
    explanation: String,
    opened: String,
    opened_by: String,
    open: bool,
    resolution: String,
}

#[derive(Template)]
#[template(path = "commissions/disputes.html")]
struct DisputesPage {
    chrome: Chrome,
    rows: Vec<DisputeRow>,
    open_count: usize,
}

/// `GET /commissions/disputes`: finance's queue, open disputes first, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::SettlementsApprove)?;
    let disputes = store::disputes(&state.db, &scope).await?;
    let partner_ids: Vec<Uuid> = disputes.iter().map(|d| d.partner_id).collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let line_ids: Vec<Uuid> = disputes.iter().map(|d| d.line_id).collect();
    let mut lines = store::lines_by_id(&state.db, &scope, &line_ids).await?;
    let mut rows = Vec::with_capacity(disputes.len());
    for dispute in disputes {
        let Some(line) = lines.remove(&dispute.line_id) else {
            continue;
        };
        rows.push(DisputeRow {
            line_id: line.id,
            partner: names.get(&dispute.partner_id).cloned().unwrap_or_default(),
            amount: money(line.amount_minor, &line.currency),
            explanation: line.explanation,
            opened: format_date(dispute.opened_at),
            opened_by: dispute.opened_label,
            open: dispute.status == "open",
            resolution: dispute.resolution.unwrap_or_default(),
        });
    }
    render(&DisputesPage {
        chrome: Chrome::new(&state.instance, &context),
        open_count: rows.iter().filter(|r| r.open).count(),
        rows,
    })
}
