//! The media library in the admin (Thư viện tư liệu): browse by kind, search by name, alt text and
//! caption, upload (the same checks as the API), describe a file, see where it is used, delete one
//! that nothing uses.

use axum::{
    extract::{Multipart, Path, Query, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{format, policy};
use sen_store::{MediaFile, MediaUse, StoreError};
use serde::{Deserialize, Serialize};

use super::{Staff, allowed, forms::FormErrors, page};
use crate::{app::App, error::Error, library};

const PER_PAGE: i64 = 24;
const CLASSES: [&str; 4] = ["image", "document", "audio", "video"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LibraryFilter {
    class: String,
    q: String,
    page: String,
    done: String,
}

#[derive(Serialize)]
struct Card {
    key: String,
    /// Its page in the admin (a key from before the library may hold a `/`).
    admin_url: String,
    url: String,
    thumb: Option<String>,
    name: String,
    class: String,
    class_label: String,
    size: String,
    dimensions: Option<String>,
    alt: String,
    missing_alt: bool,
    date: String,
}

fn human_size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes >= 1_048_576.0 {
        format!("{:.1} MB", bytes / 1_048_576.0).replace('.', ",")
    } else {
        format!("{} KB", (bytes / 1024.0).ceil() as i64)
    }
}

fn card(ui: &crate::staff_ui::AdminUi, f: &MediaFile) -> Card {
    let url = format!("/media/{}", f.key);
    Card {
        thumb: (f.class == "image").then(|| {
            if f.variant_widths().contains(&320) {
                format!("/media/{}", sen_media::variant_key(&f.key, 320))
            } else {
                url.clone()
            }
        }),
        key: f.key.clone(),
        admin_url: format!("/admin/media/{}", f.key.replace('/', "%2F")),
        url,
        name: if f.original_name.is_empty() {
            f.key.clone()
        } else {
            f.original_name.clone()
        },
        class_label: ui.message(&format!("media_class_{}", f.class)),
        class: f.class.clone(),
        size: human_size(f.size),
        dimensions: f.width.zip(f.height).map(|(w, h)| format!("{w} × {h}")),
        alt: f.alt.clone(),
        missing_alt: f.class == "image" && f.alt.is_empty(),
        date: format::time_date(f.created_at),
    }
}

async fn list_page(
    app: &App,
    staff: &Staff,
    filter: &LibraryFilter,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let class = CLASSES.iter().find(|c| **c == filter.class).copied();
    let page_number = filter
        .page
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let (files, total) = app
        .store
        .media_files(class, &filter.q, page_number, PER_PAGE)
        .await?;
    let cards: Vec<Card> = files.iter().map(|f| card(ui, f)).collect();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let link = |p: i64| {
        serde_urlencoded::to_string([
            ("class", filter.class.as_str()),
            ("q", filter.q.as_str()),
            ("page", &p.to_string()),
        ])
        .map(|q| format!("/admin/media?{q}"))
        .unwrap_or_default()
    };
    let classes: Vec<Value> = CLASSES
        .iter()
        .map(|c| {
            context! {
                value => *c,
                label => ui.message(&format!("media_class_{c}")),
                selected => class == Some(*c),
            }
        })
        .collect();
    let limits = app.library.limits;
    let own = context! {
        cards => Value::from(Serde(&cards)),
        total => total,
        classes => classes,
        q => filter.q.as_str(),
        page => page_number,
        pages => pages,
        previous => (page_number > 1).then(|| link(page_number - 1)),
        next => (page_number < pages).then(|| link(page_number + 1)),
        notice => ui.optional_message(&format!("notice_media_{}", filter.done)),
        errors => errors.value(),
        limits => ui.message("media_limits")
            .replace("{image}", &(limits.image >> 20).to_string())
            .replace("{document}", &(limits.document >> 20).to_string())
            .replace("{audio}", &(limits.audio >> 20).to_string())
            .replace("{video}", &(limits.video >> 20).to_string()),
    };
    let mut response = page(
        app,
        Some(staff),
        "media.html",
        "/admin/media",
        &ui.message("nav_media"),
        own,
    )
    .await;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(filter): Query<LibraryFilter>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    list_page(&app, &staff, &filter, FormErrors::default(), StatusCode::OK).await
}

/// An upload from the library's form (the token is in the form's address: the body is a file).
pub async fn upload(
    State(app): State<App>,
    staff: Staff,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let ui = &app.admin_ui;
    let form = form.map_err(|_| Error::invalid_parameter("file", "choose a file to upload"))?;
    let outcome = match library::receive(&app.library, form).await {
        Ok(received) => library::ingest(&app.store, &app.library, &staff.actor(), received).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(file) => {
            Ok(Redirect::to(&format!("/admin/media/{}?done=uploaded", file.key)).into_response())
        }
        Err(err) if err.field.is_some() => {
            let mut errors = FormErrors::default();
            let field = if err.field.as_deref() == Some("alt") {
                "alt"
            } else {
                "file"
            };
            errors.add_text(
                field,
                format!("{}: {}", ui.message("err_upload"), err.message),
            );
            list_page(
                &app,
                &staff,
                &LibraryFilter::default(),
                errors,
                err.status(),
            )
            .await
        }
        Err(err) => Err(err),
    }
}

#[derive(Serialize)]
struct Use {
    label: String,
    url: String,
}

async fn file_page(
    app: &App,
    staff: &Staff,
    key: &str,
    notice: Option<String>,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let file = app
        .store
        .media_file(key)
        .await?
        .ok_or_else(Error::not_found)?;
    let uses: Vec<Use> = app
        .store
        .media_usage(key)
        .await?
        .into_iter()
        .map(|u| match u {
            MediaUse::Article { id, title } => Use {
                label: format!("{}: {title}", ui.message("media_used_article")),
                url: format!("/admin/articles/{id}"),
            },
            MediaUse::Page { id, title } => Use {
                label: format!("{}: {title}", ui.message("media_used_page")),
                url: format!("/admin/pages/{id}"),
            },
            MediaUse::Site => Use {
                label: ui.message("media_used_site"),
                url: "/admin/site".into(),
            },
        })
        .collect();
    let card = card(ui, &file);
    let own = context! {
        file => Value::from(Serde(&card)),
        caption => file.caption.as_str(),
        pages => file.pages,
        content_type => file.content_type.as_str(),
        variants => file.variant_widths(),
        uses => Value::from(Serde(&uses)),
        deletable => uses.is_empty() && policy::can_delete_media(&staff.user, file.created_by),
        notice => notice,
        errors => errors.value(),
    };
    let mut response = page(
        app,
        Some(staff),
        "media_file.html",
        "/admin/media",
        &card.name,
        own,
    )
    .await;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(app): State<App>,
    staff: Staff,
    Path(key): Path<String>,
    Query(filter): Query<LibraryFilter>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let notice = app
        .admin_ui
        .optional_message(&format!("notice_media_{}", filter.done));
    file_page(
        &app,
        &staff,
        &key,
        notice,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Description {
    alt: String,
    caption: String,
}

pub async fn describe(
    State(app): State<App>,
    staff: Staff,
    Path(key): Path<String>,
    axum::Form(form): axum::Form<Description>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    match app
        .store
        .describe_media_file(&staff.actor(), &key, &form.alt, &form.caption)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/media/{key}?done=described")).into_response()),
        Err(StoreError::Invalid(v)) => {
            let mut errors = FormErrors::default();
            errors.validation(&app.admin_ui, &v);
            file_page(
                &app,
                &staff,
                &key,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn delete(
    State(app): State<App>,
    staff: Staff,
    Path(key): Path<String>,
) -> Result<Response, Error> {
    let file = app
        .store
        .media_file(&key)
        .await?
        .ok_or_else(Error::not_found)?;
    allowed(policy::can_delete_media(&staff.user, file.created_by))?;
    match app.store.delete_media_file(&staff.actor(), &key).await {
        Ok(file) => {
            library::forget_and_remove(&app.library, &file).await?;
            Ok(Redirect::to("/admin/media?done=deleted").into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let mut errors = FormErrors::default();
            errors.add(&app.admin_ui, "delete", "err_media_used");
            file_page(&app, &staff, &key, None, errors, StatusCode::CONFLICT).await
        }
        Err(err) => Err(err.into()),
    }
}
