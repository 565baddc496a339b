//! Users: create, change role and categories, disable, reset a password (the user chooses a new
//! one at the next sign-in).

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{NewUser, Role, User, format, policy};
use serde::{Deserialize, Serialize};

use super::{Staff, allowed, forms::FormErrors, page, role_label};
use crate::{
    app::App,
    error::{Error, ErrorCode},
    staff_ui::AdminUi,
};

#[derive(Serialize)]
struct UserRow {
    id: i64,
    username: String,
    name: String,
    role: String,
    disabled: bool,
    must_change_password: bool,
    totp_enabled: bool,
    created: String,
}

fn row(ui: &AdminUi, u: &User) -> UserRow {
    UserRow {
        id: u.id,
        username: u.username.clone(),
        name: u.name().to_string(),
        role: role_label(ui, u.role),
        disabled: u.disabled,
        must_change_password: u.must_change_password,
        totp_enabled: u.totp_enabled,
        created: format::date(u.created_at),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(done): Query<Done>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let ui = &app.admin_ui;
    let users: Vec<UserRow> = app
        .store
        .users()
        .await?
        .iter()
        .map(|u| row(ui, u))
        .collect();
    let notice = done
        .done
        .as_deref()
        .map(|key| ui.message(&format!("notice_{key}")));
    let own = context! { users => Value::from(Serde(&users)), notice => notice };
    let title = ui.message("nav_users");
    Ok(page(
        &app,
        Some(&staff),
        "users.html",
        "/admin/users",
        &title,
        own,
    )
    .await)
}

/// The user form as submitted.
#[derive(Debug, Default)]
pub struct UserForm {
    username: String,
    display_name: String,
    role: String,
    categories: Vec<String>,
}

impl UserForm {
    /// The form filled with a stored user.
    fn of(user: &User) -> Self {
        Self {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role.as_str().to_string(),
            categories: user.categories.iter().map(i64::to_string).collect(),
        }
    }

    /// From the submitted pairs: checkboxes of categories arrive as repeated `categories` fields.
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "username" => form.username = value,
                "display_name" => form.display_name = value,
                "role" => form.role = value,
                "categories" => form.categories.push(value),
                _ => {}
            }
        }
        form
    }
}

#[derive(Serialize)]
struct CategoryChoice {
    id: i64,
    name: String,
    checked: bool,
}

struct FormView<'a> {
    user: Option<&'a User>,
    form: &'a UserForm,
    errors: FormErrors,
    /// A password shown once: the new user's, or one just reset.
    password: Option<String>,
    status: StatusCode,
}

async fn form_page(app: &App, staff: &Staff, view: FormView<'_>) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let chrome = app.read.chrome().await?;
    let chosen: Vec<i64> = view
        .form
        .categories
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let categories: Vec<CategoryChoice> = chrome
        .categories
        .iter()
        .map(|c| CategoryChoice {
            id: c.id,
            name: chrome
                .trail(c.id)
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(" › "),
            checked: chosen.contains(&c.id),
        })
        .collect();
    let roles: Vec<Value> = [Role::Author, Role::Editor, Role::Admin]
        .into_iter()
        .map(|r| {
            context! {
                value => r.as_str(),
                label => role_label(ui, r),
                hint => ui.message(&format!("role_{}_hint", r.as_str())),
                checked => view.form.role == r.as_str(),
            }
        })
        .collect();
    let title = match view.user {
        Some(u) => format!("{}: {}", ui.message("user_edit_title"), u.name()),
        None => ui.message("user_new_title"),
    };
    let own = context! {
        user => Value::from(Serde(&view.user.map(|u| row(ui, u)))),
        form => context! {
            username => view.form.username.as_str(),
            display_name => view.form.display_name.as_str(),
        },
        roles => roles,
        categories => Value::from(Serde(&categories)),
        errors => view.errors.value(),
        password => view.password,
        is_self => view.user.is_some_and(|u| u.id == staff.user.id),
    };
    let mut response = page(
        app,
        Some(staff),
        "user_form.html",
        "/admin/users",
        &title,
        own,
    )
    .await;
    *response.status_mut() = view.status;
    Ok(response)
}

fn parse_role(ui: &AdminUi, form: &UserForm, errors: &mut FormErrors) -> Option<Role> {
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        errors.add(ui, "role", "err_role_required");
    }
    role
}

fn parse_categories(ui: &AdminUi, form: &UserForm, errors: &mut FormErrors) -> Vec<i64> {
    let mut ids = Vec::new();
    for text in &form.categories {
        match text.parse::<i64>() {
            Ok(id) => ids.push(id),
            Err(_) => errors.add(ui, "categories", "err_missing_reference"),
        }
    }
    ids
}

