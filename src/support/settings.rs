//! Support's settings, for administrators: the support calendar (time zone, working days,
//! opening hours, holidays) and the response and resolution targets per priority and tier.
//! A change applies to clocks from their next start or resume; a running clock keeps its due
//! time, so nobody's deadline moves underneath them. Every change is audited.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::model::Priority;
use super::store::{self, OBJECT_TYPE};
use crate::AppState;
use crate::audit::{self, Entry};
use crate::platform::calendar::{BusinessCalendar, format_business_minutes};
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Scope};
use crate::platform::sla;
use crate::platform::time::{format_day, parse_day};
use crate::platform::web::{Chrome, Notice, PageContext, redirect_with_notice, render};

const PAGE: &str = "/support/settings";
const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

struct DayChoice {
    key: &'static str,
    label: &'static str,
    checked: bool,
}

struct HolidayRow {
    day: String,
    label: String,
    name: String,
}

struct PolicyRow {
    id: uuid::Uuid,
    priority: &'static str,
    tier: String,
    first_response: i64,
    resolution: i64,
    reads: String,
}

#[derive(Template)]
#[template(path = "support/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    flash: Option<String>,
    calendar: String,
    zone: String,
    days: Vec<DayChoice>,
    opens: String,
    closes: String,
    holidays: Vec<HolidayRow>,
    policies: Vec<PolicyRow>,
}

/// `GET /support/settings`.
pub async fn settings(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(notice): Query<Notice>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let row = sla::calendar_row(&state.db, store::CALENDAR)
        .await?
        .ok_or(AppError::NotFound)?;
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let per_day = calendar.hours.minutes_per_day();
    let working: Vec<&str> = row.work_days.split(',').map(str::trim).collect();
    let mut policies: Vec<PolicyRow> = sla::policies(&state.db, OBJECT_TYPE)
        .await?
        .into_iter()
        .map(|p| PolicyRow {
            id: p.id,
            priority: Priority::parse(&p.priority).map_or("", Priority::label),
            reads: format!(
                "{} / {}",
                format_business_minutes(p.first_response_minutes, per_day),
                format_business_minutes(p.resolution_minutes, per_day)
            ),
            tier: p.tier.unwrap_or_else(|| "Every other tier".into()),
            first_response: p.first_response_minutes,
            resolution: p.resolution_minutes,
        })
        .collect();
    let rank = |label: &str| Priority::ALL.iter().position(|p| p.label() == label);
    policies.sort_by(|a, b| {
        rank(b.priority)
            .cmp(&rank(a.priority))
            .then(b.first_response.cmp(&a.first_response))
    });
    render(&SettingsPage {
        chrome: Chrome::new(&state.instance, &context),
        flash: notice.done,
        calendar: format!("{}: {}", calendar.name, calendar.hours.describe()),
        zone: row.time_zone,
        days: DAYS
            .iter()
            .map(|(key, label)| DayChoice {
                key,
                label,
                checked: working.contains(key),
            })
            .collect(),
        opens: row.opens,
        closes: row.closes,
        holidays: sla::holidays(&state.db, calendar.id)
            .await?
            .into_iter()
            .map(|h| HolidayRow {
                day: h.day.to_string(),
                label: format_day(h.day),
                name: h.name,
            })
            .collect(),
        policies,
    })
}

