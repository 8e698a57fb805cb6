//! Support's own tools: assigning many tickets at once from the queue, merging a duplicate into
//! the ticket that carries on, and canned replies agents start an answer from. Vendor staff
//! who answer tickets only; each change is audited like a single one.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::actions::{
    audit_entry, back_to, hand_over, may_write, move_ticket, support_staff, tell,
};
use super::model::Status;
use super::pages::readable_ticket;
use super::store::{self, Change, Stale};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::time::{format_date, now};
use crate::platform::web::{Chrome, Notice, PageContext, redirect_with_notice, render};

/// Vendor staff who answer tickets.
fn require_agent(scope: &Scope) -> AppResult<()> {
    scope.require(Permission::TicketsWrite)?;
    if scope.side() == Side::Vendor {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// `POST /support/assign`: the tickets ticked in the queue go to one person (or back to the
/// queue). Tickets someone changed meanwhile, or that the person may not answer, are left as
/// they are and counted in the message.
pub async fn assign_many(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    require_agent(&scope)?;
    let owner = fields
        .iter()
        .find(|(k, _)| k == "owner")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let back = fields
        .iter()
        .find(|(k, _)| k == "back")
        .map(|(_, v)| v.as_str())
        .filter(|v| v.starts_with("/support"))
        .unwrap_or("/support")
        .to_owned();
    let chosen: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "ticket")
        .map(|(_, v)| v.as_str())
        .collect();
    if chosen.is_empty() {
        return Ok(redirect_with_notice(
            &back,
            "Tick the requests to assign first.",
        ));
    }
    let actor = context.author(&scope);
    let (mut assigned, mut left) = (0, 0);
    let mut owner_name = None;
    for choice in chosen {
        // "<ticket id>:<owner id as the list showed it>"
        let (id, shown_owner) = choice.split_once(':').unwrap_or((choice, ""));
        let ticket = match readable_ticket(&state, &scope, id).await {
            Ok(ticket) => ticket,
            Err(AppError::NotFound) => {
                left += 1;
                continue;
            }
            Err(other) => return Err(other),
        };
        let owner_now = ticket
            .owner_user_id
            .map(|o| o.to_string())
            .unwrap_or_default();
        if !may_write(&scope, &ticket) || owner_now != shown_owner {
            left += 1;
            continue;
        }
        let person = if owner.is_empty() {
            None
        } else {
            match support_staff(&state.db, ticket.partner_id)
                .await?
                .into_iter()
                .find(|u| u.id.to_string() == owner)
            {
                Some(person) => Some(person),
                None => {
                    left += 1;
                    continue;
                }
            }
        };
        if person.as_ref().map(|p| p.id) == ticket.owner_user_id {
            continue;
        }
        owner_name = person.as_ref().map(|p| p.display_name.clone());
        let detail = json!({ "owner": owner_name, "bulk": true });
        let txn = begin_write(&state.db).await?;
        let handed = hand_over(
            &txn,
            &scope,
            &client,
            &actor,
            &ticket,
            person.as_ref(),
            detail,
        );
        if let Err(Stale) = handed.await? {
            left += 1;
            continue;
        }
        txn.commit().await?;
        assigned += 1;
    }
    let to = owner_name.unwrap_or_else(|| "the queue".to_owned());
    let mut message = format!(
        "Assigned {assigned} request{} to {to}.",
        if assigned == 1 { "" } else { "s" }
    );
    if left > 0 {
        message.push_str(&format!(
            " {left} left as they were: changed meanwhile, or not for this person."
        ));
    }
    Ok(redirect_with_notice(&back, &message))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeForm {
    into: String,
}

/// `POST /support/{id}/merge`: closes a duplicate into another request of the same partner;
/// the duplicate's requester follows the other one from now on.
pub async fn merge(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> AppResult<Response> {
    let duplicate = readable_ticket(&state, &scope, &id).await?;
    require_agent(&scope)?;
    if !may_write(&scope, &duplicate) {
        return Err(AppError::Forbidden);
    }
    let Some(into) = store::find_by_number(&state.db, &scope, &form.into).await? else {
        return Ok(back_to(
            &duplicate,
            "Merge into: enter the number of an open request of the same partner, e.g. TCK-10042.",
        ));
    };
    if into.id == duplicate.id || into.partner_id != duplicate.partner_id {
        return Ok(back_to(
            &duplicate,
            "Merge into: choose another request of the same partner.",
        ));
    }
    if !store::status_of(&into).is_active() || into.merged_into_id.is_some() {
        return Ok(back_to(
            &duplicate,
            &format!(
                "{} is resolved or closed; reopen it first or merge the other way.",
                into.number
            ),
        ));
    }
    if duplicate.merged_into_id.is_some() {
        return Ok(back_to(&duplicate, "This request was already merged."));
    }
    let actor = context.author(&scope);
    let txn = begin_write(&state.db).await?;
    if let Err(Stale) = store::claim_merge_target(&txn, &into, now()).await? {
        return Ok(back_to(
            &duplicate,
            &format!(
                "{} changed meanwhile (merged, resolved or closed); nothing was merged.",
                into.number
            ),
        ));
    }
    if let Err(Stale) = store::mark_merged(&txn, &duplicate, &into).await? {
        return Ok(back_to(
            &duplicate,
            "Someone changed this request while you were looking at it. Here is how it stands now.",
        ));
    }
    let note = Some(format!("Merged into {}", into.number));
    if store::status_of(&duplicate) != Status::Closed
        && let Err(Stale) = move_ticket(
            &txn,
            &scope,
            &client,
            &actor,
            &duplicate,
            Status::Closed,
            note.clone(),
        )
        .await?
    {
        return Ok(back_to(
            &duplicate,
            "Someone changed this request while you were looking at it. Here is how it stands now.",
        ));
    }
    store::record(
        &txn,
        &into,
        &actor,
        Change {
            kind: "merged",
            from: Some(&duplicate.number),
            note: Some(duplicate.subject.clone()),
            ..Change::default()
        },
        now(),
    )
    .await?;
    if let Some(requester) = duplicate.requester_user_id {
        crate::platform::threads::follow(
            &txn,
            &super::conversation::subject(&into),
            requester,
            Side::Partner,
        )
        .await?;
        tell(
            &txn,
            &into,
            Some(scope.user_id),
            vec![requester],
            format!("{} continues in {}", duplicate.number, into.number),
            format!("{}: {}", into.number, into.subject),
        )
        .await?;
    }
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &duplicate,
            "ticket.merged",
            json!({ "into": into.number }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("/support/{}", into.id),
        &format!(
            "{} merged into {}; its requester follows this one now.",
            duplicate.number, into.number
        ),
    ))
}

struct ReplyRow {
    id: Uuid,
    title: String,
    body: String,
    by: String,
}

#[derive(Template)]
#[template(path = "support/replies.html")]
struct RepliesPage {
    chrome: Chrome,
    flash: Option<String>,
    rows: Vec<ReplyRow>,
    title: String,
    body: String,
    error: Option<String>,
}

async fn replies_page(
    state: &AppState,
    context: &PageContext,
    flash: Option<String>,
    form: CannedForm,
    error: Option<String>,
) -> AppResult<Response> {
    let rows = store::canned_replies(&state.db)
        .await?
        .into_iter()
        .map(|r| ReplyRow {
            id: r.id,
            title: r.title,
            body: r.body,
            by: format!("{} · {}", r.created_label, format_date(r.updated_at)),
        })
        .collect();
    let failed = error.is_some();
    let mut response = render(&RepliesPage {
        chrome: Chrome::new(&state.instance, context),
        flash,
        rows,
        title: form.title,
        body: form.body,
        error,
    })?;
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /support/replies`: support's canned replies, and a form to add one.
pub async fn replies(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    require_agent(&scope)?;
    replies_page(&state, &context, notice.done, CannedForm::default(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CannedForm {
    title: String,
    body: String,
}

/// `POST /support/replies`: adds a canned reply.
pub async fn add_reply(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<CannedForm>,
) -> AppResult<Response> {
    require_agent(&scope)?;
    let title = form.title.trim().to_owned();
    let error = if title.is_empty() || title.chars().count() > 80 {
        Some("Title: name the reply in a few words (at most 80 characters), e.g. \"Tracking number on its way\".".to_owned())
    } else {
        crate::platform::threads::check_body(&form.body)
            .err()
            .map(|problem| format!("Text: {problem}"))
    };
    if let Some(error) = error {
        return replies_page(&state, &context, None, form, Some(error)).await;
    }
    let body = form.body.trim().to_owned();
    let txn = begin_write(&state.db).await?;
    let added =
        store::add_canned_reply(&txn, &title, &body, &context.author(&scope), now()).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "ticket.canned_reply_added")
            .on("canned_reply", added.id)
            .with(json!({ "title": title })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        "/support/replies",
        &format!("Canned reply “{title}” added."),
    ))
}

/// `POST /support/replies/{id}/remove`: removes a canned reply (replies sent with it stay).
pub async fn remove_reply(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    scope.require(Permission::TicketsWrite)?;
    // Canned replies are support's own: for partners they do not exist.
    if scope.side() != Side::Vendor {
        return Err(AppError::NotFound);
    }
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let txn = begin_write(&state.db).await?;
    if !store::remove_canned_reply(&txn, id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        Entry::by(&scope, &client, "ticket.canned_reply_removed").on("canned_reply", id),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        "/support/replies",
        "Canned reply removed.",
    ))
}