pub async fn new_form(State(app): State<App>, staff: Staff) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let form = UserForm {
        role: Role::Author.as_str().to_string(),
        ..UserForm::default()
    };
    let view = FormView {
        user: None,
        form: &form,
        errors: FormErrors::default(),
        password: None,
        status: StatusCode::OK,
    };
    form_page(&app, &staff, view).await
}

pub async fn create(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let form = UserForm::from_pairs(pairs);
    let ui = &app.admin_ui;
    let mut errors = FormErrors::default();
    if form.username.trim().is_empty() {
        errors.add(ui, "username", "err_username_required");
    }
    let role = parse_role(ui, &form, &mut errors);
    let categories = parse_categories(ui, &form, &mut errors);
    let password = sen_store::random_password();
    if let Some(role) = role
        && errors.is_empty()
    {
        let input = NewUser {
            username: form.username.clone(),
            display_name: form.display_name.clone(),
            role,
            password: password.clone(),
            categories,
            must_change_password: true,
        };
        match input.validated() {
            Err(err) => errors.validation(ui, &err),
            Ok(input) => match app.store.create_user(&staff.actor(), input).await {
                Ok(user) => {
                    // The password is shown once, on the new user's page.
                    let shown = UserForm::of(&user);
                    let view = FormView {
                        user: Some(&user),
                        form: &shown,
                        errors: FormErrors::default(),
                        password: Some(password),
                        status: StatusCode::CREATED,
                    };
                    return form_page(&app, &staff, view).await;
                }
                Err(err) => errors.store(ui, err)?,
            },
        }
    }
    let view = FormView {
        user: None,
        form: &form,
        errors,
        password: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    form_page(&app, &staff, view).await
}

pub(super) async fn existing(app: &App, id: &str) -> Result<User, Error> {
    let id: i64 = id
        .parse()
        .map_err(|_| Error::invalid_parameter("id", "not a user id"))?;
    app.store.user(id).await?.ok_or_else(Error::not_found)
}

pub async fn edit_form(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let user = existing(&app, &id).await?;
    let form = UserForm::of(&user);
    let view = FormView {
        user: Some(&user),
        form: &form,
        errors: FormErrors::default(),
        password: None,
        status: StatusCode::OK,
    };
    form_page(&app, &staff, view).await
}

pub async fn update(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let form = UserForm::from_pairs(pairs);
    let ui = &app.admin_ui;
    let user = existing(&app, &id).await?;
    let mut errors = FormErrors::default();
    let role = parse_role(ui, &form, &mut errors);
    let categories = parse_categories(ui, &form, &mut errors);
    // An administrator can't take away their own role: someone must stay able to manage users.
    if user.id == staff.user.id && role.is_some_and(|r| r != user.role) {
        errors.add(ui, "role", "err_role_own");
    }
    if let Some(role) = role
        && errors.is_empty()
    {
        match app
            .store
            .update_user(
                &staff.actor(),
                user.id,
                &form.display_name,
                role,
                &categories,
            )
            .await
        {
            Ok(_) => return Ok(Redirect::to("/admin/users?done=user_saved").into_response()),
            Err(err) => errors.store(ui, err)?,
        }
    }
    let shown = UserForm {
        username: user.username.clone(),
        ..form
    };
    let view = FormView {
        user: Some(&user),
        form: &shown,
        errors,
        password: None,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    form_page(&app, &staff, view).await
}

async fn set_disabled(
    app: App,
    staff: Staff,
    id: String,
    disabled: bool,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let user = existing(&app, &id).await?;
    if user.id == staff.user.id {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "one can't disable oneself",
        ));
    }
    app.store
        .set_disabled(&staff.actor(), user.id, disabled)
        .await?;
    let done = if disabled {
        "user_disabled"
    } else {
        "user_enabled"
    };
    Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response())
}

pub async fn disable(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    set_disabled(app, staff, id, true).await
}

pub async fn enable(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    set_disabled(app, staff, id, false).await
}

/// A new temporary password, shown once; every session of the user ends and they choose their
/// own at the next sign-in.
pub async fn reset_password(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_users(&staff.user))?;
    let user = existing(&app, &id).await?;
    let password = sen_store::random_password();
    app.store
        .set_password(&staff.actor(), user.id, &password, true)
        .await?;
    let user = existing(&app, &id).await?;
    let form = UserForm::of(&user);
    let view = FormView {
        user: Some(&user),
        form: &form,
        errors: FormErrors::default(),
        password: Some(password),
        status: StatusCode::OK,
    };
    form_page(&app, &staff, view).await
}
