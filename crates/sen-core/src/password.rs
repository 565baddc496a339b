//! Password hashing: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), as PHC strings.
//!
//! Pure CPU work, so it lives in the domain; the caller supplies the salt (the store draws it), which
//! keeps this crate free of I/O and the hashes reproducible in tests. A hash takes tens of
//! milliseconds: async callers run it on a blocking thread.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use unicode_normalization::UnicodeNormalization;

pub const SALT_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of `password`, NFC-normalised first so the
/// same Vietnamese password typed on any keyboard matches.
pub fn hash(password: &str, salt: &[u8; SALT_LEN]) -> Result<String, HashError> {
    let password: String = password.nfc().collect();
    let hash = hasher()?
        .hash_password_with_salt(password.as_bytes(), salt)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (with the parameters written in it). An
/// unreadable hash matches nothing.
pub fn verify(password: &str, hash: &str) -> bool {
    let password: String = password.nfc().collect();
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash no password is known to match, made with the same parameters as real ones.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash("sen: no such user", &[0x5e; SALT_LEN]).unwrap_or_default());

/// Verifies against the user's hash, or when there is no such user against a dummy hash: an
/// unknown username costs as long as a wrong password, so timing can't tell which names exist.
pub fn verify_or_dummy(password: &str, hash: Option<&str>) -> bool {
    match hash {
        Some(hash) => verify(password, hash),
        None => {
            verify(password, &DUMMY);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hash("Hà Lam mùa thu 2026", &[7; SALT_LEN]).expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Hà Lam mùa thu 2026", &h));
        assert!(!verify("Hà Lam mùa thu 2025", &h));
        // The same text typed decomposed (NFD) is the same password.
        let nfd: String = "Hà Lam mùa thu 2026".nfd().collect();
        assert!(verify(&nfd, &h));
        assert!(!verify("x", "not a phc string"));
        assert_ne!(
            h,
            hash("Hà Lam mùa thu 2026", &[8; SALT_LEN]).expect("hash")
        );
    }

    #[test]
    fn an_unknown_user_costs_a_verification_and_never_matches() {
        assert!(DUMMY.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!verify_or_dummy("sen: no such user", None));
        let h = hash("mật khẩu đủ dài", &[1; SALT_LEN]).expect("hash");
        assert!(verify_or_dummy("mật khẩu đủ dài", Some(&h)));
        // Timing: both paths run one Argon2id of the same cost.
        let time = |f: &dyn Fn()| {
            let t = std::time::Instant::now();
            f();
            t.elapsed()
        };
        let known = time(&|| {
            verify_or_dummy("wrong password", Some(&h));
        });
        let unknown = time(&|| {
            verify_or_dummy("wrong password", None);
        });
        let ratio = known.as_secs_f64() / unknown.as_secs_f64();
        assert!((0.33..3.0).contains(&ratio), "{known:?} vs {unknown:?}");
    }
}
