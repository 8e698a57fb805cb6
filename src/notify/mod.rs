//! Notifications: the in-app inbox with its unread count, each user's choice per event
//! (immediately by e-mail, in a daily digest, or no e-mail), the e-mails themselves (sent by
//! jobs, HTML and text, linking to the object), and the mail outbox admins read.
//!
//! Rules: only events that matter notify (an order's status, a blocker, a message in a thread
//! one follows, a mention), never every field edit; a notification is written in the
//! transaction of the change that causes it; nobody is notified of their own action.

pub mod api;
pub mod entity;
pub mod jobs;
mod outbox;
mod pages;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub use store::{Announcement, Event, announce_message, publish};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(outbox::outbox))
        .route("/admin/outbox/{id}", get(outbox::message))
        .route("/notifications", get(pages::inbox))
        .route("/notifications/read-all", post(pages::read_all))
        .route("/notifications/{id}", get(pages::open))
        .route(
            "/notifications/settings",
            get(pages::settings).post(pages::save_settings),
        )
}
