//! A ticket's conversation, through the shared thread machinery: partner-visible replies,
//! vendor-internal notes partners never see, @mentions and attachments. Support's first
//! public reply stops the first-response clock; every reply can move the ticket to whoever
//! must act next.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::Response;
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;
use uuid::Uuid;

use super::actions::{audit_entry, back_to, may_write, move_ticket};
use super::model::{Status, status_after_message};
use super::pages::readable_ticket;
use super::store::{self, OBJECT_TYPE, Stale, Ticket};
use crate::AppState;
use crate::audit;
use crate::identity::store::mentionable_readers;
use crate::notify::{self, Announcement};
use crate::platform::error::{AppError, AppResult};
use crate::platform::files;
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::sla;
use crate::platform::threads::{self, MessageView, NewMessage, Participant, Posted, Subject};
use crate::platform::time::now;
use crate::platform::web::PageContext;

pub(super) fn subject(ticket: &Ticket) -> Subject {
    Subject {
        object_type: OBJECT_TYPE,
        object_id: ticket.id,
        partner_id: ticket.partner_id,
    }
}

pub(super) fn sees_internal(scope: &Scope) -> bool {
    threads::reads_internal(scope)
}

pub(super) async fn messages(
    db: &impl ConnectionTrait,
    scope: &Scope,
    ticket: &Ticket,
) -> Result<Vec<MessageView>, DbErr> {
    threads::message_views(db, &subject(ticket), sees_internal(scope)).await
}

impl crate::integrations::webhooks::EventSubject for Ticket {
    fn event_reference(&self) -> (&'static str, Uuid, serde_json::Value) {
        let reference = serde_json::json!({
            "id": self.id, "number": self.number, "partner_id": self.partner_id, "subject": self.subject,
        });
        ("ticket", self.partner_id, reference)
    }
}

/// Posts on the ticket and tells the people it mentions, the followers, and — for a public
/// message — the requester and owner.
pub(super) async fn post_and_tell(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    author: &Participant,
    message: NewMessage<'_>,
) -> Result<Posted, DbErr> {
    let mentionable = mentionable_readers(conn, ticket.partner_id, Permission::TicketsRead).await?;
    let body = message.body;
    let internal = message.internal && author.side == Side::Vendor;
    let at = message.at;
    let posted = threads::post(conn, &subject(ticket), author, message, &mentionable).await?;
    notify::announce_message(
        conn,
        Announcement {
            posted: &posted,
            author,
            partner_id: ticket.partner_id,
            about: format!("request {}", ticket.number),
            title: None,
            body,
            link: format!("/support/{}#discussion", ticket.id),
            also_tell: ticket
                .requester_user_id
                .into_iter()
                .chain(ticket.owner_user_id)
                .collect(),
            internal,
        },
    )
    .await?;
    crate::integrations::webhooks::tell(
        conn,
        ticket,
        "thread.message_created",
        internal,
        serde_json::json!({ "message": { "id": posted.message_id, "author": author.label, "internal": internal, "body": body } }),
    )
    .await?;
    store::touch(conn, ticket, at).await?;
    Ok(posted)
}

/// `POST /support/{id}/messages`: a reply (or, for support, an internal note) with an
/// optional file; support chooses what happens next ("then"). A multipart form whose CSRF
/// token travels in its address.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    if !may_write(&scope, &ticket) {
        return Err(AppError::Forbidden);
    }
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => return Ok(back_to(&ticket, &problem)),
    };
    let then = match upload.field("then") {
        "" => None,
        key => match Status::parse(key) {
            Some(wanted) => Some(wanted),
            None => return Ok(back_to(&ticket, "Choose what happens after your reply.")),
        },
    };
    let message = TicketMessage {
        body: upload.field("body"),
        internal: upload.field("internal") == "yes",
        then,
        file: upload.file(),
    };
    match add_message(&state, &scope, &context, &client, &ticket, message).await? {
        Ok(added) => {
            let what = if added.internal {
                "Internal note added"
            } else {
                "Message sent"
            };
            Ok(back_to(&ticket, &format!("{what} on {}.", ticket.number)))
        }
        Err(refusal) => Ok(back_to(&ticket, refusal.message())),
    }
}

/// Why a message was refused, in words: its text itself (`Body`), or the ticket's state or the
/// status asked for (`State`).
#[derive(Debug)]
pub enum Refusal {
    Body(String),
    State(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::Body(message) | Refusal::State(message) => message,
        }
    }
}

