//! `/admin/outbox`: vendor admins read every message the portal sent or holds (all of it, when
//! no SMTP server is configured).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use uuid::Uuid;

use crate::AppState;
use crate::platform::error::{AppError, AppResult};
use crate::platform::mail::{self, OutboxMail};
use crate::platform::scope::{Permission, Scope};
use crate::platform::web::{Chrome, PageContext, render};

struct OutboxRow {
    id: Uuid,
    recipient: String,
    subject: String,
    created: String,
    status: &'static str,
    tone: &'static str,
    error: String,
}

fn delivery(mail: &OutboxMail, smtp: bool) -> (&'static str, &'static str) {
    match (&mail.sent_at, &mail.last_error) {
        (Some(_), _) => ("sent", "green"),
        (None, Some(_)) => ("failing", "red"),
        (None, None) if smtp => ("sending", "blue"),
        (None, None) => ("kept in outbox", "neutral"),
    }
}

#[derive(Template)]
#[template(path = "notify/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    rows: Vec<OutboxRow>,
    smtp: bool,
}

pub async fn outbox(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let smtp = state.mailer.sends_by_smtp();
    let rows = mail::recent(&state.db, 200)
        .await?
        .into_iter()
        .map(|m| {
            let (status, tone) = delivery(&m, smtp);
            OutboxRow {
                id: m.id,
                created: m.created_at.to_string(),
                error: m.last_error.unwrap_or_default(),
                recipient: m.recipient,
                subject: m.subject,
                status,
                tone,
            }
        })
        .collect();
    render(&OutboxPage {
        chrome: Chrome::new(&state.instance, &context),
        rows,
        smtp,
    })
}

#[derive(Template)]
#[template(path = "notify/message.html")]
struct MessagePage {
    chrome: Chrome,
    mail: OutboxMail,
    status: &'static str,
    tone: &'static str,
}

pub async fn message(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let mail = mail::find(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (status, tone) = delivery(&mail, state.mailer.sends_by_smtp());
    render(&MessagePage {
        chrome: Chrome::new(&state.instance, &context),
        mail,
        status,
        tone,
    })
}
