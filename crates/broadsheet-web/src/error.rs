//! Errors as readers and API clients see them: a status and a plain message
//! saying what to do. Internal detail is logged with the request id, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum WebError {
    /// Something failed on our side; the detail is logged only.
    Internal(String),
    /// The request was wrong; the message says how.
    BadRequest(String),
    /// Signed in, but the role does not allow it; the message says what.
    Forbidden(String),
    NotFound,
}

/// Marks a response whose body the error layer renders as a full page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
}

impl From<broadsheet_app::AppError> for WebError {
    fn from(e: broadsheet_app::AppError) -> Self {
        match e {
            broadsheet_app::AppError::NotFound(_) => WebError::NotFound,
            broadsheet_app::AppError::Invalid(m) => WebError::BadRequest(m),
            broadsheet_app::AppError::Forbidden(m) => WebError::Forbidden(m),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            WebError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side and the page could not be shown. Please try again in a moment.".to_string(),
                )
            }
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "We could not find that page. It may have moved, or the address may be mistyped."
                    .to_string(),
            ),
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(ErrorPage { status, message });
        res
    }
}
