//! The second factor: time-based one-time codes (RFC 6238) as authenticator apps make them, SHA-1,
//! 6 digits, a 30-second step, one step of clock skew either way; and one-time recovery codes.
//! Pure: the caller passes the time, the secret and the last step accepted.

use totp_rs::{Algorithm, Builder, Secret};

/// The secret's length in bytes: 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
pub const STEP_SECS: i64 = 30;
pub const DIGITS: usize = 6;
/// Steps accepted either side of the current one: a phone's clock a little off, a code typed late.
pub const SKEW: i64 = 1;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// The secret as base32 (RFC 4648, no padding): what the QR code carries and what is typed by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret).to_base32()
}

/// The secret of a base32 text (spaces and case ignored); `None` unless it is a full-length secret.
pub fn parse_secret(text: &str) -> Option<Vec<u8>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Secret::try_from_base32(clean)
        .ok()
        .map(|s| s.as_ref().to_vec())
        .filter(|b| b.len() == SECRET_LEN)
}

fn generator(secret: &[u8]) -> Option<totp_rs::Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(0)
        .with_step_duration(STEP_SECS as u64)
        .with_secret(secret.to_vec())
        .build()
        .ok()
}

/// The code of the step `unix_secs` falls in (what the app shows then); `None` for a secret too
/// short to be one.
pub fn code_at(secret: &[u8], unix_secs: i64) -> Option<String> {
    let t = u64::try_from(unix_secs).ok()?;
    Some(generator(secret)?.generate(t).to_string())
}

/// The 6 digits of what was typed ("123 456" too), or `None` when it isn't a code.
pub fn typed_code(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The time step `code` belongs to, when it is right at `unix_secs` within the skew and newer than
/// `last_step` (the one accepted before: a code is good once, RFC 6238 §5.2).
pub fn accept(secret: &[u8], code: &str, unix_secs: i64, last_step: Option<i64>) -> Option<i64> {
    let code = typed_code(code)?;
    let totp = generator(secret)?;
    let now = unix_secs.div_euclid(STEP_SECS);
    (now - SKEW..=now + SKEW)
        .filter(|&step| step >= 0 && last_step.is_none_or(|last| step > last))
        .find(|&step| u64::try_from(step * STEP_SECS).is_ok_and(|t| totp.check(&code, t).is_some()))
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn uri_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `otpauth://` address an authenticator app reads from the QR code (Key Uri Format): the
/// label is `issuer:account`, and the parameters say this module's choices.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    // A colon separates issuer and account in the label; none may be inside either.
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        uri_component(&issuer),
        uri_component(&account),
        secret_base32(secret),
        uri_component(&issuer),
    )
}

/// The alphabet of recovery codes: lower-case letters and digits without look-alikes (0/o, 1/l/i).
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in a recovery code, shown as two groups of five (`abcde-fghjk`).
pub const RECOVERY_LEN: usize = 10;

/// A recovery code for showing, from `RECOVERY_LEN` characters of the alphabet.
pub fn format_recovery_code(chars: &str) -> String {
    let (a, b) = chars.split_at(chars.len() / 2);
    format!("{a}-{b}")
}

/// A recovery code as typed, in the one form its hash is kept of (no dashes or spaces, lower
/// case); `None` when it can't be one.
pub fn typed_recovery_code(text: &str) -> Option<String> {
    let code: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == RECOVERY_LEN && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret: "12345678901234567890".
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238_vectors() {
        // The RFC's 8-digit values, cut to the 6 digits apps show.
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, t).as_deref(), Some(code), "{t}");
        }
    }

    #[test]
    fn a_code_is_good_one_step_either_side_and_once() {
        let t = 1_111_111_111;
        let step = t / STEP_SECS;
        let code = code_at(RFC_SECRET, t).expect("code");
        assert_eq!(accept(RFC_SECRET, &code, t, None), Some(step));
        assert_eq!(accept(RFC_SECRET, &code, t - STEP_SECS, None), Some(step));
        assert_eq!(accept(RFC_SECRET, &code, t + STEP_SECS, None), Some(step));
        assert_eq!(accept(RFC_SECRET, &code, t + 2 * STEP_SECS, None), None);
        assert_eq!(accept(RFC_SECRET, &code, t - 2 * STEP_SECS, None), None);
        // Spent: the same step again, or an older one, is refused.
        assert_eq!(accept(RFC_SECRET, &code, t, Some(step)), None);
        assert_eq!(accept(RFC_SECRET, &code, t, Some(step + 1)), None);
        assert_eq!(accept(RFC_SECRET, &code, t, Some(step - 1)), Some(step));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(accept(RFC_SECRET, &spaced, t, None), Some(step));
        assert_eq!(accept(RFC_SECRET, "12345", t, None), None);
        assert_eq!(accept(RFC_SECRET, "abcdef", t, None), None);
        assert_eq!(accept(b"short", &code, t, None), None);
    }

    #[test]
    fn secrets_round_trip_as_base32() {
        let secret = [7u8; SECRET_LEN];
        let text = secret_base32(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(parse_secret(&text).as_deref(), Some(&secret[..]));
        assert_eq!(
            parse_secret(&text.to_lowercase()).as_deref(),
            Some(&secret[..])
        );
        assert_eq!(parse_secret("AAAA"), None);
        assert_eq!(parse_secret("not base32!"), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("Cổng TT: Hà Lam", "bientap", &[1u8; SECRET_LEN]);
        assert!(
            uri.starts_with("otpauth://totp/C%E1%BB%95ng%20TT%20%20H%C3%A0%20Lam:bientap?secret=")
        );
        assert!(uri.ends_with("&algorithm=SHA1&digits=6&period=30"));
    }

    #[test]
    fn recovery_codes_are_read_as_typed() {
        assert_eq!(format_recovery_code("abcdefghjk"), "abcde-fghjk");
        assert_eq!(
            typed_recovery_code(" ABCDE-fghjk ").as_deref(),
            Some("abcdefghjk")
        );
        assert_eq!(typed_recovery_code("abcde-fghj"), None);
        assert_eq!(typed_recovery_code("abcde-fghj0"), None);
    }
}
