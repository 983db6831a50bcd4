//! GitHub's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA-256 of the raw
//! body with the webhook secret>`. Checked over the exact bytes received, before anything
//! is parsed, in constant time (`Mac::verify_slice`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hex digits>")]
    Malformed,
    #[error("the signature does not match the body and the configured webhook secret")]
    Mismatch,
}

/// Checks `header` (the value of `X-Hub-Signature-256`) against `body`.
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header.trim().strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// The header value GitHub would send (for tests and tools).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector from GitHub's "Validating webhook deliveries" documentation.
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const PAYLOAD: &[u8] = b"Hello, World!";
    const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_published_test_vector() {
        assert_eq!(sign(SECRET, PAYLOAD), SIGNATURE);
        assert_eq!(verify(SECRET, PAYLOAD, Some(SIGNATURE)), Ok(()));
    }

    #[test]
    fn every_bad_signature_is_refused() {
        assert_eq!(verify(SECRET, PAYLOAD, None), Err(SignatureError::Missing));
        // sha1 only (the legacy X-Hub-Signature format).
        assert_eq!(
            verify(SECRET, PAYLOAD, Some("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify(SECRET, PAYLOAD, Some("sha256=zz")), Err(SignatureError::Malformed));
        assert_eq!(verify(b"wrong secret", PAYLOAD, Some(SIGNATURE)), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, b"Hello, World?", Some(SIGNATURE)), Err(SignatureError::Mismatch));
        let mut flipped = SIGNATURE.to_owned();
        flipped.replace_range(70..71, if &SIGNATURE[70..71] == "0" { "1" } else { "0" });
        assert_eq!(verify(SECRET, PAYLOAD, Some(&flipped)), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, PAYLOAD, Some(&SIGNATURE.to_uppercase().replace("SHA256=", "sha256="))), Ok(()));
    }
}
