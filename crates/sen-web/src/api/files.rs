//! The media library through the API: upload a file (multipart, checked by its content), and
//! delete one that nothing uses.

use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::StatusCode,
};
use sen_core::policy;
use sen_store::{MediaFile, StoreError};

use super::{
    ApiError,
    auth::Staff,
    types::{ErrorBody, MediaItem, MediaVariant, UploadForm},
};
use crate::{
    app::App,
    error::{Error, PathText},
    library,
};

pub(super) fn media_item(base: &str, file: &MediaFile) -> MediaItem {
    let url = |key: &str| format!("{base}/media/{key}");
    let planned: Vec<u32> = if file.variants_state == "pending" {
        sen_media::VARIANT_WIDTHS
            .iter()
            .copied()
            .filter(|&w| file.width.is_some_and(|fw| i64::from(w) < i64::from(fw)))
            .collect()
    } else {
        file.variant_widths()
    };
    MediaItem {
        url: url(&file.key),
        key: file.key.clone(),
        r#type: file.content_type.clone(),
        class: file.class.clone(),
        size: file.size,
        width: file.width,
        height: file.height,
        pages: file.pages,
        name: file.original_name.clone(),
        alt: file.alt.clone(),
        caption: file.caption.clone(),
        variants: planned
            .into_iter()
            .map(|width| MediaVariant {
                width,
                url: url(&sen_media::variant_key(&file.key, width)),
            })
            .collect(),
    }
}

/// Uploads a file. Its type is decided from its content (JPEG, PNG, WebP, GIF, PDF, DOCX, XLSX,
/// PPTX, MP3, MP4, WebM); an image is turned upright and stripped of its metadata, and its
/// variants (320–1600 px wide, JPEG) are made just after: until then their URLs answer the
/// original. The same content uploaded twice is one file.
#[utoipa::path(
    post,
    path = "/media",
    tag = "media",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = MediaItem),
        (status = 400, description = "The body is not multipart/form-data", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The role may not upload", body = ErrorBody),
        (status = 413, description = "Larger than its kind allows (`field` is `file`)", body = ErrorBody),
        (status = 422, description = "Not a kind sen accepts, damaged, empty, or an image with too many pixels (`field` is `file`)", body = ErrorBody),
        (status = 503, description = "The database or the media storage did not answer", body = ErrorBody),
    )
)]
pub(super) async fn upload(
    State(app): State<App>,
    staff: Staff,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MediaItem>), ApiError> {
    staff.allowed(policy::can_write_article)?;
    let form = form.map_err(|_| {
        Error::invalid_parameter(
            "body",
            "send multipart/form-data with the file in the field `file`",
        )
    })?;
    let received = library::receive(&app.library, form).await?;
    let file = library::ingest(&app.store, &app.library, &staff.actor, received).await?;
    Ok((
        StatusCode::CREATED,
        Json(media_item(&app.config.base_url, &file)),
    ))
}

/// Deletes a file and its variants; refused while an article, a page or the site uses it.
#[utoipa::path(
    delete,
    path = "/media/{key}",
    tag = "media",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The file's key, as in its `/media/` URL")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "Only editors, administrators and the uploader may", body = ErrorBody),
        (status = 404, description = "No file has this key", body = ErrorBody),
        (status = 409, description = "It is used (`field` is `used`)", body = ErrorBody),
        (status = 503, description = "The database or the media storage did not answer", body = ErrorBody),
    )
)]
pub(super) async fn delete(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
) -> Result<StatusCode, ApiError> {
    let PathText(key) = path?;
    let file = app
        .store
        .media_file(&key)
        .await?
        .ok_or_else(Error::not_found)?;
    if !policy::can_delete_media(&staff.user, file.created_by) {
        return Err(ApiError::Forbidden);
    }
    let file = app
        .store
        .delete_media_file(&staff.actor, &key)
        .await
        .map_err(|err| match err {
            StoreError::Conflict(_) => Error::new(
                crate::error::ErrorCode::Conflict,
                "the file is still used: take it out of the articles and pages that use it first",
            )
            .with_field("used"),
            other => other.into(),
        })?;
    library::forget_and_remove(&app.library, &file).await?;
    Ok(StatusCode::NO_CONTENT)
}
