//! Integration pages: webhook subscriptions with their delivery log (`/integrations/webhooks`),
//! and the integration status page (`/integrations`) for vendor admins and operations: webhooks,
//! recent failed deliveries, and dead-lettered jobs.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::sync;
use super::webhooks::{self, EVENT_TYPES, NewSubscription, Subscription};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::orders::sync::{SyncOrderInput, lines_text};
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};
use crate::platform::jobs;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::{format_moment, now};
use crate::platform::web::{Chrome, Notice, PageContext, redirect_with_notice, render};

const LIST: &str = "/integrations/webhooks";
const CONFLICTS: &str = "/integrations/conflicts";
const STATUS: &str = "/integrations";

struct SubscriptionRow {
    id: Uuid,
    url: String,
    organization: String,
    events: Vec<String>,
    state: String,
    tone: &'static str,
    last_success: String,
    last_failure: String,
}

fn tone(state: &str) -> &'static str {
    match state {
        "active" | "delivered" => "green",
        "retrying" | "pending" => "amber",
        "failed" | "disabled" => "red",
        _ => "grey",
    }
}

fn when(at: Option<time::OffsetDateTime>) -> String {
    at.map_or_else(|| "never".to_owned(), format_moment)
}

async fn rows(state: &AppState, found: Vec<Subscription>) -> AppResult<Vec<SubscriptionRow>> {
    let organisations: Vec<Uuid> = found.iter().map(|s| s.organization_id).collect();
    let names = crate::orgs::store::names_of(&state.db, &organisations).await?;
    Ok(found
        .into_iter()
        .map(|s| SubscriptionRow {
            id: s.id,
            organization: names.get(&s.organization_id).cloned().unwrap_or_default(),
            events: s
                .event_types
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            tone: tone(&s.state),
            last_success: when(s.last_success_at),
            last_failure: when(s.last_failure_at),
            state: s.state,
            url: s.url,
        })
        .collect())
}

struct EventChoice {
    key: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "integrations/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    flash: Option<String>,
    problems: Vec<String>,
    url: String,
    choices: Vec<EventChoice>,
    rows: Vec<SubscriptionRow>,
}

async fn webhooks_page(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    flash: Option<String>,
    form: (&str, &[&str]),
    problems: Vec<String>,
) -> AppResult<Response> {
    let found = webhooks::subscriptions(&state.db, scope).await?;
    render(&WebhooksPage {
        chrome: Chrome::new(&state.instance, context),
        flash,
        problems,
        url: form.0.to_owned(),
        choices: EVENT_TYPES
            .iter()
            .map(|(key, description)| EventChoice {
                key,
                description,
                checked: form.1.contains(key),
            })
            .collect(),
        rows: rows(state, found).await?,
    })
}

/// `GET /integrations/webhooks`.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    webhooks_page(&state, &context, &scope, notice.done, ("", &[]), Vec::new()).await
}

/// `POST /integrations/webhooks`: a new subscription, for the caller's organisation.
pub async fn subscribe(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    scope.require(Permission::IntegrationsManage)?;
    let url = fields
        .iter()
        .find(|(k, _)| k == "url")
        .map_or("", |(_, v)| v.as_str());
    let events: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "event")
        .map(|(_, v)| v.as_str())
        .collect();
    let new = match NewSubscription::parse(url, &events) {
        Ok(new) => new,
        Err(problems) => {
            return webhooks_page(&state, &context, &scope, None, (url, &events), problems).await;
        }
    };
    let txn = begin_write(&state.db).await?;
    let made = webhooks::subscribe(&txn, &scope, &new).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "webhook.subscribed")
            .on("webhook_subscription", made.id)
            .with(json!({ "url": made.url, "events": made.event_types })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("{LIST}/{}", made.id),
        "Subscribed. Configure the receiver with the signing secret below.",
    ))
}

struct AttemptRow {
    at: String,
    status: String,
    error: String,
    duration_ms: i32,
}

struct DeliveryRow {
    id: Uuid,
    event_type: String,
    event_id: Uuid,
    created: String,
    state: String,
    tone: &'static str,
    attempts: Vec<AttemptRow>,
    payload: String,
}

#[derive(Template)]
#[template(path = "integrations/webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    flash: Option<String>,
    row: SubscriptionRow,
    secret: String,
    /// When the rotated-out secret stops signing, while it still does.
    previous_until: Option<String>,
    disabled_reason: Option<String>,
    active: bool,
    deliveries: Vec<DeliveryRow>,
}

fn subscription_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

