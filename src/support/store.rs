//! Tickets in the database: opening one (routed to a queue, with its SLA clocks started from
//! the policy for its priority and the partner's tier), finding and listing them through the
//! caller's scope, and every change as a conditional update plus a timeline row.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, sea_query::Expr,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entity::{event, queue, ticket};
use super::model::{Category, Priority, Status, ValidTicket};
use crate::platform::db::{Db, contains_ignoring_case};
use crate::platform::error::AppError;
use crate::platform::scope::{Permission, Scope};
use crate::platform::sla::{self, Calendar, Clock, Measured};
use crate::platform::web::Author;
use crate::platform::{ids, numbers};

pub use event::Model as TicketEvent;
pub use queue::Model as Queue;
pub use ticket::Model as Ticket;

/// The object type tickets have in threads, clocks and audit rows.
pub const OBJECT_TYPE: &str = "ticket";
/// The business calendar support works to.
pub const CALENDAR: &str = "support";
/// The job that checks a ticket's SLA clocks at their warning and due times.
pub const SLA_JOB: &str = "support.sla";
pub const FIRST_RESPONSE: &str = "first_response";
pub const RESOLUTION: &str = "resolution";

const FIRST_TICKET_NUMBER: i64 = 10_001;

pub fn status_of(ticket: &Ticket) -> Status {
    Status::parse(&ticket.status).unwrap_or(Status::Open)
}

pub fn priority_of(ticket: &Ticket) -> Priority {
    Priority::parse(&ticket.priority).unwrap_or(Priority::Normal)
}

pub fn measured(ticket: &Ticket) -> Measured {
    Measured {
        partner_id: ticket.partner_id,
        object_type: OBJECT_TYPE,
        object_id: ticket.id,
    }
}

pub async fn queues(conn: &impl ConnectionTrait) -> Result<Vec<Queue>, DbErr> {
    queue::Entity::find()
        .order_by_asc(queue::Column::Name)
        .all(conn)
        .await
}

/// The queue a category is routed to: the first that lists it, else the last queue.
pub fn route(queues: &[Queue], category: Category) -> Option<&Queue> {
    queues
        .iter()
        .find(|q| q.categories.split(',').any(|c| c.trim() == category.key()))
        .or_else(|| queues.last())
}

pub async fn set_queue_lead(
    conn: &impl ConnectionTrait,
    queue_id: Uuid,
    lead: Option<Uuid>,
) -> Result<(), DbErr> {
    queue::ActiveModel {
        id: Set(queue_id),
        lead_user_id: Set(lead),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// What a ticket is about, found through the requester's scope by the page that opens it.
#[derive(Debug, Clone)]
pub struct About {
    pub object_type: &'static str,
    pub object_id: Uuid,
    /// "Order ORD-10023".
    pub label: String,
}

pub struct NewTicket<'a> {
    pub partner_id: Uuid,
    pub partner_tier: Option<&'a str>,
    pub ticket: &'a ValidTicket,
    pub about: Option<About>,
    pub requester: &'a Author,
    pub at: OffsetDateTime,
}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    /// opened, status, reopened, assigned, priority, rated, escalated.
    pub kind: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub note: Option<String>,
    /// Shown to vendor staff only.
    pub internal: bool,
}