/// A message for a ticket's conversation.
pub struct TicketMessage<'a> {
    pub body: &'a str,
    /// An internal note (vendor staff only).
    pub internal: bool,
    /// What support wants the status to be after the reply; `None`: the usual next status.
    pub then: Option<Status>,
    pub file: Option<&'a files::UploadedFile>,
}

/// What was added.
pub struct AddedMessage {
    pub message_id: Uuid,
    pub internal: bool,
}

/// Adds a message or internal note: the people it concerns are told, the response clock and
/// the status move as a reply moves them, and it is audited. `Ok(Err(why))` refuses the message
/// (a closed request, an empty body …); 403 when the caller may not write here.
pub async fn add_message(
    state: &AppState,
    scope: &Scope,
    context: &PageContext,
    client: &SocketAddr,
    ticket: &Ticket,
    message: TicketMessage<'_>,
) -> AppResult<Result<AddedMessage, Refusal>> {
    let TicketMessage {
        body,
        internal,
        then,
        file,
    } = message;
    if !may_write(scope, ticket) || (internal && !sees_internal(scope)) {
        return Err(AppError::Forbidden);
    }
    let status = store::status_of(ticket);
    if status == Status::Closed {
        return Ok(Err(Refusal::State(
            "This request is closed. Reopen it, or open a new one and mention its number."
                .to_owned(),
        )));
    }
    let body = match threads::check_body(body) {
        Ok(body) => body.to_owned(),
        Err(problem) => return Ok(Err(Refusal::Body(problem))),
    };
    let from_partner = scope.side() == Side::Partner;
    // Support chooses what follows a reply on an active request; reopening is its own action.
    if let Some(wanted) = then
        && (from_partner || !status.is_active() || wanted == Status::Closed)
    {
        return Ok(Err(Refusal::State(format!(
            "A reply cannot make this request \"{}\"; choose what happens after your reply.",
            wanted.label()
        ))));
    }
    if then == Some(Status::Resolved) && internal {
        return Ok(Err(Refusal::State(
            "Resolve with a message the partner can read, not an internal note.".to_owned(),
        )));
    }
    let upload = threads::store_upload(&state.files, file).await?;
    let actor = context.author(scope);
    let participant = Participant {
        user_id: scope.user_id,
        label: actor.label.clone(),
        side: scope.side(),
    };
    let at = now();
    let txn = crate::platform::db::begin_write(&state.db).await?;
    // The request as it stands now, under the write lock: someone may have acted while the
    // message was being written.
    let ticket = store::reread(&txn, ticket).await?;
    let status = store::status_of(&ticket);
    let posted = post_and_tell(
        &txn,
        &ticket,
        &participant,
        NewMessage {
            body: &body,
            internal,
            attachment: upload.as_ref().map(threads::StoredUpload::attachment),
            at,
        },
    )
    .await?;
    if !internal {
        if !from_partner {
            let calendar = sla::calendar(&txn, store::CALENDAR).await?;
            store::responded(&txn, &calendar, &ticket, at).await?;
        }
        let next = match then {
            Some(wanted) if status.is_active() => wanted,
            _ => status_after_message(status, from_partner),
        };
        let note = (next == Status::Resolved).then(|| threads::excerpt(&body));
        // A status that moved in the meantime keeps the message and leaves the status be.
        if next != status {
            let _: Result<_, Stale> =
                move_ticket(&txn, scope, client, &actor, &ticket, next, note).await?;
        }
    }
    audit::record(
        &txn,
        audit_entry(
            scope,
            client,
            &ticket,
            if internal { "ticket.note_added" } else { "ticket.message_posted" },
            json!({ "message": posted.message_id, "mentioned": posted.mentioned.len(), "attachment": file.map(|f| f.name.clone()) }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(AddedMessage {
        message_id: posted.message_id,
        internal,
    }))
}

/// `GET /support/{id}/attachments/{attachment_id}`: a file from the conversation, if the
/// caller may read the message it belongs to.
pub async fn attachment(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, attachment_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    threads::download(
        &state,
        &subject(&ticket),
        &attachment_id,
        sees_internal(&scope),
        |detail| {
            audit_entry(
                &scope,
                &client,
                &ticket,
                "ticket.attachment_downloaded",
                detail,
            )
        },
    )
    .await
}
