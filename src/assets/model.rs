//! Who may see an asset, and what a new asset must say about itself; no HTTP, no SQL.

use time::OffsetDateTime;

use super::entity::asset;
pub use crate::orgs::store::entries;

pub const ASSET_TYPES: [&str; 11] = [
    "deck",
    "one-pager",
    "logo",
    "banner",
    "email template",
    "social template",
    "case study",
    "price list",
    "brand guide",
    "handbook",
    "training document",
];

pub const TIERS: [&str; 4] = ["Registered", "Silver", "Gold", "Platinum"];

/// Who is looking at the library.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// Vendor staff see every asset, live or not, and every version.
    Vendor,
    /// A partner sees live assets whose audience includes its tier and type.
    Partner {
        tier: Option<String>,
        partner_type: Option<String>,
    },
}

/// Live: published, not expired, not retired.
pub fn is_live(asset: &asset::Model, now: OffsetDateTime) -> bool {
    asset.retired_at.is_none()
        && asset.publish_at <= now
        && asset.expires_at.is_none_or(|expires| expires > now)
}

/// Where an asset stands, as its badge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Current,
    /// Live, but its expiry is less than two weeks away.
    ExpiringSoon,
    Scheduled,
    Expired,
    Retired,
}

impl Standing {
    pub fn of(asset: &asset::Model, now: OffsetDateTime) -> Standing {
        if asset.retired_at.is_some() {
            Standing::Retired
        } else if asset.publish_at > now {
            Standing::Scheduled
        } else {
            match asset.expires_at {
                Some(expires) if expires <= now => Standing::Expired,
                Some(expires) if expires - now < time::Duration::days(14) => Standing::ExpiringSoon,
                _ => Standing::Current,
            }
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Standing::Current => "current",
            Standing::ExpiringSoon => "expires soon",
            Standing::Scheduled => "scheduled",
            Standing::Expired => "expired",
            Standing::Retired => "retired",
        }
    }

    /// The badge colour family (UI.md): green done, amber at risk, blue in progress, red gone.
    pub fn colour(self) -> &'static str {
        match self {
            Standing::Current => "green",
            Standing::ExpiringSoon => "amber",
            Standing::Scheduled => "blue",
            Standing::Expired => "red",
            Standing::Retired => "neutral",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Standing::ExpiringSoon => "current",
            other => other.word(),
        }
    }
}

/// The facets the library filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Type,
    Market,
    Language,
    ProductLine,
    Campaign,
}

impl Facet {
    pub const ALL: [Facet; 5] = [
        Facet::Type,
        Facet::Market,
        Facet::Language,
        Facet::ProductLine,
        Facet::Campaign,
    ];

    /// The asset's values for this facet, borrowed: the library asks this of every asset for
    /// every facet on each page view.
    pub fn values(self, asset: &asset::Model) -> Vec<&str> {
        fn listed(stored: Option<&str>) -> Vec<&str> {
            stored
                .unwrap_or_default()
                .lines()
                .filter(|line| !line.is_empty())
                .collect()
        }
        match self {
            Facet::Type => vec![asset.asset_type.as_str()],
            Facet::Market => listed(asset.markets.as_deref()),
            Facet::Language => listed(asset.languages.as_deref()),
            Facet::ProductLine => listed(asset.product_lines.as_deref()),
            Facet::Campaign => asset.campaign.as_deref().into_iter().collect(),
        }
    }
}

/// What the library is asked to show: `/library?q=…&type=deck&language=German…`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct LibraryQuery {
    pub q: String,
    #[serde(rename = "type")]
    pub asset_type: String,
    pub market: String,
    pub language: String,
    pub product_line: String,
    pub campaign: String,
    /// Vendor staff: current (default), scheduled, expired, retired or all.
    pub state: String,
    /// "1": only what is new or updated since the last visit.
    pub new: String,
    /// updated (default), title, type or published.
    pub sort: String,
    pub page: String,
}

impl LibraryQuery {
    pub fn chosen(&self, facet: Facet) -> &str {
        match facet {
            Facet::Type => &self.asset_type,
            Facet::Market => &self.market,
            Facet::Language => &self.language,
            Facet::ProductLine => &self.product_line,
            Facet::Campaign => &self.campaign,
        }
        .trim()
    }

    /// Whether the asset passes every filter but `except` (facet counts leave their own out).
    pub fn admits(
        &self,
        asset: &asset::Model,
        except: Option<Facet>,
        news: &News,
        now: OffsetDateTime,
    ) -> bool {
        self.admits_apart_from_facets(asset, news, now)
            && self
                .failing_facets(asset)
                .all(|facet| Some(facet) == except)
    }