/// `POST /support/settings/hours`: time zone, working days and opening hours.
pub async fn save_hours(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let days: Vec<&str> = DAYS
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| fields.iter().any(|(k, v)| k == "day" && v == key))
        .collect();
    if days.is_empty() {
        return Ok(redirect_with_notice(
            PAGE,
            "Nothing was changed. Working days: tick at least one day.",
        ));
    }
    let work_days = days.join(",");
    let (zone, opens, closes) = (field("zone"), field("opens"), field("closes"));
    let hours = match BusinessCalendar::new(&zone, &work_days, &opens, &closes, []) {
        Ok(hours) => hours,
        Err(problem) => {
            return Ok(redirect_with_notice(
                PAGE,
                &format!("Nothing was changed. {problem}"),
            ));
        }
    };
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let txn = begin_write(&state.db).await?;
    sla::set_hours(&txn, calendar.id, &hours, (&work_days, &opens, &closes)).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "support.hours_changed")
            .on("business_calendar", calendar.id)
            .with(json!({ "zone": hours.zone_name(), "days": work_days, "opens": opens, "closes": closes })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        PAGE,
        &format!(
            "Support hours are now {}. Clocks count them from their next start or resume.",
            hours.describe()
        ),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HolidayForm {
    day: String,
    name: String,
}

/// `POST /support/settings/holidays`: a day nobody counts.
pub async fn add_holiday(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Form(form): Form<HolidayForm>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let Some(day) = parse_day(&form.day) else {
        return Ok(redirect_with_notice(
            PAGE,
            "Holiday: enter the date as YYYY-MM-DD; nothing was changed.",
        ));
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Ok(redirect_with_notice(
            PAGE,
            "Holiday: give it a name of at most 80 characters, e.g. Christmas Day; nothing was changed.",
        ));
    }
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let txn = begin_write(&state.db).await?;
    sla::add_holiday(&txn, calendar.id, day, name).await?;
    audit::record(
        &txn,
        Entry::by(&scope, &client, "support.holiday_added")
            .on("business_calendar", calendar.id)
            .with(json!({ "day": day.to_string(), "name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        PAGE,
        &format!("{} ({name}) is a holiday now.", format_day(day)),
    ))
}

/// `POST /support/settings/holidays/{day}/remove`.
pub async fn remove_holiday(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(day): Path<String>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let day = parse_day(&day).ok_or(AppError::NotFound)?;
    let calendar = sla::calendar(&state.db, store::CALENDAR).await?;
    let txn = begin_write(&state.db).await?;
    if !sla::remove_holiday(&txn, calendar.id, day).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        Entry::by(&scope, &client, "support.holiday_removed")
            .on("business_calendar", calendar.id)
            .with(json!({ "day": day.to_string() })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        PAGE,
        &format!("{} is a working day again.", format_day(day)),
    ))
}

/// Longest target accepted: 60 working days of eight hours.
const MAX_TARGET_MINUTES: i64 = 60 * 8 * 60;

/// `POST /support/settings/targets`: every policy row at once, as `first-<id>` and
/// `resolution-<id>` in business minutes; one wrong value changes nothing.
pub async fn save_targets(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    scope.require(Permission::SettingsManage)?;
    let value = |name: String| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    let mut changes = Vec::new();
    for policy in sla::policies(&state.db, OBJECT_TYPE).await? {
        let label = format!(
            "{} priority, {}",
            Priority::parse(&policy.priority).map_or("", Priority::label),
            policy.tier.as_deref().unwrap_or("every other tier")
        );
        let (Some(first), Some(resolution)) = (
            value(format!("first-{}", policy.id)),
            value(format!("resolution-{}", policy.id)),
        ) else {
            continue;
        };
        let parse = |text: &str| {
            text.parse::<i64>()
                .ok()
                .filter(|m| (1..=MAX_TARGET_MINUTES).contains(m))
        };
        let (Some(first), Some(resolution)) = (parse(&first), parse(&resolution)) else {
            return Ok(redirect_with_notice(
                PAGE,
                &format!(
                    "{label}: targets are whole business minutes from 1 to {MAX_TARGET_MINUTES}; nothing was changed."
                ),
            ));
        };
        if first > resolution {
            return Ok(redirect_with_notice(
                PAGE,
                &format!(
                    "{label}: the first response cannot come after the resolution; nothing was changed."
                ),
            ));
        }
        if (first, resolution) != (policy.first_response_minutes, policy.resolution_minutes) {
            changes.push((policy, first, resolution));
        }
    }
    let txn = begin_write(&state.db).await?;
    for (policy, first, resolution) in &changes {
        sla::set_targets(&txn, policy.id, *first, *resolution).await?;
        audit::record(
            &txn,
            Entry::by(&scope, &client, "support.targets_changed")
                .on("sla_policy", policy.id)
                .with(json!({
                    "priority": policy.priority,
                    "tier": policy.tier,
                    "first_response": [policy.first_response_minutes, first],
                    "resolution": [policy.resolution_minutes, resolution],
                })),
        )
        .await?;
    }
    txn.commit().await?;
    let message = match changes.len() {
        0 => "Nothing changed.".to_owned(),
        n => format!(
            "{n} target row{} saved. New requests get them; running clocks keep theirs.",
            if n == 1 { "" } else { "s" }
        ),
    };
    Ok(redirect_with_notice(PAGE, &message))
}
