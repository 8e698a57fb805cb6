//! The orders API: orders with their lines and history, their documents, and their discussion.
//! Same scope and permissions as the pages; an order outside the token's scope answers 404.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::discussion::{self, OrderMessage};
use super::documents;
use super::model::OrderStatus;
use super::store::{self, Cursor, Order, OrderQuery, Sort};
use crate::AppState;
use crate::api_page;
use crate::platform::api::{
    ApiJson, ApiQuery, ApiResult, FieldError, NewThreadMessage, PageQuery, Problem,
    ProblemDocument, ThreadMessage, moment, path_id, posted_message, thread_messages,
};
use crate::platform::scope::{Permission, Scope};
use crate::platform::threads;
use crate::platform::time::parse_day;
use crate::platform::web::PageContext;

/// An order, as the list and the detail give it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiOrder {
    pub id: Uuid,
    /// The readable number, e.g. `ORD-10423`.
    pub number: String,
    pub partner_id: Uuid,
    pub customer_name: String,
    pub partner_reference: Option<String>,
    /// `draft`, `submitted`, `confirmed`, `in_production`, `shipped`, `delivered`, `invoiced`,
    /// `paid`, `cancelled` or `rejected`.
    pub status: String,
    pub payment_status: String,
    /// Why the order is held, while it is.
    pub blocked_reason: Option<String>,
    pub currency: String,
    /// The total in minor units of `currency` (cents).
    pub total_minor: i64,
    /// `resale`, `registered_deal` or `referral`.
    pub deal_type: String,
    #[schema(format = DateTime)]
    pub ordered_at: String,
    #[schema(format = Date)]
    pub promised_date: Option<String>,
    /// Where the order came from: `portal`, `erp`, `import` …
    pub source: String,
    pub source_reference: Option<String>,
    /// When the source system last confirmed this order.
    #[schema(format = DateTime)]
    pub synced_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Order> for ApiOrder {
    fn from(order: Order) -> ApiOrder {
        ApiOrder {
            id: order.id,
            number: order.number,
            partner_id: order.partner_id,
            customer_name: order.customer_name,
            partner_reference: order.partner_reference,
            status: order.status,
            payment_status: order.payment_status,
            blocked_reason: order.blocked_reason,
            currency: order.currency,
            total_minor: order.total_minor,
            deal_type: order.deal_type,
            ordered_at: moment(order.ordered_at),
            promised_date: order.promised_date.map(|d| d.to_string()),
            source: order.source,
            source_reference: order.source_reference,
            synced_at: order.synced_at.map(moment),
            updated_at: moment(order.updated_at),
        }
    }
}

