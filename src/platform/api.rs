//! The JSON API's shared machinery, used by every module's `api.rs`: problems (RFC 9457) with
//! stable codes, cursor pages, weak ETags with conditional GETs, a rate limit per token, and
//! idempotency keys on POST.
//!
//! Rules: every error is a [`Problem`] whose `type` names a stable code documented at
//! `/api/docs`; a POST carrying an `Idempotency-Key` runs once — the same key again gets the
//! first answer (marked `Idempotent-Replayed: true`) and changes nothing, the same key with a
//! different request is refused; a token over its rate gets 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Duration;
use uuid::Uuid;

use super::error::AppError;
use super::time::now;
use crate::AppState;

pub const PREFIX: &str = "/api/v1";
const JSON: &str = "application/json";
const PROBLEM_JSON: &str = "application/problem+json";
/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Every problem the API answers with: stable code, status and title. `/api/docs` lists them.
pub const PROBLEMS: &[(&str, u16, &str)] = &[
    ("malformed", 400, "The request could not be read"),
    ("unauthorized", 401, "A valid API token is required"),
    ("forbidden", 403, "This token may not do that"),
    ("not-found", 404, "No such resource"),
    (
        "idempotency-key-in-use",
        409,
        "A request with this idempotency key is still running",
    ),
    (
        "conflict",
        409,
        "The request conflicts with the resource's current state",
    ),
    ("invalid", 422, "Some fields are invalid"),
    (
        "idempotency-key-reused",
        422,
        "This idempotency key was used for a different request",
    ),
    ("rate-limited", 429, "Too many requests for this token"),
    ("internal", 500, "Something went wrong on our side"),
];

/// One field that failed, in a problem of code `invalid`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as named in the request (`limit`, `lines[2].quantity`).
    pub field: String,
    /// Stable, machine-readable reason: `required`, `too_long`, `out_of_range`, `unknown` …
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// A comma-separated list filter such as `status=submitted,confirmed`: each known key parsed,
/// each unknown one reported against `field` as not being `a_noun` ("a ticket status").
pub fn list_filter<T>(
    field: &str,
    text: Option<&str>,
    a_noun: &str,
    parse: impl Fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut found = Vec::new();
    for key in text.unwrap_or_default().split(',').map(str::trim) {
        match parse(key) {
            Some(value) => found.push(value),
            None if key.is_empty() => {}
            None => errors.push(FieldError::new(
                field,
                "unknown",
                format!("\"{key}\" is not {a_noun}"),
            )),
        }
    }
    found
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProblemDocument {
    /// `/api/docs#problem-{code}`: the stable code, documented.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong with this request, in a sentence.
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An API error: a problem document and, for 429, when to retry.
#[derive(Debug)]
pub struct Problem {
    pub document: ProblemDocument,
    retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, Problem>;

impl Problem {
    /// A problem of a code listed in [`PROBLEMS`].
    pub fn new(code: &'static str, detail: impl Into<String>) -> Problem {
        let (status, title) = PROBLEMS
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or((500, "Something went wrong on our side"), |(_, s, t)| {
                (*s, *t)
            });
        Problem {
            document: ProblemDocument {
                kind: format!("/api/docs#problem-{code}"),
                title: title.to_owned(),
                status,
                detail: detail.into(),
                errors: Vec::new(),
            },
            retry_after: None,
        }
    }

    /// 422 with the fields that failed.
    pub fn invalid(errors: Vec<FieldError>) -> Problem {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Problem::new("invalid", detail);
        problem.document.errors = errors;
        problem
    }

    /// Nothing, or 422 with `errors` when there are any.
    pub fn unless_any(errors: Vec<FieldError>) -> ApiResult<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid(errors))
        }
    }

    /// 422 for one field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Problem {
        Problem::invalid(vec![FieldError::new(field, code, message)])
    }

    /// Both results, or one problem naming every invalid field of both.
    pub fn both<A, B>(a: ApiResult<A>, b: ApiResult<B>) -> ApiResult<(A, B)> {
        match (a, b) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            (Err(problem), Ok(_)) | (Ok(_), Err(problem)) => Err(problem),
            (Err(first), Err(second)) => {
                let mut errors = first.document.errors.clone();
                errors.extend(second.document.errors);
                if errors.is_empty() {
                    Err(first)
                } else {
                    Err(Problem::invalid(errors))
                }
            }
        }
    }

    pub fn not_found() -> Problem {
        Problem::new(
            "not-found",
            "There is no such resource, or this token may not see it.",
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.document.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self.document).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portico\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Problem {
        match error {
            AppError::NotFound => Problem::not_found(),
            AppError::Forbidden => Problem::new(
                "forbidden",
                "This token's permissions do not include this action.",
            ),
            AppError::SignInRequired { .. } => {
                Problem::new("unauthorized", "Send a valid API token as a bearer token.")
            }
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "API request failed");
                Problem::new(
                    "internal",
                    "The request failed on our side; the x-request-id header identifies it in our logs.",
                )
            }
        }
    }
}

