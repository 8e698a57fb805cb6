//! The asset library: audiences, versions, downloads only of what a partner may have.

use std::io::Cursor;

use portico::assets::entity::{asset, download, visit};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, S3Server, TestApp, Visitor, on_both_databases};

const MARKETING: &str = "maya.lindqvist@northwind.example";
const GOLD_RESELLER: &str = "ben.vogel@kessler-it.example";
const SILVER_RESELLER: &str = "admin@alpenblick-systemhaus.example";

async fn add_asset(marketing: &Visitor, title: &str, file: &[u8]) -> reqwest::Response {
    marketing
        .post_file(
            "/library/new",
            &[
                ("title", title),
                ("description", "For partner pitches in DACH."),
                ("asset_type", "deck"),
                ("markets", "DE, AT"),
                ("languages", "German"),
                ("product_lines", "Wireless"),
                ("audience_tiers", "Gold"),
                ("audience_tiers", "Platinum"),
                ("audience_types", "reseller"),
            ],
            ("wifi7-deck.txt", "text/plain", file.to_vec()),
        )
        .await
}

async fn assets(app: &TestApp) -> u64 {
    asset::Entity::find().count(&app.pool).await.unwrap()
}

on_both_databases! {
    async fn partners_get_the_current_version_of_what_is_meant_for_them(app) {
        let app = app.with_demo_program().await;
        let marketing = app.signed_in(MARKETING).await;
        let before = assets(&app).await;

        // Bad input leaves nothing behind.
        let page = marketing.post_file("/library/new", &[("title", "Empty"), ("asset_type", "deck")], ("empty.txt", "text/plain", Vec::new())).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("File: choose the file to publish; an empty file is not an asset."));
        let page = marketing.post_file("/library/new", &[("title", ""), ("asset_type", "poem")], ("a.txt", "text/plain", b"x".to_vec())).await;
        let page = page.text().await.unwrap();
        assert!(page.contains("Title: give the asset a title"));
        assert!(page.contains("Type: choose one from the list."));
        assert_eq!(assets(&app).await, before);

        let response = add_asset(&marketing, "Wi-Fi 7 partner deck", b"deck v1").await;
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let path = location.split('?').next().unwrap().to_owned();

        // A Gold reseller sees it and downloads it; a Silver reseller learns nothing of it.
        let gold = app.signed_in(GOLD_RESELLER).await;
        assert!(gold.get("/library").await.text().await.unwrap().contains("Wi-Fi 7 partner deck"));
        let download = gold.get(&format!("{path}/download")).await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.unwrap().as_ref(), b"deck v1");
        let silver = app.signed_in(SILVER_RESELLER).await;
        assert!(!silver.get("/library").await.text().await.unwrap().contains("Wi-Fi 7 partner deck"));
        assert_eq!(silver.get(&path).await.status(), 404);
        assert_eq!(silver.get(&format!("{path}/download")).await.status(), 404);

        // A new version supersedes the old one; partners always get the current one.
        let page = marketing.post_file(&format!("{path}/versions"), &[("notes", "")], ("wifi7-deck.txt", "text/plain", b"deck v2".to_vec())).await;
        let notice = page.headers()["location"].to_str().unwrap().to_owned();
        assert!(marketing.get(&notice).await.text().await.unwrap().contains("Say what changed in this version"));
        let response = marketing.post_file(&format!("{path}/versions"), &[("notes", "New pricing slide")], ("wifi7-deck.txt", "text/plain", b"deck v2".to_vec())).await;
        assert_eq!(response.status(), 303);
        let detail = gold.get(&path).await.text().await.unwrap();
        assert!(detail.contains("(was v1)"), "partners see that it changed");
        assert!(detail.contains("superseded"), "and the history, without its old files");
        assert!(!detail.contains("/versions/1/download"), "a superseded file is not offered to partners");
        assert_eq!(gold.get(&format!("{path}/download")).await.bytes().await.unwrap().as_ref(), b"deck v2");
        assert_eq!(gold.get(&format!("{path}/versions/1/download")).await.status(), 404);
        // Vendor staff still reach every version.
        assert_eq!(marketing.get(&format!("{path}/versions/1/download")).await.bytes().await.unwrap().as_ref(), b"deck v1");
        let downloads = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("asset.downloaded"))
            .count(&app.pool).await.unwrap();
        assert_eq!(downloads, 3, "every download is audited");

        // An expired asset leaves partners' library.
        let saved = asset::Entity::find()
            .filter(asset::Column::Title.eq("Wi-Fi 7 partner deck"))
            .one(&app.pool).await.unwrap().unwrap();
        asset::Entity::update(asset::ActiveModel {
            id: Set(saved.id),
            expires_at: Set(Some(portico::platform::time::now() - time::Duration::minutes(1))),
            ..Default::default()
        })
        .exec(&app.pool).await.unwrap();
        // Written past the portal, as time passing would: the library's revision says so.
        portico::platform::revision::bump(&app.pool, portico::assets::store::LIBRARY).await.unwrap();
        assert_eq!(gold.get(&path).await.status(), 404);
        assert!(!marketing.get("/library").await.text().await.unwrap().contains("Wi-Fi 7 partner deck"));
        let expired = marketing.get("/library?state=expired").await.text().await.unwrap();
        assert!(expired.contains("Wi-Fi 7 partner deck") && expired.contains(">expired</span>"));

        // The demo's library follows the same rules: the Silver reseller sees only what is
        // live and meant for it.
        let library = silver.get("/library").await.text().await.unwrap();
        assert!(library.contains("(German)"));
        assert!(!library.contains(">expired<") && !library.contains(">scheduled<"));
        let all = asset::Entity::find().all(&app.pool).await.unwrap();
        let hidden = all.iter().find(|a| a.audience_types.as_deref() == Some("distributor")).unwrap();
        assert_eq!(silver.get(&format!("/library/{}", hidden.id)).await.status(), 404);
    }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A real PNG of `width` × `height`.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image::RgbImage::from_pixel(width, height, image::Rgb([20, 90, 160]))
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