    /// State, "new only" and the search words: the filters every facet count shares.
    fn admits_apart_from_facets(
        &self,
        asset: &asset::Model,
        news: &News,
        now: OffsetDateTime,
    ) -> bool {
        let state = match self.state.trim() {
            "" => "current",
            other => other,
        };
        (state == "all" || Standing::of(asset, now).key() == state)
            && (self.new.trim() != "1" || news.of(asset).is_some())
            && (self.q.trim().is_empty() || {
                let text = [
                    asset.title.as_str(),
                    asset.description.as_str(),
                    asset.asset_type.as_str(),
                    asset.markets.as_deref().unwrap_or_default(),
                    asset.languages.as_deref().unwrap_or_default(),
                    asset.product_lines.as_deref().unwrap_or_default(),
                    asset.campaign.as_deref().unwrap_or_default(),
                ]
                .join(" ")
                .to_lowercase();
                self.q
                    .to_lowercase()
                    .split_whitespace()
                    .all(|word| text.contains(word))
            })
    }

    /// The chosen facets this asset does not carry.
    fn failing_facets<'a>(&'a self, asset: &'a asset::Model) -> impl Iterator<Item = Facet> + 'a {
        Facet::ALL.into_iter().filter(move |facet| {
            let chosen = self.chosen(*facet);
            !chosen.is_empty() && !facet.values(asset).contains(&chosen)
        })
    }

    /// Any filter is set (the empty state then says so).
    pub fn is_filtered(&self) -> bool {
        !self.q.trim().is_empty()
            || Facet::ALL.iter().any(|f| !self.chosen(*f).is_empty())
            || self.new.trim() == "1"
            || !self.state.trim().is_empty()
    }
}

/// For each facet, the values it takes among the assets that pass every other filter, with how
/// many assets carry each, most first. One pass over the assets: an asset counts for a facet when
/// it fails no chosen facet but that one.
pub fn facet_counts(
    assets: &[asset::Model],
    query: &LibraryQuery,
    news: &News,
    now: OffsetDateTime,
) -> Vec<(Facet, Vec<(String, usize)>)> {
    let mut counts: Vec<std::collections::BTreeMap<&str, usize>> =
        Facet::ALL.iter().map(|_| Default::default()).collect();
    for asset in assets
        .iter()
        .filter(|a| query.admits_apart_from_facets(a, news, now))
    {
        // Failing no chosen facet, it counts for all; failing one, for that one only.
        let mut failing = query.failing_facets(asset);
        let only = match (failing.next(), failing.next()) {
            (None, _) => None,
            (Some(facet), None) => Some(facet),
            (Some(_), Some(_)) => continue,
        };
        for (index, facet) in Facet::ALL.into_iter().enumerate() {
            if only.is_none_or(|only| only == facet) {
                for value in facet.values(asset) {
                    *counts[index].entry(value).or_default() += 1;
                }
            }
        }
    }
    Facet::ALL
        .into_iter()
        .zip(counts)
        .map(|(facet, counted)| {
            let mut counted: Vec<(String, usize)> = counted
                .into_iter()
                .map(|(value, count)| (value.to_owned(), count))
                .collect();
            counted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (facet, counted)
        })
        .collect()
}

/// Orders assets as the library's `sort` asks.
pub fn sort(assets: &mut [asset::Model], sort: &str) {
    match sort {
        "title" => assets.sort_by_key(|a| a.title.to_lowercase()),
        "type" => assets.sort_by(|a, b| {
            a.asset_type
                .cmp(&b.asset_type)
                .then_with(|| a.title.to_lowercase().cmp(&b.title.to_lowercase()))
        }),
        "published" => assets.sort_by_key(|a| std::cmp::Reverse(a.publish_at)),
        _ => assets.sort_by_key(|a| std::cmp::Reverse(a.updated_at)),
    }
}

/// What changed in the library since the visitor's visit before this one.
#[derive(Debug, Clone, Copy)]
pub struct News {
    pub since: Option<OffsetDateTime>,
}

/// Why an asset is news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Novelty {
    New,
    Updated,
}

impl News {
    pub fn of(&self, asset: &asset::Model) -> Option<Novelty> {
        let since = self.since?;
        if asset.publish_at.max(asset.created_at) > since {
            Some(Novelty::New)
        } else if asset.updated_at > since {
            Some(Novelty::Updated)
        } else {
            None
        }
    }
}

