//! The web shell every page shares: the layout's chrome, our own CSS and JS embedded in the
//! binary under content-hashed names, security headers, and the friendly error pages.
//!
//! Rules: no inline script or style (the CSP forbids both), no third-party assets, and every
//! page renders through [`render`] so an askama failure becomes a logged 500, never a panic.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::csrf::CsrfToken;
use super::error::{AppError, AppResult, ErrorPage};
use super::instance::Instance;
use super::scope::{Permission, Role, Side};
use crate::AppState;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A static file compiled into the binary, served under a name that changes with its content
/// so browsers may cache it forever.
pub struct Asset {
    pub hashed_name: String,
    content_type: &'static str,
    body: &'static [u8],
}

fn asset(name: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let short: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    let (stem, extension) = name
        .rsplit_once('.')
        .expect("asset names have an extension");
    Asset {
        hashed_name: format!("{stem}.{short}.{extension}"),
        content_type,
        body,
    }
}

pub struct Assets {
    pub css: Asset,
    pub js: Asset,
}

pub static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets {
    css: asset(
        "portico.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/portico.css"),
    ),
    js: asset(
        "portico.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/portico.js"),
    ),
});

/// `GET /assets/{name}`: only the current hashed names exist; anything else is a 404.
pub async fn serve_asset(Path(name): Path<String>) -> AppResult<Response> {
    let found = [&ASSETS.css, &ASSETS.js]
        .into_iter()
        .find(|a| a.hashed_name == name)
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, found.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        found.body,
    )
        .into_response())
}

/// A group of the left-hand navigation: the daily work first (no heading), then integrations
/// and administration, so the list stays short to scan.
pub struct NavGroup {
    pub heading: Option<&'static str>,
    pub items: Vec<NavItem>,
}

/// One entry of the left-hand navigation.
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The signed-in person, as the layout shows them. Identity puts it in the request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub display_name: String,
    pub organization_name: String,
    pub role: Role,
    /// Set while a vendor admin views the portal as this user: the admin's name.
    pub viewed_by: Option<String>,
    /// For the bell in the header.
    pub unread_notifications: u64,
}

/// What a page needs from the request: where it is, the CSRF token for its forms, and who is
/// looking.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub path: String,
    pub csrf_token: String,
    pub viewer: Option<Viewer>,
}

/// One option of a select or radio group, and whether it is the current one.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The options of a select, with `current` chosen.
pub fn choices(options: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current.trim(),
            value,
            label,
        })
        .collect()
}

/// Who made a change, as timelines show it.
#[derive(Debug, Clone)]
pub struct Author {
    pub user_id: Option<uuid::Uuid>,
    /// "Jana Weber (Brightline Distribution)".
    pub label: String,
}

/// The `done` query parameter a page shows as its flash after POST-redirect-GET
/// ([`redirect_with_notice`]).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    pub done: Option<String>,
}

impl PageContext {
    /// The signed-in person as timelines name them.
    pub fn author(&self, scope: &super::scope::Scope) -> Author {
        Author {
            user_id: Some(scope.user_id),
            label: self.person_label(&scope.email),
        }
    }

    /// "Jana Weber (Brightline Distribution)": how timelines and histories name the person
    /// acting; `fallback` (their e-mail) when the request carries no viewer.
    pub fn person_label(&self, fallback: &str) -> String {
        self.viewer.as_ref().map_or_else(
            || fallback.to_owned(),
            |v| format!("{} ({})", v.display_name, v.organization_name),
        )
    }