async fn downloads(app: &TestApp) -> u64 {
    download::Entity::find().count(&app.pool).await.unwrap()
}

/// Adds an everyone-may-see asset with this file; its page's path.
async fn publish(marketing: &Visitor, title: &str, file: (&str, &str, Vec<u8>)) -> String {
    let response = marketing
        .post_file(
            "/library/new",
            &[("title", title), ("asset_type", "logo")],
            file,
        )
        .await;
    assert_eq!(response.status(), 303, "{title} was refused");
    let location = response.headers()["location"].to_str().unwrap();
    location.split('?').next().unwrap().to_owned()
}

/// What every storage backend must do: refuse mislabelled files without storing them, keep
/// good ones with a thumbnail, and serve ranges.
async fn store_and_serve(app: &TestApp) {
    let marketing = app.signed_in(MARKETING).await;
    let before = assets(app).await;
    let image = png(900, 300);

    // A file whose name promises another kind is refused and nothing is stored.
    let page = marketing
        .post_file(
            "/library/new",
            &[("title", "Logo"), ("asset_type", "logo")],
            ("logo.pdf", "application/pdf", image.clone()),
        )
        .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("logo.pdf is named as a PDF document, but its contents are a PNG image")
    );
    assert_eq!(assets(app).await, before);
    assert!(
        !app.files.contains(&sha256(&image)).await.unwrap(),
        "no orphan file"
    );

    // A good one is kept, with a thumbnail partners can see.
    let path = publish(
        &marketing,
        "Northwind logo",
        (
            "northwind-logo.png",
            "application/octet-stream",
            image.clone(),
        ),
    )
    .await;
    assert!(app.files.contains(&sha256(&image)).await.unwrap());
    let partner = app.signed_in(GOLD_RESELLER).await;
    let thumbnail = partner.get(&format!("{path}/thumbnail")).await;
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(thumbnail.headers()["content-type"], "image/png");
    let small = image::load_from_memory(&thumbnail.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (320, 107));

    // Downloads carry length and ETag, and serve the part asked for; a resumed download does
    // not count twice.
    let counted = downloads(app).await;
    let whole = partner.get(&format!("{path}/download")).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(
        whole.headers()["content-type"],
        "image/png",
        "the type read from the bytes, not the browser's"
    );
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(
        whole.headers()["content-length"],
        image.len().to_string().as_str()
    );
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256(&image)));
    assert_eq!(whole.bytes().await.unwrap().as_ref(), image.as_slice());
    let first = partner
        .request(reqwest::Method::GET, &format!("{path}/download"))
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 206);
    assert_eq!(
        first.headers()["content-range"],
        format!("bytes 0-99/{}", image.len()).as_str()
    );
    assert_eq!(first.bytes().await.unwrap().as_ref(), &image[..100]);
    let rest = partner
        .request(reqwest::Method::GET, &format!("{path}/download"))
        .header("Range", "bytes=100-")
        .header("If-Range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    assert_eq!(rest.bytes().await.unwrap().as_ref(), &image[100..]);
    let changed = partner
        .request(reqwest::Method::GET, &format!("{path}/download"))
        .header("Range", "bytes=100-")
        .header("If-Range", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.status(),
        200,
        "a file that changed since is sent whole"
    );
    assert_eq!(changed.bytes().await.unwrap().len(), image.len());
    let held = partner
        .request(reqwest::Method::GET, &format!("{path}/download"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 304, "the browser has this very file");
    let beyond = partner
        .request(reqwest::Method::GET, &format!("{path}/download"))
        .header("Range", format!("bytes={}-", image.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", image.len()).as_str()
    );
    assert_eq!(
        downloads(app).await,
        counted + 3,
        "whole, first part and changed-file downloads count; the resumed part does not"
    );
}

on_both_databases! {
    async fn files_are_checked_by_their_bytes_and_served_in_ranges(app) {
        let app = app.with_demo_program().await;
        store_and_serve(&app).await;
    }

    async fn an_interrupted_upload_leaves_nothing_behind(app) {
        let app = app.with_demo_program().await;
        let marketing = app.signed_in(MARKETING).await;
        let before = assets(&app).await;
        let content = png(400, 400);
        let boundary = "portico-test-boundary";
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHalf a logo\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"asset_type\"\r\n\r\nlogo\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.png\"\r\nContent-Type: image/png\r\n\r\n"
        );
        let mut first_half = head.into_bytes();
        first_half.extend_from_slice(&content[..content.len() / 2]);
        // The client dies half-way through the file.
        let parts: Vec<Result<Vec<u8>, std::io::Error>> = vec![
            Ok(first_half),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "client killed")),
        ];
        let token = marketing.csrf_token().await;
        let sent = marketing
            .request(reqwest::Method::POST, &format!("/library/new?csrf_token={token}"))
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(parts)))
            .send()
            .await;
        assert!(sent.is_err(), "the upload was cut off");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(assets(&app).await, before, "no asset without its file");
        assert!(!app.files.contains(&sha256(&content)).await.unwrap(), "no file without its asset");
        // The library is unharmed and takes the whole file afterwards.
        publish(&marketing, "Whole logo", ("whole.png", "image/png", content.clone())).await;
        assert!(app.files.contains(&sha256(&content)).await.unwrap());
    }

    async fn marketing_runs_the_library_and_sees_who_holds_what(app) {
        let app = app.with_demo_program().await;
        let marketing = app.signed_in(MARKETING).await;

        // A campaign with its in-market dates; a wrong one is refused in words.
        let refused = marketing.post_form("/library/campaigns", &[("name", "Autumn push"), ("in_market_from", "2026-10-01"), ("in_market_until", "2026-09-01")]).await;
        assert!(refused.text().await.unwrap().contains("In market until: choose a day on or after the first day."));
        let saved = marketing.post_form("/library/campaigns", &[("name", "Autumn push"), ("summary", "Wi-Fi 7 for schools"), ("in_market_from", "2026-10-01"), ("in_market_until", "2027-01-31")]).await;
        assert_eq!(saved.status(), 303);

        // Several files at once, one asset each, all or nothing.
        let before = assets(&app).await;
        let fields = [("asset_type", "deck"), ("languages", "German"), ("product_lines", "Campus Wireless"), ("campaign", "Autumn push"), ("audience_types", "reseller")];
        let page = marketing.post_files("/library/bulk", &fields, vec![
            ("schulen-deck.txt", "text/plain", b"Deck for schools".to_vec()),
            ("broken.pdf", "application/pdf", b"not a pdf".to_vec()),
        ]).await;
        assert!(page.text().await.unwrap().contains("broken.pdf is named as a PDF document, but its contents are text"));
        assert_eq!(assets(&app).await, before, "one bad file, nothing added");
        assert!(!app.files.contains(&sha256(b"Deck for schools")).await.unwrap());
        let added = marketing.post_files("/library/bulk", &fields, vec![
            ("schulen-deck.txt", "text/plain", b"Deck for schools".to_vec()),
            ("hochschulen_deck.txt", "text/plain", b"Deck for universities".to_vec()),
        ]).await;
        assert_eq!(added.status(), 303);
        assert_eq!(assets(&app).await, before + 2);

        // Partners filter by facets and words; the campaign shows its dates.
        let reseller = app.signed_in(GOLD_RESELLER).await;
        let found = reseller.get("/library?language=German&type=deck&product_line=Campus+Wireless").await.text().await.unwrap();
        assert!(found.contains("schulen deck") && found.contains("hochschulen deck"), "titles from file names");
        assert!(found.contains("2 assets"));
        let campaign = reseller.get("/library?campaign=Autumn+push").await.text().await.unwrap();
        assert!(campaign.contains("Wi-Fi 7 for schools") && campaign.contains("in market 1 Oct 2026 – 31 Jan 2027"));
        let words = reseller.get("/library?q=HOCHSCHULEN").await.text().await.unwrap();
        assert!(words.contains("hochschulen deck") && !words.contains(">schulen deck<"));
        let campaigns = reseller.get("/library/campaigns").await.text().await.unwrap();
        assert!(campaigns.contains("Autumn push"));
        let distributor = app.signed_in("jana.weber@brightline.example").await;
        assert!(!distributor.get("/library/campaigns").await.text().await.unwrap().contains("Autumn push"), "nothing in it for distributors");

        // The reseller downloads one; a new version leaves it on a superseded one.
        let all = asset::Entity::find().filter(asset::Column::Title.eq("schulen deck")).one(&app.pool).await.unwrap().unwrap();
        let path = format!("/library/{}", all.id);
        assert_eq!(reseller.get(&format!("{path}/download")).await.status(), 200);
        marketing.post_file(&format!("{path}/versions"), &[("notes", "New figures")], ("schulen-deck.txt", "text/plain", b"Deck for schools, v2".to_vec())).await;
        let per_asset = marketing.get(&format!("{path}/downloads")).await.text().await.unwrap();
        assert!(per_asset.contains("Kessler IT Solutions") && per_asset.contains("superseded"), "{per_asset}");
        let report = marketing.get("/library/downloads").await.text().await.unwrap();
        assert!(report.contains("Partners on a superseded version") && report.contains("Kessler IT") && report.contains("schulen deck"));
        assert!(report.contains("Downloads per partner"));
        assert_eq!(reseller.get("/library/downloads").await.status(), 404);
        assert_eq!(reseller.get(&format!("{path}/downloads")).await.status(), 404);

        // Edits keep what was typed when refused; retiring hides it, restoring brings it back.
        let refused = marketing.post_form(&format!("{path}/edit"), &[("title", "Schools deck"), ("asset_type", "deck"), ("campaign", "No such campaign"), ("publish_on", "2026-01-01")]).await.text().await.unwrap();
        assert!(refused.contains("No such campaign&#34; is not a campaign") && refused.contains("value=\"Schools deck\""), "{refused}");
        let edited = marketing.post_form(&format!("{path}/edit"), &[("title", "Schools deck"), ("asset_type", "deck"), ("languages", "German"), ("campaign", "Autumn push"), ("audience_types", "reseller"), ("publish_on", "2026-01-01")]).await;
        assert_eq!(edited.status(), 303);
        assert!(reseller.get(&path).await.text().await.unwrap().contains("Schools deck"));
        assert_eq!(marketing.post_form(&format!("{path}/retire"), &[]).await.status(), 303);
        assert_eq!(reseller.get(&path).await.status(), 404);
        assert_eq!(reseller.get(&format!("{path}/download")).await.status(), 404);
        assert!(marketing.get("/library?state=retired").await.text().await.unwrap().contains("Schools deck"));
        assert_eq!(marketing.post_form(&format!("{path}/restore"), &[]).await.status(), 303);
        assert_eq!(reseller.get(&path).await.status(), 200);
        let audited = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.is_in(["asset.edited", "asset.retired", "asset.restored", "campaign.created"]))
            .count(&app.pool).await.unwrap();
        assert_eq!(audited, 4);
    }

    async fn every_asset_route_answers_404_for_an_asset_a_partner_may_not_see(app) {
        let app = app.with_demo_program().await;
        let silver = app.signed_in(SILVER_RESELLER).await;
        let all = asset::Entity::find().all(&app.pool).await.unwrap();
        let hidden = all.iter().find(|a| a.audience_types.as_deref() == Some("distributor")).unwrap();
        let mut walked = 0;
        for case in crate::tenancy::ROUTES.iter().filter(|c| c.path.starts_with("/library/{id}")) {
            let path = case.path.replace("{id}", &hidden.id.to_string()).replace("{version}", "1");
            let status = match case.method {
                "GET" => silver.get(&path).await.status(),
                _ => silver.post_form(&path, &[]).await.status(),
            };
            // Partners lack the manage permission (403) or learn nothing (404).
            assert!(status == 404 || status == 403, "{} {path}: {status}", case.method);
            if case.method == "GET" && !case.path.ends_with("/edit") {
                assert_eq!(status, 404, "{} {path}", case.method);
            }
            walked += 1;
        }
        assert!(walked >= 10, "walked {walked} routes");
    }
}

