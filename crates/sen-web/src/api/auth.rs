//! Who calls a write endpoint: `Authorization: Bearer <token>`, resolved by the store to an active
//! user, and the policy's answer for the action.

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, header, request::Parts},
};
use sen_core::{Actor, User};

use super::ApiError;
use crate::{app::App, identity::ClientAddr};

/// A member of staff calling with an API token, and who they act as (with the client address
/// the audit log records).
pub struct Staff {
    pub user: User,
    pub actor: Actor,
}

impl Staff {
    /// Goes on when the policy allows `check` to this user, else 403.
    pub fn allowed(&self, check: fn(&User) -> bool) -> Result<(), ApiError> {
        if check(&self.user) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// The token of an `Authorization: Bearer` header (the scheme in any case). `Err` when the header
/// is there but not a bearer token.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
            .then_some(token)
    });
    Some(parsed.ok_or(()))
}

impl FromRequestParts<App> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = match bearer(&parts.headers) {
            None => return Err(ApiError::Unauthorized { presented: false }),
            Some(Err(())) => return Err(ApiError::Unauthorized { presented: true }),
            Some(Ok(token)) => token,
        };
        let auth = app
            .store
            .token_user(token, time::OffsetDateTime::now_utc())
            .await?
            .ok_or(ApiError::Unauthorized { presented: true })?;
        let client = parts.extensions.get::<ClientAddr>().and_then(|c| c.0);
        Ok(Self {
            actor: auth.user.actor(client),
            user: auth.user,
        })
    }
}

/// A token when one is sent (and then it must be good); none for the public.
impl OptionalFromRequestParts<App> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &App,
    ) -> Result<Option<Self>, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            <Self as FromRequestParts<App>>::from_request_parts(parts, app)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let read = |v: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert(
                    header::AUTHORIZATION,
                    HeaderValue::from_str(v).expect("value"),
                );
            }
            bearer(&h).map(|r| r.map(str::to_string))
        };
        assert_eq!(read(None), None);
        assert_eq!(read(Some("Bearer sen_abc")), Some(Ok("sen_abc".into())));
        assert_eq!(read(Some("bearer  sen_abc ")), Some(Ok("sen_abc".into())));
        for bad in [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "sen_abc",
        ] {
            assert_eq!(read(Some(bad)), Some(Err(())), "{bad}");
        }
    }
}
