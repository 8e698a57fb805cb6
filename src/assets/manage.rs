//! Vendor marketing's side of the library: add assets (one or several files at once), edit
//! their details, upload new versions, retire and restore them, and keep the campaigns that
//! group them. Every change is audited; a refused form changes nothing and stores no file.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::Response;
use sea_orm::ActiveValue::Set;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::entity::{asset, campaign};
use super::model::{ASSET_TYPES, TIERS, Viewer, entries};
use super::pages::asset_id;
use super::preview;
use super::store::{self, Asset, NewFile, Uploader};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::orgs::model::PARTNER_TYPES;
use crate::orgs::store as orgs;
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};
use crate::platform::files::{self, PendingFile, UploadedFile};
use crate::platform::ids;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::{now, parse_day};
use crate::platform::web::{Chrome, PageContext, redirect_with_notice, render};

/// Files one bulk upload may carry.
const BULK_FILES: usize = 20;

/// An asset's details as a form sends them, kept as typed so a refused form shows them again.
#[derive(Debug, Clone, Default)]
pub struct AssetForm {
    pub title: String,
    pub description: String,
    pub asset_type: String,
    pub markets: String,
    pub languages: String,
    pub product_lines: String,
    pub campaign: String,
    pub audience_tiers: Vec<String>,
    pub audience_types: Vec<String>,
    pub publish_on: String,
    pub expires_on: String,
}

/// The details as stored, once checked.
struct Checked {
    publish_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

fn ticked(fields: &[(String, String)], name: &str, allowed: &[&str]) -> Vec<String> {
    fields
        .iter()
        .filter(|(n, v)| n == name && allowed.contains(&v.as_str()))
        .map(|(_, v)| v.clone())
        .collect()
}

/// Comma- or line-separated labels as stored: one per line, `None` when there are none.
fn label_list(text: &str) -> Option<String> {
    orgs::lines(&text.split([',', '\n']).collect::<Vec<_>>())
}

fn day(at: OffsetDateTime) -> String {
    at.date().to_string()
}

impl AssetForm {
    fn read(fields: &[(String, String)]) -> AssetForm {
        AssetForm {
            title: field(fields, "title").to_owned(),
            description: field(fields, "description").to_owned(),
            asset_type: field(fields, "asset_type").to_owned(),
            markets: field(fields, "markets").to_owned(),
            languages: field(fields, "languages").to_owned(),
            product_lines: field(fields, "product_lines").to_owned(),
            campaign: field(fields, "campaign").to_owned(),
            audience_tiers: ticked(fields, "audience_tiers", &TIERS),
            audience_types: ticked(fields, "audience_types", &PARTNER_TYPES),
            publish_on: field(fields, "publish_on").to_owned(),
            expires_on: field(fields, "expires_on").to_owned(),
        }
    }

    fn of(asset: &Asset) -> AssetForm {
        let joined = |stored: &Option<String>| entries(stored.as_deref()).join(", ");
        AssetForm {
            title: asset.title.clone(),
            description: asset.description.clone(),
            asset_type: asset.asset_type.clone(),
            markets: joined(&asset.markets),
            languages: joined(&asset.languages),
            product_lines: joined(&asset.product_lines),
            campaign: asset.campaign.clone().unwrap_or_default(),
            audience_tiers: entries(asset.audience_tiers.as_deref()),
            audience_types: entries(asset.audience_types.as_deref()),
            publish_on: day(asset.publish_at),
            expires_on: asset.expires_at.map(day).unwrap_or_default(),
        }
    }

