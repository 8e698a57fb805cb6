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
}
