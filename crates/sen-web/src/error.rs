//! One taxonomy for every error sen answers: a stable code with its status, the field at fault and
//! words for people. Public pages show it as the themed error page, the API as JSON, and the admin
//! will show it as a form message.

use axum::{
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use sen_core::workflow::Refusal;
use sen_store::StoreError;

/// Stable codes: clients and the message catalogue key on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Nothing lives at this address, or the id names nothing.
    NotFound,
    /// A path or query parameter can't be read.
    InvalidParameter,
    /// What was submitted breaks a rule (or names something that does not exist).
    InvalidInput,
    /// It collides with what is stored: a taken slug, a newer version.
    Conflict,
    /// Nobody is signed in, or the token is missing, wrong or no longer valid.
    Unauthorized,
    /// Signed in, but the policy does not allow it (or the form's CSRF token is missing or wrong).
    Forbidden,
    /// Too many attempts: try again after the time `Retry-After` gives.
    TooManyRequests,
    /// The upload is larger than its kind allows.
    TooLarge,
    /// The database can't be reached just now.
    Unavailable,
    /// A fault of sen's own; logged.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::InvalidParameter => "invalid_parameter",
            Self::InvalidInput => "invalid_input",
            Self::Conflict => "conflict",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::TooManyRequests => "too_many_requests",
            Self::TooLarge => "too_large",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The message catalogue's keys for the heading and the explanation.
    pub fn message_keys(self) -> (&'static str, &'static str) {
        match self {
            Self::NotFound => ("error_404_title", "error_404_message"),
            Self::InvalidParameter => ("error_400_title", "error_400_message"),
            Self::InvalidInput => ("error_422_title", "error_422_message"),
            Self::Conflict => ("error_409_title", "error_409_message"),
            Self::Unauthorized => ("error_401_title", "error_401_message"),
            Self::Forbidden => ("error_403_title", "error_403_message"),
            Self::TooManyRequests => ("error_429_title", "error_429_message"),
            Self::TooLarge => ("error_413_title", "error_413_message"),
            Self::Unavailable => ("error_503_title", "error_503_message"),
            Self::Internal => ("error_500_title", "error_500_message"),
        }
    }
}

/// An error as sen answers it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct Error {
    pub code: ErrorCode,
    /// The parameter or form field at fault.
    pub field: Option<String>,
    /// For people, in English (the themed page adds its own words).
    pub message: String,
    /// Why, as a short stable name the admin's catalogue words for its readers (`media_error_*`).
    pub reason: Option<&'static str>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
            reason: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "not found")
    }

    pub fn invalid_parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(ErrorCode::InvalidParameter, message)
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        let code = match &err {
            StoreError::NotFound => ErrorCode::NotFound,
            StoreError::Invalid(_) | StoreError::MissingReference(_) => ErrorCode::InvalidInput,
            StoreError::Conflict(_) | StoreError::Stale { .. } => ErrorCode::Conflict,
            StoreError::Refused(Refusal::Forbidden) => ErrorCode::Forbidden,
            // The article's state doesn't allow it (any more): a conflict with what is stored.
            StoreError::Refused(_) => ErrorCode::Conflict,
            StoreError::Unavailable(_) => ErrorCode::Unavailable,
            StoreError::Database(_) => ErrorCode::Internal,
        };
        let message = match code {
            ErrorCode::Unavailable => "the database did not answer".to_string(),
            ErrorCode::Internal => "the request failed".to_string(),
            _ => err.to_string(),
        };
        // The client hears only the code; the log keeps what the store said. An absent database
        // is logged once by the read side's health, not per request.
        match code {
            ErrorCode::Internal => tracing::error!(error = %err, "store error"),
            ErrorCode::Unavailable => tracing::debug!(error = %err, "request without a database"),
            _ => {}
        }
        let field = match &err {
            StoreError::Stale { .. } => Some("version"),
            other => other.field(),
        };
        Self {
            code,
            field: field.map(str::to_string),
            message,
            reason: None,
        }
    }
}

impl From<crate::theme::ThemeError> for Error {
    fn from(err: crate::theme::ThemeError) -> Self {
        tracing::error!(error = %err, "rendering failed");
        Self::new(ErrorCode::Internal, "the page could not be rendered")
    }
}

/// Marks a response for the themed error page, which the public section's layer renders.
#[derive(Debug, Clone)]
pub struct ErrorPage(pub Error);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(ErrorPage(self));
        response
    }
}

/// A path segment as text. One that isn't valid UTF-8 once decoded is an invalid parameter (the
/// themed 400 page, or JSON in the API) instead of axum's plain-text answer.
pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(text)| Self(text))
            .map_err(|_| Error::invalid_parameter("path", "the address is not valid"))
    }
}

#[cfg(test)]
mod tests {
    use sen_core::{ErrorCode as Rule, ValidationError};

    use super::*;

    #[test]
    fn store_errors_map_to_one_status_each() {
        let cases = [
            (StoreError::NotFound, 404, None),
            (
                StoreError::Invalid(ValidationError::new("title", Rule::Required)),
                422,
                Some("title"),
            ),
            (
                StoreError::MissingReference("category_id"),
                422,
                Some("category_id"),
            ),
            (StoreError::Conflict("slug"), 409, Some("slug")),
        ];
        for (store, status, field) in cases {
            let err = Error::from(store);
            assert_eq!(err.status().as_u16(), status, "{err}");
            assert_eq!(err.field.as_deref(), field);
        }
    }
}
