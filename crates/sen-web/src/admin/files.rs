//! The media library in the admin (Thư viện tư liệu): browse by kind, search by name, alt text and
//! caption, upload (the same checks as the API), describe a file, see where it is used, delete one
//! that nothing uses.

use axum::{
    Json,
    extract::{Multipart, Path, Query, State, multipart::MultipartRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{format, policy};
use sen_store::{MediaFile, MediaUse, StoreError};
use serde::{Deserialize, Serialize};

use super::{Staff, allowed, audit::day_start, forms::FormErrors, page};
use crate::{app::App, error::Error, library};

const PER_PAGE: i64 = 24;
const CLASSES: [&str; 4] = ["image", "document", "audio", "video"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LibraryFilter {
    class: String,
    q: String,
    /// Uploaded on or after this day (`yyyy-mm-dd`, Vietnamese time).
    from: String,
    /// Uploaded on or before this day.
    until: String,
    page: String,
    done: String,
}

/// A file as the library's pages show it, and as the editor's picker and the upload script read
/// it (JSON).
#[derive(Serialize)]
struct Card {
    key: String,
    /// Its page in the admin (a key from before the library may hold a `/`).
    admin_url: String,
    url: String,
    thumb: Option<String>,
    name: String,
    #[serde(rename = "type")]
    content_type: String,
    class: String,
    class_label: String,
    /// In bytes.
    size: i64,
    size_label: String,
    width: Option<i32>,
    height: Option<i32>,
    pages: Option<i32>,
    dimensions: Option<String>,
    alt: String,
    caption: String,
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
        content_type: f.content_type.clone(),
        class: f.class.clone(),
        size: f.size,
        size_label: human_size(f.size),
        width: f.width,
        height: f.height,
        pages: f.pages,
        dimensions: f.width.zip(f.height).map(|(w, h)| format!("{w} × {h}")),
        alt: f.alt.clone(),
        caption: f.caption.clone(),
        missing_alt: f.class == "image" && f.alt.is_empty(),
        date: format::time_date(f.created_at),
    }
}

/// One page of the library as a filter asks for it.
struct Found {
    class: Option<&'static str>,
    page: i64,
    cards: Vec<Card>,
    total: i64,
    pages: i64,
}

async fn find(app: &App, filter: &LibraryFilter) -> Result<Found, Error> {
    let class = CLASSES.iter().find(|c| **c == filter.class).copied();
    let page = filter
        .page
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let far = |d: time::Duration| time::OffsetDateTime::now_utc() + d;
    let from = day_start(&filter.from);
    let until = day_start(&filter.until).map(|d| d + time::Duration::days(1));
    let period = (from.is_some() || until.is_some()).then(|| {
        (
            from.unwrap_or_else(|| far(-time::Duration::days(365 * 100))),
            until.unwrap_or_else(|| far(time::Duration::days(365))),
        )
    });
    let (files, total) = app
        .store
        .media_files(class, &filter.q, period, page, PER_PAGE)
        .await?;
    Ok(Found {
        class,
        page,
        cards: files.iter().map(|f| card(&app.admin_ui, f)).collect(),
        total,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
    })
}

async fn list_page(
    app: &App,
    staff: &Staff,
    filter: &LibraryFilter,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let Found {
        class,
        page: page_number,
        cards,
        total,
        pages,
    } = find(app, filter).await?;
    let link = |p: i64| {
        serde_urlencoded::to_string([
            ("class", filter.class.as_str()),
            ("q", filter.q.as_str()),
            ("from", filter.from.as_str()),
            ("until", filter.until.as_str()),
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
        from => filter.from.trim(),
        until => filter.until.trim(),
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

/// The editor's picker: one page of the library as JSON (`{files, page, pages, total}`).
pub async fn picker(
    State(app): State<App>,
    staff: Staff,
    Query(filter): Query<LibraryFilter>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let found = find(&app, &filter).await?;
    Ok(Json(serde_json::json!({
        "files": found.cards,
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
    }))
    .into_response())
}

/// Why an upload was refused, in the admin's words.
fn upload_refusal(ui: &crate::staff_ui::AdminUi, err: &Error) -> String {
    let why = err
        .reason
        .and_then(|r| ui.optional_message(&format!("media_error_{r}")))
        .unwrap_or_else(|| err.message.clone());
    format!("{}: {why}", ui.message("err_upload"))
}

/// Whether the script asked (`Accept: application/json`) rather than the plain form.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A refusal as the library's scripts read it: `{"error": {code, message, field}}`.
fn json_refusal(ui: &crate::staff_ui::AdminUi, err: &Error) -> Response {
    (
        err.status(),
        Json(serde_json::json!({
            "error": {
                "code": err.code,
                "message": upload_refusal(ui, err),
                "field": err.field.as_deref().unwrap_or("file"),
            }
        })),
    )
        .into_response()
}

/// An upload from the library's form or its scripts (the token is in the form's address: the
/// body is a file). The scripts ask for JSON and get the file's card (201) or the refusal.
pub async fn upload(
    State(app): State<App>,
    staff: Staff,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let ui = &app.admin_ui;
    let outcome = match form {
        Err(_) => {
            Err(Error::invalid_parameter("file", "choose a file to upload").with_reason("no_file"))
        }
        Ok(form) => match library::receive(&app.library, form).await {
            Ok(received) => {
                library::ingest(&app.store, &app.library, &staff.actor(), received).await
            }
            Err(err) => Err(err),
        },
    };
    if wants_json(&headers) {
        return Ok(match outcome {
            Ok(file) => (StatusCode::CREATED, Json(card(ui, &file))).into_response(),
            Err(err) => json_refusal(ui, &err),
        });
    }
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
            errors.add_text(field, upload_refusal(ui, &err));
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

/// The places showing a file, as the rule for replacing it needs them.
async fn file_uses(app: &App, uses: &[MediaUse]) -> Result<Vec<policy::FileUse>, Error> {
    let mut out = Vec::with_capacity(uses.len());
    for u in uses {
        out.push(match u {
            MediaUse::Article { id, .. } => {
                let Some(a) = app.store.article(*id).await? else {
                    continue;
                };
                policy::FileUse::Article {
                    category: a.category_id,
                    author: a.author_id,
                    published: a.status == sen_core::ArticleStatus::Published,
                }
            }
            MediaUse::Page { .. } => policy::FileUse::Page,
            MediaUse::Site => policy::FileUse::Site,
        });
    }
    Ok(out)
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
    let used = app.store.media_usage(key).await?;
    let replaceable =
        policy::can_replace_media(&staff.user, file.created_by, &file_uses(app, &used).await?);
    let uses: Vec<Use> = used
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
        replaceable => replaceable,
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

/// Replaces a file with an upload of the same kind: wherever the old one was used (articles,
/// pages, the site) now shows the new one, and the old address redirects to it.
pub async fn replace(
    State(app): State<App>,
    staff: Staff,
    Path(key): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Error> {
    let old = app
        .store
        .media_file(&key)
        .await?
        .ok_or_else(Error::not_found)?;
    let uses = file_uses(&app, &app.store.media_usage(&key).await?).await?;
    allowed(policy::can_replace_media(
        &staff.user,
        old.created_by,
        &uses,
    ))?;
    let ui = &app.admin_ui;
    let outcome = async {
        let form = form.map_err(|_| {
            Error::invalid_parameter("file", "choose a file to upload").with_reason("no_file")
        })?;
        let received = library::receive(&app.library, form).await?;
        if received.class().as_str() != old.class {
            return Err(Error::new(
                crate::error::ErrorCode::InvalidInput,
                "the new file must be of the same kind as the one it replaces",
            )
            .with_field("file")
            .with_reason("other_kind"));
        }
        let new = library::ingest(&app.store, &app.library, &staff.actor(), received).await?;
        match app
            .store
            .replace_media_file(&staff.actor(), &old.key, &new.key)
            .await
        {
            Err(StoreError::Conflict("same")) => Err(Error::new(
                crate::error::ErrorCode::Conflict,
                "the new file is the same as the old one",
            )
            .with_field("file")
            .with_reason("same")),
            other => Ok((other?, new)),
        }
    }
    .await;
    match outcome {
        Ok((removed, new)) => {
            library::forget_and_remove(&app.library, &removed).await?;
            Ok(Redirect::to(&format!(
                "/admin/media/{}?done=replaced",
                new.key.replace('/', "%2F")
            ))
            .into_response())
        }
        Err(err) if err.field.is_some() => {
            let mut errors = FormErrors::default();
            errors.add_text("replace", upload_refusal(ui, &err));
            let status = err.status();
            file_page(&app, &staff, &key, None, errors, status).await
        }
        Err(err) => Err(err),
    }
}