    /// Every problem, in words that say how to fix it. `with_title` is false for a bulk upload,
    /// where each file's name gives its title.
    fn check(&self, campaigns: &[String], with_title: bool) -> Result<Checked, Vec<String>> {
        let mut errors = Vec::new();
        if with_title && (self.title.is_empty() || self.title.chars().count() > 200) {
            errors.push(
                "Title: give the asset a title partners will recognise (at most 200 characters)."
                    .to_owned(),
            );
        }
        if !ASSET_TYPES.contains(&self.asset_type.as_str()) {
            errors.push("Type: choose one from the list.".to_owned());
        }
        if !self.campaign.is_empty() && !campaigns.contains(&self.campaign) {
            errors.push(format!(
                "Campaign: \"{}\" is not a campaign; choose one from the list or add it under Campaigns first.",
                self.campaign
            ));
        }
        let publish = match self.publish_on.as_str() {
            "" => Some(now()),
            text => parse_day(text).map(|d| d.midnight().assume_utc()),
        };
        if publish.is_none() {
            errors.push("Publish on: use YYYY-MM-DD, e.g. 2026-03-12.".to_owned());
        }
        let expires = match self.expires_on.as_str() {
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
        match (publish, expires) {
            (Some(publish_at), Some(expires_at)) if errors.is_empty() => Ok(Checked {
                publish_at,
                expires_at,
            }),
            _ => Err(errors),
        }
    }

    /// The detail columns, for a new asset or an edit.
    fn details(&self, title: &str, checked: &Checked) -> asset::ActiveModel {
        let lines = |items: &[String]| orgs::lines(items);
        asset::ActiveModel {
            title: Set(title.to_owned()),
            description: Set(self.description.clone()),
            asset_type: Set(self.asset_type.clone()),
            markets: Set(label_list(&self.markets)),
            languages: Set(label_list(&self.languages)),
            product_lines: Set(label_list(&self.product_lines)),
            campaign: Set(Some(self.campaign.clone()).filter(|c| !c.is_empty())),
            audience_tiers: Set(lines(&self.audience_tiers)),
            audience_types: Set(lines(&self.audience_types)),
            publish_at: Set(checked.publish_at),
            expires_at: Set(checked.expires_at),
            ..Default::default()
        }
    }
}

/// What the asset form needs besides the asset.
struct FormChoices {
    types: [&'static str; 11],
    tiers: [&'static str; 4],
    partner_types: [&'static str; 5],
    campaigns: Vec<String>,
}

async fn form_choices(state: &AppState) -> AppResult<FormChoices> {
    Ok(FormChoices {
        types: ASSET_TYPES,
        tiers: TIERS,
        partner_types: PARTNER_TYPES,
        campaigns: campaign_names(state).await?,
    })
}

async fn campaign_names(state: &AppState) -> AppResult<Vec<String>> {
    Ok(store::campaigns(&state.db)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect())
}

/// `/library/new` (one file), `/library/bulk` (several) and `/library/{id}/edit` (no file).
#[derive(Template)]
#[template(path = "assets/form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    /// None, one or several files.
    files: u8,
    form: AssetForm,
    choices: FormChoices,
    errors: Vec<String>,
}

async fn form_page(
    state: &AppState,
    context: &PageContext,
    kind: FormKind<'_>,
    form: AssetForm,
    errors: Vec<String>,
) -> AppResult<Response> {
    let (heading, action, files) = match kind {
        FormKind::New => ("Add an asset".to_owned(), "/library/new".to_owned(), 1),
        FormKind::Bulk => (
            "Add several assets".to_owned(),
            "/library/bulk".to_owned(),
            2,
        ),
        FormKind::Edit(asset) => (
            format!("Edit {}", asset.title),
            format!("/library/{}/edit", asset.id),
            0,
        ),
    };
    render(&FormPage {
        chrome: Chrome::new(&state.instance, context),
        heading,
        action,
        files,
        form,
        choices: form_choices(state).await?,
        errors,
    })
}

enum FormKind<'a> {
    New,
    Bulk,
    Edit(&'a Asset),
}

fn new_form_defaults() -> AssetForm {
    AssetForm {
        asset_type: ASSET_TYPES[0].to_owned(),
        publish_on: day(now()),
        ..AssetForm::default()
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    form_page(
        &state,
        &context,
        FormKind::New,
        new_form_defaults(),
        Vec::new(),
    )
    .await
}

pub async fn bulk_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    form_page(
        &state,
        &context,
        FormKind::Bulk,
        new_form_defaults(),
        Vec::new(),
    )
    .await
}

fn uploader(scope: &Scope, context: &PageContext) -> Uploader {
    Uploader {
        user_id: scope.user_id,
        label: context.person_label(&scope.email),
    }
}

/// A file stored for a change not yet committed, with its thumbnail when it is an image.
struct Staged {
    file: PendingFile,
    thumbnail: Option<PendingFile>,
}

impl Staged {
    async fn store(state: &AppState, upload: &UploadedFile) -> AppResult<Staged> {
        let file = state.files.put_pending(upload.bytes.clone()).await?;
        let (content_type, bytes) = (upload.content_type.clone(), upload.bytes.clone());
        let small = tokio::task::spawn_blocking(move || preview::thumbnail(&content_type, &bytes))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let thumbnail = match small {
            Some(png) => Some(state.files.put_pending(png.into()).await?),
            None => None,
        };
        Ok(Staged { file, thumbnail })
    }

    fn new_file<'a>(&'a self, upload: &'a UploadedFile, notes: &'a str) -> NewFile<'a> {
        NewFile {
            file_name: &upload.name,
            content_type: &upload.content_type,
            stored: self.file.stored(),
            thumbnail: self.thumbnail.as_ref().map(PendingFile::stored),
            notes,
        }
    }

