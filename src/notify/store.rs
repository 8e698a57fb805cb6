//! Notifications in the database: publishing an event to its recipients (in the transaction of
//! the change), the inbox, and each user's delivery choices.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::entity::{notification, preference};
use crate::platform::db::Db;
use crate::platform::{ids, jobs, time::now};

pub use notification::Model as Notification;

/// The events that notify, with the words the settings page uses.
pub const KINDS: [(&str, &str); 8] = [
    ("order.status", "An order's status changes"),
    ("order.blocked", "An order is blocked or unblocked"),
    ("thread.message", "A new message in a discussion you follow"),
    ("thread.mention", "Someone mentions you in a discussion"),
    (
        "ticket.update",
        "A support request is opened, assigned, resolved or reopened",
    ),
    (
        "ticket.sla",
        "A support request nears or passes its response or resolution target",
    ),
    (
        "commission.statement",
        "A commission statement is approved, paid or corrected",
    ),
    (
        "integration.failure",
        "A webhook is disabled after failing persistently",
    ),
];

/// How a user hears of an event besides the in-app inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Immediately,
    Digest,
    Off,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Immediately, Delivery::Digest, Delivery::Off];

    pub fn key(self) -> &'static str {
        match self {
            Delivery::Immediately => "immediately",
            Delivery::Digest => "digest",
            Delivery::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Immediately => "E-mail at once",
            Delivery::Digest => "Daily digest e-mail",
            Delivery::Off => "No e-mail (inbox only)",
        }
    }

    pub fn parse(key: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.key() == key)
    }
}

/// Something that happened, for the people who should hear of it.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: &'static str,
    pub recipients: Vec<Uuid>,
    /// Who caused it: never notified of their own action.
    pub actor: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// Writes the event to each recipient's inbox and queues the e-mails of those who want them
/// at once; call it inside the transaction of the change.
pub async fn publish(conn: &impl ConnectionTrait, event: Event) -> Result<(), DbErr> {
    let recipients: BTreeSet<Uuid> = event
        .recipients
        .iter()
        .copied()
        .filter(|r| Some(*r) != event.actor)
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let choices: BTreeMap<Uuid, Delivery> = preference::Entity::find()
        .filter(preference::Column::Kind.eq(event.kind))
        .filter(preference::Column::UserId.is_in(recipients.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|p| Delivery::parse(&p.delivery).map(|d| (p.user_id, d)))
        .collect();
    let at = now();
    for user_id in recipients {
        let id = ids::new_id();
        notification::ActiveModel {
            id: Set(id),
            user_id: Set(user_id),
            partner_id: Set(event.partner_id),
            kind: Set(event.kind.to_owned()),
            title: Set(event.title.clone()),
            body: Set(event.body.clone()),
            link: Set(event.link.clone()),
            created_at: Set(at),
            read_at: Set(None),
            mailed_at: Set(None),
        }
        .insert(conn)
        .await?;
        let delivery = choices
            .get(&user_id)
            .copied()
            .unwrap_or(Delivery::Immediately);
        if delivery == Delivery::Immediately {
            jobs::enqueue(conn, super::jobs::MAIL, json!({ "notification": id })).await?;
        }
    }
    Ok(())
}

/// A user's unread notifications; `user_id` is a value or a column of an outer query.
fn unread_for(user_id: sea_orm::sea_query::Expr) -> sea_orm::Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    sea_orm::Condition::all()
        .add(Expr::col((notification::Entity, notification::Column::UserId)).eq(user_id))
        .add(Expr::col((notification::Entity, notification::Column::ReadAt)).is_null())
}

/// [`unread_count`] as a subquery, for the user in `user_id` (a column of the outer query).
pub fn unread_count_of(
    user_id: sea_orm::sea_query::ColumnRef,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Query::select()
        .expr(Expr::col((notification::Entity, notification::Column::Id)).count())
        .from(notification::Entity)
        .cond_where(unread_for(Expr::col(user_id)))
        .to_owned()
}

pub async fn unread_count(db: &Db, user_id: Uuid) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(unread_for(sea_orm::sea_query::Expr::val(user_id)))
        .count(db)
        .await
}

