//! `/library`: the asset library. Partners browse the live assets meant for their tier and
//! type and download the current version; vendor marketing adds assets and new versions.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::Response;
use sea_orm::ActiveValue::Set;
use serde_json::json;
use uuid::Uuid;

use super::entity::asset;
use super::model::{ASSET_TYPES, TIERS, Viewer, entries, is_live};
use super::store::{self, Asset, NewFile, Uploader};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::orgs::model::PARTNER_TYPES;
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::files::{self, Upload};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::time::{format_date, now, parse_day};
use crate::platform::web::{Chrome, Notice, PageContext, redirect_with_notice, render};

/// The viewer behind a request that may read assets.
async fn viewer(state: &AppState, scope: &Scope) -> AppResult<Viewer> {
    scope.require(Permission::AssetsRead)?;
    Ok(match scope.side() {
        Side::Vendor => Viewer::Vendor,
        Side::Partner => {
            let own = orgs::find_partner(&state.db, scope, scope.organization_id).await?;
            Viewer::Partner {
                tier: own.tier,
                partner_type: own.partner_type,
            }
        }
    })
}

struct AssetRow {
    id: Uuid,
    title: String,
    asset_type: String,
    labels: Vec<String>,
    version: i32,
    updated: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "assets/library.html")]
struct LibraryPage {
    chrome: Chrome,
    rows: Vec<AssetRow>,
    can_manage: bool,
}

fn labels(asset: &Asset) -> Vec<String> {
    [&asset.markets, &asset.languages, &asset.product_lines]
        .into_iter()
        .flat_map(|stored| entries(stored.as_deref()))
        .chain(asset.campaign.clone())
        .collect()
}

pub async fn library(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let at = now();
    let rows = store::library(&state.db, &viewer, at)
        .await?
        .into_iter()
        .map(|a| AssetRow {
            id: a.id,
            labels: labels(&a),
            live: is_live(&a, at),
            title: a.title,
            asset_type: a.asset_type,
            version: a.current_version,
            updated: format_date(a.updated_at),
        })
        .collect();
    render(&LibraryPage {
        chrome: Chrome::new(&state.instance, &context),
        rows,
        can_manage: scope.can(Permission::AssetsManage),
    })
}

struct VersionRow {
    version: i32,
    file_name: String,
    size: String,
    notes: String,
    uploaded_by: String,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "assets/detail.html")]
struct DetailPage {
    chrome: Chrome,
    asset: Asset,
    labels: Vec<String>,
    live: bool,
    current: VersionRow,
    /// "updated on 12 Mar 2026 (was v3)" once there is more than one version.
    changed: Option<String>,
    history: Vec<VersionRow>,
    vendor: bool,
    can_manage: bool,
    flash: Option<String>,
}

fn version_row(v: &store::Version) -> VersionRow {
    VersionRow {
        version: v.version,
        file_name: v.file_name.clone(),
        size: format!("{} KB", (v.size_bytes + 1023) / 1024),
        notes: v.notes.clone(),
        uploaded_by: v.uploaded_label.clone(),
        uploaded: format_date(v.uploaded_at),
    }
}

pub async fn detail(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    axum::extract::Query(notice): axum::extract::Query<Notice>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let at = now();
    let asset = store::find(&state.db, &viewer, id, at).await?;
    let versions = store::versions(&state.db, &asset).await?;
    let current = versions
        .iter()
        .find(|v| v.version == asset.current_version)
        .map(version_row)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("asset {} has no current version", asset.id))
        })?;
    let changed = (asset.current_version > 1).then(|| {
        format!(
            "Updated on {} (was v{})",
            current.uploaded,
            asset.current_version - 1
        )
    });
    render(&DetailPage {
        chrome: Chrome::new(&state.instance, &context),
        labels: labels(&asset),
        live: is_live(&asset, at),
        current,
        changed,
        history: versions.iter().map(version_row).collect(),
        vendor: matches!(viewer, Viewer::Vendor),
        can_manage: scope.can(Permission::AssetsManage),
        flash: notice.done,
        asset,
    })
}

async fn serve_version(
    state: &AppState,
    scope: &Scope,
    client: &SocketAddr,
    asset: &Asset,
    number: i32,
) -> AppResult<Response> {
    let version = store::find_version(&state.db, asset, number).await?;
    let body = state.files.body(&version.sha256).await?;
    audit::record_alone(
        &state.db,
        Entry::by(scope, client, "asset.downloaded")
            .on("asset", asset.id)
            .with(json!({ "title": asset.title, "version": number, "current": number == asset.current_version })),
    )
    .await?;
    Ok(files::attachment(
        body,
        &version.file_name,
        &version.content_type,
    ))
}

/// The current version: what partners always get.
pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let asset = store::find(&state.db, &viewer, id, now()).await?;
    serve_version(&state, &scope, &client, &asset, asset.current_version).await
}

/// Any version, superseded ones included: vendor staff only.
pub async fn download_version(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, number)): Path<(String, String)>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    // For partners superseded files do not exist: they always get the current version.
    if !matches!(viewer, Viewer::Vendor) {
        return Err(AppError::NotFound);
    }
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let number: i32 = number.parse().map_err(|_| AppError::NotFound)?;
    let asset = store::find(&state.db, &viewer, id, now()).await?;
    serve_version(&state, &scope, &client, &asset, number).await
}