    /// The change is committed: the files stay.
    fn keep(self) {
        self.file.keep();
        self.thumbnail.map(PendingFile::keep);
    }
}

/// A new asset: details for `details`, first version from `upload`.
async fn add_asset(
    conn: &sea_orm::DatabaseTransaction,
    scope: &Scope,
    client: &SocketAddr,
    uploader: &Uploader,
    mut details: asset::ActiveModel,
    upload: &UploadedFile,
    staged: &Staged,
) -> AppResult<Asset> {
    let at = now();
    details.id = Set(ids::new_id());
    details.owner_user_id = Set(Some(uploader.user_id));
    details.owner_label = Set(uploader.label.clone());
    details.retired_at = Set(None);
    details.current_version = Set(1);
    details.created_at = Set(at);
    details.updated_at = Set(at);
    let saved = store::create(
        conn,
        details,
        &staged.new_file(upload, "First version"),
        uploader,
        at,
    )
    .await?;
    audit::record(
        conn,
        Entry::by(scope, client, "asset.created").on("asset", saved.id).with(
            json!({ "title": saved.title, "file": upload.name, "sha256": staged.file.stored().sha256 }),
        ),
    )
    .await?;
    Ok(saved)
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    request: Request,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => {
            return form_page(
                &state,
                &context,
                FormKind::New,
                new_form_defaults(),
                vec![problem],
            )
            .await;
        }
    };
    let form = AssetForm::read(&upload.fields);
    let checked = form.check(&campaign_names(&state).await?, true);
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    let file = upload.file();
    if file.is_none() {
        errors.push("File: choose the file to publish; an empty file is not an asset.".to_owned());
    }
    let (Some(file), Ok(checked)) = (file, checked) else {
        return form_page(&state, &context, FormKind::New, form, errors).await;
    };
    let staged = Staged::store(&state, file).await?;
    let uploader = uploader(&scope, &context);
    let txn = begin_write(&state.db).await?;
    let saved = add_asset(
        &txn,
        &scope,
        &client,
        &uploader,
        form.details(&form.title, &checked),
        file,
        &staged,
    )
    .await?;
    txn.commit().await?;
    staged.keep();
    Ok(redirect_with_notice(
        &format!("/library/{}", saved.id),
        &format!("{} is in the library.", saved.title),
    ))
}

/// "wifi7_partner-deck v2.pdf" → "wifi7 partner deck v2".
fn title_from_file_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let spaced: String = stem
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect();
    let title = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    title.chars().take(200).collect()
}

