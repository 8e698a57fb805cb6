//! Files: kept in an object store (a local folder by default) under their content address, the
//! SHA-256 of their bytes, so the same file uploaded twice is stored once and a stored file can
//! be checked against its name. Nothing here checks permissions: callers serve a file only after
//! finding the row that refers to it through the caller's scope.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};

use super::config::{FilesLocation, S3Settings};

/// Where files live, and how large one may be.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    max_bytes: usize,
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

fn s3_store(settings: &S3Settings) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(&settings.bucket);
    if let Some(endpoint) = &settings.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &settings.region {
        builder = builder.with_region(region);
    }
    if let Some((id, secret)) = &settings.credentials {
        builder = builder
            .with_access_key_id(id)
            .with_secret_access_key(secret);
    }
    let bucket = builder
        .build()
        .with_context(|| format!("cannot use the S3 bucket {}", settings.bucket))?;
    Ok(if settings.prefix.is_empty() {
        Arc::new(bucket)
    } else {
        Arc::new(PrefixStore::new(bucket, settings.prefix.as_str()))
    })
}

impl FileStore {
    /// The store the configuration names; a missing folder is created.
    pub fn open(location: &FilesLocation, max_bytes: usize) -> anyhow::Result<FileStore> {
        let store: Arc<dyn ObjectStore> = match location {
            FilesLocation::Folder(folder) => Arc::new(local_folder(folder)?),
            FilesLocation::S3(settings) => s3_store(settings)?,
        };
        Ok(FileStore { store, max_bytes })
    }

    /// The largest file accepted, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Stores the bytes under their SHA-256.
    pub async fn put(&self, bytes: Bytes) -> anyhow::Result<StoredFile> {
        Ok(self.put_pending(bytes).await?.keep())
    }

    /// Stores the bytes for a change that may still fail: unless [`PendingFile::keep`] is
    /// called, a file this call added is deleted again, so a failed change leaves no orphan.
    pub async fn put_pending(&self, bytes: Bytes) -> anyhow::Result<PendingFile> {
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let size_bytes = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let address = location(&sha256);
        // Content-addressed: a file already there belongs to someone else and must stay.
        let added = match self.store.head(&address).await {
            Ok(_) => false,
            Err(object_store::Error::NotFound { .. }) => {
                self.store
                    .put(&address, bytes.into())
                    .await
                    .context("cannot store the file")?;
                true
            }
            Err(error) => return Err(error).context("cannot reach the file store"),
        };
        Ok(PendingFile {
            stored: StoredFile { sha256, size_bytes },
            added,
            store: self.store.clone(),
        })
    }

