//! The credential registry: what the store holds, in memory, plus a cache of verified Basic
//! headers so Argon2 runs once per credential and not on every request.

mod oauth;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use base64::Engine as _;

pub use oauth::{Grant, GrantError, MYQ_OAUTH, SCOPES, TOKEN_TTL_SECONDS, TokenInfo};

use crate::engine::Clock;
use crate::secret::{self, Secret};
use crate::store::{CredentialRow, Store, StoreError, TokenRow};

/// A cached verification is trusted this long; past it Argon2 runs again, so a credential
/// changed by another process stops working within this time.
const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX: usize = 10_000;

pub const MYQ_BASIC: &str = "myq-basic";
/// Bearer tokens of APIs C and D, bound to one ledger. High-entropy, so stored as SHA-256.
pub const LEDGER_BEARER: &str = "ledger-bearer";
const SHA256_PREFIX: &str = "sha256:";

pub struct Credentials {
    store: Arc<dyn Store>,
    by_id: RwLock<HashMap<i64, CredentialRow>>,
    verified: Mutex<HashMap<[u8; 32], (i64, Instant)>>,
    /// Argon2 is deliberately expensive: at most this many run at once, so a burst of new
    /// clients (or of wrong passwords) cannot take every core from the ledger.
    hashing: tokio::sync::Semaphore,
    /// Live OAuth access tokens by the SHA-256 of the token.
    tokens: RwLock<HashMap<[u8; 32], TokenRow>>,
    clock: Arc<dyn Clock>,
    /// The hash an unknown login or client id is verified against, made on first need.
    decoy: Arc<OnceLock<String>>,
    /// Argon2 verifications run, known credential or not.
    verifications: AtomicU64,
    /// Credentials used since the last write of their last use, and when.
    used: Mutex<HashMap<i64, OffsetDateTime>>,
}

/// Who a verified credential speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub credential_id: i64,
    pub ledger_id: i64,
}

impl Credentials {
    pub fn load(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let registry = Credentials {
            store,
            by_id: RwLock::default(),
            verified: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(2),
            tokens: RwLock::default(),
            clock,
            decoy: Arc::default(),
            verifications: AtomicU64::new(0),
            used: Mutex::default(),
        };
        registry.refresh()?;
        Ok(registry)
    }

