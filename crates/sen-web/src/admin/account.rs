//! One's own account: the password, API tokens, signing out everywhere.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{format, policy};
use sen_store::ApiToken;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{Staff, allowed, forms::FormErrors, page, role_label, session::expired_session_cookie};
use crate::{app::App, error::Error};

#[derive(Serialize)]
struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    last_used: String,
    revoked: bool,
    expired: bool,
}

fn token_row(t: &ApiToken, now: OffsetDateTime) -> TokenRow {
    TokenRow {
        id: t.id,
        name: t.name.clone(),
        created: format::time_date(t.created_at),
        expires: t.expires_at.map(format::date).unwrap_or_default(),
        last_used: t.last_used_at.map(format::time_date).unwrap_or_default(),
        revoked: t.revoked_at.is_some(),
        expired: t.expires_at.is_some_and(|e| e <= now),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

struct AccountView {
    errors: FormErrors,
    name: String,
    expires: String,
    /// A token just made: shown once.
    new_token: Option<String>,
    notice: Option<String>,
    status: StatusCode,
}

async fn account_page(app: &App, staff: &Staff, view: AccountView) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let now = OffsetDateTime::now_utc();
    let tokens: Vec<TokenRow> = app
        .store
        .tokens(Some(staff.user.id))
        .await?
        .iter()
        .map(|t| token_row(t, now))
        .collect();
    let own = context! {
        totp_enabled => staff.user.totp_enabled,
        recovery_codes_left => app.store.recovery_codes_left(staff.user.id).await?,
        tokens => Value::from(Serde(&tokens)),
        role => role_label(ui, staff.user.role),
        username => staff.user.username.as_str(),
        errors => view.errors.value(),
        form => context! { name => view.name, expires => view.expires },
        new_token => view.new_token,
        notice => view.notice,
    };
    let title = ui.message("nav_account");
    let mut response = page(
        app,
        Some(staff),
        "account.html",
        "/admin/account",
        &title,
        own,
    )
    .await;
    *response.status_mut() = view.status;
    Ok(response)
}

pub async fn account(
    State(app): State<App>,
    staff: Staff,
    Query(done): Query<Done>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_own_account(&staff.user))?;
    let notice = done
        .done
        .as_deref()
        .map(|key| app.admin_ui.message(&format!("notice_{key}")));
    let view = AccountView {
        errors: FormErrors::default(),
        name: String::new(),
        expires: "90".into(),
        new_token: None,
        notice,
        status: StatusCode::OK,
    };
    account_page(&app, &staff, view).await
}

/// The account page with the errors of a form on it (turning the second factor off).
pub async fn account_with_errors(
    app: &App,
    staff: &Staff,
    errors: FormErrors,
) -> Result<Response, Error> {
    let view = AccountView {
        errors,
        name: String::new(),
        expires: "90".into(),
        new_token: None,
        notice: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    account_page(app, staff, view).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// Days until it expires: 30, 90, 365, or "" for never.
    #[serde(default)]
    expires: String,
}

pub async fn create_token(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<TokenForm>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_own_account(&staff.user))?;
    let ui = &app.admin_ui;
    let mut errors = FormErrors::default();
    let name = form.name.trim();
    if name.is_empty() {
        errors.add(ui, "name", "err_token_name_required");
    }
    let days = match form.expires.trim() {
        "" | "never" => None,
        text => match text.parse::<i64>() {
            Ok(d) if (1..=3650).contains(&d) => Some(d),
            _ => {
                errors.add(ui, "expires", "err_token_expires");
                None
            }
        },
    };
    let mut view = AccountView {
        errors,
        name: name.to_string(),
        expires: form.expires.clone(),
        new_token: None,
        notice: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    if view.errors.is_empty() {
        let now = OffsetDateTime::now_utc();
        let expires_at = days.map(|d| now + Duration::days(d));
        match app
            .store
            .create_token(&staff.actor(), staff.user.id, name, expires_at, now)
            .await
        {
            Ok(made) => {
                view.new_token = Some(made.token);
                view.name = String::new();
                view.status = StatusCode::CREATED;
            }
            Err(err) => view.errors.store(ui, err)?,
        }
    }
    account_page(&app, &staff, view).await
}

pub async fn revoke_token(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_own_account(&staff.user))?;
    let id: i64 = id
        .parse()
        .map_err(|_| Error::invalid_parameter("id", "not a token id"))?;
    // Only one's own tokens: another user's id is as if it did not exist.
    let token = app
        .store
        .token(id)
        .await?
        .filter(|t| t.user_id == staff.user.id);
    let token = token.ok_or_else(Error::not_found)?;
    app.store
        .revoke_token(&staff.actor(), token.id, OffsetDateTime::now_utc())
        .await?;
    Ok(Redirect::to("/admin/account?done=token_revoked").into_response())
}

/// Ends every session of this user, this one too.
pub async fn sign_out_everywhere(State(app): State<App>, staff: Staff) -> Result<Response, Error> {
    app.store
        .sign_out_everywhere(&staff.actor(), staff.user.id, OffsetDateTime::now_utc())
        .await?;
    let mut response = Redirect::to("/admin/login?done=signed_out").into_response();
    if let Ok(value) = HeaderValue::from_str(&expired_session_cookie(app.config.is_https())) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