    fn from_request(uri: &axum::http::Uri, extensions: &axum::http::Extensions) -> PageContext {
        PageContext {
            path: uri.path().to_owned(),
            csrf_token: extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            viewer: extensions.get::<Viewer>().cloned(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageContext::from_request(&parts.uri, &parts.extensions))
    }
}

/// One entry of a timeline (`partials/timeline.html`): who · when · what changed · why.
pub struct TimelineEntry {
    pub who: String,
    pub when: String,
    /// The exact time, for the tooltip.
    pub when_exact: String,
    pub what: String,
    pub why: String,
}

impl TimelineEntry {
    pub fn new(who: &str, at: time::OffsetDateTime, what: String, why: Option<&str>) -> Self {
        TimelineEntry {
            who: who.to_owned(),
            when: super::time::format_date(at),
            when_exact: at.to_string(),
            what,
            why: why.unwrap_or_default().to_owned(),
        }
    }
}

/// What the layout needs on every page: the program's name, navigation, asset links.
pub struct Chrome {
    pub program_name: String,
    pub vendor_name: String,
    pub is_demo: bool,
    pub version: &'static str,
    pub css_href: String,
    pub js_href: String,
    pub nav: Vec<NavGroup>,
    pub csrf_token: String,
    pub viewer: Option<Viewer>,
}

/// A navigation entry and who sees it.
struct Section {
    /// The group it is listed under; `None`: the daily work, listed first.
    group: Option<&'static str>,
    label: &'static str,
    /// The label when the permission reaches only the user's own records.
    own_label: Option<&'static str>,
    href: &'static str,
    /// `None`: everyone, signed in or not.
    permission: Option<Permission>,
    side: Option<Side>,
}

const INTEGRATIONS: &str = "Integrations";
const ADMINISTRATION: &str = "Administration";

/// Sections in navigation order, a group's sections together. Each module adds its entry here
/// when it arrives.
const SECTIONS: &[Section] = &[
    Section {
        group: None,
        label: "Home",
        own_label: None,
        href: "/",
        permission: None,
        side: None,
    },
    Section {
        group: None,
        label: "Partners",
        own_label: None,
        href: "/partners",
        permission: Some(Permission::PartnersRead),
        side: Some(Side::Vendor),
    },
    Section {
        group: None,
        label: "Organisation",
        own_label: None,
        href: "/organisation",
        permission: Some(Permission::PartnersRead),
        side: Some(Side::Partner),
    },
    Section {
        group: None,
        label: "Orders",
        own_label: None,
        href: "/orders",
        permission: Some(Permission::OrdersRead),
        side: None,
    },
    Section {
        group: None,
        label: "Catalogue",
        own_label: None,
        href: "/catalogue",
        permission: Some(Permission::OrdersRead),
        side: None,
    },
    Section {
        group: None,
        label: "Commissions",
        own_label: None,
        href: "/commissions",
        permission: Some(Permission::CommissionsRead),
        side: None,
    },
    Section {
        group: None,
        label: "Support",
        own_label: None,
        href: "/support",
        permission: Some(Permission::TicketsRead),
        side: None,
    },
    Section {
        group: None,
        label: "Library",
        own_label: None,
        href: "/library",
        permission: Some(Permission::AssetsRead),
        side: None,
    },
    Section {
        group: Some(INTEGRATIONS),
        label: "Status",
        own_label: None,
        href: "/integrations",
        permission: Some(Permission::IntegrationsRead),
        side: None,
    },
    Section {
        group: Some(INTEGRATIONS),
        label: "Webhooks",
        own_label: None,
        href: "/integrations/webhooks",
        permission: Some(Permission::IntegrationsManage),
        side: None,
    },
    Section {
        group: Some(INTEGRATIONS),
        label: "API tokens",
        own_label: None,
        href: "/api-tokens",
        permission: Some(Permission::IntegrationsManage),
        side: None,
    },
    Section {
        group: Some(ADMINISTRATION),
        label: "Users",
        own_label: None,
        href: "/users",
        permission: Some(Permission::UsersRead),
        side: None,
    },
    Section {
        group: Some(ADMINISTRATION),
        label: "Staff",
        own_label: None,
        href: "/admin/staff",
        permission: Some(Permission::PartnersManage),
        side: Some(Side::Vendor),
    },
    Section {
        group: Some(ADMINISTRATION),
        label: "Mail outbox",
        own_label: None,
        href: "/admin/outbox",
        permission: Some(Permission::SettingsManage),
        side: None,
    },
    Section {
        group: Some(ADMINISTRATION),
        label: "Jobs",
        own_label: None,
        href: "/admin/jobs",
        permission: Some(Permission::SettingsManage),
        side: None,
    },
    Section {
        group: Some(ADMINISTRATION),
        label: "Audit log",
        own_label: Some("Your activity"),
        href: "/admin/audit",
        permission: Some(Permission::AuditRead),
        side: None,
    },
    Section {
        group: Some(ADMINISTRATION),
        label: "Roles",
        own_label: None,
        href: "/admin/roles",
        permission: Some(Permission::RolesRead),
        side: None,
    },
];

impl Section {
    fn label_for(&self, viewer: Option<&Viewer>) -> &'static str {
        let own = self
            .permission
            .zip(viewer)
            .is_some_and(|(permission, viewer)| {
                viewer.role.reach(permission) == Some(super::scope::Reach::Own)
            });
        match self.own_label {
            Some(label) if own => label,
            _ => self.label,
        }
    }

    fn visible_to(&self, viewer: Option<&Viewer>) -> bool {
        let Some(permission) = self.permission else {
            return true;
        };
        viewer.is_some_and(|v| {
            v.role.reach(permission).is_some() && self.side.is_none_or(|side| v.role.side() == side)
        })
    }
}

impl Chrome {
    pub fn new(instance: &Instance, context: &PageContext) -> Chrome {
        let mut nav: Vec<NavGroup> = Vec::new();
        for section in SECTIONS
            .iter()
            .filter(|section| section.visible_to(context.viewer.as_ref()))
        {
            let label = section.label_for(context.viewer.as_ref());
            // A person's own records ("Your activity") are their work, not administration.
            let heading = if section.own_label == Some(label) {
                None
            } else {
                section.group
            };
            let item = NavItem {
                label,
                href: section.href,
                current: is_current_section(section.href, &context.path),
            };
            match nav.iter_mut().find(|group| group.heading == heading) {
                Some(group) => group.items.push(item),
                None => nav.push(NavGroup {
                    heading,
                    items: vec![item],
                }),
            }
        }
        Chrome {
            program_name: instance.program_name.clone(),
            vendor_name: instance.vendor_name.clone(),
            is_demo: instance.is_demo,
            version: VERSION,
            css_href: format!("/assets/{}", ASSETS.css.hashed_name),
            js_href: format!("/assets/{}", ASSETS.js.hashed_name),
            nav,
            csrf_token: context.csrf_token.clone(),
            viewer: context.viewer.clone(),
        }
    }
}

