//! Outbound webhooks: subscriptions per event type, and the delivery of each event through the
//! job queue.
//!
//! Rules: an event is written as one delivery per matching subscription in the transaction of the
//! change that caused it, so a rolled-back change sends nothing. A vendor subscription hears of
//! every partner; a partner's hears only of its own organisation and never of internal notes.
//! Each request carries `Portico-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! with the subscription's secret, so receivers can check origin and refuse replays. A failed
//! attempt is retried with the job queue's backoff; a delivery that fails its last attempt with
//! no success to the subscription since it was made disables the subscription and tells its
//! organisation's integration managers. Any delivery can be sent again by hand.

use std::time::{Duration as StdDuration, Instant};

use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::notify::{self, Event};
use crate::platform::api::moment;
use crate::platform::db::{Db, begin_write};
use crate::platform::error::{AppError, AppResult};
use crate::platform::ids::{new_id, random_token};
use crate::platform::jobs::{self, JobContext, MAX_ATTEMPTS};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::time::now;
use time::OffsetDateTime;

/// The job that sends one delivery.
pub const DELIVER_JOB: &str = "webhook.deliver";
/// How long a receiver has to answer.
const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Answers kept in the log are cut to this many characters.
const KEPT_ANSWER: usize = 500;

/// Every event a subscription can ask for.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    (
        "order.created",
        "A partner creates an order in the portal or through the API (a draft or submitted)",
    ),
    ("order.status_changed", "An order moves to another status"),
    (
        "order.blocked",
        "An order is blocked, with the reason and who must act",
    ),
    ("order.unblocked", "An order's block is resolved"),
    (
        "thread.message_created",
        "A message is added to a discussion (an order's, a ticket's)",
    ),
    (
        "ticket.status_changed",
        "A support ticket is opened or changes status",
    ),
];