impl From<DbErr> for Problem {
    fn from(error: DbErr) -> Problem {
        AppError::from(error).into()
    }
}

/// A JSON body whose faults answer as problems, not as plain text.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::JsonDataError(error)) => Err(Problem::new(
                "invalid",
                format!("The JSON body does not fit: {}", error.body_text()),
            )),
            Err(error) => Err(Problem::new("malformed", error.body_text())),
        }
    }
}

/// Query parameters whose faults answer as problems.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|error: QueryRejection| {
                Problem::new(
                    "invalid",
                    format!("Query parameters: {}", error.body_text()),
                )
            })
    }
}

/// An id from the path: anything that is not one names no resource.
pub fn path_id(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| Problem::not_found())
}

/// How much of a list to return, and from where.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200; default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

impl PageQuery {
    pub fn limit(&self) -> ApiResult<u64> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=MAX_PAGE).contains(&u64::from(n)) => Ok(u64::from(n)),
            Some(_) => Err(Problem::field(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_PAGE}"),
            )),
        }
    }

    /// The cursor, decoded by `decode`; a cursor that does not decode is a client error.
    pub fn cursor<C>(&self, decode: impl Fn(&str) -> Option<C>) -> ApiResult<Option<C>> {
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(text) => decode(text).map(Some).ok_or_else(|| {
                Problem::field(
                    "cursor",
                    "unknown",
                    "is not a cursor this list gave out; start again without it",
                )
            }),
        }
    }
}

/// The page after `after` (the id of the previous page's last item) of a list already sorted in
/// memory, and the cursor of the page after it (None on the last page). For lists of a few
/// thousand at most (partners of a program, assets of a library).
pub fn page_of_sorted<T>(
    all: Vec<T>,
    after: Option<Uuid>,
    limit: u64,
    id: impl Fn(&T) -> Uuid,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let start = after
        .and_then(|after| all.iter().position(|item| id(item) == after).map(|i| i + 1))
        .unwrap_or(0);
    let rest = all.len().saturating_sub(start);
    let items: Vec<T> = all.into_iter().skip(start).take(limit).collect();
    let next_cursor = (rest > limit)
        .then(|| items.last().map(|item| id(item).to_string()))
        .flatten();
    (items, next_cursor)
}

/// Rows read with a limit of `limit + 1`, cut to the page, and the cursor of the next page from
/// the page's last row (None when the extra row was not there: this is the last page).
pub fn next_page<T>(
    mut rows: Vec<T>,
    limit: u64,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next_cursor = rows.last().map(cursor);
    (rows, next_cursor)
}

/// Where a page of a keyset-paged list ended: its last row's sort value and id. The value is an
/// integer (an amount, or a moment in microseconds as stored). Encoded as `<value>~<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub value: i64,
    pub id: Uuid,
}

