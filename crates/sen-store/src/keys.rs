//! Secrets handed to clients (session and API tokens, CSRF secrets) and the hashes they are kept as.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes as base64url without padding (43 characters): safe in cookies, headers and URLs.
/// rand's thread RNG is a CSPRNG seeded from the operating system.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random password that keeps the rules, for a new account or a reset: 20 characters of an
/// alphabet without look-alikes.
pub fn random_password() -> String {
    use rand::seq::IndexedRandom;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .filter_map(|_| ALPHABET.choose(&mut rng).map(|&b| char::from(b)))
        .collect()
}

/// A fresh secret for a second factor.
pub(crate) fn totp_secret() -> [u8; sen_core::totp::SECRET_LEN] {
    let mut secret = [0u8; sen_core::totp::SECRET_LEN];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// A recovery code in its stored form (`sen_core::totp::typed_recovery_code`): 10 characters of
/// a 31-letter alphabet, about 50 bits, enough behind sign-in throttling.
pub(crate) fn recovery_code() -> String {
    use rand::seq::IndexedRandom;
    let mut rng = rand::rng();
    (0..sen_core::totp::RECOVERY_LEN)
        .filter_map(|_| {
            sen_core::totp::RECOVERY_ALPHABET
                .choose(&mut rng)
                .map(|&b| char::from(b))
        })
        .collect()
}

/// A fresh salt for a password hash.
pub(crate) fn salt() -> [u8; sen_core::password::SALT_LEN] {
    let mut salt = [0u8; sen_core::password::SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    salt
}

/// The SHA-256 of a token, in hex: what the database keeps instead of the token. A plain hash is
/// enough: the token has 256 bits of entropy, nothing to guess.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn task_failed(e: impl std::fmt::Display) -> crate::StoreError {
    crate::StoreError::Database(crate::Cause::Task(e.to_string()))
}

/// Hashes a password on a blocking thread (Argon2id takes tens of milliseconds of CPU).
pub(crate) async fn hash_password(password: String) -> crate::Result<String> {
    let salt = salt();
    tokio::task::spawn_blocking(move || sen_core::password::hash(&password, &salt))
        .await
        .map_err(task_failed)?
        .map_err(task_failed)
}

/// Verifies a password on a blocking thread; without a stored hash against the dummy one, so an
/// unknown user costs the same time.
pub(crate) async fn verify_password(password: String, hash: Option<String>) -> crate::Result<bool> {
    tokio::task::spawn_blocking(move || {
        sen_core::password::verify_or_dummy(&password, hash.as_deref())
    })
    .await
    .map_err(task_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_passwords_keep_the_rules() {
        let p = random_password();
        assert_eq!(p.chars().count(), 20);
        assert!(sen_core::accounts::check_password(&p, "admin").is_ok());
        assert_ne!(p, random_password());
    }

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, random_token());
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
