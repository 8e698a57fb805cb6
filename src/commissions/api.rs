//! The commissions API: statements with their lines and history, single lines with their
//! explanation and dispute, a line's discussion, disputing a line, and earnings to date. Same
//! scope and permissions as the pages: a statement or line outside the token's scope answers 404.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::disputes;
use super::store::{self, CommissionLine, Dispute, Settlement, StatementFilter, StatementStatus};
use crate::AppState;
use crate::api_page;
use crate::platform::api::{
    ApiJson, ApiQuery, ApiResult, Keyset, PageQuery, Problem, ProblemDocument, ThreadMessage,
    list_filter, moment, next_page, path_id, thread_messages,
};
use crate::platform::scope::{Permission, Scope, Side};
use crate::platform::threads;
use crate::platform::web::PageContext;

/// A statement: one partner's commission for one settlement period.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiStatement {
    pub id: Uuid,
    /// The readable number, e.g. `CST-10042`.
    pub number: String,
    pub partner_id: Uuid,
    pub plan_id: Uuid,
    #[schema(format = Date)]
    pub period_start: String,
    /// The period's last day.
    #[schema(format = Date)]
    pub period_end: String,
    /// 1 for the first statement of the period; a correction is the next revision.
    pub revision: i32,
    pub currency: String,
    /// Carried over from earlier periods, in minor units.
    pub opening_minor: i64,
    /// The sum of this statement's lines.
    pub lines_minor: i64,
    /// Opening plus lines.
    pub total_minor: i64,
    /// What earlier revisions of this period already paid.
    pub paid_before_minor: i64,
    /// What this statement pays out.
    pub payout_minor: i64,
    /// `pending`, `approved`, `paid` or `corrected`.
    pub status: String,
    #[schema(format = Date)]
    pub expected_payout_on: String,
    pub prepared_by: String,
    pub approved_by: Option<String>,
    #[schema(format = DateTime)]
    pub approved_at: Option<String>,
    #[schema(format = Date)]
    pub paid_on: Option<String>,
    pub payout_reference: Option<String>,
    /// The revision this statement corrects.
    pub supersedes_id: Option<Uuid>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Settlement> for ApiStatement {
    fn from(s: Settlement) -> ApiStatement {
        ApiStatement {
            id: s.id,
            number: s.number,
            partner_id: s.partner_id,
            plan_id: s.plan_id,
            period_start: s.period_start.to_string(),
            period_end: s.period_end.to_string(),
            revision: s.revision,
            currency: s.currency,
            opening_minor: s.opening_minor,
            lines_minor: s.lines_minor,
            total_minor: s.total_minor,
            paid_before_minor: s.paid_before_minor,
            payout_minor: s.payout_minor,
            status: s.status,
            expected_payout_on: s.expected_payout_on.to_string(),
            prepared_by: s.prepared_label,
            approved_by: s.approved_label,
            approved_at: s.approved_at.map(moment),
            paid_on: s.paid_on.map(|d| d.to_string()),
            payout_reference: s.payout_reference,
            supersedes_id: s.supersedes_id,
            created_at: moment(s.created_at),
        }
    }
}

api_page!(StatementPage, ApiStatement);

/// A commission line: where an amount came from, in numbers and in words.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiCommissionLine {
    pub id: Uuid,
    pub partner_id: Uuid,
    /// The statement that settles it; none while it waits for the next one.
    pub statement_id: Option<Uuid>,
    /// `accrual`, `correction`, `reversal`, `adjustment` or `exclusion`.
    pub kind: String,
    pub order_id: Option<Uuid>,
    pub order_line_id: Option<Uuid>,
    /// The rule version that computed it.
    pub rule_version_id: Option<Uuid>,
    /// The amount the rate applied to, in minor units.
    pub base_minor: i64,
    /// The rate in basis points (1250 = 12.50 %), for rate rules.
    pub rate_bp: Option<i32>,
    pub amount_minor: i64,
    pub currency: String,
    #[schema(format = Date)]
    pub earned_on: String,
    #[schema(format = DateTime)]
    pub calculated_at: String,
    /// How it was calculated, e.g. "12.50% of EUR 4,000.00 under 'Gold hardware 2026' v2".
    pub explanation: String,
    /// Why finance adjusted or excluded.
    pub reason: Option<String>,
    pub author: String,
}

