//! Who is signed in, and what every admin request passes first: the session cookie, the same-origin
//! and CSRF checks of every state-changing request, and the admin's response headers.

use std::net::IpAddr;

use axum::{
    body::{Body, to_bytes},
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use sen_core::{Actor, User, policy};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{render_error, safe_next};
use crate::{
    app::App,
    error::{Error, ErrorCode, ErrorPage},
    identity::{ClientAddr, cookie_in},
};

/// The session's token; the database keeps only its hash.
pub const SESSION_COOKIE: &str = "sen_admin";
/// The login form's CSRF token, before there is a session to hold one.
pub const LOGIN_COOKIE: &str = "sen_login";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A form larger than this is refused before it is read (uploads, later, send the header token).
const MAX_FORM_BYTES: usize = 1 << 20;

const ADMIN_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: https:; media-src 'self' https:; frame-ancestors 'none'; \
    form-action 'self'; base-uri 'none'; object-src 'none'";

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    /// This session's CSRF secret, written into every form.
    pub csrf: String,
    /// The session's token, to sign this session out.
    pub token: String,
    pub client: Option<IpAddr>,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        self.user.actor(self.client)
    }
}

/// A sign-in waiting for its second factor: it opens nothing but the code page.
#[derive(Debug, Clone)]
pub struct Pending {
    pub token: String,
    pub csrf: String,
}

/// What the admin layer learnt about a request, for the handlers.
#[derive(Debug, Clone)]
pub struct AdminRequest {
    pub staff: Option<Staff>,
    pub client: Option<IpAddr>,
    /// The login form's token from its cookie, when the browser has one.
    pub login_csrf: Option<String>,
    pub pending: Option<Pending>,
}

/// The code page, the one place a pending sign-in may go.
pub const CODE_PAGE: &str = "/admin/login/code";
/// Where a user who must enrol a second factor is sent.
pub const ENROL_PAGE: &str = "/admin/account/second-factor";

/// A new login-form token, and the cookie that carries it.
pub fn login_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=7200{secure}")
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    // No Max-Age: the browser forgets it when closed; the server ends it after 2 h idle or 12 h.
    format!("{SESSION_COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Lax{secure}")
}

pub fn expired_session_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/admin; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// Equal secrets, compared through their digests so the time taken says nothing about them.
fn same_secret(given: &str, expected: &str) -> bool {
    !given.is_empty() && Sha256::digest(given) == Sha256::digest(expected)
}

/// A state-changing request must come from our own pages: when the browser names where the request
/// comes from (`Origin`, else `Referer`), it must be this site.
fn same_origin(app: &App, headers: &HeaderMap) -> bool {
    let named = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(named) = named else { return true };
    let origin_of = |url: &str| -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split('/').next()?;
        Some(format!("{scheme}://{host}").to_ascii_lowercase())
    };
    let Some(named) = origin_of(named) else {
        return false;
    };
    let configured = origin_of(&app.config.base_url);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| h.to_ascii_lowercase());
    let scheme = if app.config.is_https() {
        "https"
    } else {
        "http"
    };
    configured.as_deref() == Some(named.as_str())
        || host.is_some_and(|h| named == format!("{scheme}://{h}"))
}

fn forbidden(message: &str) -> Response {
    Error::new(ErrorCode::Forbidden, message).into_response()
}

