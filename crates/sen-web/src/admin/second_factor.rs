//! The second factor: enrolling one's own (a QR code and the secret to type, confirmed by a code;
//! the recovery codes shown once), turning it off, an administrator's reset, and the portal's
//! requirement for admins and editors.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use qrcode::{QrCode, render::svg};
use sen_core::{policy, totp};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{
    Staff, allowed,
    auth::too_many,
    forms::{Done, FormErrors},
    page,
    session::{ENROL_PAGE, SignedIn},
    site_name,
};
use crate::{app::App, error::Error};

/// The QR code of `text` as inline SVG markup (no script, no style: the CSP allows it).
fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The XML declaration can't stand inside a page.
    image.find("<svg").map(|at| image[at..].to_string())
}

/// The secret in groups of four, easier to type from the screen.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

struct EnrolView<'a> {
    secret: &'a [u8],
    errors: FormErrors,
    /// Just enrolled: shown once.
    recovery_codes: Option<Vec<String>>,
    status: StatusCode,
}

async fn enrol_page(app: &App, staff: &Staff, view: EnrolView<'_>) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let issuer = site_name(app).await;
    let uri = totp::otpauth_uri(&issuer, &staff.user.username, view.secret);
    let secret = totp::secret_base32(view.secret);
    let required = app.store.second_factor_required().await?;
    let own = context! {
        qr => qr_svg(&uri),
        secret => secret.as_str(),
        secret_grouped => grouped(&secret),
        errors => view.errors.value(),
        recovery_codes => view.recovery_codes,
        forced => policy::must_enrol_second_factor(&staff.user, required),
    };
    let title = ui.message("second_factor_enable");
    let mut response = page(
        app,
        Some(staff),
        "second_factor.html",
        "/admin/account",
        &title,
        own,
    )
    .await;
    *response.status_mut() = view.status;
    Ok(response)
}

/// A new secret to scan; nothing is stored until a code made with it comes back.
pub async fn enrol_form(
    State(app): State<App>,
    SignedIn(staff): SignedIn,
) -> Result<Response, Error> {
    allowed(policy::can_manage_own_account(&staff.user))?;
    if staff.user.totp_enabled {
        return Ok(Redirect::to("/admin/account").into_response());
    }
    let secret = sen_store::new_totp_secret();
    let view = EnrolView {
        secret: &secret,
        errors: FormErrors::default(),
        recovery_codes: None,
        status: StatusCode::OK,
    };
    enrol_page(&app, &staff, view).await
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

/// Turns the second factor on when the code is right for the secret shown, and shows the
/// recovery codes once.
pub async fn enrol(
    State(app): State<App>,
    SignedIn(staff): SignedIn,
    Form(form): Form<EnrolForm>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_own_account(&staff.user))?;
    let ui = &app.admin_ui;
    let mut errors = FormErrors::default();
    // The secret comes back from the page it was shown on; one that can't be read starts over.
    let secret = totp::parse_secret(&form.secret).unwrap_or_else(sen_store::new_totp_secret);
    if form.code.trim().is_empty() {
        errors.add(ui, "code", "err_code_required");
    } else if let Some(codes) = app
        .store
        .enable_second_factor(
            &staff.actor(),
            staff.user.id,
            &secret,
            &form.code,
            OffsetDateTime::now_utc(),
        )
        .await?
    {
        let mut staff = staff;
        staff.user.totp_enabled = true;
        let view = EnrolView {
            secret: &secret,
            errors,
            recovery_codes: Some(codes),
            status: StatusCode::OK,
        };
        return enrol_page(&app, &staff, view).await;
    } else {
        errors.add(ui, "code", "err_code_wrong");
    }
    let view = EnrolView {
        secret: &secret,
        errors,
        recovery_codes: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    enrol_page(&app, &staff, view).await
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    /// The current password, or a current code.
    #[serde(default)]
    proof: String,
}

/// Turns one's own second factor off, with the password or a current code.
pub async fn disable(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<DisableForm>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_own_account(&staff.user))?;
    let ui = &app.admin_ui;
    let mut errors = FormErrors::default();
    if form.proof.is_empty() {
        errors.add(ui, "proof", "err_proof_required");
    } else {
        let now = OffsetDateTime::now_utc();
        match app
            .store
            .confirm_identity(&staff.user, &form.proof, true, staff.client, now)
            .await?
        {
            sen_store::Confirmation::Right => {
                app.store
                    .disable_second_factor(&staff.actor(), staff.user.id)
                    .await?;
                // Where the requirement binds, the enrolment page is next.
                return Ok(
                    Redirect::to("/admin/account?done=second_factor_disabled").into_response()
                );
            }
            sen_store::Confirmation::Wrong => errors.add(ui, "proof", "err_proof_wrong"),
            sen_store::Confirmation::Throttled { retry_after } => return Ok(too_many(retry_after)),
        }
    }
    super::account::account_with_errors(&app, &staff, errors).await
}

/// An administrator turns a user's second factor off (a lost phone); they sign in with the
/// password and, where required, enrol again.
pub async fn reset(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let user = super::users::existing(&app, &id).await?;
    app.store
        .disable_second_factor(&staff.actor(), user.id)
        .await?;
    Ok(Redirect::to("/admin/users?done=second_factor_reset").into_response())
}

pub async fn security(
    State(app): State<App>,
    staff: Staff,
    Query(done): Query<Done>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_security(&staff.user))?;
    let ui = &app.admin_ui;
    let required = app.store.second_factor_required().await?;
    let notice = done.notice(ui);
    let own = context! {
        require_second_factor => required,
        me_enrolled => staff.user.totp_enabled,
        notice => notice,
    };
    let title = ui.message("nav_security");
    Ok(page(
        &app,
        Some(&staff),
        "security.html",
        "/admin/security",
        &title,
        own,
    )
    .await)
}

#[derive(Debug, Deserialize)]
pub struct SecurityForm {
    /// A checkbox: present when ticked.
    require_second_factor: Option<String>,
}

pub async fn save_security(
    State(app): State<App>,
    staff: Staff,
    Form(form): Form<SecurityForm>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_security(&staff.user))?;
    let required = form.require_second_factor.is_some();
    app.store
        .set_second_factor_required(&staff.actor(), required)
        .await?;
    // An administrator without a second factor is the first one the requirement sends to enrol.
    let target = if policy::must_enrol_second_factor(&staff.user, required) {
        ENROL_PAGE
    } else {
        "/admin/security?done=security_saved"
    };
    Ok(Redirect::to(target).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_inline_svg() {
        let svg = qr_svg("otpauth://totp/a:b?secret=AAAA").expect("svg");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml") && !svg.contains("style") && !svg.contains("script"));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
