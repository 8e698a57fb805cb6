//! Assets: the sales and marketing library partners trust as the one current source. Each
//! asset has an audience (partner tiers and types), publish and expiry dates, labels, and
//! versions; a new file makes a new version and supersedes the one before.
//!
//! Rules: a partner sees only live assets whose audience includes its tier and type (anything
//! else answers 404), and downloads only the current version; superseded versions stay in the
//! history and only vendor staff download them; every download is audited and counted for
//! marketing's reports. Files are checked by their bytes before anything is stored, and a
//! change that fails leaves no file behind.

pub mod api;
pub mod entity;
mod manage;
pub mod model;
mod pages;
pub mod preview;
pub mod seed;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::platform::files::upload_body_limit;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/library", get(pages::library))
        .route(
            "/library/new",
            get(manage::new_form)
                .post(manage::create)
                .layer(upload_body_limit()),
        )
        .route(
            "/library/bulk",
            get(manage::bulk_form)
                .post(manage::bulk)
                .layer(upload_body_limit()),
        )
        .route("/library/downloads", get(pages::report))
        .route(
            "/library/campaigns",
            get(manage::campaigns).post(manage::add_campaign),
        )
        .route("/library/campaigns/{id}", post(manage::edit_campaign))
        .route("/library/{id}", get(pages::detail))
        .route(
            "/library/{id}/edit",
            get(manage::edit_form).post(manage::edit),
        )
        .route("/library/{id}/retire", post(manage::retire))
        .route("/library/{id}/restore", post(manage::restore))
        .route("/library/{id}/download", get(pages::download))
        .route("/library/{id}/thumbnail", get(pages::thumbnail))
        .route("/library/{id}/downloads", get(pages::downloads))
        .route(
            "/library/{id}/versions",
            post(manage::add_version).layer(upload_body_limit()),
        )
        .route(
            "/library/{id}/versions/{version}/download",
            get(pages::download_version),
        )
}
