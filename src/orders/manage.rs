//! Changing orders: a partner creates, submits or withdraws its own; vendor operations confirm,
//! reject, move through fulfilment, block and unblock, and promise dates. Each handler checks the
//! permission first, finds the order through the scope (404 outside it), checks the order's
//! state, then writes the change, its timeline row and its audit row in one transaction.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::discussion::{subject, tell_followers};
use super::model::{self, FieldError, OrderInput, OrderStatus, money};
use super::store::{self, Author, NewOrder, Order, status_of};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::integrations::webhooks;
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::threads;
use crate::platform::time::now;
use crate::platform::web::{Chrome, FormErrors, PageContext, redirect_with_notice, render};

/// Blank rows the new-order form offers beyond what was typed.
const SPARE_ROWS: usize = 3;
const FIRST_ROWS: usize = 6;

/// The person acting, as the timeline names them.
pub(super) fn author(scope: &Scope, context: &PageContext) -> Author {
    context.author(scope)
}

pub(super) fn audit_entry(
    scope: &Scope,
    client: &SocketAddr,
    order: &Order,
    action: &'static str,
    detail: serde_json::Value,
) -> Entry {
    Entry::by(scope, client, action)
        .on("order", &order.number)
        .concerning(order.partner_id)
        .with(detail)
}

pub(super) fn back_to(order: &Order, message: &str) -> Response {
    redirect_with_notice(&format!("/orders/{}", order.id), message)
}

struct ProductHint {
    sku: String,
    name: String,
    product_line: String,
    unit: String,
    min_order_quantity: i32,
    pack_size: i32,
}

struct PartnerChoice {
    id: String,
    name: String,
    selected: bool,
}

struct RowView {
    number: usize,
    sku: String,
    quantity: String,
    discount: String,
}

#[derive(Template)]
#[template(path = "orders/new.html")]
struct NewOrderPage {
    chrome: Chrome,
    form_action: String,
    heading: String,
    input: OrderInput,
    rows: Vec<RowView>,
    errors: Vec<FieldError>,
    currencies: Vec<String>,
    partners: Vec<PartnerChoice>,
    products: Vec<ProductHint>,
}

impl FormErrors for NewOrderPage {
    fn form_errors(&self) -> &[FieldError] {
        &self.errors
    }
}

/// Where the order form sends its answer: a new order, or changes to a draft.
#[derive(Clone, Copy)]
enum FormTarget<'a> {
    New,
    Draft(&'a Order),
}