api_page!(OrderPage, ApiOrder);

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiOrderLine {
    pub position: i32,
    pub sku: String,
    pub product_name: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    /// Discount in basis points (1250 = 12.50 %).
    pub discount_bp: i32,
    pub total_minor: i64,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiOrderEvent {
    #[schema(format = DateTime)]
    pub at: String,
    /// Who made the change.
    pub actor: String,
    /// `created`, `status`, `blocked`, `unblocked`, `promised` …
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

/// One order with its lines and its history.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiOrderDetail {
    #[serde(flatten)]
    pub order: ApiOrder,
    pub lines: Vec<ApiOrderLine>,
    pub history: Vec<ApiOrderEvent>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiDocument {
    pub id: Uuid,
    /// `invoice`, `delivery_note`, `order_confirmation`, `other` …
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    /// Statuses, comma-separated: `submitted,confirmed`.
    pub status: Option<String>,
    /// Only held (`true`) or only unheld (`false`) orders.
    pub blocked: Option<bool>,
    /// One partner's orders.
    pub partner_id: Option<Uuid>,
    /// Ordered on or after this day (`YYYY-MM-DD`).
    pub ordered_from: Option<String>,
    /// Ordered on or before this day.
    pub ordered_to: Option<String>,
    /// Order number, customer, or either reference contains this.
    pub q: Option<String>,
}

impl OrderFilter {
    fn query(&self) -> ApiResult<OrderQuery> {
        let mut errors = Vec::new();
        let mut statuses = Vec::new();
        for key in self.status.as_deref().unwrap_or_default().split(',') {
            let key = key.trim();
            match OrderStatus::parse(key) {
                Some(status) => statuses.push(status),
                None if key.is_empty() => {}
                None => errors.push(FieldError::new(
                    "status",
                    "unknown",
                    format!("\"{key}\" is not an order status"),
                )),
            }
        }
        let mut day = |field: &str, text: &Option<String>| match text.as_deref() {
            None | Some("") => None,
            Some(text) => {
                let day = parse_day(text);
                if day.is_none() {
                    errors.push(FieldError::new(
                        field,
                        "not_a_date",
                        "must be a day written YYYY-MM-DD",
                    ));
                }
                day
            }
        };
        let (from, to) = (
            day("ordered_from", &self.ordered_from),
            day("ordered_to", &self.ordered_to),
        );
        if !errors.is_empty() {
            return Err(Problem::invalid(errors));
        }
        Ok(OrderQuery {
            statuses,
            blocked: self.blocked,
            from,
            to,
            customer: String::new(),
            text: self.q.clone().unwrap_or_default(),
            partner: self.partner_id,
            sort: Some(Sort::Newest),
            after: None,
        })
    }
}

/// The orders the token may read, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "orders",
    params(OrderFilter, PageQuery),
    responses(
        (status = 200, description = "A page of orders", body = OrderPage),
        (status = 403, description = "The token lacks orders.read", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    scope: Scope,
    ApiQuery(filter): ApiQuery<OrderFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<OrderPage>> {
    scope.require(Permission::OrdersRead)?;
    let (mut query, (limit, after)) = Problem::both(
        filter.query(),
        Problem::both(page.limit(), page.cursor(Cursor::decode)),
    )?;
    query.after = after;
    let (orders, next) = store::list_orders(&state.db, &scope, &query, limit).await?;
    Ok(Json(OrderPage {
        items: orders.into_iter().map(ApiOrder::from).collect(),
        next_cursor: next.map(Cursor::encode),
    }))
}

async fn readable(state: &AppState, scope: &Scope, id: &str) -> ApiResult<Order> {
    scope.require(Permission::OrdersRead)?;
    Ok(store::find_order(&state.db, scope, path_id(id)?).await?)
}

/// One order, with its lines and the history of its changes.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = ApiOrderDetail),
        (status = 404, description = "No such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiOrderDetail>> {
    let order = readable(&state, &scope, &id).await?;
    let lines = store::lines(&state.db, &order).await?;
    let history = store::timeline(&state.db, &order).await?;
    Ok(Json(ApiOrderDetail {
        lines: lines
            .into_iter()
            .map(|l| ApiOrderLine {
                position: l.position,
                sku: l.sku,
                product_name: l.product_name,
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
                discount_bp: l.discount_bp,
                total_minor: l.total_minor,
            })
            .collect(),
        history: history
            .into_iter()
            .map(|e| ApiOrderEvent {
                at: moment(e.at),
                actor: e.actor_label,
                kind: e.kind,
                from: e.from_value,
                to: e.to_value,
                reason: e.reason,
            })
            .collect(),
        order: order.into(),
    }))
}

/// The order's documents: invoices, delivery notes, confirmations.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/documents",
    tag = "orders",
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The documents, oldest first", body = Vec<ApiDocument>),
        (status = 404, description = "No such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn documents(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ApiDocument>>> {
    let order = readable(&state, &scope, &id).await?;
    Ok(Json(
        store::documents(&state.db, &order)
            .await?
            .into_iter()
            .map(|d| ApiDocument {
                id: d.id,
                kind: d.kind,
                file_name: d.file_name,
                content_type: d.content_type,
                size_bytes: d.size_bytes,
                sha256: d.sha256,
                uploaded_at: moment(d.uploaded_at),
            })
            .collect(),
    ))
}

/// A document's file. Downloads are audited.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/documents/{document_id}",
    tag = "orders",
    params(
        ("id" = Uuid, Path, description = "The order's id"),
        ("document_id" = Uuid, Path, description = "The document's id"),
    ),
    responses(
        (status = 200, description = "The file, with its content type, length and SHA-256 as a strong ETag", content_type = "application/octet-stream"),
        (status = 206, description = "The part a `Range` header asked for", content_type = "application/octet-stream"),
        (status = 404, description = "No such document in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn document_content(
    state: State<AppState>,
    client: ConnectInfo<SocketAddr>,
    scope: Scope,
    ids: Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    Ok(documents::download(state, client, scope, ids, headers).await?)
}

/// The order's discussion, oldest first (internal notes only for vendor staff).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/messages",
    tag = "orders",
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The messages", body = Vec<ThreadMessage>),
        (status = 404, description = "No such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ThreadMessage>>> {
    let order = readable(&state, &scope, &id).await?;
    let subject = discussion::subject(&order);
    Ok(Json(
        thread_messages(&state.db, &subject, discussion::sees_internal(&scope)).await?,
    ))
}

/// Adds a message to the order's discussion; followers and mentioned people are told.
/// Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/messages",
    tag = "orders",
    params(
        ("id" = Uuid, Path, description = "The order's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once"),
    ),
    request_body = NewThreadMessage,
    responses(
        (status = 201, description = "The message as stored", body = ThreadMessage),
        (status = 403, description = "The token may not write here", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "The body is empty or too long", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn post_message(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewThreadMessage>,
) -> ApiResult<Response> {
    let order = readable(&state, &scope, &id).await?;
    let body = threads::check_body(&new.body)
        .map_err(|problem| Problem::field("body", "invalid", problem))?;
    let added = discussion::add_message(
        &state,
        &scope,
        &context,
        &client,
        &order,
        OrderMessage {
            body,
            internal: new.internal,
            file: None,
        },
    )
    .await?;
    posted_message(
        &state.db,
        &discussion::subject(&order),
        discussion::sees_internal(&scope),
        added.message_id,
    )
    .await
}
