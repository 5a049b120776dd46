//! Encryption of personal data: AES-256-GCM under per-tenant data keys, and HMAC blind
//! indexes for equality lookup.
//!
//! Ciphertext layout (`seal`): `0x01 | len(key_id) | key_id | nonce(12) | ciphertext+tag`.
//! The key id travels inside every ciphertext, so keys can rotate: new writes use the
//! current key, old rows still name the key that opens them. Associated data binds a value
//! to its place (`tenant/table/column/row`), so a ciphertext copied into another row,
//! column or tenant fails to open instead of leaking.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// A 256-bit key with its identifier.
#[derive(Clone)]
pub struct DataKey {
    pub id: String,
    pub key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Where tenant keys come from: the host's KMS, a vault, or [`LocalKeyProvider`].
#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// The key new data of `tenant` is encrypted with.
    async fn current_key(&self, tenant: Uuid) -> Result<DataKey>;
    /// The key named `key_id` of `tenant`; an error if it was destroyed or never existed.
    async fn key(&self, tenant: Uuid, key_id: &str) -> Result<DataKey>;
    /// The key of `tenant`'s blind indexes (stable across data key rotations).
    async fn index_key(&self, tenant: Uuid) -> Result<DataKey>;
}

/// Derives every tenant key from one 32-byte master secret with HMAC-SHA256.
///
/// Good for embedded use and tests. Production deployments should wrap per-tenant random
/// keys in a KMS, so that destroying one tenant's key erases that tenant alone.
pub struct LocalKeyProvider {
    master: Zeroizing<[u8; 32]>,
}

impl LocalKeyProvider {
    pub const KEY_ID: &'static str = "local-v1";

    pub fn new(master: [u8; 32]) -> Self {
        Self {
            master: Zeroizing::new(master),
        }
    }

    /// A provider with a fresh random master key (for tests and throwaway databases: data
    /// encrypted under it cannot be read by any later process).
    pub fn random() -> Self {
        let mut master = [0u8; 32];
        getrandom::fill(&mut master).expect("operating system random source");
        Self::new(master)
    }

    /// Reads the master key from `path` (64 hex characters), creating it with a random key
    /// and mode 0600 if it does not exist.
    pub fn from_file(path: &Path) -> Result<Self> {
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::Config(format!("cannot read key file {}: {e}", path.display()))
            })?;
            let bytes = hex::decode(text.trim()).map_err(|e| {
                Error::Config(format!("key file {} is not hex: {e}", path.display()))
            })?;
            let master: [u8; 32] = bytes.try_into().map_err(|_| {
                Error::Config(format!("key file {} must hold 32 bytes", path.display()))
            })?;
            return Ok(Self::new(master));
        }
        let provider = Self::random();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| {
            Error::Config(format!("cannot create key file {}: {e}", path.display()))
        })?;
        use std::io::Write;
        file.write_all(hex::encode(*provider.master).as_bytes())
            .map_err(|e| Error::Config(format!("cannot write key file {}: {e}", path.display())))?;
        Ok(provider)
    }

    fn derive(&self, purpose: &str, tenant: Uuid) -> Zeroizing<[u8; 32]> {
        let mut mac =
            <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&*self.master).expect("any key size");
        mac.update(purpose.as_bytes());
        mac.update(tenant.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&out);
        key
    }
}

#[async_trait]
impl KeyProvider for LocalKeyProvider {
    async fn current_key(&self, tenant: Uuid) -> Result<DataKey> {
        self.key(tenant, Self::KEY_ID).await
    }

    async fn key(&self, tenant: Uuid, key_id: &str) -> Result<DataKey> {
        if key_id != Self::KEY_ID {
            return Err(Error::Crypto(format!("unknown key id {key_id}")));
        }
        Ok(DataKey {
            id: key_id.to_owned(),
            key: self.derive("resumeflow/data/v1", tenant),
        })
    }

    async fn index_key(&self, tenant: Uuid) -> Result<DataKey> {
        Ok(DataKey {
            id: "local-index-v1".to_owned(),
            key: self.derive("resumeflow/blind-index/v1", tenant),
        })
    }
}

/// Where a value lives; bound into the ciphertext as associated data.
#[derive(Clone, Copy, Debug)]
pub struct Aad<'a> {
    pub tenant: Uuid,
    pub table: &'a str,
    pub column: &'a str,
    pub row: Uuid,
}

impl Aad<'_> {
    fn bytes(&self) -> Vec<u8> {
        format!(
            "resumeflow:v1/{}/{}/{}/{}",
            self.tenant, self.table, self.column, self.row
        )
        .into_bytes()
    }
}