    /// Whether the store holds the file.
    pub async fn contains(&self, sha256: &str) -> anyhow::Result<bool> {
        match self.store.head(&location(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(error).context("cannot reach the file store"),
        }
    }

    /// The file's bytes, whole.
    pub async fn bytes(&self, sha256: &str) -> anyhow::Result<Bytes> {
        check_address(sha256)?;
        let found = self
            .store
            .get(&location(sha256))
            .await
            .with_context(|| format!("stored file {sha256} is missing"))?;
        Ok(found.bytes().await?)
    }

    /// The file's bytes as a streamed response body.
    pub async fn body(&self, sha256: &str) -> anyhow::Result<Body> {
        check_address(sha256)?;
        let found = self
            .store
            .get(&location(sha256))
            .await
            .with_context(|| format!("stored file {sha256} is missing"))?;
        Ok(Body::from_stream(found.into_stream()))
    }

    /// A download of a stored file: streamed, with its length, its SHA-256 as a strong ETag,
    /// and only the part a `Range` header asks for (while `If-Range`, if sent, still matches);
    /// `304` when `If-None-Match` names it.
    pub async fn download(
        &self,
        file: &StoredFile,
        file_name: &str,
        content_type: &str,
        request: &HeaderMap,
    ) -> anyhow::Result<Download> {
        check_address(&file.sha256)?;
        let size = u64::try_from(file.size_bytes).unwrap_or(0);
        let etag = format!("\"{}\"", file.sha256);
        // The client holds this very file already.
        let held = request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|held| super::api::matches_etag(held, &etag));
        if held {
            return Ok(Download {
                response: (
                    StatusCode::NOT_MODIFIED,
                    [
                        (header::ETAG, etag),
                        (header::CACHE_CONTROL, "private, no-store".to_owned()),
                    ],
                )
                    .into_response(),
                starts: false,
            });
        }
        let still_same = request
            .get(header::IF_RANGE)
            .is_none_or(|value| value.as_bytes() == etag.as_bytes());
        let range = match request.get(header::RANGE).and_then(|v| v.to_str().ok()) {
            Some(asked) if still_same => byte_range(asked, size),
            _ => ByteRange::Whole,
        };
        let headers = [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, attachment_header(file_name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (header::ETAG, etag),
        ];
        let address = location(&file.sha256);
        let missing = || format!("stored file {} is missing", file.sha256);
        Ok(match range {
            ByteRange::Unsatisfiable => Download {
                response: (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(header::CONTENT_RANGE, format!("bytes */{size}"))],
                )
                    .into_response(),
                starts: false,
            },
            ByteRange::Whole => {
                let found = self.store.get(&address).await.with_context(missing)?;
                Download {
                    response: (
                        headers,
                        [(header::CONTENT_LENGTH, size.to_string())],
                        Body::from_stream(found.into_stream()),
                    )
                        .into_response(),
                    starts: true,
                }
            }
            ByteRange::Part { first, last } => {
                let options = GetOptions {
                    range: Some(GetRange::Bounded(first..last + 1)),
                    ..GetOptions::default()
                };
                let found = self
                    .store
                    .get_opts(&address, options)
                    .await
                    .with_context(missing)?;
                Download {
                    response: (
                        StatusCode::PARTIAL_CONTENT,
                        headers,
                        [
                            (header::CONTENT_LENGTH, (last + 1 - first).to_string()),
                            (
                                header::CONTENT_RANGE,
                                format!("bytes {first}-{last}/{size}"),
                            ),
                        ],
                        Body::from_stream(found.into_stream()),
                    )
                        .into_response(),
                    starts: first == 0,
                }
            }
        })
    }
}

fn local_folder(folder: &Path) -> anyhow::Result<LocalFileSystem> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the files folder {}", folder.display()))?;
    LocalFileSystem::new_with_prefix(folder)
        .with_context(|| format!("cannot use the files folder {}", folder.display()))
}

fn check_address(sha256: &str) -> anyhow::Result<()> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("{sha256:?} is not a content address");
    }
    Ok(())
}

/// A file stored for a change not yet committed.
pub struct PendingFile {
    stored: StoredFile,
    /// This upload put it there (it was not stored before).
    added: bool,
    store: Arc<dyn ObjectStore>,
}

impl PendingFile {
    pub fn stored(&self) -> &StoredFile {
        &self.stored
    }

    /// The change that refers to the file is committed: keep it.
    pub fn keep(mut self) -> StoredFile {
        self.added = false;
        self.stored.clone()
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.added {
            return;
        }
        let store = self.store.clone();
        let address = location(&self.stored.sha256);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = store.delete(&address).await {
                    tracing::warn!(%error, "could not delete a file whose change failed");
                }
            });
        }
    }
}

/// A download response, and whether it starts the file (a resumed download's later parts do
/// not count as new downloads).
pub struct Download {
    pub response: Response,
    pub starts: bool,
}

/// What part of a file a `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    Whole,
    /// Inclusive byte positions.
    Part {
        first: u64,
        last: u64,
    },
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `size` bytes. One range is honoured; several ranges or
/// a header that is not understood get the whole file, as RFC 9110 allows.
pub fn byte_range(header: &str, size: u64) -> ByteRange {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Whole;
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        // The last n bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part {
                    first: size.saturating_sub(suffix),
                    last: size - 1,
                }
            }
        }
        (false, Some(first), last_asked) if last.trim().is_empty() || last_asked.is_some() => {
            if first >= size {
                return ByteRange::Unsatisfiable;
            }
            match last_asked {
                Some(last) if last < first => ByteRange::Whole,
                Some(last) => ByteRange::Part {
                    first,
                    last: last.min(size - 1),
                },
                None => ByteRange::Part {
                    first,
                    last: size - 1,
                },
            }
        }
        _ => ByteRange::Whole,
    }
}

