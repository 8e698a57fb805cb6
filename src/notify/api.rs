//! The notifications API: the inbox of the person a token acts for.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store;
use crate::AppState;
use crate::platform::api::{ApiResult, Problem, ProblemDocument, moment, path_id};
use crate::platform::scope::Scope;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiNotification {
    pub id: Uuid,
    /// `order.status`, `order.message`, `ticket.update` …
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The page it is about, relative to the portal's address.
    pub link: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

/// The newest 100 notifications of the person the token acts for.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    responses((status = 200, description = "Newest first", body = Vec<ApiNotification>))
)]
pub async fn list(
    State(state): State<AppState>,
    scope: Scope,
) -> ApiResult<Json<Vec<ApiNotification>>> {
    let found = store::inbox(&state.db, scope.user_id, 100).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|n| ApiNotification {
                id: n.id,
                kind: n.kind,
                title: n.title,
                body: n.body,
                link: n.link,
                created_at: moment(n.created_at),
                read_at: n.read_at.map(moment),
            })
            .collect(),
    ))
}

/// Marks one notification read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    tag = "notifications",
    params(("id" = Uuid, Path, description = "The notification's id")),
    responses(
        (status = 204, description = "Marked read"),
        (status = 404, description = "Not one of this person's notifications", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    scope.require_own_account_change()?;
    store::open(&state.db, scope.user_id, path_id(&id)?)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
