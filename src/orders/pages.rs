//! The order list (filters, sort, keyset pages, CSV/XLSX export of exactly what is filtered)
//! and the order page (summary, lines, documents, actions, timeline).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use super::discussion;
use super::model::{OrderStatus, PaymentStatus, format_percent, money, source_label};
use super::store::{self, Order, OrderEvent, OrderQuery, Sort, status_of};
use crate::AppState;
use crate::orgs::store as orgs;
use crate::platform::api::Keyset;
use crate::platform::error::{AppError, AppResult};
use crate::platform::export::{self, Cell, ExportFormat, Sheet};
use crate::platform::money::{Currency, Money};
use crate::platform::scope::{Partners, Permission, Scope, Side};
use crate::platform::threads::MessageView;
use crate::platform::time::{format_date, parse_form_day};
use crate::platform::web::{
    Choice, Chrome, Notice, PageContext, TimelineEntry, choices, redirect_with_notice, render,
};

const PAGE_SIZE: u64 = 50;
/// Exports larger than this are refused with a request to narrow the filters.
const EXPORT_LIMIT: u64 = 100_000;

/// The filter bar as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListParams {
    q: String,
    status: String,
    blocked: String,
    from: String,
    to: String,
    customer: String,
    partner: String,
    sort: String,
    after: String,
    done: Option<String>,
}

impl ListParams {
    fn is_filtered(&self) -> bool {
        [
            &self.q,
            &self.status,
            &self.blocked,
            &self.from,
            &self.to,
            &self.customer,
            &self.partner,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    /// The query string of this filter, for the next page and the export links.
    fn query_string(&self, after: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("status", &self.status),
            ("blocked", &self.blocked),
            ("from", &self.from),
            ("to", &self.to),
            ("customer", &self.customer),
            ("partner", &self.partner),
            ("sort", &self.sort),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(name, value.trim());
            }
        }
        if let Some(after) = after {
            query.append_pair("after", after);
        }
        query.finish()
    }

    /// The checked query, or what is wrong with the filters.
    fn parse(&self) -> Result<OrderQuery, Vec<String>> {
        let mut errors = Vec::new();
        let statuses = match self.status.trim() {
            "" => Vec::new(),
            "open" => OrderStatus::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .collect(),
            key => match OrderStatus::parse(key) {
                Some(status) => vec![status],
                None => {
                    errors.push("Status: choose one from the list.".to_owned());
                    Vec::new()
                }
            },
        };
        let blocked = match self.blocked.trim() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push("Blocked: choose one from the list.".to_owned());
                None
            }
        };
        let from = parse_form_day(&self.from, "From", &mut errors);
        let to = parse_form_day(&self.to, "To", &mut errors);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.push("To: the end date is before the start date.".to_owned());
        }
        let partner = match self.partner.trim() {
            "" => None,
            text => match Uuid::parse_str(text) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push("Partner: choose one from the list.".to_owned());
                    None
                }
            },
        };
        let after = match self.after.trim() {
            "" => None,
            text => match Keyset::decode(text) {
                Some(cursor) => Some(cursor),
                None => {
                    errors.push(
                        "This page link is damaged; start again from the first page.".to_owned(),
                    );
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(OrderQuery {
            statuses,
            blocked,
            from,
            to,
            customer: self.customer.trim().to_owned(),
            text: self.q.trim().to_owned(),
            partner,
            sort: Some(Sort::parse(self.sort.trim())),
            after,
        })
    }
}

/// The order at `/orders/{id}` for a reader: the permission first (403 whatever the order), then
/// the order through the scope (404 outside it, or for an id that is no id).
pub(super) async fn readable_order(state: &AppState, scope: &Scope, id: &str) -> AppResult<Order> {
    scope.require(Permission::OrdersRead)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    store::find_order(&state.db, scope, id).await
}

fn payment_label(key: &str) -> &'static str {
    PaymentStatus::parse(key).map_or("Unknown", PaymentStatus::label)
}

fn date_label(date: Option<Date>) -> String {
    date.map(|d| format_date(d.midnight().assume_utc()))
        .unwrap_or_default()
}

