//! Documents on orders (invoices, delivery notes, purchase orders …): uploaded by vendor
//! operations or by the partner that owns the order, listed on the order, downloaded by anyone
//! who may read the order. Every upload and download is audited; files are streamed from the
//! file store, never served without finding the order through the caller's scope.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

use super::manage::{audit_entry, author};
use super::pages::DOCUMENT_KINDS;
use super::store::{self, NewDocument, Order};
use crate::AppState;
use crate::audit;
use crate::platform::error::{AppError, AppResult};
use crate::platform::files::MAX_FILE_BYTES;
use crate::platform::scope::{Permission, Scope};
use crate::platform::time::now;
use crate::platform::web::{PageContext, redirect_with_notice};

fn back_to(order: &Order, message: &str) -> Response {
    redirect_with_notice(&format!("/orders/{}", order.id), message)
}

/// A file name safe to store and to put in a header: no folders, quotes or control characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(150)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "document".to_owned()
    } else {
        cleaned
    }
}

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
    let Ok(mut multipart) = Multipart::from_request(request, &state).await else {
        return Ok(back_to(
            &order,
            "Upload the file with the form on the order page.",
        ));
    };
    let mut kind = String::new();
    let mut file: Option<(String, String, Bytes)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return Ok(back_to(
                    &order,
                    &format!(
                        "The upload did not arrive whole. Files may be up to {} MB; try again.",
                        MAX_FILE_BYTES / (1024 * 1024)
                    ),
                ));
            }
        };
        match field.name() {
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = clean_file_name(field.file_name().unwrap_or_default());
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return Ok(back_to(
                        &order,
                        &format!(
                            "The file is too large: documents may be up to {} MB.",
                            MAX_FILE_BYTES / (1024 * 1024)
                        ),
                    ));
                };
                file = Some((name, content_type, bytes));
            }
            _ => {}
        }
    }
    let kind = kind.trim();
    if !DOCUMENT_KINDS.contains(&kind) {
        return Ok(back_to(&order, "Choose what kind of document this is."));
    }
    let Some((file_name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return Ok(back_to(
            &order,
            "Choose a file to upload; an empty file is not a document.",
        ));
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Ok(back_to(
            &order,
            &format!(
                "The file is too large: documents may be up to {} MB.",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let stored = state.files.put(bytes).await?;
    let txn = state.db.begin().await?;
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

pub async fn download(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    scope: Scope,
    Path((id, document_id)): Path<(String, String)>,
) -> AppResult<Response> {
    scope.require(Permission::OrdersRead)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let document_id = Uuid::parse_str(&document_id).map_err(|_| AppError::NotFound)?;
    let order = store::find_order(&state.db, &scope, id).await?;
    let document = store::find_document(&state.db, &order, document_id).await?;
    let body = state.files.body(&document.sha256).await?;
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
    Ok((
        [
            (header::CONTENT_TYPE, document.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                attachment_header(&document.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// `Content-Disposition` for any file name: an ASCII stand-in for old clients, and the exact
/// name percent-encoded (RFC 6266) for the rest.
fn attachment_header(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::{attachment_header, clean_file_name};

    #[test]
    fn any_file_name_makes_a_valid_header() {
        let header = attachment_header("Rechnung März.pdf");
        assert_eq!(
            header,
            "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"
        );
        assert!(axum::http::HeaderValue::from_str(&header).is_ok());
    }

    #[test]
    fn file_names_lose_folders_quotes_and_control_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\jo\\invoice 12.pdf"),
            "invoice 12.pdf"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b;\nc.pdf"), "abc.pdf");
        assert_eq!(clean_file_name(".."), "document");
        assert_eq!(clean_file_name(""), "document");
    }
}
