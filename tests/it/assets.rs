//! The asset library: audiences, versions, downloads only of what a partner may have.

use portico::assets::entity::asset;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{TestApp, Visitor, on_both_databases};

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
        assert!(detail.contains("superseded"));
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
        assert_eq!(gold.get(&path).await.status(), 404);
        assert!(marketing.get("/library").await.text().await.unwrap().contains("not live"));

        // The demo's library follows the same rules: the Silver reseller sees only what is
        // live and meant for it.
        let library = silver.get("/library").await.text().await.unwrap();
        assert!(library.contains("(German)"));
        assert!(!library.contains("not live"));
        let all = asset::Entity::find().all(&app.pool).await.unwrap();
        let hidden = all.iter().find(|a| a.audience_types.as_deref() == Some("distributor")).unwrap();
        assert_eq!(silver.get(&format!("/library/{}", hidden.id)).await.status(), 404);
    }
}