pub struct OrderRow {
    id: Uuid,
    number: String,
    customer: String,
    reference: String,
    partner: String,
    status: &'static str,
    tone: &'static str,
    blocked: bool,
    ordered: String,
    ordered_exact: String,
    promised: String,
    total: String,
    payment: &'static str,
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct ListPage {
    chrome: Chrome,
    params: ListParams,
    rows: Vec<OrderRow>,
    errors: Vec<String>,
    show_partner: bool,
    statuses: Vec<Choice>,
    blocked: Vec<Choice>,
    sorts: Vec<Choice>,
    partners: Vec<Choice>,
    chosen_partner: Option<String>,
    can_create: bool,
    filtered: bool,
    next_page: Option<String>,
    export_query: String,
    flash: Option<String>,
}

/// Whether the caller reaches more than one organisation's orders, so rows name their partner.
fn reaches_several(partners: &Partners) -> bool {
    !matches!(partners, Partners::Only(set) if set.len() == 1)
}

pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let reach = scope.partners(Permission::OrdersRead)?;
    let (orders, next, errors) = match params.parse() {
        Ok(query) => {
            let (orders, next) = store::list_orders(&state.db, &scope, &query, PAGE_SIZE).await?;
            (orders, next, Vec::new())
        }
        Err(errors) => (Vec::new(), None, errors),
    };
    let show_partner = reaches_several(&reach);
    let partner_ids: Vec<Uuid> = orders.iter().map(|o| o.partner_id).collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let rows = orders
        .iter()
        .map(|order| {
            let status = status_of(order);
            OrderRow {
                id: order.id,
                number: order.number.clone(),
                customer: order.customer_name.clone(),
                reference: order.partner_reference.clone().unwrap_or_default(),
                partner: names.get(&order.partner_id).cloned().unwrap_or_default(),
                status: status.label(),
                tone: status.tone(),
                blocked: order.blocked_at.is_some(),
                ordered: format_date(order.ordered_at),
                ordered_exact: order.ordered_at.to_string(),
                promised: date_label(order.promised_date),
                total: money(order.total_minor, &order.currency),
                payment: payment_label(&order.payment_status),
            }
        })
        .collect();
    // Vendor staff pick a partner from a list while it is short enough to read; beyond that
    // they come from the partner's page ("Orders" there) with the partner already chosen.
    let (partners, chosen_partner) = if scope.side() == Side::Vendor {
        let pick = orgs::partner_pick(&state.db, &scope, &params.partner).await;
        let options = pick
            .options
            .into_iter()
            .map(|(id, name)| (id.to_string(), name));
        (choices(options, &params.partner), pick.chosen)
    } else {
        (Vec::new(), None)
    };
    let statuses = choices(
        std::iter::once((
            "open".to_owned(),
            "Open (not paid, cancelled or returned)".to_owned(),
        ))
        .chain(
            OrderStatus::ALL
                .into_iter()
                .map(|s| (s.key().to_owned(), s.label().to_owned())),
        ),
        &params.status,
    );
    let blocked = choices(
        [
            ("yes".to_owned(), "Blocked only".to_owned()),
            ("no".to_owned(), "Not blocked".to_owned()),
        ],
        &params.blocked,
    );
    let sorts = choices(
        Sort::ALL
            .into_iter()
            .map(|s| (s.key().to_owned(), s.label().to_owned())),
        &params.sort,
    );
    let next_page =
        next.map(|cursor| format!("/orders?{}", params.query_string(Some(&cursor.encode()))));
    render(&ListPage {
        chrome: Chrome::new(&state.instance, &context),
        export_query: params.query_string(None),
        filtered: params.is_filtered(),
        flash: params.done.clone(),
        params,
        rows,
        errors,
        show_partner,
        statuses,
        blocked,
        sorts,
        partners,
        chosen_partner,
        can_create: scope.can(Permission::OrdersWrite),
        next_page,
    })
}

