//! The support API: tickets in the token's scope, their conversation, and new requests from
//! partners. Same rules as the pages: vendor-internal notes only for vendor staff, a reply moves
//! the status and the response clock as it does on the page.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::conversation::{self, Refusal, TicketMessage};
use super::model::{NewTicketForm, Status};
use super::store::{self, Ticket, TicketFilter};
use crate::AppState;
use crate::api_page;
use crate::platform::api::{
    ApiJson, ApiQuery, ApiResult, FieldError, Keyset, PageQuery, Problem, ProblemDocument,
    ThreadMessage, list_filter, moment, next_page, path_id, posted_message, thread_messages,
};
use crate::platform::error::AppError;
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::threads;
use crate::platform::web::PageContext;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiTicket {
    pub id: Uuid,
    /// The readable number, e.g. `TCK-1042`.
    pub number: String,
    pub partner_id: Uuid,
    pub subject: String,
    pub category: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// `new`, `open`, `waiting_on_partner`, `resolved`, `closed` …
    pub status: String,
    pub requester: String,
    /// Who owns it now; absent while unassigned.
    pub owner: Option<String>,
    /// What it is about, e.g. "Order ORD-10423".
    pub about: Option<String>,
    /// The next response or resolution target, while a clock runs.
    #[schema(format = DateTime)]
    pub next_due_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
}

impl From<Ticket> for ApiTicket {
    fn from(t: Ticket) -> ApiTicket {
        ApiTicket {
            id: t.id,
            number: t.number,
            partner_id: t.partner_id,
            subject: t.subject,
            category: t.category,
            priority: t.priority,
            status: t.status,
            requester: t.requester_label,
            owner: t.owner_label,
            about: t.object_label,
            next_due_at: t.next_due_at.map(moment),
            created_at: moment(t.created_at),
            updated_at: moment(t.updated_at),
            resolved_at: t.resolved_at.map(moment),
        }
    }
}

api_page!(TicketPage, ApiTicket);

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListFilter {
    /// Statuses, comma-separated: `new,open`.
    pub status: Option<String>,
    /// One partner's tickets.
    pub partner_id: Option<Uuid>,
    /// A ticket number, or text in the subject.
    pub q: Option<String>,
}

/// The tickets the token may read, most recently changed first.
#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    tag = "support",
    params(TicketListFilter, PageQuery),
    responses(
        (status = 200, description = "A page of tickets", body = TicketPage),
        (status = 403, description = "The token lacks tickets.read", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    scope: Scope,
    ApiQuery(filter): ApiQuery<TicketListFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<TicketPage>> {
    scope.require(Permission::TicketsRead)?;
    let mut errors = Vec::new();
    let statuses = list_filter(
        "status",
        filter.status.as_deref(),
        "a ticket status",
        Status::parse,
        &mut errors,
    );
    let statuses = Problem::unless_any(errors).map(|()| statuses);
    let (statuses, (limit, after)) = Problem::both(
        statuses,
        Problem::both(page.limit(), page.cursor(Keyset::decode)),
    )?;
    let query = TicketFilter {
        statuses,
        partners: filter.partner_id.map(|p| vec![p]),
        text: filter.q.filter(|q| !q.trim().is_empty()),
        changed_before: after.map(|k| (k.moment(), k.id)),
        ..TicketFilter::default()
    };
    let tickets = store::list(&state.db, &scope, &query, limit + 1).await?;
    let (tickets, next_cursor) =
        next_page(tickets, limit, |t| Keyset::at(t.updated_at, t.id).encode());
    Ok(Json(TicketPage {
        items: tickets.into_iter().map(ApiTicket::from).collect(),
        next_cursor,
    }))
}

async fn readable(state: &AppState, scope: &Scope, id: &str) -> ApiResult<Ticket> {
    Ok(store::find(&state.db, scope, path_id(id)?).await?)
}

/// One ticket.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    tag = "support",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = ApiTicket),
        (status = 404, description = "No such ticket in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiTicket>> {
    Ok(Json(readable(&state, &scope, &id).await?.into()))
}

/// A new support request, from a partner for its own organisation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewTicket {
    pub subject: String,
    /// `order`, `commission`, `fund_claim`, `deal`, `asset`, `access`, `other` …
    pub category: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// The first message.
    pub body: String,
}

/// Opens a request for the token's organisation (partner tokens only). Send an
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "support",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once")),
    request_body = NewTicket,
    responses(
        (status = 201, description = "The new ticket", body = ApiTicket),
        (status = 403, description = "Not a partner token with tickets.write", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn open(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    body: Result<ApiJson<NewTicket>, Problem>,
) -> ApiResult<Response> {
    if scope.side() != Side::Partner {
        return Err(Problem::new(
            "forbidden",
            "Requests are opened by partners; vendor staff answer them.",
        ));
    }
    scope.require(Permission::TicketsWrite)?;
    let ApiJson(new) = body?;
    let form = NewTicketForm {
        subject: new.subject,
        category: new.category,
        priority: new.priority,
        body: new.body,
        about: String::new(),
    };
    let valid = form.parse().map_err(|errors| {
        Problem::invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.field, "invalid", e.message))
                .collect(),
        )
    })?;
    let opened = super::actions::open(&state, &scope, &context, &client, valid, None).await?;
    // As stored now, with its clocks started.
    let ticket = store::find(&state.db, &scope, opened.id).await?;
    Ok((StatusCode::CREATED, Json(ApiTicket::from(ticket))).into_response())
}

