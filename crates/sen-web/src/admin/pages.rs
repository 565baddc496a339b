//! Static pages (introduction, contact): create, edit, order in the menu, delete. A renamed page's
//! old address redirects; the body is sanitised by the store on the way in.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{Page, PageInput, policy};
use serde::Serialize;

use super::{
    Staff, allowed,
    forms::{Done, FormErrors, id_param, position},
    page,
};
use crate::{app::App, error::Error, urls::page_path};

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    url: String,
    position: i32,
    in_menu: bool,
}

pub async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(done): Query<Done>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_pages(&staff.user))?;
    let mut pages = app.store.pages().await?;
    pages.sort_by_key(|p| (p.position, p.id));
    let rows: Vec<Row> = pages
        .iter()
        .map(|p| Row {
            id: p.id,
            title: p.title.clone(),
            url: page_path(&p.slug),
            position: p.position,
            in_menu: p.in_menu,
        })
        .collect();
    let notice = done.notice(&app.admin_ui);
    let own = context! { rows => Value::from(Serde(&rows)), notice => notice };
    let title = app.admin_ui.message("nav_pages");
    Ok(page(
        &app,
        Some(&staff),
        "pages.html",
        "/admin/pages",
        &title,
        own,
    )
    .await)
}

/// The form as typed, kept as text so a wrong value is shown back as it was.
#[derive(Debug, Default, Clone)]
struct Typed {
    title: String,
    slug: String,
    body: String,
    position: String,
    in_menu: bool,
}

impl Typed {
    fn of(p: &Page) -> Self {
        Self {
            title: p.title.clone(),
            slug: p.slug.clone(),
            body: p.body.clone(),
            position: p.position.to_string(),
            in_menu: p.in_menu,
        }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut typed = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "title" => typed.title = value,
                "slug" => typed.slug = value,
                "body" => typed.body = value,
                "position" => typed.position = value,
                "in_menu" => typed.in_menu = true,
                _ => {}
            }
        }
        typed
    }

    fn input(&self, app: &App, errors: &mut FormErrors) -> PageInput {
        let position = position(&app.admin_ui, &self.position, errors);
        let slug = self.slug.trim();
        PageInput {
            title: self.title.clone(),
            slug: (!slug.is_empty()).then(|| slug.to_string()),
            body: self.body.clone(),
            position,
            in_menu: self.in_menu,
        }
    }
}

async fn form_page(
    app: &App,
    staff: &Staff,
    existing: Option<&Page>,
    typed: &Typed,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let ui = &app.admin_ui;
    let title = match existing {
        Some(p) => format!("{}: {}", ui.message("page_edit_title"), p.title),
        None => ui.message("page_new_title"),
    };
    let own = context! {
        page => existing.map(|p| context! { id => p.id, url => page_path(&p.slug) }),
        form => context! {
            title => typed.title.as_str(),
            slug => typed.slug.as_str(),
            body => typed.body.as_str(),
            position => typed.position.as_str(),
            in_menu => typed.in_menu,
        },
        errors => errors.value(),
    };
    let mut response = page(
        app,
        Some(staff),
        "page_form.html",
        "/admin/pages",
        &title,
        own,
    )
    .await;
    *response.status_mut() = status;
    response
}

pub async fn new_form(State(app): State<App>, staff: Staff) -> Result<Response, Error> {
    allowed(policy::can_manage_pages(&staff.user))?;
    let typed = Typed {
        in_menu: true,
        position: "0".into(),
        ..Typed::default()
    };
    Ok(form_page(
        &app,
        &staff,
        None,
        &typed,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await)
}

pub async fn create(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_pages(&staff.user))?;
    let ui = &app.admin_ui;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(&app, &mut errors);
    if errors.is_empty() {
        match app.store.create_page(&staff.actor(), input).await {
            Ok(_) => return Ok(Redirect::to("/admin/pages?done=page_saved").into_response()),
            Err(err) => errors.store(ui, err)?,
        }
    }
    Ok(form_page(
        &app,
        &staff,
        None,
        &typed,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await)
}

async fn existing(app: &App, id: &str) -> Result<Page, Error> {
    let id = id_param(id)?;
    app.store.page(id).await?.ok_or_else(Error::not_found)
}

pub async fn edit_form(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_pages(&staff.user))?;
    let found = existing(&app, &id).await?;
    let typed = Typed::of(&found);
    Ok(form_page(
        &app,
        &staff,
        Some(&found),
        &typed,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await)
}

pub async fn update(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_pages(&staff.user))?;
    let ui = &app.admin_ui;
    let found = existing(&app, &id).await?;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(&app, &mut errors);
    if errors.is_empty() {
        match app.store.update_page(&staff.actor(), found.id, input).await {
            Ok(_) => return Ok(Redirect::to("/admin/pages?done=page_saved").into_response()),
            Err(err) => errors.store(ui, err)?,
        }
    }
    Ok(form_page(
        &app,
        &staff,
        Some(&found),
        &typed,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await)
}

pub async fn delete(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_pages(&staff.user))?;
    let found = existing(&app, &id).await?;
    app.store.delete_page(&staff.actor(), found.id).await?;
    Ok(Redirect::to("/admin/pages?done=page_deleted").into_response())
}