pub mod entity {
    pub mod subscription {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhook_subscription")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            /// The vendor's organisation (hears of every partner) or a partner's (only its own).
            pub organization_id: Uuid,
            pub created_by: Uuid,
            pub url: String,
            /// Signs every request; shown to the subscription's managers.
            pub secret: String,
            /// The secret before the last rotation: it signs beside `secret` until
            /// `previous_secret_until`, so receivers switch without missing a delivery.
            pub previous_secret: Option<String>,
            pub previous_secret_until: Option<TimeDateTimeWithTimeZone>,
            /// Event types, space-separated.
            pub event_types: String,
            /// `active` or `disabled`.
            pub state: String,
            pub disabled_reason: Option<String>,
            pub last_success_at: Option<TimeDateTimeWithTimeZone>,
            pub last_failure_at: Option<TimeDateTimeWithTimeZone>,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod delivery {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhook_delivery")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub subscription_id: Uuid,
            /// The same for every subscription's copy of one event.
            pub event_id: Uuid,
            pub event_type: String,
            pub partner_id: Option<Uuid>,
            /// The JSON body sent.
            pub payload: String,
            /// `pending`, `retrying`, `delivered`, `failed` (gave up) or `cancelled`.
            pub state: String,
            pub attempts: i32,
            pub last_status: Option<i32>,
            pub last_error: Option<String>,
            pub created_at: TimeDateTimeWithTimeZone,
            pub delivered_at: Option<TimeDateTimeWithTimeZone>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod attempt {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhook_attempt")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub delivery_id: Uuid,
            pub at: TimeDateTimeWithTimeZone,
            /// The receiver's HTTP status; `None` when no answer came.
            pub status_code: Option<i32>,
            pub error: Option<String>,
            pub duration_ms: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{attempt, delivery, subscription};

pub use attempt::Model as Attempt;
pub use delivery::Model as Delivery;
pub use subscription::Model as Subscription;

/// Something that happened, for subscribers.
pub struct OutboundEvent {
    pub kind: &'static str,
    pub partner_id: Uuid,
    /// Internal notes and the like: vendor subscriptions only.
    pub vendor_only: bool,
    pub data: Value,
}

/// Queues the event for every active subscription that asked for it and may hear of its
/// partner; call it inside the transaction of the change.
pub async fn emit(conn: &impl ConnectionTrait, event: OutboundEvent) -> Result<(), DbErr> {
    let subscriptions = subscription::Entity::find()
        .filter(subscription::Column::State.eq("active"))
        .all(conn)
        .await?;
    let listening: Vec<Subscription> = subscriptions
        .into_iter()
        .filter(|s| s.event_types.split_whitespace().any(|t| t == event.kind))
        .collect();
    if listening.is_empty() {
        return Ok(());
    }
    let vendors = vendor_organisations(conn).await?;
    let event_id = new_id();
    let created_at = now();
    let payload = json!({
        "id": event_id,
        "type": event.kind,
        "created_at": moment(created_at),
        "partner_id": event.partner_id,
        "data": event.data,
    })
    .to_string();
    for subscription in listening {
        let vendor = vendors.contains(&subscription.organization_id);
        let may_hear = if vendor {
            true
        } else {
            !event.vendor_only && subscription.organization_id == event.partner_id
        };
        if !may_hear {
            continue;
        }
        let id = new_id();
        delivery::ActiveModel {
            id: Set(id),
            subscription_id: Set(subscription.id),
            event_id: Set(event_id),
            event_type: Set(event.kind.to_owned()),
            partner_id: Set(Some(event.partner_id)),
            payload: Set(payload.clone()),
            state: Set("pending".to_owned()),
            attempts: Set(0),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(created_at),
            delivered_at: Set(None),
        }
        .insert(conn)
        .await?;
        jobs::enqueue(conn, DELIVER_JOB, json!({ "delivery": id })).await?;
    }
    Ok(())
}

/// What an event can be about: the name its reference goes under in `data` (`order`), whose it
/// is, and the reference itself (`{"id": …, "number": …}`).
pub trait EventSubject {
    fn event_reference(&self) -> (&'static str, Uuid, Value);
}

/// Tells subscribers of a change to `about` (after the change, in its transaction): [`emit`] with
/// `data` holding the object's reference beside the event's details.
pub async fn tell(
    conn: &impl ConnectionTrait,
    about: &impl EventSubject,
    kind: &'static str,
    vendor_only: bool,
    details: Value,
) -> Result<(), DbErr> {
    let (name, partner_id, reference) = about.event_reference();
    let mut data = serde_json::Map::new();
    data.insert(name.to_owned(), reference);
    if let Value::Object(details) = details {
        data.extend(details);
    }
    emit(
        conn,
        OutboundEvent {
            kind,
            partner_id,
            vendor_only,
            data: Value::Object(data),
        },
    )
    .await
}

async fn vendor_organisations(conn: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    use crate::orgs::entity::organization;
    organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(organization::Column::Kind.eq("vendor"))
        .into_tuple()
        .all(conn)
        .await
}

type HmacSha256 = Hmac<Sha256>;

/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, with one `v1` per secret (the
/// current one first); a receiver accepts a request when any `v1` matches a secret it holds.
pub fn signature(secrets: &[&str], timestamp: i64, body: &str) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let mut mac =
            HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(format!("{timestamp}.{body}").as_bytes());
        let digest: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        header.push_str(",v1=");
        header.push_str(&digest);
    }
    header
}

/// The secrets that sign at `at`: the current one, and the previous one while it overlaps.
pub fn signing_secrets(subscription: &Subscription, at: OffsetDateTime) -> Vec<&str> {
    let mut secrets = vec![subscription.secret.as_str()];
    if let (Some(previous), Some(until)) = (
        &subscription.previous_secret,
        subscription.previous_secret_until,
    ) && at < until
    {
        secrets.push(previous);
    }
    secrets
}

/// How long a rotated-out secret keeps signing.
pub const ROTATION_OVERLAP: time::Duration = time::Duration::hours(24);

/// Gives the subscription a new secret; the old one signs beside it for [`ROTATION_OVERLAP`].
/// Rotating again while an overlap runs keeps the secret receivers had before it (the one
/// made moments ago is the one no receiver can hold yet).
pub async fn rotate_secret(
    conn: &impl ConnectionTrait,
    subscription: &Subscription,
    at: OffsetDateTime,
) -> Result<Subscription, DbErr> {
    let overlapping = subscription
        .previous_secret_until
        .is_some_and(|until| at < until)
        && subscription.previous_secret.is_some();
    let (previous, until) = if overlapping {
        (
            subscription.previous_secret.clone(),
            subscription.previous_secret_until,
        )
    } else {
        (
            Some(subscription.secret.clone()),
            Some(at + ROTATION_OVERLAP),
        )
    };
    subscription::ActiveModel {
        id: Set(subscription.id),
        secret: Set(format!("whsec_{}", random_token())),
        previous_secret: Set(previous),
        previous_secret_until: Set(until),
        ..Default::default()
    }
    .update(conn)
    .await
}

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        // reqwest brings no TLS crypto of its own here: ring, as the rest of the binary uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Portico-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds")
    })
}

/// One attempt's outcome.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    duration_ms: i32,
}

