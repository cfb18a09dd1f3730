//! The credential registry: what the store holds, in memory, plus a cache of verified Basic
//! headers so Argon2 runs once per credential and not on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::secret::{self, Secret};
use crate::store::{CredentialRow, Store, StoreError};

/// A cached verification is trusted this long; past it Argon2 runs again, so a credential
/// changed by another process stops working within this time.
const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX: usize = 10_000;

pub const MYQ_BASIC: &str = "myq-basic";

pub struct Credentials {
    store: Arc<dyn Store>,
    by_id: RwLock<HashMap<i64, CredentialRow>>,
    verified: Mutex<HashMap<[u8; 32], (i64, Instant)>>,
    /// Argon2 is deliberately expensive: at most this many run at once, so a burst of new
    /// clients (or of wrong passwords) cannot take every core from the ledger.
    hashing: tokio::sync::Semaphore,
}

/// Who a verified credential speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub credential_id: i64,
    pub ledger_id: i64,
}

impl Credentials {
    pub fn load(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let rows = store.active_credentials()?;
        Ok(Credentials {
            store,
            by_id: RwLock::new(rows.into_iter().map(|r| (r.id, r)).collect()),
            verified: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(2),
        })
    }

    /// Creates a Basic-auth credential; the password is returned once and only its hash kept.
    pub fn create_basic(
        &self,
        ledger_id: i64,
        kind: &str,
        login: &str,
    ) -> Result<(i64, Secret), StoreError> {
        let password = Secret::generate();
        let mut row = CredentialRow {
            id: 0,
            ledger_id,
            kind: kind.to_string(),
            login: login.to_string(),
            secret_hash: secret::hash_password(&password),
            scopes: Vec::new(),
        };
        row.id = self.store.create_credential(&row)?;
        self.by_id
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(row.id, row.clone());
        Ok((row.id, password))
    }

    pub fn revoke(&self, ledger_id: i64, id: i64) -> Result<bool, StoreError> {
        let revoked = self.store.revoke_credential(ledger_id, id)?;
        if revoked {
            self.by_id
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            self.verified
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|_, (cred, _)| *cred != id);
        }
        Ok(revoked)
    }

    fn active(&self, id: i64) -> Option<CredentialRow> {
        self.by_id
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    /// A fresh cached verification of this header, if any.
    fn cached(&self, key: &[u8; 32], kind: &str) -> Option<Principal> {
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied();
        if let Some((id, at)) = cached
            && at.elapsed() < CACHE_TTL
            && let Some(row) = self.active(id).filter(|r| r.kind == kind)
        {
            return Some(Principal {
                credential_id: id,
                ledger_id: row.ledger_id,
            });
        }
        None
    }

    /// Verifies an `Authorization: Basic …` header value of the given credential kind.
    pub async fn verify_basic(&self, header: &str, kind: &str) -> Option<Principal> {
        let key = secret::sha256(header.as_bytes());
        if let Some(principal) = self.cached(&key, kind) {
            return Some(principal);
        }
        let _permit = self.hashing.acquire().await.ok()?;
        // Whoever held the permit before may have verified this very header.
        if let Some(principal) = self.cached(&key, kind) {
            return Some(principal);
        }
        let encoded = header
            .strip_prefix("Basic ")
            .or_else(|| header.strip_prefix("basic "))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (login, password) = decoded.split_once(':')?;
        let row = self
            .by_id
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .find(|r| r.kind == kind && r.login == login)
            .cloned()?;
        let password = password.to_string();
        let hash = row.secret_hash.clone();
        let ok = tokio::task::spawn_blocking(move || secret::verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        if !ok {
            return None;
        }
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (row.id, Instant::now()));
        Some(Principal {
            credential_id: row.id,
            ledger_id: row.ledger_id,
        })
    }
}