/// `GET /integrations/webhooks/{id}`: the subscription, its secret and its delivery log.
pub async fn detail(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let found = webhooks::find(&state.db, &scope, subscription_id(&id)?).await?;
    let deliveries = webhooks::deliveries(&state.db, &found, 50).await?;
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts: BTreeMap<Uuid, Vec<AttemptRow>> = BTreeMap::new();
    for a in webhooks::attempts_of(&state.db, &ids).await? {
        attempts.entry(a.delivery_id).or_default().push(AttemptRow {
            at: format_moment(a.at),
            status: a
                .status_code
                .map_or_else(|| "no answer".to_owned(), |c| c.to_string()),
            error: a.error.unwrap_or_default(),
            duration_ms: a.duration_ms,
        });
    }
    let previous_until = found
        .previous_secret_until
        .filter(|until| *until > now())
        .map(format_moment);
    let (secret, disabled_reason, active) = (
        found.secret.clone(),
        found.disabled_reason.clone(),
        found.state == "active",
    );
    let row = rows(&state, vec![found])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    render(&WebhookPage {
        chrome: Chrome::new(&state.instance, &context),
        flash: notice.done,
        row,
        secret,
        previous_until,
        disabled_reason,
        active,
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryRow {
                id: d.id,
                attempts: attempts.remove(&d.id).unwrap_or_default(),
                event_type: d.event_type,
                event_id: d.event_id,
                created: format_moment(d.created_at),
                tone: tone(&d.state),
                state: d.state,
                payload: d.payload,
            })
            .collect(),
    })
}

/// `POST /integrations/webhooks/{id}/enable` and `…/disable`.
async fn switch(
    state: &AppState,
    scope: &Scope,
    client: &SocketAddr,
    id: &str,
    active: bool,
) -> AppResult<Response> {
    let found = webhooks::find(&state.db, scope, subscription_id(id)?).await?;
    let txn = begin_write(&state.db).await?;
    let reason = (!active).then(|| format!("Disabled by hand on {}.", format_moment(now())));
    webhooks::set_active(&txn, &found, active, reason).await?;
    audit::record(
        &txn,
        Entry::by(
            scope,
            client,
            if active {
                "webhook.enabled"
            } else {
                "webhook.disabled"
            },
        )
        .on("webhook_subscription", found.id)
        .with(json!({ "url": found.url })),
    )
    .await?;
    txn.commit().await?;
    let message = if active {
        "Enabled: new events are delivered again. Send missed ones again from the log."
    } else {
        "Disabled: no events are delivered until it is enabled."
    };
    Ok(redirect_with_notice(
        &format!("{LIST}/{}", found.id),
        message,
    ))
}

pub async fn enable(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    switch(&state, &scope, &client, &id, true).await
}

pub async fn disable(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    switch(&state, &scope, &client, &id, false).await
}

/// `POST /integrations/webhooks/{id}/rotate`: a new signing secret, the old one overlapping.
pub async fn rotate(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let found = webhooks::find(&state.db, &scope, subscription_id(&id)?).await?;
    let at = now();
    let txn = begin_write(&state.db).await?;
    let rotated = webhooks::rotate_secret(&txn, &found, at).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "webhook.secret_rotated")
            .on("webhook_subscription", found.id)
            .with(json!({ "url": found.url, "previous_signs_until": rotated.previous_secret_until.map(format_moment) })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("{LIST}/{}", found.id),
        "New secret made. Put it in your receiver today: the previous one stops signing in 24 hours.",
    ))
}

/// `POST /integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver`.
pub async fn redeliver(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, delivery_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let found = webhooks::find(&state.db, &scope, subscription_id(&id)?).await?;
    let delivery_id = Uuid::parse_str(&delivery_id).map_err(|_| AppError::NotFound)?;
    let txn = begin_write(&state.db).await?;
    let delivery = webhooks::redeliver(&txn, &found, delivery_id).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "webhook.redelivered")
            .on("webhook_delivery", delivery.id)
            .with(json!({ "event": delivery.event_type, "url": found.url })),
    )
    .await?;
    txn.commit().await?;
    let message = if found.state == "active" {
        format!(
            "The {} event is queued to be sent again.",
            delivery.event_type
        )
    } else {
        format!(
            "The {} event is queued, but goes out only once the subscription is enabled.",
            delivery.event_type
        )
    };
    Ok(redirect_with_notice(
        &format!("{LIST}/{}", found.id),
        &message,
    ))
}

struct FailureRow {
    subscription_id: Uuid,
    url: String,
    event_type: String,
    created: String,
    state: String,
    attempts: i32,
    last: String,
}

struct DeadJobRow {
    kind: String,
    attempts: i32,
    error: String,
    finished: String,
}

