//! Operations endpoints for load balancers and monitoring: `/healthz` (the process answers),
//! `/readyz` (the database answers and its schema is current) and `/metrics` (Prometheus).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{db, metrics};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::export))
}

async fn healthz() -> &'static str {
    "ok"
}

/// 200 only when this node can do real work; 503 with the reason otherwise.
async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(error) = state.db.execute_unprepared("SELECT 1").await {
        tracing::warn!(%error, "readiness: database unreachable");
        return not_ready("database unreachable");
    }
    match db::pending_migrations(&state.db).await {
        Ok(0) => Json(json!({ "status": "ready", "database": "ok", "migrations_pending": 0 }))
            .into_response(),
        Ok(pending) => not_ready(&format!("{pending} migrations not applied")),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "readiness: migration status");
            not_ready("migration status unreadable")
        }
    }
}

fn not_ready(reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "not ready", "reason": reason })),
    )
        .into_response()
}
