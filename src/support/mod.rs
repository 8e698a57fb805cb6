//! Support: tickets with a visible owner, a team queue, SLA clocks and a conversation.
//!
//! A partner opens a request — from an order's or a commission line's page with the link
//! filled in — and sees at once that it was received, who owns it and when to expect an
//! answer. Targets come from the SLA policy for the ticket's priority and the partner's tier
//! (Platinum faster than Gold faster than the rest), counted in business hours of the support
//! calendar by the shared `platform::sla` clocks; the resolution clock pauses while support
//! waits on the partner. Warnings and breaches are jobs that tell the owner and escalate to the
//! queue lead. Gold and Platinum partners see their account managers, who hear of every new
//! request.
//!
//! Rules: every read goes through the caller's scope (another partner's ticket is a 404);
//! internal notes and escalations never reach partners; every change is a conditional update
//! with a timeline row and an audit row; a partner reopens within 14 days of the resolution.

mod actions;
pub mod api;
mod conversation;
mod desk;
pub mod entity;
pub mod jobs;
mod metrics;
pub mod model;
mod pages;
pub mod seed;
mod settings;
pub mod store;

use axum::Router;
use axum::routing::{get, post};

use uuid::Uuid;

use crate::AppState;
use crate::platform::scope::{Permission, Scope, Side};

/// What a partner's home page says about their support: their tier's service, their account
/// managers (Gold and Platinum) and how many of their requests are open.
pub struct SupportSummary {
    pub tier: Option<String>,
    pub account_managers: Vec<String>,
    pub open_requests: u64,
    pub may_open: bool,
}

/// The summary for a partner user who may read tickets, else `None`.
pub async fn summary_for(
    db: &crate::platform::db::Db,
    scope: &Scope,
) -> Result<Option<SupportSummary>, crate::platform::error::AppError> {
    if scope.side() != Side::Partner || !scope.can(Permission::TicketsRead) {
        return Ok(None);
    }
    let tier = crate::orgs::store::tier_of(db, scope.organization_id).await?;
    let account_managers = pages::account_managers(db, scope.organization_id, tier.as_deref())
        .await?
        .into_iter()
        .map(|u| u.display_name)
        .collect();
    let open = store::count_active(db, scope, scope.organization_id).await?;
    Ok(Some(SupportSummary {
        tier,
        account_managers,
        open_requests: open,
        may_open: scope.can(Permission::TicketsWrite),
    }))
}

/// Where a partner user asks support about an object of their own organisation — the form,
/// with the link filled in — or `None` when they may not open tickets for it.
pub fn ask_about(
    scope: &Scope,
    object_type: &str,
    object_id: Uuid,
    partner_id: Uuid,
) -> Option<String> {
    let may = scope.side() == Side::Partner
        && scope
            .partners(Permission::TicketsWrite)
            .is_ok_and(|reach| reach.contains(partner_id));
    may.then(|| format!("/support/new?about={object_type}:{object_id}"))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/support", get(pages::list).post(pages::create))
        .route("/support/new", get(pages::new_form))
        .route("/support/policy", get(pages::policy))
        .route("/support/metrics", get(metrics::metrics))
        .route("/support/assign", post(desk::assign_many))
        .route("/support/replies", get(desk::replies).post(desk::add_reply))
        .route("/support/replies/{id}/remove", post(desk::remove_reply))
        .route("/support/{id}/merge", post(desk::merge))
        .route("/support/settings", get(settings::settings))
        .route("/support/settings/hours", post(settings::save_hours))
        .route("/support/settings/holidays", post(settings::add_holiday))
        .route(
            "/support/settings/holidays/{day}/remove",
            post(settings::remove_holiday),
        )
        .route("/support/settings/targets", post(settings::save_targets))
        .route("/support/{id}", get(pages::detail))
        .route(
            "/support/{id}/messages",
            post(conversation::post).layer(crate::platform::files::upload_body_limit()),
        )
        .route(
            "/support/{id}/attachments/{attachment_id}",
            get(conversation::attachment),
        )
        .route("/support/{id}/assign", post(actions::assign))
        .route("/support/{id}/status", post(actions::set_status))
        .route("/support/{id}/reopen", post(actions::reopen))
        .route("/support/{id}/rate", post(actions::rate))
        .route("/support/{id}/priority", post(actions::set_priority))
}