impl Keyset {
    /// A list sorted by a moment: the moment to the microsecond.
    pub fn at(moment: time::OffsetDateTime, id: Uuid) -> Keyset {
        Keyset {
            value: i64::try_from(moment.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX),
            id,
        }
    }

    /// The moment of a cursor made by [`Keyset::at`].
    pub fn moment(self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.value) * 1_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    pub fn encode(self) -> String {
        format!("{}~{}", self.value, self.id)
    }

    pub fn decode(text: &str) -> Option<Keyset> {
        let (value, id) = text.split_once('~')?;
        Some(Keyset {
            value: value.parse().ok()?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// Declares a page type of a list: its items and the cursor of the next page.
#[macro_export]
macro_rules! api_page {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

/// A moment as RFC 3339 text, in UTC.
pub fn moment(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A message in a discussion thread (an order's, a ticket's …).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreadMessage {
    pub id: Uuid,
    /// "Jana Weber (Brightline Distribution)".
    pub author: String,
    /// `vendor` or `partner`.
    pub author_side: String,
    pub body: String,
    /// A vendor-only note; partners' tokens never see these.
    pub internal: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub attachments: Vec<ThreadAttachment>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreadAttachment {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

impl ThreadMessage {
    pub fn of(
        message: super::threads::Message,
        attachments: Vec<super::threads::Attachment>,
    ) -> ThreadMessage {
        ThreadMessage {
            id: message.id,
            author: message.author_label,
            author_side: message.author_side,
            body: message.body,
            internal: message.internal,
            created_at: moment(message.created_at),
            attachments: attachments
                .into_iter()
                .map(|a| ThreadAttachment {
                    id: a.id,
                    file_name: a.file_name,
                    content_type: a.content_type,
                    size_bytes: a.size_bytes,
                })
                .collect(),
        }
    }
}

/// A thread's messages as the API gives them, oldest first.
pub async fn thread_messages(
    conn: &impl sea_orm::ConnectionTrait,
    subject: &super::threads::Subject,
    include_internal: bool,
) -> Result<Vec<ThreadMessage>, DbErr> {
    Ok(super::threads::messages(conn, subject, include_internal)
        .await?
        .into_iter()
        .map(|(m, a)| ThreadMessage::of(m, a))
        .collect())
}

/// One message of a thread, as just posted: the answer to a POST, `201 Created`.
pub async fn posted_message(
    conn: &impl sea_orm::ConnectionTrait,
    subject: &super::threads::Subject,
    include_internal: bool,
    id: Uuid,
) -> ApiResult<Response> {
    let message = thread_messages(conn, subject, include_internal)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(Problem::not_found)?;
    Ok((StatusCode::CREATED, axum::Json(message)).into_response())
}

/// A new message for a discussion thread.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewThreadMessage {
    /// The text; @handles mention people who may read the thread.
    pub body: String,
    /// An internal note (vendor staff only).
    #[serde(default)]
    pub internal: bool,
}

/// The caller behind an API request, put there by token authentication.
#[derive(Debug, Clone, Copy)]
pub struct ApiCaller {
    pub token_id: Uuid,
}

/// Requests allowed per token per minute, as a token bucket: a client may burst up to the
/// minute's allowance, then proceeds at the steady rate. Each `serve` node holds its own
/// buckets with its share of the allowance — the limit divided by the live nodes
/// ([`super::nodes`]) — so a token spread over every node still gets no more than its limit.
pub struct RateLimiter {
    per_minute: u32,
    nodes: AtomicU32,
    buckets: Mutex<HashMap<Uuid, (f64, Instant)>>,
}

/// What the limiter decided for one request.
pub enum Allowance {
    Granted { remaining: u32 },
    Refused { retry_after_seconds: u64 },
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            nodes: AtomicU32::new(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> u32 {
        self.per_minute
    }

    /// How many nodes share the allowance now (at least 1).
    pub fn set_nodes(&self, nodes: u32) {
        self.nodes.store(nodes.max(1), Ordering::Relaxed);
    }

    /// This node's share of a token's allowance a minute: at least 1, so a token can always
    /// make some progress.
    pub fn share(&self) -> u32 {
        (self.per_minute / self.nodes.load(Ordering::Relaxed).max(1)).max(1)
    }

    pub fn take(&self, token: Uuid, at: Instant) -> Allowance {
        let capacity = f64::from(self.share());
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, since) = buckets.entry(token).or_insert((capacity, at));
        let refilled = (*tokens + at.saturating_duration_since(*since).as_secs_f64() * per_second)
            .min(capacity);
        *since = at;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Allowance::Granted {
                remaining: tokens.floor() as u32,
            }
        } else {
            *tokens = refilled;
            Allowance::Refused {
                retry_after_seconds: ((1.0 - refilled) / per_second).ceil().max(1.0) as u64,
            }
        }
    }
}

/// Middleware: the per-token rate limit, with `RateLimit-Limit` and `RateLimit-Remaining` on
/// every answer.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(caller) = request.extensions().get::<ApiCaller>().copied() else {
        return next.run(request).await;
    };
    let limiter = &state.api_limits;
    // What this node grants: the whole limit on one node, a share of it on several.
    let limit = HeaderValue::from(limiter.share());
    let mut response = match limiter.take(caller.token_id, Instant::now()) {
        Allowance::Granted { remaining } => {
            let mut response = next.run(request).await;
            response
                .headers_mut()
                .insert("ratelimit-remaining", HeaderValue::from(remaining));
            response
        }
        Allowance::Refused {
            retry_after_seconds,
        } => {
            let mut problem = Problem::new(
                "rate-limited",
                format!(
                    "This token may make {} requests a minute; try again in {retry_after_seconds} s.",
                    limiter.limit()
                ),
            );
            problem.retry_after = Some(retry_after_seconds);
            let mut response = problem.into_response();
            response
                .headers_mut()
                .insert("ratelimit-remaining", HeaderValue::from(0));
            response
        }
    };
    response.headers_mut().insert("ratelimit-limit", limit);
    response
}

/// Middleware: a weak ETag on every successful GET, and 304 when the client already holds it.
pub async fn conditional_get(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let held = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    // Files carry their own strong ETag (their SHA-256), answer `If-None-Match` themselves
    // and stream: never buffer them.
    if response.headers().contains_key(header::ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Problem::new("internal", "The answer could not be read.").into_response();
    };
    let tag = format!("W/\"{}\"", &hex(&Sha256::digest(&bytes))[..32]);
    let tag_value = HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("W/\"\""));
    parts.headers.insert(header::ETAG, tag_value.clone());
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if held.is_some_and(|held| matches_etag(&held, &tag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `If-None-Match` holds `tag` (compared weakly, as RFC 9110 asks of `If-None-Match`) or `*`.
pub fn matches_etag(held: &HeaderValue, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    held.to_str().is_ok_and(|list| {
        list.split(',')
            .any(|t| t.trim() == "*" || bare(t) == bare(tag))
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub mod entity {
    use sea_orm::entity::prelude::*;

    /// The first answer to a POST with an idempotency key, per token.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_idempotency")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// SHA-256 of method, path and body: the same key must carry the same request.
        pub fingerprint: String,
        /// `None` while the first request runs.
        pub status: Option<i32>,
        pub body: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub completed_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// How long a key's answer is kept and replayed.
const IDEMPOTENCY_WINDOW: Duration = Duration::hours(24);
/// A first request still unfinished after this died with its process; the key may run again.
const ABANDONED_AFTER: Duration = Duration::minutes(5);

/// Middleware: runs a POST with an `Idempotency-Key` once per token and key, and replays its
/// answer to every repeat within 24 hours. Server errors are not kept, so a retry runs again.
pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = request.headers().get(IDEMPOTENCY_HEADER).cloned();
    let caller = request.extensions().get::<ApiCaller>().copied();
    let (Some(key), Some(caller), true) = (key, caller, request.method() == Method::POST) else {
        return next.run(request).await;
    };
    match run_once(&state, caller, &key, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn run_once(
    state: &AppState,
    caller: ApiCaller,
    key: &HeaderValue,
    request: Request,
    next: Next,
) -> Result<Response, Response> {
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()))
        .ok_or_else(|| {
            Problem::new(
                "malformed",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            )
            .into_response()
        })?
        .to_owned();
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        Problem::new(
            "malformed",
            format!(
                "The body is larger than {} MB.",
                MAX_BODY_BYTES / 1024 / 1024
            ),
        )
        .into_response()
    })?;
    let fingerprint = fingerprint(&parts.method, &parts.uri, &bytes);
    let fail = |error: DbErr| Problem::from(error).into_response();
    if let Some(earlier) = claim(state, caller.token_id, &key, &fingerprint)
        .await
        .map_err(fail)?
    {
        return Err(replay(earlier, &fingerprint));
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let kept = if parts.status.is_server_error() {
        forget(state, caller.token_id, &key).await
    } else {
        complete(state, caller.token_id, &key, parts.status, &bytes).await
    };
    kept.map_err(fail)?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn fingerprint(method: &Method, uri: &axum::http::Uri, body: &Bytes) -> String {
    let mut digest = Sha256::new();
    digest.update(method.as_str().as_bytes());
    digest.update(b" ");
    digest.update(uri.path_and_query().map_or("", |p| p.as_str()).as_bytes());
    digest.update(b"\n");
    digest.update(body);
    hex(&digest.finalize())
}

/// Claims the key for this request; `Some(earlier)` when another request holds it.
async fn claim(
    state: &AppState,
    token_id: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Option<entity::Model>, DbErr> {
    use entity::{ActiveModel, Column, Entity};
    let at = now();
    // Expired answers and abandoned claims give the key back.
    Entity::delete_many()
        .filter(Column::TokenId.eq(token_id))
        .filter(Column::Key.eq(key))
        .filter(
            sea_orm::Condition::any()
                .add(Column::CreatedAt.lt(at - IDEMPOTENCY_WINDOW))
                .add(
                    sea_orm::Condition::all()
                        .add(Column::Status.is_null())
                        .add(Column::CreatedAt.lt(at - ABANDONED_AFTER)),
                ),
        )
        .exec(&state.db)
        .await?;
    let inserted = Entity::insert(ActiveModel {
        token_id: Set(token_id),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        status: Set(None),
        body: Set(None),
        created_at: Set(at),
        completed_at: Set(None),
    })
    .on_conflict(
        OnConflict::columns([Column::TokenId, Column::Key])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    if inserted == 1 {
        return Ok(None);
    }
    Entity::find_by_id((token_id, key.to_owned()))
        .one(&state.db)
        .await
}

fn replay(earlier: entity::Model, fingerprint: &str) -> Response {
    if earlier.fingerprint != fingerprint {
        return Problem::new(
            "idempotency-key-reused",
            "This Idempotency-Key was first sent with a different method, address or body; use a new key for a new request.",
        )
        .into_response();
    }
    let (Some(status), Some(body)) = (earlier.status, earlier.body) else {
        return Problem::new(
            "idempotency-key-in-use",
            "The first request with this Idempotency-Key is still running; retry in a moment.",
        )
        .into_response();
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut headers = HeaderMap::new();
    let content_type = if status.is_success() {
        JSON
    } else {
        PROBLEM_JSON
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    (status, headers, body).into_response()
}

async fn complete(
    state: &AppState,
    token_id: Uuid,
    key: &str,
    status: StatusCode,
    body: &Bytes,
) -> Result<(), DbErr> {
    use entity::{ActiveModel, Column, Entity};
    Entity::update_many()
        .set(ActiveModel {
            status: Set(Some(i32::from(status.as_u16()))),
            body: Set(Some(String::from_utf8_lossy(body).into_owned())),
            completed_at: Set(Some(now())),
            ..Default::default()
        })
        .filter(Column::TokenId.eq(token_id))
        .filter(Column::Key.eq(key))
        .exec(&state.db)
        .await
        .map(|_| ())
}

async fn forget(state: &AppState, token_id: Uuid, key: &str) -> Result<(), DbErr> {
    entity::Entity::delete_by_id((token_id, key.to_owned()))
        .exec(&state.db)
        .await
        .map(|_| ())
}

/// The API's answer for every path it does not have.
pub async fn no_route(request: Request) -> Problem {
    Problem::new(
        "not-found",
        format!(
            "There is no API operation {} {}; /api/v1/openapi.json lists them all.",
            request.method(),
            request.uri().path()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_grants_its_minute_then_refuses_with_a_wait() {
        let limiter = RateLimiter::new(3);
        let token = Uuid::now_v7();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(matches!(
                limiter.take(token, start),
                Allowance::Granted { .. }
            ));
        }
        let Allowance::Refused {
            retry_after_seconds,
        } = limiter.take(token, start)
        else {
            panic!("the fourth request in the same instant is refused");
        };
        assert_eq!(
            retry_after_seconds, 20,
            "one request every 20 s at 3 a minute"
        );
        let later = start + std::time::Duration::from_secs(20);
        assert!(matches!(
            limiter.take(token, later),
            Allowance::Granted { .. }
        ));
        assert!(
            matches!(
                limiter.take(Uuid::now_v7(), start),
                Allowance::Granted { .. }
            ),
            "each token has its own bucket"
        );
    }

    #[test]
    fn nodes_split_a_tokens_allowance() {
        let limiter = RateLimiter::new(600);
        limiter.set_nodes(3);
        assert_eq!(limiter.share(), 200);
        let token = Uuid::now_v7();
        let start = Instant::now();
        let granted = (0..300)
            .filter(|_| matches!(limiter.take(token, start), Allowance::Granted { .. }))
            .count();
        assert_eq!(granted, 200, "a node grants its third of the minute");
        limiter.set_nodes(0);
        assert_eq!(limiter.share(), 600, "never fewer than one node");
        let tiny = RateLimiter::new(2);
        tiny.set_nodes(5);
        assert_eq!(
            tiny.share(),
            1,
            "every node grants at least one request a minute"
        );
    }

    #[test]
    fn etags_match_weakly_and_by_wildcard() {
        let tag = "W/\"abc\"";
        assert!(matches_etag(&HeaderValue::from_static("W/\"abc\""), tag));
        assert!(matches_etag(&HeaderValue::from_static("\"abc\""), tag));
        assert!(matches_etag(
            &HeaderValue::from_static("\"x\", W/\"abc\""),
            tag
        ));
        assert!(matches_etag(&HeaderValue::from_static("*"), tag));
        assert!(!matches_etag(&HeaderValue::from_static("W/\"abd\""), tag));
    }

    #[test]
    fn a_keyset_round_trips_to_the_microsecond() {
        let at = crate::platform::time::now();
        let id = Uuid::now_v7();
        let decoded = Keyset::decode(&Keyset::at(at, id).encode()).unwrap();
        assert_eq!((decoded.moment(), decoded.id), (at, id));
        assert!(Keyset::decode("soon~x").is_none());
    }

    #[test]
    fn every_problem_code_is_listed_once() {
        let mut codes: Vec<&str> = PROBLEMS.iter().map(|(c, _, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEMS.len());
        assert_eq!(Problem::new("invalid", "x").document.status, 422);
    }
}
