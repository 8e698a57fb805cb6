//! Organisations: the vendor and its partners, as a tree (distributor → resellers, partner →
//! business units), with profiles and a status history.
//!
//! Rules: every read goes through the caller's `Scope` (`store`); a partner outside it answers
//! 404 like a missing one; a status change is a new history row with who, when and why.

pub mod api;
pub mod entity;
mod manage;
pub mod model;
mod pages;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/partners", get(pages::list))
        .route("/partners/new", get(manage::new_form).post(manage::create))
        .route("/partners/{id}", get(pages::detail))
        .route(
            "/partners/{id}/edit",
            get(manage::edit_form).post(manage::edit_submit),
        )
        .route("/partners/{id}/status", post(manage::change_status))
        .route("/partners/{id}/classification", post(manage::classify))
        .route("/partners/{id}/managers", post(manage::assign_manager))
        .route(
            "/partners/{id}/managers/{staff_id}/remove",
            post(manage::unassign_manager),
        )
        .route(
            "/partners/{id}/descendants",
            post(manage::set_descendants_visible),
        )
        .route(
            "/partners/{id}/certifications",
            post(manage::add_certification),
        )
        .route(
            "/partners/{id}/certifications/{certification_id}/remove",
            post(manage::remove_certification),
        )
        .route("/organisation", get(manage::own_organisation))
}