#[derive(Template)]
#[template(path = "assets/new.html")]
struct NewPage {
    chrome: Chrome,
    types: [&'static str; 11],
    tiers: [&'static str; 4],
    partner_types: [&'static str; 5],
    today: String,
    errors: Vec<String>,
}

async fn new_page(
    state: &AppState,
    context: &PageContext,
    errors: Vec<String>,
) -> AppResult<Response> {
    render(&NewPage {
        chrome: Chrome::new(&state.instance, context),
        types: ASSET_TYPES,
        tiers: TIERS,
        partner_types: PARTNER_TYPES,
        today: now().date().to_string(),
        errors,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    new_page(&state, &context, Vec::new()).await
}

/// Comma- or line-separated labels as stored: one per line, `None` when there are none.
fn label_list(text: &str) -> Option<String> {
    orgs::lines(&text.split([',', '\n']).collect::<Vec<_>>())
}

fn chosen(upload: &Upload, name: &str, allowed: &[&str]) -> Option<String> {
    let picked: Vec<&str> = upload
        .fields
        .iter()
        .filter(|(n, v)| n == name && allowed.contains(&v.as_str()))
        .map(|(_, v)| v.as_str())
        .collect();
    (!picked.is_empty()).then(|| picked.join("\n"))
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    request: Request,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    let upload = match files::read_upload(request).await {
        Ok(upload) => upload,
        Err(problem) => return new_page(&state, &context, vec![problem]).await,
    };
    let mut errors = Vec::new();
    let title = upload.field("title").to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(
            "Title: give the asset a title partners will recognise (at most 200 characters)."
                .to_owned(),
        );
    }
    let asset_type = upload.field("asset_type").to_owned();
    if !ASSET_TYPES.contains(&asset_type.as_str()) {
        errors.push("Type: choose one from the list.".to_owned());
    }
    let publish = match upload.field("publish_on") {
        "" => Some(now()),
        text => parse_day(text).map(|d| d.midnight().assume_utc()),
    };
    if publish.is_none() {
        errors.push("Publish on: use YYYY-MM-DD, e.g. 2026-03-12.".to_owned());
    }
    let expires = match upload.field("expires_on") {
        "" => Some(None),
        text => parse_day(text).map(|d| Some(d.midnight().assume_utc())),
    };
    match (publish, expires) {
        (_, None) => errors.push("Expires on: use YYYY-MM-DD, or leave it empty.".to_owned()),
        (Some(publish), Some(Some(expires))) if expires <= publish => {
            errors.push("Expires on: choose a day after the publish day.".to_owned());
        }
        _ => {}
    }
    let Some(file) = upload.file.as_ref() else {
        errors.push("File: choose the file to publish; an empty file is not an asset.".to_owned());
        return new_page(&state, &context, errors).await;
    };
    if !errors.is_empty() {
        return new_page(&state, &context, errors).await;
    }
    let stored = state.files.put(file.bytes.clone()).await?;
    let at = now();
    let uploader = Uploader {
        user_id: scope.user_id,
        label: context.person_label(&scope.email),
    };
    let details = asset::ActiveModel {
        id: Set(crate::platform::ids::new_id()),
        title: Set(title.clone()),
        description: Set(upload.field("description").to_owned()),
        asset_type: Set(asset_type),
        markets: Set(label_list(upload.field("markets"))),
        languages: Set(label_list(upload.field("languages"))),
        product_lines: Set(label_list(upload.field("product_lines"))),
        campaign: Set(Some(upload.field("campaign").to_owned()).filter(|c| !c.is_empty())),
        audience_tiers: Set(chosen(&upload, "audience_tiers", &TIERS)),
        audience_types: Set(chosen(&upload, "audience_types", &PARTNER_TYPES)),
        publish_at: Set(publish.unwrap_or(at)),
        expires_at: Set(expires.flatten()),
        owner_user_id: Set(Some(scope.user_id)),
        owner_label: Set(uploader.label.clone()),
        retired_at: Set(None),
        current_version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let new_file = NewFile {
        file_name: &file.name,
        content_type: &file.content_type,
        stored: &stored,
        notes: "First version",
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    let saved = store::create(&txn, details, &new_file, &uploader, at).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "asset.created")
            .on("asset", saved.id)
            .with(json!({ "title": saved.title, "file": file.name, "sha256": stored.sha256 })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("/library/{}", saved.id),
        &format!("{title} is in the library."),
    ))
}

/// A new version of an asset; the one before is superseded.
pub async fn add_version(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let asset = store::find(&state.db, &Viewer::Vendor, id, now()).await?;
    let back = |message: &str| redirect_with_notice(&format!("/library/{}", asset.id), message);
    let upload = match files::read_upload(request).await {
        Ok(upload) => upload,
        Err(problem) => return Ok(back(&problem)),
    };
    let notes = upload.field("notes").to_owned();
    if notes.is_empty() {
        return Ok(back(
            "Say what changed in this version: partners and colleagues read it in the history.",
        ));
    }
    let Some(file) = upload.file.as_ref() else {
        return Ok(back("Choose the new file; an empty file is not a version."));
    };
    let stored = state.files.put(file.bytes.clone()).await?;
    let uploader = Uploader {
        user_id: scope.user_id,
        label: context.person_label(&scope.email),
    };
    let new_file = NewFile {
        file_name: &file.name,
        content_type: &file.content_type,
        stored: &stored,
        notes: &notes,
    };
    let txn = crate::platform::db::begin_write(&state.db).await?;
    if !store::add_version(&txn, &asset, &new_file, &uploader, now()).await? {
        return Ok(back(
            "Someone added a version meanwhile; check the history and try again.",
        ));
    }
    audit::record(
        &txn,
        Entry::by(&scope, &client, "asset.version_added")
            .on("asset", asset.id)
            .with(json!({ "version": asset.current_version + 1, "file": file.name, "sha256": stored.sha256 })),
    )
    .await?;
    txn.commit().await?;
    Ok(back(&format!(
        "Version {} of {} is now the current one; v{} is superseded.",
        asset.current_version + 1,
        asset.title,
        asset.current_version
    )))
}
