//! The admin area at `/admin`: staff sign in, and run the portal from a browser. Server-rendered
//! HTML that works without JavaScript; every action is decided by sen-core's policy.
//!
//! - `session`: the layer every admin request passes (session, same-origin and CSRF checks,
//!   headers) and the `Staff` extractor;
//! - `auth`: sign in and out, the password;
//! - `desk` (the list of articles, bulk actions), `editor` (writing, saving, the workflow's
//!   buttons, autosave, previews), `revisions` (history, compare, restore);
//! - `dashboard`, `site` (identity and settings), `categories`, `pages` (static pages), `users`,
//!   `account` (one's own tokens and sessions), `second_factor` (TOTP enrolment, reset, the
//!   requirement), `audit`.

mod account;
mod audit;
mod auth;
mod categories;
mod dashboard;
mod desk;
mod editor;
mod files;
mod forms;
mod pages;
mod revisions;
mod second_factor;
mod session;
mod site;
mod users;

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    middleware::from_fn_with_state,
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{Role, User, policy};
use serde::Serialize;

use crate::{
    app::App,
    error::{Error, ErrorCode},
    staff_ui::AdminUi,
};
pub use session::Staff;

/// The admin's routes, behind its layer.
pub fn router(app: &App) -> Router<App> {
    Router::new()
        .route("/admin", get(dashboard::dashboard))
        .route("/admin/", get(dashboard::dashboard))
        .route("/admin/login", get(auth::login_form).post(auth::login))
        .route(
            "/admin/login/code",
            get(auth::code_form).post(auth::submit_code),
        )
        .route("/admin/logout", post(auth::logout))
        .route(
            "/admin/password",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/admin/account", get(account::account))
        .route("/admin/account/tokens", post(account::create_token))
        .route(
            "/admin/account/tokens/{id}/revoke",
            post(account::revoke_token),
        )
        .route(
            "/admin/account/second-factor",
            get(second_factor::enrol_form).post(second_factor::enrol),
        )
        .route(
            "/admin/account/second-factor/disable",
            post(second_factor::disable),
        )
        .route(
            "/admin/security",
            get(second_factor::security).post(second_factor::save_security),
        )
        .route(
            "/admin/users/{id}/second-factor/reset",
            post(second_factor::reset),
        )
        .route(
            "/admin/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/admin/site", get(site::site_form).post(site::save_site))
        .route("/admin/categories", get(categories::list))
        .route(
            "/admin/categories/new",
            get(categories::new_form).post(categories::create),
        )
        .route(
            "/admin/categories/{id}",
            get(categories::edit_form).post(categories::update),
        )
        .route("/admin/categories/{id}/delete", post(categories::delete))
        .route("/admin/pages", get(pages::list))
        .route("/admin/pages/new", get(pages::new_form).post(pages::create))
        .route(
            "/admin/pages/{id}",
            get(pages::edit_form).post(pages::update),
        )
        .route("/admin/pages/{id}/delete", post(pages::delete))
        .route("/admin/users", get(users::list))
        .route("/admin/users/new", get(users::new_form).post(users::create))
        .route(
            "/admin/users/{id}",
            get(users::edit_form).post(users::update),
        )
        .route("/admin/users/{id}/disable", post(users::disable))
        .route("/admin/users/{id}/enable", post(users::enable))
        .route("/admin/users/{id}/password", post(users::reset_password))
        .route("/admin/audit", get(audit::audit))
        .route("/admin/articles", get(desk::list))
        .route("/admin/articles/bulk", post(desk::bulk))
        .route(
            "/admin/articles/new",
            get(editor::new_form).post(editor::create),
        )
        .route("/admin/articles/autosave", post(editor::autosave_new))
        .route(
            "/admin/articles/{id}",
            get(editor::edit_form).post(editor::update),
        )
        .route("/admin/articles/{id}/autosave", post(editor::autosave))
        .route(
            "/admin/articles/{id}/workflow",
            post(editor::workflow_action),
        )
        .route("/admin/articles/{id}/preview", get(editor::preview))
        .route(
            "/admin/articles/{id}/preview-link",
            post(editor::preview_link),
        )
        .route("/admin/articles/{id}/revisions", get(revisions::list))
        .route("/admin/articles/{id}/compare", get(revisions::compare))
        .route(
            "/admin/articles/{id}/revisions/{revision}/restore",
            post(revisions::restore),
        )
        .route(
            "/admin/media",
            get(files::list)
                .post(files::upload)
                // Uploads stream to disk and are bounded per kind of file as they come in.
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/admin/media/picker", get(files::picker))
        .route("/admin/media/{key}", get(files::show).post(files::describe))
        .route(
            "/admin/media/{key}/replace",
            post(files::replace).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/admin/media/{key}/delete", post(files::delete))
        .route("/admin/{*rest}", get(not_found).post(not_found))
        .layer(from_fn_with_state(app.clone(), session::admin_layer))
        .route("/admin/static/{file}", get(static_file))
}

async fn not_found() -> Error {
    Error::not_found()
}

async fn static_file(Path(file): Path<String>) -> Response {
    match AdminUi::static_file(&file) {
        Some((kind, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Where to go after signing in: a local path under `/admin`, never another site (`//evil`,
/// `https://…`, `/\evil`), else the dashboard.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if (path == "/admin" || path.starts_with("/admin/") || path.starts_with("/admin?"))
                && !path.contains('\\')
                && !path.starts_with("/admin/login")
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/admin",
    }
}

#[derive(Serialize)]
struct NavItem {
    url: &'static str,
    label: String,
    current: bool,
}

/// The sections a member of staff may open, as the policy says.
fn nav(ui: &AdminUi, user: &User, section: &str) -> Vec<NavItem> {
    let items: [(&str, &str, bool); 10] = [
        ("/admin", "nav_dashboard", true),
        (
            "/admin/articles",
            "nav_articles",
            policy::can_write_article(user),
        ),
        ("/admin/media", "nav_media", policy::can_write_article(user)),
        ("/admin/site", "nav_site", policy::can_edit_site(user)),
        (
            "/admin/categories",
            "nav_categories",
            policy::can_manage_categories(user),
        ),
        ("/admin/pages", "nav_pages", policy::can_manage_pages(user)),
        ("/admin/users", "nav_users", policy::can_manage_users(user)),
        (
            "/admin/security",
            "nav_security",
            policy::can_manage_security(user),
        ),
        (
            "/admin/audit",
            "nav_audit",
            policy::can_view_audit_log(user),
        ),
        (
            "/admin/account",
            "nav_account",
            policy::can_manage_own_account(user),
        ),
    ];
    items
        .into_iter()
        .filter(|(_, _, allowed)| *allowed)
        .map(|(url, key, _)| NavItem {
            url,
            label: ui.message(key),
            current: url == section,
        })
        .collect()
}

pub fn role_label(ui: &AdminUi, role: Role) -> String {
    ui.message(&format!("role_{}", role.as_str()))
}

/// The portal's name for the admin's header; "sen" while the database is away and nothing is kept.
async fn site_name(app: &App) -> String {
    match app.read.chrome().await {
        Ok(chrome) => chrome.site.name.clone(),
        Err(_) => "sen".to_string(),
    }
}

/// Renders an admin page: the layout's values (who is signed in, the menu, the form token) and the
/// page's own.
pub async fn page(
    app: &App,
    staff: Option<&Staff>,
    template: &str,
    section: &str,
    title: &str,
    own: Value,
) -> Response {
    let ui = &app.admin_ui;
    let me = staff.map(|s| {
        context! {
            id => s.user.id,
            name => s.user.name(),
            username => s.user.username.as_str(),
            role => role_label(ui, s.user.role),
        }
    });
    let ctx = context! {
        me => me,
        csrf => staff.map(|s| s.csrf.as_str()),
        nav => Value::from(Serde(&staff.map(|s| nav(ui, &s.user, section)))),
        title => title,
        site_name => site_name(app).await,
        ..own
    };
    match ui.render(template, ctx) {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, template, "admin page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

/// The admin's error page for `error`.
pub async fn render_error(app: &App, staff: Option<&Staff>, error: &Error) -> Response {
    let ui = &app.admin_ui;
    let (heading_key, message_key) = error.code.message_keys();
    let heading = ui.message(heading_key);
    let own = context! {
        status => error.status().as_u16(),
        heading => heading.as_str(),
        message => ui.message(message_key),
        signed_in => staff.is_some(),
    };
    let mut response = page(app, staff, "error.html", "", &heading, own).await;
    *response.status_mut() = error.status();
    response
}

/// Refuses what the policy does not allow.
pub fn allowed(yes: bool) -> Result<(), Error> {
    if yes {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::Forbidden, "not allowed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_admin_paths() {
        for good in ["/admin", "/admin/users", "/admin/users?page=2"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example/admin",
            "/\\evil.example",
            "/admin\\..\\x",
            "/tin/a-1.html",
            "/admin/login?next=/admin",
            "/admin/x\nSet-Cookie: a=b",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/admin", "{bad}");
        }
        assert_eq!(safe_next(None), "/admin");
    }
}