/// A file sent with a form.
pub struct UploadedFile {
    /// Safe to store and show: see [`clean_file_name`].
    pub name: String,
    /// Read from the bytes: see [`content_type_of`].
    pub content_type: String,
    pub bytes: Bytes,
}

/// A `multipart/form-data` form: its text fields and the files chosen in its `file` fields.
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

impl Upload {
    /// A text field, trimmed; empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// The (first) file chosen.
    pub fn file(&self) -> Option<&UploadedFile> {
        self.files.first()
    }
}

/// How much of a form beyond its files is read: text fields are short.
const FORM_FIELDS_BYTES: usize = 256 * 1024;

fn too_large(max_bytes: usize) -> String {
    format!(
        "The file is too large: files may be up to {} MB.",
        max_bytes / (1024 * 1024)
    )
}

/// Reads a form with at most one file in its `file` field: see [`read_uploads`].
pub async fn read_upload(request: Request, max_bytes: usize) -> Result<Upload, String> {
    read_uploads(request, max_bytes, 1).await
}

/// Upload routes lift axum's body limit: [`read_uploads`] enforces the configured one, file by
/// file, and says so in words.
pub fn upload_body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::disable()
}

/// Reads a form with up to `max_files` files in its `file` fields, each up to `max_bytes` (see
/// [`FileStore::max_bytes`]); empty files count as none. Each file's type is read from its
/// bytes and must agree with its name. The error says, in words, what went wrong; nothing is
/// stored either way.
pub async fn read_uploads(
    request: Request,
    max_bytes: usize,
    max_files: usize,
) -> Result<Upload, String> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| "Send the file with the form on the page.".to_owned())?;
    let mut upload = Upload {
        fields: Vec::new(),
        files: Vec::new(),
    };
    let broken =
        || "The upload was interrupted or is not a form the page sent; try again.".to_owned();
    let mut field_bytes = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| broken())? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == "file";
        let file_name = clean_file_name(field.file_name().unwrap_or_default());
        let mut bytes = Vec::new();
        // Read in chunks so an oversized file is refused as soon as it passes the limit.
        while let Some(chunk) = field.chunk().await.map_err(|_| broken())? {
            bytes.extend_from_slice(&chunk);
            if is_file && bytes.len() > max_bytes {
                return Err(format!("{file_name}: {}", too_large(max_bytes)));
            }
            if !is_file && field_bytes + bytes.len() > FORM_FIELDS_BYTES {
                return Err("The form's text is too long.".to_owned());
            }
        }
        if !is_file {
            field_bytes += bytes.len();
            let value = String::from_utf8(bytes).map_err(|_| broken())?;
            upload.fields.push((name, value));
        } else if !bytes.is_empty() {
            if upload.files.len() == max_files {
                return Err(if max_files == 1 {
                    "Send one file at a time.".to_owned()
                } else {
                    format!("Send at most {max_files} files at once.")
                });
            }
            let content_type = content_type_of(&file_name, &bytes)?;
            upload.files.push(UploadedFile {
                name: file_name,
                content_type,
                bytes: Bytes::from(bytes),
            });
        }
    }
    Ok(upload)
}

/// (extension, content type, what it is called) of the kinds whose bytes are recognised.
const BINARY_KINDS: [(&str, &str, &str); 12] = [
    ("pdf", "application/pdf", "a PDF document"),
    ("png", "image/png", "a PNG image"),
    ("jpg", "image/jpeg", "a JPEG image"),
    ("jpeg", "image/jpeg", "a JPEG image"),
    ("gif", "image/gif", "a GIF image"),
    ("webp", "image/webp", "a WebP image"),
    ("zip", "application/zip", "a ZIP archive"),
    ("mp4", "video/mp4", "an MP4 video"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "a Word document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "an Excel workbook",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "a PowerPoint presentation",
    ),
    ("xls", "application/vnd.ms-excel", "an Excel workbook"),
];

