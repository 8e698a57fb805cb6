//! The orders API: orders with their lines and history, their documents, and their discussion.
//! Same scope and permissions as the pages; an order outside the token's scope answers 404.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::discussion::{self, OrderMessage};
use super::documents;
use super::manage::{self, WithdrawalRefusal};
use super::model::{LineInput, OrderInput, OrderStatus, format_percent};
use super::store::{self, Order, OrderQuery, Sort};
use crate::AppState;
use crate::api_page;
use crate::platform::api::{
    ApiJson, ApiQuery, ApiResult, FieldError, Keyset, NewThreadMessage, PageQuery, Problem,
    ProblemDocument, ThreadMessage, list_filter, moment, path_id, posted_message, thread_messages,
};
use crate::platform::scope::{Permission, Scope, Side};
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
    /// `invoice`, `delivery note`, `order confirmation`, `purchase order`, `credit note` or
    /// `other`.
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
}

impl From<store::OrderDocument> for ApiDocument {
    fn from(d: store::OrderDocument) -> ApiDocument {
        ApiDocument {
            id: d.id,
            kind: d.kind,
            file_name: d.file_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            uploaded_at: moment(d.uploaded_at),
        }
    }
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
        let statuses = list_filter(
            "status",
            self.status.as_deref(),
            "an order status",
            OrderStatus::parse,
            &mut errors,
        );
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
        Problem::unless_any(errors)?;
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
        Problem::both(page.limit(), page.cursor(Keyset::decode)),
    )?;
    query.after = after;
    let (orders, next) = store::list_orders(&state.db, &scope, &query, limit).await?;
    Ok(Json(OrderPage {
        items: orders.into_iter().map(ApiOrder::from).collect(),
        next_cursor: next.map(Keyset::encode),
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
    Ok(Json(detail(&state, order).await?))
}

async fn detail(state: &AppState, order: Order) -> ApiResult<ApiOrderDetail> {
    let lines = store::lines(&state.db, &order).await?;
    let history = store::timeline(&state.db, &order).await?;
    Ok(ApiOrderDetail {
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
    })
}

/// A new order, as a partner's system sends it. Prices come from the partner's price list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewApiOrder {
    /// Whose order. A partner's token orders for its own organisation and may leave it out;
    /// vendor staff must name the partner.
    pub partner_id: Option<Uuid>,
    pub customer_name: String,
    /// The partner's own reference (their purchase order number), at most 60 characters.
    pub partner_reference: Option<String>,
    pub ship_to: Option<String>,
    /// ISO 4217; the partner needs a price list in it.
    pub currency: String,
    /// `true` places the order at once; `false` (the default) saves a draft.
    #[serde(default)]
    pub submit: bool,
    pub lines: Vec<NewApiOrderLine>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewApiOrderLine {
    pub sku: String,
    pub quantity: i32,
    /// Line discount in basis points (1250 = 12.50 %), within the price list's limit; 0 when absent.
    #[serde(default)]
    pub discount_bp: i32,
}

impl NewApiOrder {
    /// The order as the page's form would have it; `Err` for what only the API can get wrong.
    fn input(&self) -> ApiResult<OrderInput> {
        let mut errors = Vec::new();
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                if !(0..=10_000).contains(&line.discount_bp) {
                    errors.push(FieldError::new(
                        &format!("lines[{i}].discount_bp"),
                        "out_of_range",
                        "must be between 0 and 10000 basis points",
                    ));
                }
                LineInput {
                    sku: line.sku.clone(),
                    quantity: line.quantity.to_string(),
                    discount: format_percent(line.discount_bp),
                }
            })
            .collect();
        Problem::unless_any(errors)?;
        Ok(OrderInput {
            customer_name: self.customer_name.clone(),
            partner_reference: self.partner_reference.clone().unwrap_or_default(),
            currency: self.currency.clone(),
            ship_to: self.ship_to.clone().unwrap_or_default(),
            lines,
        })
    }
}

/// The form's field ids (`sku-3`) as the request names them (`lines[2].sku`).
fn api_field(form_field: &str) -> String {
    let Some((name, row)) = form_field.rsplit_once('-') else {
        return form_field.to_owned();
    };
    let (Some(name), Ok(row)) = (
        match name {
            "sku" => Some("sku"),
            "quantity" => Some("quantity"),
            "discount" => Some("discount_bp"),
            _ => None,
        },
        row.parse::<usize>(),
    ) else {
        return form_field.to_owned();
    };
    format!("lines[{}].{name}", row.saturating_sub(1))
}

