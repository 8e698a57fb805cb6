//! The e-mails behind notifications, sent by jobs: one at once for those who want that, and a
//! daily digest (07:00 UTC) for those who chose it. Both are idempotent: a notification that
//! already went out is not sent again.

use askama::Template;
use sea_orm::EntityTrait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::store::{self, Notification};
use crate::identity::entity::user;
use crate::platform::jobs::{self, JobContext};
use crate::platform::mail::{self, Mail};
use crate::platform::{instance, time::format_date};

pub const MAIL: &str = "notify.mail";
pub const DIGEST: &str = "notify.digest";
/// Digests go out at this hour, UTC.
const DIGEST_HOUR: u8 = 7;

struct Item {
    title: String,
    body: String,
    link: String,
    when: String,
}

fn item(notification: &Notification, base_url: &str) -> Item {
    Item {
        title: notification.title.clone(),
        body: notification.body.clone(),
        link: format!("{base_url}{}", notification.link),
        when: format_date(notification.created_at),
    }
}

#[derive(Template)]
#[template(path = "mail/notification.txt")]
struct NotificationText<'a> {
    name: &'a str,
    program: &'a str,
    items: &'a [Item],
    settings: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notification.html")]
struct NotificationHtml<'a> {
    name: &'a str,
    program: &'a str,
    items: &'a [Item],
    settings: &'a str,
}

/// One e-mail to `person` listing `found`, written to the outbox with them marked as mailed.
async fn mail_person(
    context: &JobContext,
    person: &user::Model,
    subject: String,
    found: &[Notification],
) -> anyhow::Result<()> {
    let program = instance::find(&context.db)
        .await?
        .map_or_else(|| "Portico".to_owned(), |i| i.program_name);
    let items: Vec<Item> = found.iter().map(|n| item(n, &context.base_url)).collect();
    let settings = format!("{}/notifications/settings", context.base_url);
    let page = |html| -> askama::Result<String> {
        let (name, program, items, settings) = (
            person.display_name.as_str(),
            program.as_str(),
            &items[..],
            settings.as_str(),
        );
        if html {
            NotificationHtml {
                name,
                program,
                items,
                settings,
            }
            .render()
        } else {
            NotificationText {
                name,
                program,
                items,
                settings,
            }
            .render()
        }
    };
    let txn = crate::platform::db::begin_write(&context.db).await?;
    mail::queue(
        &txn,
        Mail {
            to: person.email.clone(),
            subject,
            text: page(false)?,
            html: page(true)?,
        },
    )
    .await?;
    let ids: Vec<Uuid> = found.iter().map(|n| n.id).collect();
    store::mark_mailed(&txn, &ids).await?;
    txn.commit().await?;
    context.mailer.kick(&context.db);
    Ok(())
}

async fn active_user(context: &JobContext, id: Uuid) -> anyhow::Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id)
        .one(&context.db)
        .await?
        .filter(|u| u.status == "active"))
}

/// `notify.mail`: the e-mail of one notification.
pub async fn send_one(context: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let id = payload["notification"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| anyhow::anyhow!("payload names no notification: {payload}"))?;
    let Some(found) = store::find(&context.db, id).await? else {
        return Ok(());
    };
    if found.mailed_at.is_some() {
        return Ok(());
    }
    let Some(person) = active_user(&context, found.user_id).await? else {
        return Ok(());
    };
    let subject = found.title.clone();
    mail_person(&context, &person, subject, &[found]).await
}

/// `notify.digest`: one e-mail per person who chose the digest, then the next day's run.
pub async fn send_digests(context: JobContext, _: serde_json::Value) -> anyhow::Result<()> {
    for (user_id, found) in store::awaiting_digest(&context.db).await? {
        let Some(person) = active_user(&context, user_id).await? else {
            continue;
        };
        let subject = match found.len() {
            1 => "Your daily digest: 1 update".to_owned(),
            n => format!("Your daily digest: {n} updates"),
        };
        mail_person(&context, &person, subject, &found).await?;
    }
    schedule_digest(
        &context.db,
        crate::platform::time::now() + Duration::minutes(1),
    )
    .await?;
    Ok(())
}

/// Queues the next digest run after `after` (once per day, whatever the number of nodes).
pub async fn schedule_digest(
    conn: &impl sea_orm::ConnectionTrait,
    after: OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    jobs::schedule_daily(conn, DIGEST, DIGEST_HOUR, after).await
}
