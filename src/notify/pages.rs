//! The inbox (`/notifications`) and the delivery settings (`/notifications/settings`): every
//! signed-in user has their own, and reaches no one else's.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::store::{self, Delivery};
use crate::AppState;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::Scope;
use crate::platform::time::format_date;
use crate::platform::web::{Chrome, Notice, PageContext, redirect_with_notice, render};

const INBOX_SIZE: u64 = 100;

struct InboxRow {
    id: Uuid,
    title: String,
    body: String,
    when: String,
    when_exact: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notify/inbox.html")]
struct InboxPage {
    chrome: Chrome,
    rows: Vec<InboxRow>,
    unread: usize,
    flash: Option<String>,
}

pub async fn inbox(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let rows: Vec<InboxRow> = store::inbox(&state.db, scope.user_id, INBOX_SIZE)
        .await?
        .into_iter()
        .map(|n| InboxRow {
            id: n.id,
            title: n.title,
            body: n.body,
            when: format_date(n.created_at),
            when_exact: n.created_at.to_string(),
            unread: n.read_at.is_none(),
        })
        .collect();
    render(&InboxPage {
        chrome: Chrome::new(&state.instance, &context),
        unread: rows.iter().filter(|r| r.unread).count(),
        rows,
        flash: notice.done,
    })
}

/// Opens a notification: marks it read and goes to what it is about.
pub async fn open(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let link = if scope.read_only_view {
        // Looking over someone's shoulder leaves their inbox as it was.
        store::inbox(&state.db, scope.user_id, INBOX_SIZE)
            .await?
            .into_iter()
            .find(|n| n.id == id)
            .map(|n| n.link)
    } else {
        store::open(&state.db, scope.user_id, id).await?
    };
    let link = link.ok_or(AppError::NotFound)?;
    // Only paths inside the portal: a notification never sends anyone elsewhere.
    let safe = link.starts_with('/') && !link.starts_with("//");
    Ok(Redirect::to(if safe { &link } else { "/notifications" }).into_response())
}

pub async fn read_all(State(state): State<AppState>, scope: Scope) -> AppResult<Response> {
    scope.require_own_account_change()?;
    let count = store::read_all(&state.db, scope.user_id).await?;
    let message = match count {
        0 => "Nothing was unread.".to_owned(),
        1 => "1 notification marked as read.".to_owned(),
        n => format!("{n} notifications marked as read."),
    };
    Ok(redirect_with_notice("/notifications", &message))
}

struct Choice {
    kind: &'static str,
    label: &'static str,
    options: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "notify/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    choices: Vec<Choice>,
    flash: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let choices = store::preferences(&state.db, scope.user_id)
        .await?
        .into_iter()
        .map(|(kind, label, chosen)| Choice {
            kind,
            label,
            options: Delivery::ALL
                .into_iter()
                .map(|d| (d.key(), d.label(), d == chosen))
                .collect(),
        })
        .collect();
    render(&SettingsPage {
        chrome: Chrome::new(&state.instance, &context),
        choices,
        flash: notice.done,
    })
}

pub async fn save_settings(
    State(state): State<AppState>,
    scope: Scope,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    scope.require_own_account_change()?;
    let mut chosen = Vec::new();
    for (kind, _) in store::KINDS {
        // A kind the form does not send keeps its current choice.
        let Some((_, value)) = fields.iter().find(|(name, _)| name == kind) else {
            continue;
        };
        let Some(delivery) = Delivery::parse(value) else {
            return Ok(redirect_with_notice(
                "/notifications/settings",
                "Choose how you hear of each event; nothing was changed.",
            ));
        };
        chosen.push((kind, delivery));
    }
    let txn = crate::platform::db::begin_write(&state.db).await?;
    for (kind, delivery) in chosen {
        store::set_preference(&txn, scope.user_id, kind, delivery).await?;
    }
    txn.commit().await?;
    Ok(redirect_with_notice(
        "/notifications/settings",
        "Your notification settings are saved.",
    ))
}