/// Several files, one asset each, with the details of the form; all or nothing.
pub async fn bulk(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    request: Request,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    let upload = match files::read_uploads(request, state.files.max_bytes(), BULK_FILES).await {
        Ok(upload) => upload,
        Err(problem) => {
            return form_page(
                &state,
                &context,
                FormKind::Bulk,
                new_form_defaults(),
                vec![format!("Nothing was added. {problem}")],
            )
            .await;
        }
    };
    let form = AssetForm::read(&upload.fields);
    let checked = form.check(&campaign_names(&state).await?, false);
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    if upload.files.is_empty() {
        errors.push("Files: choose one or more files; empty files are not assets.".to_owned());
    }
    let (Ok(checked), false) = (checked, upload.files.is_empty()) else {
        return form_page(&state, &context, FormKind::Bulk, form, errors).await;
    };
    let mut staged = Vec::new();
    for file in &upload.files {
        staged.push(Staged::store(&state, file).await?);
    }
    let uploader = uploader(&scope, &context);
    let txn = begin_write(&state.db).await?;
    for (file, staged) in upload.files.iter().zip(&staged) {
        let title = title_from_file_name(&file.name);
        add_asset(
            &txn,
            &scope,
            &client,
            &uploader,
            form.details(&title, &checked),
            file,
            staged,
        )
        .await?;
    }
    txn.commit().await?;
    staged.into_iter().for_each(Staged::keep);
    Ok(redirect_with_notice(
        "/library?sort=published",
        &format!(
            "{} assets are in the library; each is titled after its file name, which you can edit.",
            upload.files.len()
        ),
    ))
}

async fn managed_asset(state: &AppState, scope: &Scope, id: &str) -> AppResult<Asset> {
    scope.require(Permission::AssetsManage)?;
    store::find(&state.db, &Viewer::Vendor, asset_id(id)?, now()).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let asset = managed_asset(&state, &scope, &id).await?;
    let form = AssetForm::of(&asset);
    form_page(&state, &context, FormKind::Edit(&asset), form, Vec::new()).await
}

pub async fn edit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let asset = managed_asset(&state, &scope, &id).await?;
    let form = AssetForm::read(&fields);
    let checked = match form.check(&campaign_names(&state).await?, true) {
        Ok(checked) => checked,
        Err(errors) => {
            return form_page(&state, &context, FormKind::Edit(&asset), form, errors).await;
        }
    };
    let before = AssetForm::of(&asset);
    let txn = begin_write(&state.db).await?;
    if !store::update_details(&txn, &asset, form.details(&form.title, &checked)).await? {
        return Ok(redirect_with_notice(
            &format!("/library/{}", asset.id),
            "Someone changed this asset meanwhile; nothing was saved. Check it and edit again.",
        ));
    }
    audit::record(
        &txn,
        Entry::by(&scope, &client, "asset.edited")
            .on("asset", asset.id)
            .with(json!({ "before": format!("{before:?}"), "after": format!("{form:?}") })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        &format!("/library/{}", asset.id),
        &format!("{} is saved.", form.title),
    ))
}

async fn set_retired(
    state: &AppState,
    scope: &Scope,
    client: &SocketAddr,
    id: &str,
    retire: bool,
) -> AppResult<Response> {
    let asset = managed_asset(state, scope, id).await?;
    let txn = begin_write(&state.db).await?;
    let changed = store::set_retired(&txn, asset.id, retire.then(now)).await?;
    if changed {
        let action = if retire {
            "asset.retired"
        } else {
            "asset.restored"
        };
        audit::record(
            &txn,
            Entry::by(scope, client, action)
                .on("asset", asset.id)
                .with(json!({ "title": asset.title })),
        )
        .await?;
    }
    txn.commit().await?;
    let message = match (retire, changed) {
        (true, true) => format!(
            "{} is retired: partners no longer see it or its file. Its history and downloads stay.",
            asset.title
        ),
        (false, true) => format!("{} is back in the library.", asset.title),
        (true, false) => format!("{} was already retired.", asset.title),
        (false, false) => format!("{} was not retired.", asset.title),
    };
    Ok(redirect_with_notice(
        &format!("/library/{}", asset.id),
        &message,
    ))
}

