//! The theme's files and stored images.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{app::App, error::PathText};

pub async fn static_file(State(app): State<App>, PathText(file): PathText) -> Response {
    match app.theme.static_file(&file) {
        Some(f) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(f.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            f.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// A file of the media library (see `library::serve`).
pub async fn media(
    State(app): State<App>,
    PathText(key): PathText,
    headers: axum::http::HeaderMap,
) -> Response {
    crate::library::serve(&app.store, &app.library, &key, &headers).await
}
