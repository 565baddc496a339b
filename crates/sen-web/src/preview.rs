//! Preview links: `/xem-truoc/{token}` shows an article as its public page would, whatever its
//! status, to whoever has the link, for 7 days. The token names the article and its end, signed
//! with a key every node shares (HMAC-SHA-256); nothing is stored per link.

use axum::{
    extract::{Path, State},
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::{app::App, error::Error};

/// The name of the shared signing key in the store's secrets.
pub const KEY_NAME: &str = "preview-links";

/// How long a preview link opens.
pub const VALID_FOR: Duration = Duration::days(7);

fn mac(key: &str, id: i64, until: i64) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("preview:{id}:{until}").as_bytes());
    mac
}

/// A token for article `id`, valid for [`VALID_FOR`] from `now`.
pub fn sign(key: &str, id: i64, now: OffsetDateTime) -> String {
    let until = (now + VALID_FOR).unix_timestamp();
    let tag = URL_SAFE_NO_PAD.encode(mac(key, id, until).finalize().into_bytes());
    format!("{id}.{until}.{tag}")
}

/// The article a token opens at `now`, if it is genuine and not expired.
pub fn verify(key: &str, token: &str, now: OffsetDateTime) -> Option<i64> {
    let mut parts = token.splitn(3, '.');
    let id: i64 = parts.next()?.parse().ok()?;
    let until: i64 = parts.next()?.parse().ok()?;
    let tag = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    mac(key, id, until).verify_slice(&tag).ok()?;
    (now.unix_timestamp() <= until).then_some(id)
}

/// Whether `text` has a token's shape (for showing one back), whatever its signature.
pub fn looks_like_token(text: &str) -> bool {
    text.len() < 200
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

pub async fn show(State(app): State<App>, Path(token): Path<String>) -> Result<Response, Error> {
    let key = app.store.secret(KEY_NAME).await?;
    let id = verify(&key, &token, OffsetDateTime::now_utc()).ok_or_else(Error::not_found)?;
    let article = app.store.article(id).await?.ok_or_else(Error::not_found)?;
    crate::pages::preview_page(&app, article).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 8:00 UTC);

    #[test]
    fn a_link_opens_its_article_for_seven_days() {
        let token = sign("key", 42, NOW);
        assert_eq!(verify("key", &token, NOW), Some(42));
        assert_eq!(verify("key", &token, NOW + Duration::days(7)), Some(42));
        assert_eq!(
            verify(
                "key",
                &token,
                NOW + Duration::days(7) + Duration::seconds(1)
            ),
            None
        );
    }

    #[test]
    fn a_changed_or_foreign_token_opens_nothing() {
        let token = sign("key", 42, NOW);
        assert_eq!(verify("other key", &token, NOW), None);
        let other_article = token.replacen("42.", "43.", 1);
        assert_eq!(verify("key", &other_article, NOW), None);
        let (head, _) = token.rsplit_once('.').expect("three parts");
        let later = head.replace(
            &(NOW + VALID_FOR).unix_timestamp().to_string(),
            "9999999999",
        );
        assert_eq!(verify("key", &format!("{later}.x"), NOW), None);
        for junk in ["", "42", "42.1", "a.b.c", "42.9999999999.!!"] {
            assert_eq!(verify("key", junk, NOW), None, "{junk}");
        }
    }
}