pub async fn retire(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    set_retired(&state, &scope, &client, &id, true).await
}

pub async fn restore(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    set_retired(&state, &scope, &client, &id, false).await
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
    let asset = managed_asset(&state, &scope, &id).await?;
    let back = |message: &str| redirect_with_notice(&format!("/library/{}", asset.id), message);
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => return Ok(back(&format!("No new version. {problem}"))),
    };
    let notes = upload.field("notes").to_owned();
    if notes.is_empty() {
        return Ok(back(
            "Say what changed in this version: partners and colleagues read it in the history.",
        ));
    }
    let Some(file) = upload.file() else {
        return Ok(back("Choose the new file; an empty file is not a version."));
    };
    let staged = Staged::store(&state, file).await?;
    let txn = begin_write(&state.db).await?;
    let uploader = uploader(&scope, &context);
    if !store::add_version(
        &txn,
        &asset,
        &staged.new_file(file, &notes),
        &uploader,
        now(),
    )
    .await?
    {
        // Dropping `staged` deletes a file nobody else had stored.
        return Ok(back(
            "Someone added a version meanwhile; check the history and try again.",
        ));
    }
    audit::record(
        &txn,
        Entry::by(&scope, &client, "asset.version_added")
            .on("asset", asset.id)
            .with(json!({ "version": asset.current_version + 1, "file": file.name, "sha256": staged.file.stored().sha256 })),
    )
    .await?;
    txn.commit().await?;
    staged.keep();
    Ok(back(&format!(
        "Version {} of {} is now the current one; v{} is superseded.",
        asset.current_version + 1,
        asset.title,
        asset.current_version
    )))
}

struct CampaignRow {
    id: Uuid,
    name: String,
    summary: String,
    from: String,
    until: String,
    assets: usize,
}

#[derive(Template)]
#[template(path = "assets/campaigns.html")]
struct CampaignsPage {
    chrome: Chrome,
    rows: Vec<CampaignRow>,
    can_manage: bool,
    errors: Vec<String>,
    draft: CampaignDraft,
    flash: Option<String>,
}

/// A campaign as its form sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CampaignDraft {
    pub name: String,
    pub summary: String,
    pub in_market_from: String,
    pub in_market_until: String,
}

impl CampaignDraft {
    fn check(&self) -> Result<(time::Date, Option<time::Date>), Vec<String>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push("Name: give the campaign a name (at most 120 characters).".to_owned());
        }
        let from = parse_day(self.in_market_from.trim());
        if from.is_none() {
            errors.push("In market from: use YYYY-MM-DD, e.g. 2026-03-01.".to_owned());
        }
        let until = match self.in_market_until.trim() {
            "" => Some(None),
            text => parse_day(text).map(Some),
        };
        match (from, until) {
            (_, None) => {
                errors.push("In market until: use YYYY-MM-DD, or leave it empty.".to_owned())
            }
            (Some(from), Some(Some(until))) if until < from => {
                errors.push("In market until: choose a day on or after the first day.".to_owned());
            }
            _ => {}
        }
        match (from, until) {
            (Some(from), Some(until)) if errors.is_empty() => Ok((from, until)),
            _ => Err(errors),
        }
    }
}