/// The admin section's layer: resolves the session, refuses a state-changing request that is not
/// same-origin or lacks its CSRF token (403, nothing changed), renders error pages in the admin's
/// layout, and sets the admin's headers.
pub async fn admin_layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let client = req.extensions().get::<ClientAddr>().and_then(|c| c.0);
    let now = OffsetDateTime::now_utc();
    let token = cookie_in(req.headers(), SESSION_COOKIE).map(str::to_string);
    let session = match &token {
        Some(token) => match app.store.session(token, now).await {
            Ok(session) => session.map(|s| (s, token.clone())),
            Err(err) => {
                let response = Error::from(err).into_response();
                return finish(&app, None, response).await;
            }
        },
        None => None,
    };
    // A pending session is no session for any page but the code page.
    let (staff, pending) = match session {
        Some((s, token)) if s.pending => (
            None,
            Some(Pending {
                token,
                csrf: s.csrf_secret,
            }),
        ),
        Some((s, token)) => (
            Some(Staff {
                user: s.user,
                csrf: s.csrf_secret,
                token,
                client,
            }),
            None,
        ),
        None => (None, None),
    };
    let login_csrf = cookie_in(req.headers(), LOGIN_COOKIE).map(str::to_string);
    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        if !same_origin(&app, req.headers()) {
            return finish(&app, staff.as_ref(), forbidden("cross-origin request")).await;
        }
        let expected = match (&staff, req.uri().path()) {
            (_, "/admin/login") => login_csrf.clone(),
            (_, CODE_PAGE) => pending.as_ref().map(|p| p.csrf.clone()),
            (Some(staff), _) => Some(staff.csrf.clone()),
            (None, _) => None,
        };
        let Some(expected) = expected else {
            let response = if req.uri().path() == "/admin/login" {
                forbidden("missing form token")
            } else if req.uri().path() == CODE_PAGE {
                Redirect::to("/admin/login?done=code_expired").into_response()
            } else {
                Error::new(ErrorCode::Unauthorized, "not signed in").into_response()
            };
            return finish(&app, staff.as_ref(), response).await;
        };
        // An upload's form names its token in its address: its body is a file, streamed on
        // without being read here.
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let query_token: Option<String> = multipart.then(|| {
            req.uri()
                .query()
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD))
                .map(|(_, v)| v)
                .unwrap_or_default()
        });
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or(query_token);
        match header_token {
            Some(given) if same_secret(&given, &expected) => {}
            Some(_) => {
                return finish(&app, staff.as_ref(), forbidden("wrong form token")).await;
            }
            None => {
                let (parts, body) = req.into_parts();
                let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
                    let response =
                        (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
                    return finish(&app, staff.as_ref(), response).await;
                };
                let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                    .ok()
                    .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD))
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                if !same_secret(&given, &expected) {
                    return finish(&app, staff.as_ref(), forbidden("wrong form token")).await;
                }
                req = Request::from_parts(parts, Body::from(bytes));
            }
        }
    }
    req.extensions_mut().insert(AdminRequest {
        staff: staff.clone(),
        client,
        login_csrf,
        pending,
    });
    let response = next.run(req).await;
    finish(&app, staff.as_ref(), response).await
}

/// Renders an error response in the admin's layout and adds the admin's headers.
async fn finish(app: &App, staff: Option<&Staff>, response: Response) -> Response {
    let mut response = match response.extensions().get::<ErrorPage>().cloned() {
        Some(ErrorPage(error)) => {
            let status = response.status();
            let retry = response.headers().get(header::RETRY_AFTER).cloned();
            let mut page = render_error(app, staff, &error).await;
            *page.status_mut() = status;
            if let Some(retry) = retry {
                page.headers_mut().insert(header::RETRY_AFTER, retry);
            }
            page
        }
        None => response,
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ADMIN_CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn request_of(parts: &Parts) -> Option<&AdminRequest> {
    parts.extensions.get::<AdminRequest>()
}

fn to_login(parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/admin");
    let next = safe_next(Some(here));
    if next == "/admin" {
        Redirect::to("/admin/login").into_response()
    } else {
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        Redirect::to(&format!("/admin/login?{query}")).into_response()
    }
}

/// A signed-in member of staff who may use the admin; one who must change their password is sent
/// to do so first, and an admin or editor without a second factor, when the portal requires one,
/// to enrol.
impl FromRequestParts<App> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let staff = SignedIn::from_parts(parts)
            .map_err(|refusal| SignedIn::refuse(parts, refusal))?
            .0;
        if staff.user.must_change_password {
            return Err(Redirect::to("/admin/password").into_response());
        }
        // The setting is read only for those it could bind.
        if policy::must_enrol_second_factor(&staff.user, true) {
            let required = app
                .store
                .second_factor_required()
                .await
                .map_err(|err| Error::from(err).into_response())?;
            if policy::must_enrol_second_factor(&staff.user, required) {
                return Err(Redirect::to(ENROL_PAGE).into_response());
            }
        }
        Ok(staff)
    }
}

/// Signed in, whether or not the password must be changed first (the password page itself).
pub struct SignedIn(pub Staff);

/// Why a request can't go on as staff.
enum Refusal {
    NotSignedIn,
    NoAdminAccess,
}

impl SignedIn {
    fn from_parts(parts: &Parts) -> Result<Self, Refusal> {
        let staff = request_of(parts)
            .and_then(|r| r.staff.clone())
            .ok_or(Refusal::NotSignedIn)?;
        if !sen_core::policy::can_enter_admin(&staff.user) {
            return Err(Refusal::NoAdminAccess);
        }
        Ok(Self(staff))
    }

    fn refuse(parts: &Parts, refusal: Refusal) -> Response {
        match refusal {
            Refusal::NotSignedIn => to_login(parts),
            Refusal::NoAdminAccess => {
                Error::new(ErrorCode::Forbidden, "no admin access").into_response()
            }
        }
    }
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        Self::from_parts(parts).map_err(|refusal| Self::refuse(parts, refusal))
    }
}

impl FromRequestParts<App> for AdminRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        request_of(parts)
            .cloned()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "outside the admin").into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("", ""));
        assert!(!same_secret("ab", "abc"));
    }
}
