//! `/library`: the asset library. Partners browse the live assets meant for their tier and
//! type, filter and search them, and download the current version; vendor staff see every
//! asset with its standing, every version, and who downloaded what.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{Facet, LibraryQuery, Novelty, Standing, Viewer, entries, facet_counts, sort};
use super::store::{self, Asset, Campaign};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::files::StoredFile;
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::time::{format_date, now};
use crate::platform::web::{Choice, Chrome, Notice, PageContext, choices, render};

/// Rows on one page of the library.
const PAGE_SIZE: usize = 50;

/// The viewer behind a request that may read assets.
pub(super) async fn viewer(state: &AppState, scope: &Scope) -> AppResult<Viewer> {
    scope.require(Permission::AssetsRead)?;
    Ok(match scope.side() {
        Side::Vendor => Viewer::Vendor,
        Side::Partner => {
            let (tier, partner_type) = orgs::own_classification(&state.db, scope).await?;
            Viewer::Partner { tier, partner_type }
        }
    })
}

pub(super) fn asset_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

fn labels(asset: &Asset) -> Vec<String> {
    [&asset.markets, &asset.languages, &asset.product_lines]
        .into_iter()
        .flat_map(|stored| entries(stored.as_deref()))
        .chain(asset.campaign.clone())
        .collect()
}

struct AssetRow {
    id: Uuid,
    title: String,
    asset_type: String,
    labels: Vec<String>,
    version: i32,
    updated: String,
    standing: Standing,
    novelty: Option<&'static str>,
    has_thumbnail: bool,
}

struct FacetFilter {
    name: &'static str,
    label: &'static str,
    any: &'static str,
    options: Vec<Choice>,
}

/// A campaign with its in-market dates, as the library shows it.
struct CampaignView {
    name: String,
    summary: String,
    dates: String,
    standing: &'static str,
    colour: &'static str,
}

fn campaign_view(campaign: &Campaign, today: time::Date) -> CampaignView {
    let (standing, colour) = if campaign.in_market_from > today {
        ("upcoming", "blue")
    } else if campaign.in_market_until.is_some_and(|until| until < today) {
        ("ended", "neutral")
    } else {
        ("in market", "green")
    };
    let day = |d: time::Date| format_date(d.midnight().assume_utc());
    CampaignView {
        name: campaign.name.clone(),
        summary: campaign.summary.clone(),
        dates: match campaign.in_market_until {
            Some(until) => format!(
                "in market {} – {}",
                day(campaign.in_market_from),
                day(until)
            ),
            None => format!("in market from {}", day(campaign.in_market_from)),
        },
        standing,
        colour,
    }
}

#[derive(Template)]
#[template(path = "assets/library.html")]
struct LibraryPage {
    chrome: Chrome,
    rows: Vec<AssetRow>,
    total: usize,
    q: String,
    facets: Vec<FacetFilter>,
    states: Vec<Choice>,
    sorts: Vec<Choice>,
    only_new: bool,
    since: Option<String>,
    filtered: bool,
    campaign: Option<CampaignView>,
    vendor: bool,
    can_manage: bool,
    previous_page: Option<String>,
    next_page: Option<String>,
}

fn facet_names(facet: Facet) -> (&'static str, &'static str, &'static str) {
    match facet {
        Facet::Type => ("type", "Type", "Any type"),
        Facet::Market => ("market", "Market", "Any market"),
        Facet::Language => ("language", "Language", "Any language"),
        Facet::ProductLine => ("product_line", "Product line", "Any product line"),
        Facet::Campaign => ("campaign", "Campaign", "Any campaign"),
    }
}

/// The library's address with `query`, on page `page`.
fn library_link(query: &LibraryQuery, page: usize) -> String {
    let mut link = form_urlencoded::Serializer::new(String::new());
    let mut pair = |name: &str, value: &str| {
        if !value.trim().is_empty() {
            link.append_pair(name, value.trim());
        }
    };
    pair("q", &query.q);
    for facet in Facet::ALL {
        pair(facet_names(facet).0, query.chosen(facet));
    }
    pair("state", &query.state);
    pair("new", &query.new);
    pair("sort", &query.sort);
    if page > 1 {
        pair("page", &page.to_string());
    }
    format!("/library?{}", link.finish())
}

