//! Outgoing mail. Every message is first written to the outbox table, in the transaction of the
//! change that causes it, so a rolled-back change sends nothing and a crash loses nothing. With
//! SMTP configured a sender delivers the outbox (at once after a change, and every 30 s for
//! retries); without it, the outbox is where vendor admins read the mail.
//!
//! Several nodes may deliver at once: a message is claimed with a conditional update before it
//! is sent, so each goes out once.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect};

use super::config::SmtpSettings;
use super::db::Db;
use super::{ids, time};

/// Give up on a message after this many failed attempts; it stays in the outbox with its error.
const MAX_ATTEMPTS: i32 = 5;
/// A claim older than this is taken to belong to a node that died mid-send.
const CLAIM_TIMEOUT: ::time::Duration = ::time::Duration::minutes(5);
pub const RETRY_INTERVAL: Duration = Duration::from_secs(30);

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_mail")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub recipient: String,
        pub subject: String,
        pub text_body: String,
        pub html_body: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub claimed_at: Option<TimeDateTimeWithTimeZone>,
        pub sent_at: Option<TimeDateTimeWithTimeZone>,
        pub attempts: i32,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use outbox::Model as OutboxMail;

/// A message to send: plain text for every client, HTML for those that show it.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes the message to the outbox; it goes out once the caller's transaction commits.
pub async fn queue(conn: &impl ConnectionTrait, mail: Mail) -> Result<Uuid, DbErr> {
    let id = ids::new_id();
    outbox::ActiveModel {
        id: Set(id),
        recipient: Set(mail.to),
        subject: Set(mail.subject),
        text_body: Set(mail.text),
        html_body: Set(mail.html),
        created_at: Set(time::now()),
        claimed_at: Set(None),
        sent_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// The most recent messages, newest first, for the admins' outbox page.
pub async fn recent(db: &Db, limit: u64) -> Result<Vec<OutboxMail>, DbErr> {
    outbox::Entity::find()
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

pub async fn find(db: &Db, id: Uuid) -> Result<Option<OutboxMail>, DbErr> {
    outbox::Entity::find_by_id(id).one(db).await
}

/// Delivers the outbox by SMTP, when SMTP is configured.
#[derive(Clone)]
pub struct Mailer {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
}

impl Mailer {
    pub fn new(settings: Option<&SmtpSettings>) -> anyhow::Result<Mailer> {
        let smtp = match settings {
            None => None,
            Some(settings) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Some((transport, settings.from.parse()?))
            }
        };
        Ok(Mailer { smtp })
    }

    pub fn sends_by_smtp(&self) -> bool {
        self.smtp.is_some()
    }

    /// Starts delivering in the background, right after a change queued mail.
    pub fn kick(&self, db: &Db) {
        if self.smtp.is_none() {
            return;
        }
        let (mailer, db) = (self.clone(), db.clone());
        tokio::spawn(async move {
            if let Err(error) = mailer.deliver_pending(&db).await {
                tracing::warn!(%error, "mail delivery failed");
            }
        });
    }

    /// Sends every pending message this node can claim; returns how many went out.
    pub async fn deliver_pending(&self, db: &Db) -> Result<usize, DbErr> {
        let Some((transport, from)) = &self.smtp else {
            return Ok(0);
        };
        let pending = outbox::Entity::find()
            .filter(outbox::Column::SentAt.is_null())
            .filter(outbox::Column::Attempts.lt(MAX_ATTEMPTS))
            .order_by_asc(outbox::Column::CreatedAt)
            .limit(100)
            .all(db)
            .await?;
        let mut sent = 0;
        for mail in pending {
            if !claim(db, &mail).await? {
                continue;
            }
            let result = match build(from, &mail) {
                Ok(message) => transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(error) => Err(error),
            };
            let now = time::now();
            let mut update = outbox::ActiveModel {
                id: Set(mail.id),
                attempts: Set(mail.attempts + 1),
                claimed_at: Set(None),
                ..Default::default()
            };
            match result {
                Ok(()) => {
                    update.sent_at = Set(Some(now));
                    update.last_error = Set(None);
                    sent += 1;
                }
                Err(error) => {
                    tracing::warn!(mail = %mail.id, %error, "could not send mail");
                    update.last_error = Set(Some(error));
                }
            }
            update.update(db).await?;
        }
        Ok(sent)
    }
}

/// Marks the message as being sent by this node; false when another node has it.
async fn claim(db: &Db, mail: &OutboxMail) -> Result<bool, DbErr> {
    let now = time::now();
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(mail.id))
        .filter(outbox::Column::SentAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(outbox::Column::ClaimedAt.is_null())
                .add(outbox::Column::ClaimedAt.lt(now - CLAIM_TIMEOUT)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

fn build(from: &Mailbox, mail: &OutboxMail) -> Result<Message, String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| format!("recipient {}: {e}", mail.recipient))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .multipart(MultiPart::alternative_plain_html(
            mail.text_body.clone(),
            mail.html_body.clone(),
        ))
        .map_err(|e| e.to_string())
}
