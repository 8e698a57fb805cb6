//! One error type for every handler. The user gets a clear sentence and the request id; internal
//! detail goes to the log under that same request id, never to the page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or outside the caller's scope: both answer alike so nothing leaks.
    #[error("not found")]
    NotFound,
    /// Nobody is signed in; the page they asked for comes after signing in.
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// The caller is known but their role lacks the permission for this page.
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::Internal(error.into())
    }
}

/// Marks a response whose page the error-page layer renders (it knows the request id and the
/// layout; a handler does not).
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage {
    pub status: StatusCode,
}

impl ErrorPage {
    pub fn response(status: StatusCode) -> Response {
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage { status });
        response
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => ErrorPage::response(StatusCode::NOT_FOUND),
            AppError::Forbidden => ErrorPage::response(StatusCode::FORBIDDEN),
            AppError::SignInRequired { next } => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                ErrorPage::response(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