pub async fn library(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(query): Query<LibraryQuery>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let vendor = matches!(viewer, Viewer::Vendor);
    let at = now();
    let news = store::visit(&state.db, scope.user_id, at).await?;
    let visible = store::library(&state.db, &state.library, &viewer, at).await?;
    let facets = facet_counts(&visible, &query, &news, at)
        .into_iter()
        .map(|(facet, counts)| {
            let (name, label, any) = facet_names(facet);
            FacetFilter {
                name,
                label,
                any,
                options: choices(
                    counts
                        .into_iter()
                        .map(|(value, count)| (value.clone(), format!("{value} ({count})"))),
                    query.chosen(facet),
                ),
            }
        })
        .collect();
    let mut shown: Vec<Asset> = visible
        .into_iter()
        .filter(|a| query.admits(a, None, &news, at))
        .collect();
    sort(&mut shown, query.sort.trim());
    let total = shown.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query
        .page
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, pages);
    let on_page: Vec<Asset> = shown
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let thumbnails = store::thumbnailed(&state.db, &on_page).await?;
    let rows = on_page
        .into_iter()
        .map(|a| AssetRow {
            id: a.id,
            labels: labels(&a),
            standing: Standing::of(&a, at),
            novelty: news.of(&a).map(|n| match n {
                Novelty::New => "new",
                Novelty::Updated => "updated",
            }),
            has_thumbnail: thumbnails.contains(&a.id),
            title: a.title,
            asset_type: a.asset_type,
            version: a.current_version,
            updated: format_date(a.updated_at),
        })
        .collect();
    let campaign = match query.chosen(Facet::Campaign) {
        "" => None,
        name => store::campaigns(&state.db)
            .await?
            .iter()
            .find(|c| c.name == name)
            .map(|c| campaign_view(c, at.date())),
    };
    let states = [
        ("", "Current"),
        ("scheduled", "Scheduled"),
        ("expired", "Expired"),
        ("retired", "Retired"),
        ("all", "All"),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()));
    let sorts = [
        ("", "Recently updated"),
        ("title", "Title A–Z"),
        ("type", "Type"),
        ("published", "Recently published"),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()));
    render(&LibraryPage {
        chrome: Chrome::new(&state.instance, &context),
        rows,
        total,
        q: query.q.clone(),
        facets,
        states: choices(states, &query.state),
        sorts: choices(sorts, &query.sort),
        only_new: query.new.trim() == "1",
        since: news.since.map(format_date),
        filtered: query.is_filtered(),
        campaign,
        vendor,
        can_manage: scope.can(Permission::AssetsManage),
        previous_page: (page > 1).then(|| library_link(&query, page - 1)),
        next_page: (page < pages).then(|| library_link(&query, page + 1)),
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
    standing: Standing,
    current: VersionRow,
    has_thumbnail: bool,
    /// "Updated on 12 Mar 2026 (was v3)" once there is more than one version.
    changed: Option<String>,
    history: Vec<VersionRow>,
    campaign: Option<CampaignView>,
    publish: String,
    expires: Option<String>,
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
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let at = now();
    let asset = store::find(&state.db, &viewer, asset_id(&id)?, at).await?;
    let versions = store::versions(&state.db, &asset).await?;
    let current_version = versions
        .iter()
        .find(|v| v.version == asset.current_version)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("asset {} has no current version", asset.id))
        })?;
    let current = version_row(current_version);
    let changed = (asset.current_version > 1).then(|| {
        format!(
            "Updated on {} (was v{})",
            current.uploaded,
            asset.current_version - 1
        )
    });
    let vendor = matches!(viewer, Viewer::Vendor);
    let campaign = match &asset.campaign {
        Some(name) => store::campaigns(&state.db)
            .await?
            .iter()
            .find(|c| &c.name == name)
            .map(|c| campaign_view(c, at.date())),
        None => None,
    };
    render(&DetailPage {
        chrome: Chrome::new(&state.instance, &context),
        labels: labels(&asset),
        standing: Standing::of(&asset, at),
        has_thumbnail: current_version.thumbnail_sha256.is_some(),
        current,
        changed,
        history: versions.iter().map(version_row).collect(),
        campaign,
        publish: format_date(asset.publish_at),
        expires: asset.expires_at.map(format_date),
        vendor,
        can_manage: scope.can(Permission::AssetsManage),
        flash: notice.done,
        asset,
    })
}

