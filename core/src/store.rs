//! Artifacts in an object store (`object_store`): uploaded files, checkpoints, LLM traffic,
//! reports. The database holds pointers (keys relative to the store's prefix).
//!
//! Keys: `t/{tenant}/objects/{content id}` (uploads, written once with `PutMode::Create`),
//! `t/{tenant}/jobs/{job}/{step}.json`, `t/{tenant}/llm/{request hash}.json`,
//! `t/{tenant}/reports/{report}.{ext}`. The content id of an upload is a keyed hash
//! (HMAC under the tenant's index key) of its SHA-256, not the SHA-256 itself: the same
//! file in two tenants gets two unrelated names, so a listing of the store reveals nothing
//! across tenants.
//!
//! Artifacts that may hold personal data are sealed with the tenant's data key
//! ([`crate::crypto`]) before they leave the process, with the key path as associated
//! data; destroying a tenant's key makes them unreadable, backups included.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Options for `s3://` store URLs; each falls back to the usual `AWS_*` environment
/// variables when unset.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// e.g. `http://127.0.0.1:9000` for MinIO or moto.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Permit plain-HTTP endpoints (local test servers).
    pub allow_http: bool,
}

/// An object store with a key prefix.
#[derive(Clone)]
pub struct ArtifactStore {
    os: Arc<dyn ObjectStore>,
    prefix: Path,
    url: String,
}

impl std::fmt::Debug for ArtifactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Whether a write-once put created the object or found it there already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    Created,
    Existed,
}

fn storage(e: object_store::Error) -> Error {
    Error::Storage(e.to_string())
}

impl ArtifactStore {
    /// Wraps the host's store; every key lives under `prefix`.
    pub fn new(os: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Self {
            os,
            prefix: Path::from(prefix),
            url: format!("host store, prefix {prefix:?}"),
        }
    }

    /// `file:///absolute/dir`, `file://relative/dir`, `memory://`, or
    /// `s3://bucket[/prefix]` (needs the `s3` feature, on by default).
    pub fn from_url(url: &str, options: &StoreOptions) -> Result<Self> {
        let bad = |why: &str| Error::Config(format!("store URL {url:?}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://…"))?;
        let (os, prefix): (Arc<dyn ObjectStore>, &str) = match scheme {
            "memory" => (
                Arc::new(object_store::memory::InMemory::new()),
                rest.trim_matches('/'),
            ),
            "file" => {
                let dir = std::path::Path::new(if rest.is_empty() { "." } else { rest });
                std::fs::create_dir_all(dir)
                    .map_err(|e| bad(&format!("cannot create {}: {e}", dir.display())))?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| bad(&e.to_string()))?
                    // Writes go to a temporary file and are renamed into place: a crash
                    // never leaves a torn artifact under its real name.
                    .with_automatic_cleanup(true);
                (Arc::new(fs), "")
            }
            #[cfg(feature = "s3")]
            "s3" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(bad("missing bucket"));
                }
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(e) = &options.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(r) = &options.region {
                    b = b.with_region(r);
                }
                if let Some(k) = &options.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(s) = &options.secret_access_key {
                    b = b.with_secret_access_key(s);
                }
                if options.allow_http {
                    b = b.with_allow_http(true);
                }
                (
                    Arc::new(b.build().map_err(|e| bad(&e.to_string()))?),
                    prefix.trim_matches('/'),
                )
            }
            other => {
                return Err(bad(&format!(
                    "unsupported scheme {other:?} (file, memory, s3)"
                )));
            }
        };
        let _ = options;
        Ok(Self {
            os,
            prefix: Path::from(prefix),
            url: url.to_owned(),
        })
    }

    fn full(&self, key: &str) -> Path {
        let mut p = self.prefix.clone();
        for part in key.split('/').filter(|s| !s.is_empty()) {
            p = p.join(part);
        }
        p
    }

    /// Writes `bytes` under `key` only if nothing is there yet.
    pub async fn put_once(&self, key: &str, bytes: Bytes) -> Result<Put> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .os
            .put_opts(&self.full(key), PutPayload::from(bytes), opts)
            .await
        {
            Ok(_) => Ok(Put::Created),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Put::Existed),
            Err(e) => Err(storage(e)),
        }
    }

    /// Writes (or replaces) `key`.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.os
            .put(&self.full(key), PutPayload::from(bytes))
            .await
            .map_err(storage)?;
        Ok(())
    }

    /// Writes `value` as JSON under `key` (replacing it).
    pub async fn put_json<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::invalid(format!("cannot serialise {key}: {e}")))?;
        self.put(key, bytes.into()).await
    }

    /// Reads the JSON artifact at `key`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T> {
        let bytes = self.get(key).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Storage(format!("artifact {key} is not the expected JSON: {e}")))
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        match self.os.get(&self.full(key)).await {
            Ok(r) => r.bytes().await.map_err(storage),
            Err(object_store::Error::NotFound { .. }) => Err(Error::not_found("artifact", key)),
            Err(e) => Err(storage(e)),
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool> {
        match self.os.head(&self.full(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(storage(e)),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.os.delete(&self.full(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    /// Every key under `prefix` (relative to the store's own prefix).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        use futures::TryStreamExt;
        let base = self.prefix.as_ref().len();
        let items: Vec<_> = self
            .os
            .list(Some(&self.full(prefix)))
            .try_collect()
            .await
            .map_err(storage)?;
        Ok(items
            .into_iter()
            .map(|m| {
                m.location.as_ref()[base..]
                    .trim_start_matches('/')
                    .to_owned()
            })
            .collect())
    }
}

/// Key of an uploaded object.
pub fn object_key(tenant: Uuid, content_id: &str) -> String {
    format!("t/{tenant}/objects/{content_id}")
}

/// Key of a job step's checkpoint payload.
pub fn checkpoint_key(tenant: Uuid, job: Uuid, step: &str) -> String {
    format!("t/{tenant}/jobs/{job}/{step}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn write_once_and_round_trip() {
        let dir = std::env::temp_dir().join(format!("rf-store-{}", Uuid::now_v7()));
        for url in ["memory://".to_owned(), format!("file://{}", dir.display())] {
            let s = ArtifactStore::from_url(&url, &StoreOptions::default()).unwrap();
            assert_eq!(
                s.put_once("t/a/objects/x", Bytes::from_static(b"one"))
                    .await
                    .unwrap(),
                Put::Created
            );
            assert_eq!(
                s.put_once("t/a/objects/x", Bytes::from_static(b"two"))
                    .await
                    .unwrap(),
                Put::Existed
            );
            assert_eq!(
                &s.get("t/a/objects/x").await.unwrap()[..],
                b"one",
                "{url}: first write wins"
            );
            s.put("t/a/jobs/j/parse.json", Bytes::from_static(b"{}"))
                .await
                .unwrap();
            assert_eq!(s.list("t/a").await.unwrap().len(), 2);
            assert!(matches!(
                s.get("t/a/nope").await,
                Err(Error::NotFound { .. })
            ));
            s.delete("t/a/objects/x").await.unwrap();
            assert!(!s.exists("t/a/objects/x").await.unwrap());
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in ["ftp://x", "nothing", "s3://"] {
            assert!(
                matches!(
                    ArtifactStore::from_url(url, &StoreOptions::default()),
                    Err(Error::Config(_))
                ),
                "{url}"
            );
        }
    }
}