on_both_databases! {
    async fn a_first_visit_from_several_tabs_at_once_is_one_visit(app) {
        // Found by portico-bench: concurrent first visits raced to insert the visit row (500).
        let app = app.with_demo_program().await;
        let reader = app.signed_in(SILVER_RESELLER).await;
        let user = portico::identity::entity::user::Entity::find()
            .filter(portico::identity::entity::user::Column::Email.eq(SILVER_RESELLER))
            .one(&app.pool).await.unwrap().unwrap();
        let visits = || visit::Entity::find().filter(visit::Column::UserId.eq(user.id)).count(&app.pool);
        assert_eq!(visits().await.unwrap(), 0, "a reader who never opened the library");
        let tabs = (0..12).map(|_| reader.get("/library"));
        for page in futures_util::future::join_all(tabs).await {
            assert_eq!(page.status(), 200);
        }
        assert_eq!(visits().await.unwrap(), 1);
    }
}

on_both_databases! {
    async fn a_second_process_on_the_database_sees_library_changes_at_once(app) {
        // Each process keeps the library in memory; the revision raised with every change tells
        // the other process its copy is stale.
        let app = app.with_demo_program().await;
        let other = portico::Portal::open(app.db.config()).await.unwrap();
        let everything = || portico::assets::store::library(
            &other.state().db, &other.state().library, &portico::assets::model::Viewer::Vendor,
            portico::platform::time::now(),
        );
        let deck = everything().await.unwrap().into_iter()
            .find(|a| a.retired_at.is_none())
            .expect("a live asset of the demo's library");
        let marketing = app.signed_in(MARKETING).await;
        let path = format!("/library/{}", deck.id);
        assert_eq!(marketing.post_form(&format!("{path}/retire"), &[]).await.status(), 303);
        let seen = everything().await.unwrap().into_iter().find(|a| a.id == deck.id).unwrap();
        assert!(seen.retired_at.is_some(), "the other process still held the live deck");
        assert_eq!(marketing.post_form(&format!("{path}/restore"), &[]).await.status(), 303);
        let seen = everything().await.unwrap().into_iter().find(|a| a.id == deck.id).unwrap();
        assert!(seen.retired_at.is_none());
    }
}

