//! `/admin/audit`: the audit log for vendor admins and auditors, newest first, filtered by
//! actor, organisation, action and date, with the chain's state shown on top.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use time::{OffsetDateTime, Time};
use uuid::Uuid;

use super::entity;
use crate::AppState;
use crate::orgs::store as orgs;
use crate::platform::db::contains_ignoring_case;
use crate::platform::error::AppResult;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::parse_form_day;
use crate::platform::web::{Chrome, PageContext, render};

const PAGE_SIZE: u64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditFilter {
    actor: String,
    organization: String,
    action: String,
    from: String,
    to: String,
    /// Keyset pagination: show rows older than this sequence number.
    before: Option<i64>,
}

struct AuditLine {
    seq: i64,
    at: String,
    actor: String,
    organization: String,
    action: String,
    object: String,
    detail: String,
    client_address: String,
}

struct OrganisationOption {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    chrome: Chrome,
    filter: AuditFilter,
    lines: Vec<AuditLine>,
    organisations: Vec<OrganisationOption>,
    errors: Vec<String>,
    older: Option<String>,
    own_only: bool,
}

pub async fn log(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Query(filter): Query<AuditFilter>,
) -> AppResult<Response> {
    scope.require(Permission::AuditRead)?;
    let own_only = scope.own_records_only(Permission::AuditRead);
    let mut errors = Vec::new();
    let mut condition = Condition::all();
    if let Some(user_id) = own_only {
        condition = condition.add(entity::Column::ActorUserId.eq(user_id));
    }
    if !filter.actor.trim().is_empty() {
        condition = condition.add(contains_ignoring_case(
            entity::Column::ActorLabel,
            filter.actor.trim(),
        ));
    }
    if !filter.organization.is_empty() && own_only.is_none() {
        match Uuid::parse_str(&filter.organization) {
            Ok(id) => condition = condition.add(entity::Column::OrganizationId.eq(id)),
            Err(_) => errors.push("Organisation: choose one from the list.".into()),
        }
    }
    if !filter.action.trim().is_empty() {
        condition = condition.add(entity::Column::Action.starts_with(filter.action.trim()));
    }
    if let Some(day) = parse_form_day(&filter.from, "From", &mut errors) {
        condition =
            condition.add(entity::Column::At.gte(OffsetDateTime::new_utc(day, Time::MIDNIGHT)));
    }
    if let Some(day) = parse_form_day(&filter.to, "To", &mut errors) {
        let next = day.next_day().unwrap_or(day);
        condition =
            condition.add(entity::Column::At.lt(OffsetDateTime::new_utc(next, Time::MIDNIGHT)));
    }
    if let Some(before) = filter.before {
        condition = condition.add(entity::Column::Seq.lt(before));
    }

    // Organisation names only for those who read everyone's activity.
    let all_organisations = if own_only.is_none() {
        orgs::all_organisations(&state.db).await?
    } else {
        Vec::new()
    };
    let name_of = |id: Option<Uuid>| {
        id.and_then(|id| all_organisations.iter().find(|o| o.id == id))
            .map_or_else(String::new, |o| o.name.clone())
    };
    let rows = if errors.is_empty() {
        entity::Entity::find()
            .filter(condition)
            .order_by_desc(entity::Column::Seq)
            .limit(PAGE_SIZE + 1)
            .all(&state.db)
            .await?
    } else {
        Vec::new()
    };
    let more = rows.len() as u64 > PAGE_SIZE;
    let lines: Vec<AuditLine> = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|row| AuditLine {
            seq: row.seq,
            at: row.at.to_string(),
            organization: name_of(row.organization_id),
            actor: row.actor_label,
            action: row.action,
            object: if row.object_id.is_empty() {
                row.object_type
            } else {
                format!("{} {}", row.object_type, row.object_id)
            },
            detail: if row.detail == "{}" {
                String::new()
            } else {
                row.detail
            },
            client_address: row.client_address,
        })
        .collect();
    let older = more.then(|| {
        let last = lines.last().map_or(0, |l| l.seq);
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("actor", &filter.actor)
            .append_pair("organization", &filter.organization)
            .append_pair("action", &filter.action)
            .append_pair("from", &filter.from)
            .append_pair("to", &filter.to)
            .append_pair("before", &last.to_string())
            .finish();
        format!("/admin/audit?{query}")
    });
    let organisations = all_organisations
        .iter()
        .map(|o| OrganisationOption {
            id: o.id.to_string(),
            name: o.name.clone(),
            selected: o.id.to_string() == filter.organization,
        })
        .collect();
    render(&AuditPage {
        chrome: Chrome::new(&state.instance, &context),
        filter,
        lines,
        organisations,
        errors,
        older,
        own_only: own_only.is_some(),
    })
}
