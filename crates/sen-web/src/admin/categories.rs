//! Categories: the tree in menu order; create, rename (the old address redirects), move (no
//! cycles), hide from the menu, delete only when empty.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{Category, CategoryInput, policy};
use sen_store::StoreError;
use serde::Serialize;

use super::{
    Staff, allowed,
    forms::{Done, FormErrors, id_param, position},
    page,
};
use crate::{app::App, error::Error, read::chrome::Chrome, urls::category_path};

#[derive(Serialize)]
struct Row {
    id: i64,
    name: String,
    url: String,
    depth: usize,
    position: i32,
    in_menu: bool,
}

/// The tree, each category after its parent, siblings in menu order.
fn rows(chrome: &Chrome) -> Vec<Row> {
    fn walk(
        chrome: &Chrome,
        parent: Option<i64>,
        depth: usize,
        seen: &mut Vec<i64>,
        out: &mut Vec<Row>,
    ) {
        let mut children: Vec<&Category> = chrome
            .categories
            .iter()
            .filter(|c| c.parent_id == parent)
            .collect();
        children.sort_by_key(|c| (c.position, c.id));
        for c in children {
            if seen.contains(&c.id) {
                continue;
            }
            seen.push(c.id);
            out.push(Row {
                id: c.id,
                name: c.name.clone(),
                url: category_path(&c.slug),
                depth,
                position: c.position,
                in_menu: c.in_menu,
            });
            walk(chrome, Some(c.id), depth + 1, seen, out);
        }
    }
    let mut out = Vec::new();
    walk(chrome, None, 0, &mut Vec::new(), &mut out);
    out
}

pub async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(done): Query<Done>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_categories(&staff.user))?;
    let chrome = app.read.chrome().await?;
    let notice = done.notice(&app.admin_ui);
    let own = context! { rows => Value::from(Serde(&rows(&chrome))), notice => notice };
    let title = app.admin_ui.message("nav_categories");
    Ok(page(
        &app,
        Some(&staff),
        "categories.html",
        "/admin/categories",
        &title,
        own,
    )
    .await)
}

/// The form as typed, kept as text so a wrong value is shown back as it was.
#[derive(Debug, Default, Clone)]
struct Typed {
    name: String,
    slug: String,
    parent_id: String,
    description: String,
    position: String,
    in_menu: bool,
}

impl Typed {
    fn of(c: &Category) -> Self {
        Self {
            name: c.name.clone(),
            slug: c.slug.clone(),
            parent_id: c.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            description: c.description.clone(),
            position: c.position.to_string(),
            in_menu: c.in_menu,
        }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut typed = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => typed.name = value,
                "slug" => typed.slug = value,
                "parent_id" => typed.parent_id = value,
                "description" => typed.description = value,
                "position" => typed.position = value,
                "in_menu" => typed.in_menu = true,
                _ => {}
            }
        }
        typed
    }

    fn input(&self, app: &App, errors: &mut FormErrors) -> CategoryInput {
        let ui = &app.admin_ui;
        let parent_id = match self.parent_id.trim() {
            "" => None,
            text => match text.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(ui, "parent_id", "err_missing_reference");
                    None
                }
            },
        };
        let position = position(&app.admin_ui, &self.position, errors);
        let slug = self.slug.trim();
        CategoryInput {
            parent_id,
            name: self.name.clone(),
            slug: (!slug.is_empty()).then(|| slug.to_string()),
            description: self.description.clone(),
            position,
            in_menu: self.in_menu,
        }
    }
}

#[derive(Serialize)]
struct ParentChoice {
    id: i64,
    label: String,
    selected: bool,
}

async fn form_page(
    app: &App,
    staff: &Staff,
    category: Option<&Category>,
    typed: &Typed,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let chrome = app.read.chrome().await?;
    // A category can't move under itself or below it: those are left out of the choices.
    let below = category
        .map(|c| chrome.with_descendants(c.id))
        .unwrap_or_default();
    let parents: Vec<ParentChoice> = rows(&chrome)
        .into_iter()
        .filter(|r| !below.contains(&r.id))
        .map(|r| ParentChoice {
            id: r.id,
            label: format!("{}{}", "— ".repeat(r.depth), r.name),
            selected: typed.parent_id == r.id.to_string(),
        })
        .collect();
    let title = match category {
        Some(c) => format!("{}: {}", ui.message("category_edit_title"), c.name),
        None => ui.message("category_new_title"),
    };
    let own = context! {
        category => category.map(|c| context! { id => c.id, url => category_path(&c.slug) }),
        form => context! {
            name => typed.name.as_str(),
            slug => typed.slug.as_str(),
            description => typed.description.as_str(),
            position => typed.position.as_str(),
            in_menu => typed.in_menu,
        },
        parents => Value::from(Serde(&parents)),
        errors => errors.value(),
    };
    let mut response = page(
        app,
        Some(staff),
        "category_form.html",
        "/admin/categories",
        &title,
        own,
    )
    .await;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn new_form(State(app): State<App>, staff: Staff) -> Result<Response, Error> {
    allowed(policy::can_manage_categories(&staff.user))?;
    let typed = Typed {
        in_menu: true,
        position: "0".into(),
        ..Typed::default()
    };
    form_page(
        &app,
        &staff,
        None,
        &typed,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_categories(&staff.user))?;
    let ui = &app.admin_ui;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(&app, &mut errors);
    if errors.is_empty() {
        match input.validated() {
            Err(err) => errors.validation(ui, &err),
            Ok(input) => match app.store.create_category(&staff.actor(), input).await {
                Ok(_) => {
                    return Ok(
                        Redirect::to("/admin/categories?done=category_saved").into_response()
                    );
                }
                Err(err) => errors.store(ui, err)?,
            },
        }
    }
    form_page(
        &app,
        &staff,
        None,
        &typed,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn existing(app: &App, id: &str) -> Result<Category, Error> {
    let id = id_param(id)?;
    app.store.category(id).await?.ok_or_else(Error::not_found)
}

pub async fn edit_form(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_categories(&staff.user))?;
    let category = existing(&app, &id).await?;
    let typed = Typed::of(&category);
    form_page(
        &app,
        &staff,
        Some(&category),
        &typed,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_categories(&staff.user))?;
    let ui = &app.admin_ui;
    let category = existing(&app, &id).await?;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(&app, &mut errors);
    if errors.is_empty() {
        match app
            .store
            .update_category(&staff.actor(), category.id, input)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to("/admin/categories?done=category_saved").into_response());
            }
            Err(err) => errors.store(ui, err)?,
        }
    }
    form_page(
        &app,
        &staff,
        Some(&category),
        &typed,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Deletes an empty category; one with subcategories or articles stays, and the form says why.
pub async fn delete(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    allowed(policy::can_manage_categories(&staff.user))?;
    let ui = &app.admin_ui;
    let category = existing(&app, &id).await?;
    match app.store.delete_category(&staff.actor(), category.id).await {
        Ok(()) => Ok(Redirect::to("/admin/categories?done=category_deleted").into_response()),
        Err(StoreError::Conflict(why)) => {
            let mut errors = FormErrors::default();
            errors.add(ui, "delete", &format!("err_category_delete_{why}"));
            let typed = Typed::of(&category);
            form_page(
                &app,
                &staff,
                Some(&category),
                &typed,
                errors,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}
