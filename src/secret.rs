//! Secrets: generated, hashed, compared in constant time, never printed.

use std::fmt;

use std::sync::atomic::{AtomicBool, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// A fresh random secret with 192 bits of entropy, URL-safe.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        Secret(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

static CHEAP_HASHING: AtomicBool = AtomicBool::new(false);

/// Test builds only: new secrets are hashed with Argon2's smallest costs, so a test suite that
/// makes hundreds of credentials does not spend its time hashing. In a release build this does
/// nothing: production hashes always use the full default costs.
pub fn use_cheap_hashing_for_tests() {
    if cfg!(debug_assertions) {
        CHEAP_HASHING.store(true, Ordering::Relaxed);
    }
}

fn hasher() -> Argon2<'static> {
    if cfg!(debug_assertions) && CHEAP_HASHING.load(Ordering::Relaxed) {
        let params = Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None)
            .expect("Argon2's minimum parameters are valid");
        return Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    }
    Argon2::default()
}

/// Argon2id hash in PHC string form.
pub fn hash_password(password: &Secret) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 hashing with default parameters")
        .to_string()
}

/// Verifies against a PHC hash (whose own parameters apply); argon2's comparison is
/// constant-time.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// SHA-256, for high-entropy tokens and cache keys (not for passwords).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

/// Lower-case hex of bytes, as hashes are stored.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored SHA-256 back from its hex; `None` if it is not 64 hex digits.
pub fn sha256_from_hex(hex: &str) -> Option<[u8; 32]> {
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    (hex.len() == 64).then_some(hash)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = sha256(b"saldo");
        assert_eq!(sha256_from_hex(&hex(&hash)), Some(hash));
        assert_eq!(sha256_from_hex("abc"), None);
        assert_eq!(sha256_from_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let s = Secret::generate();
        let phc = hash_password(&s);
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(s.expose(), &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password(s.expose(), "not a hash"));
    }

    #[test]
    fn cheap_hashing_is_for_debug_builds_only_and_still_verifies() {
        use_cheap_hashing_for_tests();
        let s = Secret::generate();
        let phc = hash_password(&s);
        let expected = if cfg!(debug_assertions) {
            "$argon2id$v=19$m=8,t=1,p=1$"
        } else {
            "$argon2id$v=19$m=19456,t=2,p=1$"
        };
        assert!(phc.starts_with(expected), "{phc}");
        assert!(verify_password(s.expose(), &phc));
        assert!(!verify_password("wrong", &phc));
    }
}
