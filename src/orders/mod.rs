//! Orders: the catalogue and price lists, orders with their lines, status, blockers, dates,
//! payment status and source, a timeline of every change, and the documents that go with them.
//!
//! Rules: every read goes through the caller's `Scope` (an order outside it answers 404); a
//! partner creates and submits orders only for its own organisation, checked against its price
//! list, discount limit, quantity rules and status; vendor operations confirm, reject, move,
//! block and unblock; every change is a new timeline row (who, when, from → to, why) written in
//! the same transaction, and audited.

pub mod api;
mod catalogue;
mod discussion;
pub mod documents;
pub mod entity;
mod manage;
pub mod model;
mod pages;
pub mod seed;
pub mod store;
pub mod sync;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::platform::files;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders", get(pages::list))
        .route("/catalogue", get(catalogue::page))
        .route("/orders/export/{format}", get(pages::export))
        .route("/orders/new", get(manage::new_form).post(manage::create))
        .route("/orders/{id}", get(pages::detail))
        .route(
            "/orders/{id}/edit",
            get(manage::edit_form).post(manage::edit_submit),
        )
        .route("/orders/{id}/submit", post(manage::submit))
        .route("/orders/{id}/cancel", post(manage::cancel))
        .route("/orders/{id}/confirm", post(manage::confirm))
        .route("/orders/{id}/reject", post(manage::reject))
        .route("/orders/{id}/status", post(manage::advance))
        .route("/orders/{id}/block", post(manage::block))
        .route("/orders/{id}/unblock", post(manage::unblock))
        .route("/orders/{id}/promise", post(manage::promise))
        .route(
            "/orders/{id}/documents",
            post(documents::upload).layer(files::upload_body_limit()),
        )
        .route(
            "/orders/{id}/documents/{document_id}",
            get(documents::download),
        )
        .route(
            "/orders/{id}/messages",
            post(discussion::post).layer(files::upload_body_limit()),
        )
        .route(
            "/orders/{id}/attachments/{attachment_id}",
            get(discussion::attachment),
        )
}
