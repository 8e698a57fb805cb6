//! Documents on orders (invoices, delivery notes, purchase orders …): uploaded by vendor
//! operations or by the partner that owns the order, listed on the order, downloaded by anyone
//! who may read the order. Every upload and download is audited; files are streamed from the
//! file store, never served without finding the order through the caller's scope.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::manage::{audit_entry, author, back_to};
use super::pages::{DOCUMENT_KINDS, readable_order};
use super::store::{self, NewDocument};
use crate::AppState;
use crate::audit;
use crate::platform::api::FieldError;
use crate::platform::error::{AppError, AppResult};
use crate::platform::files;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::now;
use crate::platform::web::PageContext;

pub async fn upload(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    context: PageContext,
    scope: Scope,
    Path(id): Path<String>,
    request: Request,
) -> AppResult<Response> {
    if !scope.can(Permission::OrdersWrite) && !scope.can(Permission::OrdersApprove) {
        return Err(AppError::Forbidden);
    }
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let order = store::find_order(&state.db, &scope, id).await?;
    let may_change = [Permission::OrdersApprove, Permission::OrdersWrite]
        .into_iter()
        .any(|p| {
            scope
                .partners(p)
                .is_ok_and(|reach| reach.contains(order.partner_id))
        });
    if !may_change {
        return Err(AppError::Forbidden);
    }
    // Read only after the checks: who may not upload here learns nothing from the body.
    let upload = match files::read_upload(request, state.files.max_bytes()).await {
        Ok(upload) => upload,
        Err(problem) => return Ok(back_to(&order, &problem)),
    };
    let kind = upload.field("kind").to_owned();
    let kind = kind.as_str();
    if !DOCUMENT_KINDS.contains(&kind) {
        return Ok(back_to(&order, "Choose what kind of document this is."));
    }
    let Some(file) = upload.files.into_iter().next() else {
        return Ok(back_to(
            &order,
            "Choose a file to upload; an empty file is not a document.",
        ));
    };
    let (file_name, content_type, bytes) = (file.name, file.content_type, file.bytes);
    let stored = state.files.put(bytes).await?;
    let txn = crate::platform::db::begin_write(&state.db).await?;
    store::add_document(
        &txn,
        &order,
        NewDocument {
            kind,
            file_name: &file_name,
            content_type: &content_type,
            size_bytes: stored.size_bytes,
            sha256: &stored.sha256,
        },
        &author(&scope, &context),
        now(),
    )
    .await?;
    audit::record(
        &txn,
        audit_entry(
            &scope,
            &client,
            &order,
            "order.document_added",
            json!({ "file": file_name, "kind": kind, "sha256": stored.sha256, "bytes": stored.size_bytes }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(back_to(
        &order,
        &format!("{file_name} added to order {}.", order.number),
    ))
}

/// Checks a document's kind (`delivery_note` reads as `delivery note`) and file name; the
/// API's field errors name what is wrong.
pub fn checked_kind_and_name(
    kind: &str,
    file_name: &str,
) -> Result<(String, String), Vec<FieldError>> {
    let kind = kind.trim().replace('_', " ");
    let file_name = file_name.trim();
    let mut errors = Vec::new();
    if !DOCUMENT_KINDS.contains(&kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "unknown",
            format!("a document is one of: {}", DOCUMENT_KINDS.join(", ")),
        ));
    }
    if file_name.is_empty()
        || file_name.chars().count() > 200
        || file_name.contains(['/', '\\'])
        || file_name.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            "file_name",
            "invalid",
            "a file name of 1 to 200 characters, without / or \\",
        ));
    }
    if errors.is_empty() {
        Ok((kind, file_name.to_owned()))
    } else {
        Err(errors)
    }
}

pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, document_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let order = readable_order(&state, &scope, &id).await?;
    let document_id = Uuid::parse_str(&document_id).map_err(|_| AppError::NotFound)?;
    let document = store::find_document(&state.db, &order, document_id).await?;
    let file = files::StoredFile {
        sha256: document.sha256.clone(),
        size_bytes: document.size_bytes,
    };
    let download = state
        .files
        .download(&file, &document.file_name, &document.content_type, &headers)
        .await?;
    // A resumed download's later parts are the same download.
    if download.starts {
        audit::record_alone(
            &state.db,
            audit_entry(
                &scope,
                &client,
                &order,
                "order.document_downloaded",
                json!({ "file": document.file_name, "document": document.id }),
            ),
        )
        .await?;
    }
    Ok(download.response)
}