async fn send(subscription: &Subscription, delivery: &Delivery) -> Outcome {
    let started = Instant::now();
    let at = now();
    let timestamp = at.unix_timestamp();
    let sent = client()
        .post(&subscription.url)
        .header("content-type", "application/json")
        .header("portico-event", &delivery.event_type)
        .header("portico-delivery", delivery.id.to_string())
        .header(
            "portico-signature",
            signature(
                &signing_secrets(subscription, at),
                timestamp,
                &delivery.payload,
            ),
        )
        .body(delivery.payload.clone())
        .send()
        .await;
    let (status, error) = match sent {
        Ok(response) => {
            let status = response.status();
            let answer = response.text().await.unwrap_or_default();
            let error = (!status.is_success()).then(|| {
                let kept: String = answer.chars().take(KEPT_ANSWER).collect();
                format!("HTTP {status}: {kept}")
            });
            (Some(status.as_u16()), error)
        }
        Err(error) => (None, Some(format!("{error}"))),
    };
    Outcome {
        status,
        error,
        duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
    }
}

/// The `webhook.deliver` job: one attempt at one delivery.
pub async fn deliver(context: JobContext, payload: Value) -> anyhow::Result<()> {
    let id: Uuid = serde_json::from_value(payload["delivery"].clone())?;
    let db = &context.db;
    let Some(found) = delivery::Entity::find_by_id(id).one(db).await? else {
        return Ok(());
    };
    if matches!(found.state.as_str(), "delivered" | "failed" | "cancelled") {
        return Ok(());
    }
    let Some(subscription) = subscription::Entity::find_by_id(found.subscription_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if subscription.state != "active" {
        set_state(db, found.id, "cancelled").await?;
        return Ok(());
    }
    let outcome = send(&subscription, &found).await;
    let at = now();
    let attempts = found.attempts + 1;
    let txn = begin_write(db).await?;
    attempt::ActiveModel {
        id: Set(new_id()),
        delivery_id: Set(found.id),
        at: Set(at),
        status_code: Set(outcome.status.map(i32::from)),
        error: Set(outcome.error.clone()),
        duration_ms: Set(outcome.duration_ms),
    }
    .insert(&txn)
    .await?;
    let mut update = delivery::ActiveModel {
        id: Set(found.id),
        attempts: Set(attempts),
        last_status: Set(outcome.status.map(i32::from)),
        last_error: Set(outcome.error.clone()),
        ..Default::default()
    };
    let mut subscription_update = subscription::ActiveModel {
        id: Set(subscription.id),
        ..Default::default()
    };
    let Some(error) = outcome.error else {
        update.state = Set("delivered".to_owned());
        update.delivered_at = Set(Some(at));
        update.update(&txn).await?;
        subscription_update.last_success_at = Set(Some(at));
        subscription_update.update(&txn).await?;
        txn.commit().await?;
        return Ok(());
    };
    subscription_update.last_failure_at = Set(Some(at));
    let gave_up = attempts >= MAX_ATTEMPTS;
    update.state = Set(if gave_up { "failed" } else { "retrying" }.to_owned());
    update.update(&txn).await?;
    subscription_update.update(&txn).await?;
    let nothing_since = subscription
        .last_success_at
        .is_none_or(|success| success < found.created_at);
    if gave_up && nothing_since {
        disable(&txn, &subscription, &found, &error).await?;
    }
    txn.commit().await?;
    if gave_up {
        // Bookkept as failed: the job itself is done.
        return Ok(());
    }
    anyhow::bail!("webhook delivery {id} failed: {error}")
}

async fn set_state(conn: &impl ConnectionTrait, id: Uuid, state: &str) -> Result<(), DbErr> {
    delivery::ActiveModel {
        id: Set(id),
        state: Set(state.to_owned()),
        ..Default::default()
    }
    .update(conn)
    .await
    .map(|_| ())
}

/// Persistent failure: the subscription stops, and its managers hear why.
async fn disable(
    conn: &impl ConnectionTrait,
    subscription: &Subscription,
    failed: &Delivery,
    error: &str,
) -> Result<(), DbErr> {
    let reason = format!(
        "Disabled automatically on {}: a {} event failed all {MAX_ATTEMPTS} attempts with no successful delivery in between. Last answer: {error}",
        crate::platform::time::format_moment(now()),
        failed.event_type,
    );
    subscription::ActiveModel {
        id: Set(subscription.id),
        state: Set("disabled".to_owned()),
        disabled_reason: Set(Some(reason.clone())),
        ..Default::default()
    }
    .update(conn)
    .await?;
    let managers = crate::identity::store::users_of(conn, subscription.organization_id)
        .await?
        .into_iter()
        .filter(|u| u.status == "active")
        .filter(|u| {
            crate::platform::scope::Role::parse(&u.role)
                .is_some_and(|r| r.reach(Permission::IntegrationsManage).is_some())
        })
        .map(|u| u.id)
        .collect();
    notify::publish(
        conn,
        Event {
            kind: "integration.failure",
            recipients: managers,
            actor: None,
            partner_id: None,
            title: format!("Webhook to {} was disabled", subscription.url),
            body: reason,
            link: format!("/integrations/webhooks/{}", subscription.id),
        },
    )
    .await
}

/// A subscription as asked for, checked.
pub struct NewSubscription {
    pub url: String,
    pub event_types: Vec<&'static str>,
}

impl NewSubscription {
    /// Checks the address and event types; every fault, in words.
    pub fn parse(url: &str, event_keys: &[&str]) -> Result<NewSubscription, Vec<String>> {
        let mut problems = Vec::new();
        let url = url.trim();
        if let Err(problem) = check_url(url) {
            problems.push(format!("Address: {problem}"));
        }
        let mut event_types = Vec::new();
        for key in event_keys {
            match EVENT_TYPES.iter().find(|(k, _)| k == key) {
                Some((known, _)) => event_types.push(*known),
                None => problems.push(format!("Events: {key} is not an event Portico sends.")),
            }
        }
        if event_keys.is_empty() {
            problems.push("Events: tick at least one.".to_owned());
        }
        if problems.is_empty() {
            Ok(NewSubscription {
                url: url.to_owned(),
                event_types,
            })
        } else {
            Err(problems)
        }
    }
}

/// HTTPS anywhere; plain HTTP only to this machine (development, tests).
fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| {
        "write a whole address, like https://erp.example.com/portico/events".to_owned()
    })?;
    let host = parsed.host_str().unwrap_or_default();
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        "http" => Err(
            "use https:// — events carry partner data and must be encrypted on the way.".to_owned(),
        ),
        _ => Err("must start with https://".to_owned()),
    }?;
    if url.len() > 500 {
        return Err("is longer than 500 characters".to_owned());
    }
    Ok(())
}

