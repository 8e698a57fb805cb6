//! The library API: the assets a token's organisation may see, with the same filters as the
//! page, their version history, and the current file (ranges honoured, downloads counted and
//! audited like the page's).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{LibraryQuery, News, Standing, entries, sort};
use super::pages::{serve_version, viewer};
use super::store::{self, Asset};
use crate::AppState;
use crate::api_page;
use crate::platform::api::{
    ApiQuery, ApiResult, PageQuery, ProblemDocument, moment, page_of_sorted, path_id,
};
use crate::platform::scope::Scope;
use crate::platform::time::now;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiAsset {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// `deck`, `one-pager`, `logo`, `banner`, `email template` …
    pub asset_type: String,
    pub markets: Vec<String>,
    pub languages: Vec<String>,
    pub product_lines: Vec<String>,
    pub campaign: Option<String>,
    /// `current`, `expires soon`, `scheduled`, `expired` or `retired` (partners see only the
    /// first two).
    pub standing: String,
    pub current_version: i32,
    #[schema(format = DateTime)]
    pub publish_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// When the current version arrived.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiAssetVersion {
    pub version: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// What changed in this version.
    pub notes: String,
    pub uploaded_by: String,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
    /// Only the current version's file is served to partners.
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiAssetDetail {
    #[serde(flatten)]
    pub asset: ApiAsset,
    /// Newest first.
    pub versions: Vec<ApiAssetVersion>,
}

fn api_asset(a: Asset, at: time::OffsetDateTime) -> ApiAsset {
    ApiAsset {
        standing: Standing::of(&a, at).word().to_owned(),
        markets: entries(a.markets.as_deref()),
        languages: entries(a.languages.as_deref()),
        product_lines: entries(a.product_lines.as_deref()),
        publish_at: moment(a.publish_at),
        expires_at: a.expires_at.map(moment),
        updated_at: moment(a.updated_at),
        id: a.id,
        title: a.title,
        description: a.description,
        asset_type: a.asset_type,
        campaign: a.campaign,
        current_version: a.current_version,
    }
}

api_page!(AssetPage, ApiAsset);

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetFilter {
    /// Every word appears in the title, description, type or labels.
    pub q: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub asset_type: Option<String>,
    pub market: Option<String>,
    pub language: Option<String>,
    pub product_line: Option<String>,
    pub campaign: Option<String>,
    /// Vendor tokens: `current` (default), `scheduled`, `expired`, `retired` or `all`.
    pub state: Option<String>,
}

/// The assets the token may see, most recently updated first.
#[utoipa::path(
    get,
    path = "/api/v1/assets",
    tag = "assets",
    params(AssetFilter, PageQuery),
    responses(
        (status = 200, description = "A page of assets", body = AssetPage),
        (status = 403, description = "The token lacks assets.read", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    scope: Scope,
    ApiQuery(filter): ApiQuery<AssetFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<AssetPage>> {
    let limit = page.limit()?;
    let after = page.cursor(|text| Uuid::parse_str(text).ok())?;
    let viewer = viewer(&state, &scope).await?;
    let at = now();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let query = LibraryQuery {
        q: text(&filter.q),
        asset_type: text(&filter.asset_type),
        market: text(&filter.market),
        language: text(&filter.language),
        product_line: text(&filter.product_line),
        campaign: text(&filter.campaign),
        state: text(&filter.state),
        ..LibraryQuery::default()
    };
    let news = News { since: None };
    let mut all: Vec<Asset> = store::library(&state.db, &state.library, &viewer, at)
        .await?
        .into_iter()
        .filter(|a| query.admits(a, None, &news, at))
        .collect();
    sort(&mut all, "");
    // A library holds hundreds or a few thousand assets: the filtered list is paged here.
    let (items, next_cursor) = page_of_sorted(all, after, limit, |a: &Asset| a.id);
    Ok(Json(AssetPage {
        items: items.into_iter().map(|a| api_asset(a, at)).collect(),
        next_cursor,
    }))
}

/// One asset with its version history.
#[utoipa::path(
    get,
    path = "/api/v1/assets/{id}",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The asset's id")),
    responses(
        (status = 200, description = "The asset", body = ApiAssetDetail),
        (status = 404, description = "No such asset for the token's organisation", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiAssetDetail>> {
    let viewer = viewer(&state, &scope).await?;
    let at = now();
    let asset = store::find(&state.db, &viewer, path_id(&id)?, at).await?;
    let versions = store::versions(&state.db, &asset)
        .await?
        .into_iter()
        .map(|v| ApiAssetVersion {
            current: v.version == asset.current_version,
            version: v.version,
            file_name: v.file_name,
            content_type: v.content_type,
            size_bytes: v.size_bytes,
            sha256: v.sha256,
            notes: v.notes,
            uploaded_by: v.uploaded_label,
            uploaded_at: moment(v.uploaded_at),
        })
        .collect();
    Ok(Json(ApiAssetDetail {
        asset: api_asset(asset, at),
        versions,
    }))
}

/// The current version's file. Send `Range` to resume; each download is counted and audited.
#[utoipa::path(
    get,
    path = "/api/v1/assets/{id}/content",
    tag = "assets",
    params(("id" = Uuid, Path, description = "The asset's id")),
    responses(
        (status = 200, description = "The file, with its content type, length and SHA-256 as a strong ETag", content_type = "application/octet-stream"),
        (status = 206, description = "The part a `Range` header asked for", content_type = "application/octet-stream"),
        (status = 404, description = "No such asset for the token's organisation", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn content(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let asset = store::find(&state.db, &viewer, path_id(&id)?, now()).await?;
    Ok(serve_version(
        &state,
        &scope,
        &client,
        &headers,
        &asset,
        asset.current_version,
    )
    .await?)
}
