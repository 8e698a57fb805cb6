//! Assets: the sales and marketing library partners trust as the one current source. Each
//! asset has an audience (partner tiers and types), publish and expiry dates, labels, and
//! versions; a new file makes a new version and supersedes the one before.
//!
//! Rules: a partner sees only live assets whose audience includes its tier and type (anything
//! else answers 404), and downloads only the current version; superseded versions stay in the
//! history and only vendor staff download them; every download is audited.

pub mod entity;
pub mod model;
mod pages;
pub mod seed;
pub mod store;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::AppState;
use crate::platform::files::MAX_FILE_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/library", get(pages::library))
        .route(
            "/library/new",
            get(pages::new_form)
                .post(pages::create)
                .layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/library/{id}", get(pages::detail))
        .route("/library/{id}/download", get(pages::download))
        .route(
            "/library/{id}/versions",
            post(pages::add_version).layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
        )
        .route(
            "/library/{id}/versions/{version}/download",
            get(pages::download_version),
        )
}