async fn on_s3(backend: Backend) {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let location = s3.location("portal/files");
    let Some(app) = TestApp::spawn_configured(backend, |config| config.files = location).await
    else {
        return;
    };
    let app = app.with_demo_program().await;
    store_and_serve(&app).await;
    let keys = s3.keys().await;
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k.starts_with("portal/files/sha256/")),
        "{keys:?}"
    );
}

#[tokio::test]
async fn files_live_in_an_s3_bucket_when_configured_sqlite() {
    on_s3(Backend::Sqlite).await;
}

#[tokio::test]
async fn files_live_in_an_s3_bucket_when_configured_postgres() {
    on_s3(Backend::Postgres).await;
}

#[tokio::test]
async fn a_file_over_the_configured_limit_is_refused_in_words() {
    let app = TestApp::spawn_configured(Backend::Sqlite, |config| {
        config.max_upload_bytes = 1024 * 1024
    })
    .await
    .unwrap()
    .with_demo_program()
    .await;
    let marketing = app.signed_in(MARKETING).await;
    let before = assets(&app).await;
    let big = vec![b'a'; 1024 * 1024 + 10];
    let page = marketing
        .post_file(
            "/library/new",
            &[("title", "Too big"), ("asset_type", "deck")],
            ("big.txt", "text/plain", big),
        )
        .await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("big.txt: The file is too large: files may be up to 1 MB.")
    );
    assert_eq!(assets(&app).await, before);
}
