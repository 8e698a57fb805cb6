//! Discussions on any object: an order today; settlement lines, claims, deals and tickets
//! later. A thread belongs to one object of one partner and holds messages, @mentions,
//! attachments and followers. Vendor staff may add internal notes, which are never read back
//! for a partner user: every read takes whether internal notes may be included, and the
//! owning module answers that from the caller's scope.
//!
//! The owning module finds the object through the caller's scope first; this module trusts
//! the `Subject` it is given and keys every query by its partner.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::files::{FileStore, StoredFile, UploadedFile};
use super::scope::Side;
use super::{ids, time::now};

pub mod entity {
    pub mod thread {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "thread")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub partner_id: Uuid,
            pub object_type: String,
            pub object_id: Uuid,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod message {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "thread_message")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub thread_id: Uuid,
            pub partner_id: Uuid,
            pub author_user_id: Option<Uuid>,
            pub author_label: String,
            /// vendor or partner.
            pub author_side: String,
            pub body: String,
            /// A vendor-internal note, never shown to partners.
            pub internal: bool,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod attachment {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "thread_attachment")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub message_id: Uuid,
            pub partner_id: Uuid,
            pub file_name: String,
            pub content_type: String,
            pub size_bytes: i64,
            pub sha256: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod follower {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "thread_follower")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub thread_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub user_id: Uuid,
            pub side: String,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{attachment, follower, message, thread};

pub use attachment::Model as Attachment;
pub use message::Model as Message;

/// The object a thread is about, as its owning module found it through the caller's scope.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub partner_id: Uuid,
}

/// Someone taking part: the author of a message, or a follower.
#[derive(Debug, Clone)]
pub struct Participant {
    pub user_id: Uuid,
    /// "Jana Weber (Brightline Distribution)".
    pub label: String,
    pub side: Side,
}

/// Someone who may read the thread's object today, and so may be mentioned or told of a new
/// message; the owning module lists them from its permissions.
#[derive(Debug, Clone)]
pub struct Mentionable {
    pub user_id: Uuid,
    pub email: String,
    pub side: Side,
    /// Vendor staff whose role reads internal notes.
    pub reads_internal: bool,
}

impl Mentionable {
    /// What follows the `@`: the part of the e-mail address before the `@`.
    pub fn handle(&self) -> String {
        self.email
            .split('@')
            .next()
            .unwrap_or_default()
            .to_lowercase()
    }
}

fn side_key(side: Side) -> &'static str {
    match side {
        Side::Vendor => "vendor",
        Side::Partner => "partner",
    }
}

/// Whether the caller reads (and may write) internal notes: vendor staff holding
/// `tickets.internal`; partners never.
pub fn reads_internal(scope: &crate::platform::scope::Scope) -> bool {
    scope.side() == Side::Vendor && scope.can(crate::platform::scope::Permission::TicketsInternal)
}

/// The first 200 characters of a message, for notifications.
pub fn excerpt(body: &str) -> String {
    let mut text: String = body.chars().take(200).collect();
    if body.chars().count() > 200 {
        text.push('…');
    }
    text
}

/// Longest message accepted.
pub const MAX_BODY: usize = 10_000;

/// The message text, trimmed, or what is wrong with it.
pub fn check_body(body: &str) -> Result<&str, String> {
    let body = body.trim();
    if body.is_empty() {
        return Err("Write a message before sending.".to_owned());
    }
    if body.chars().count() > MAX_BODY {
        return Err(format!(
            "The message is too long: at most {MAX_BODY} characters. Attach a file instead."
        ));
    }
    Ok(body)
}

/// Handles mentioned in a text: `@jana.weber` → `jana.weber`, lower-cased, each once.
pub fn mentioned_handles(body: &str) -> BTreeSet<String> {
    body.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '!' | '?'))
        .filter_map(|word| word.strip_prefix('@'))
        .map(|handle| handle.trim_end_matches(['.', '-']).to_lowercase())
        .filter(|handle| !handle.is_empty())
        .collect()
}

async fn find_thread(
    conn: &impl ConnectionTrait,
    subject: &Subject,
) -> Result<Option<thread::Model>, DbErr> {
    thread::Entity::find()
        .filter(thread::Column::PartnerId.eq(subject.partner_id))
        .filter(thread::Column::ObjectType.eq(subject.object_type))
        .filter(thread::Column::ObjectId.eq(subject.object_id))
        .one(conn)
        .await
}

async fn thread_for(
    conn: &impl ConnectionTrait,
    subject: &Subject,
) -> Result<thread::Model, DbErr> {
    if let Some(found) = find_thread(conn, subject).await? {
        return Ok(found);
    }
    thread::ActiveModel {
        id: Set(ids::new_id()),
        partner_id: Set(subject.partner_id),
        object_type: Set(subject.object_type.to_owned()),
        object_id: Set(subject.object_id),
        created_at: Set(now()),
    }
    .insert(conn)
    .await
}

