//! Files: kept in an object store (a local folder by default) under their content address, the
//! SHA-256 of their bytes, so the same file uploaded twice is stored once and a stored file can
//! be checked against its name. Nothing here checks permissions: callers serve a file only after
//! finding the row that refers to it through the caller's scope.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};

/// The largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;

/// Where files live.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
}

/// A stored file's address and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size_bytes: i64,
}

fn location(sha256: &str) -> StorePath {
    StorePath::from(format!("sha256/{}/{}", &sha256[..2], sha256))
}

impl FileStore {
    /// Files in a folder on this machine, created when missing.
    pub fn local(folder: &Path) -> anyhow::Result<FileStore> {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the files folder {}", folder.display()))?;
        let store = LocalFileSystem::new_with_prefix(folder)
            .with_context(|| format!("cannot use the files folder {}", folder.display()))?;
        Ok(FileStore {
            store: Arc::new(store),
        })
    }

    /// Stores the bytes under their SHA-256.
    pub async fn put(&self, bytes: Bytes) -> anyhow::Result<StoredFile> {
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let size_bytes = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.store
            .put(&location(&sha256), bytes.into())
            .await
            .context("cannot store the file")?;
        Ok(StoredFile { sha256, size_bytes })
    }

    /// The file's bytes as a streamed response body.
    pub async fn body(&self, sha256: &str) -> anyhow::Result<Body> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("{sha256:?} is not a content address");
        }
        let found = self
            .store
            .get(&location(sha256))
            .await
            .with_context(|| format!("stored file {sha256} is missing"))?;
        Ok(Body::from_stream(found.into_stream()))
    }
}

/// A file sent with a form.
pub struct UploadedFile {
    /// Safe to store and show: see [`clean_file_name`].
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// A `multipart/form-data` form: its text fields and its one file, if any was chosen.
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub file: Option<UploadedFile>,
}

impl Upload {
    /// A text field, trimmed; empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }
}

fn too_large() -> String {
    format!(
        "The file is too large: files may be up to {} MB.",
        MAX_FILE_BYTES / (1024 * 1024)
    )
}

/// Reads a form with a `file` field; an empty file counts as none. The error says, in words,
/// what went wrong.
pub async fn read_upload(request: Request) -> Result<Upload, String> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| "Send the file with the form on the page.".to_owned())?;
    let mut upload = Upload {
        fields: Vec::new(),
        file: None,
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(too_large()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = clean_file_name(field.file_name().unwrap_or_default());
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(too_large());
            }
            if !bytes.is_empty() {
                upload.file = Some(UploadedFile {
                    name: file_name,
                    content_type,
                    bytes,
                });
            }
        } else {
            let value = field.text().await.map_err(|_| too_large())?;
            upload.fields.push((name, value));
        }
    }
    Ok(upload)
}

/// A stored file as a download, never cached by shared caches.
pub fn attachment(body: Body, file_name: &str, content_type: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, attachment_header(file_name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// A file name safe to store and to put in a header: no folders, quotes or control characters.
pub fn clean_file_name(name: &str) -> String {
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
