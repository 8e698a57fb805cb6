//! The tenancy suite: every route of the app, walked as an anonymous visitor, as every role that
//! lacks its permission, and as users of other partners. Nothing may leak: anonymous visitors
//! are sent to sign in, missing permissions answer 403, other partners' objects answer 404
//! exactly like missing ones. A route missing from `ROUTES` fails the suite.

use std::collections::BTreeSet;

use portico::commissions::entity::{line, statement};
use portico::identity::entity::user;
use portico::orders::entity::{order_document, sales_order};
use portico::orgs::entity::organization;
use portico::platform::scope::Permission;
use portico::support::entity::ticket;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{TestApp, on_both_databases};

#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user; anonymous visitors are harmlessly sent to sign in.
    SignedIn,
    /// Users whose role holds this permission.
    Requires(Permission),
}

pub(crate) struct RouteCase {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    access: Access,
}

const fn route(method: &'static str, path: &'static str, access: Access) -> RouteCase {
    RouteCase {
        method,
        path,
        access,
    }
}

/// Every route the app serves. Add each new route here with who may reach it.
pub(crate) const ROUTES: &[RouteCase] = &[
    route("GET", "/", Access::Public),
    route("GET", "/healthz", Access::Public),
    route("GET", "/readyz", Access::Public),
    route("GET", "/metrics", Access::Public),
    route("GET", "/assets/{name}", Access::Public),
    route("GET", "/login", Access::Public),
    route("POST", "/login", Access::Public),
    route("POST", "/logout", Access::SignedIn),
    route(
        "GET",
        "/admin/roles",
        Access::Requires(Permission::RolesRead),
    ),
    route(
        "GET",
        "/partners",
        Access::Requires(Permission::PartnersRead),
    ),
    route(
        "GET",
        "/partners/{id}",
        Access::Requires(Permission::PartnersRead),
    ),
    route("GET", "/password/forgot", Access::Public),
    route("POST", "/password/forgot", Access::Public),
    route("GET", "/password/reset/{token}", Access::Public),
    route("POST", "/password/reset/{token}", Access::Public),
    route("GET", "/invitation/{token}", Access::Public),
    route("POST", "/invitation/{token}", Access::Public),
    route("GET", "/users", Access::Requires(Permission::UsersRead)),
    route(
        "POST",
        "/users/invite",
        Access::Requires(Permission::UsersManage),
    ),
    route(
        "POST",
        "/users/{id}/deactivate",
        Access::Requires(Permission::UsersManage),
    ),
    route(
        "POST",
        "/users/{id}/reactivate",
        Access::Requires(Permission::UsersManage),
    ),
    route(
        "POST",
        "/users/{id}/role",
        Access::Requires(Permission::UsersManage),
    ),
    route(
        "GET",
        "/admin/outbox",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "GET",
        "/admin/outbox/{id}",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "GET",
        "/admin/audit",
        Access::Requires(Permission::AuditRead),
    ),
    route("GET", "/profile", Access::SignedIn),
    route("POST", "/profile/name", Access::SignedIn),
    route("POST", "/profile/password", Access::SignedIn),
    route("POST", "/profile/sign-out-everywhere", Access::SignedIn),
    route("GET", "/login/second-factor", Access::Public),
    route("POST", "/login/second-factor", Access::Public),
    route("GET", "/profile/two-factor", Access::SignedIn),
    route("POST", "/profile/two-factor/enable", Access::SignedIn),
    route("POST", "/profile/two-factor/disable", Access::SignedIn),
    route(
        "POST",
        "/view-as/{id}",
        Access::Requires(Permission::UsersViewAs),
    ),
    route("POST", "/view-as/stop", Access::SignedIn),
    route(
        "GET",
        "/partners/{id}/edit",
        Access::Requires(Permission::ProfileWrite),
    ),
    route(
        "POST",
        "/partners/{id}/edit",
        Access::Requires(Permission::ProfileWrite),
    ),
    route(
        "POST",
        "/partners/{id}/status",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "POST",
        "/partners/{id}/managers",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "POST",
        "/partners/{id}/managers/{staff_id}/remove",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "POST",
        "/partners/{id}/descendants",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "GET",
        "/organisation",
        Access::Requires(Permission::PartnersRead),
    ),
    route(
        "POST",
        "/partners/{id}/certifications",
        Access::Requires(Permission::ProfileWrite),
    ),
    route(
        "POST",
        "/partners/{id}/certifications/{certification_id}/remove",
        Access::Requires(Permission::ProfileWrite),
    ),
    route(
        "POST",
        "/admin/roles/{role}/second-factor",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/users/{id}/reset-second-factor",
        Access::Requires(Permission::UsersManage),
    ),
    route(
        "POST",
        "/partners/{id}/classification",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "GET",
        "/admin/staff",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "GET",
        "/partners/new",
        Access::Requires(Permission::PartnersManage),
    ),
    route(
        "POST",
        "/partners/new",
        Access::Requires(Permission::PartnersManage),
    ),
    route("GET", "/orders", Access::Requires(Permission::OrdersRead)),
    route(
        "GET",
        "/orders/export/{format}",
        Access::Requires(Permission::OrdersRead),
    ),
    route(
        "GET",
        "/orders/new",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "POST",
        "/orders/new",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "GET",
        "/orders/{id}",
        Access::Requires(Permission::OrdersRead),
    ),
    route(
        "POST",
        "/orders/{id}/submit",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "POST",
        "/orders/{id}/cancel",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "POST",
        "/orders/{id}/confirm",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/orders/{id}/reject",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/orders/{id}/status",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/orders/{id}/block",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/orders/{id}/unblock",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/orders/{id}/promise",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/orders/{id}/documents",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "GET",
        "/orders/{id}/documents/{document_id}",
        Access::Requires(Permission::OrdersRead),
    ),
    route(
        "GET",
        "/admin/jobs",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/admin/jobs/{id}/retry",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/orders/{id}/messages",
        Access::Requires(Permission::OrdersRead),
    ),
    route(
        "GET",
        "/orders/{id}/attachments/{attachment_id}",
        Access::Requires(Permission::OrdersRead),
    ),
    route(
        "GET",
        "/orders/{id}/edit",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "POST",
        "/orders/{id}/edit",
        Access::Requires(Permission::OrdersWrite),
    ),
    route(
        "GET",
        "/catalogue",
        Access::Requires(Permission::OrdersRead),
    ),
    route("GET", "/library", Access::Requires(Permission::AssetsRead)),
    route(
        "GET",
        "/library/new",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "POST",
        "/library/new",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "GET",
        "/library/{id}",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "GET",
        "/library/{id}/download",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "POST",
        "/library/{id}/versions",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "GET",
        "/library/{id}/versions/{version}/download",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "GET",
        "/library/bulk",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "POST",
        "/library/bulk",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "GET",
        "/library/downloads",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "GET",
        "/library/campaigns",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "POST",
        "/library/campaigns",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "POST",
        "/library/campaigns/{id}",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "GET",
        "/library/{id}/edit",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "POST",
        "/library/{id}/edit",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "POST",
        "/library/{id}/retire",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "POST",
        "/library/{id}/restore",
        Access::Requires(Permission::AssetsManage),
    ),
    route(
        "GET",
        "/library/{id}/thumbnail",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "GET",
        "/library/{id}/downloads",
        Access::Requires(Permission::AssetsRead),
    ),
    route(
        "GET",
        "/commissions",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "GET",
        "/commissions/rules",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "GET",
        "/commissions/run",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/run",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/run/apply",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "GET",
        "/commissions/statements/{id}",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "GET",
        "/commissions/statements/{id}/download/{format}",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "POST",
        "/commissions/statements/{id}/approve",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/statements/{id}/correct",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/statements/{id}/pay",
        Access::Requires(Permission::PayoutsManage),
    ),
    route(
        "GET",
        "/commissions/lines/{id}",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "GET",
        "/commissions/disputes",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "GET",
        "/commissions/adjustments/new",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/adjustments",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "GET",
        "/commissions/plans/{id}/rules/new",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/plans/{id}/rules/new",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "GET",
        "/commissions/rules/{id}/versions/new",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/rules/{id}/versions/new",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/lines/{id}/dispute",
        Access::Requires(Permission::CommissionsDispute),
    ),
    route(
        "POST",
        "/commissions/lines/{id}/messages",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "POST",
        "/commissions/lines/{id}/resolve",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "GET",
        "/commissions/lines/{id}/attachments/{attachment_id}",
        Access::Requires(Permission::CommissionsRead),
    ),
    route(
        "POST",
        "/commissions/lines/{id}/adjust",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route(
        "POST",
        "/commissions/lines/{id}/exclude",
        Access::Requires(Permission::SettlementsApprove),
    ),
    route("GET", "/support", Access::Requires(Permission::TicketsRead)),
    route(
        "POST",
        "/support",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "GET",
        "/support/new",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "GET",
        "/support/policy",
        Access::Requires(Permission::TicketsRead),
    ),
    route(
        "GET",
        "/support/{id}",
        Access::Requires(Permission::TicketsRead),
    ),
    route(
        "POST",
        "/support/{id}/messages",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "GET",
        "/support/{id}/attachments/{attachment_id}",
        Access::Requires(Permission::TicketsRead),
    ),
    route(
        "POST",
        "/support/{id}/assign",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/{id}/status",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/{id}/reopen",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/{id}/rate",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/{id}/priority",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "GET",
        "/support/metrics",
        Access::Requires(Permission::TicketsRead),
    ),
    route(
        "POST",
        "/support/assign",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "GET",
        "/support/replies",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/replies",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/replies/{id}/remove",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "POST",
        "/support/{id}/merge",
        Access::Requires(Permission::TicketsWrite),
    ),
    route(
        "GET",
        "/support/settings",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/support/settings/hours",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/support/settings/holidays",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/support/settings/holidays/{day}/remove",
        Access::Requires(Permission::SettingsManage),
    ),
    route(
        "POST",
        "/support/settings/targets",
        Access::Requires(Permission::SettingsManage),
    ),
    route("GET", "/notifications", Access::SignedIn),
    route("POST", "/notifications/read-all", Access::SignedIn),
    route("GET", "/notifications/{id}", Access::SignedIn),
    route("GET", "/notifications/settings", Access::SignedIn),
    route("POST", "/notifications/settings", Access::SignedIn),
    route(
        "GET",
        "/api-tokens",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/api-tokens",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/api-tokens/{id}/revoke",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route("GET", "/api/docs", Access::Public),
    route(
        "GET",
        "/integrations",
        Access::Requires(Permission::IntegrationsRead),
    ),
    route(
        "GET",
        "/integrations/webhooks",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/integrations/webhooks",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "GET",
        "/integrations/webhooks/{id}",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/integrations/webhooks/{id}/enable",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/integrations/webhooks/{id}/disable",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/integrations/webhooks/{id}/rotate",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "POST",
        "/integrations/sources/{id}",
        Access::Requires(Permission::IntegrationsManage),
    ),
    route(
        "GET",
        "/integrations/conflicts",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/integrations/conflicts/{id}/resolve",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "GET",
        "/integrations/import",
        Access::Requires(Permission::OrdersApprove),
    ),
    route(
        "POST",
        "/integrations/import",
        Access::Requires(Permission::OrdersApprove),
    ),
    route("GET", "/api/v1/openapi.json", Access::Public),
];

/// `(METHOD, path)` of every `.route("path", get(..).post(..))` in `src/`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for part in text.split(".route(").skip(1) {
            // rustfmt may put the path on the next line.
            let Some(quoted) = part.trim_start().strip_prefix('"') else {
                continue;
            };
            let (route_path, rest) = quoted.split_once('"').unwrap();
            // The method routers up to the end of this `.route(...)` call.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let call = &rest[..end];
            for method in ["get", "post", "put", "patch", "delete"] {
                // `get(`, `.get(` or `routing::get(`, but not `budget(`.
                let called = call.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !call[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if called {
                    found.insert((method.to_uppercase(), route_path.to_owned()));
                }
            }
        }
    }
    found
}

