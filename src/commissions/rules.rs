//! The rule editor: finance adds a rule to a plan, or a new version of a rule from a date.
//! A rule that cannot be applied safely is refused before it is saved (see
//! [`super::model::validate_rule`], plus a precedence another rule holds and a version that
//! would overlap an existing one). Before saving, finance sees what the change would do to
//! lines already computed — the change is made inside a transaction, every affected period is
//! planned, and the transaction is rolled back — then saves it with exactly those corrections,
//! or discards it.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::response::Response;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::accrual::{self, Plan, RunPlan, signed};
use super::entity::{rule, rule_version};
use super::model::{
    BandMode, DEFAULT_QUALIFYING, FieldError, Period, QUALIFYING_STATUSES, Reward, RuleInput,
    RuleTerms, validate_rule,
};
use super::store::{self, Actor};
use crate::AppState;
use crate::assets::model::TIERS;
use crate::audit::{self, Entry};
use crate::orders::model::DEAL_TYPES;
use crate::orgs::model::PARTNER_TYPES;
use crate::orgs::store as orgs;
use crate::platform::error::{AppError, AppResult};
use crate::platform::ids;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::now;
use crate::platform::web::{
    Chrome, FormError, FormErrors, PageContext, redirect_with_notice, render,
};

/// What the form changes: a new rule of a plan, or a new version of a rule.
enum Target {
    NewRule,
    NewVersion {
        rule: rule::Model,
        latest: Box<rule_version::Model>,
    },
}

struct PeriodEffect {
    period: String,
    lines: usize,
    net: String,
}

struct PartnerEffect {
    partner: String,
    lines: usize,
    net: String,
}

struct ChangePreview {
    fingerprint: String,
    periods: Vec<PeriodEffect>,
    partners: Vec<PartnerEffect>,
    total_lines: usize,
    net: String,
}