pub(super) async fn serve_version(
    state: &AppState,
    scope: &Scope,
    client: &SocketAddr,
    request: &HeaderMap,
    asset: &Asset,
    number: i32,
) -> AppResult<Response> {
    let version = store::find_version(&state.db, asset, number).await?;
    let file = StoredFile {
        sha256: version.sha256.clone(),
        size_bytes: version.size_bytes,
    };
    let download = state
        .files
        .download(&file, &version.file_name, &version.content_type, request)
        .await?;
    // A resumed download's later parts are the same download.
    if download.starts {
        let at = now();
        let txn = crate::platform::db::begin_write(&state.db).await?;
        store::record_download(
            &txn,
            asset.id,
            number,
            scope.user_id,
            scope.organization_id,
            at,
        )
        .await?;
        audit::record(
            &txn,
            Entry::by(scope, client, "asset.downloaded")
                .on("asset", asset.id)
                .with(json!({ "title": asset.title, "version": number, "current": number == asset.current_version })),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(download.response)
}

/// The current version: what partners always get.
pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let asset = store::find(&state.db, &viewer, asset_id(&id)?, now()).await?;
    serve_version(
        &state,
        &scope,
        &client,
        &headers,
        &asset,
        asset.current_version,
    )
    .await
}

/// Any version, superseded ones included: vendor staff only.
pub async fn download_version(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, number)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    // For partners superseded files do not exist: they always get the current version.
    if !matches!(viewer, Viewer::Vendor) {
        return Err(AppError::NotFound);
    }
    let number: i32 = number.parse().map_err(|_| AppError::NotFound)?;
    let asset = store::find(&state.db, &viewer, asset_id(&id)?, now()).await?;
    serve_version(&state, &scope, &client, &headers, &asset, number).await
}