struct SourceRow {
    id: Uuid,
    minutes: i32,
    name: String,
    key: String,
    last_success: String,
    stale: bool,
    stale_after: String,
    last_error: String,
    counts: String,
}

#[derive(Template)]
#[template(path = "integrations/status.html")]
struct StatusPage {
    chrome: Chrome,
    flash: Option<String>,
    /// May rename sources and set their thresholds.
    can_manage: bool,
    sources: Vec<SourceRow>,
    open_conflicts: u64,
    subscriptions: Vec<SubscriptionRow>,
    failures: Vec<FailureRow>,
    queue: Vec<(String, i64)>,
    dead: Vec<DeadJobRow>,
}

/// `GET /integrations`: what flows in and out, and what failed.
pub async fn status(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    scope.require(Permission::IntegrationsRead)?;
    let all = webhooks::all_subscriptions(&state.db).await?;
    let urls: BTreeMap<Uuid, String> = all.iter().map(|s| (s.id, s.url.clone())).collect();
    let failures = webhooks::recent_failures(&state.db, 20)
        .await?
        .into_iter()
        .map(|d| FailureRow {
            subscription_id: d.subscription_id,
            url: urls.get(&d.subscription_id).cloned().unwrap_or_default(),
            event_type: d.event_type,
            created: format_moment(d.created_at),
            state: d.state,
            attempts: d.attempts,
            last: d.last_error.unwrap_or_default(),
        })
        .collect();
    let dead = jobs::dead(&state.db, 20)
        .await?
        .into_iter()
        .map(|j| DeadJobRow {
            kind: j.kind,
            attempts: j.attempts,
            error: j.last_error.unwrap_or_default(),
            finished: j.finished_at.map(format_moment).unwrap_or_default(),
        })
        .collect();
    let at = now();
    let sources = sync::sources(&state.db)
        .await?
        .into_iter()
        .map(|s| SourceRow {
            stale: sync::is_stale(&s, at),
            last_success: s.last_success_at.map_or_else(
                || "never".to_owned(),
                |last| crate::platform::time::ago(last, at),
            ),
            stale_after: format!("{} min", s.stale_after_minutes),
            id: s.id,
            minutes: s.stale_after_minutes,
            last_error: match (s.last_error_at, s.last_error) {
                (Some(when), Some(error)) => format!("{} ({})", error, format_moment(when)),
                _ => "none".to_owned(),
            },
            counts: format!(
                "{} received · {} created · {} updated · {} unchanged · {} conflicts · {} invalid",
                s.received, s.created, s.updated, s.unchanged, s.conflicts, s.invalid
            ),
            name: s.name,
            key: s.key,
        })
        .collect();
    // Auditors read the status page but decide no conflicts.
    let open_conflicts = if scope.can(Permission::OrdersApprove) {
        sync::count_open_conflicts(&state.db, &scope).await?
    } else {
        0
    };
    render(&StatusPage {
        chrome: Chrome::new(&state.instance, &context),
        flash: notice.done,
        can_manage: scope.can(Permission::IntegrationsManage),
        sources,
        open_conflicts,
        subscriptions: rows(&state, all).await?,
        failures,
        queue: jobs::counts(&state.db).await?,
        dead,
    })
}

/// A conflict's two versions side by side, field by field.
struct FieldPair {
    field: &'static str,
    portal: String,
    incoming: String,
    differs: bool,
}

struct ConflictRow {
    id: Uuid,
    order_id: Uuid,
    order_number: String,
    partner: String,
    external_reference: String,
    source: String,
    created: String,
    fields: Vec<FieldPair>,
}

#[derive(Template)]
#[template(path = "integrations/conflicts.html")]
struct ConflictsPage {
    chrome: Chrome,
    flash: Option<String>,
    conflicts: Vec<ConflictRow>,
}