impl From<CommissionLine> for ApiCommissionLine {
    fn from(l: CommissionLine) -> ApiCommissionLine {
        ApiCommissionLine {
            id: l.id,
            partner_id: l.partner_id,
            statement_id: l.statement_id,
            kind: l.kind,
            order_id: l.order_id,
            order_line_id: l.order_line_id,
            rule_version_id: l.rule_version_id,
            base_minor: l.base_minor,
            rate_bp: l.rate_bp,
            amount_minor: l.amount_minor,
            currency: l.currency,
            earned_on: l.earned_on.to_string(),
            calculated_at: moment(l.calculated_at),
            explanation: l.explanation,
            reason: l.reason,
            author: l.author_label,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiStatementEvent {
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    /// `prepared`, `approved`, `paid`, `corrected` …
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

/// A statement with its lines (its own and those of the revisions it corrects) and history.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiStatementDetail {
    #[serde(flatten)]
    pub statement: ApiStatement,
    pub lines: Vec<ApiCommissionLine>,
    pub history: Vec<ApiStatementEvent>,
}

/// A line's dispute, open or the latest resolved.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiDispute {
    pub id: Uuid,
    pub line_id: Uuid,
    /// `open` or `resolved`.
    pub status: String,
    pub opened_by: String,
    #[schema(format = DateTime)]
    pub opened_at: String,
    pub resolved_by: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    /// What finance concluded.
    pub resolution: Option<String>,
    /// The adjustment line the resolution wrote, if any.
    pub adjustment_line_id: Option<Uuid>,
}

impl From<Dispute> for ApiDispute {
    fn from(d: Dispute) -> ApiDispute {
        ApiDispute {
            id: d.id,
            line_id: d.line_id,
            status: d.status,
            opened_by: d.opened_label,
            opened_at: moment(d.opened_at),
            resolved_by: d.resolved_label,
            resolved_at: d.resolved_at.map(moment),
            resolution: d.resolution,
            adjustment_line_id: d.adjustment_line_id,
        }
    }
}

/// One line with its dispute.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiCommissionLineDetail {
    #[serde(flatten)]
    pub line: ApiCommissionLine,
    pub dispute: Option<ApiDispute>,
}

/// A partner's money so far in one currency, in minor units.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiEarnings {
    pub currency: String,
    pub paid_minor: i64,
    pub approved_minor: i64,
    pub pending_minor: i64,
    /// Lines written but not yet on a statement.
    pub unsettled_minor: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Any of `pending`, `approved`, `paid`, `corrected`, comma-separated.
    pub status: Option<String>,
    /// One partner's statements.
    pub partner_id: Option<Uuid>,
}