#[test]
fn every_route_is_in_the_registry() {
    let registered: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let served = routes_in_source();
    let missing: Vec<_> = served.difference(&registered).collect();
    let stale: Vec<_> = registered.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes without a tenancy entry: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "registry entries for routes that do not exist: {stale:?}"
    );
}

pub(crate) async fn tier_of(app: &TestApp, name: &str) -> String {
    organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .tier
        .unwrap_or_default()
}

pub(crate) async fn id_of(app: &TestApp, name: &str) -> String {
    organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// A commission statement of `owner`, or a made-up id for a partner without one.
async fn statement_of(app: &TestApp, owner: &str) -> uuid::Uuid {
    let partner = uuid::Uuid::parse_str(&id_of(app, owner).await).unwrap();
    statement::Entity::find()
        .filter(statement::Column::PartnerId.eq(partner))
        .one(&app.pool)
        .await
        .unwrap()
        .map_or_else(portico::platform::ids::new_id, |s| s.id)
}

/// A commission line of `owner`, or a made-up id for a partner without one.
async fn commission_line_of(app: &TestApp, owner: &str) -> uuid::Uuid {
    let partner = uuid::Uuid::parse_str(&id_of(app, owner).await).unwrap();
    line::Entity::find()
        .filter(line::Column::PartnerId.eq(partner))
        .one(&app.pool)
        .await
        .unwrap()
        .map_or_else(portico::platform::ids::new_id, |l| l.id)
}

/// A support ticket of `owner`, or a made-up id for a partner without one.
async fn ticket_of(app: &TestApp, owner: &str) -> uuid::Uuid {
    let partner = uuid::Uuid::parse_str(&id_of(app, owner).await).unwrap();
    ticket::Entity::find()
        .filter(ticket::Column::PartnerId.eq(partner))
        .one(&app.pool)
        .await
        .unwrap()
        .map_or_else(portico::platform::ids::new_id, |t| t.id)
}

/// An order of `owner` (one with a document where it has any), or a made-up id for a partner
/// without orders.
async fn order_of(app: &TestApp, owner: &str) -> uuid::Uuid {
    let partner = uuid::Uuid::parse_str(&id_of(app, owner).await).unwrap();
    let with_document = order_document::Entity::find()
        .filter(order_document::Column::PartnerId.eq(partner))
        .one(&app.pool)
        .await
        .unwrap();
    let query = match with_document {
        Some(document) => sales_order::Entity::find_by_id(document.order_id),
        None => sales_order::Entity::find().filter(sales_order::Column::PartnerId.eq(partner)),
    };
    query
        .one(&app.pool)
        .await
        .unwrap()
        .map_or_else(portico::platform::ids::new_id, |order| order.id)
}

/// The route with its placeholders filled by an object of `owner` (a partner organisation).
async fn concrete(app: &TestApp, path: &str, owner: &str) -> String {
    let id = if path.starts_with("/users/{id}") || path.starts_with("/view-as/{id}") {
        let organization = id_of(app, owner).await;
        user::Entity::find()
            .filter(user::Column::OrganizationId.eq(uuid::Uuid::parse_str(&organization).unwrap()))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{owner} has a user"))
            .id
            .to_string()
    } else if path.starts_with("/admin/outbox/{id}") {
        portico::platform::mail::queue(
            &app.pool,
            portico::platform::mail::Mail {
                to: "someone@brightline.example".into(),
                subject: "Brightline Distribution GmbH statement".into(),
                text: "Brightline Distribution GmbH".into(),
                html: "<p>Brightline Distribution GmbH</p>".into(),
            },
        )
        .await
        .unwrap()
        .to_string()
    } else if path.starts_with("/orders/{id}") {
        order_of(app, owner).await.to_string()
    } else if path.starts_with("/commissions/statements/{id}") {
        statement_of(app, owner).await.to_string()
    } else if path.starts_with("/commissions/lines/{id}") {
        commission_line_of(app, owner).await.to_string()
    } else if path.starts_with("/support/{id}") {
        ticket_of(app, owner).await.to_string()
    } else if path.contains("{id}") {
        id_of(app, owner).await
    } else {
        String::new()
    };
    let document = if path.contains("{document_id}") {
        let order = order_of(app, owner).await;
        order_document::Entity::find()
            .filter(order_document::Column::OrderId.eq(order))
            .one(&app.pool)
            .await
            .unwrap()
            .map_or_else(portico::platform::ids::new_id, |d| d.id)
            .to_string()
    } else {
        String::new()
    };
    path.replace("{id}", &id)
        .replace("{document_id}", &document)
        .replace("{format}", "csv")
        .replace("{version}", "1")
        .replace(
            "{attachment_id}",
            &portico::platform::ids::new_id().to_string(),
        )
        .replace("{staff_id}", &portico::platform::ids::new_id().to_string())
        .replace(
            "{delivery_id}",
            &portico::platform::ids::new_id().to_string(),
        )
        .replace(
            "{certification_id}",
            &portico::platform::ids::new_id().to_string(),
        )
        .replace("{name}", "portico.css")
        .replace("{day}", "2026-12-25")
        .replace("{token}", &portico::platform::ids::random_token())
}

async fn send(visitor: &crate::helpers::Visitor, method: &str, path: &str) -> reqwest::Response {
    match method {
        "GET" => visitor.get(path).await,
        _ => visitor.post_form(path, &[]).await,
    }
}

on_both_databases! {
    async fn anonymous_visitors_are_sent_to_sign_in(app) {
        let app = app.with_demo_program().await;
        for case in ROUTES {
            if matches!(case.access, Access::Public) {
                continue;
            }
            let visitor = app.visitor();
            let path = concrete(&app, case.path, "Brightline Distribution").await;
            let response = send(&visitor, case.method, &path).await;
            assert_eq!(response.status(), 303, "{} {path}", case.method);
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(location.starts_with("/login"), "{} {path} → {location}", case.method);
            let body = response.text().await.unwrap();
            assert!(body.is_empty(), "{} {path} leaked a body", case.method);
        }
    }

    async fn roles_without_the_permission_are_refused(app) {
        let app = app.with_demo_program().await;
        let roles: BTreeSet<_> = app.demo_logins.iter().map(|l| l.role).collect();
        assert_eq!(roles.len(), portico::platform::scope::Role::ALL.len(), "every role has a demo user");
        for login in &app.demo_logins {
            let visitor = app.signed_in(&login.email).await;
            for case in ROUTES {
                let Access::Requires(permission) = case.access else { continue };
                if login.role.reach(permission).is_some() {
                    continue;
                }
                let path = concrete(&app, case.path, "Brightline Distribution").await;
                let response = send(&visitor, case.method, &path).await;
                assert_eq!(
                    response.status(), 403,
                    "{} {path} as {:?} without {permission}", case.method, login.role
                );
                let body = response.text().await.unwrap();
                assert!(!body.contains("Brightline Distribution GmbH"), "{path} leaked data");
            }
        }
    }

    async fn other_partners_objects_do_not_exist(app) {
        let app = app.with_demo_program().await;
        // (user, a partner outside their scope)
        let outsiders = [
            ("anna.kessler@kessler-it.example", "Atlas Channel Partners"),
            ("anna.kessler@kessler-it.example", "Brightline Distribution"),
            ("anna.kessler@kessler-it.example", "Alpenblick Systemhaus"),
            ("george.hale@atlas-channel.example", "Kessler IT Solutions"),
            ("daan.visser@meridian.example", "Brightline Distribution"),
            ("priya.shah@northwind.example", "Atlas Channel Partners"),
            ("priya.shah@northwind.example", "Fjord Integrators"),
        ];
        for (email, foreign) in outsiders {
            let visitor = app.signed_in(email).await;
            let role = app.demo_logins.iter().find(|l| l.email == email).unwrap().role;
            // Routes the role may use at all; the others answer 403 (tested above).
            let permitted = ROUTES.iter().filter(|c| match c.access {
                Access::Requires(permission) => role.reach(permission).is_some(),
                _ => true,
            });
            for case in permitted.filter(|c| c.path.contains("{id}")) {
                let path = concrete(&app, case.path, foreign).await;
                let response = send(&visitor, case.method, &path).await;
                assert_eq!(response.status(), 404, "{} {path} as {email}", case.method);
                let body = response.text().await.unwrap();
                assert!(!body.contains(foreign), "{path} as {email} named {foreign}");
            }
            // Lists never name a partner outside the scope either.
            for case in ROUTES.iter().filter(|c| c.method == "GET" && !c.path.contains('{')) {
                let body = visitor.get(case.path).await.text().await.unwrap();
                assert!(
                    !body.contains(&format!(">{foreign}<")),
                    "{} as {email} lists {foreign}", case.path
                );
            }
        }
    }
}