/// Makes a subscription for the caller's organisation; returns it, with its secret.
pub async fn subscribe(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    new: &NewSubscription,
) -> Result<Subscription, DbErr> {
    subscription::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(scope.organization_id),
        created_by: Set(scope.user_id),
        url: Set(new.url.clone()),
        secret: Set(format!("whsec_{}", random_token())),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        event_types: Set(new.event_types.join(" ")),
        state: Set("active".to_owned()),
        disabled_reason: Set(None),
        last_success_at: Set(None),
        last_failure_at: Set(None),
        created_at: Set(now()),
    }
    .insert(conn)
    .await
}

fn managed_by(scope: &Scope, organization_id: Uuid) -> AppResult<bool> {
    let partners = scope.partners(Permission::IntegrationsManage)?;
    Ok(organization_id == scope.organization_id
        || (scope.side() == Side::Vendor && partners.contains(organization_id)))
}

/// The subscriptions the caller manages: a vendor's integration managers see every one, a
/// partner's only its own organisation's.
pub async fn subscriptions(db: &Db, scope: &Scope) -> AppResult<Vec<Subscription>> {
    scope.require(Permission::IntegrationsManage)?;
    let all = subscription::Entity::find()
        .order_by_desc(subscription::Column::CreatedAt)
        .all(db)
        .await?;
    let mut mine = Vec::new();
    for s in all {
        if managed_by(scope, s.organization_id)? {
            mine.push(s);
        }
    }
    Ok(mine)
}

