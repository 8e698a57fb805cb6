//! Support metrics for scorecards: first-response and resolution times (business minutes, from
//! the tickets' own SLA clocks), reopen rate, SLA compliance and satisfaction — per month, per
//! partner tier, per agent and per partner, over the tickets opened in the chosen months.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::store::{self, FIRST_RESPONSE, OBJECT_TYPE, RESOLUTION, Ticket};
use crate::AppState;
use crate::orgs::store as orgs;
use crate::platform::calendar::format_business_minutes;
use crate::platform::error::{AppError, AppResult};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::sla::{self, Clock};
use crate::platform::time::now;
use crate::platform::web::{Choice, Chrome, PageContext, choices, render};

/// What one group of tickets adds up to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub tickets: usize,
    pub resolved: usize,
    pub reopened: usize,
    first_responses: Vec<i64>,
    resolutions: Vec<i64>,
    clocks_met: usize,
    clocks_missed: usize,
    ratings: Vec<i32>,
}

/// A clock counts towards compliance once it stopped, or once it breached while still running.
fn outcome(clock: &Clock) -> Option<bool> {
    if clock.breached_at.is_some() {
        return Some(false);
    }
    (clock.state == "stopped").then_some(clock.used_minutes <= clock.target_minutes)
}

impl Tally {
    pub fn add(&mut self, ticket: &Ticket, clocks: &[Clock]) {
        self.tickets += 1;
        // A reopened request counts as resolved once, whether or not it is resolved again yet.
        if ticket.resolved_at.is_some() || ticket.reopened > 0 {
            self.resolved += 1;
        }
        if ticket.reopened > 0 {
            self.reopened += 1;
        }
        for clock in clocks {
            match outcome(clock) {
                Some(true) => self.clocks_met += 1,
                Some(false) => self.clocks_missed += 1,
                None => {}
            }
            if clock.state == "stopped" {
                match clock.metric.as_str() {
                    FIRST_RESPONSE => self.first_responses.push(clock.used_minutes),
                    RESOLUTION => self.resolutions.push(clock.used_minutes),
                    _ => {}
                }
            }
        }
        self.ratings.extend(ticket.rating);
    }

    /// The median of the stopped first-response clocks, in business minutes.
    pub fn median_first_response(&self) -> Option<i64> {
        median(&self.first_responses)
    }

    pub fn median_resolution(&self) -> Option<i64> {
        median(&self.resolutions)
    }

    /// Share of resolved tickets that were reopened, in percent.
    pub fn reopen_rate(&self) -> Option<i64> {
        percent(self.reopened, self.resolved)
    }

    /// Share of decided clocks that met their target, in percent.
    pub fn sla_compliance(&self) -> Option<i64> {
        percent(self.clocks_met, self.clocks_met + self.clocks_missed)
    }

    /// Mean rating in tenths (43 = 4.3), with how many ratings.
    pub fn satisfaction(&self) -> Option<(i64, usize)> {
        let count = self.ratings.len();
        let total: i64 = self.ratings.iter().map(|r| i64::from(*r)).sum();
        let count_i64 = i64::try_from(count).ok().filter(|c| *c > 0)?;
        Some(((total * 10 + count_i64 / 2) / count_i64, count))
    }
}

fn median(values: &[i64]) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2),
    }
}