pub async fn record(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    actor: &Author,
    change: Change<'_>,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    event::ActiveModel {
        id: Set(ids::new_id()),
        ticket_id: Set(ticket.id),
        partner_id: Set(ticket.partner_id),
        at: Set(at),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        kind: Set(change.kind.to_owned()),
        from_value: Set(change.from.map(str::to_owned)),
        to_value: Set(change.to.map(str::to_owned)),
        note: Set(change.note),
        internal: Set(change.internal),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Opens a ticket in the queue its category is routed to and starts its first-response and
/// resolution clocks; the opening message is the caller's to post.
pub async fn create(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    new: NewTicket<'_>,
) -> Result<Ticket, DbErr> {
    let all_queues = queues(conn).await?;
    let queue = route(&all_queues, new.ticket.category)
        .ok_or_else(|| DbErr::RecordNotFound("a support queue".into()))?;
    let number = numbers::next(conn, "ticket", FIRST_TICKET_NUMBER).await?;
    let (object_type, object_id, object_label) = match &new.about {
        Some(about) => (
            Some(about.object_type.to_owned()),
            Some(about.object_id),
            Some(about.label.clone()),
        ),
        None => (None, None, None),
    };
    let created = ticket::ActiveModel {
        id: Set(ids::new_id()),
        number: Set(format!("TCK-{number}")),
        partner_id: Set(new.partner_id),
        subject: Set(new.ticket.subject.clone()),
        category: Set(new.ticket.category.key().to_owned()),
        priority: Set(new.ticket.priority.key().to_owned()),
        status: Set(Status::New.key().to_owned()),
        queue_id: Set(queue.id),
        requester_user_id: Set(new.requester.user_id),
        requester_label: Set(new.requester.label.clone()),
        owner_user_id: Set(None),
        owner_label: Set(None),
        object_type: Set(object_type),
        object_id: Set(object_id),
        object_label: Set(object_label),
        created_at: Set(new.at),
        updated_at: Set(new.at),
        first_responded_at: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        reopened: Set(0),
        rating: Set(None),
        rating_comment: Set(None),
        rated_at: Set(None),
        merged_into_id: Set(None),
        next_due_at: Set(None),
    }
    .insert(conn)
    .await?;
    record(
        conn,
        &created,
        new.requester,
        Change {
            kind: "opened",
            to: Some(Status::New.key()),
            note: Some(format!("Routed to {}", queue.name)),
            ..Change::default()
        },
        new.at,
    )
    .await?;
    let policy = sla::policy_for(
        conn,
        OBJECT_TYPE,
        new.ticket.priority.key(),
        new.partner_tier,
    )
    .await?;
    if let Some(policy) = policy {
        for (metric, minutes) in [
            (FIRST_RESPONSE, policy.first_response_minutes),
            (RESOLUTION, policy.resolution_minutes),
        ] {
            let clock =
                sla::start(conn, calendar, measured(&created), metric, minutes, new.at).await?;
            sla::schedule(conn, SLA_JOB, &clock).await?;
        }
    }
    refresh_next_due(conn, &created).await?;
    Ok(created)
}

/// One ticket the caller may read, or 404.
pub async fn find(db: &Db, scope: &Scope, id: Uuid) -> Result<Ticket, AppError> {
    let partners = scope.partners(Permission::TicketsRead)?;
    ticket::Entity::find_by_id(id)
        .filter(partners.condition(ticket::Column::PartnerId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketOrder {
    /// Most recently changed first.
    #[default]
    RecentlyChanged,
    /// The soonest running clock first (tickets without one last): support's work order.
    SoonestDue,
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub order: TicketOrder,
    pub statuses: Vec<Status>,
    pub owner: Option<Uuid>,
    pub unassigned: bool,
    /// Only tickets with a clock due before this instant (running, not yet breached or already).
    pub due_before: Option<OffsetDateTime>,
    pub partners: Option<Vec<Uuid>>,
    pub queue: Option<Uuid>,
    pub text: Option<String>,
    /// Keyset: only tickets changed before this (moment, id), most recently changed first.
    pub changed_before: Option<(OffsetDateTime, Uuid)>,
}

/// The tickets in the caller's scope that match, most recently changed first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &TicketFilter,
    limit: u64,
) -> Result<Vec<Ticket>, AppError> {
    let partners = scope.partners(Permission::TicketsRead)?;
    let mut condition = partners.condition(ticket::Column::PartnerId);
    if !filter.statuses.is_empty() {
        condition =
            condition.add(ticket::Column::Status.is_in(filter.statuses.iter().map(|s| s.key())));
    }
    if let Some(owner) = filter.owner {
        condition = condition.add(ticket::Column::OwnerUserId.eq(owner));
    }
    if filter.unassigned {
        condition = condition.add(ticket::Column::OwnerUserId.is_null());
    }
    if let Some(partners) = &filter.partners {
        condition = condition.add(ticket::Column::PartnerId.is_in(partners.iter().copied()));
    }
    if let Some(queue) = filter.queue {
        condition = condition.add(ticket::Column::QueueId.eq(queue));
    }
    if let Some(text) = filter.text.as_deref() {
        let text = text.trim();
        if text.to_uppercase().starts_with("TCK-") {
            condition = condition.add(ticket::Column::Number.eq(text.to_uppercase()));
        } else {
            condition = condition.add(contains_ignoring_case(ticket::Column::Subject, text));
        }
    }
    if let Some((at, id)) = filter.changed_before {
        condition = condition.add(
            sea_orm::Condition::any()
                .add(ticket::Column::UpdatedAt.lt(at))
                .add(
                    sea_orm::Condition::all()
                        .add(ticket::Column::UpdatedAt.eq(at))
                        .add(ticket::Column::Id.lt(id)),
                ),
        );
    }
    if let Some(before) = filter.due_before {
        let due = sla::entity::clock::Entity::find()
            .select_only()
            .column(sla::entity::clock::Column::ObjectId)
            .filter(sla::entity::clock::Column::ObjectType.eq(OBJECT_TYPE))
            .filter(sla::entity::clock::Column::State.eq("running"))
            .filter(sla::entity::clock::Column::DueAt.lt(before))
            .as_query()
            .to_owned();
        condition = condition.add(ticket::Column::Id.in_subquery(due));
    }
    let mut query = ticket::Entity::find().filter(condition);
    if filter.order == TicketOrder::SoonestDue {
        query = query.order_by_with_nulls(
            ticket::Column::NextDueAt,
            sea_orm::Order::Asc,
            sea_orm::sea_query::NullOrdering::Last,
        );
    }
    Ok(query
        .order_by_desc(ticket::Column::UpdatedAt)
        .order_by_desc(ticket::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The timeline, newest first; vendor-only entries only for vendor staff.
pub async fn events(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    include_internal: bool,
) -> Result<Vec<TicketEvent>, DbErr> {
    let mut query = event::Entity::find()
        .filter(event::Column::PartnerId.eq(ticket.partner_id))
        .filter(event::Column::TicketId.eq(ticket.id));
    if !include_internal {
        query = query.filter(event::Column::Internal.eq(false));
    }
    query
        .order_by_desc(event::Column::At)
        .order_by_desc(event::Column::Id)
        .all(conn)
        .await
}

/// The clocks of a ticket.
pub async fn clocks(conn: &impl ConnectionTrait, ticket: &Ticket) -> Result<Vec<Clock>, DbErr> {
    sla::clocks_of(conn, ticket.partner_id, OBJECT_TYPE, ticket.id).await
}

async fn clock(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    metric: &str,
) -> Result<Option<Clock>, DbErr> {
    Ok(clocks(conn, ticket)
        .await?
        .into_iter()
        .find(|c| c.metric == metric))
}

/// The ticket as it stands now (inside the caller's transaction).
pub async fn reread(conn: &impl ConnectionTrait, ticket: &Ticket) -> Result<Ticket, DbErr> {
    ticket::Entity::find_by_id(ticket.id)
        .filter(ticket::Column::PartnerId.eq(ticket.partner_id))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(ticket.number.clone()))
}

/// What a ticket's clock measures, in words: "first response", "resolution".
pub fn metric_words(clock: &Clock) -> &'static str {
    if clock.metric == FIRST_RESPONSE {
        "first response"
    } else {
        "resolution"
    }
}

/// The internal timeline entry of a breach: escalated to the queue's lead (if it has one).
pub async fn record_escalation(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    clock: &Clock,
    lead: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let system = Author {
        user_id: None,
        label: "SLA clock".to_owned(),
    };
    record(
        conn,
        ticket,
        &system,
        Change {
            kind: "escalated",
            to: lead.map(|l| l.to_string()).as_deref(),
            note: Some(format!("The {} target passed", metric_words(clock))),
            internal: true,
            ..Change::default()
        },
        at,
    )
    .await
}

/// Someone changed the ticket between reading and writing it.
#[derive(Debug)]
pub struct Stale;

/// Moves the ticket to `to` if it is still as read, and keeps its clocks in step: waiting on
/// the partner pauses the resolution clock, anything else active runs it, resolving or
/// closing stops both.
pub async fn change_status(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    ticket: &Ticket,
    actor: &Author,
    to: Status,
    note: Option<String>,
    at: OffsetDateTime,
) -> Result<Result<Ticket, Stale>, DbErr> {
    let from = status_of(ticket);
    if from == to {
        return Ok(Ok(ticket.clone()));
    }
    let mut update = ticket::Entity::update_many()
        .col_expr(ticket::Column::Status, Expr::value(to.key()))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(at));
    let reopening = !from.is_active() && to.is_active();
    if reopening {
        update = update
            .col_expr(
                ticket::Column::ResolvedAt,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .col_expr(
                ticket::Column::ClosedAt,
                Expr::value(Option::<OffsetDateTime>::None),
            )
            .col_expr(ticket::Column::Reopened, Expr::value(ticket.reopened + 1));
    }
    if to == Status::Resolved || (to == Status::Closed && ticket.resolved_at.is_none()) {
        update = update.col_expr(ticket::Column::ResolvedAt, Expr::value(at));
    }
    if to == Status::Closed {
        update = update.col_expr(ticket::Column::ClosedAt, Expr::value(at));
    }
    let changed = update
        .filter(ticket::Column::Id.eq(ticket.id))
        .filter(ticket::Column::Status.eq(from.key()))
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(Err(Stale));
    }
    let kind = if reopening { "reopened" } else { "status" };
    record(
        conn,
        ticket,
        actor,
        Change {
            kind,
            from: Some(from.key()),
            to: Some(to.key()),
            note,
            internal: false,
        },
        at,
    )
    .await?;
    if let Some(resolution) = clock(conn, ticket, RESOLUTION).await? {
        if !to.is_active() {
            sla::stop(conn, calendar, &resolution, at).await?;
        } else if to.pauses_resolution() {
            sla::pause(conn, calendar, &resolution, at, "Waiting on the partner").await?;
        } else if resolution.state != "running" {
            let why = if reopening {
                "Reopened"
            } else {
                "Back with support"
            };
            let running = sla::resume(conn, calendar, &resolution, at, why).await?;
            sla::schedule(conn, SLA_JOB, &running).await?;
        }
    }
    // Closed (or merged) before support answered: there was no first response to measure.
    if !to.is_active()
        && ticket.first_responded_at.is_none()
        && let Some(first) = clock(conn, ticket, FIRST_RESPONSE).await?
    {
        sla::cancel(conn, calendar, &first, at, "Closed before support answered").await?;
    }
    refresh_next_due(conn, ticket).await?;
    let updated = ticket::Entity::find_by_id(ticket.id)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(ticket.number.clone()))?;
    Ok(Ok(updated))
}

/// The first reply from support: stops the first-response clock (once).
pub async fn responded(
    conn: &impl ConnectionTrait,
    calendar: &Calendar,
    ticket: &Ticket,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    if ticket.first_responded_at.is_some() {
        return Ok(());
    }
    ticket::Entity::update_many()
        .col_expr(ticket::Column::FirstRespondedAt, Expr::value(at))
        .filter(ticket::Column::Id.eq(ticket.id))
        .filter(ticket::Column::FirstRespondedAt.is_null())
        .exec(conn)
        .await?;
    if let Some(first) = clock(conn, ticket, FIRST_RESPONSE).await? {
        sla::stop(conn, calendar, &first, at).await?;
    }
    refresh_next_due(conn, ticket).await
}

/// Keeps the ticket's `next_due_at` in step with its running clocks.
async fn refresh_next_due(conn: &impl ConnectionTrait, ticket: &Ticket) -> Result<(), DbErr> {
    let next = clocks(conn, ticket)
        .await?
        .into_iter()
        .filter(|c| c.state == "running")
        .filter_map(|c| c.due_at)
        .min();
    ticket::Entity::update_many()
        .col_expr(ticket::Column::NextDueAt, Expr::value(next))
        .filter(ticket::Column::Id.eq(ticket.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks the ticket as changed now (a new message), so lists sort it to the top.
pub async fn touch(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    ticket::Entity::update_many()
        .col_expr(ticket::Column::UpdatedAt, Expr::value(at))
        .filter(ticket::Column::Id.eq(ticket.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Gives the ticket to `owner` (or back to the queue), if its owner is still as read.
pub async fn assign(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    actor: &Author,
    owner: Option<(Uuid, String)>,
    at: OffsetDateTime,
) -> Result<Result<(), Stale>, DbErr> {
    let (owner_id, owner_label) = match &owner {
        Some((id, label)) => (Some(*id), Some(label.clone())),
        None => (None, None),
    };
    let current = match ticket.owner_user_id {
        Some(id) => Condition::all().add(ticket::Column::OwnerUserId.eq(id)),
        None => Condition::all().add(ticket::Column::OwnerUserId.is_null()),
    };
    let changed = ticket::Entity::update_many()
        .col_expr(ticket::Column::OwnerUserId, Expr::value(owner_id))
        .col_expr(ticket::Column::OwnerLabel, Expr::value(owner_label.clone()))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(at))
        .filter(ticket::Column::Id.eq(ticket.id))
        .filter(current)
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(Err(Stale));
    }
    record(
        conn,
        ticket,
        actor,
        Change {
            kind: "assigned",
            from: ticket.owner_label.as_deref(),
            to: owner_label.as_deref(),
            ..Change::default()
        },
        at,
    )
    .await?;
    Ok(Ok(()))
}

/// A new priority, if the ticket's priority is still as read.
pub async fn set_priority(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    actor: &Author,
    priority: Priority,
    reason: &str,
    at: OffsetDateTime,
) -> Result<Result<(), Stale>, DbErr> {
    let changed = ticket::Entity::update_many()
        .col_expr(ticket::Column::Priority, Expr::value(priority.key()))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(at))
        .filter(ticket::Column::Id.eq(ticket.id))
        .filter(ticket::Column::Priority.eq(&ticket.priority))
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(Err(Stale));
    }
    record(
        conn,
        ticket,
        actor,
        Change {
            kind: "priority",
            from: Some(&ticket.priority),
            to: Some(priority.key()),
            note: Some(reason.to_owned()),
            internal: false,
        },
        at,
    )
    .await?;
    Ok(Ok(()))
}

/// The partner's rating of the resolution; a later rating replaces the shown one, and both
/// stay on the timeline.
pub async fn rate(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    actor: &Author,
    rating: i32,
    comment: Option<String>,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    ticket::ActiveModel {
        id: Set(ticket.id),
        rating: Set(Some(rating)),
        rating_comment: Set(comment.clone()),
        rated_at: Set(Some(at)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    record(
        conn,
        ticket,
        actor,
        Change {
            kind: "rated",
            to: Some(&rating.to_string()),
            note: comment,
            ..Change::default()
        },
        at,
    )
    .await
}

/// How many of a partner's tickets are still being worked on (those the caller may read).
pub async fn count_active(db: &Db, scope: &Scope, partner_id: Uuid) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    let partners = scope.partners(Permission::TicketsRead)?;
    Ok(ticket::Entity::find()
        .filter(partners.condition(ticket::Column::PartnerId))
        .filter(ticket::Column::PartnerId.eq(partner_id))
        .filter(ticket::Column::Status.is_in(Status::active().map(Status::key)))
        .count(db)
        .await?)
}

/// Every ticket in scope created in `[from, to)`, for the metrics.
pub async fn created_between(
    db: &Db,
    scope: &Scope,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<Ticket>, AppError> {
    let partners = scope.partners(Permission::TicketsRead)?;
    Ok(ticket::Entity::find()
        .filter(partners.condition(ticket::Column::PartnerId))
        .filter(ticket::Column::CreatedAt.gte(from))
        .filter(ticket::Column::CreatedAt.lt(to))
        .all(db)
        .await?)
}

/// The ticket with this number in the caller's scope.
pub async fn find_by_number(
    db: &Db,
    scope: &Scope,
    number: &str,
) -> Result<Option<Ticket>, AppError> {
    let partners = scope.partners(Permission::TicketsRead)?;
    Ok(ticket::Entity::find()
        .filter(partners.condition(ticket::Column::PartnerId))
        .filter(ticket::Column::Number.eq(number.trim().to_uppercase()))
        .one(db)
        .await?)
}

/// Duplicates merged into this ticket.
pub async fn merged_into(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
) -> Result<Vec<Ticket>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::Column::PartnerId.eq(ticket.partner_id))
        .filter(ticket::Column::MergedIntoId.eq(ticket.id))
        .all(conn)
        .await
}

/// Holds `into` as a merge target inside the caller's transaction: refuses when it was merged
/// or left the active statuses since it was read (so two merges can never point at each other).
pub async fn claim_merge_target(
    conn: &impl ConnectionTrait,
    into: &Ticket,
    at: OffsetDateTime,
) -> Result<Result<(), Stale>, DbErr> {
    let changed = ticket::Entity::update_many()
        .col_expr(ticket::Column::UpdatedAt, Expr::value(at))
        .filter(ticket::Column::Id.eq(into.id))
        .filter(ticket::Column::MergedIntoId.is_null())
        .filter(ticket::Column::Status.is_in(Status::active().map(Status::key)))
        .exec(conn)
        .await?;
    Ok(if changed.rows_affected == 1 {
        Ok(())
    } else {
        Err(Stale)
    })
}

/// Marks `duplicate` as merged into `into` (the caller closes it); refuses when it changed.
pub async fn mark_merged(
    conn: &impl ConnectionTrait,
    duplicate: &Ticket,
    into: &Ticket,
) -> Result<Result<(), Stale>, DbErr> {
    let changed = ticket::Entity::update_many()
        .col_expr(ticket::Column::MergedIntoId, Expr::value(into.id))
        .filter(ticket::Column::Id.eq(duplicate.id))
        .filter(ticket::Column::MergedIntoId.is_null())
        .filter(ticket::Column::Status.eq(&duplicate.status))
        .exec(conn)
        .await?;
    Ok(if changed.rows_affected == 1 {
        Ok(())
    } else {
        Err(Stale)
    })
}

pub use super::entity::canned_reply::Model as CannedReply;

pub async fn canned_replies(conn: &impl ConnectionTrait) -> Result<Vec<CannedReply>, DbErr> {
    use super::entity::canned_reply;
    canned_reply::Entity::find()
        .order_by_asc(canned_reply::Column::Title)
        .all(conn)
        .await
}

pub async fn add_canned_reply(
    conn: &impl ConnectionTrait,
    title: &str,
    body: &str,
    author: &Author,
    at: OffsetDateTime,
) -> Result<CannedReply, DbErr> {
    use super::entity::canned_reply;
    canned_reply::ActiveModel {
        id: Set(ids::new_id()),
        title: Set(title.to_owned()),
        body: Set(body.to_owned()),
        created_by: Set(author.user_id),
        created_label: Set(author.label.clone()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await
}

pub async fn remove_canned_reply(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    use super::entity::canned_reply;
    Ok(canned_reply::Entity::delete_by_id(id)
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}