/// Makes `who` follow the object's discussion (no change when they already do).
pub async fn follow(
    conn: &impl ConnectionTrait,
    subject: &Subject,
    user_id: Uuid,
    side: Side,
) -> Result<(), DbErr> {
    let thread = thread_for(conn, subject).await?;
    let exists = follower::Entity::find_by_id((thread.id, user_id))
        .one(conn)
        .await?
        .is_some();
    if !exists {
        follower::ActiveModel {
            thread_id: Set(thread.id),
            user_id: Set(user_id),
            side: Set(side_key(side).to_owned()),
            created_at: Set(now()),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Who follows the object's discussion, with their side.
pub async fn followers(
    conn: &impl ConnectionTrait,
    subject: &Subject,
) -> Result<Vec<(Uuid, Side)>, DbErr> {
    let Some(thread) = find_thread(conn, subject).await? else {
        return Ok(Vec::new());
    };
    Ok(follower::Entity::find()
        .filter(follower::Column::ThreadId.eq(thread.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|f| {
            let side = if f.side == "vendor" {
                Side::Vendor
            } else {
                Side::Partner
            };
            (f.user_id, side)
        })
        .collect())
}

/// A file attached to a new message, already in the file store.
pub struct NewAttachment<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub stored: &'a StoredFile,
}

/// A form's file, stored before the message that carries it is posted.
pub struct StoredUpload<'a> {
    file: &'a UploadedFile,
    stored: StoredFile,
}

impl StoredUpload<'_> {
    pub fn attachment(&self) -> NewAttachment<'_> {
        NewAttachment {
            file_name: &self.file.name,
            content_type: &self.file.content_type,
            stored: &self.stored,
        }
    }
}

/// Stores the file chosen in a message form, if any.
pub async fn store_upload<'a>(
    files: &FileStore,
    file: Option<&'a UploadedFile>,
) -> anyhow::Result<Option<StoredUpload<'a>>> {
    Ok(match file {
        Some(file) => Some(StoredUpload {
            file,
            stored: files.put(file.bytes.clone()).await?,
        }),
        None => None,
    })
}

/// A message as its author wrote it.
pub struct NewMessage<'a> {
    pub body: &'a str,
    /// A vendor-internal note; ignored for partner authors.
    pub internal: bool,
    pub attachment: Option<NewAttachment<'a>>,
    pub at: OffsetDateTime,
}

/// Who should hear of a new message.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Posted {
    pub message_id: Uuid,
    /// People mentioned who may read the message.
    pub mentioned: Vec<Uuid>,
    /// Other followers who may still read the message.
    pub followers: Vec<Uuid>,
}

/// Adds a message; its author and the people it mentions follow the thread from now on.
/// Internal notes come only from vendor staff and reach only vendor staff.
pub async fn post(
    conn: &impl ConnectionTrait,
    subject: &Subject,
    author: &Participant,
    message: NewMessage<'_>,
    mentionable: &[Mentionable],
) -> Result<Posted, DbErr> {
    let NewMessage {
        body,
        internal,
        attachment,
        at,
    } = message;
    let internal = internal && author.side == Side::Vendor;
    let thread = thread_for(conn, subject).await?;
    let saved = message::ActiveModel {
        id: Set(ids::new_id()),
        thread_id: Set(thread.id),
        partner_id: Set(subject.partner_id),
        author_user_id: Set(Some(author.user_id)),
        author_label: Set(author.label.clone()),
        author_side: Set(side_key(author.side).to_owned()),
        body: Set(body.to_owned()),
        internal: Set(internal),
        created_at: Set(at),
    }
    .insert(conn)
    .await?;
    if let Some(file) = attachment {
        attachment::ActiveModel {
            id: Set(ids::new_id()),
            message_id: Set(saved.id),
            partner_id: Set(subject.partner_id),
            file_name: Set(file.file_name.to_owned()),
            content_type: Set(file.content_type.to_owned()),
            size_bytes: Set(file.stored.size_bytes),
            sha256: Set(file.stored.sha256.clone()),
        }
        .insert(conn)
        .await?;
    }
    // Only people who may read this message today hear of it: followers who lost access, and
    // anyone without the right to internal notes, are left out.
    let may_read = |m: &Mentionable| !internal || m.reads_internal;
    let readers: Vec<&Mentionable> = mentionable.iter().filter(|m| may_read(m)).collect();
    let handles = mentioned_handles(body);
    let mentioned: Vec<&&Mentionable> = readers
        .iter()
        .filter(|m| m.user_id != author.user_id && handles.contains(&m.handle()))
        .collect();
    let existing = followers(conn, subject).await?;
    follow(conn, subject, author.user_id, author.side).await?;
    for person in &mentioned {
        follow(conn, subject, person.user_id, person.side).await?;
    }
    let mentioned_ids: Vec<Uuid> = mentioned.iter().map(|m| m.user_id).collect();
    let followers = existing
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| *id != author.user_id && !mentioned_ids.contains(id))
        .filter(|id| readers.iter().any(|r| r.user_id == *id))
        .collect();
    Ok(Posted {
        message_id: saved.id,
        mentioned: mentioned_ids,
        followers,
    })
}