fn percent(part: usize, whole: usize) -> Option<i64> {
    let (part, whole) = (i64::try_from(part).ok()?, i64::try_from(whole).ok()?);
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

struct Row {
    group: String,
    tickets: usize,
    first_response: String,
    resolution: String,
    reopen_rate: String,
    compliance: String,
    satisfaction: String,
}

struct Table {
    heading: &'static str,
    /// The first column's header.
    column: &'static str,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "support/metrics.html")]
struct MetricsPage {
    chrome: Chrome,
    periods: Vec<Choice>,
    from: String,
    tables: Vec<Table>,
    total: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MetricsParams {
    months: String,
}

const PERIODS: [(&str, &str); 3] = [
    ("3", "Last 3 months"),
    ("6", "Last 6 months"),
    ("12", "Last 12 months"),
];

fn rows(groups: BTreeMap<String, Tally>, per_day: i64) -> Vec<Row> {
    let minutes =
        |m: Option<i64>| m.map_or("—".to_owned(), |m| format_business_minutes(m, per_day));
    let share = |p: Option<i64>| p.map_or("—".to_owned(), |p| format!("{p}%"));
    groups
        .into_iter()
        .map(|(group, tally)| Row {
            group,
            tickets: tally.tickets,
            first_response: minutes(tally.median_first_response()),
            resolution: minutes(tally.median_resolution()),
            reopen_rate: share(tally.reopen_rate()),
            compliance: share(tally.sla_compliance()),
            satisfaction: tally.satisfaction().map_or("—".to_owned(), |(tenths, n)| {
                format!("{}.{} of 5 ({n})", tenths / 10, tenths % 10)
            }),
        })
        .collect()
}

/// `GET /support/metrics`: support's figures, for vendor staff.
pub async fn metrics(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(params): Query<MetricsParams>,
) -> AppResult<Response> {
    scope.require(Permission::TicketsRead)?;
    if scope.side() != Side::Vendor {
        return Err(AppError::Forbidden);
    }
    let months: i64 = match params.months.as_str() {
        "3" => 3,
        "12" => 12,
        _ => 6,
    };
    let to = now();
    let from = to - Duration::days(months * 30);
    let tickets = store::created_between(&state.db, &scope, from, to).await?;
    // A ticket's clocks start when it is opened: the same period holds them all.
    let mut clocks: HashMap<Uuid, Vec<Clock>> = HashMap::new();
    for clock in sla::clocks_started_between(&state.db, OBJECT_TYPE, from, to).await? {
        clocks.entry(clock.object_id).or_default().push(clock);
    }
    let partner_ids: Vec<Uuid> = tickets
        .iter()
        .map(|t| t.partner_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = orgs::names_of(&state.db, &partner_ids).await?;
    let tiers: HashMap<Uuid, String> = orgs::all_organisations(&state.db)
        .await?
        .into_iter()
        .filter_map(|o| o.tier.map(|t| (o.id, t)))
        .collect();
    let mut by_month: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_tier: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_agent: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_partner: BTreeMap<String, Tally> = BTreeMap::new();
    let no_clocks = Vec::new();
    // Merged duplicates live on in the request they went into.
    for ticket in tickets.iter().filter(|t| t.merged_into_id.is_none()) {
        let own = clocks.get(&ticket.id).unwrap_or(&no_clocks);
        let month = month_key(ticket.created_at);
        let tier = tiers
            .get(&ticket.partner_id)
            .cloned()
            .unwrap_or_else(|| "No tier".into());
        let agent = ticket
            .owner_label
            .clone()
            .unwrap_or_else(|| "Not assigned".into());
        let partner = names.get(&ticket.partner_id).cloned().unwrap_or_default();
        for (groups, key) in [
            (&mut by_month, month),
            (&mut by_tier, tier),
            (&mut by_agent, agent),
            (&mut by_partner, partner),
        ] {
            groups.entry(key).or_default().add(ticket, own);
        }
    }
    let per_day = sla::calendar(&state.db, store::CALENDAR)
        .await?
        .hours
        .minutes_per_day();
    render(&MetricsPage {
        chrome: Chrome::new(&state.instance, &context),
        periods: choices(
            PERIODS
                .iter()
                .map(|(k, l)| ((*k).to_owned(), (*l).to_owned())),
            &months.to_string(),
        ),
        from: crate::platform::time::format_date(from),
        total: tickets.len(),
        tables: vec![
            Table {
                heading: "By month opened",
                column: "Month",
                rows: rows(by_month, per_day)
                    .into_iter()
                    .map(|row| Row {
                        group: row.group.split(" · ").nth(1).unwrap_or_default().to_owned(),
                        ..row
                    })
                    .collect(),
            },
            Table {
                heading: "By partner tier",
                column: "Tier",
                rows: rows(by_tier, per_day),
            },
            Table {
                heading: "By agent",
                column: "Owner",
                rows: rows(by_agent, per_day),
            },
            Table {
                heading: "By partner",
                column: "Partner",
                rows: rows(by_partner, per_day),
            },
        ],
    })
}

/// "2026-03 · Mar 2026": sorts as text, reads as a month.
fn month_key(at: OffsetDateTime) -> String {
    format!(
        "{}-{:02} · {} {}",
        at.year(),
        u8::from(at.month()),
        &at.month().to_string()[..3],
        at.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_shares_and_means_are_rounded_as_people_expect() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[30, 10, 20]), Some(20));
        assert_eq!(median(&[10, 20, 30, 40]), Some(25));
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(0, 0), None);
        let tally = Tally {
            ratings: vec![5, 4, 4],
            ..Tally::default()
        };
        assert_eq!(tally.satisfaction(), Some((43, 3)));
    }

    #[test]
    fn a_reopened_request_still_open_keeps_the_reopen_rate_within_bounds() {
        let at = time::macros::datetime!(2026-03-02 10:00 UTC);
        let ticket = |reopened: i32, resolved: bool| Ticket {
            id: Uuid::nil(),
            number: "TCK-1".into(),
            partner_id: Uuid::nil(),
            subject: String::new(),
            category: "other".into(),
            priority: "normal".into(),
            status: "open".into(),
            queue_id: Uuid::nil(),
            requester_user_id: None,
            requester_label: String::new(),
            owner_user_id: None,
            owner_label: None,
            object_type: None,
            object_id: None,
            object_label: None,
            created_at: at,
            updated_at: at,
            first_responded_at: None,
            resolved_at: resolved.then_some(at),
            closed_at: None,
            reopened,
            rating: None,
            rating_comment: None,
            rated_at: None,
            merged_into_id: None,
            next_due_at: None,
        };
        let mut tally = Tally::default();
        tally.add(&ticket(0, true), &[]);
        tally.add(&ticket(1, false), &[]);
        assert_eq!(tally.reopen_rate(), Some(50));
    }
}
