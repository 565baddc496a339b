//! Signing in and out, and choosing a new password.

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use rand::RngCore;
use sen_store::{Confirmation, SecondFactorOutcome, SignIn, SignInOutcome, StoreError};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{
    forms::FormErrors,
    page, safe_next,
    session::{
        AdminRequest, CODE_PAGE, Pending, SignedIn, expired_session_cookie, login_cookie,
        session_cookie,
    },
};
use crate::{
    app::App,
    error::{Error, ErrorCode},
};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn new_form_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

struct LoginPage<'a> {
    username: &'a str,
    next: &'a str,
    errors: FormErrors,
    notice: Option<String>,
    status: StatusCode,
    retry_after: Option<i64>,
}

async fn login_page(app: &App, req: &AdminRequest, view: LoginPage<'_>) -> Response {
    let ui = &app.admin_ui;
    let secure = app.config.is_https();
    // The form's token lives in a cookie of its own until there is a session.
    let (token, set_cookie) = match &req.login_csrf {
        Some(token) if token.len() == 48 => (token.clone(), None),
        _ => {
            let token = new_form_token();
            let cookie = login_cookie(&token, secure);
            (token, Some(cookie))
        }
    };
    let own = context! {
        form_csrf => token,
        username => view.username,
        next => view.next,
        errors => view.errors.value(),
        notice => view.notice,
    };
    let mut response = page(app, None, "login.html", "", &ui.message("sign_in"), own).await;
    *response.status_mut() = view.status;
    if let Some(cookie) = set_cookie
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Some(secs) = view.retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub async fn login_form(
    State(app): State<App>,
    req: AdminRequest,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if req.staff.is_some() {
        return Redirect::to(next).into_response();
    }
    let notice = match query.done.as_deref() {
        Some("signed_out") => Some(app.admin_ui.message("notice_signed_out")),
        Some("password") => Some(app.admin_ui.message("notice_password_changed")),
        Some("code_expired") => Some(app.admin_ui.message("notice_code_expired")),
        _ => None,
    };
    let view = LoginPage {
        username: "",
        next,
        errors: FormErrors::default(),
        notice,
        status: StatusCode::OK,
        retry_after: None,
    };
    login_page(&app, &req, view).await
}

fn minutes_to_wait(secs: i64) -> i64 {
    (secs + 59) / 60
}

/// The seconds for `Retry-After` and the message saying when to try again.
fn throttle_message(app: &App, retry_after: time::Duration) -> (i64, String) {
    let secs = retry_after.whole_seconds().max(1);
    let message = app
        .admin_ui
        .message("err_sign_in_throttled")
        .replace("{minutes}", &minutes_to_wait(secs).to_string());
    (secs, message)
}

/// Adds the cookies to a response, each its own `Set-Cookie`.
fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The code page for a pending sign-in, keeping where to go after it.
fn code_page_for(next: &str) -> String {
    if next == "/admin" {
        CODE_PAGE.to_string()
    } else {
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        format!("{CODE_PAGE}?{query}")
    }
}

pub async fn login(
    State(app): State<App>,
    req: AdminRequest,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let next = safe_next(Some(form.next.as_str()));
    let mut errors = FormErrors::default();
    let username = form.username.trim();
    if username.is_empty() {
        errors.add(ui, "username", "err_username_required");
    }
    if form.password.is_empty() {
        errors.add(ui, "password", "err_password_required");
    }
    let mut view = LoginPage {
        username,
        next,
        errors,
        notice: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
        retry_after: None,
    };
    if !view.errors.is_empty() {
        return Ok(login_page(&app, &req, view).await);
    }
    let attempt = SignIn {
        username: username.to_string(),
        password: form.password,
        client: req.client,
        user_agent: user_agent(&headers),
    };
    match app
        .store
        .sign_in(&attempt, OffsetDateTime::now_utc())
        .await?
    {
        SignInOutcome::SignedIn(new) => {
            let target = if new.session.pending {
                code_page_for(next)
            } else if new.session.user.must_change_password {
                "/admin/password".to_string()
            } else {
                next.to_string()
            };
            let secure = app.config.is_https();
            let cookies = [
                session_cookie(&new.token, secure),
                // The login form's token is spent: the next form gets another.
                format!("{}; Max-Age=0", login_cookie("", secure)),
            ];
            Ok(with_cookies(
                Redirect::to(&target).into_response(),
                &cookies,
            ))
        }
        SignInOutcome::Refused => {
            view.errors.add(ui, "password", "err_sign_in_refused");
            view.status = StatusCode::UNAUTHORIZED;
            Ok(login_page(&app, &req, view).await)
        }
        SignInOutcome::Throttled { retry_after } => {
            let (secs, message) = throttle_message(&app, retry_after);
            view.notice = None;
            view.status = StatusCode::TOO_MANY_REQUESTS;
            view.retry_after = Some(secs);
            let mut errors = FormErrors::default();
            errors.add_text("username", message);
            view.errors = errors;
            Ok(login_page(&app, &req, view).await)
        }
    }
}

/// 429 in the admin's error page, with `Retry-After`.
pub fn too_many(retry_after: time::Duration) -> Response {
    let mut response = Error::new(ErrorCode::TooManyRequests, "too many attempts").into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after.whole_seconds().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn code_page(
    app: &App,
    pending: &Pending,
    next: &str,
    errors: FormErrors,
    status: StatusCode,
    retry_after: Option<i64>,
) -> Response {
    let own = context! {
        form_csrf => pending.csrf.as_str(),
        next => next,
        errors => errors.value(),
    };
    let title = app.admin_ui.message("code_title");
    let mut response = page(app, None, "login_code.html", "", &title, own).await;
    *response.status_mut() = status;
    if let Some(secs) = retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The second step of signing in: the code from the authenticator app, or a recovery code.
pub async fn code_form(
    State(app): State<App>,
    req: AdminRequest,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    match &req.pending {
        Some(pending) => {
            code_page(
                &app,
                pending,
                next,
                FormErrors::default(),
                StatusCode::OK,
                None,
            )
            .await
        }
        None if req.staff.is_some() => Redirect::to(next).into_response(),
        None => Redirect::to("/admin/login?done=code_expired").into_response(),
    }
}

pub async fn submit_code(
    State(app): State<App>,
    req: AdminRequest,
    Form(form): Form<CodeForm>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let next = safe_next(Some(form.next.as_str()));
    let Some(pending) = &req.pending else {
        return Ok(Redirect::to("/admin/login?done=code_expired").into_response());
    };
    let mut errors = FormErrors::default();
    if form.code.trim().is_empty() {
        errors.add(ui, "code", "err_code_required");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(code_page(&app, pending, next, errors, status, None).await);
    }
    let outcome = app
        .store
        .complete_sign_in(
            &pending.token,
            &form.code,
            req.client,
            OffsetDateTime::now_utc(),
        )
        .await?;
    match outcome {
        SecondFactorOutcome::SignedIn(new) => {
            let target = if new.session.user.must_change_password {
                "/admin/password"
            } else {
                next
            };
            let cookie = session_cookie(&new.token, app.config.is_https());
            Ok(with_cookies(
                Redirect::to(target).into_response(),
                &[cookie],
            ))
        }
        SecondFactorOutcome::Refused => {
            errors.add(ui, "code", "err_code_wrong");
            let status = StatusCode::UNAUTHORIZED;
            Ok(code_page(&app, pending, next, errors, status, None).await)
        }
        SecondFactorOutcome::Throttled { retry_after } => {
            let (secs, message) = throttle_message(&app, retry_after);
            errors.add_text("code", message);
            let status = StatusCode::TOO_MANY_REQUESTS;
            Ok(code_page(&app, pending, next, errors, status, Some(secs)).await)
        }
        SecondFactorOutcome::Expired => {
            let cookie = expired_session_cookie(app.config.is_https());
            let response = Redirect::to("/admin/login?done=code_expired").into_response();
            Ok(with_cookies(response, &[cookie]))
        }
    }
}

pub async fn logout(State(app): State<App>, SignedIn(staff): SignedIn) -> Result<Response, Error> {
    app.store
        .sign_out(&staff.token, staff.client, OffsetDateTime::now_utc())
        .await?;
    let mut response = Redirect::to("/admin/login?done=signed_out").into_response();
    if let Ok(value) = HeaderValue::from_str(&expired_session_cookie(app.config.is_https())) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn password_page(
    app: &App,
    staff: &super::Staff,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let own = context! {
        errors => errors.value(),
        forced => staff.user.must_change_password,
    };
    let title = app.admin_ui.message("password_title");
    let mut response = page(
        app,
        Some(staff),
        "password.html",
        "/admin/account",
        &title,
        own,
    )
    .await;
    *response.status_mut() = status;
    response
}

pub async fn password_form(State(app): State<App>, SignedIn(staff): SignedIn) -> Response {
    password_page(&app, &staff, FormErrors::default(), StatusCode::OK).await
}

/// A new password for oneself. The current one is checked as a sign-in is (a wrong one counts
/// towards throttling); the new one ends every session, this one included, so a fresh session
/// is opened with it.
pub async fn change_password(
    State(app): State<App>,
    SignedIn(staff): SignedIn,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let mut errors = FormErrors::default();
    if form.current_password.is_empty() {
        errors.add(ui, "current_password", "err_current_password_required");
    }
    if form.password.is_empty() {
        errors.add(ui, "password", "err_password_required");
    } else if let Err(err) =
        sen_core::accounts::check_password(&form.password, &staff.user.username)
    {
        errors.validation(ui, &err);
    }
    if form.password != form.password_confirm {
        errors.add(ui, "password_confirm", "err_password_confirm");
    }
    if form.password == form.current_password && !form.password.is_empty() {
        errors.add(ui, "password", "err_password_unchanged");
    }
    if !errors.is_empty() {
        return Ok(password_page(&app, &staff, errors, StatusCode::UNPROCESSABLE_ENTITY).await);
    }
    let now = OffsetDateTime::now_utc();
    match app
        .store
        .confirm_identity(
            &staff.user,
            &form.current_password,
            false,
            staff.client,
            now,
        )
        .await?
    {
        Confirmation::Right => {}
        Confirmation::Wrong => {
            errors.add(ui, "current_password", "err_current_password_wrong");
            return Ok(password_page(&app, &staff, errors, StatusCode::UNPROCESSABLE_ENTITY).await);
        }
        Confirmation::Throttled { retry_after } => return Ok(too_many(retry_after)),
    }
    match app
        .store
        .set_password(&staff.actor(), staff.user.id, &form.password, false)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Invalid(err)) => {
            errors.validation(ui, &err);
            return Ok(password_page(&app, &staff, errors, StatusCode::UNPROCESSABLE_ENTITY).await);
        }
        Err(err) => return Err(err.into()),
    }
    let fresh = SignIn {
        username: staff.user.username.clone(),
        password: form.password,
        client: staff.client,
        user_agent: user_agent(&headers),
    };
    let mut response = match app.store.sign_in(&fresh, now).await? {
        SignInOutcome::SignedIn(new) => {
            // With a second factor the new session waits for its code, as at any sign-in.
            let target = if new.session.pending {
                code_page_for("/admin/account?done=password")
            } else {
                "/admin/account?done=password".to_string()
            };
            let cookie = session_cookie(&new.token, app.config.is_https());
            with_cookies(Redirect::to(&target).into_response(), &[cookie])
        }
        _ => Redirect::to("/admin/login?done=password").into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
