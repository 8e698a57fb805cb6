//! The demo's library: 80 assets across types, product lines, markets and languages, with real
//! files (PDF documents, PNG logos and banners, HTML templates), several versions for decks and
//! some others, audiences by tier and partner type, one expired and one not yet published;
//! three campaigns (ended, in market, upcoming); and a download history in which some partners
//! still hold superseded versions.

use std::io::Cursor;

use anyhow::Context;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::entity::{asset, campaign};
use super::model::{ASSET_TYPES, Viewer, visible};
use super::preview;
use super::store::{self, NewFile, Uploader};
use crate::platform::files::{FileStore, content_type_of};
use crate::platform::ids;
use crate::platform::pdf::Document;

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
/// (name, summary, in market from, until), days from today.
const CAMPAIGNS: [(&str, &str, i64, i64); 3] = [
    (
        "Back to school 2026",
        "Campus switching and Wi-Fi for schools and universities.",
        -200,
        -120,
    ),
    (
        "Wi-Fi 7 launch",
        "The Wi-Fi 7 access points: launch decks, banners and mailers.",
        -60,
        90,
    ),
    (
        "Zero Trust spring",
        "Security appliances and cloud licences for the spring quarter.",
        20,
        120,
    ),
];

/// Assets in the demo's library.
const DEMO_ASSETS: usize = 80;
/// Sectors the large program's library repeats the demo's material for ("" is the demo's own).
const SECTORS: [&str; 13] = [
    "",
    "healthcare",
    "education",
    "retail",
    "hospitality",
    "the public sector",
    "logistics",
    "manufacturing",
    "financial services",
    "transport",
    "utilities",
    "small businesses",
    "enterprises",
];

/// A partner user who reads the library, for the download history.
pub struct Reader {
    pub partner_id: Uuid,
    pub user_id: Uuid,
    pub tier: Option<String>,
    pub partner_type: Option<String>,
}

fn campaign_of(index: usize) -> Option<&'static str> {
    if index.is_multiple_of(4) {
        Some(CAMPAIGNS[1].0)
    } else if index % 9 == 1 {
        Some(CAMPAIGNS[0].0)
    } else if index % 13 == 2 {
        Some(CAMPAIGNS[2].0)
    } else {
        None
    }
}

/// The file of one version: a PDF for documents, a PNG for logos and banners, HTML for
/// templates.
fn file_for(asset_type: &str, title: &str, description: &str, version: usize) -> (String, Vec<u8>) {
    let stem = title
        .to_lowercase()
        .replace([' ', '(', ')', '&'], "-")
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    match asset_type {
        "logo" | "banner" => {
            let (width, height) = if asset_type == "logo" {
                (480, 480)
            } else {
                (1200, 400)
            };
            let shade = (title.len() * 37 + version * 53) as u8;
            let image = image::RgbImage::from_fn(width, height, |x, y| {
                if (x / 40 + y / 40) % 2 == 0 {
                    image::Rgb([20, 70 + shade / 3, 140])
                } else {
                    image::Rgb([240, 240, 245])
                }
            });
            let mut png = Cursor::new(Vec::new());
            image
                .write_to(&mut png, image::ImageFormat::Png)
                .expect("a PNG in memory");
            (format!("{stem}.png"), png.into_inner())
        }
        "email template" | "social template" => (
            format!("{stem}.html"),
            format!(
                "<!doctype html><html><body><h1>{title}</h1><p>{description}</p><p>Version {version}</p></body></html>\n"
            )
            .into_bytes(),
        ),
        _ => {
            let mut pdf = Document::new(title);
            pdf.heading(title);
            pdf.paragraph(description);
            pdf.facts(&[
                ("Version", version.to_string()),
                ("Use", "Partner pitches and campaigns".to_owned()),
            ]);
            pdf.paragraph(
                "Northwind Networks partner material. Share with customers as it is; ask your \
                 channel manager before changing it.",
            );
            (format!("{stem}.pdf"), pdf.finish())
        }
    }
}

