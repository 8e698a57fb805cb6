//! The discussion on an order, through the shared thread machinery: partner and vendor write
//! in it, vendor staff add internal notes partners never see, people are @mentioned, files are
//! attached; followers and mentioned people are notified.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::Response;
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;
use uuid::Uuid;

use super::manage::{audit_entry, author};
use super::pages::readable_order;
use super::store::Order;
use crate::AppState;
use crate::audit;
use crate::identity::store::mentionable_readers;
use crate::integrations::webhooks;
use crate::notify::{self, Announcement, Event};
use crate::platform::error::{AppError, AppResult};
use crate::platform::files;
use crate::platform::scope::{Permission, Scope};
use crate::platform::threads::{self, Mentionable, MessageView, NewMessage, Participant, Subject};
use crate::platform::web::{PageContext, redirect_with_notice};

pub(super) fn subject(order: &Order) -> Subject {
    Subject {
        object_type: "order",
        object_id: order.id,
        partner_id: order.partner_id,
    }
}

/// Vendor staff who may read internal notes; partners never do.
pub(super) fn sees_internal(scope: &Scope) -> bool {
    threads::reads_internal(scope)
}

/// Writing in an order's discussion is a change to the partner's data: the caller's write
/// reach must hold the order's partner (a parent organisation only reads its sub-partners').
pub(super) fn may_post(scope: &Scope, order: &Order) -> bool {
    [
        Permission::OrdersWrite,
        Permission::OrdersApprove,
        Permission::TicketsWrite,
    ]
    .into_iter()
    .any(|p| {
        scope
            .partners(p)
            .is_ok_and(|reach| reach.contains(order.partner_id))
    })
}

/// The messages the caller may read, oldest first.
pub(super) async fn messages(
    db: &impl ConnectionTrait,
    scope: &Scope,
    order: &Order,
) -> Result<Vec<MessageView>, DbErr> {
    threads::message_views(db, &subject(order), sees_internal(scope)).await
}

/// Everyone who may read the order today, with whether they read internal notes.
async fn readers(conn: &impl ConnectionTrait, order: &Order) -> Result<Vec<Mentionable>, DbErr> {
    mentionable_readers(conn, order.partner_id, Permission::OrdersRead).await
}

/// Tells the order's followers and its creator of a change (never the person who made it, nor
/// anyone who may no longer read the order).
pub(super) async fn tell_followers(
    conn: &impl ConnectionTrait,
    order: &Order,
    actor: Uuid,
    kind: &'static str,
    title: String,
    body: String,
) -> Result<(), DbErr> {
    let mut recipients: Vec<Uuid> = threads::followers(conn, &subject(order))
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    recipients.extend(order.created_by);
    let may_read = readers(conn, order).await?;
    recipients.retain(|id| may_read.iter().any(|r| r.user_id == *id));
    notify::publish(
        conn,
        Event {
            kind,
            recipients,
            actor: Some(actor),
            partner_id: Some(order.partner_id),
            title,
            body,
            link: format!("/orders/{}", order.id),
        },
    )
    .await
}

/// A message to add to an order's discussion.
pub struct OrderMessage<'a> {
    pub body: &'a str,
    pub internal: bool,
    pub file: Option<&'a files::UploadedFile>,
}

/// What was added.
pub struct AddedMessage {
    pub message_id: Uuid,
    pub internal: bool,
}

/// Adds a message (or, for vendor staff, an internal note) to the order's discussion: the file
/// is stored, mentioned people and followers are told, and the change is audited. 403 when the
/// caller may not write there or asks for an internal note without reading them.
pub async fn add_message(
    state: &AppState,
    scope: &Scope,
    context: &PageContext,
    client: &SocketAddr,
    order: &Order,
    message: OrderMessage<'_>,
) -> AppResult<AddedMessage> {
    let OrderMessage {
        body,
        internal,
        file,
    } = message;
    if !may_post(scope, order) || (internal && !sees_internal(scope)) {
        return Err(AppError::Forbidden);
    }
    let upload = threads::store_upload(&state.files, file).await?;
    let mentionable = readers(&state.db, order).await?;
    let who = author(scope, context);
    let participant = Participant {
        user_id: scope.user_id,
        label: who.label.clone(),
        side: scope.side(),
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let posted = threads::post(
        &txn,
        &subject(order),
        &participant,
        NewMessage {
            body,
            internal,
            attachment: upload.as_ref().map(threads::StoredUpload::attachment),
            at: crate::platform::time::now(),
        },
        &mentionable,
    )
    .await?;
    notify::announce_message(
        &txn,
        Announcement {
            posted: &posted,
            author: &participant,
            partner_id: order.partner_id,
            about: format!("order {}", order.number),
            title: None,
            body,
            link: format!("/orders/{}#discussion", order.id),
            also_tell: Vec::new(),
            internal,
        },
    )
    .await?;
    webhooks::tell(
        &txn,
        order,
        "thread.message_created",
        internal,
        json!({ "message": { "id": posted.message_id, "author": participant.label, "internal": internal, "body": body } }),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            scope,
            client,
            order,
            if internal { "order.note_added" } else { "order.message_posted" },
            json!({ "message": posted.message_id, "mentioned": posted.mentioned.len(), "attachment": file.map(|f| f.name.clone()) }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(AddedMessage {
        message_id: posted.message_id,
        internal,
    })
}

impl webhooks::EventSubject for Order {
    fn event_reference(&self) -> (&'static str, Uuid, serde_json::Value) {
        let reference =
            json!({ "id": self.id, "number": self.number, "partner_id": self.partner_id });
        ("order", self.partner_id, reference)
    }
}

fn back_to(order: &Order, message: &str) -> Response {
    redirect_with_notice(&format!("/orders/{}#discussion", order.id), message)
}

/// `POST /orders/{id}/messages`: a message (or, for vendor staff, an internal note) with an
/// optional attachment; a multipart form whose CSRF token travels in its address.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let order = readable_order(&state, &scope, &id).await?;
    if !may_post(&scope, &order) {
        return Err(AppError::Forbidden);
    }
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => return Ok(back_to(&order, &problem)),
    };
    let body = match threads::check_body(upload.field("body")) {
        Ok(body) => body.to_owned(),
        Err(problem) => return Ok(back_to(&order, &problem)),
    };
    let internal = upload.field("internal") == "yes";
    let posted = add_message(
        &state,
        &scope,
        &context,
        &client,
        &order,
        OrderMessage {
            body: &body,
            internal,
            file: upload.file(),
        },
    )
    .await?;
    let what = if posted.internal {
        "an internal note"
    } else {
        "a message"
    };
    Ok(back_to(
        &order,
        &format!("You added {what} to order {}.", order.number),
    ))
}

/// `GET /orders/{id}/attachments/{attachment_id}`: a file from the discussion, if the caller
/// may read the message it belongs to.
pub async fn attachment(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, attachment_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let order = readable_order(&state, &scope, &id).await?;
    threads::download(
        &state,
        &subject(&order),
        &attachment_id,
        sees_internal(&scope),
        |detail| {
            audit_entry(
                &scope,
                &client,
                &order,
                "order.attachment_downloaded",
                detail,
            )
        },
    )
    .await
}