pub fn visible(asset: &asset::Model, viewer: &Viewer, now: OffsetDateTime) -> bool {
    match viewer {
        Viewer::Vendor => true,
        Viewer::Partner { tier, partner_type } => {
            let admits = |stored: Option<&str>, value: &Option<String>| {
                let allowed = entries(stored);
                allowed.is_empty() || value.as_ref().is_some_and(|v| allowed.contains(v))
            };
            is_live(asset, now)
                && admits(asset.audience_tiers.as_deref(), tier)
                && admits(asset.audience_types.as_deref(), partner_type)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn asset(tiers: &str, types: &str) -> asset::Model {
        let now = OffsetDateTime::now_utc();
        asset::Model {
            id: uuid::Uuid::now_v7(),
            title: "Wi-Fi 7 deck".into(),
            description: String::new(),
            asset_type: "deck".into(),
            markets: None,
            languages: None,
            product_lines: None,
            campaign: None,
            audience_tiers: Some(tiers.into()),
            audience_types: Some(types.into()),
            publish_at: now - Duration::days(1),
            expires_at: None,
            owner_user_id: None,
            owner_label: "Maya".into(),
            retired_at: None,
            current_version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn partner(tier: &str, kind: &str) -> Viewer {
        Viewer::Partner {
            tier: Some(tier.into()),
            partner_type: Some(kind.into()),
        }
    }

    #[test]
    fn partners_see_live_assets_meant_for_their_tier_and_type() {
        let now = OffsetDateTime::now_utc();
        let gold_resellers = asset("Gold\nPlatinum", "reseller");
        assert!(visible(&gold_resellers, &partner("Gold", "reseller"), now));
        assert!(!visible(
            &gold_resellers,
            &partner("Silver", "reseller"),
            now
        ));
        assert!(!visible(&gold_resellers, &partner("Gold", "referral"), now));
        let everyone = asset("", "");
        assert!(visible(&everyone, &partner("Registered", "agency"), now));
        let mut expired = everyone.clone();
        expired.expires_at = Some(now - Duration::hours(1));
        assert!(!visible(&expired, &partner("Gold", "reseller"), now));
        assert!(
            visible(&expired, &Viewer::Vendor, now),
            "vendor staff see it, marked expired"
        );
        let mut future = everyone.clone();
        future.publish_at = now + Duration::days(2);
        assert!(!visible(&future, &partner("Gold", "reseller"), now));
        let mut retired = everyone;
        retired.retired_at = Some(now);
        assert!(!visible(&retired, &partner("Gold", "reseller"), now));
    }

    #[test]
    fn the_library_filters_by_facets_words_and_news_and_counts_each_facet_without_itself() {
        let now = OffsetDateTime::now_utc();
        let mut german_deck = asset("", "");
        german_deck.created_at = now - Duration::days(30);
        german_deck.updated_at = german_deck.created_at;
        german_deck.languages = Some("German".into());
        german_deck.product_lines = Some("Wireless".into());
        let mut english_deck = german_deck.clone();
        english_deck.title = "Switching deck".into();
        english_deck.languages = Some("English".into());
        let mut german_logo = german_deck.clone();
        german_logo.title = "Logo pack".into();
        german_logo.asset_type = "logo".into();
        german_logo.updated_at = now;
        let mut expired = german_deck.clone();
        expired.expires_at = Some(now - Duration::hours(1));
        let all = vec![german_deck, english_deck, german_logo, expired];
        let no_news = News { since: None };
        let query = LibraryQuery {
            asset_type: "deck".into(),
            language: "German".into(),
            ..LibraryQuery::default()
        };
        let shown: Vec<_> = all
            .iter()
            .filter(|a| query.admits(a, None, &no_news, now))
            .collect();
        assert_eq!(shown.len(), 1, "the expired one is not current");
        let counts = facet_counts(&all, &query, &no_news, now);
        let of = |facet: Facet| {
            counts
                .iter()
                .find(|(f, _)| *f == facet)
                .map(|(_, c)| c.clone())
                .unwrap()
        };
        assert_eq!(
            of(Facet::Language),
            vec![("English".to_owned(), 1), ("German".to_owned(), 1)]
        );
        assert_eq!(
            of(Facet::Type),
            vec![("deck".to_owned(), 1), ("logo".to_owned(), 1)]
        );
        assert_eq!(
            of(Facet::ProductLine),
            vec![("Wireless".to_owned(), 1)],
            "only the one German deck passes both chosen facets"
        );
        let words = LibraryQuery {
            q: "SWITCHING   deck".into(),
            ..LibraryQuery::default()
        };
        assert_eq!(
            all.iter()
                .filter(|a| words.admits(a, None, &no_news, now))
                .count(),
            1
        );
        let news = News {
            since: Some(now - Duration::minutes(5)),
        };
        let fresh = LibraryQuery {
            new: "1".into(),
            ..LibraryQuery::default()
        };
        let found: Vec<_> = all
            .iter()
            .filter(|a| fresh.admits(a, None, &news, now))
            .map(|a| (a.title.as_str(), news.of(a)))
            .collect();
        assert_eq!(found, vec![("Logo pack", Some(Novelty::Updated))]);
        let expired_too = LibraryQuery {
            state: "expired".into(),
            ..LibraryQuery::default()
        };
        assert_eq!(
            all.iter()
                .filter(|a| expired_too.admits(a, None, &no_news, now))
                .count(),
            1
        );
    }
}