/// Writes the library, its files in `files`, as `owner` uploaded them, and the downloads of
/// `readers`.
pub async fn seed_library(
    conn: &impl ConnectionTrait,
    files: &FileStore,
    owner: &Uploader,
    readers: &[Reader],
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    for (name, summary, from, until) in CAMPAIGNS {
        campaign::ActiveModel {
            id: Set(ids::new_id()),
            name: Set(name.to_owned()),
            summary: Set(summary.to_owned()),
            in_market_from: Set((now + Duration::days(from)).date()),
            in_market_until: Set(Some((now + Duration::days(until)).date())),
            created_at: Set(now - Duration::days(220)),
            updated_at: Set(now - Duration::days(220)),
        }
        .insert(conn)
        .await?;
    }
    let viewers: Vec<Viewer> = readers
        .iter()
        .map(|r| Viewer::Partner {
            tier: r.tier.clone(),
            partner_type: r.partner_type.clone(),
        })
        .collect();
    for index in 0..DEMO_ASSETS {
        let saved = seed_asset(conn, files, owner, index, now).await?;
        // Partners download what they may see; some took it before its last version.
        for (number, (reader, viewer)) in readers.iter().zip(&viewers).enumerate() {
            if !(index + number).is_multiple_of(3) || !visible(&saved, viewer, now) {
                continue;
            }
            let (version, days_ago) =
                if (index + number).is_multiple_of(2) && saved.current_version > 1 {
                    (1, 250 - index as i64 * 3)
                } else {
                    (saved.current_version, 3 + (index % 20) as i64)
                };
            let at = (now - Duration::days(days_ago.max(1))).max(saved.created_at);
            store::record_download(
                conn,
                saved.id,
                version,
                reader.user_id,
                reader.partner_id,
                at,
            )
            .await?;
        }
    }
    Ok(())
}

/// One asset of the generated library, numbered `index`, with its versions and files.
async fn seed_asset(
    conn: &impl ConnectionTrait,
    files: &FileStore,
    owner: &Uploader,
    index: usize,
    now: OffsetDateTime,
) -> anyhow::Result<store::Asset> {
    let asset_type = ASSET_TYPES[index % ASSET_TYPES.len()];
    let (language, markets) = LANGUAGES[(index / ASSET_TYPES.len()) % LANGUAGES.len()];
    let line = LINES[(index + index / ASSET_TYPES.len()) % LINES.len()];
    let (tiers, types) = AUDIENCES[(index / 3) % AUDIENCES.len()];
    // The demo's 80 have one title each; a larger library repeats them for other audiences.
    let title = match SECTORS[(index / DEMO_ASSETS) % SECTORS.len()] {
        "" => format!("{line} {asset_type} ({language})"),
        sector => format!("{line} {asset_type} for {sector} ({language})"),
    };
    let description = format!(
        "The current {asset_type} for {line}, in {language}, for partner pitches and campaigns."
    );
    let created = now
        - Duration::days(300 - ((index % DEMO_ASSETS) as i64 * 3) - (index / DEMO_ASSETS) as i64);
    // Decks are revised most; a third of the rest has a second or third version.
    let versions = if asset_type == "deck" {
        3
    } else {
        1 + index % 3
    };
    let expires_at = (index == 7).then(|| now - Duration::days(2));
    let publish_at = if index == 12 {
        now + Duration::days(5)
    } else {
        created
    };
    let details = asset::ActiveModel {
        id: Set(ids::new_id()),
        title: Set(title.clone()),
        description: Set(description.clone()),
        asset_type: Set(asset_type.to_owned()),
        markets: Set(Some(markets.to_owned())),
        languages: Set(Some(language.to_owned())),
        product_lines: Set(Some(line.to_owned())),
        campaign: Set(campaign_of(index).map(str::to_owned)),
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
    let mut saved: Option<store::Asset> = None;
    for version in 1..=versions {
        let (file_name, bytes) = file_for(asset_type, &title, &description, version);
        let content_type = content_type_of(&file_name, &bytes).map_err(anyhow::Error::msg)?;
        let thumbnail = match preview::thumbnail(&content_type, &bytes) {
            Some(png) => Some(files.put(png.into()).await?),
            None => None,
        };
        let stored = files.put(bytes.into()).await?;
        let at = created + Duration::days(20 * (version as i64 - 1));
        let notes = if version == 1 {
            "First version".to_owned()
        } else {
            format!("Updated figures for quarter {version}")
        };
        let file = NewFile {
            file_name: &file_name,
            content_type: &content_type,
            stored: &stored,
            thumbnail: thumbnail.as_ref(),
            notes: &notes,
        };
        saved = Some(match saved.take() {
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
    saved.context("every asset has a first version")
}

/// Grows the demo's library to `count` assets for the large program: the same kinds of
/// material for more sectors, without download history.
pub async fn grow_library(
    conn: &impl ConnectionTrait,
    files: &FileStore,
    owner: &Uploader,
    count: usize,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    for index in DEMO_ASSETS..count {
        seed_asset(conn, files, owner, index, now).await?;
    }
    Ok(())
}
