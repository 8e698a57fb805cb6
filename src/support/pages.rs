//! Support pages: the ticket lists (a partner's own requests; support's queues with their
//! views), opening a request — from an order or a commission line with the link filled in —,
//! a ticket with its owner, SLA timers, timeline and conversation, and the SLA targets.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{Category, NewTicketForm, Priority, REOPEN_DAYS, Status, may_reopen};
use super::store::{self, About, FIRST_RESPONSE, OBJECT_TYPE, Ticket, TicketFilter};
use super::{actions, conversation};
use crate::AppState;
use crate::identity::store::managers_of;
use crate::orgs::store as orgs;
use crate::platform::calendar::{BusinessCalendar, format_business_minutes};
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::sla::{self, Clock};
use crate::platform::threads::MessageView;
use crate::platform::time::{format_date, now};
use crate::platform::web::{
    Choice, Chrome, PageContext, TimelineEntry, choices, redirect_with_notice, render,
};

const LIST_LIMIT: u64 = 200;
/// "Breaching soon": a clock due within this many business minutes.
const SOON_MINUTES: i64 = 120;

/// A ticket the caller may read, or 404.
pub(super) async fn readable_ticket(
    state: &AppState,
    scope: &Scope,
    id: &str,
) -> AppResult<Ticket> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    store::find(&state.db, scope, id).await
}

/// Tiers that get a named account manager and priority routing (seed 004).
fn has_account_manager(tier: Option<&str>) -> bool {
    matches!(tier, Some("Gold" | "Platinum"))
}

/// A Gold or Platinum partner's account managers: the active partner managers assigned to it.
pub(super) async fn account_managers(
    db: &crate::platform::db::Db,
    partner_id: Uuid,
    tier: Option<&str>,
) -> Result<Vec<crate::identity::store::User>, sea_orm::DbErr> {
    if !has_account_manager(tier) {
        return Ok(Vec::new());
    }
    Ok(managers_of(db, partner_id)
        .await?
        .into_iter()
        .filter(|u| u.status == "active")
        .collect())
}

fn status_label(scope: &Scope, status: Status) -> &'static str {
    match scope.side() {
        Side::Vendor => status.label_for_vendor(),
        Side::Partner => status.label(),
    }
}

/// The clock a list shows for a ticket: the response clock until support answered, then the
/// resolution clock.
fn next_clock(clocks: &[Clock]) -> Option<&Clock> {
    clocks
        .iter()
        .find(|c| c.metric == FIRST_RESPONSE && c.state == "running")
        .or_else(|| clocks.iter().find(|c| c.metric != FIRST_RESPONSE))
}

fn clock_noun(clock: &Clock) -> &'static str {
    if clock.metric == FIRST_RESPONSE {
        "Response"
    } else {
        "Resolution"
    }
}

pub(super) struct ClockRow {
    pub label: String,
    pub tone: &'static str,
    pub due: String,
}

fn clock_row(clock: &Clock, hours: &BusinessCalendar, at: OffsetDateTime) -> ClockRow {
    let view = sla::view(clock, hours, clock_noun(clock), at);
    ClockRow {
        label: view.label,
        tone: match view.tone {
            "ok" => "blue",
            "amber" => "amber",
            "red" | "missed" => "red",
            "met" => "green",
            _ => "neutral",
        },
        due: view
            .due
            .map(crate::platform::time::format_moment)
            .unwrap_or_default(),
    }
}

struct TicketRow {
    id: Uuid,
    number: String,
    subject: String,
    partner: String,
    status: &'static str,
    tone: &'static str,
    priority: &'static str,
    owner: String,
    /// The owner's id as this row shows it, so a bulk assignment notices a change since.
    owner_id: String,
    clock: Option<ClockRow>,
    updated: String,
    updated_exact: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    view: String,
    queue: String,
    tier: String,
    q: String,
    done: String,
}

