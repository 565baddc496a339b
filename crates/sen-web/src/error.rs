use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Why a public page can't be shown. The page middleware turns it into the themed error page.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The page lives at another address (a stale slug): 301 there.
    #[error("moved to {0}")]
    Moved(String),
    #[error(transparent)]
    Store(#[from] sen_store::StoreError),
    #[error(transparent)]
    Theme(#[from] crate::theme::ThemeError),
}

/// Marks a response for the themed error page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub detail: String,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Moved(_) => StatusCode::MOVED_PERMANENTLY,
            Self::Store(sen_store::StoreError::NotFound) => StatusCode::NOT_FOUND,
            Self::Store(_) | Self::Theme(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Moved(to) = &self {
            return match axum::http::HeaderValue::from_str(to) {
                Ok(location) => {
                    (status, [(axum::http::header::LOCATION, location)]).into_response()
                }
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            };
        }
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let detail = match &self {
            Self::BadRequest(detail) => detail.clone(),
            _ => String::new(),
        };
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(ErrorPage { status, detail });
        response
    }
}

/// An error of the JSON API: a stable code, the parameter at fault, and words for people.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub parameter: Option<&'static str>,
    pub message: String,
}

impl ApiError {
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            parameter: None,
            message: "not found".into(),
        }
    }

    pub fn invalid(parameter: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_parameter",
            parameter: Some(parameter),
            message: message.into(),
        }
    }
}

impl From<sen_store::StoreError> for ApiError {
    fn from(err: sen_store::StoreError) -> Self {
        tracing::error!(error = %err, "API request failed");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            parameter: None,
            message: "the database did not answer".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "parameter": self.parameter, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}