/// Every subscription, newest first: the status page's view, for vendor staff.
pub async fn all_subscriptions(db: &Db) -> Result<Vec<Subscription>, DbErr> {
    subscription::Entity::find()
        .order_by_desc(subscription::Column::CreatedAt)
        .all(db)
        .await
}

/// One subscription the caller manages, or 404.
pub async fn find(db: &Db, scope: &Scope, id: Uuid) -> AppResult<Subscription> {
    scope.require(Permission::IntegrationsManage)?;
    let found = subscription::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if managed_by(scope, found.organization_id)? {
        Ok(found)
    } else {
        Err(AppError::NotFound)
    }
}

/// Turns a subscription on (again) or off.
pub async fn set_active(
    conn: &impl ConnectionTrait,
    subscription: &Subscription,
    active: bool,
    reason: Option<String>,
) -> Result<(), DbErr> {
    subscription::ActiveModel {
        id: Set(subscription.id),
        state: Set(if active { "active" } else { "disabled" }.to_owned()),
        disabled_reason: Set(reason),
        ..Default::default()
    }
    .update(conn)
    .await
    .map(|_| ())
}

/// The newest deliveries of a subscription.
pub async fn deliveries(
    db: &Db,
    subscription: &Subscription,
    limit: u64,
) -> Result<Vec<Delivery>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::Column::SubscriptionId.eq(subscription.id))
        .order_by_desc(delivery::Column::CreatedAt)
        .order_by_desc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The attempts at these deliveries, oldest first.
pub async fn attempts_of(db: &Db, deliveries: &[Uuid]) -> Result<Vec<Attempt>, DbErr> {
    attempt::Entity::find()
        .filter(attempt::Column::DeliveryId.is_in(deliveries.iter().copied()))
        .order_by_asc(attempt::Column::At)
        .all(db)
        .await
}

/// Sends a delivery of this subscription again, whatever became of it.
pub async fn redeliver(
    conn: &impl ConnectionTrait,
    subscription: &Subscription,
    delivery_id: Uuid,
) -> AppResult<Delivery> {
    let found = delivery::Entity::find_by_id(delivery_id)
        .filter(delivery::Column::SubscriptionId.eq(subscription.id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let updated = delivery::ActiveModel {
        id: Set(found.id),
        state: Set("pending".to_owned()),
        attempts: Set(0),
        delivered_at: Set(None),
        ..Default::default()
    }
    .update(conn)
    .await?;
    jobs::enqueue(conn, DELIVER_JOB, json!({ "delivery": found.id })).await?;
    Ok(updated)
}

/// Deliveries that failed (gave up or still retrying), newest first, across the subscriptions
/// the caller may see on the status page.
pub async fn recent_failures(db: &Db, limit: u64) -> Result<Vec<Delivery>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::Column::State.is_in(["failed", "retrying"]))
        .order_by_desc(delivery::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // The expected value comes from Python's hmac module, not from this code.
        let signed = signature(&["whsec_test"], 1_700_000_000, "{\"a\":1}");
        assert_eq!(
            signed,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(
            signed,
            signature(&["whsec_other"], 1_700_000_000, "{\"a\":1}")
        );
        assert_ne!(
            signed,
            signature(&["whsec_test"], 1_700_000_001, "{\"a\":1}")
        );
        // While a rotated-out secret overlaps, each secret signs in turn, the current one first.
        let both = signature(&["whsec_other", "whsec_test"], 1_700_000_000, "{\"a\":1}");
        let other = signature(&["whsec_other"], 1_700_000_000, "{\"a\":1}");
        assert_eq!(both, format!("{other},v1={}", &signed[16..]));
    }

    #[test]
    fn addresses_must_be_https_except_on_this_machine() {
        assert!(check_url("https://erp.example.com/hooks").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hooks").is_ok());
        assert!(check_url("http://erp.example.com/hooks").is_err());
        assert!(check_url("ftp://erp.example.com").is_err());
        assert!(check_url("erp.example.com").is_err());
        let parsed = NewSubscription::parse("https://x.example/h", &["order.blocked", "nope"]);
        assert_eq!(
            parsed.err().unwrap(),
            ["Events: nope is not an event Portico sends."]
        );
    }
}
