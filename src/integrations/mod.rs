//! Integrations: the REST API's router and its OpenAPI 3.1 document (generated from the
//! handlers' annotations, so the document and the routes cannot drift apart), and the API page
//! for people at `/api/docs`.
//!
//! Rules: every API operation needs a bearer token ([`crate::identity::api_tokens`]) and obeys the
//! token's scope exactly as the pages obey a session's; errors are problem documents; each module
//! keeps its handlers in its own `api.rs`, and is listed here once.

mod docs;
mod import;
mod pages;
pub mod sync;
pub mod webhooks;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower::ServiceBuilder;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::platform::api::{self, FieldError, ProblemDocument};
use crate::{AppState, assets, commissions, identity, notify, orders, orgs, support};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portico API",
        version = "1",
        description = "The partner portal's data for other systems: the same data, scope and permissions as the pages, for the token's maker. See /api/docs."
    ),
    components(schemas(ProblemDocument, FieldError)),
    modifiers(&BearerToken),
    tags(
        (name = "identity", description = "The token's maker and their organisation's users"),
        (name = "organisations", description = "Partner organisations"),
        (name = "orders", description = "Orders, their lines, history, documents and discussion"),
        (name = "commissions", description = "Commission statements, their lines with explanations, disputes, and earnings"),
        (name = "assets", description = "The asset library: current sales and marketing assets and their files"),
        (name = "notifications", description = "The inbox of the token's maker"),
        (name = "support", description = "Support tickets and their conversation"),
        (name = "sync", description = "Inbound sync from an ERP: orders by the source's own references, with a result per record"),
    )
)]
struct ApiDoc;

/// Every operation needs a bearer token.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ptk_…")
                    .description(Some("An API token made at /api-tokens"))
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "token",
            Vec::<String>::new(),
        )]);
    }
}

/// Every API operation, with its documentation.
fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(identity::api::me))
        .routes(routes!(identity::api::users))
        .routes(routes!(orgs::api::list))
        .routes(routes!(orgs::api::one))
        .routes(routes!(orders::api::list, orders::api::create))
        .routes(routes!(orders::api::submit))
        .routes(routes!(orders::api::withdraw))
        .routes(routes!(orders::api::one))
        .routes(routes!(orders::api::documents))
        .routes(routes!(orders::api::document_content))
        .routes(routes!(orders::api::messages, orders::api::post_message))
        .routes(routes!(commissions::api::statements))
        .routes(routes!(commissions::api::statement))
        .routes(routes!(commissions::api::line))
        .routes(routes!(commissions::api::messages))
        .routes(routes!(commissions::api::dispute))
        .routes(routes!(commissions::api::earnings))
        .routes(routes!(assets::api::list))
        .routes(routes!(assets::api::one))
        .routes(routes!(assets::api::content))
        .routes(routes!(notify::api::list))
        .routes(routes!(notify::api::read))
        .routes(routes!(support::api::list, support::api::open))
        .routes(routes!(support::api::one))
        .routes(routes!(support::api::messages, support::api::post_message))
        .routes(routes!(sync::sync_orders))
        .routes(routes!(sync::sync_document))
}

/// The OpenAPI document of every operation, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| operations().into_openapi())
}

/// The pages: the API's documentation for people, webhooks, and the integration status.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/api/docs", get(docs::page))
        .route("/integrations", get(pages::status))
        .route(
            "/integrations/webhooks",
            get(pages::list).post(pages::subscribe),
        )
        .route("/integrations/webhooks/{id}", get(pages::detail))
        .route("/integrations/webhooks/{id}/enable", post(pages::enable))
        .route("/integrations/webhooks/{id}/disable", post(pages::disable))
        .route("/integrations/webhooks/{id}/rotate", post(pages::rotate))
        .route(
            "/integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(pages::redeliver),
        )
        .route("/integrations/sources/{id}", post(pages::edit_source))
        .route("/integrations/conflicts", get(pages::conflicts))
        .route("/integrations/conflicts/{id}/resolve", post(pages::resolve))
        .route(
            "/integrations/import",
            get(import::form)
                .post(import::upload)
                .layer(crate::platform::files::upload_body_limit()),
        )
}

/// The API: its operations behind token authentication, the rate limit, idempotency keys and
/// conditional GETs; the OpenAPI document needs no token.
pub fn routes(state: &AppState) -> Router<AppState> {
    let (operations, document) = operations().split_for_parts();
    let json = Arc::new(document.to_pretty_json().unwrap_or_default());
    // Listed outermost first: a request is authenticated before it counts against its token.
    let layers = ServiceBuilder::new()
        .layer(from_fn_with_state(
            state.clone(),
            identity::api_tokens::require_token,
        ))
        .layer(from_fn_with_state(state.clone(), api::rate_limit))
        .layer(from_fn_with_state(state.clone(), api::idempotency))
        .layer(from_fn(api::conditional_get))
        .layer(axum::extract::DefaultBodyLimit::max(api::MAX_BODY_BYTES));
    operations.layer(layers).route(
        "/api/v1/openapi.json",
        get(move || {
            let json = json.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    json.as_str().to_owned(),
                )
                    .into_response()
            }
        }),
    )
}