#[derive(Template)]
#[template(path = "commissions/rule_form.html")]
struct RuleFormPage {
    chrome: Chrome,
    plan_name: String,
    currency: String,
    heading: String,
    action: String,
    input: RuleInput,
    errors: Vec<FormError>,
    preview: Option<ChangePreview>,
    partner_types: [&'static str; 5],
    tiers: [&'static str; 4],
    deal_types: [&'static str; 3],
    statuses: Vec<(&'static str, &'static str)>,
    new_version: bool,
}

impl FormErrors for RuleFormPage {
    fn form_errors(&self) -> &[FormError] {
        &self.errors
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RuleSubmission {
    #[serde(flatten)]
    input: RuleInput,
    /// preview or save.
    action: String,
    fingerprint: String,
}

fn page(
    state: &AppState,
    context: &PageContext,
    plan: &Plan,
    target: &Target,
    input: RuleInput,
    errors: Vec<FieldError>,
    preview: Option<ChangePreview>,
) -> AppResult<Response> {
    let (heading, action, new_version) = match target {
        Target::NewRule => (
            format!("New rule for {}", plan.row.name),
            format!("/commissions/plans/{}/rules/new", plan.row.id),
            false,
        ),
        Target::NewVersion { rule, latest } => (
            format!("New version of '{}' (now v{})", rule.name, latest.version),
            format!("/commissions/rules/{}/versions/new", rule.id),
            true,
        ),
    };
    render(&RuleFormPage {
        chrome: Chrome::new(&state.instance, context),
        plan_name: plan.row.name.clone(),
        currency: plan.currency.code().to_owned(),
        heading,
        action,
        input,
        errors: errors
            .into_iter()
            .map(|(field, message)| FormError {
                field: field.to_owned(),
                message,
            })
            .collect(),
        preview,
        partner_types: PARTNER_TYPES,
        tiers: TIERS,
        deal_types: DEAL_TYPES,
        statuses: QUALIFYING_STATUSES
            .iter()
            .map(|s| (s.key(), s.label()))
            .collect(),
        new_version,
    })
}

/// The form as the latest version fills it, for a new version.
fn input_from(rule: &rule::Model, version: &rule_version::Model, plan: &Plan) -> RuleInput {
    let amount = |minor: i64| {
        let text = crate::platform::money::Money::new(minor, plan.currency).to_string();
        text.split_once(' ')
            .map(|(_, number)| number.replace(',', ""))
            .unwrap_or(text)
    };
    let bands: Vec<super::model::Band> =
        serde_json::from_str(version.bands.as_deref().unwrap_or("[]")).unwrap_or_default();
    let rate_text = crate::orders::model::format_percent;
    RuleInput {
        name: rule.name.clone(),
        precedence: rule.precedence.to_string(),
        effective_from: String::new(),
        partner_type: version.partner_type.clone().unwrap_or_default(),
        tier: version.tier.clone().unwrap_or_default(),
        product_line: version.product_line.clone().unwrap_or_default(),
        sku: version.sku.clone().unwrap_or_default(),
        deal_type: version.deal_type.clone().unwrap_or_default(),
        qualifying_status: version.qualifying_status.clone(),
        reward: match (&version.band_mode, version.per_unit_minor) {
            (Some(_), _) => "bands",
            (None, Some(_)) => "per_unit",
            _ => "rate",
        }
        .to_owned(),
        rate: version.rate_bp.map(rate_text).unwrap_or_default(),
        per_unit: version.per_unit_minor.map(amount).unwrap_or_default(),
        band_mode: version.band_mode.clone().unwrap_or_default(),
        bands: bands
            .iter()
            .map(|b| match b.to_minor {
                Some(to) => format!(
                    "{} {} {}",
                    amount(b.from_minor),
                    amount(to),
                    rate_text(b.rate_bp)
                ),
                None => format!("{} {}", amount(b.from_minor), rate_text(b.rate_bp)),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        cap: version.cap_minor.map(amount).unwrap_or_default(),
        currency: plan.currency.code().to_owned(),
        note: String::new(),
    }
}

async fn plan_of(state: &AppState, scope: &Scope, id: &str) -> AppResult<Plan> {
    scope.require(Permission::SettlementsApprove)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    store::find_plan(&state.db, id).await
}

async fn rule_of(state: &AppState, scope: &Scope, id: &str) -> AppResult<(Plan, Target)> {
    scope.require(Permission::SettlementsApprove)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let rule = rule::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let latest = rule_version::Entity::find()
        .filter(rule_version::Column::RuleId.eq(rule.id))
        .order_by_desc(rule_version::Column::Version)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let plan = store::find_plan(&state.db, rule.plan_id).await?;
    Ok((
        plan,
        Target::NewVersion {
            rule,
            latest: Box::new(latest),
        },
    ))
}

pub async fn new_rule_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let plan = plan_of(&state, &scope, &id).await?;
    let input = RuleInput {
        effective_from: now().date().to_string(),
        qualifying_status: DEFAULT_QUALIFYING.key().to_owned(),
        reward: "rate".to_owned(),
        currency: plan.currency.code().to_owned(),
        ..RuleInput::default()
    };
    page(
        &state,
        &context,
        &plan,
        &Target::NewRule,
        input,
        Vec::new(),
        None,
    )
}

pub async fn new_version_form(
    State(state): State<AppState>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (plan, target) = rule_of(&state, &scope, &id).await?;
    let Target::NewVersion { rule, latest } = &target else {
        return Err(AppError::NotFound);
    };
    let mut input = input_from(rule, latest, &plan);
    input.effective_from = now().date().to_string();
    page(&state, &context, &plan, &target, input, Vec::new(), None)
}

/// What stops a checked rule from being saved against the plan as it stands.
async fn conflicts(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    target: &Target,
    terms: &RuleTerms,
) -> Result<Vec<FieldError>, DbErr> {
    let mut errors = Vec::new();
    let own_rule = match target {
        Target::NewRule => None,
        Target::NewVersion { rule, .. } => Some(rule.id),
    };
    let holder = rule::Entity::find()
        .filter(rule::Column::PlanId.eq(plan.row.id))
        .filter(rule::Column::Precedence.eq(terms.precedence))
        .one(conn)
        .await?
        .filter(|r| Some(r.id) != own_rule);
    if let Some(holder) = holder {
        errors.push((
            "precedence",
            format!(
                "'{}' already has precedence {}: where both fit a line, which applies would be \
                 ambiguous. Choose another number.",
                holder.name, terms.precedence
            ),
        ));
    }
    if let Target::NewVersion { rule, latest } = target {
        let newest = rule_version::Entity::find()
            .filter(rule_version::Column::RuleId.eq(rule.id))
            .order_by_desc(rule_version::Column::Version)
            .one(conn)
            .await?;
        if let Some(newest) = newest.filter(|v| v.id != latest.id) {
            errors.push((
                "effective_from",
                format!(
                    "{} saved v{} of this rule meanwhile; open the rules page again and start \
                     from that version.",
                    newest.created_label, newest.version
                ),
            ));
        }
        if terms.precedence != rule.precedence {
            errors.push((
                "precedence",
                format!(
                    "Precedence belongs to the rule and every version of it (now {}); changing it \
                     would re-rank periods already settled. Add a new rule instead.",
                    rule.precedence
                ),
            ));
        }
        if terms.qualifying.key() != latest.qualifying_status {
            errors.push((
                "qualifying_status",
                "A new version earns at the same order status as the one before; changing it \
                 would leave lines earning under neither, or under both. Add a new rule instead."
                    .to_owned(),
            ));
        }
    }
    if let Target::NewVersion { latest, .. } = target
        && terms.effective_from <= latest.effective_from
    {
        errors.push((
            "effective_from",
            format!(
                "v{} is in force from {}; a new version must start after it, or the two would overlap.",
                latest.version, latest.effective_from
            ),
        ));
    }
    Ok(errors)
}

/// Writes the rule (and its first version) or the new version, closing the one before.
async fn write(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    target: &Target,
    terms: &RuleTerms,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    let (rule_id, version) = match target {
        Target::NewRule => {
            let id = ids::new_id();
            rule::ActiveModel {
                id: Set(id),
                plan_id: Set(plan.row.id),
                name: Set(terms.name.clone()),
                precedence: Set(terms.precedence),
                created_at: Set(at),
            }
            .insert(conn)
            .await?;
            (id, 1)
        }
        Target::NewVersion { rule, latest } => {
            rule::ActiveModel {
                id: Set(rule.id),
                name: Set(terms.name.clone()),
                precedence: Set(terms.precedence),
                ..Default::default()
            }
            .update(conn)
            .await?;
            rule_version::ActiveModel {
                id: Set(latest.id),
                effective_to: Set(Some(terms.effective_from)),
                ..Default::default()
            }
            .update(conn)
            .await?;
            (rule.id, latest.version + 1)
        }
    };
    let (rate_bp, per_unit_minor, band_mode, bands) = match &terms.reward {
        Reward::Rate(rate) => (Some(*rate), None, None, None),
        Reward::PerUnit(amount) => (None, Some(*amount), None, None),
        Reward::Bands(mode, bands) => (
            None,
            None,
            Some(BandMode::key(*mode).to_owned()),
            serde_json::to_string(bands).ok(),
        ),
    };
    rule_version::ActiveModel {
        id: Set(ids::new_id()),
        rule_id: Set(rule_id),
        plan_id: Set(plan.row.id),
        version: Set(version),
        effective_from: Set(terms.effective_from),
        effective_to: Set(None),
        partner_type: Set(terms.conditions.partner_type.clone()),
        tier: Set(terms.conditions.tier.clone()),
        product_line: Set(terms.conditions.product_line.clone()),
        sku: Set(terms.conditions.sku.clone()),
        deal_type: Set(terms.conditions.deal_type.clone()),
        qualifying_status: Set(terms.qualifying.key().to_owned()),
        rate_bp: Set(rate_bp),
        per_unit_minor: Set(per_unit_minor),
        band_mode: Set(band_mode),
        bands: Set(bands),
        cap_minor: Set(terms.cap_minor),
        note: Set(terms.note.clone()),
        created_by: Set(actor.user_id),
        created_label: Set(actor.label.clone()),
        created_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Runs accrual for every period the change reaches, from its first day to today, one after
/// the other (each sees what the one before wrote, so nothing is written twice).
async fn run_affected_periods(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    terms: &RuleTerms,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Vec<RunPlan>, DbErr> {
    let today = now().date();
    let mut period = Period::containing(terms.effective_from, plan.period);
    let mut runs = Vec::new();
    while period.start <= today {
        let run = accrual::plan_run(conn, plan, period).await?;
        accrual::write_lines(conn, plan, &run, (actor.user_id, &actor.label), at).await?;
        runs.push(run);
        period = period.next(plan.period);
    }
    Ok(runs)
}

fn fingerprint(runs: &[RunPlan]) -> String {
    let mut hasher = Sha256::new();
    for run in runs {
        hasher.update(run.fingerprint().as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

async fn preview_of(state: &AppState, plan: &Plan, runs: &[RunPlan]) -> AppResult<ChangePreview> {
    let mut partners: BTreeMap<Uuid, (usize, i64)> = BTreeMap::new();
    for run in runs {
        for (partner, (lines, net)) in run.per_partner() {
            let entry = partners.entry(partner).or_default();
            entry.0 += lines;
            entry.1 += net;
        }
    }
    let ids: Vec<Uuid> = partners.keys().copied().collect();
    let names = orgs::names_of(&state.db, &ids).await?;
    let net: i64 = runs
        .iter()
        .flat_map(|r| r.lines.iter().map(|l| l.delta()))
        .sum();
    Ok(ChangePreview {
        fingerprint: fingerprint(runs),
        periods: runs
            .iter()
            .filter(|r| !r.lines.is_empty())
            .map(|r| PeriodEffect {
                period: r.period.label(),
                lines: r.lines.len(),
                net: signed(r.lines.iter().map(|l| l.delta()).sum(), plan.currency),
            })
            .collect(),
        partners: partners
            .iter()
            .map(|(id, (lines, net))| PartnerEffect {
                partner: names.get(id).cloned().unwrap_or_default(),
                lines: *lines,
                net: signed(*net, plan.currency),
            })
            .collect(),
        total_lines: runs.iter().map(|r| r.lines.len()).sum(),
        net: signed(net, plan.currency),
    })
}

#[allow(clippy::too_many_arguments)]
async fn submit(
    state: AppState,
    client: SocketAddr,
    context: PageContext,
    scope: Scope,
    plan: Plan,
    target: Target,
    form: RuleSubmission,
) -> AppResult<Response> {
    let terms = match validate_rule(&form.input, plan.currency) {
        Ok(terms) => terms,
        Err(errors) => return page(&state, &context, &plan, &target, form.input, errors, None),
    };
    let errors = conflicts(&state.db, &plan, &target, &terms).await?;
    if !errors.is_empty() {
        return page(&state, &context, &plan, &target, form.input, errors, None);
    }
    let who = Actor {
        user_id: Some(scope.user_id),
        label: context.person_label(&scope.email),
    };
    let at = now();
    // The change is made for real inside the transaction; a preview rolls it back.
    let txn = crate::platform::db::begin_write(&state.db).await?;
    accrual::lock_plan(&txn, plan.row.id).await?;
    // Again under the plan's lock: someone may have saved a rule since the check above.
    let errors = conflicts(&txn, &plan, &target, &terms).await?;
    if !errors.is_empty() {
        txn.rollback().await?;
        return page(&state, &context, &plan, &target, form.input, errors, None);
    }
    write(&txn, &plan, &target, &terms, &who, at).await?;
    let runs = run_affected_periods(&txn, &plan, &terms, &who, at).await?;
    if form.action != "save" || fingerprint(&runs) != form.fingerprint.trim() {
        txn.rollback().await?;
        let preview = preview_of(&state, &plan, &runs).await?;
        let errors = if form.action == "save" {
            vec![(
                "effective_from",
                "Orders or rules changed since the preview, so nothing was saved. Here is the \
                 preview as it stands now."
                    .to_owned(),
            )]
        } else {
            Vec::new()
        };
        return page(
            &state,
            &context,
            &plan,
            &target,
            form.input,
            errors,
            Some(preview),
        );
    }
    let written: usize = runs.iter().map(|r| r.lines.len()).sum();
    audit::record(
        &txn,
        Entry::by(&scope, &client, "commission.rule_saved")
            .on("commission_plan", plan.row.id)
            .with(json!({
                "rule": terms.name,
                "effective_from": terms.effective_from.to_string(),
                "correction_lines": written,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_notice(
        "/commissions/rules",
        &format!(
            "'{}' saved, in force from {}; {written} lines written for what it changes.",
            terms.name, terms.effective_from
        ),
    ))
}

pub async fn new_rule(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<RuleSubmission>,
) -> AppResult<Response> {
    let plan = plan_of(&state, &scope, &id).await?;
    submit(state, client, context, scope, plan, Target::NewRule, form).await
}

pub async fn new_version(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    Form(form): Form<RuleSubmission>,
) -> AppResult<Response> {
    let (plan, target) = rule_of(&state, &scope, &id).await?;
    submit(state, client, context, scope, plan, target, form).await
}