/// Creates an order for the partner, as a draft or submitted at once, checked by the same rules
/// as the order form. Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once")),
    request_body = NewApiOrder,
    responses(
        (status = 201, description = "The order as stored", body = ApiOrderDetail),
        (status = 403, description = "The token lacks orders.write", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "The order breaks a rule; each fault against its field", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    ApiJson(new): ApiJson<NewApiOrder>,
) -> ApiResult<Response> {
    let writable = scope.partners(Permission::OrdersWrite)?;
    let input = new.input()?;
    let partner_id = match (new.partner_id, scope.side()) {
        (Some(id), _) => id,
        (None, Side::Partner) => scope.organization_id,
        (None, Side::Vendor) => {
            return Err(Problem::field(
                "partner_id",
                "required",
                "name the partner the order is for",
            ));
        }
    };
    if !writable.contains(partner_id) {
        return Err(Problem::field(
            "partner_id",
            "not_writable",
            "this token may not order for that partner",
        ));
    }
    let author = context.author(&scope);
    let placed = manage::place(
        &state, &scope, &author, &client, partner_id, &input, new.submit,
    )
    .await?;
    let order = placed.map_err(|errors| {
        Problem::invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(&api_field(&e.field), "invalid", e.message))
                .collect(),
        )
    })?;
    Ok((StatusCode::CREATED, Json(detail(&state, order).await?)).into_response())
}

/// Submits a draft to the vendor.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/submit",
    tag = "orders",
    params(
        ("id" = Uuid, Path, description = "The order's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once"),
    ),
    responses(
        (status = 200, description = "The order, submitted", body = ApiOrderDetail),
        (status = 403, description = "The token may not change this order", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The order is not a draft, or its partner may not order", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiOrderDetail>> {
    let order = manage::order_for(&state, &scope, &id, Permission::OrdersWrite).await?;
    if let Some(refusal) = manage::submit_refusal(&state, &scope, &order).await? {
        return Err(Problem::new("conflict", refusal));
    }
    let to = (OrderStatus::Submitted, None);
    moved(
        &state,
        &scope,
        &context,
        &client,
        order,
        to,
        "order.submitted",
    )
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Withdrawal {
    /// Required: why the order is withdrawn; operations read it in the timeline.
    pub reason: String,
}

/// Withdraws an order the vendor has not confirmed yet.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/withdraw",
    tag = "orders",
    params(
        ("id" = Uuid, Path, description = "The order's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once"),
    ),
    request_body = Withdrawal,
    responses(
        (status = 200, description = "The order, withdrawn", body = ApiOrderDetail),
        (status = 403, description = "The token may not change this order", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The vendor has confirmed the order", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "No reason given", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    ApiJson(withdrawal): ApiJson<Withdrawal>,
) -> ApiResult<Json<ApiOrderDetail>> {
    let order = manage::order_for(&state, &scope, &id, Permission::OrdersWrite).await?;
    let reason =
        manage::withdrawal(&order, &withdrawal.reason).map_err(|refusal| match refusal {
            WithdrawalRefusal::Confirmed => Problem::new("conflict", refusal.message()),
            WithdrawalRefusal::NoReason => Problem::field("reason", "required", refusal.message()),
        })?;
    let to = (OrderStatus::Cancelled, Some(reason));
    moved(
        &state,
        &scope,
        &context,
        &client,
        order,
        to,
        "order.cancelled",
    )
    .await
}

/// Records a status change and answers with the order as it now is.
async fn moved(
    state: &AppState,
    scope: &Scope,
    context: &PageContext,
    client: &SocketAddr,
    order: Order,
    to: (OrderStatus, Option<String>),
    action: &'static str,
) -> ApiResult<Json<ApiOrderDetail>> {
    let author = context.author(scope);
    if !manage::record_move(state, scope, &author, client, &order, to, action).await? {
        return Err(Problem::new(
            "conflict",
            "Someone changed this order meanwhile; read it again and retry.",
        ));
    }
    let order = store::find_order(&state.db, scope, order.id).await?;
    Ok(Json(detail(state, order).await?))
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
            .map(ApiDocument::from)
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