/// `/orders/export/csv` or `/orders/export/xlsx`: every order the filters match, in the list's
/// sort order.
pub async fn export(
    State(state): State<AppState>,
    scope: Scope,
    Path(format): Path<String>,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    scope.require(Permission::OrdersRead)?;
    let format = ExportFormat::parse(&format).ok_or(AppError::NotFound)?;
    let Ok(mut query) = params.parse() else {
        return Ok(redirect_with_notice(
            &format!("/orders?{}", params.query_string(None)),
            "The filters have a mistake; correct them before exporting.",
        ));
    };
    query.after = None;
    let (orders, more) = {
        let mut all = Vec::new();
        loop {
            let (page, next) = store::list_orders(&state.db, &scope, &query, 5_000).await?;
            all.extend(page);
            match next {
                Some(cursor) if (all.len() as u64) < EXPORT_LIMIT => query.after = Some(cursor),
                Some(_) => break (all, true),
                None => break (all, false),
            }
        }
    };
    if more {
        return Ok(redirect_with_notice(
            &format!("/orders?{}", params.query_string(None)),
            &format!(
                "An export holds at most {EXPORT_LIMIT} orders and these filters match more. \
                 Narrow them, for example to a date range, and export again."
            ),
        ));
    }
    let partner_ids: Vec<Uuid> = orders.iter().map(|o| o.partner_id).collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let date =
        |d: Option<time::OffsetDateTime>| d.map(|d| d.date().to_string()).unwrap_or_default();
    let rows = orders
        .iter()
        .map(|order| {
            let total = match Currency::parse(&order.currency) {
                Ok(currency) => Cell::Amount(Money::new(order.total_minor, currency)),
                Err(_) => Cell::Integer(order.total_minor),
            };
            vec![
                Cell::Text(order.number.clone()),
                Cell::Text(names.get(&order.partner_id).cloned().unwrap_or_default()),
                Cell::Text(order.customer_name.clone()),
                Cell::Text(order.partner_reference.clone().unwrap_or_default()),
                Cell::Text(status_of(order).label().to_owned()),
                Cell::Text(
                    if order.blocked_at.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_owned(),
                ),
                Cell::Text(order.blocked_reason.clone().unwrap_or_default()),
                Cell::Text(order.ordered_at.date().to_string()),
                Cell::Text(
                    order
                        .promised_date
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                ),
                Cell::Text(date(order.shipped_at)),
                Cell::Text(date(order.delivered_at)),
                Cell::Text(payment_label(&order.payment_status).to_owned()),
                Cell::Text(order.currency.clone()),
                total,
                Cell::Text(order.source.clone()),
                Cell::Text(order.source_reference.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: "Orders",
        headings: vec![
            "Order",
            "Partner",
            "Customer",
            "Partner reference",
            "Status",
            "Blocked",
            "Blocked because",
            "Ordered",
            "Promised",
            "Shipped",
            "Delivered",
            "Payment",
            "Currency",
            "Total",
            "Source",
            "Source reference",
        ],
        rows,
    };
    export::download(&sheet, format, "orders")
}

pub struct LineView {
    sku: String,
    name: String,
    quantity: i32,
    unit_price: String,
    discount: String,
    total: String,
}

pub struct DocumentView {
    id: Uuid,
    kind: String,
    file_name: String,
    size: String,
    uploaded_by: String,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "orders/detail.html")]
struct DetailPage {
    chrome: Chrome,
    order: Order,
    partner_name: String,
    status: OrderStatus,
    payment: &'static str,
    source: String,
    synced: String,
    /// Open orders fed from another system whose last sync is over a day old.
    sync_stale: bool,
    ordered: String,
    promised: String,
    shipped: String,
    delivered: String,
    blocked_since: String,
    total: String,
    lines: Vec<LineView>,
    documents: Vec<DocumentView>,
    timeline: Vec<TimelineEntry>,
    flash: Option<String>,
    can_submit: bool,
    can_cancel: bool,
    can_operate: bool,
    can_upload: bool,
    next_statuses: Vec<OrderStatus>,
    document_kinds: &'static [&'static str],
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

fn file_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// One timeline row in plain words.
fn describe(event: &OrderEvent) -> String {
    let status = |key: &Option<String>| {
        key.as_deref()
            .and_then(OrderStatus::parse)
            .map_or("unknown", OrderStatus::label)
    };
    let payment = |key: &Option<String>| key.as_deref().map_or("unknown", payment_label);
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    match event.kind.as_str() {
        "created" => match event.to_value.as_deref() {
            Some("draft") => "Started the order as a draft".to_owned(),
            _ => format!("Placed the order ({})", status(&event.to_value)),
        },
        "status" => format!(
            "Status: {} → {}",
            status(&event.from_value),
            status(&event.to_value)
        ),
        "rejected" => "Rejected the order".to_owned(),
        "payment" => format!(
            "Payment: {} → {}",
            payment(&event.from_value),
            payment(&event.to_value)
        ),
        "blocked" => format!("Blocked the order · waiting on {}", text(&event.to_value)),
        "unblocked" => format!("Lifted the block (it was: {})", text(&event.from_value)),
        "promised_date" => {
            let day = |value: &Option<String>| {
                value
                    .as_deref()
                    .and_then(crate::platform::time::parse_day)
                    .map_or_else(|| text(value), |d| date_label(Some(d)))
            };
            match &event.from_value {
                Some(_) => format!(
                    "Promised delivery date: {} → {}",
                    day(&event.from_value),
                    day(&event.to_value)
                ),
                None => format!("Promised delivery for {}", day(&event.to_value)),
            }
        }
        "document" => format!("Added a document: {}", text(&event.to_value)),
        "lines" => format!(
            "Lines changed: {} → {}",
            text(&event.from_value),
            text(&event.to_value)
        ),
        "customer" => format!(
            "End customer: {} → {}",
            text(&event.from_value),
            text(&event.to_value)
        ),
        other => other.replace('_', " "),
    }
}

pub const DOCUMENT_KINDS: &[&str] = &[
    "invoice",
    "delivery note",
    "order confirmation",
    "purchase order",
    "credit note",
    "other",
];

pub async fn detail(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let order = readable_order(&state, &scope, &id).await?;
    let lines = store::lines(&state.db, &order).await?;
    let documents = store::documents(&state.db, &order).await?;
    let timeline = store::timeline(&state.db, &order).await?;
    let names = orgs::names_of(&state.db, &[order.partner_id]).await?;
    let status = status_of(&order);
    let writes_for_partner = scope
        .partners(Permission::OrdersWrite)
        .is_ok_and(|p| p.contains(order.partner_id));
    let can_operate = scope.can(Permission::OrdersApprove);
    let stamp = |at: Option<time::OffsetDateTime>| at.map(format_date).unwrap_or_default();
    let feed = if order.source == "portal" {
        None
    } else {
        crate::integrations::sync::status_of(&state.db, &order.source).await?
    };
    let page = DetailPage {
        chrome: Chrome::new(&state.instance, &context),
        partner_name: names.get(&order.partner_id).cloned().unwrap_or_default(),
        status,
        payment: payment_label(&order.payment_status),
        source: feed.as_ref().map_or_else(
            || source_label(&order.source).to_owned(),
            |f| format!("from {}", f.name),
        ),
        synced: order
            .synced_at
            .map(|at| crate::platform::time::ago(at, crate::platform::time::now()))
            .unwrap_or_default(),
        // Honest data status: the source has not synced within its threshold.
        sync_stale: status.is_open() && feed.as_ref().is_some_and(|f| f.stale),
        ordered: format_date(order.ordered_at),
        promised: date_label(order.promised_date),
        shipped: stamp(order.shipped_at),
        delivered: stamp(order.delivered_at),
        blocked_since: stamp(order.blocked_at),
        total: money(order.total_minor, &order.currency),
        lines: lines
            .iter()
            .map(|line| LineView {
                sku: line.sku.clone(),
                name: line.product_name.clone(),
                quantity: line.quantity,
                unit_price: money(line.unit_price_minor, &order.currency),
                discount: if line.discount_bp == 0 {
                    String::new()
                } else {
                    format!("{} %", format_percent(line.discount_bp))
                },
                total: money(line.total_minor, &order.currency),
            })
            .collect(),
        documents: documents
            .iter()
            .map(|d| DocumentView {
                id: d.id,
                kind: d.kind.clone(),
                file_name: d.file_name.clone(),
                size: file_size(d.size_bytes),
                uploaded_by: d.uploaded_label.clone(),
                uploaded: format_date(d.uploaded_at),
            })
            .collect(),
        timeline: timeline
            .iter()
            .map(|event| {
                TimelineEntry::new(
                    &event.actor_label,
                    event.at,
                    describe(event),
                    event.reason.as_deref(),
                )
            })
            .collect(),
        flash: notice.done,
        can_submit: writes_for_partner && status == OrderStatus::Draft,
        can_cancel: writes_for_partner && status.partner_may_cancel(),
        can_operate,
        can_upload: writes_for_partner || can_operate,
        next_statuses: status.next_for_operations().to_vec(),
        document_kinds: DOCUMENT_KINDS,
        messages: discussion::messages(&state.db, &scope, &order).await?,
        can_post: discussion::may_post(&scope, &order),
        can_post_internal: discussion::sees_internal(&scope)
            && discussion::may_post(&scope, &order),
        can_attach: true,
        thread_object: "order",
        thread_action: format!("/orders/{}/messages", order.id),
        reply_statuses: Vec::new(),
        draft: String::new(),
        ask_support: crate::support::ask_about(&scope, "order", order.id, order.partner_id),
        attachment_base: format!("/orders/{}/attachments", order.id),
        order,
    };
    render(&page)
}
