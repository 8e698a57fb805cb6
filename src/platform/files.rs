//! Files: kept in an object store (a local folder by default) under their content address, the
//! SHA-256 of their bytes, so the same file uploaded twice is stored once and a stored file can
//! be checked against its name. Nothing here checks permissions: callers serve a file only after
//! finding the row that refers to it through the caller's scope.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
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
