//! Inbound sync: a source (the ERP) sends orders in batches by its own references; each record is
//! checked and applied in its own transaction and answered with its own result. Each source
//! keeps when it last synced, its last error and its record counts; pages of synced data show
//! the source and warn when it has not synced within its threshold.
//!
//! Rules: a batch is idempotent — sent again, it changes nothing. A record that would overwrite a
//! change made in the portal since the source last synced it is not applied: it lands in the
//! conflict queue with both versions, for operations to choose. Only vendor staff who may
//! approve orders for a partner may sync that partner's orders.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::AppState;
use crate::audit::{self, Entry};
use crate::orders::documents;
use crate::orders::store as order_store;
use crate::orders::sync::{self as order_sync, Applied, SyncOrderInput, Version};
use crate::platform::api::{ApiJson, ApiQuery, ApiResult, FieldError, Problem, ProblemDocument};
use crate::platform::db::{Db, begin_write};
use crate::platform::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::now;
use crate::platform::web::Author;

/// Most records in one batch.
pub const MAX_BATCH: usize = 500;
/// A new source warns when it has not synced for this long.
pub const DEFAULT_STALE_AFTER_MINUTES: i32 = 60;

pub mod entity {
    pub mod source {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sync_source")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            /// In addresses and in each synced record's `source`: `erp`.
            pub key: String,
            /// "Northwind SAP": how pages name it.
            pub name: String,
            /// Pages warn once the last successful sync is older than this.
            pub stale_after_minutes: i32,
            pub last_success_at: Option<TimeDateTimeWithTimeZone>,
            pub last_error_at: Option<TimeDateTimeWithTimeZone>,
            pub last_error: Option<String>,
            pub received: i64,
            pub created: i64,
            pub updated: i64,
            pub unchanged: i64,
            pub conflicts: i64,
            pub invalid: i64,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod conflict {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sync_conflict")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub source_id: Uuid,
            pub partner_id: Uuid,
            pub order_id: Uuid,
            pub external_reference: String,
            /// JSON: the order's fields as the portal has them.
            pub portal_version: String,
            /// JSON: the record as the source sent it.
            pub incoming_version: String,
            /// SHA-256 of the incoming record: the same record sent again is the same conflict.
            pub fingerprint: String,
            /// `open`, `source_applied` or `portal_kept`.
            pub state: String,
            pub resolved_by: Option<Uuid>,
            pub resolved_at: Option<TimeDateTimeWithTimeZone>,
            pub created_at: TimeDateTimeWithTimeZone,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{conflict, source};

pub use conflict::Model as Conflict;
pub use source::Model as Source;

/// The source with this key, made on its first sync.
pub async fn source_for(conn: &impl ConnectionTrait, key: &str) -> Result<Source, DbErr> {
    if let Some(found) = source::Entity::find()
        .filter(source::Column::Key.eq(key))
        .one(conn)
        .await?
    {
        return Ok(found);
    }
    source::ActiveModel {
        id: Set(new_id()),
        key: Set(key.to_owned()),
        name: Set(key.to_uppercase()),
        stale_after_minutes: Set(DEFAULT_STALE_AFTER_MINUTES),
        last_success_at: Set(None),
        last_error_at: Set(None),
        last_error: Set(None),
        received: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        conflicts: Set(0),
        invalid: Set(0),
        created_at: Set(now()),
    }
    .insert(conn)
    .await
}

/// The demo's ERP, as if it had just synced the orders it fed.
pub async fn seed_source(
    conn: &impl ConnectionTrait,
    key: &str,
    name: &str,
    at: OffsetDateTime,
) -> Result<(), DbErr> {
    use crate::orders::entity::sales_order;
    use sea_orm::PaginatorTrait;
    let found = source_for(conn, key).await?;
    let fed = sales_order::Entity::find()
        .filter(sales_order::Column::Source.eq(key))
        .count(conn)
        .await?;
    let fed = i64::try_from(fed).unwrap_or(i64::MAX);
    source::ActiveModel {
        id: Set(found.id),
        name: Set(name.to_owned()),
        last_success_at: Set(Some(at)),
        received: Set(fed),
        created: Set(fed),
        ..Default::default()
    }
    .update(conn)
    .await
    .map(|_| ())
}

/// Renames a source and sets how long it may go without syncing.
pub async fn rename(
    conn: &impl ConnectionTrait,
    id: Uuid,
    name: &str,
    stale_after_minutes: i32,
) -> AppResult<Source> {
    source::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(source::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        stale_after_minutes: Set(stale_after_minutes),
        ..Default::default()
    }
    .update(conn)
    .await?)
}

/// Every source, by name.
pub async fn sources(db: &Db) -> Result<Vec<Source>, DbErr> {
    source::Entity::find()
        .order_by_asc(source::Column::Name)
        .all(db)
        .await
}

/// How a page of synced data names its source: "Northwind SAP · synced 4 min ago", and whether
/// the source is overdue.
pub struct SourceStatus {
    pub name: String,
    pub last_success_at: Option<OffsetDateTime>,
    pub stale: bool,
}

/// The status of the source with this key, if it ever synced.
pub async fn status_of(db: &Db, key: &str) -> Result<Option<SourceStatus>, DbErr> {
    let found = source::Entity::find()
        .filter(source::Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(found.map(|s| SourceStatus {
        stale: is_stale(&s, now()),
        name: s.name,
        last_success_at: s.last_success_at,
    }))
}

/// The source has not synced successfully within its expected interval.
pub fn is_stale(source: &Source, at: OffsetDateTime) -> bool {
    source
        .last_success_at
        .is_none_or(|last| at - last > Duration::minutes(i64::from(source.stale_after_minutes)))
}

/// A batch of orders from a source.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SyncBatch {
    /// At most 500.
    pub orders: Vec<SyncOrderInput>,
}

/// What became of one record.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncResult {
    pub external_reference: String,
    /// `created`, `updated`, `unchanged`, `conflict` (not applied: changed in the portal since
    /// the last sync; see `conflict_id`), `invalid` (see `errors`), or — in an all-or-nothing
    /// import with an invalid record — `not_applied`.
    pub outcome: String,
    pub order_id: Option<Uuid>,
    /// The order's number in the portal, e.g. `ORD-10423`.
    pub number: Option<String>,
    pub conflict_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncCounts {
    pub received: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub conflicts: i64,
    pub invalid: i64,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncReport {
    pub source: String,
    pub counts: SyncCounts,
    /// One per record, in the order sent.
    pub results: Vec<SyncResult>,
}

fn result(reference: &str, outcome: &str) -> SyncResult {
    SyncResult {
        external_reference: reference.to_owned(),
        outcome: outcome.to_owned(),
        order_id: None,
        number: None,
        conflict_id: None,
        errors: Vec::new(),
    }
}

/// Creates or updates orders by the source's references. Send an `Idempotency-Key` too if the
/// same batch may be retried: the answer is then the first one, word for word; without it a
/// repeat answers `unchanged` for every record.
#[utoipa::path(
    post,
    path = "/api/v1/sync/{source}/orders",
    tag = "sync",
    params(
        ("source" = String, Path, description = "The source's key, e.g. `erp`; made on its first batch"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried batch run once"),
    ),
    request_body = SyncBatch,
    responses(
        (status = 200, description = "A result per record", body = SyncReport),
        (status = 403, description = "The token may not approve orders", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "The batch is empty or too large", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn sync_orders(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path(key): Path<String>,
    body: Result<ApiJson<SyncBatch>, Problem>,
) -> ApiResult<Json<SyncReport>> {
    // Who may sync comes before what they sent.
    scope.require(Permission::OrdersApprove)?;
    let ApiJson(batch) = body?;
    let key = key.trim().to_lowercase();
    if !valid_key(&key) {
        return Err(Problem::field(
            "source",
            "invalid",
            "a source key is 1 to 40 letters, digits, - or _ (and not \"portal\")",
        ));
    }
    if batch.orders.is_empty() || batch.orders.len() > MAX_BATCH {
        return Err(Problem::field(
            "orders",
            "count",
            format!("send 1 to {MAX_BATCH} orders per batch"),
        ));
    }
    Ok(Json(
        receive(
            &state,
            &scope,
            &client,
            &key,
            &batch.orders,
            Apply::EachValid,
        )
        .await?,
    ))
}

/// What a document is, for [`sync_document`]; the file is the request's body.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    /// `invoice`, `delivery_note`, `order_confirmation`, `purchase_order`, `credit_note` or
    /// `other`.
    pub kind: Option<String>,
    /// The name partners download it under, e.g. `INV-2026-0042.pdf`.
    pub file_name: Option<String>,
}

/// What became of a synced document.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncedDocument {
    /// `created`, or `unchanged` when the order already has this file as this kind.
    pub outcome: String,
    pub order_id: Uuid,
    pub document: crate::orders::api::ApiDocument,
}

/// Attaches a document (an invoice, a delivery note …) to an order the source synced, found by
/// the source's own reference. The request's body is the file; its type is read from its bytes
/// and must agree with the file name.
/// Sending the same file again changes nothing: the answer is `unchanged` with the document
/// already there, so no `Idempotency-Key` is needed (one is honoured for files up to 5 MB).
#[utoipa::path(
    post,
    path = "/api/v1/sync/{source}/orders/{reference}/documents",
    tag = "sync",
    params(
        ("source" = String, Path, description = "The source's key, e.g. `erp`"),
        ("reference" = String, Path, description = "The source's own reference of the order"),
        DocumentParams,
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file, at most the file store's limit (25 MB by default)"),
    responses(
        (status = 200, description = "The order already had this file", body = SyncedDocument),
        (status = 201, description = "The document was added to the order", body = SyncedDocument),
        (status = 403, description = "The token may not approve orders", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "The source synced no such order in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "The kind, the file name or the file is missing or invalid, or the file's bytes are not what its name says", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn sync_document(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((key, reference)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<DocumentParams>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    scope.require(Permission::OrdersApprove)?;
    let reach = scope.partners(Permission::OrdersApprove)?;
    let key = key.trim().to_lowercase();
    let order = match valid_key(&key) {
        true => order_sync::find_synced(&state.db, &key, reference.trim()).await?,
        false => None,
    }
    .filter(|order| reach.contains(order.partner_id))
    .ok_or_else(Problem::not_found)?;
    let checked = documents::checked_kind_and_name(
        params.kind.as_deref().unwrap_or_default(),
        params.file_name.as_deref().unwrap_or_default(),
    );
    // Read only after the checks: who may not attach here learns nothing from the body.
    let limit = state.files.max_bytes();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) if !bytes.is_empty() => Ok(bytes),
        Ok(_) => Err(vec![FieldError::new(
            "body",
            "required",
            "send the file as the body",
        )]),
        Err(_) => Err(vec![FieldError::new(
            "body",
            "too_large",
            format!("a file is at most {} MB", limit / 1024 / 1024),
        )]),
    };
    let ((kind, file_name), bytes) = match (checked, bytes) {
        (Ok(checked), Ok(bytes)) => (checked, bytes),
        (checked, bytes) => {
            let mut errors = checked.err().unwrap_or_default();
            errors.extend(bytes.err().unwrap_or_default());
            return Err(Problem::invalid(errors));
        }
    };
    // The type partners download it as is read from its bytes, as for uploads on the pages.
    let content_type = crate::platform::files::content_type_of(&file_name, &bytes)
        .map_err(|problem| Problem::field("body", "type_mismatch", problem))?;
    let stored = state
        .files
        .put_pending(bytes)
        .await
        .map_err(AppError::Internal)?;
    let (sha256, size_bytes) = (stored.stored().sha256.clone(), stored.stored().size_bytes);
    let txn = begin_write(&state.db).await?;
    // The same file delivered twice at once: the second waits for the first, then finds it.
    crate::platform::db::lock_row(&txn, "sales_order", order.id).await?;
    let source = source_for(&txn, &key).await?;
    let existing = order_store::documents(&txn, &order)
        .await?
        .into_iter()
        .find(|d| d.sha256 == sha256 && d.kind == kind);
    let (status, outcome, document) = match existing {
        Some(document) => (StatusCode::OK, "unchanged", document),
        None => {
            let author = Author {
                user_id: None,
                label: format!("{} sync", source.name),
            };
            let document = order_store::add_document(
                &txn,
                &order,
                order_store::NewDocument {
                    kind: &kind,
                    file_name: &file_name,
                    content_type: &content_type,
                    size_bytes,
                    sha256: &sha256,
                },
                &author,
                now(),
            )
            .await?;
            audit::record(
                &txn,
                Entry::by(&scope, &client, "order.document_added")
                    .on("order", &order.number)
                    .concerning(order.partner_id)
                    .with(json!({ "file": file_name, "kind": kind, "sha256": document.sha256, "bytes": document.size_bytes, "source": source.key })),
            )
            .await?;
            (StatusCode::CREATED, "created", document)
        }
    };
    txn.commit().await?;
    stored.keep();
    let answer = SyncedDocument {
        outcome: outcome.to_owned(),
        order_id: order.id,
        document: document.into(),
    };
    Ok((status, Json(answer)).into_response())
}

/// A source key: 1 to 40 letters, digits, `-` or `_`, and not `portal` (the portal's own).
pub fn valid_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && key != "portal"
}

/// The partner organisations within `reach`.
async fn partners_in(
    db: &Db,
    reach: &crate::platform::scope::Partners,
) -> Result<std::collections::BTreeSet<Uuid>, DbErr> {
    use crate::orgs::entity::organization;
    let ids: Vec<Uuid> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(organization::Column::Kind.eq("partner"))
        .filter(reach.condition(organization::Column::Id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Which records of a batch are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// Every valid record; invalid ones are reported.
    EachValid,
    /// All of them, or none when any record is invalid.
    AllOrNothing,
}

/// Checks and applies `records` from the source `key` (made on its first batch), each in its
/// own transaction; the report has a result per record. The caller checked the key and that it
/// may approve orders.
pub async fn receive(
    state: &AppState,
    scope: &Scope,
    client: &SocketAddr,
    key: &str,
    records: &[SyncOrderInput],
    apply: Apply,
) -> AppResult<SyncReport> {
    let reach = scope.partners(Permission::OrdersApprove)?;
    let source = {
        let txn = begin_write(&state.db).await?;
        let source = source_for(&txn, key).await?;
        txn.commit().await?;
        source
    };
    let author = Author {
        user_id: None,
        label: format!("{} sync", source.name),
    };
    let products = order_sync::products_by_sku(&state.db).await?;
    let partners = partners_in(&state.db, &reach).await?;
    let checked: Vec<Result<order_sync::SyncedOrder, Vec<FieldError>>> = records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let prefix = format!("orders[{index}]");
            order_sync::check(record, &products, &prefix).and_then(|synced| {
                if partners.contains(&synced.partner_id) {
                    Ok(synced)
                } else {
                    Err(vec![FieldError::new(
                        &format!("{prefix}.partner_id"),
                        "unknown",
                        "no partner with this id is in your scope",
                    )])
                }
            })
        })
        .collect();
    let refuse_all = apply == Apply::AllOrNothing && checked.iter().any(Result::is_err);
    let mut counts = SyncCounts::default();
    let mut results = Vec::with_capacity(records.len());
    for (record, checked) in records.iter().zip(checked) {
        counts.received += 1;
        let synced = match checked {
            Ok(_) if refuse_all => {
                results.push(result(&record.external_reference, "not_applied"));
                continue;
            }
            Ok(synced) => synced,
            Err(errors) => {
                counts.invalid += 1;
                let mut invalid = result(&record.external_reference, "invalid");
                invalid.errors = errors;
                results.push(invalid);
                continue;
            }
        };
        let txn = begin_write(&state.db).await?;
        let applied = order_sync::apply(&txn, &source.key, &author, &synced, false, now()).await?;
        let mut answer = result(&synced.external_reference, "");
        let order = match applied {
            Applied::Created(order) => {
                counts.created += 1;
                answer.outcome = "created".into();
                order
            }
            Applied::Updated(order) => {
                counts.updated += 1;
                answer.outcome = "updated".into();
                order
            }
            Applied::Unchanged(order) => {
                counts.unchanged += 1;
                answer.outcome = "unchanged".into();
                order
            }
            Applied::ChangedInPortal { order, portal } => {
                counts.conflicts += 1;
                answer.outcome = "conflict".into();
                answer.conflict_id =
                    Some(queue_conflict(&txn, &source, &order, &portal, record).await?);
                order
            }
        };
        txn.commit().await?;
        answer.order_id = Some(order.id);
        answer.number = Some(order.number);
        results.push(answer);
    }
    let txn = begin_write(&state.db).await?;
    record_counts(&txn, &source, &counts).await?;
    audit::record(
        &txn,
        Entry::by(scope, client, "sync.orders_received")
            .on("sync_source", &source.key)
            .with(json!(counts)),
    )
    .await?;
    txn.commit().await?;
    Ok(SyncReport {
        source: source.key,
        counts,
        results,
    })
}

/// Adds a batch's counts to the source; a batch with invalid records is its last error.
async fn record_counts(
    conn: &impl ConnectionTrait,
    found: &Source,
    counts: &SyncCounts,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let at = now();
    // The totals grow in SQL, so two batches of one source at once both count.
    let mut update = source::Entity::update_many().filter(source::Column::Id.eq(found.id));
    for (column, added) in [
        (source::Column::Received, counts.received),
        (source::Column::Created, counts.created),
        (source::Column::Updated, counts.updated),
        (source::Column::Unchanged, counts.unchanged),
        (source::Column::Conflicts, counts.conflicts),
        (source::Column::Invalid, counts.invalid),
    ] {
        update = update.col_expr(column, Expr::col(column).add(added));
    }
    if counts.invalid < counts.received {
        update = update.col_expr(source::Column::LastSuccessAt, Expr::value(Some(at)));
    }
    if counts.invalid > 0 {
        let error = format!(
            "{} of {} records were invalid",
            counts.invalid, counts.received
        );
        update = update
            .col_expr(source::Column::LastErrorAt, Expr::value(Some(at)))
            .col_expr(source::Column::LastError, Expr::value(Some(error)));
    }
    update.exec(conn).await.map(|_| ())
}

/// Files a conflict, or finds the open one for the same incoming record.
async fn queue_conflict(
    conn: &impl ConnectionTrait,
    found: &Source,
    order: &crate::orders::store::Order,
    portal: &Version,
    record: &SyncOrderInput,
) -> Result<Uuid, DbErr> {
    let incoming = serde_json::to_string(record).unwrap_or_default();
    let fingerprint: String = Sha256::digest(incoming.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if let Some(open) = conflict::Entity::find()
        .filter(conflict::Column::PartnerId.eq(order.partner_id))
        .filter(conflict::Column::OrderId.eq(order.id))
        .filter(conflict::Column::State.eq("open"))
        .filter(conflict::Column::Fingerprint.eq(&fingerprint))
        .one(conn)
        .await?
    {
        return Ok(open.id);
    }
    let id = new_id();
    conflict::ActiveModel {
        id: Set(id),
        source_id: Set(found.id),
        partner_id: Set(order.partner_id),
        order_id: Set(order.id),
        external_reference: Set(record.external_reference.trim().to_owned()),
        portal_version: Set(serde_json::to_string(portal).unwrap_or_default()),
        incoming_version: Set(incoming),
        fingerprint: Set(fingerprint),
        state: Set("open".to_owned()),
        resolved_by: Set(None),
        resolved_at: Set(None),
        created_at: Set(now()),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Open conflicts of the partners the caller may approve orders for, oldest first.
pub async fn open_conflicts(db: &Db, scope: &Scope, limit: u64) -> AppResult<Vec<Conflict>> {
    let partners = scope.partners(Permission::OrdersApprove)?;
    Ok(conflict::Entity::find()
        .filter(conflict::Column::State.eq("open"))
        .filter(partners.condition(conflict::Column::PartnerId))
        .order_by_asc(conflict::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many conflicts wait for the caller, among the partners they may approve orders for.
pub async fn count_open_conflicts(db: &Db, scope: &Scope) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    let partners = scope.partners(Permission::OrdersApprove)?;
    Ok(conflict::Entity::find()
        .filter(conflict::Column::State.eq("open"))
        .filter(partners.condition(conflict::Column::PartnerId))
        .count(db)
        .await?)
}

/// One conflict the caller may resolve, or 404.
pub async fn find_conflict(db: &Db, scope: &Scope, id: Uuid) -> AppResult<Conflict> {
    let partners = scope.partners(Permission::OrdersApprove)?;
    conflict::Entity::find_by_id(id)
        .filter(partners.condition(conflict::Column::PartnerId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// How a person settled a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The source's record is applied over the portal's change.
    ApplySource,
    /// The portal's version stands; the source's next update is applied as usual.
    KeepPortal,
}

/// Settles an open conflict; returns the order's number.
pub async fn resolve(
    db: &Db,
    scope: &Scope,
    client: &SocketAddr,
    found: &Conflict,
    resolution: Resolution,
) -> AppResult<String> {
    if found.state != "open" {
        return Err(AppError::NotFound);
    }
    let source = source::Entity::find_by_id(found.source_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let record: SyncOrderInput =
        serde_json::from_str(&found.incoming_version).map_err(|e| AppError::Internal(e.into()))?;
    let products = order_sync::products_by_sku(db).await?;
    let synced = order_sync::check(&record, &products, "incoming").map_err(|errors| {
        AppError::Internal(anyhow::anyhow!(
            "a queued record no longer checks: {errors:?}"
        ))
    })?;
    let at = now();
    let txn = begin_write(db).await?;
    let order = order_sync::find_synced(&txn, &source.key, &found.external_reference)
        .await?
        .ok_or(AppError::NotFound)?;
    match resolution {
        Resolution::ApplySource => {
            let author = Author {
                user_id: Some(scope.user_id),
                label: format!("{} sync, applied by {}", source.name, scope.email),
            };
            order_sync::apply(&txn, &source.key, &author, &synced, true, at).await?;
        }
        Resolution::KeepPortal => {
            crate::orders::entity::sales_order::Entity::update(
                crate::orders::entity::sales_order::ActiveModel {
                    id: Set(order.id),
                    synced_at: Set(Some(at)),
                    ..Default::default()
                },
            )
            .exec(&txn)
            .await?;
        }
    }
    let state = match resolution {
        Resolution::ApplySource => "source_applied",
        Resolution::KeepPortal => "portal_kept",
    };
    conflict::ActiveModel {
        id: Set(found.id),
        state: Set(state.to_owned()),
        resolved_by: Set(Some(scope.user_id)),
        resolved_at: Set(Some(at)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        Entry::by(scope, client, "sync.conflict_resolved")
            .on("order", &order.number)
            .concerning(order.partner_id)
            .with(json!({ "conflict": found.id, "resolution": state, "source": source.key })),
    )
    .await?;
    txn.commit().await?;
    Ok(order.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_stale_past_its_threshold_or_before_its_first_success() {
        let at = now();
        let mut found = Source {
            id: Uuid::now_v7(),
            key: "erp".into(),
            name: "ERP".into(),
            stale_after_minutes: 60,
            last_success_at: None,
            last_error_at: None,
            last_error: None,
            received: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            conflicts: 0,
            invalid: 0,
            created_at: at,
        };
        assert!(is_stale(&found, at));
        found.last_success_at = Some(at - Duration::minutes(59));
        assert!(!is_stale(&found, at));
        found.last_success_at = Some(at - Duration::minutes(61));
        assert!(is_stale(&found, at));
    }
}