/// The thread's messages, oldest first, each with its attachments; internal notes only when
/// the reader may see them.
pub async fn messages(
    conn: &impl ConnectionTrait,
    subject: &Subject,
    include_internal: bool,
) -> Result<Vec<(Message, Vec<Attachment>)>, DbErr> {
    let Some(thread) = find_thread(conn, subject).await? else {
        return Ok(Vec::new());
    };
    let mut query = message::Entity::find()
        .filter(message::Column::PartnerId.eq(subject.partner_id))
        .filter(message::Column::ThreadId.eq(thread.id));
    if !include_internal {
        query = query.filter(message::Column::Internal.eq(false));
    }
    let found = query
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = found.iter().map(|m| m.id).collect();
    let files = if ids.is_empty() {
        Vec::new()
    } else {
        attachment::Entity::find()
            .filter(attachment::Column::PartnerId.eq(subject.partner_id))
            .filter(attachment::Column::MessageId.is_in(ids))
            .all(conn)
            .await?
    };
    Ok(found
        .into_iter()
        .map(|m| {
            let own = files
                .iter()
                .filter(|f| f.message_id == m.id)
                .cloned()
                .collect();
            (m, own)
        })
        .collect())
}

pub struct AttachmentView {
    pub id: Uuid,
    pub name: String,
}

/// A message as `partials/thread.html` shows it.
pub struct MessageView {
    pub author: String,
    pub vendor: bool,
    pub when: String,
    pub when_exact: String,
    pub body: String,
    pub internal: bool,
    pub attachments: Vec<AttachmentView>,
}

/// [`messages`] ready for the thread partial.
pub async fn message_views(
    conn: &impl ConnectionTrait,
    subject: &Subject,
    include_internal: bool,
) -> Result<Vec<MessageView>, DbErr> {
    Ok(messages(conn, subject, include_internal)
        .await?
        .into_iter()
        .map(|(message, attachments)| MessageView {
            author: message.author_label,
            vendor: message.author_side == "vendor",
            when: super::time::format_date(message.created_at),
            when_exact: message.created_at.to_string(),
            body: message.body,
            internal: message.internal,
            attachments: attachments
                .into_iter()
                .map(|a| AttachmentView {
                    id: a.id,
                    name: a.file_name,
                })
                .collect(),
        })
        .collect())
}

/// One attachment of the thread, if the reader may see the message it belongs to.
pub async fn find_attachment(
    conn: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
    include_internal: bool,
) -> Result<Option<Attachment>, DbErr> {
    let Some(file) = attachment::Entity::find_by_id(id)
        .filter(attachment::Column::PartnerId.eq(subject.partner_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(thread) = find_thread(conn, subject).await? else {
        return Ok(None);
    };
    let mut query = message::Entity::find_by_id(file.message_id)
        .filter(message::Column::PartnerId.eq(subject.partner_id))
        .filter(message::Column::ThreadId.eq(thread.id));
    if !include_internal {
        query = query.filter(message::Column::Internal.eq(false));
    }
    Ok(query.one(conn).await?.map(|_| file))
}

/// Streams an attachment of the thread, by the id in a download address — or answers 404 when
/// it is not there or the reader may not see the message it belongs to. The download is
/// audited as `entry` makes it from the detail naming the file.
pub async fn download(
    state: &crate::AppState,
    subject: &Subject,
    id: &str,
    include_internal: bool,
    entry: impl FnOnce(serde_json::Value) -> crate::audit::Entry,
) -> super::error::AppResult<axum::response::Response> {
    use super::error::AppError;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let file = find_attachment(&state.db, subject, id, include_internal)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = state.files.body(&file.sha256).await?;
    crate::audit::record_alone(
        &state.db,
        entry(serde_json::json!({ "file": file.file_name, "attachment": file.id })),
    )
    .await?;
    Ok(super::files::attachment(
        body,
        &file.file_name,
        &file.content_type,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_handles_after_an_at_sign() {
        let handles = mentioned_handles(
            "Thanks @Olivia.Grant, and @jana.weber: see (@ben.vogel). Mail me at a@b.example @@x",
        );
        let expected: BTreeSet<String> = ["olivia.grant", "jana.weber", "ben.vogel", "@x"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(handles, expected);
    }

    #[test]
    fn bodies_must_say_something_and_not_too_much() {
        assert_eq!(check_body("  hello \n"), Ok("hello"));
        assert!(check_body(" \n ").is_err());
        assert!(check_body(&"x".repeat(MAX_BODY + 1)).is_err());
    }
}
