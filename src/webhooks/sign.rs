//! Signing a delivery: `Saldo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<body>"` with the subscription's secret, as docs/webhooks.md shows receivers to check.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header's value for `body` sent at `timestamp`.
pub fn header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body)))
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `header` signs `body` with `secret` (what a receiver does), comparing in constant
/// time.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => given = Some(v.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(given)) = (timestamp, given) else {
        return false;
    };
    let expected = hex(&mac(secret, t, body));
    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let signed = header("whsec", 1_700_000_000, br#"{"seq":1}"#);
        assert!(signed.starts_with("t=1700000000,v1="));
        assert_eq!(signed.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify("whsec", &signed, br#"{"seq":1}"#));
        assert!(!verify("whsec", &signed, br#"{"seq":2}"#));
        assert!(!verify("other", &signed, br#"{"seq":1}"#));
        assert!(!verify("whsec", "v1=00", br#"{"seq":1}"#));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        let signed = header("key", 0, b"The quick brown fox jumps over the lazy dog");
        // HMAC-SHA256("key", "0.The quick brown fox jumps over the lazy dog"), computed with
        // Python's hmac module.
        assert_eq!(
            signed,
            "t=0,v1=8511f28f7a1949f0c42772b447d68b2daf760f5f0439a20a17e3b4e7cd395763"
        );
    }
}