/// The ticket's conversation, oldest first (internal notes only for vendor staff).
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/messages",
    tag = "support",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The messages", body = Vec<ThreadMessage>),
        (status = 404, description = "No such ticket in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ThreadMessage>>> {
    let ticket = readable(&state, &scope, &id).await?;
    let subject = conversation::subject(&ticket);
    Ok(Json(
        thread_messages(&state.db, &subject, threads::reads_internal(&scope)).await?,
    ))
}

/// A reply or internal note on a ticket.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewTicketMessage {
    pub body: String,
    /// An internal note (vendor staff only).
    #[serde(default)]
    pub internal: bool,
    /// Support only: the status after the reply (`waiting_on_partner`, `resolved` …); absent:
    /// the usual next status.
    pub then: Option<String>,
}

/// Replies on a ticket; the status and response clock move as a reply on the page moves them.
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/messages",
    tag = "support",
    params(
        ("id" = Uuid, Path, description = "The ticket's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once"),
    ),
    request_body = NewTicketMessage,
    responses(
        (status = 201, description = "The message as stored", body = ThreadMessage),
        (status = 403, description = "The token may not write here", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The ticket is closed, or the status asked for cannot follow", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "The body is empty or too long", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn post_message(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    body: Result<ApiJson<NewTicketMessage>, Problem>,
) -> ApiResult<Response> {
    let ticket = readable(&state, &scope, &id).await?;
    if !super::actions::may_write(&scope, &ticket) {
        return Err(AppError::Forbidden.into());
    }
    let ApiJson(new) = body?;
    let then = match new.then.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(key) => Some(Status::parse(key).ok_or_else(|| {
            Problem::field(
                "then",
                "unknown",
                format!("\"{key}\" is not a ticket status"),
            )
        })?),
    };
    let message = TicketMessage {
        body: &new.body,
        internal: new.internal,
        then,
        file: None,
    };
    let added = conversation::add_message(&state, &scope, &context, &client, &ticket, message)
        .await?
        .map_err(|refusal| match refusal {
            Refusal::Body(problem) => Problem::field("body", "invalid", problem),
            Refusal::State(why) => Problem::new("conflict", why),
        })?;
    posted_message(
        &state.db,
        &conversation::subject(&ticket),
        threads::reads_internal(&scope),
        added.message_id,
    )
    .await
}