    /// Rereads credentials and tokens from the store, taking in what other processes sharing
    /// it created, revoked or issued.
    pub fn refresh(&self) -> Result<(), StoreError> {
        if let Err(e) = self.write_uses() {
            // Only the last-used times are lost; the credentials are reread all the same.
            tracing::warn!(error = %e, "writing when credentials were last used failed");
        }
        let rows = self.store.active_credentials()?;
        let tokens: HashMap<[u8; 32], TokenRow> = self
            .store
            .live_tokens(self.clock.now())?
            .into_iter()
            .filter_map(|t| Some((secret::sha256_from_hex(&t.token_sha256)?, t)))
            .collect();
        let by_id: HashMap<i64, CredentialRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, (id, _)| by_id.contains_key(id));
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = tokens;
        *self.by_id.write().unwrap_or_else(|p| p.into_inner()) = by_id;
        Ok(())
    }

    /// `find`, and if it finds nothing, `find` again after a refresh: what another process
    /// created a moment ago works here at once.
    fn find_fresh<T>(&self, find: impl Fn(&Self) -> Option<T>) -> Option<T> {
        find(self).or_else(|| {
            if let Err(e) = self.refresh() {
                tracing::warn!(error = %e, "rereading credentials failed");
            }
            find(self)
        })
    }

    /// Refreshes every `every` while the registry lives.
    pub fn spawn_refresher(self: &Arc<Self>, every: Duration) {
        let registry = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(registry) = registry.upgrade() else {
                    return;
                };
                let refreshed = tokio::task::spawn_blocking(move || registry.refresh()).await;
                if let Ok(Err(e)) = refreshed {
                    tracing::warn!(error = %e, "rereading credentials failed");
                }
            }
        });
    }

    /// Notes that a credential just proved itself; written by the next refresh, so a request
    /// costs no write.
    fn note_use(&self, id: i64) {
        let now = self.clock.now();
        self.used
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, now);
    }

    /// Writes the uses noted since the last write.
    fn write_uses(&self) -> Result<(), StoreError> {
        let used: Vec<(i64, OffsetDateTime)> =
            std::mem::take(&mut *self.used.lock().unwrap_or_else(|p| p.into_inner()))
                .into_iter()
                .collect();
        if used.is_empty() {
            return Ok(());
        }
        self.store.credentials_used(&used)
    }

    /// The ledger's active credentials by id, with when each was created and last used;
    /// their hashes stay in the rows (`CredentialRow`'s `Debug` leaves them out).
    pub fn list(&self, ledger_id: i64) -> Result<Vec<CredentialRow>, StoreError> {
        self.write_uses()?;
        let mut rows: Vec<CredentialRow> = self
            .store
            .active_credentials()?
            .into_iter()
            .filter(|r| r.ledger_id == ledger_id)
            .collect();
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Creates a credential with a fresh secret; the secret is returned once, only its hash
    /// is kept.
    fn create(
        &self,
        ledger_id: i64,
        kind: &str,
        login: &str,
        scopes: Vec<String>,
    ) -> Result<(i64, Secret), StoreError> {
        let secret = Secret::generate();
        let mut row = CredentialRow {
            id: 0,
            ledger_id,
            kind: kind.to_string(),
            login: login.to_string(),
            secret_hash: secret::hash_password(&secret),
            scopes,
            created_at: None,
            last_used_at: None,
        };
        row.id = self.store.create_credential(&row)?;
        self.by_id
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(row.id, row.clone());
        Ok((row.id, secret))
    }

    /// A `login:password` credential for HTTP Basic.
    pub fn create_basic(
        &self,
        ledger_id: i64,
        kind: &str,
        login: &str,
    ) -> Result<(i64, Secret), StoreError> {
        self.create(ledger_id, kind, login, Vec::new())
    }

    /// A bearer token for APIs C and D of the ledger; returned once, kept as SHA-256.
    pub fn create_ledger_bearer(&self, ledger_id: i64) -> Result<(i64, Secret), StoreError> {
        let token = Secret::generate();
        let mut row = CredentialRow {
            id: 0,
            ledger_id,
            kind: LEDGER_BEARER.to_string(),
            login: uuid::Uuid::new_v4().to_string(),
            secret_hash: format!(
                "{SHA256_PREFIX}{}",
                secret::sha256_hex(token.expose().as_bytes())
            ),
            scopes: Vec::new(),
            created_at: None,
            last_used_at: None,
        };
        row.id = self.store.create_credential(&row)?;
        let id = row.id;
        self.by_id
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, row);
        Ok((id, token))
    }

    /// The ledger a bearer token speaks for, if it is an active `ledger-bearer` token.
    pub fn verify_ledger_bearer(&self, token: &str) -> Option<Principal> {
        let presented = format!("{SHA256_PREFIX}{}", secret::sha256_hex(token.as_bytes()));
        self.find_fresh(|this| {
            this.by_id
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .filter(|r| r.kind == LEDGER_BEARER)
                .find(|r| secret::constant_time_eq(r.secret_hash.as_bytes(), presented.as_bytes()))
                .map(|r| Principal {
                    credential_id: r.id,
                    ledger_id: r.ledger_id,
                })
        })
        .inspect(|p| self.note_use(p.credential_id))
    }

    pub fn revoke(&self, ledger_id: i64, id: i64) -> Result<bool, StoreError> {
        let revoked = self.store.revoke_credential(ledger_id, id)?;
        if revoked {
            self.store.delete_tokens_of(id)?;
            self.tokens
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|_, t| t.credential_id != id);
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

    /// The active credential of `kind` whose login is `login`.
    fn by_login(&self, kind: &str, login: &str) -> Option<CredentialRow> {
        self.find_fresh(|this| {
            this.by_id
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .find(|r| r.kind == kind && r.login == login)
                .cloned()
        })
    }

    /// Argon2 verification off the async threads; callers hold a `hashing` permit. Without a
    /// credential (`hash` is `None`) the secret is verified against a decoy, and refused: an
    /// unknown login or client id costs what a wrong password costs, so timing cannot tell
    /// which logins exist.
    async fn verify_secret(&self, secret: &str, hash: Option<&str>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("saldo_password_verifications_total").increment(1);
        let (secret, hash, decoy) = (
            secret.to_string(),
            hash.map(str::to_string),
            self.decoy.clone(),
        );
        tokio::task::spawn_blocking(move || match hash {
            Some(hash) => secret::verify_password(&secret, &hash),
            None => {
                let decoy = decoy.get_or_init(|| secret::hash_password(&Secret::generate()));
                let _ = secret::verify_password(&secret, decoy);
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    /// How many Argon2 verifications this registry has run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// A fresh cached verification of this header, if any.
    fn cached(&self, key: &[u8; 32], kind: &str) -> Option<Principal> {
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied();
        let (id, _) = cached.filter(|(_, at)| at.elapsed() < CACHE_TTL)?;
        let row = self.active(id).filter(|r| r.kind == kind)?;
        self.note_use(id);
        Some(Principal {
            credential_id: id,
            ledger_id: row.ledger_id,
        })
    }

    /// Verifies an `Authorization: Basic …` header value of the given credential kind.
    pub async fn verify_basic(&self, header: &str, kind: &str) -> Option<Principal> {
        let key = secret::sha256(header.as_bytes());
        if let Some(principal) = self.cached(&key, kind) {
            return Some(principal);
        }
        let (login, password) = decode_basic(header)?;
        let row = self.by_login(kind, &login);
        let _permit = self.hashing.acquire().await.ok()?;
        // Whoever held the permit before us may have verified this very header.
        if let Some(principal) = self.cached(&key, kind) {
            return Some(principal);
        }
        let hash = row.as_ref().map(|r| r.secret_hash.as_str());
        if !self.verify_secret(&password, hash).await {
            return None;
        }
        let row = row?;
        self.note_use(row.id);
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

/// `Basic base64(login:password)` → (login, password).
pub fn decode_basic(header: &str) -> Option<(String, String)> {
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (login, password) = decoded.split_once(':')?;
    Some((login.to_string(), password.to_string()))
}
