//! `/admin/jobs`: the job queue as operators see it — how many jobs wait, run, finished or
//! died — and every dead-lettered job with its last error, to read and to retry.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use super::error::{AppError, AppResult};
use super::jobs;
use super::scope::{Permission, Scope};
use super::time::format_date;
use super::web::{Chrome, Notice, PageContext, redirect_with_notice, render};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(page))
        .route("/admin/jobs/{id}/retry", post(retry))
}

struct DeadJob {
    id: Uuid,
    kind: String,
    attempts: i32,
    failed: String,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    counts: Vec<(String, i64)>,
    dead: Vec<DeadJob>,
    flash: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let counts = jobs::counts(&state.db).await?;
    let dead = jobs::dead(&state.db, 100)
        .await?
        .into_iter()
        .map(|job| DeadJob {
            id: job.id,
            kind: job.kind,
            attempts: job.attempts,
            failed: job.finished_at.map(format_date).unwrap_or_default(),
            error: job.last_error.unwrap_or_default(),
        })
        .collect();
    render(&JobsPage {
        chrome: Chrome::new(&state.instance, &context),
        counts,
        dead,
        flash: notice.done,
    })
}

async fn retry(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let message = if jobs::retry(&state.db, id).await? {
        tracing::info!(job = %id, by = %scope.email, client = %client, "dead job retried");
        "The job is queued again with fresh attempts."
    } else {
        "That job is not dead-lettered (any more); nothing changed."
    };
    Ok(redirect_with_notice("/admin/jobs", message))
}
