//! OAuth2 client credentials for the MyQ X REST API (SPEC §2, §4): clients with scopes, and
//! random access tokens kept only as their SHA-256, expiring by the engine's clock.

use time::Duration;

use super::Credentials;
use crate::secret::{self, Secret};
use crate::store::{StoreError, TokenRow};

pub const MYQ_OAUTH: &str = "myq-oauth-client";
pub const TOKEN_TTL_SECONDS: i64 = 1800;
/// The scopes a client may hold.
pub const SCOPES: [&str; 2] = ["credit", "users"];

#[derive(Debug)]
pub enum GrantError {
    /// Unknown client or wrong secret.
    InvalidClient,
    /// None of the requested scopes is held by the client.
    InvalidScope(String),
    Store(StoreError),
}

/// An issued access token; the token is shown to the client once and never kept.
#[derive(Debug)]
pub struct Grant {
    pub access_token: Secret,
    pub scopes: Vec<String>,
    pub expires_in: i64,
}

/// What a valid bearer token carries.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub credential_id: i64,
    pub ledger_id: i64,
    pub scopes: Vec<String>,
}

impl Credentials {
    /// A new OAuth client; returns its id, public client id and the secret (shown once).
    pub fn create_oauth_client(
        &self,
        ledger_id: i64,
        scopes: Vec<String>,
    ) -> Result<(i64, String, Secret), StoreError> {
        let client_id = format!(
            "saldo-{}",
            &secret::sha256_hex(Secret::generate().expose().as_bytes())[..20]
        );
        let (id, secret) = self.create(ledger_id, MYQ_OAUTH, &client_id, scopes)?;
        Ok((id, client_id, secret))
    }

    /// The client credentials grant: verifies the client and issues a token with the requested
    /// scopes it holds (all it holds when none are requested).
    pub async fn grant(
        &self,
        client_id: &str,
        client_secret: &str,
        requested: Option<Vec<String>>,
    ) -> Result<Grant, GrantError> {
        let row = self.by_login(MYQ_OAUTH, client_id);
        {
            let _permit = self
                .hashing
                .acquire()
                .await
                .map_err(|_| GrantError::InvalidClient)?;
            let hash = row.as_ref().map(|r| r.secret_hash.as_str());
            if !self.verify_secret(client_secret, hash).await {
                return Err(GrantError::InvalidClient);
            }
        }
        let row = row.ok_or(GrantError::InvalidClient)?;
        let scopes: Vec<String> = match requested {
            None => row.scopes.clone(),
            Some(requested) => {
                let granted: Vec<String> = requested
                    .iter()
                    .filter(|s| row.scopes.contains(s))
                    .cloned()
                    .collect();
                if granted.is_empty() {
                    return Err(GrantError::InvalidScope(requested.join(" ")));
                }
                granted
            }
        };
        let token = Secret::generate();
        let hash = secret::sha256(token.expose().as_bytes());
        let row = TokenRow {
            token_sha256: secret::hex(&hash),
            credential_id: row.id,
            ledger_id: row.ledger_id,
            scopes: scopes.clone(),
            expires_at: self.clock.now() + Duration::seconds(TOKEN_TTL_SECONDS),
        };
        let store = self.store.clone();
        let saved = row.clone();
        tokio::task::spawn_blocking(move || store.save_token(&saved))
            .await
            .map_err(|_| GrantError::Store(StoreError::Database("token store task failed".into())))?
            .map_err(GrantError::Store)?;
        let mut tokens = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        tokens.retain(|_, t| t.expires_at > now);
        tokens.insert(hash, row);
        Ok(Grant {
            access_token: token,
            scopes,
            expires_in: TOKEN_TTL_SECONDS,
        })
    }

    /// The token's grant, if it is known, unexpired and its client still active.
    pub fn verify_bearer(&self, token: &str) -> Option<TokenInfo> {
        let key = secret::sha256(token.as_bytes());
        let row = self.find_fresh(|this| {
            this.tokens
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .cloned()
        })?;
        if row.expires_at <= self.clock.now() {
            return None;
        }
        self.active(row.credential_id)?;
        self.note_use(row.credential_id);
        Some(TokenInfo {
            credential_id: row.credential_id,
            ledger_id: row.ledger_id,
            scopes: row.scopes,
        })
    }
}