/// Encrypts `plaintext` under `key`, bound to `aad`.
pub fn seal(key: &DataKey, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
    seal_vec(key, aad, plaintext.to_vec())
}

/// Like [`seal`], but encrypts `plaintext` in its own buffer (no second copy of a large
/// artifact in memory) and returns that buffer, header prepended.
pub fn seal_vec(key: &DataKey, aad: Aad<'_>, mut plaintext: Vec<u8>) -> Result<Vec<u8>> {
    use aes_gcm::aead::AeadInOut;
    let id = key.id.as_bytes();
    if id.is_empty() || id.len() > u8::MAX as usize {
        return Err(Error::Crypto("key id must be 1..=255 bytes".into()));
    }
    let cipher = Aes256Gcm::new_from_slice(&*key.key).map_err(|e| Error::Crypto(e.to_string()))?;
    let mut nonce_bytes = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce_bytes).map_err(|e| Error::Crypto(e.to_string()))?;
    let nonce = Nonce::try_from(&nonce_bytes[..]).map_err(|_| Error::Crypto("nonce".into()))?;
    let header_len = 2 + id.len() + NONCE_LEN;
    plaintext.reserve(header_len + 16);
    cipher
        .encrypt_in_place(&nonce, &aad.bytes(), &mut plaintext)
        .map_err(|_| Error::Crypto("encryption failed".into()))?;
    let mut header = Vec::with_capacity(header_len);
    header.push(FORMAT_V1);
    header.push(id.len() as u8);
    header.extend_from_slice(id);
    header.extend_from_slice(&nonce_bytes);
    plaintext.splice(0..0, header);
    Ok(plaintext)
}

/// The key id a ciphertext was sealed with.
pub fn key_id_of(ciphertext: &[u8]) -> Result<&str> {
    let bad = || Error::Crypto("malformed ciphertext".into());
    if ciphertext.first() != Some(&FORMAT_V1) {
        return Err(bad());
    }
    let len = *ciphertext.get(1).ok_or_else(bad)? as usize;
    let id = ciphertext.get(2..2 + len).ok_or_else(bad)?;
    std::str::from_utf8(id).map_err(|_| bad())
}

/// Decrypts what [`seal`] produced; fails if the key, the place (`aad`) or a byte differs.
pub fn open(key: &DataKey, aad: Aad<'_>, ciphertext: &[u8]) -> Result<Vec<u8>> {
    let id = key_id_of(ciphertext)?;
    if id != key.id {
        return Err(Error::Crypto(format!(
            "ciphertext is sealed with key {id}, not {}",
            key.id
        )));
    }
    let start = 2 + id.len();
    let nonce_bytes = ciphertext
        .get(start..start + NONCE_LEN)
        .ok_or_else(|| Error::Crypto("malformed ciphertext".into()))?;
    let nonce = Nonce::try_from(nonce_bytes).map_err(|_| Error::Crypto("nonce".into()))?;
    let cipher = Aes256Gcm::new_from_slice(&*key.key).map_err(|e| Error::Crypto(e.to_string()))?;
    let aad = aad.bytes();
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &ciphertext[start + NONCE_LEN..],
                aad: &aad,
            },
        )
        .map_err(|_| Error::Crypto("ciphertext does not open with this key and place".into()))
}