#[derive(Template)]
#[template(path = "support/list.html")]
struct ListPage {
    chrome: Chrome,
    flash: Option<String>,
    vendor: bool,
    /// Vendor staff, and a parent organisation reading its sub-partners' requests.
    show_partner: bool,
    can_open: bool,
    views: Vec<Choice>,
    queues: Vec<Choice>,
    tiers: Vec<Choice>,
    q: String,
    filtered: bool,
    rows: Vec<TicketRow>,
    /// Support staff a ticked selection can be given to (empty: no bulk assignment).
    agents: Vec<Choice>,
    /// This list's address, to come back to after a bulk assignment.
    back: String,
    can_configure: bool,
}

const PARTNER_VIEWS: [(&str, &str); 3] = [
    ("active", "Open requests"),
    ("done", "Resolved and closed"),
    ("all", "All requests"),
];
const VENDOR_VIEWS: [(&str, &str); 6] = [
    ("active", "All open tickets"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("breaching", "Breaching soon or breached"),
    ("done", "Resolved and closed"),
    ("all", "All tickets"),
];
const TIERS: [&str; 4] = ["Platinum", "Gold", "Silver", "Registered"];

/// `GET /support`: a partner's requests, or support's queues.
pub async fn list(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    scope.require(Permission::TicketsRead)?;
    let vendor = scope.side() == Side::Vendor;
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let at = now();
    let view = if params.view.is_empty() {
        "active"
    } else {
        params.view.as_str()
    };
    let mut filter = TicketFilter {
        text: Some(params.q.clone()).filter(|q| !q.trim().is_empty()),
        ..TicketFilter::default()
    };
    match view {
        "done" => filter.statuses = vec![Status::Resolved, Status::Closed],
        "all" => {}
        "mine" if vendor => {
            filter.statuses = Status::active().collect();
            filter.owner = Some(scope.user_id);
        }
        "unassigned" if vendor => {
            filter.statuses = Status::active().collect();
            filter.unassigned = true;
        }
        "breaching" if vendor => {
            filter.statuses = Status::active().collect();
            filter.due_before = Some(calendar.hours.add_business_minutes(at, SOON_MINUTES));
        }
        _ => filter.statuses = Status::active().collect(),
    }
    let all_queues = store::queues(&state.db).await?;
    if vendor {
        filter.queue = all_queues
            .iter()
            .find(|q| q.id.to_string() == params.queue)
            .map(|q| q.id);
        if TIERS.contains(&params.tier.as_str()) {
            let in_tier = orgs::ids_in_tier(&state.db, &params.tier).await?;
            filter.partners = Some(in_tier);
        }
    }
    // Support works open requests in the order they fall due: the shorter targets of Gold and
    // Platinum partners bring theirs to the top (their priority routing).
    if vendor && !filter.statuses.is_empty() && filter.statuses.iter().all(|s| s.is_active()) {
        filter.order = store::TicketOrder::SoonestDue;
    }
    let tickets = store::list(&state.db, &scope, &filter, LIST_LIMIT).await?;
    let mut clocks = clocks_by_ticket(&state, &tickets).await?;
    let show_partner = vendor
        || tickets
            .iter()
            .any(|t| t.partner_id != scope.organization_id);
    let rows = rows(&state, &scope, &tickets, &mut clocks, &calendar.hours, at).await?;
    let agents = if vendor && scope.can(Permission::TicketsWrite) {
        let mut options = vec![(String::new(), "Nobody (back to the queue)".to_owned())];
        options.extend(
            crate::identity::store::users_of(&state.db, scope.organization_id)
                .await?
                .into_iter()
                .filter(|u| u.status == "active")
                .filter(|u| {
                    crate::platform::scope::Role::parse(&u.role)
                        .is_some_and(|r| r.reach(Permission::TicketsWrite).is_some())
                })
                .map(|u| (u.id.to_string(), u.display_name)),
        );
        choices(options, &scope.user_id.to_string())
    } else {
        Vec::new()
    };
    let view_options = if vendor {
        &VENDOR_VIEWS[..]
    } else {
        &PARTNER_VIEWS[..]
    };
    render(&ListPage {
        chrome: Chrome::new(&state.instance, &context),
        flash: Some(params.done.clone()).filter(|d| !d.is_empty()),
        vendor,
        show_partner,
        can_open: scope.side() == Side::Partner && scope.can(Permission::TicketsWrite),
        views: choices(
            view_options
                .iter()
                .map(|(k, l)| ((*k).to_owned(), (*l).to_owned())),
            view,
        ),
        queues: choices(
            all_queues
                .iter()
                .map(|q| (q.id.to_string(), q.name.clone())),
            &params.queue,
        ),
        tiers: choices(
            TIERS.iter().map(|t| ((*t).to_owned(), (*t).to_owned())),
            &params.tier,
        ),
        q: params.q.clone(),
        filtered: view != "active"
            || !params.q.is_empty()
            || !params.queue.is_empty()
            || !params.tier.is_empty(),
        rows,
        agents,
        can_configure: scope.can(Permission::SettingsManage),
        back: format!(
            "/support?view={view}&queue={}&tier={}&q={}",
            params.queue,
            params.tier,
            form_urlencoded::byte_serialize(params.q.as_bytes()).collect::<String>()
        ),
    })
}

/// The SLA clocks of listed tickets, by ticket.
async fn clocks_by_ticket(
    state: &AppState,
    tickets: &[Ticket],
) -> AppResult<HashMap<Uuid, Vec<Clock>>> {
    let ids: Vec<(Uuid, Uuid)> = tickets.iter().map(|t| (t.partner_id, t.id)).collect();
    let mut clocks: HashMap<Uuid, Vec<Clock>> = HashMap::new();
    for clock in sla::clocks_for(&state.db, OBJECT_TYPE, &ids).await? {
        clocks.entry(clock.object_id).or_default().push(clock);
    }
    Ok(clocks)
}

async fn rows(
    state: &AppState,
    scope: &Scope,
    tickets: &[Ticket],
    clocks: &mut HashMap<Uuid, Vec<Clock>>,
    hours: &BusinessCalendar,
    at: OffsetDateTime,
) -> AppResult<Vec<TicketRow>> {
    let partner_ids: Vec<Uuid> = tickets.iter().map(|t| t.partner_id).collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    Ok(tickets
        .iter()
        .map(|t| {
            let status = store::status_of(t);
            let own_clocks = clocks.remove(&t.id).unwrap_or_default();
            TicketRow {
                id: t.id,
                number: t.number.clone(),
                subject: t.subject.clone(),
                partner: names.get(&t.partner_id).cloned().unwrap_or_default(),
                status: status_label(scope, status),
                tone: status.tone(),
                priority: store::priority_of(t).label(),
                owner_id: t.owner_user_id.map(|id| id.to_string()).unwrap_or_default(),
                owner: t
                    .owner_label
                    .clone()
                    .unwrap_or_else(|| "Not yet assigned".into()),
                clock: status
                    .is_active()
                    .then(|| next_clock(&own_clocks).map(|c| clock_row(c, hours, at)))
                    .flatten(),
                updated: format_date(t.updated_at),
                updated_exact: t.updated_at.to_string(),
            }
        })
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    about: String,
}

#[derive(Template)]
#[template(path = "support/new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewTicketForm,
    about_label: Option<String>,
    categories: Vec<Choice>,
    priorities: Vec<(Choice, &'static str)>,
    errors: Vec<super::model::FieldError>,
    targets: String,
}

/// What `about` names (`order:<id>` or `commission_line:<id>`), found through the caller's
/// own scope: a link to something the partner may not read is a 404, like a missing one.
async fn resolve_about(state: &AppState, scope: &Scope, about: &str) -> AppResult<Option<About>> {
    if about.trim().is_empty() {
        return Ok(None);
    }
    let (kind, id) = about.split_once(':').ok_or(AppError::NotFound)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    match kind {
        "order" => {
            let order = crate::orders::store::find_order(&state.db, scope, id).await?;
            // A parent organisation reads its sub-partners' orders but asks only about its own.
            if order.partner_id != scope.organization_id {
                return Err(AppError::NotFound);
            }
            Ok(Some(About {
                object_type: "order",
                object_id: order.id,
                label: format!("Order {}", order.number),
            }))
        }
        "commission_line" => {
            let line = crate::commissions::store::find_line(&state.db, scope, id).await?;
            if line.partner_id != scope.organization_id {
                return Err(AppError::NotFound);
            }
            Ok(Some(About {
                object_type: "commission_line",
                object_id: line.id,
                label: format!("Commission line: {}", line.explanation),
            }))
        }
        _ => Err(AppError::NotFound),
    }
}

/// The category a ticket about an object starts with.
fn category_for(about: Option<&About>) -> Category {
    match about.map(|a| a.object_type) {
        Some("order") => Category::Order,
        Some("commission_line") => Category::Commission,
        _ => Category::Other,
    }
}

/// Where the object a ticket is about lives.
pub(super) fn about_link(object_type: &str, object_id: Uuid) -> Option<String> {
    match object_type {
        "order" => Some(format!("/orders/{object_id}")),
        "commission_line" => Some(format!("/commissions/lines/{object_id}")),
        _ => None,
    }
}

async fn targets_sentence(
    state: &AppState,
    scope: &Scope,
    priority: Priority,
) -> AppResult<String> {
    let tier = own_tier(state, scope).await?;
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let per_day = calendar.hours.minutes_per_day();
    Ok(
        match sla::policy_for(&state.db, OBJECT_TYPE, priority.key(), tier.as_deref()).await? {
            Some(p) => format!(
                "At {} priority{}, support answers within {} and aims to resolve within {} ({}: {}).",
                priority.label().to_lowercase(),
                tier.map(|t| format!(" for {t} partners"))
                    .unwrap_or_default(),
                format_business_minutes(p.first_response_minutes, per_day),
                format_business_minutes(p.resolution_minutes, per_day),
                calendar.name,
                calendar.hours.describe()
            ),
            None => String::new(),
        },
    )
}

async fn own_tier(state: &AppState, scope: &Scope) -> AppResult<Option<String>> {
    Ok(orgs::find_partner(&state.db, scope, scope.organization_id)
        .await
        .ok()
        .and_then(|o| o.tier))
}

fn new_page(
    chrome: Chrome,
    form: NewTicketForm,
    about: Option<&About>,
    errors: Vec<super::model::FieldError>,
    targets: String,
) -> NewPage {
    let category = if form.category.is_empty() {
        category_for(about).key().to_owned()
    } else {
        form.category.clone()
    };
    let priority = if form.priority.is_empty() {
        "normal".to_owned()
    } else {
        form.priority.clone()
    };
    NewPage {
        chrome,
        about_label: about.map(|a| a.label.clone()),
        categories: choices(
            Category::ALL
                .iter()
                .map(|c| (c.key().to_owned(), c.label().to_owned())),
            &category,
        ),
        priorities: Priority::ALL
            .iter()
            .map(|p| {
                (
                    Choice {
                        value: p.key().to_owned(),
                        label: p.label().to_owned(),
                        selected: p.key() == priority,
                    },
                    p.help(),
                )
            })
            .collect(),
        form,
        errors,
        targets,
    }
}

fn require_partner_writer(scope: &Scope) -> AppResult<()> {
    if scope.side() != Side::Partner {
        return Err(AppError::Forbidden);
    }
    scope.require(Permission::TicketsWrite)
}

/// `GET /support/new`: the form, with what it is about filled in from `?about=`.
pub async fn new_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(params): Query<NewParams>,
) -> AppResult<Response> {
    require_partner_writer(&scope)?;
    let about = resolve_about(&state, &scope, &params.about).await?;
    let targets = targets_sentence(&state, &scope, Priority::Normal).await?;
    let form = NewTicketForm {
        about: params.about.clone(),
        subject: about
            .as_ref()
            .map(|a| format!("About {}", a.label))
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect(),
        ..NewTicketForm::default()
    };
    render(&new_page(
        Chrome::new(&state.instance, &context),
        form,
        about.as_ref(),
        Vec::new(),
        targets,
    ))
}

/// `POST /support`: opens the ticket, or shows the form again with what to fix.
pub async fn create(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(client): axum::extract::ConnectInfo<std::net::SocketAddr>,
    context: PageContext,
    scope: Scope,
    Form(form): Form<NewTicketForm>,
) -> AppResult<Response> {
    require_partner_writer(&scope)?;
    let about = resolve_about(&state, &scope, &form.about).await?;
    let valid = match form.parse() {
        Ok(valid) => valid,
        Err(errors) => {
            let priority = Priority::parse(&form.priority).unwrap_or(Priority::Normal);
            let targets = targets_sentence(&state, &scope, priority).await?;
            let page = new_page(
                Chrome::new(&state.instance, &context),
                form,
                about.as_ref(),
                errors,
                targets,
            );
            let mut response = render(&page)?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let ticket = actions::open(&state, &scope, &context, &client, valid, about).await?;
    Ok(redirect_with_notice(
        &format!("/support/{}", ticket.id),
        &format!(
            "Request {} received. You can follow it here; we tell you when support answers.",
            ticket.number
        ),
    ))
}

#[derive(Template)]
#[template(path = "support/detail.html")]
struct DetailPage {
    chrome: Chrome,
    flash: Option<String>,
    vendor: bool,
    id: Uuid,
    number: String,
    subject: String,
    partner: String,
    status: &'static str,
    current_status: &'static str,
    tone: &'static str,
    priority: &'static str,
    category: &'static str,
    queue: String,
    requester: String,
    opened: String,
    opened_exact: String,
    owner: Option<String>,
    account_managers: Vec<String>,
    about: Option<(String, String)>,
    clocks: Vec<ClockRow>,
    timeline: Vec<TimelineEntry>,
    messages: Vec<MessageView>,
    can_post: bool,
    can_post_internal: bool,
    can_attach: bool,
    thread_action: String,
    thread_object: &'static str,
    attachment_base: String,
    reply_statuses: Vec<(&'static str, &'static str)>,
    can_assign: bool,
    staff: Vec<Choice>,
    can_resolve: bool,
    can_close: bool,
    can_reopen: bool,
    reopen_days: i64,
    can_rate: bool,
    rating: Option<String>,
    priorities: Vec<Choice>,
    recent_orders: Vec<(String, String)>,
    recent_statements: Vec<(String, String)>,
    /// The reply box's starting text (a canned reply chosen with `?reply=`).
    draft: String,
    canned: Vec<(Uuid, String)>,
    can_merge: bool,
    merged_into: Option<(Uuid, String)>,
    duplicates: Vec<(Uuid, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailParams {
    done: Option<String>,
    reply: String,
}

fn describe_event(event: &store::TicketEvent, vendor: bool) -> String {
    let label = |key: Option<&str>| {
        key.and_then(Status::parse).map_or_else(
            || key.unwrap_or_default().to_owned(),
            |s| {
                if vendor {
                    s.label_for_vendor()
                } else {
                    s.label()
                }
                .to_owned()
            },
        )
    };
    match event.kind.as_str() {
        "opened" => "Request received".to_owned(),
        "status" => format!(
            "Status: {} → {}",
            label(event.from_value.as_deref()),
            label(event.to_value.as_deref())
        ),
        "reopened" => "Reopened".to_owned(),
        "assigned" => match (&event.from_value, &event.to_value) {
            (_, Some(owner)) => format!("Owner: {owner}"),
            (Some(_), None) => "Back in the queue: no owner".to_owned(),
            (None, None) => "Owner unchanged".to_owned(),
        },
        "priority" => format!(
            "Priority: {} → {}",
            event
                .from_value
                .as_deref()
                .and_then(Priority::parse)
                .map_or("", Priority::label),
            event
                .to_value
                .as_deref()
                .and_then(Priority::parse)
                .map_or("", Priority::label)
        ),
        "rated" => format!(
            "Rated the resolution {} of 5",
            event.to_value.as_deref().unwrap_or("?")
        ),
        "escalated" => "Escalated to the queue lead (internal)".to_owned(),
        "merged" => format!(
            "{} merged into this request",
            event.from_value.as_deref().unwrap_or_default()
        ),
        other => other.to_owned(),
    }
}

/// `GET /support/{id}`: the ticket with its owner, timers, timeline and conversation.
pub async fn detail(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Query(params): Query<DetailParams>,
) -> AppResult<Response> {
    let ticket = readable_ticket(&state, &scope, &id).await?;
    let vendor = scope.side() == Side::Vendor;
    let at = now();
    let status = store::status_of(&ticket);
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let partner = orgs::names_of(&state.db, &[ticket.partner_id]).await?;
    let tier = orgs::tier_of(&state.db, ticket.partner_id).await?;
    let account_managers = account_managers(&state.db, ticket.partner_id, tier.as_deref())
        .await?
        .into_iter()
        .map(|u| u.display_name)
        .collect();
    let queue = store::queues(&state.db)
        .await?
        .into_iter()
        .find(|q| q.id == ticket.queue_id)
        .map(|q| q.name)
        .unwrap_or_default();
    let clocks = store::clocks(&state.db, &ticket)
        .await?
        .iter()
        .map(|c| clock_row(c, &calendar.hours, at))
        .collect();
    let include_internal = conversation::sees_internal(&scope);
    let timeline = store::events(&state.db, &ticket, include_internal)
        .await?
        .iter()
        .map(|e| {
            TimelineEntry::new(
                &e.actor_label,
                e.at,
                describe_event(e, vendor),
                e.note.as_deref(),
            )
        })
        .collect();
    let messages = conversation::messages(&state.db, &scope, &ticket).await?;
    let writes = actions::may_write(&scope, &ticket);
    let own_partner = scope.side() == Side::Partner && writes;
    let staff = if vendor && writes {
        let current = ticket
            .owner_user_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        let mut options = vec![(String::new(), "Nobody (back to the queue)".to_owned())];
        options.extend(
            actions::support_staff(&state.db, ticket.partner_id)
                .await?
                .into_iter()
                .map(|u| (u.id.to_string(), u.display_name)),
        );
        choices(options, &current)
    } else {
        Vec::new()
    };
    let canned = if vendor && writes {
        store::canned_replies(&state.db).await?
    } else {
        Vec::new()
    };
    let draft = canned
        .iter()
        .find(|c| c.id.to_string() == params.reply)
        .map(|c| c.body.clone())
        .unwrap_or_default();
    let merged_into = match ticket.merged_into_id {
        Some(into) => store::find(&state.db, &scope, into)
            .await
            .ok()
            .map(|t| (t.id, t.number)),
        None => None,
    };
    let duplicates = store::merged_into(&state.db, &ticket)
        .await?
        .into_iter()
        .map(|t| (t.id, t.number))
        .collect();
    let (recent_orders, recent_statements) = if vendor {
        recent_work(&state, &scope, ticket.partner_id).await?
    } else {
        (Vec::new(), Vec::new())
    };
    render(&DetailPage {
        chrome: Chrome::new(&state.instance, &context),
        flash: params.done.clone(),
        vendor,
        id: ticket.id,
        number: ticket.number.clone(),
        subject: ticket.subject.clone(),
        partner: partner.get(&ticket.partner_id).cloned().unwrap_or_default(),
        status: status_label(&scope, status),
        current_status: status.key(),
        tone: status.tone(),
        priority: store::priority_of(&ticket).label(),
        category: Category::parse(&ticket.category).map_or("", Category::label),
        queue,
        requester: ticket.requester_label.clone(),
        opened: format_date(ticket.created_at),
        opened_exact: ticket.created_at.to_string(),
        owner: ticket.owner_label.clone(),
        account_managers,
        about: match (&ticket.object_type, ticket.object_id, &ticket.object_label) {
            (Some(kind), Some(id), Some(label)) => {
                about_link(kind, id).map(|href| (href, label.clone()))
            }
            _ => None,
        },
        clocks,
        timeline,
        messages,
        can_post: writes && status != Status::Closed,
        can_post_internal: include_internal && writes,
        can_attach: true,
        thread_action: format!("/support/{}/messages", ticket.id),
        thread_object: "request",
        attachment_base: format!("/support/{}/attachments", ticket.id),
        reply_statuses: if vendor && writes && status.is_active() {
            vec![
                ("open", "Keep working on it"),
                (
                    "waiting_on_partner",
                    "Wait for the partner's answer (pauses the resolution clock)",
                ),
                ("resolved", "Resolve the request"),
            ]
        } else {
            Vec::new()
        },
        can_assign: vendor && writes,
        staff,
        can_resolve: vendor && writes && status.is_active(),
        can_close: writes && status != Status::Closed,
        can_reopen: own_partner
            && ticket.merged_into_id.is_none()
            && may_reopen(status, ticket.resolved_at, at),
        reopen_days: REOPEN_DAYS,
        can_rate: own_partner && !status.is_active() && ticket.merged_into_id.is_none(),
        rating: ticket.rating.map(|r| match &ticket.rating_comment {
            Some(comment) => format!("{r} of 5 — “{comment}”"),
            None => format!("{r} of 5"),
        }),
        priorities: if vendor && writes {
            choices(
                Priority::ALL
                    .iter()
                    .map(|p| (p.key().to_owned(), p.label().to_owned())),
                &ticket.priority,
            )
        } else {
            Vec::new()
        },
        recent_orders,
        recent_statements,
        draft,
        canned: canned.into_iter().map(|c| (c.id, c.title)).collect(),
        can_merge: vendor && writes && ticket.merged_into_id.is_none() && status != Status::Closed,
        merged_into,
        duplicates,
    })
}

/// The partner's latest orders and statements, beside the conversation for support staff
/// (each only where the staff member's own role reads them).
async fn recent_work(
    state: &AppState,
    scope: &Scope,
    partner_id: Uuid,
) -> AppResult<(Vec<(String, String)>, Vec<(String, String)>)> {
    let orders = if scope.can(Permission::OrdersRead) {
        crate::orders::store::recent_for_partner(&state.db, scope, partner_id, 5)
            .await?
            .into_iter()
            .map(|o| {
                (
                    format!("/orders/{}", o.id),
                    format!(
                        "{} · {} · {}",
                        o.number,
                        o.status.replace('_', " "),
                        format_date(o.ordered_at)
                    ),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let statements = if scope.can(Permission::CommissionsRead) {
        crate::commissions::store::recent_for_partner(&state.db, scope, partner_id, 5)
            .await?
            .into_iter()
            .map(|s| {
                (
                    format!("/commissions/statements/{}", s.id),
                    format!(
                        "{} · {} · {}",
                        s.number,
                        s.status,
                        crate::platform::time::format_day(s.period_start)
                    ),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok((orders, statements))
}

struct PolicyRow {
    priority: &'static str,
    tier: String,
    first_response: String,
    resolution: String,
}

#[derive(Template)]
#[template(path = "support/policy.html")]
struct PolicyPage {
    chrome: Chrome,
    calendar: String,
    holidays: String,
    rows: Vec<PolicyRow>,
    own_tier: Option<String>,
}

/// `GET /support/policy`: the response and resolution targets by priority and tier.
pub async fn policy(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
) -> AppResult<Response> {
    scope.require(Permission::TicketsRead)?;
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let per_day = calendar.hours.minutes_per_day();
    let mut by_priority: BTreeMap<Priority, Vec<sla::Policy>> = BTreeMap::new();
    for policy in sla::policies(&state.db, OBJECT_TYPE).await? {
        if let Some(priority) = Priority::parse(&policy.priority) {
            by_priority.entry(priority).or_default().push(policy);
        }
    }
    let mut rows = Vec::new();
    for (priority, mut policies) in by_priority.into_iter().rev() {
        policies.sort_by_key(|p| p.first_response_minutes);
        for p in policies {
            rows.push(PolicyRow {
                priority: priority.label(),
                tier: p.tier.clone().unwrap_or_else(|| "Every other tier".into()),
                first_response: format_business_minutes(p.first_response_minutes, per_day),
                resolution: format_business_minutes(p.resolution_minutes, per_day),
            });
        }
    }
    let own_tier = if scope.side() == Side::Partner {
        own_tier(&state, &scope).await?
    } else {
        None
    };
    render(&PolicyPage {
        chrome: Chrome::new(&state.instance, &context),
        calendar: format!("{}: {}", calendar.name, calendar.hours.describe()),
        holidays: sla::holidays(&state.db, calendar.id)
            .await?
            .into_iter()
            .filter(|h| h.day >= now().date())
            .take(12)
            .map(|h| format!("{} ({})", crate::platform::time::format_day(h.day), h.name))
            .collect::<Vec<_>>()
            .join(", "),
        rows,
        own_tier,
    })
}