fn is_current_section(href: &str, path: &str) -> bool {
    if href == "/" {
        path == "/"
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

/// POST-redirect-GET: sends the browser to `path`, whose page shows `message` as its flash
/// (the `done` query parameter).
/// A problem with one field of a page's form; `field` is the input's id, so the summary at the
/// top of the form can link to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

/// A page whose form says each field's problems beside the field (and all of them at the top).
pub trait FormErrors {
    fn form_errors(&self) -> &[FormError];

    /// The messages for one field, for its template.
    fn error_for(&self, field: &str) -> Vec<&str> {
        self.form_errors()
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect()
    }
}

pub fn redirect_with_notice(path: &str, message: &str) -> Response {
    axum::response::Redirect::to(&notice_address(path, message)).into_response()
}

/// `path` with the notice in its query, before any `#fragment`.
fn notice_address(path: &str, message: &str) -> String {
    let message: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    match path.split_once('#') {
        Some((path, fragment)) => format!("{path}?done={message}#{fragment}"),
        None => format!("{path}?done={message}"),
    }
}

/// Renders a page template as an HTML response.
pub fn render(page: &impl Template) -> AppResult<Response> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("template failed")))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    chrome: Chrome,
    status: u16,
    title: &'static str,
    explanation: &'static str,
    request_id: String,
}

fn error_words(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address, or it is not shared with your organisation. \
             Check the link, or start again from the home page.",
        ),
        StatusCode::BAD_REQUEST => (
            "This form could not be sent",
            "The page was open too long, or the form came from another site. Go back, reload \
             the page and send the form again.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "That was too much to send at once",
            "The form or file is larger than the portal accepts. Send a smaller one.",
        ),
        StatusCode::FORBIDDEN => (
            "You do not have access to this page",
            "Your role does not include this section. Your organisation's administrator can \
             change your role if you need it.",
        ),
        _ => (
            "Something went wrong on our side",
            "The page could not be shown. Nothing you did caused this, and nothing was changed. \
             Please try again in a moment; if it keeps happening, contact support and quote the \
             reference below.",
        ),
    }
}

/// Turns every response marked [`ErrorPage`] (handler errors, the fallback, caught panics) into
/// the friendly page, with the request id as a reference for support.
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let context = PageContext::from_request(request.uri(), request.extensions());
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let Some(ErrorPage { status }) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
    };
    let (title, explanation) = error_words(status);
    let page = ErrorTemplate {
        chrome: Chrome::new(&state.instance, &context),
        status: status.as_u16(),
        title,
        explanation,
        request_id,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "error page template failed");
            (status, title).into_response()
        }
    }
}

/// The fallback for every unknown path.
/// The fallback for every unknown path; under the API's prefix, a problem document.
pub async fn not_found(request: axum::extract::Request) -> Response {
    if request.uri().path().starts_with(super::api::PREFIX) {
        return super::api::no_route(request).await.into_response();
    }
    AppError::NotFound.into_response()
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The value of one cookie of the request.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site; `Secure` over https;
/// `max_age_seconds` of `Some(0)` deletes the cookie, `None` keeps it for the browser session.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age_seconds: Option<i64>) -> String {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        text.push_str("; Secure");
    }
    if let Some(age) = max_age_seconds {
        text.push_str(&format!("; Max-Age={age}"));
    }
    text
}

/// Headers that keep pages from being framed, sniffed or made to run foreign script.
pub fn security_headers(https: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
                 form-action 'self'; frame-ancestors 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    if https {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    headers
}

/// Adds [`security_headers`] to every response that does not set its own.
pub async fn add_security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in state.security_headers.iter() {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_notice_goes_before_the_fragment() {
        assert_eq!(
            notice_address("/orders/1", "Saved."),
            "/orders/1?done=Saved."
        );
        assert_eq!(
            notice_address("/orders/1#discussion", "Sent, thanks"),
            "/orders/1?done=Sent%2C+thanks#discussion"
        );
    }

    use super::*;

    #[test]
    fn asset_names_change_with_content() {
        let a = asset("portico.css", "text/css", b"body{}");
        let b = asset("portico.css", "text/css", b"body{color:red}");
        assert!(a.hashed_name.starts_with("portico.") && a.hashed_name.ends_with(".css"));
        assert_ne!(a.hashed_name, b.hashed_name);
    }

    #[test]
    fn current_section_matches_its_subpages_only() {
        assert!(is_current_section("/", "/"));
        assert!(!is_current_section("/", "/orders"));
        assert!(is_current_section("/orders", "/orders/ORD-1"));
        assert!(!is_current_section("/orders", "/ordersx"));
    }
}