/// The blind index of `value` in `domain` (e.g. "email"): HMAC-SHA256 under the tenant's
/// index key, hex. The caller normalises the value first (see [`normalize_email`]).
pub fn blind_index(index_key: &DataKey, domain: &str, value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&*index_key.key).expect("any key size");
    mac.update(domain.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Caches keys per tenant for the life of an engine, so that a batch of rows does not
/// call the host's KMS once per value.
pub(crate) struct KeyCache {
    provider: Arc<dyn KeyProvider>,
    current: Mutex<HashMap<Uuid, DataKey>>,
    index: Mutex<HashMap<Uuid, DataKey>>,
}

impl KeyCache {
    pub(crate) fn new(provider: Arc<dyn KeyProvider>) -> Self {
        Self {
            provider,
            current: Mutex::new(HashMap::new()),
            index: Mutex::new(HashMap::new()),
        }
    }

    /// The cached key of `tenant` in `cache`, fetched with `fetch` on a miss.
    async fn cached<F>(
        cache: &Mutex<HashMap<Uuid, DataKey>>,
        tenant: Uuid,
        fetch: F,
    ) -> Result<DataKey>
    where
        F: std::future::Future<Output = Result<DataKey>>,
    {
        if let Some(k) = cache.lock().expect("key cache").get(&tenant) {
            return Ok(k.clone());
        }
        let k = fetch.await?;
        cache.lock().expect("key cache").insert(tenant, k.clone());
        Ok(k)
    }

    pub(crate) async fn current(&self, tenant: Uuid) -> Result<DataKey> {
        Self::cached(&self.current, tenant, self.provider.current_key(tenant)).await
    }

    pub(crate) async fn index(&self, tenant: Uuid) -> Result<DataKey> {
        Self::cached(&self.index, tenant, self.provider.index_key(tenant)).await
    }

    pub(crate) async fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.current(aad.tenant).await?;
        seal(&key, aad, plaintext)
    }

    pub(crate) async fn open(&self, aad: Aad<'_>, ciphertext: &[u8]) -> Result<Vec<u8>> {
        let id = key_id_of(ciphertext)?;
        let key = match self.current(aad.tenant).await? {
            k if k.id == id => k,
            _ => self.provider.key(aad.tenant, id).await?,
        };
        open(&key, aad, ciphertext)
    }

    pub(crate) async fn seal_vec(&self, aad: Aad<'_>, plaintext: Vec<u8>) -> Result<Vec<u8>> {
        let key = self.current(aad.tenant).await?;
        seal_vec(&key, aad, plaintext)
    }

    pub(crate) async fn blind_index(
        &self,
        tenant: Uuid,
        domain: &str,
        value: &str,
    ) -> Result<String> {
        let key = self.index(tenant).await?;
        Ok(blind_index(&key, domain, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aad(tenant: Uuid, row: Uuid) -> Aad<'static> {
        Aad {
            tenant,
            table: "users",
            column: "email",
            row,
        }
    }

    #[tokio::test]
    async fn seal_open_round_trip_and_binding() {
        let p = LocalKeyProvider::random();
        let (t1, t2, row) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let k1 = p.current_key(t1).await.unwrap();
        let k2 = p.current_key(t2).await.unwrap();
        let ct = seal(&k1, aad(t1, row), b"ada@example.com").unwrap();
        assert!(!ct.windows(15).any(|w| w == b"ada@example.com"));
        assert_eq!(key_id_of(&ct).unwrap(), LocalKeyProvider::KEY_ID);
        assert_eq!(open(&k1, aad(t1, row), &ct).unwrap(), b"ada@example.com");
        // Another tenant's key, another row, another column: all refuse.
        assert!(open(&k2, aad(t1, row), &ct).is_err());
        assert!(open(&k1, aad(t1, Uuid::now_v7()), &ct).is_err());
        let other_col = Aad {
            column: "phone",
            ..aad(t1, row)
        };
        assert!(open(&k1, other_col, &ct).is_err());
        // A flipped bit is detected.
        let mut bad = ct.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(open(&k1, aad(t1, row), &bad).is_err());
        // Two seals of one value differ (fresh nonce).
        assert_ne!(ct, seal(&k1, aad(t1, row), b"ada@example.com").unwrap());
    }

    #[tokio::test]
    async fn seal_vec_opens_like_seal() {
        let p = LocalKeyProvider::random();
        let t = Uuid::now_v7();
        let k = p.current_key(t).await.unwrap();
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let ct = seal_vec(&k, aad(t, Uuid::nil()), big.clone()).unwrap();
        assert_eq!(open(&k, aad(t, Uuid::nil()), &ct).unwrap(), big);
        assert!(open(&k, aad(t, Uuid::now_v7()), &ct).is_err());
    }

    #[tokio::test]
    async fn blind_index_is_per_tenant_and_deterministic() {
        let p = LocalKeyProvider::random();
        let (t1, t2) = (Uuid::now_v7(), Uuid::now_v7());
        let i1 = p.index_key(t1).await.unwrap();
        let i2 = p.index_key(t2).await.unwrap();
        let a = blind_index(&i1, "email", &normalize_email(" Ada@Example.com "));
        assert_eq!(a, blind_index(&i1, "email", "ada@example.com"));
        assert_ne!(a, blind_index(&i2, "email", "ada@example.com"));
        assert_ne!(a, blind_index(&i1, "phone", "ada@example.com"));
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("rf-key-{}", Uuid::now_v7()));
        let path = dir.join("master.key");
        let a = LocalKeyProvider::from_file(&path).unwrap();
        let b = LocalKeyProvider::from_file(&path).unwrap();
        assert_eq!(*a.master, *b.master);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