/// The statements the token may read, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/statements",
    tag = "commissions",
    params(StatementQuery, PageQuery),
    responses(
        (status = 200, description = "A page of statements", body = StatementPage),
        (status = 403, description = "The token lacks commissions.read", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "A filter is invalid", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn statements(
    State(state): State<AppState>,
    scope: Scope,
    ApiQuery(query): ApiQuery<StatementQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<StatementPage>> {
    scope.require(Permission::CommissionsRead)?;
    let mut errors = Vec::new();
    let statuses = list_filter(
        "status",
        query.status.as_deref(),
        "a statement status",
        StatementStatus::parse,
        &mut errors,
    );
    let statuses = Problem::unless_any(errors).map(|()| statuses);
    let (statuses, (limit, after)) = Problem::both(
        statuses,
        Problem::both(page.limit(), page.cursor(Keyset::decode)),
    )?;
    let filter = StatementFilter {
        partner_id: query.partner_id,
        statuses,
        plan_id: None,
    };
    let before = after.map(|k| (k.moment(), k.id));
    let found = store::statements_page(&state.db, &scope, &filter, before, limit + 1).await?;
    let (found, next_cursor) = next_page(found, limit, |s| Keyset::at(s.created_at, s.id).encode());
    Ok(Json(StatementPage {
        items: found.into_iter().map(ApiStatement::from).collect(),
        next_cursor,
    }))
}

/// One statement with its lines and history.
#[utoipa::path(
    get,
    path = "/api/v1/statements/{id}",
    tag = "commissions",
    params(("id" = Uuid, Path, description = "The statement's id")),
    responses(
        (status = 200, description = "The statement", body = ApiStatementDetail),
        (status = 404, description = "No such statement in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiStatementDetail>> {
    let statement = store::find_statement(&state.db, &scope, path_id(&id)?).await?;
    let lines = store::statement_lines(&state.db, &statement).await?;
    let history = store::events(&state.db, &statement).await?;
    Ok(Json(ApiStatementDetail {
        lines: lines.into_iter().map(ApiCommissionLine::from).collect(),
        history: history
            .into_iter()
            .map(|e| ApiStatementEvent {
                at: moment(e.at),
                actor: e.actor_label,
                kind: e.kind,
                from: e.from_value,
                to: e.to_value,
                reason: e.reason,
            })
            .collect(),
        statement: statement.into(),
    }))
}

async fn readable_line(state: &AppState, scope: &Scope, id: &str) -> ApiResult<CommissionLine> {
    Ok(store::find_line(&state.db, scope, path_id(id)?).await?)
}

async fn line_detail(state: &AppState, line: CommissionLine) -> ApiResult<ApiCommissionLineDetail> {
    let dispute = store::dispute_of(&state.db, &line).await?;
    Ok(ApiCommissionLineDetail {
        dispute: dispute.map(ApiDispute::from),
        line: line.into(),
    })
}

/// One commission line with its explanation and its dispute.
#[utoipa::path(
    get,
    path = "/api/v1/commission-lines/{id}",
    tag = "commissions",
    params(("id" = Uuid, Path, description = "The line's id")),
    responses(
        (status = 200, description = "The line", body = ApiCommissionLineDetail),
        (status = 404, description = "No such line in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn line(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiCommissionLineDetail>> {
    let line = readable_line(&state, &scope, &id).await?;
    Ok(Json(line_detail(&state, line).await?))
}

/// The line's discussion, oldest first (internal notes only for vendor staff).
#[utoipa::path(
    get,
    path = "/api/v1/commission-lines/{id}/messages",
    tag = "commissions",
    params(("id" = Uuid, Path, description = "The line's id")),
    responses(
        (status = 200, description = "The messages", body = Vec<ThreadMessage>),
        (status = 404, description = "No such line in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ThreadMessage>>> {
    let line = readable_line(&state, &scope, &id).await?;
    Ok(Json(
        thread_messages(
            &state.db,
            &disputes::subject(&line),
            disputes::sees_internal(&scope),
        )
        .await?,
    ))
}

/// What a partner thinks is wrong with a line.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewDispute {
    /// Required: the first message of the line's discussion; finance answers there.
    pub body: String,
}

/// Disputes a line of the partner's own organisation: opens its discussion with finance, who
/// are told. Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    post,
    path = "/api/v1/commission-lines/{id}/dispute",
    tag = "commissions",
    params(
        ("id" = Uuid, Path, description = "The line's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once"),
    ),
    request_body = NewDispute,
    responses(
        (status = 201, description = "The line with its open dispute", body = ApiCommissionLineDetail),
        (status = 403, description = "The token may not dispute this line (vendor staff, a sub-partner's line, no commissions.dispute)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such line in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "The line is already disputed", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "The message is empty or too long", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn dispute(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewDispute>,
) -> ApiResult<Response> {
    let line = readable_line(&state, &scope, &id).await?;
    if scope.side() != Side::Partner || !disputes::may_write(&scope, &line) {
        return Err(Problem::new(
            "forbidden",
            "Only the line's own partner, with commissions.dispute, may dispute it.",
        ));
    }
    let body = threads::check_body(&new.body)
        .map_err(|problem| Problem::field("body", "invalid", problem))?;
    let who = context.author(&scope);
    if disputes::raise(&state, &scope, &who, &client, &line, body)
        .await?
        .is_none()
    {
        return Err(Problem::new(
            "conflict",
            "This line is already disputed; add to its discussion instead.",
        ));
    }
    Ok((StatusCode::CREATED, Json(line_detail(&state, line).await?)).into_response())
}

/// Earnings to date per currency, over the partners the token may read.
#[utoipa::path(
    get,
    path = "/api/v1/earnings",
    tag = "commissions",
    responses(
        (status = 200, description = "Paid, approved, pending and unsettled amounts per currency", body = Vec<ApiEarnings>),
        (status = 403, description = "The token lacks commissions.read", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn earnings(
    State(state): State<AppState>,
    scope: Scope,
) -> ApiResult<Json<Vec<ApiEarnings>>> {
    let partners = scope.partners(Permission::CommissionsRead)?;
    Ok(Json(
        store::earnings(&state.db, &partners)
            .await?
            .into_iter()
            .map(|e| ApiEarnings {
                currency: e.currency,
                paid_minor: e.paid_minor,
                approved_minor: e.approved_minor,
                pending_minor: e.pending_minor,
                unsettled_minor: e.unsettled_minor,
            })
            .collect(),
    ))
}