/// The user's notifications, newest first.
pub async fn inbox(db: &Db, user_id: Uuid, limit: u64) -> Result<Vec<Notification>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Marks one of the user's notifications read and returns where it leads; `None` when it is
/// not theirs.
pub async fn open(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<String>, DbErr> {
    let Some(found) = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.read_at.is_none() {
        notification::ActiveModel {
            id: Set(found.id),
            read_at: Set(Some(now())),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    Ok(Some(found.link))
}

pub async fn read_all(db: &Db, user_id: Uuid) -> Result<u64, DbErr> {
    let result = notification::Entity::update_many()
        .set(notification::ActiveModel {
            read_at: Set(Some(now())),
            ..Default::default()
        })
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The user's choice for every kind of event (e-mail at once unless they chose otherwise).
pub async fn preferences(
    db: &Db,
    user_id: Uuid,
) -> Result<Vec<(&'static str, &'static str, Delivery)>, DbErr> {
    let chosen: BTreeMap<String, Delivery> = preference::Entity::find()
        .filter(preference::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| Delivery::parse(&p.delivery).map(|d| (p.kind, d)))
        .collect();
    Ok(KINDS
        .iter()
        .map(|(kind, label)| {
            (
                *kind,
                *label,
                chosen.get(*kind).copied().unwrap_or(Delivery::Immediately),
            )
        })
        .collect())
}

pub async fn set_preference(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    kind: &str,
    delivery: Delivery,
) -> Result<(), DbErr> {
    preference::Entity::delete_many()
        .filter(preference::Column::UserId.eq(user_id))
        .filter(preference::Column::Kind.eq(kind))
        .exec(conn)
        .await?;
    preference::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        delivery: Set(delivery.key().to_owned()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Unread, unmailed notifications of kinds their recipients want in a digest, by recipient.
pub async fn awaiting_digest(db: &Db) -> Result<BTreeMap<Uuid, Vec<Notification>>, DbErr> {
    let wanted: BTreeSet<(Uuid, String)> = preference::Entity::find()
        .filter(preference::Column::Delivery.eq(Delivery::Digest.key()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p.kind))
        .collect();
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    let users: BTreeSet<Uuid> = wanted.iter().map(|(user, _)| *user).collect();
    let mut digests: BTreeMap<Uuid, Vec<Notification>> = BTreeMap::new();
    for found in notification::Entity::find()
        .filter(notification::Column::UserId.is_in(users))
        .filter(notification::Column::ReadAt.is_null())
        .filter(notification::Column::MailedAt.is_null())
        .order_by_asc(notification::Column::CreatedAt)
        .all(db)
        .await?
    {
        if wanted.contains(&(found.user_id, found.kind.clone())) {
            digests.entry(found.user_id).or_default().push(found);
        }
    }
    Ok(digests)
}

/// Records that these notifications went out by e-mail.
pub async fn mark_mailed(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    notification::Entity::update_many()
        .set(notification::ActiveModel {
            mailed_at: Set(Some(now())),
            ..Default::default()
        })
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Notification>, DbErr> {
    notification::Entity::find_by_id(id).one(conn).await
}

/// A message just posted in a discussion, for [`announce_message`].
pub struct Announcement<'a> {
    pub posted: &'a crate::platform::threads::Posted,
    pub author: &'a crate::platform::threads::Participant,
    pub partner_id: Uuid,
    /// What the discussion is about, in a sentence: "order ORD-10023", "ticket TCK-10001".
    pub about: String,
    /// The followers' notification title, where it says more than "New message on {about}".
    pub title: Option<String>,
    pub body: &'a str,
    pub link: String,
    /// People to tell besides the followers (not of internal notes).
    pub also_tell: Vec<Uuid>,
    pub internal: bool,
}

/// Tells the people a new message mentions, and the other followers of its discussion.
pub async fn announce_message(
    conn: &impl ConnectionTrait,
    message: Announcement<'_>,
) -> Result<(), DbErr> {
    use crate::platform::threads::excerpt;
    let Announcement {
        posted,
        author,
        partner_id,
        about,
        title,
        body,
        link,
        also_tell,
        internal,
    } = message;
    publish(
        conn,
        Event {
            kind: "thread.mention",
            recipients: posted.mentioned.clone(),
            actor: Some(author.user_id),
            partner_id: Some(partner_id),
            title: format!("{} mentioned you on {about}", author.label),
            body: excerpt(body),
            link: link.clone(),
        },
    )
    .await?;
    let mut recipients: BTreeSet<Uuid> = posted.followers.iter().copied().collect();
    if !internal {
        recipients.extend(also_tell);
    }
    recipients.retain(|id| !posted.mentioned.contains(id));
    publish(
        conn,
        Event {
            kind: "thread.message",
            recipients: recipients.into_iter().collect(),
            actor: Some(author.user_id),
            partner_id: Some(partner_id),
            title: title.unwrap_or_else(|| format!("New message on {about}")),
            body: format!("{}: {}", author.label, excerpt(body)),
            link,
        },
    )
    .await
}