async fn campaigns_page(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    draft: CampaignDraft,
    errors: Vec<String>,
    flash: Option<String>,
) -> AppResult<Response> {
    let viewer = super::pages::viewer(state, scope).await?;
    let at = now();
    let library = store::library(&state.db, &state.library, &viewer, at).await?;
    let rows = store::campaigns(&state.db)
        .await?
        .into_iter()
        .map(|c| CampaignRow {
            assets: library
                .iter()
                .filter(|a| a.campaign.as_deref() == Some(c.name.as_str()))
                .count(),
            id: c.id,
            from: c.in_market_from.to_string(),
            until: c.in_market_until.map(|d| d.to_string()).unwrap_or_default(),
            name: c.name,
            summary: c.summary,
        })
        // Partners see the campaigns that have something for them.
        .filter(|row| matches!(viewer, Viewer::Vendor) || row.assets > 0)
        .collect();
    render(&CampaignsPage {
        chrome: Chrome::new(&state.instance, context),
        rows,
        can_manage: scope.can(Permission::AssetsManage),
        errors,
        draft,
        flash,
    })
}

pub async fn campaigns(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    axum::extract::Query(notice): axum::extract::Query<crate::platform::web::Notice>,
) -> AppResult<Response> {
    campaigns_page(
        &state,
        &context,
        &scope,
        CampaignDraft::default(),
        Vec::new(),
        notice.done,
    )
    .await
}

/// Adds a campaign (`id` none) or changes one; renaming carries its assets along.
async fn save_campaign(
    state: &AppState,
    context: &PageContext,
    scope: &Scope,
    client: &SocketAddr,
    existing: Option<store::Campaign>,
    draft: CampaignDraft,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    let (from, until) = match draft.check() {
        Ok(dates) => dates,
        Err(errors) => return campaigns_page(state, context, scope, draft, errors, None).await,
    };
    let name = draft.name.trim().to_owned();
    let taken = store::campaigns(&state.db)
        .await?
        .into_iter()
        .any(|c| c.name == name && existing.as_ref().is_none_or(|e| e.id != c.id));
    if taken {
        let errors = vec![format!(
            "Name: there is already a campaign called \"{name}\"."
        )];
        return campaigns_page(state, context, scope, draft, errors, None).await;
    }
    let at = now();
    let txn = begin_write(&state.db).await?;
    let id = match &existing {
        None => {
            let id = ids::new_id();
            sea_orm::ActiveModelTrait::insert(
                campaign::ActiveModel {
                    id: Set(id),
                    name: Set(name.clone()),
                    summary: Set(draft.summary.trim().to_owned()),
                    in_market_from: Set(from),
                    in_market_until: Set(until),
                    created_at: Set(at),
                    updated_at: Set(at),
                },
                &txn,
            )
            .await?;
            id
        }
        Some(before) => {
            store::update_campaign(&txn, before, &name, draft.summary.trim(), from, until, at)
                .await?;
            before.id
        }
    };
    audit::record(
        &txn,
        Entry::by(scope, client, if existing.is_some() { "campaign.edited" } else { "campaign.created" })
            .on("campaign", id)
            .with(json!({ "name": name, "from": from.to_string(), "until": until.map(|d| d.to_string()) })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        "/library/campaigns",
        &format!("Campaign {name} is saved."),
    ))
}

pub async fn add_campaign(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(draft): Form<CampaignDraft>,
) -> AppResult<Response> {
    save_campaign(&state, &context, &scope, &client, None, draft).await
}

pub async fn edit_campaign(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(draft): Form<CampaignDraft>,
) -> AppResult<Response> {
    scope.require(Permission::AssetsManage)?;
    let existing = store::find_campaign(&state.db, asset_id(&id)?).await?;
    save_campaign(&state, &context, &scope, &client, Some(existing), draft).await
}

#[cfg(test)]
mod tests {
    use super::title_from_file_name;

    #[test]
    fn bulk_titles_come_from_file_names() {
        assert_eq!(
            title_from_file_name("wifi7_partner-deck  v2.pdf"),
            "wifi7 partner deck v2"
        );
        assert_eq!(title_from_file_name("Logo"), "Logo");
    }
}
