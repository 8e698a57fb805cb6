//! The demo's library: 80 assets across types, product lines, markets and languages, some with
//! several versions, audiences by tier and partner type, one expired and one not yet published.

use sea_orm::{ActiveValue::Set, ConnectionTrait};
use time::{Duration, OffsetDateTime};

use super::entity::asset;
use super::model::ASSET_TYPES;
use super::store::{self, NewFile, Uploader};
use crate::platform::files::FileStore;
use crate::platform::ids;

const LINES: [&str; 5] = [
    "Switching",
    "Wireless",
    "Security Appliances",
    "Cloud Licences",
    "Services & Support",
];
/// (language, markets)
const LANGUAGES: [(&str, &str); 4] = [
    ("English", "GB\nNL\nNO"),
    ("German", "DE\nAT"),
    ("Spanish", "ES"),
    ("French", "FR"),
];
/// (tiers, types) audiences, one per line; empty is everyone.
const AUDIENCES: [(&str, &str); 4] = [
    ("", ""),
    ("Gold\nPlatinum", ""),
    ("", "reseller"),
    ("", "distributor"),
];

/// Writes the library, its files in `files`, as `owner` uploaded them.
pub async fn seed_library(
    conn: &impl ConnectionTrait,
    files: &FileStore,
    owner: &Uploader,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    for index in 0..80_usize {
        let line = LINES[index % LINES.len()];
        let (language, markets) = LANGUAGES[(index / LINES.len()) % LANGUAGES.len()];
        let asset_type = ASSET_TYPES[(index * 7) % ASSET_TYPES.len()];
        let (tiers, types) = AUDIENCES[(index / 3) % AUDIENCES.len()];
        let title = format!("{line} {asset_type} ({language})");
        let created = now - Duration::days(300 - (index as i64 * 3));
        let versions = 1 + index % 3;
        let expires_at = (index == 7).then(|| now - Duration::days(2));
        let publish_at = if index == 11 {
            now + Duration::days(5)
        } else {
            created
        };
        let details = asset::ActiveModel {
            id: Set(ids::new_id()),
            title: Set(title.clone()),
            description: Set(format!(
                "The current {asset_type} for {line}, in {language}, for partner pitches and campaigns."
            )),
            asset_type: Set(asset_type.to_owned()),
            markets: Set(Some(markets.to_owned())),
            languages: Set(Some(language.to_owned())),
            product_lines: Set(Some(line.to_owned())),
            campaign: Set((index % 4 == 0).then(|| "Wi-Fi 7 launch".to_owned())),
            audience_tiers: Set(Some(tiers.to_owned()).filter(|t| !t.is_empty())),
            audience_types: Set(Some(types.to_owned()).filter(|t| !t.is_empty())),
            publish_at: Set(publish_at),
            expires_at: Set(expires_at),
            owner_user_id: Set(Some(owner.user_id)),
            owner_label: Set(owner.label.clone()),
            retired_at: Set(None),
            current_version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        };
        let file_name = format!(
            "{}.txt",
            title.to_lowercase().replace([' ', '(', ')', '&'], "-")
        );
        let mut asset = None;
        for version in 1..=versions {
            let content = format!("{title}\nVersion {version}\n");
            let stored = files.put(bytes::Bytes::from(content)).await?;
            let at = created + Duration::days(20 * (version as i64 - 1));
            let notes = if version == 1 {
                "First version".to_owned()
            } else {
                format!("Updated figures for quarter {version}")
            };
            let file = NewFile {
                file_name: &file_name,
                content_type: "text/plain; charset=utf-8",
                stored: &stored,
                notes: &notes,
            };
            asset = Some(match asset.take() {
                None => store::create(conn, details.clone(), &file, owner, at).await?,
                Some(previous) => {
                    store::add_version(conn, &previous, &file, owner, at).await?;
                    store::Asset {
                        current_version: previous.current_version + 1,
                        updated_at: at,
                        ..previous
                    }
                }
            });
        }
    }
    Ok(())
}