/// The current version's thumbnail (images only).
pub async fn thumbnail(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    let asset = store::find(&state.db, &viewer, asset_id(&id)?, now()).await?;
    let version = store::find_version(&state.db, &asset, asset.current_version).await?;
    let sha256 = version.thumbnail_sha256.ok_or(AppError::NotFound)?;
    let body = state.files.body(&sha256).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

/// One partner's downloads of an asset.
struct PartnerDownloads {
    partner: String,
    downloads: usize,
    last: String,
    newest_version: i32,
}

#[derive(Template)]
#[template(path = "assets/downloads.html")]
struct DownloadsPage {
    chrome: Chrome,
    asset: Asset,
    rows: Vec<PartnerDownloads>,
    total: usize,
}

/// Who downloaded an asset: per partner, how often, when last, and which version they hold
/// (vendor staff; the partners listed are those the viewer may see).
pub async fn downloads(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    if !matches!(viewer, Viewer::Vendor) {
        return Err(AppError::NotFound);
    }
    let asset = store::find(&state.db, &viewer, asset_id(&id)?, now()).await?;
    let partners = orgs::partner_names(&state.db, &scope).await?;
    let mut rows: Vec<PartnerDownloads> = Vec::new();
    let mut seen: Vec<Uuid> = Vec::new();
    let mut total = 0;
    // Newest first, so a partner's first row is its last download.
    for download in store::downloads_of(&state.db, asset.id).await? {
        let Some((_, name)) = partners
            .iter()
            .find(|(id, _)| *id == download.organization_id)
        else {
            continue;
        };
        total += 1;
        match seen.iter().position(|id| *id == download.organization_id) {
            Some(index) => {
                rows[index].downloads += 1;
                rows[index].newest_version = rows[index].newest_version.max(download.version);
            }
            None => {
                seen.push(download.organization_id);
                rows.push(PartnerDownloads {
                    partner: name.clone(),
                    downloads: 1,
                    last: format_date(download.downloaded_at),
                    newest_version: download.version,
                });
            }
        }
    }
    render(&DownloadsPage {
        chrome: Chrome::new(&state.instance, &context),
        asset,
        rows,
        total,
    })
}

struct AssetTotal {
    id: Uuid,
    title: String,
    downloads: i64,
    partners: usize,
    behind: usize,
}

struct PartnerTotal {
    partner: String,
    downloads: i64,
    assets: usize,
    behind: usize,
}

struct Behind {
    partner: String,
    asset_id: Uuid,
    title: String,
    version: i32,
    current: i32,
}

#[derive(Template)]
#[template(path = "assets/report.html")]
struct ReportPage {
    chrome: Chrome,
    assets: Vec<AssetTotal>,
    partners: Vec<PartnerTotal>,
    behind: Vec<Behind>,
}

/// `/library/downloads`: downloads per asset and per partner, and which partners still hold a
/// superseded version (of the partners the viewer may see).
pub async fn report(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    let viewer = viewer(&state, &scope).await?;
    if !matches!(viewer, Viewer::Vendor) {
        return Err(AppError::NotFound);
    }
    let at: OffsetDateTime = now();
    let library = store::library(&state.db, &state.library, &viewer, at).await?;
    let partners = orgs::partner_names(&state.db, &scope).await?;
    let partner_name = |id: Uuid| partners.iter().find(|(p, _)| *p == id).map(|(_, n)| n);
    let mut assets: Vec<AssetTotal> = Vec::new();
    let mut partner_totals: Vec<PartnerTotal> = Vec::new();
    let mut behind = Vec::new();
    for (asset_id, organization_id, downloads, newest) in store::download_totals(&state.db).await? {
        let (Some(asset), Some(partner)) = (
            library.iter().find(|a| a.id == asset_id),
            partner_name(organization_id),
        ) else {
            continue;
        };
        let is_behind = newest < asset.current_version;
        match partner_totals.iter_mut().find(|t| &t.partner == partner) {
            Some(total) => {
                total.downloads += downloads;
                total.assets += 1;
                total.behind += usize::from(is_behind);
            }
            None => partner_totals.push(PartnerTotal {
                partner: partner.clone(),
                downloads,
                assets: 1,
                behind: usize::from(is_behind),
            }),
        }
        match assets.iter_mut().find(|t| t.id == asset_id) {
            Some(total) => {
                total.downloads += downloads;
                total.partners += 1;
                total.behind += usize::from(is_behind);
            }
            None => assets.push(AssetTotal {
                id: asset_id,
                title: asset.title.clone(),
                downloads,
                partners: 1,
                behind: usize::from(is_behind),
            }),
        }
        if is_behind && Standing::of(asset, at) != Standing::Retired {
            behind.push(Behind {
                partner: partner.clone(),
                asset_id,
                title: asset.title.clone(),
                version: newest,
                current: asset.current_version,
            });
        }
    }
    assets.sort_by(|a, b| b.downloads.cmp(&a.downloads).then(a.title.cmp(&b.title)));
    behind.sort_by(|a, b| a.partner.cmp(&b.partner).then(a.title.cmp(&b.title)));
    partner_totals.sort_by(|a, b| {
        b.downloads
            .cmp(&a.downloads)
            .then(a.partner.cmp(&b.partner))
    });
    render(&ReportPage {
        chrome: Chrome::new(&state.instance, &context),
        assets,
        partners: partner_totals,
        behind,
    })
}
