//! Organisations: the vendor and its partners, as a tree (distributor → resellers, partner →
//! business units), with profiles and a status history.
//!
//! Rules: every read goes through the caller's `Scope` (`store`); a partner outside it answers
//! 404 like a missing one; a status change is a new history row with who, when and why.

pub mod entity;
mod pages;
pub mod store;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/partners", get(pages::list))
        .route("/partners/{id}", get(pages::detail))
}