async fn form_page(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    input: OrderInput,
    (target, partner_id): (FormTarget<'_>, Option<Uuid>),
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let currencies = store::price_list_currencies(&state.db).await?;
    let (form_action, heading) = match target {
        FormTarget::New => ("/orders/new".to_owned(), "New order".to_owned()),
        FormTarget::Draft(order) => (
            format!("/orders/{}/edit", order.id),
            format!("Edit draft order {}", order.number),
        ),
    };
    let partners = if scope.side() == Side::Vendor && matches!(target, FormTarget::New) {
        orgs::list_partners(&state.db, scope, &orgs::PartnerFilter::default())
            .await?
            .into_iter()
            .filter(|p| p.status == "active")
            .map(|p| PartnerChoice {
                selected: Some(p.id) == partner_id,
                id: p.id.to_string(),
                name: p.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let products = store::active_products(&state.db)
        .await?
        .into_iter()
        .map(|p| ProductHint {
            sku: p.sku,
            name: p.name,
            product_line: p.product_line,
            unit: p.unit,
            min_order_quantity: p.min_order_quantity,
            pack_size: p.pack_size,
        })
        .collect();
    let typed = input
        .lines
        .iter()
        .filter(|l| !l.sku.trim().is_empty())
        .count();
    let count = (typed + SPARE_ROWS).clamp(FIRST_ROWS, model::MAX_LINES);
    let rows = (0..count)
        .map(|i| {
            let line = input.lines.get(i).cloned().unwrap_or_default();
            RowView {
                number: i + 1,
                sku: line.sku,
                quantity: line.quantity,
                discount: line.discount,
            }
        })
        .collect();
    let mut input = input;
    if input.currency.is_empty() {
        input.currency = currencies.first().cloned().unwrap_or_default();
    }
    render(&NewOrderPage {
        chrome: Chrome::new(&state.instance, context),
        form_action,
        heading,
        input,
        rows,
        errors,
        currencies,
        partners,
        products,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::OrdersWrite)?;
    form_page(
        &state,
        &context,
        &scope,
        OrderInput::default(),
        (FormTarget::New, None),
        Vec::new(),
    )
    .await
}

/// Saves a new order as a draft, or places it at once (`intent=submit`).
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    body: Bytes,
) -> AppResult<Response> {
    let writable = scope.partners(Permission::OrdersWrite)?;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let submit = field("intent") != "draft";
    let partner_field = field("partner_id");
    let input = OrderInput::from_pairs(pairs.clone());
    let partner_id = if scope.side() == Side::Partner {
        Some(scope.organization_id)
    } else {
        Uuid::parse_str(&partner_field).ok()
    };
    let Some(partner_id) = partner_id.filter(|id| writable.contains(*id)) else {
        let errors = vec![FieldError {
            field: "partner_id".into(),
            message: "Choose the partner this order is for.".into(),
        }];
        return form_page(
            &state,
            &context,
            &scope,
            input,
            (FormTarget::New, None),
            errors,
        )
        .await;
    };
    let author = author(&scope, &context);
    let order = match place(&state, &scope, &author, &client, partner_id, &input, submit).await? {
        Ok(order) => order,
        Err(errors) => {
            let target = (FormTarget::New, Some(partner_id));
            return form_page(&state, &context, &scope, input, target, errors).await;
        }
    };
    let message = if submit {
        format!(
            "Order {} submitted. Operations usually confirm within 1 business day.",
            order.number
        )
    } else {
        format!(
            "Order {} saved as a draft. Submit it when it is complete.",
            order.number
        )
    };
    Ok(back_to(&order, &message))
}

/// A new order from a partner's hands (a page or the API): checked against the partner's terms,
/// then written with its timeline, follower, audit row and webhook event in one transaction.
/// `Err` holds what the checks refused, each against its field; nothing is written then.
pub(super) async fn place(
    state: &AppState,
    scope: &Scope,
    author: &Author,
    client: &SocketAddr,
    partner_id: Uuid,
    input: &OrderInput,
    submit: bool,
) -> AppResult<Result<Order, Vec<FieldError>>> {
    let partner =
        orgs::find_partner_within(&state.db, scope, Permission::OrdersWrite, partner_id).await?;
    let terms = store::terms_for(&state.db, &partner, input.currency.trim()).await?;
    let valid = match model::validate(input, &terms) {
        Ok(valid) => valid,
        Err(errors) => return Ok(Err(errors)),
    };
    let status = if submit {
        OrderStatus::Submitted
    } else {
        OrderStatus::Draft
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let order = store::create_order(
        &txn,
        NewOrder {
            partner: &partner,
            order: &valid,
            status,
            source: "portal",
            source_reference: None,
            ordered_at: now(),
            deal_type: "resale",
        },
        author,
    )
    .await?;
    threads::follow(&txn, &subject(&order), scope.user_id, scope.side()).await?;
    webhooks::tell(
        &txn,
        &order,
        "order.created",
        false,
        json!({ "status": order.status, "lines": valid.lines.len() }),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            scope,
            client,
            &order,
            if submit { "order.submitted" } else { "order.created" },
            json!({ "customer": order.customer_name, "total": money(order.total_minor, &order.currency), "lines": valid.lines.len() }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(order))
}

/// The draft as the form shows it.
fn input_of(order: &Order, lines: &[store::OrderLine]) -> OrderInput {
    OrderInput {
        customer_name: order.customer_name.clone(),
        partner_reference: order.partner_reference.clone().unwrap_or_default(),
        currency: order.currency.clone(),
        ship_to: order.ship_to.clone().unwrap_or_default(),
        lines: lines
            .iter()
            .map(|line| model::LineInput {
                sku: line.sku.clone(),
                quantity: line.quantity.to_string(),
                discount: if line.discount_bp == 0 {
                    String::new()
                } else {
                    model::format_percent(line.discount_bp)
                },
            })
            .collect(),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersWrite).await?;
    if status_of(&order) != OrderStatus::Draft {
        return Ok(back_to(
            &order,
            "Only a draft can be edited; a submitted order changes through operations.",
        ));
    }
    let lines = store::lines(&state.db, &order).await?;
    let input = input_of(&order, &lines);
    form_page(
        &state,
        &context,
        &scope,
        input,
        (FormTarget::Draft(&order), Some(order.partner_id)),
        Vec::new(),
    )
    .await
}

/// Saves changes to a draft (and submits it with `intent=submit`); the timeline records what
/// changed.
pub async fn edit_submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersWrite).await?;
    if status_of(&order) != OrderStatus::Draft {
        return Ok(back_to(
            &order,
            "Only a draft can be edited; a submitted order changes through operations.",
        ));
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let submit = pairs.iter().any(|(n, v)| n == "intent" && v == "submit");
    let input = OrderInput::from_pairs(pairs);
    let partner = orgs::find_partner(&state.db, &scope, order.partner_id).await?;
    let terms = store::terms_for(&state.db, &partner, input.currency.trim()).await?;
    let valid = match model::validate(&input, &terms) {
        Ok(valid) => valid,
        Err(errors) => {
            let target = (FormTarget::Draft(&order), Some(order.partner_id));
            return form_page(&state, &context, &scope, input, target, errors).await;
        }
    };
    let who = author(&scope, &context);
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::revise_draft(&txn, &order, &valid, &who, now()).await? {
        return Ok(back_to(&order, CHANGED_MEANWHILE));
    }
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &order,
            "order.revised",
            json!({ "total": money(valid.total_minor, valid.currency.code()), "lines": valid.lines.len() }),
        ),
    )
    .await?;
    txn.commit().await?;
    if submit {
        let revised = store::find_order(&state.db, &scope, order.id).await?;
        let message = format!(
            "Order {} submitted. Operations usually confirm within 1 business day.",
            order.number
        );
        return move_order(
            &state,
            &scope,
            &context,
            &client,
            &revised,
            OrderStatus::Submitted,
            None,
            "order.submitted",
            message,
        )
        .await;
    }
    Ok(back_to(&order, &format!("Draft {} saved.", order.number)))
}

/// The order behind an action: permission first (403 whatever the order), then the order
/// through the scope (404 outside it).
pub(super) async fn order_for(
    state: &AppState,
    scope: &Scope,
    id: &str,
    permission: Permission,
) -> AppResult<Order> {
    let reach = scope.partners(permission)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let order = store::find_order(&state.db, scope, id).await?;
    if !reach.contains(order.partner_id) {
        // Readable (a parent's view of a sub-partner) but not theirs to change.
        return Err(AppError::Forbidden);
    }
    Ok(order)
}

const CHANGED_MEANWHILE: &str =
    "Someone changed this order while you were looking at it. Check its timeline and try again.";

/// Moves the order to `to` and audits it as `action`; the shared tail of every status change.
#[allow(clippy::too_many_arguments)]
async fn move_order(
    state: &AppState,
    scope: &Scope,
    context: &PageContext,
    client: &SocketAddr,
    order: &Order,
    to: OrderStatus,
    reason: Option<String>,
    action: &'static str,
    message: String,
) -> AppResult<Response> {
    let author = author(scope, context);
    let moved = record_move(state, scope, &author, client, order, (to, reason), action).await?;
    Ok(back_to(
        order,
        if moved { &message } else { CHANGED_MEANWHILE },
    ))
}

/// Writes a status change with its follower, notifications, webhook event and audit row in one
/// transaction; false (and nothing written) when the order is no longer as `order` read it.
pub(super) async fn record_move(
    state: &AppState,
    scope: &Scope,
    author: &Author,
    client: &SocketAddr,
    order: &Order,
    (to, reason): (OrderStatus, Option<String>),
    action: &'static str,
) -> AppResult<bool> {
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let moved = store::change_status(&txn, order, to, reason.clone(), author, now()).await?;
    if !moved {
        return Ok(false);
    }
    threads::follow(&txn, &subject(order), scope.user_id, scope.side()).await?;
    let title = match action {
        "order.rejected" => format!("Order {} was rejected", order.number),
        "order.cancelled" => format!("Order {} was withdrawn", order.number),
        _ => format!(
            "Order {} is now {}",
            order.number,
            to.label().to_lowercase()
        ),
    };
    let body = match &reason {
        Some(reason) => format!("{}: {reason}", author.label),
        None => format!("Changed by {}.", author.label),
    };
    tell_followers(&txn, order, scope.user_id, "order.status", title, body).await?;
    webhooks::tell(
        &txn,
        order,
        "order.status_changed",
        false,
        json!({ "from": order.status, "to": to.key(), "reason": reason }),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            scope,
            client,
            order,
            action,
            json!({ "from": order.status, "to": to.key(), "reason": reason }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// What stops the partner from submitting `order` now, in words.
pub(super) async fn submit_refusal(
    state: &AppState,
    scope: &Scope,
    order: &Order,
) -> AppResult<Option<String>> {
    if status_of(order) != OrderStatus::Draft {
        return Ok(Some(
            "Only a draft can be submitted; this order already was.".to_owned(),
        ));
    }
    let partner =
        orgs::find_partner_within(&state.db, scope, Permission::OrdersWrite, order.partner_id)
            .await?;
    Ok((partner.status != "active").then(|| {
        format!(
            "{} is {} in the program, so it cannot order. Your partner manager can tell you what is needed.",
            partner.name, partner.status
        )
    }))
}

/// What stops a partner withdrawing an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WithdrawalRefusal {
    /// The vendor has confirmed the order: a conflict with its state.
    Confirmed,
    /// No reason given: a fault in the request.
    NoReason,
}

impl WithdrawalRefusal {
    pub(super) fn message(self) -> &'static str {
        match self {
            Self::Confirmed => {
                "The vendor has confirmed this order, so it can no longer be withdrawn. Ask your partner manager or open a support request."
            }
            Self::NoReason => "Say why the order is withdrawn: operations read it in the timeline.",
        }
    }
}

/// The reason a partner withdraws `order` with, or what stops the withdrawal.
pub(super) fn withdrawal(order: &Order, reason: &str) -> Result<String, WithdrawalRefusal> {
    if !status_of(order).partner_may_cancel() {
        return Err(WithdrawalRefusal::Confirmed);
    }
    required_reason(reason).ok_or(WithdrawalRefusal::NoReason)
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersWrite).await?;
    if let Some(refusal) = submit_refusal(&state, &scope, &order).await? {
        return Ok(back_to(&order, &refusal));
    }
    let message = format!(
        "Order {} submitted. Operations usually confirm within 1 business day.",
        order.number
    );
    move_order(
        &state,
        &scope,
        &context,
        &client,
        &order,
        OrderStatus::Submitted,
        None,
        "order.submitted",
        message,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

fn required_reason(reason: &str) -> Option<String> {
    Some(reason.trim().to_owned()).filter(|r| !r.is_empty())
}

pub async fn cancel(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersWrite).await?;
    let reason = match withdrawal(&order, &form.reason) {
        Ok(reason) => reason,
        Err(refusal) => return Ok(back_to(&order, refusal.message())),
    };
    let message = format!("Order {} withdrawn.", order.number);
    move_order(
        &state,
        &scope,
        &context,
        &client,
        &order,
        OrderStatus::Cancelled,
        Some(reason),
        "order.cancelled",
        message,
    )
    .await
}

/// Refuses operations on a blocked order until the block is lifted.
fn blocked_refusal(order: &Order) -> Option<Response> {
    order.blocked_at.is_some().then(|| {
        back_to(
            order,
            "This order is blocked. Lift the block (saying how it was resolved) before moving it on.",
        )
    })
}

pub async fn confirm(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersApprove).await?;
    if status_of(&order) != OrderStatus::Submitted {
        return Ok(back_to(&order, "Only a submitted order can be confirmed."));
    }
    if let Some(refusal) = blocked_refusal(&order) {
        return Ok(refusal);
    }
    let message = format!(
        "Order {} confirmed; the partner sees it at once.",
        order.number
    );
    move_order(
        &state,
        &scope,
        &context,
        &client,
        &order,
        OrderStatus::Confirmed,
        None,
        "order.confirmed",
        message,
    )
    .await
}

pub async fn reject(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersApprove).await?;
    if status_of(&order) != OrderStatus::Submitted {
        return Ok(back_to(&order, "Only a submitted order can be rejected."));
    }
    let Some(reason) = required_reason(&form.reason) else {
        return Ok(back_to(
            &order,
            "Say why the order is rejected: the partner reads the reason on the order.",
        ));
    };
    let message = format!(
        "Order {} rejected; the partner sees your reason.",
        order.number
    );
    move_order(
        &state,
        &scope,
        &context,
        &client,
        &order,
        OrderStatus::Cancelled,
        Some(reason),
        "order.rejected",
        message,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    reason: String,
}

pub async fn advance(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersApprove).await?;
    let current = status_of(&order);
    let Some(to) = OrderStatus::parse(form.status.trim())
        .filter(|to| current.next_for_operations().contains(to))
    else {
        return Ok(back_to(
            &order,
            &format!(
                "An order that is {} cannot move to \"{}\". Choose one of the statuses offered.",
                current.label().to_lowercase(),
                form.status.trim()
            ),
        ));
    };
    if let Some(refusal) = blocked_refusal(&order) {
        return Ok(refusal);
    }
    let reason = required_reason(&form.reason);
    if matches!(to, OrderStatus::Cancelled | OrderStatus::Returned) && reason.is_none() {
        return Ok(back_to(
            &order,
            &format!(
                "Say why the order is {}: the partner reads it in the timeline.",
                to.label().to_lowercase()
            ),
        ));
    }
    let message = format!(
        "Order {} is now {}.",
        order.number,
        to.label().to_lowercase()
    );
    move_order(
        &state,
        &scope,
        &context,
        &client,
        &order,
        to,
        reason,
        "order.status_changed",
        message,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BlockForm {
    reason: String,
    owner: String,
}

pub async fn block(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<BlockForm>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersApprove).await?;
    if order.blocked_at.is_some() {
        return Ok(back_to(&order, "This order is already blocked."));
    }
    if !status_of(&order).is_open() {
        return Ok(back_to(&order, "A closed order cannot be blocked."));
    }
    if status_of(&order) == OrderStatus::Draft {
        return Ok(back_to(
            &order,
            "A draft is still the partner's to finish; block it once it is submitted.",
        ));
    }
    let (Some(reason), Some(owner)) = (required_reason(&form.reason), required_reason(&form.owner))
    else {
        return Ok(back_to(
            &order,
            "Say why the order is blocked and who must act to unblock it: the partner sees both.",
        ));
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::block(
        &txn,
        &order,
        &reason,
        &owner,
        &author(&scope, &context),
        now(),
    )
    .await?
    {
        return Ok(back_to(&order, CHANGED_MEANWHILE));
    }
    threads::follow(&txn, &subject(&order), scope.user_id, scope.side()).await?;
    tell_followers(
        &txn,
        &order,
        scope.user_id,
        "order.blocked",
        format!("Order {} is blocked", order.number),
        format!("{reason} Waiting on: {owner}."),
    )
    .await?;
    webhooks::tell(
        &txn,
        &order,
        "order.blocked",
        false,
        json!({ "reason": reason, "owner": owner }),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &order,
            "order.blocked",
            json!({ "reason": reason, "owner": owner }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &order,
        &format!(
            "Order {} is blocked; the partner sees why and who owns it.",
            order.number
        ),
    ))
}

pub async fn unblock(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersApprove).await?;
    if order.blocked_at.is_none() {
        return Ok(back_to(&order, "This order is not blocked."));
    }
    let Some(resolution) = required_reason(&form.reason) else {
        return Ok(back_to(
            &order,
            "Say how the block was resolved: the partner reads it in the timeline.",
        ));
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::unblock(&txn, &order, &resolution, &author(&scope, &context), now()).await? {
        return Ok(back_to(&order, CHANGED_MEANWHILE));
    }
    tell_followers(
        &txn,
        &order,
        scope.user_id,
        "order.blocked",
        format!("Order {} is no longer blocked", order.number),
        format!("Resolved: {resolution}"),
    )
    .await?;
    webhooks::tell(
        &txn,
        &order,
        "order.unblocked",
        false,
        json!({ "resolution": resolution }),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &order,
            "order.unblocked",
            json!({ "resolution": resolution }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &order,
        &format!("The block on order {} is lifted.", order.number),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PromiseForm {
    date: String,
    reason: String,
}

pub async fn promise(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<PromiseForm>,
) -> AppResult<Response> {
    let order = order_for(&state, &scope, &id, Permission::OrdersApprove).await?;
    if !status_of(&order).is_open() {
        return Ok(back_to(&order, "A closed order gets no delivery promise."));
    }
    let Some(date) = crate::platform::time::parse_day(&form.date) else {
        return Ok(back_to(
            &order,
            "Promised date: use YYYY-MM-DD, e.g. 2026-03-12.",
        ));
    };
    if date < now().date() {
        return Ok(back_to(
            &order,
            "Promised date: choose today or a later day.",
        ));
    }
    let reason = required_reason(&form.reason);
    if order.promised_date.is_some() && reason.is_none() {
        return Ok(back_to(
            &order,
            "Say why the promised date moves: the partner reads it in the timeline.",
        ));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::promise(
        &txn,
        &order,
        date,
        reason.clone(),
        &author(&scope, &context),
        now(),
    )
    .await?
    {
        return Ok(back_to(&order, CHANGED_MEANWHILE));
    }
    audit::record(
        &txn,
        audit_entry(&scope, &client, &order, "order.promised", json!({ "from": order.promised_date.map(|d| d.to_string()), "to": date.to_string(), "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &order,
        &format!("Order {} is promised for {date}.", order.number),
    ))
}
