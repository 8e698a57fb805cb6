//! What people do to a ticket: open it, assign it, move its status, reopen it within the
//! window, rate its resolution, change its priority. Each change is a conditional update in
//! one transaction with its timeline row, its SLA clocks, its audit row and its notifications.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::response::Response;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::conversation;
use super::model::{Priority, Status, ValidTicket, may_reopen};
use super::pages::{account_managers, readable_ticket};
use super::store::{self, About, Stale, Ticket};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::identity::store::{User, readers_of};
use crate::notify::{self, Event};
use crate::orgs::store as orgs;
use crate::platform::db::Db;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Role, Scope, Side};
use crate::platform::sla;
use crate::platform::threads::{NewMessage, Participant};
use crate::platform::time::now;
use crate::platform::web::{PageContext, redirect_with_notice};

/// Writing on a ticket: its own partner's users with `tickets.write` (a parent organisation
/// only reads its sub-partners' tickets), and vendor staff whose reach holds the partner.
pub(super) fn may_write(scope: &Scope, ticket: &Ticket) -> bool {
    scope
        .partners(Permission::TicketsWrite)
        .is_ok_and(|reach| reach.contains(ticket.partner_id))
}

fn require_vendor_writer(scope: &Scope, ticket: &Ticket) -> AppResult<()> {
    if scope.side() == Side::Vendor && may_write(scope, ticket) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn require_writer(scope: &Scope, ticket: &Ticket) -> AppResult<()> {
    if may_write(scope, ticket) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Vendor staff who may answer a partner's tickets: the people a ticket can be given to.
pub(super) async fn support_staff(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
) -> Result<Vec<User>, DbErr> {
    Ok(readers_of(conn, partner_id, Permission::TicketsWrite)
        .await?
        .into_iter()
        .filter(|u| Role::parse(&u.role).is_some_and(|r| r.side() == Side::Vendor))
        .collect())
}

fn link(ticket: &Ticket) -> String {
    format!("/support/{}", ticket.id)
}

pub(super) fn back_to(ticket: &Ticket, message: &str) -> Response {
    redirect_with_notice(&link(ticket), message)
}

fn stale(ticket: &Ticket) -> Response {
    back_to(
        ticket,
        "Someone changed this request while you were looking at it. Here is how it stands now.",
    )
}

pub(super) fn audit_entry(
    scope: &Scope,
    client: &SocketAddr,
    ticket: &Ticket,
    action: &'static str,
    detail: serde_json::Value,
) -> Entry {
    Entry::by(scope, client, action)
        .on("ticket", &ticket.number)
        .concerning(ticket.partner_id)
        .with(detail)
}

/// Tells people of a change to a ticket (never the person who made it).
pub(super) async fn tell(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    actor: Option<Uuid>,
    recipients: Vec<Uuid>,
    title: String,
    body: String,
) -> Result<(), DbErr> {
    notify::publish(
        conn,
        Event {
            kind: "ticket.update",
            recipients,
            actor,
            partner_id: Some(ticket.partner_id),
            title,
            body,
            link: link(ticket),
        },
    )
    .await
}

/// The requester and the owner: who hears of a change of status.
fn parties(ticket: &Ticket) -> Vec<Uuid> {
    ticket
        .requester_user_id
        .into_iter()
        .chain(ticket.owner_user_id)
        .collect()
}

/// Opens a ticket for the caller's own organisation, with its first message; the queue lead
/// hears of it, and for Gold and Platinum partners their account managers too.
pub(super) async fn open(
    state: &AppState,
    scope: &Scope,
    context: &PageContext,
    client: &SocketAddr,
    valid: ValidTicket,
    about: Option<About>,
) -> AppResult<Ticket> {
    let partner_id = scope.organization_id;
    let tier = orgs::tier_of(&state.db, partner_id).await?;
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let requester = context.author(scope);
    let at = now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let ticket = store::create(
        &txn,
        &calendar,
        store::NewTicket {
            partner_id,
            partner_tier: tier.as_deref(),
            ticket: &valid,
            about,
            requester: &requester,
            at,
        },
    )
    .await?;
    conversation::post_and_tell(
        &txn,
        &ticket,
        &Participant {
            user_id: scope.user_id,
            label: requester.label.clone(),
            side: scope.side(),
        },
        NewMessage {
            body: &valid.body,
            internal: false,
            attachment: None,
            at,
        },
    )
    .await?;
    crate::integrations::webhooks::tell(
        &txn,
        &ticket,
        "ticket.status_changed",
        false,
        serde_json::json!({ "from": null, "to": ticket.status, "note": null }),
    )
    .await?;
    let mut told: Vec<Uuid> = store::queues(&txn)
        .await?
        .into_iter()
        .filter(|q| q.id == ticket.queue_id)
        .filter_map(|q| q.lead_user_id)
        .collect();
    told.extend(
        account_managers(&state.db, partner_id, tier.as_deref())
            .await?
            .into_iter()
            .map(|u| u.id),
    );
    tell(
        &txn,
        &ticket,
        Some(scope.user_id),
        told,
        format!(
            "New {} request {}: {}",
            valid.priority.label().to_lowercase(),
            ticket.number,
            ticket.subject
        ),
        format!("From {}", requester.label),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            scope,
            client,
            &ticket,
            "ticket.opened",
            json!({ "priority": valid.priority.key(), "category": valid.category.key(), "about": ticket.object_label }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(ticket)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    owner: String,
    /// The owner as the page showed it, so a concurrent change is noticed.
    current: String,
}

/// `POST /support/{id}/assign`: gives the ticket to someone of support (or back to the queue).
pub async fn assign(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    require_vendor_writer(&scope, &ticket)?;
    let shown = ticket
        .owner_user_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    if form.current != shown {
        return Ok(stale(&ticket));
    }
    let owner = if form.owner.is_empty() {
        None
    } else {
        let staff = support_staff(&state.db, ticket.partner_id).await?;
        let Some(person) = staff.into_iter().find(|u| u.id.to_string() == form.owner) else {
            return Ok(back_to(
                &ticket,
                "Choose someone of support who may answer this partner's requests.",
            ));
        };
        Some(person)
    };
    if owner.as_ref().map(|u| u.id) == ticket.owner_user_id {
        return Ok(back_to(
            &ticket,
            "Nothing changed: that is already the owner.",
        ));
    }
    let actor = context.author(&scope);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let detail = json!({ "owner": owner.as_ref().map(|u| &u.display_name) });
    let handed = hand_over(
        &txn,
        &scope,
        &client,
        &actor,
        &ticket,
        owner.as_ref(),
        detail,
    );
    if let Err(Stale) = handed.await? {
        return Ok(stale(&ticket));
    }
    txn.commit().await?;
    let message = match owner {
        Some(person) => format!("{} now owns {}.", person.display_name, ticket.number),
        None => format!("{} is back in the queue.", ticket.number),
    };
    Ok(back_to(&ticket, &message))
}

/// Gives the ticket to `owner` (or back to the queue) now, if its owner is still as read; tells
/// the new owner and audits it with `detail`.
pub(super) async fn hand_over(
    txn: &sea_orm::DatabaseTransaction,
    scope: &Scope,
    client: &SocketAddr,
    actor: &crate::platform::web::Author,
    ticket: &Ticket,
    owner: Option<&User>,
    detail: serde_json::Value,
) -> AppResult<Result<(), Stale>> {
    let named = owner.map(|u| (u.id, u.display_name.clone()));
    if let Err(stale) = store::assign(txn, ticket, actor, named, now()).await? {
        return Ok(Err(stale));
    }
    if let Some(person) = owner {
        tell(
            txn,
            ticket,
            Some(scope.user_id),
            vec![person.id],
            format!("{} is now yours: {}", ticket.number, ticket.subject),
            format!("Assigned by {}", actor.label),
        )
        .await?;
    }
    audit::record(
        txn,
        audit_entry(scope, client, ticket, "ticket.assigned", detail),
    )
    .await?;
    Ok(Ok(()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    to: String,
    note: String,
    /// The status as the page showed it.
    current: String,
}

/// Moves a ticket to `to` with its clocks, timeline, audit row and the parties told.
pub(super) async fn move_ticket(
    conn: &sea_orm::DatabaseTransaction,
    scope: &Scope,
    client: &SocketAddr,
    actor: &crate::platform::web::Author,
    ticket: &Ticket,
    to: Status,
    note: Option<String>,
) -> AppResult<Result<Ticket, Stale>> {
    let from = store::status_of(ticket);
    if from == to {
        return Ok(Ok(ticket.clone()));
    }
    let calendar = sla::calendar(conn, store::CALENDAR).await?;
    let moved = match store::change_status(conn, &calendar, ticket, actor, to, note.clone(), now())
        .await?
    {
        Ok(moved) => moved,
        Err(stale) => return Ok(Err(stale)),
    };
    crate::integrations::webhooks::tell(
        conn,
        ticket,
        "ticket.status_changed",
        false,
        serde_json::json!({ "from": from.key(), "to": to.key(), "note": note }),
    )
    .await?;
    let title = match to {
        Status::Resolved => format!("{} is resolved: {}", ticket.number, ticket.subject),
        Status::Closed => format!("{} is closed: {}", ticket.number, ticket.subject),
        _ if !from.is_active() => format!("{} was reopened: {}", ticket.number, ticket.subject),
        _ => format!("{} is now “{}”", ticket.number, to.label()),
    };
    tell(
        conn,
        ticket,
        Some(scope.user_id),
        parties(ticket),
        title,
        note.clone()
            .unwrap_or_else(|| format!("By {}", actor.label)),
    )
    .await?;
    let action = if !from.is_active() && to.is_active() {
        "ticket.reopened"
    } else {
        "ticket.status_changed"
    };
    audit::record(
        conn,
        audit_entry(
            scope,
            client,
            ticket,
            action,
            json!({ "from": from.key(), "to": to.key(), "note": note }),
        ),
    )
    .await?;
    Ok(Ok(moved))
}

/// `POST /support/{id}/status`: support resolves or reopens work; either side closes.
pub async fn set_status(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    require_writer(&scope, &ticket)?;
    let Some(to) = Status::parse(&form.to) else {
        return Ok(back_to(
            &ticket,
            "Choose the status to move the request to.",
        ));
    };
    let partner = scope.side() == Side::Partner;
    if partner && to != Status::Closed {
        return Err(AppError::Forbidden);
    }
    let current = store::status_of(&ticket);
    if current == to {
        return Ok(back_to(
            &ticket,
            "Nothing changed: the request already has that status.",
        ));
    }
    if !current.is_active() && to != Status::Closed {
        return Ok(back_to(
            &ticket,
            "This request is resolved or closed; the partner can reopen it within 14 days of the resolution.",
        ));
    }
    if form.current != ticket.status {
        return Ok(stale(&ticket));
    }
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    if to == Status::Resolved && note.is_none() {
        return Ok(back_to(
            &ticket,
            "Say how the request was resolved: the partner reads it.",
        ));
    }
    let actor = context.author(&scope);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    match move_ticket(&txn, &scope, &client, &actor, &ticket, to, note).await? {
        Ok(_) => {}
        Err(Stale) => return Ok(stale(&ticket)),
    }
    txn.commit().await?;
    Ok(back_to(
        &ticket,
        &format!(
            "{} is now “{}”.",
            ticket.number,
            if partner {
                to.label()
            } else {
                to.label_for_vendor()
            }
        ),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReopenForm {
    reason: String,
}

/// `POST /support/{id}/reopen`: the partner reopens within the window, saying why.
pub async fn reopen(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ReopenForm>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    if scope.side() != Side::Partner {
        return Err(AppError::Forbidden);
    }
    require_writer(&scope, &ticket)?;
    if ticket.merged_into_id.is_some() {
        return Ok(back_to(
            &ticket,
            "This request was merged into another one; write there instead.",
        ));
    }
    if !may_reopen(store::status_of(&ticket), ticket.resolved_at, now()) {
        return Ok(back_to(
            &ticket,
            "This request can no longer be reopened: open a new one and mention its number.",
        ));
    }
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Ok(back_to(
            &ticket,
            "Say what is still wrong, so support can pick it up.",
        ));
    }
    let actor = context.author(&scope);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if let Err(Stale) = move_ticket(
        &txn,
        &scope,
        &client,
        &actor,
        &ticket,
        Status::WaitingOnVendor,
        Some(reason.to_owned()),
    )
    .await?
    {
        return Ok(stale(&ticket));
    }
    txn.commit().await?;
    Ok(back_to(
        &ticket,
        &format!("{} is open again; support has been told.", ticket.number),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RateForm {
    rating: String,
    comment: String,
}

/// `POST /support/{id}/rate`: the partner rates the resolution from 1 to 5.
pub async fn rate(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<RateForm>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    if scope.side() != Side::Partner {
        return Err(AppError::Forbidden);
    }
    require_writer(&scope, &ticket)?;
    if store::status_of(&ticket).is_active() || ticket.merged_into_id.is_some() {
        return Ok(back_to(
            &ticket,
            "You can rate a request once it is resolved (a merged one is rated where it continued).",
        ));
    }
    let Some(rating) = form
        .rating
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|r| (1..=5).contains(r))
    else {
        return Ok(back_to(
            &ticket,
            "Rating: choose from 1 (poor) to 5 (excellent).",
        ));
    };
    let comment = form.comment.trim();
    if comment.chars().count() > 2_000 {
        return Ok(back_to(&ticket, "Comment: at most 2,000 characters."));
    }
    let comment = Some(comment.to_owned()).filter(|c| !c.is_empty());
    let actor = context.author(&scope);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    store::rate(&txn, &ticket, &actor, rating, comment.clone(), now()).await?;
    tell(
        &txn,
        &ticket,
        Some(scope.user_id),
        ticket.owner_user_id.into_iter().collect(),
        format!("{} was rated {rating} of 5", ticket.number),
        comment.clone().unwrap_or_default(),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &ticket,
            "ticket.rated",
            json!({ "rating": rating }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(&ticket, "Thank you: your rating is recorded."))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PriorityForm {
    priority: String,
    reason: String,
}

/// `POST /support/{id}/priority`: support changes the priority, with a reason. The clocks
/// keep the targets they started with; the change and its reason are on the timeline.
pub async fn set_priority(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<PriorityForm>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    require_vendor_writer(&scope, &ticket)?;
    let Some(priority) = Priority::parse(&form.priority) else {
        return Ok(back_to(&ticket, "Choose a priority."));
    };
    if priority.key() == ticket.priority {
        return Ok(back_to(
            &ticket,
            "Nothing changed: that is already the priority.",
        ));
    }
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Ok(back_to(
            &ticket,
            "Say why the priority changes: the partner reads it.",
        ));
    }
    let actor = context.author(&scope);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if let Err(Stale) = store::set_priority(&txn, &ticket, &actor, priority, reason, now()).await? {
        return Ok(stale(&ticket));
    }
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &ticket,
            "ticket.priority_changed",
            json!({ "from": ticket.priority, "to": priority.key(), "reason": reason }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &ticket,
        &format!(
            "{} is now {} priority.",
            ticket.number,
            priority.label().to_lowercase()
        ),
    ))
}

/// Vendor staff of the ticket's queue lead and owner, for the SLA job.
pub(super) async fn lead_of(db: &Db, ticket: &Ticket) -> Result<Option<Uuid>, DbErr> {
    Ok(store::queues(db)
        .await?
        .into_iter()
        .find(|q| q.id == ticket.queue_id)
        .and_then(|q| q.lead_user_id))
}