/// (extension, content type) of text files, which have no signature: they must be UTF-8.
const TEXT_KINDS: [(&str, &str); 8] = [
    ("txt", "text/plain; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("svg", "image/svg+xml"),
    ("html", "text/html; charset=utf-8"),
    ("ics", "text/calendar; charset=utf-8"),
];

/// A file's content type, read from its bytes, not from its name or what the browser said.
/// A name that promises another kind of file is refused, naming both.
pub fn content_type_of(file_name: &str, bytes: &[u8]) -> Result<String, String> {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    let detected = infer::get(bytes);
    let named = BINARY_KINDS.iter().find(|(ext, _, _)| *ext == extension);
    let described = |mime: &str| {
        BINARY_KINDS
            .iter()
            .find(|(_, m, _)| *m == mime)
            .map_or_else(
                || format!("of type {mime}"),
                |(_, _, called)| (*called).to_owned(),
            )
    };
    let is_text = !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok();
    match (named, detected) {
        (Some((_, mime, _)), Some(kind)) if kind.mime_type() == *mime => Ok((*mime).to_owned()),
        // Office documents are ZIP archives inside; not every one is told apart.
        (Some((ext, mime, _)), Some(kind))
            if matches!(*ext, "docx" | "xlsx" | "pptx")
                && kind.mime_type() == "application/zip" =>
        {
            Ok((*mime).to_owned())
        }
        (Some((_, _, called)), found) => Err(format!(
            "{file_name} is named as {called}, but its contents are {}: rename it or choose the right file.",
            found.map_or_else(
                || if is_text {
                    "text".to_owned()
                } else {
                    "not recognised".to_owned()
                },
                |kind| described(kind.mime_type())
            )
        )),
        (None, Some(kind)) => match TEXT_KINDS.iter().find(|(ext, _)| *ext == extension) {
            // Signatures recognise some text too (HTML, XML): the name decides which text.
            Some((_, mime)) if is_text => Ok((*mime).to_owned()),
            Some(_) => Err(format!(
                "{file_name} is named as a text file, but its contents are {}: rename it or choose the right file.",
                described(kind.mime_type())
            )),
            None => Ok(kind.mime_type().to_owned()),
        },
        (None, None) => match TEXT_KINDS.iter().find(|(ext, _)| *ext == extension) {
            Some((_, mime)) if is_text => Ok((*mime).to_owned()),
            Some(_) => Err(format!(
                "{file_name} is named as a text file, but its contents are not UTF-8 text: save it as UTF-8 or choose the right file."
            )),
            None if is_text => Ok("text/plain; charset=utf-8".to_owned()),
            None => Ok("application/octet-stream".to_owned()),
        },
    }
}

/// A file made on request as a download, never cached by shared caches.
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
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[tokio::test]
    async fn a_held_file_answers_304_whether_its_tag_comes_back_strong_or_weak() {
        let folder = std::env::temp_dir().join(format!("portico-files-{}", uuid::Uuid::now_v7()));
        let store = FileStore::open(&FilesLocation::Folder(folder.clone()), 1024).unwrap();
        let file = store.put(Bytes::from_static(b"invoice")).await.unwrap();
        for held in [
            format!("\"{}\"", file.sha256),
            format!("W/\"{}\"", file.sha256),
            format!("\"other\", W/\"{}\"", file.sha256),
        ] {
            let mut request = HeaderMap::new();
            request.insert(header::IF_NONE_MATCH, held.parse().unwrap());
            let download = store
                .download(&file, "a.pdf", "application/pdf", &request)
                .await
                .unwrap();
            assert_eq!(
                download.response.status(),
                StatusCode::NOT_MODIFIED,
                "{held}"
            );
        }
        let mut request = HeaderMap::new();
        request.insert(header::IF_NONE_MATCH, "\"other\"".parse().unwrap());
        let download = store
            .download(&file, "a.pdf", "application/pdf", &request)
            .await
            .unwrap();
        assert_eq!(download.response.status(), StatusCode::OK);
        let _ = std::fs::remove_dir_all(folder);
    }

    #[test]
    fn a_files_type_comes_from_its_bytes_and_must_match_its_name() {
        assert_eq!(content_type_of("logo.png", PNG).unwrap(), "image/png");
        assert_eq!(
            content_type_of("deck.pdf", b"%PDF-1.7\n...").unwrap(),
            "application/pdf"
        );
        assert_eq!(
            content_type_of("notes.txt", "Grüße".as_bytes()).unwrap(),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type_of("logo", PNG).unwrap(), "image/png");
        assert_eq!(
            content_type_of("LOGO.PNG", PNG).unwrap(),
            "image/png",
            "extensions in capitals"
        );
        assert_eq!(
            content_type_of("deck.pdf", PNG).unwrap_err(),
            "deck.pdf is named as a PDF document, but its contents are a PNG image: rename it or choose the right file."
        );
        assert_eq!(
            content_type_of("deck.pdf", b"just words").unwrap_err(),
            "deck.pdf is named as a PDF document, but its contents are text: rename it or choose the right file."
        );
        assert!(content_type_of("price list.csv", PNG).is_err());
        assert_eq!(
            content_type_of(
                "mailer.html",
                b"<!doctype html><html><body>Hi</body></html>"
            )
            .unwrap(),
            "text/html; charset=utf-8"
        );
        assert!(content_type_of("notes.txt", b"\xff\xfe\0\0").is_err());
        assert_eq!(
            content_type_of("blob.bin", b"\0\x01\x02").unwrap(),
            "application/octet-stream"
        );
    }

    #[tokio::test]
    async fn a_file_whose_change_failed_is_deleted_unless_it_was_there_before() {
        let folder = tempfile::tempdir().unwrap();
        let location = crate::platform::config::FilesLocation::Folder(folder.path().into());
        let store = super::FileStore::open(&location, 1024).unwrap();
        let kept = store.put("kept".into()).await.unwrap();
        // A change that fails drops its pending file: a new file goes, a shared one stays.
        let fresh = store.put_pending("fresh".into()).await.unwrap();
        let fresh_sha = fresh.stored().sha256.clone();
        let shared = store.put_pending("kept".into()).await.unwrap();
        drop((fresh, shared));
        for _ in 0..50 {
            if !store.contains(&fresh_sha).await.unwrap() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!store.contains(&fresh_sha).await.unwrap(), "no orphan");
        assert!(store.contains(&kept.sha256).await.unwrap());
        // A committed change keeps it.
        let committed = store.put_pending("committed".into()).await.unwrap().keep();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(store.contains(&committed.sha256).await.unwrap());
    }

    #[test]
    fn range_headers_ask_for_one_part_or_the_whole_file() {
        let part = |first, last| ByteRange::Part { first, last };
        assert_eq!(byte_range("bytes=0-99", 1000), part(0, 99));
        assert_eq!(byte_range("bytes=900-", 1000), part(900, 999));
        assert_eq!(byte_range("bytes=-100", 1000), part(900, 999));
        assert_eq!(byte_range("bytes=-5000", 1000), part(0, 999));
        assert_eq!(byte_range("bytes=990-2000", 1000), part(990, 999));
        assert_eq!(byte_range("bytes=1000-", 1000), ByteRange::Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 1000), ByteRange::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-9", 1000), ByteRange::Whole);
        assert_eq!(byte_range("bytes=9-1", 1000), ByteRange::Whole);
        assert_eq!(byte_range("items=0-1", 1000), ByteRange::Whole);
        assert_eq!(byte_range("bytes=a-b", 1000), ByteRange::Whole);
    }

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