fn field_pairs(conflict: &sync::Conflict) -> Vec<FieldPair> {
    let portal: serde_json::Value =
        serde_json::from_str(&conflict.portal_version).unwrap_or_default();
    let incoming: serde_json::Value =
        serde_json::from_str(&conflict.incoming_version).unwrap_or_default();
    let shown = |value: &serde_json::Value| match value {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    // The incoming record's lines, in the words the portal's version keeps them in.
    let incoming_lines = serde_json::from_str::<SyncOrderInput>(&conflict.incoming_version)
        .map(|record| {
            lines_text(
                &record.currency,
                record.lines.iter().map(|l| {
                    (
                        l.sku.as_str(),
                        l.quantity,
                        l.unit_price_minor,
                        l.discount_bp,
                    )
                }),
            )
        })
        .unwrap_or_default();
    let mut fields = vec![
        ("status", "Status"),
        ("payment_status", "Payment"),
        ("promised_date", "Promised date"),
        ("customer_name", "Customer"),
        ("partner_reference", "Partner reference"),
    ];
    // Conflicts filed before lines were synced kept no portal lines to compare.
    if portal["lines"].is_string() {
        fields.push(("lines", "Lines"));
    }
    fields
        .into_iter()
        .map(|(key, field)| {
            let (portal, incoming) = match key {
                "lines" => (shown(&portal[key]), incoming_lines.clone()),
                _ => (shown(&portal[key]), shown(&incoming[key])),
            };
            // A field the source left out keeps the portal's value.
            let incoming = if incoming == "—" && key == "payment_status" {
                portal.clone()
            } else {
                incoming
            };
            FieldPair {
                field,
                differs: portal != incoming,
                portal,
                incoming,
            }
        })
        .collect()
}

/// `GET /integrations/conflicts`: synced updates that met a change made in the portal.
pub async fn conflicts(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let open = sync::open_conflicts(&state.db, &scope, 200).await?;
    let mut by_partner: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for c in &open {
        by_partner.entry(c.partner_id).or_default().push(c.order_id);
    }
    let mut numbers = BTreeMap::new();
    for (partner, orders) in &by_partner {
        numbers.extend(crate::orders::store::numbers_of(&state.db, *partner, orders).await?);
    }
    let partners: Vec<Uuid> = by_partner.keys().copied().collect();
    let names = crate::orgs::store::names_of(&state.db, &partners).await?;
    let sources: BTreeMap<Uuid, String> = sync::sources(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    render(&ConflictsPage {
        chrome: Chrome::new(&state.instance, &context),
        flash: notice.done,
        conflicts: open
            .into_iter()
            .map(|c| ConflictRow {
                id: c.id,
                order_id: c.order_id,
                order_number: numbers.get(&c.order_id).cloned().unwrap_or_default(),
                partner: names.get(&c.partner_id).cloned().unwrap_or_default(),
                source: sources.get(&c.source_id).cloned().unwrap_or_default(),
                created: format_moment(c.created_at),
                fields: field_pairs(&c),
                external_reference: c.external_reference,
            })
            .collect(),
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ResolutionForm {
    choice: String,
}

/// `POST /integrations/conflicts/{id}/resolve`: apply the source's version or keep the portal's.
pub async fn resolve(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<ResolutionForm>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let found = sync::find_conflict(&state.db, &scope, id).await?;
    let resolution = match form.choice.as_str() {
        "source" => sync::Resolution::ApplySource,
        "portal" => sync::Resolution::KeepPortal,
        _ => {
            return Ok(redirect_with_notice(
                CONFLICTS,
                "Nothing was changed: choose the source's version or the portal's.",
            ));
        }
    };
    if found.state != "open" {
        return Ok(redirect_with_notice(
            CONFLICTS,
            "Someone settled this conflict already.",
        ));
    }
    let number = sync::resolve(&state.db, &scope, &client, &found, resolution).await?;
    let message = match resolution {
        sync::Resolution::ApplySource => {
            format!("Order {number} now has the source's version, on its timeline.")
        }
        sync::Resolution::KeepPortal => format!(
            "Order {number} keeps the portal's version; the source's next update is applied as usual, so correct it there."
        ),
    };
    Ok(redirect_with_notice(CONFLICTS, &message))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SourceForm {
    name: String,
    stale_after_minutes: String,
}

/// `POST /integrations/sources/{id}`: a source's name and how long it may go without syncing
/// before its data is shown as overdue.
pub async fn edit_source(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<SourceForm>,
) -> AppResult<Response> {
    scope.require(Permission::IntegrationsManage)?;
    // Sources are the vendor's: to a partner's administrator there is no such thing.
    if scope.side() != crate::platform::scope::Side::Vendor {
        return Err(AppError::NotFound);
    }
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let name = form.name.trim();
    let minutes = form.stale_after_minutes.trim().parse::<i32>().ok();
    let (false, Some(minutes @ 1..=43_200)) =
        (name.is_empty() || name.chars().count() > 80, minutes)
    else {
        return Ok(redirect_with_notice(
            STATUS,
            "Nothing was changed: give the source a name (at most 80 characters) and a number of minutes from 1 to 43200 (30 days).",
        ));
    };
    let txn = begin_write(&state.db).await?;
    let source = sync::rename(&txn, id, name, minutes).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "sync.source_changed")
            .on("sync_source", &source.key)
            .with(json!({ "name": name, "stale_after_minutes": minutes })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        STATUS,
        &format!("{name} is expected to sync at least every {minutes} minutes."),
    ))
}
